// The kit's process, control-file and capability helpers against real processes and this
// machine's /proc: a signal the kernel drops settles at once, a fatal one settles with the exit,
// a child's lines and exit; keyed counters, links, and capability sets as the kernel shows them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { capIn, capSnapshot, exitOf, hasCap, keyedLines, linesFrom, readlinkOr, readVfsCap, runs, signalSettled, vfsCapV2, waitFor } from '../../src/kit/index.js';
import type { ProcessView } from '../../src/lessons/types.js';
import * as proc from '../../src/proc/index.js';
import type { SandboxContext } from '../../src/sandbox/types.js';

const test = suite('kit processes, control files and capabilities');
const ctx = { proc } as unknown as SandboxContext;

test('signalSettled: an ignored SIGTERM settles at once with the process alive; an unhandled one with its death', async () => {
  // The shell sets SIGTERM to SIG_IGN, which survives the exec: the kernel drops the signal in kill().
  const ignoring = spawn('sh', ['-c', "trap '' TERM; exec sleep 30"], { stdio: 'ignore' });
  await waitFor('sleep to run', () => runs(ignoring.pid!, 'sleep'));
  const t = Date.now();
  const kept = await signalSettled(ctx, ignoring.pid!, exitOf(ignoring), [15], () => process.kill(ignoring.pid!, 'SIGTERM'), { timeoutMs: 5000 });
  assert.is(kept, null, 'still alive');
  assert.ok(Date.now() - t < 1000, `settled in ${Date.now() - t} ms, not at the deadline`);
  const died = await signalSettled(ctx, ignoring.pid!, exitOf(ignoring), [9], () => process.kill(ignoring.pid!, 'SIGKILL'));
  assert.equal(died, { code: null, signal: 'SIGKILL' });
});

test('linesFrom and exitOf: what a child printed, and how it ended', async () => {
  const child = spawn('sh', ['-c', 'echo one; echo two; exit 3'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [lines, end] = await Promise.all([linesFrom(child, 2), exitOf(child)]);
  assert.equal(lines, ['one', 'two']);
  assert.equal(end, { code: 3, signal: null });
});

test('keyedLines and readlinkOr read kernel text and links', () => {
  assert.equal(keyedLines('low 0\nhigh 0\nmax 4\noom_kill 1\n'), { low: 0, high: 0, max: 4, oom_kill: 1 });
  assert.match(readlinkOr('/proc/self/ns/pid'), /^pid:\[\d+\]$/);
  assert.is(readlinkOr('/nonexistent/nslab-kit'), '(ENOENT)');
});

test('capSnapshot matches /proc/self/status; vfs_cap_data survives a round trip', () => {
  const s = capSnapshot(ctx);
  const status = readFileSync('/proc/self/status', 'utf8');
  for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'] as const) assert.ok(status.includes(s.lines[k]), k);
  assert.is(s.sets.bounding, BigInt(`0x${/^CapBnd:\s*(\w+)/m.exec(status)![1]}`));
  assert.is(hasCap(s, 'CapBnd', 'CAP_CHOWN'), (s.sets.bounding & 1n) === 1n);
  const x = readVfsCap(vfsCapV2(1n << 13n, true), (m) => proc.decodeCaps(m));
  assert.equal([x.revision, x.effective, x.permitted, x.rootid], [2, true, ['CAP_NET_RAW'], null]);
  assert.is(readVfsCap(vfsCapV2(1n << 13n, false), (m) => proc.decodeCaps(m)).effective, false);
});

test('capIn judges one set of a process view, with its status line and a hint', () => {
  const view = { pid: 7, caps: { effective: ['CAP_NET_RAW'], bounding: [] }, status: { CapEff: 'CapEff: 0000000000002000', CapBnd: 'CapBnd: 0000000000000000' } } as unknown as ProcessView;
  const scene = { source: 'pid' as const, rootfs: null, shell: null };
  const lacks = capIn('x', 'no NET_RAW', { set: 'effective', cap: 'CAP_NET_RAW', present: false, also: ['bounding'] }, (p) => `PID ${p.pid} still has it`).check(view, scene);
  assert.equal([lacks.pass, lacks.observed, lacks.hint], [false, 'CAP_NET_RAW in CapEff', 'PID 7 still has it']);
  assert.equal(lacks.evidence, ['CapEff: 0000000000002000', 'CapBnd: 0000000000000000']);
  assert.is(capIn('y', 'no NET_RAW bounding', { set: 'bounding', cap: 'CAP_NET_RAW', present: false }, () => '').check(view, scene).pass, true);
});

test.run();
