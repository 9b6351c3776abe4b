// Files a lesson writes and reads the way a learner would with echo, cat, mkfifo and readlink:
// kernel control files (cgroup, proc), their flat "key value" counters, named pipes that hold a
// process at a gate until the experiment lets it go (so it can be moved into a cgroup, or looked
// at, before it does the thing under test), and the cgroup of the run's own that holds it.
import { closeSync, constants, existsSync, openSync, readlinkSync, writeFileSync, writeSync } from 'node:fs';
import type { CgroupFeature, CgroupRequestOptions, SandboxCgroup, SandboxContext } from '../sandbox/types.js';
import { freshProc, needRootfs, privateRoot, readOr, scratch, waitFor } from './context.js';

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

/** The usual ground for an experiment that starts programs in an unpivoted rootfs: mounts below
 * / made private, a /proc of its PID namespace (the host's would show host PIDs), and a small
 * tmpfs on the rootfs's /tmp for output files and the named pipes `fifos`, all gone with the
 * mount namespace. Returns that directory. */
export async function workDir(ctx: Ctx, ...fifos: string[]): Promise<string> {
  const dir = `${needRootfs(ctx)}/tmp`;
  privateRoot(ctx);
  freshProc(ctx);
  scratch(ctx, dir);
  if (fifos.length) await mkfifos(ctx, dir, ...fifos);
  return dir;
}

/** What the kernel counted for a cgroup's memory limit, read the way the version keeps it: v2
 * memory.events (max: times the limit was hit, oom_kill) and memory.peak; v1 memory.failcnt
 * plus memory.memsw.failcnt (a hit of the memory+swap limit counts there), memory.oom_control
 * and memory.max_usage_in_bytes. `counters` are the files as read, for evidence. */
export function memoryCounters(cg: SandboxCgroup) {
  const [dir, v2] = [cg.paths.memory!, cg.version === 'v2'];
  const files = v2 ? ['memory.events', 'memory.peak'] : ['memory.failcnt', 'memory.memsw.failcnt', 'memory.oom_control', 'memory.max_usage_in_bytes'];
  const counters = files.filter((f) => existsSync(`${dir}/${f}`)).map((f) => ({ path: `${dir}/${f}`, text: readOr(`${dir}/${f}`).trim() }));
  const text = (f: string): string => counters.find((c) => c.path.endsWith(`/${f}`))?.text ?? '';
  const peak = text(v2 ? 'memory.peak' : 'memory.max_usage_in_bytes');
  const oomKills = keyedLines(text(v2 ? 'memory.events' : 'memory.oom_control')).oom_kill ?? 0;
  const limitHits = v2 ? (keyedLines(text('memory.events')).max ?? 0) : Number(text('memory.failcnt') || 0) + Number(text('memory.memsw.failcnt') || 0);
  return { counters, oomKills, limitHits, peak: peak ? Number(peak) : null };
}
