// The command line itself: version, help on every command, and mistakes answered in a
// sentence or two with a suggestion, a non-zero status and no stack trace.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOOD, ROOT, nslab, tempHome } from './helpers.js';
import { COMMANDS } from '../../src/cli/commands.js';

const test = suite('cli basics');
const home = tempHome();
test.after(() => home.cleanup());
const run = (...args: string[]) => nslab(args, { env: home.env });

const noStack = (text: string) => !/\n\s+at |Error: .*\n.*node:internal/.test(text);

test('--version prints the package version and nothing else', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  for (const flag of ['--version', '-V']) {
    const r = run(flag);
    assert.is(r.code, 0);
    assert.is(r.stdout, `${pkg.version}\n`);
    assert.is(r.stderr, '');
  }
});

test('--help lists every command; every command has its own --help', () => {
  const r = run('--help');
  assert.is(r.code, 0);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`\\n  ${c.name}\\s`));
  for (const c of COMMANDS) {
    const h = run(c.name, '--help');
    assert.is(h.code, 0, `${c.name} --help`);
    assert.match(h.stdout, `Usage: ${c.usage}`);
    assert.match(h.stdout, '--lessons DIR');
    const short = run(c.name, '-h');
    assert.is(short.stdout, h.stdout);
  }
});

test('an unknown command suggests the closest one', () => {
  const r = run('strat', '1');
  assert.is(r.code, 2);
  assert.is(r.stdout, '');
  assert.match(r.stderr, "unknown command 'strat'");
  assert.match(r.stderr, 'Did you mean `nslab start`?');
  assert.ok(noStack(r.stderr));
  assert.ok(r.stderr.trim().split('\n').length <= 2);
});

test('an unknown flag suggests the closest one, for the command it was given to', () => {
  const r = run('list', '--jsno');
  assert.is(r.code, 2);
  assert.match(r.stderr, 'unknown option --jsno for nslab list. Did you mean --json?');
  assert.ok(noStack(r.stderr));
  const g = run('--lesons', GOOD, 'list');
  assert.is(g.code, 2);
  assert.match(g.stderr, 'Did you mean --lessons?');
});

test('a missing option value, a missing or extra argument: usage errors', () => {
  const v = run('list', '--lessons');
  assert.is(v.code, 2);
  assert.match(v.stderr, '--lessons needs a value');
  const s = run('--lessons', GOOD, 'start');
  assert.is(s.code, 2);
  assert.match(s.stderr, 'nslab start needs a lesson');
  const x = run('--lessons', GOOD, 'list', 'extra');
  assert.is(x.code, 2);
  assert.match(x.stderr, 'Too many arguments for nslab list');
  for (const r of [v, s, x]) assert.ok(noStack(r.stderr));
});

test('a lessons folder that does not exist is one clear sentence', () => {
  const r = run('--lessons', '/nonexistent/lessons', 'list');
  assert.is(r.code, 1);
  assert.match(r.stderr, '/nonexistent/lessons');
  assert.match(r.stderr, 'no such lessons folder');
  assert.ok(noStack(r.stderr));
});

test('NSLAB_LESSONS stands in for --lessons', () => {
  const r = nslab(['list'], { env: { ...home.env, NSLAB_LESSONS: GOOD } });
  assert.is(r.code, 0);
  assert.match(r.stdout, '01-hello');
});

test('NSLAB_DEBUG=1 adds the stack trace to an error', () => {
  const r = nslab(['start', 'nope', '--lessons', GOOD], { env: { ...home.env, NSLAB_DEBUG: '1' } });
  assert.is(r.code, 2);
  assert.match(r.stderr, /\n\s+at /);
});

test('--version, list and progress never load marked, marked-terminal, enquirer or boxen', () => {
  for (const args of [['--version'], ['--lessons', GOOD, 'list'], ['--lessons', GOOD, 'list', '--json'], ['--lessons', GOOD, 'progress']]) {
    const log = join(home.dir, `imports-${args.join('_').replace(/\W/g, '')}.txt`);
    const r = nslab(args, { env: { ...home.env, NSLAB_TRACE_IMPORTS: log, NODE_OPTIONS: `--import ${join(ROOT, 'test', 'cli', 'fixtures', 'trace-imports.mjs')}` } });
    assert.is(r.code, 0, r.stderr);
    const loaded = readFileSync(log, 'utf8');
    assert.match(loaded, 'src/cli/main', 'the trace saw the CLI load');
    for (const heavy of ['node_modules/marked/', 'node_modules/marked-terminal/', 'node_modules/enquirer/', 'node_modules/boxen/'])
      assert.not.match(loaded, heavy, `${args.join(' ')} loaded ${heavy}`);
  }
});

test.run();
