// Files a lesson writes and reads the way a learner would with echo, cat, mkfifo and readlink:
// kernel control files (cgroup, proc), their flat "key value" counters, named pipes that hold a
// process at a gate until the experiment lets it go (so it can be moved into a cgroup, or looked
// at, before it does the thing under test), and the cgroup of the run's own that holds it.
import { closeSync, constants, openSync, readlinkSync, writeFileSync, writeSync } from 'node:fs';
import type { CgroupFeature, CgroupRequestOptions, SandboxCgroup, SandboxContext } from '../sandbox/types.js';
import { waitFor } from './context.js';

type Ctx = SandboxContext;

/** Write `value` to a control file, shown in the trace as the `echo VALUE > PATH` it is. */
export function echoTo(ctx: Ctx, path: string, value: string): void {
  ctx.note(`echo ${value} > ${path}`);
  writeFileSync(path, value);
}

/** A flat keyed file ('oom_kill 1' a line: memory.events, pids.events, cgroup.events) as numbers. */
export function keyedLines(text: string): Record<string, number> {
  return Object.fromEntries(text.split('\n').filter(Boolean).map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]));
}

/** Where a symlink points, or its errno in parentheses ('(ENOENT)') when it cannot be followed. */
export function readlinkOr(path: string): string {
  try {
    return readlinkSync(path);
  } catch (err) {
    return `(${(err as NodeJS.ErrnoException).code})`;
  }
}

/** Named pipes `names` in `dir` (mkfifo from the rootfs); their paths, in order. */
export async function mkfifos(ctx: Ctx, dir: string, ...names: string[]): Promise<string[]> {
  const paths = names.map((n) => `${dir}/${n}`);
  const r = await ctx.spawn(ctx.bin('mkfifo'), paths);
  if (r.code !== 0) throw new Error(`mkfifo ${paths.join(' ')} failed: ${r.stderr.trim()}`);
  return paths;
}

/** Let a process blocked on `read go < FIFO` go: open the fifo for writing once it has opened
 * its end (a non-blocking open fails with ENXIO until then), and write one line. */
export async function release(ctx: Ctx, fifo: string): Promise<void> {
  ctx.note(`echo go > ${fifo}`);
  const fd = await waitFor(`a reader on ${fifo}`, () => openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  writeSync(fd, 'go\n');
  closeSync(fd);
}

/** A cgroup of this run's own with `features`, holding `opts.pids` (processes this experiment
 * started), or a skip with the host's reason why none can be made here (no delegation, no such
 * controller, cgroup.kill on v1). The host removes it when the sandbox ends. */
export async function needCgroup(ctx: Ctx, features: CgroupFeature[], opts: CgroupRequestOptions = {}): Promise<SandboxCgroup> {
  const cg = await ctx.cgroup(features, opts);
  if (!cg.ok) ctx.skip(cg.reason);
  return cg;
}
