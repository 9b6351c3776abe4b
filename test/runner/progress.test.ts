// The progress store: atomic writes, damaged files moved aside (never dropped), clear errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProgressStore, stateDir } from '../../src/runner/progress.js';
import { NslabError } from '../../src/runner/errors.js';

const test = suite('progress store');
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'nslab-progress-'));
  dirs.push(d);
  return join(d, 'nslab');
};
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('stateDir follows XDG_STATE_HOME, else ~/.local/state; a relative XDG path is ignored', () => {
  assert.is(stateDir({ XDG_STATE_HOME: '/x/state', HOME: '/h' }), '/x/state/nslab');
  assert.is(stateDir({ HOME: '/h' }), '/h/.local/state/nslab');
  assert.is(stateDir({ XDG_STATE_HOME: 'rel', HOME: '/h' }), '/h/.local/state/nslab');
});

test('missing file is empty progress; update creates the directory and saves at once', () => {
  const dir = fresh();
  const s = new ProgressStore(dir, () => assert.unreachable('no notice'));
  assert.is(s.status('01-x'), 'new');
  s.update('01-x', (p) => (p.status = 'in-progress'));
  const onDisk = JSON.parse(readFileSync(join(dir, 'progress.json'), 'utf8'));
  assert.is(onDisk.version, 1);
  assert.is(onDisk.last, '01-x');
  assert.is(onDisk.lessons['01-x'].status, 'in-progress');
  assert.equal(readdirSync(dir), ['progress.json'], 'no temp file left behind');
  assert.is(new ProgressStore(dir).status('01-x'), 'in-progress');
});

test('a damaged file is renamed aside with a notice naming both paths', () => {
  const dir = fresh();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'progress.json'), '[1, 2');
  const notes: string[] = [];
  const s = new ProgressStore(dir, (m) => notes.push(m));
  assert.equal(s.load().lessons, {});
  const aside = readdirSync(dir).find((f) => f.startsWith('progress.json.corrupt-'))!;
  assert.ok(aside);
  assert.is(readFileSync(join(dir, aside), 'utf8'), '[1, 2');
  assert.is(notes.length, 1);
  assert.match(notes[0]!, join(dir, 'progress.json'));
  assert.match(notes[0]!, join(dir, aside));
});

test('wrong shapes are damage too, with the reason', () => {
  for (const [text, why] of [
    ['"x"', 'not a JSON object'],
    ['{"version": 2, "lessons": {}}', 'unknown format version 2'],
    ['{"version": 1}', '"lessons" is not an object'],
    ['{"version": 1, "lessons": {"a": {"status": "won"}}}', 'status "won"'],
  ] as const) {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'progress.json'), text);
    const notes: string[] = [];
    new ProgressStore(dir, (m) => notes.push(m)).load();
    assert.match(notes[0]!, why);
  }
});

test('an unwritable location is an NslabError that names the directory', () => {
  const d = mkdtempSync(join(tmpdir(), 'nslab-progress-'));
  dirs.push(d);
  writeFileSync(join(d, 'file'), '');
  // A state "directory" under a regular file cannot be created, as root or not.
  const s = new ProgressStore(join(d, 'file', 'nslab'));
  assert.is(s.status('a'), 'new');
  try {
    s.update('a', (p) => (p.status = 'passed'));
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, NslabError);
    assert.match((err as Error).message, `Cannot save progress in ${join(d, 'file', 'nslab')} (ENOTDIR)`);
  }
});

test('reset forgets one lesson or all', () => {
  const dir = fresh();
  const s = new ProgressStore(dir);
  s.update('a', (p) => (p.status = 'passed'));
  s.update('b', (p) => (p.status = 'in-progress'));
  s.reset('b');
  assert.equal(Object.keys(new ProgressStore(dir).load().lessons), ['a']);
  assert.is(new ProgressStore(dir).load().last, null);
  s.reset();
  assert.equal(new ProgressStore(dir).load().lessons, {});
});

test.run();
