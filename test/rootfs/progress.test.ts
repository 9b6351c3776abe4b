// How a rootfs build looks: in a terminal one line rewritten in place, ending as the summary;
// in a log a few summary lines and nothing per program. Against a real build from host programs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRootfs, reporter, type ProgressKind } from '../../src/rootfs/build.js';
import { nslab, tempHome } from '../cli/helpers.js';

const test = suite('rootfs build progress');
const temp = mkdtempSync(join(tmpdir(), 'nslab-progress-'));
test.after(() => rmSync(temp, { recursive: true, force: true }));

interface Event {
  line?: string;
  kind?: ProgressKind;
  step?: [number, number, string];
}
const events: Event[] = [];
let dir = '';

test.before(async () => {
  dir = join(temp, 'rootfs');
  await buildRootfs(dir, { onProgress: (line, kind) => events.push({ line, kind }), onStep: (d, t, what) => events.push({ step: [d, t, what] }) });
});

/** Replays the real build's events through a reporter writing to a fake stream. */
function render(tty: boolean, columns = 60): string {
  let out = '';
  const r = reporter({ isTTY: tty, columns, write: (s: string) => (out += s) }, 'nslab rootfs: ');
  for (const e of events) {
    if (e.step) r.onStep(...e.step);
    else r.onProgress(e.line!, e.kind);
  }
  r.end();
  return out;
}

test('a build with steps reports one step per program, counting up to the total', () => {
  const steps = events.filter((e) => e.step).map((e) => e.step!);
  assert.ok(steps.length > 20, `${steps.length} steps`);
  const total = steps[0]![1];
  assert.is(steps.length, total, 'one step per program the builder tries');
  assert.equal(
    steps.map((s) => s[0]),
    Array.from({ length: total }, (_, i) => i + 1),
  );
  assert.ok(steps.some((s) => s[2] === 'sh'));
  assert.is(events.at(-1)!.kind, 'done');
  assert.match(events.at(-1)!.line!, `rootfs ready: ${dir} (host)`);
});

test('without a terminal: a short summary, no step lines, no control characters', () => {
  const out = render(false);
  const lines = out.trimEnd().split('\n');
  assert.ok(lines.length <= 6, out);
  assert.not.match(out, /\r|\x1b|copying programs \[/);
  assert.ok(lines.every((l) => l.startsWith('nslab rootfs: ')));
  assert.match(lines.at(-1)!, 'rootfs ready:');
  assert.ok(lines.some((l) => /^nslab rootfs: copied \d+ programs and \d+ libraries/.test(l)), out);
  // The temporary directory the build ran in is no news to the learner.
  assert.not.match(out, '.building-');
});

test('in a terminal: one line, rewritten in place, fitted to the width; ends with the summary on it', () => {
  const out = render(true, 60);
  assert.is(out.split('\n').length - 1, 1, 'a single newline, at the very end');
  assert.ok(out.endsWith('\n'));
  const frames = out.slice(0, out.lastIndexOf('\r')).split('\r').filter(Boolean);
  assert.ok(frames.length > 20, 'updated once per program at least');
  for (const f of frames) assert.ok(f.replace(/\x1b\[K/g, '').length <= 59, `fits in 60 columns: ${JSON.stringify(f)}`);
  assert.ok(frames.some((f) => /copying programs \[\d+\/\d+\] /.test(f)));
  const last = out.slice(out.lastIndexOf('\r') + 1).replace(/^\x1b\[K/, '');
  assert.match(last, /^nslab rootfs: rootfs ready: .* \(host\); .*copied \d+ programs/);
});

test('in a terminal, a build that fails leaves no half-drawn line behind', () => {
  let out = '';
  const r = reporter({ isTTY: true, columns: 80, write: (s: string) => (out += s) });
  r.onStep(3, 10, 'cat');
  r.end();
  assert.ok(out.endsWith('\r\x1b[K'), JSON.stringify(out));
});

test('nslab start where no rootfs is built yet: the lesson shows the build as its short summary, no steps', () => {
  const home = tempHome();
  try {
    const r = nslab(['start', '01-chroot', '--yes'], { env: home.env, timeout: 240_000 });
    assert.is(r.code, 0, `${r.stdout.slice(-1500)}\n${r.stderr}`);
    assert.match(r.stdout, /Lesson passed/);
    const said = r.stderr.split('\n').filter((l) => l.startsWith('nslab rootfs: '));
    assert.ok(said.some((l) => /rootfs ready/.test(l)), `the build said it was ready:\n${r.stderr}`);
    assert.ok(said.length <= 6, `a short summary, not a log:\n${said.join('\n')}`);
    // The build's passing news ('note': which step runs now) belongs on a terminal's updating line.
    const news = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /\brootfs: (running|copying programs)/.test(l));
    assert.equal(news, [], 'no step-by-step lines without a terminal');
  } finally {
    home.cleanup();
  }
});

test.run();
