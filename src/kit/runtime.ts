// Real container runtimes (podman, docker), driven from the host by an experiment's `outside`
// hook: find one that answers, import nslab's rootfs as an image, start containers from it, and
// enter them. Every container and image is named for the nslab process that made it (its PID and
// start time, never reused together) and removed by a janitor process once nslab closes the
// session or dies; the next nslab removes what even the janitor left. Two nslabs running at once
// never remove each other's. Containers run with --rm as well.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, readlinkSync } from 'node:fs';
import { cgroupLayout, readStat } from '../proc/index.js';
import { helperPath } from '../sandbox/helper.js';
import { scaled } from '../sandbox/time.js';
import type { SpawnResult } from '../sandbox/types.js';
import { nsenterArgs } from './nsenter.js';
import { beforePodman, notePodmanInfo, pause, STOP_PAUSE } from './rootless-pause.js';

export interface ContainerRuntime {
  name: string;
  bin: string;
  rootless: boolean;
  /** The storage driver ('overlay', 'overlay2', 'vfs') and the directory its layers live in. */
  driver: string;
  storage: string;
  /** The OCI runtime below it (crun, runc). */
  oci: string;
  /** Flags every `run` gets on this machine, each for a reason in `notes`. */
  flags: string[];
  notes: string[];
}

const LABEL = 'io.nslab.owner';
const IMAGE = 'nslab-rootfs';

function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const d of dirs)
    try {
      accessSync(`${d}/${name}`, constants.X_OK);
      return `${d}/${name}`;
    } catch {}
  return undefined;
}

/** Run a program to completion on the host; `stdin`, when given, is piped into it. */
export function hostRun(file: string, args: string[], opts: { timeoutMs?: number; stdin?: NodeJS.ReadableStream } = {}): Promise<SpawnResult> {
  return new Promise((resolve) => {
    const p = spawn(file, args, { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (opts.stdin) opts.stdin.pipe(p.stdin!).on('error', () => {});
    const timer = setTimeout(() => p.kill('SIGKILL'), scaled(opts.timeoutMs ?? 60_000));
    let done = false;
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    };
    p.on('error', (err) => ((stderr += err.message), end(127, null)));
    p.on('close', end);
  });
}

/** A runtime's own last words, without podman's level=warning chatter. */
export const said = (r: SpawnResult): string =>
  r.stderr.split('\n').filter((l) => l.trim() && !/level=(warning|info)/.test(l)).pop()?.trim() || `exit status ${r.code ?? r.signal}`;

/** `NAME info` answered: the runtime, with the flags this machine needs; else why not. */
export async function runtimeInfo(name: string): Promise<ContainerRuntime | { reason: string }> {
  const bin = findProgram(name);
  if (!bin) return { reason: `${name} is not installed` };
  if (name === 'podman') beforePodman();
  const r = await hostRun(bin, ['info', '--format', '{{json .}}'], { timeoutMs: 30_000 });
  let info: any;
  try {
    info = r.code === 0 ? JSON.parse(r.stdout) : undefined;
  } catch {}
  if (!info) return { reason: `${name} info failed: ${said(r)}` };
  // docker info answers for its client alone, exit 0, when the daemon will not talk to this
  // user (no docker group) or is not running: what the daemon said is in ServerErrors.
  const serverErrors: string[] = Array.isArray(info.ServerErrors) ? info.ServerErrors : [];
  if (serverErrors.length)
    return {
      reason: `${name} cannot reach its daemon: ${serverErrors[0]}${/permission denied/i.test(serverErrors[0]!) ? ` (its socket is for root and the docker group; sudo nslab runs this experiment)` : ''}`,
    };
  const podman = 'host' in info;
  const rt: ContainerRuntime = podman
    ? { name, bin, rootless: !!info.host.security?.rootless, driver: info.store.graphDriverName, storage: info.store.graphRoot, oci: info.host.ociRuntime?.name ?? '?', flags: [], notes: [] }
    : { name, bin, rootless: (info.SecurityOptions ?? []).includes('name=rootless'), driver: info.Driver, storage: info.DockerRootDir, oci: info.DefaultRuntime ?? '?', flags: [], notes: [] };
  if (podman && rt.rootless) notePodmanInfo(info);
  const runc = findProgram('runc');
  if (rt.oci === 'crun' && cgroupLayout().kind === 'hybrid' && runc) {
    rt.flags.push('--runtime', runc);
    rt.notes.push('crun refuses a hybrid cgroup layout, so runc runs the containers here');
  }
  // Raising a hard limit takes CAP_SYS_RESOURCE, which daemonless podman lacks where its caller
  // does (unprivileged, or root in a container that dropped it): lower limits can always be set.
  const capEff = BigInt(`0x${/^CapEff:\s*(\w+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
  if (podman && !((capEff >> 24n) & 1n)) {
    rt.flags.push('--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096');
    rt.notes.push('without CAP_SYS_RESOURCE the runtime cannot raise its default limits, so lower ones are asked for');
  }
  return rt;
}

/** The first of `names` that answers. */
export async function findRuntime(names: readonly string[] = ['podman', 'docker']): Promise<ContainerRuntime | { reason: string }> {
  const why: string[] = [];
  for (const n of names) {
    const rt = await runtimeInfo(n);
    if (!('reason' in rt)) return rt;
    why.push(rt.reason);
  }
  return { reason: why.join('; ') };
}

const startOf = (pid: number): string | undefined => {
  try {
    return String(readStat(pid).starttime);
  } catch {
    return undefined;
  }
};
const OWNER = `${process.pid}-${startOf(process.pid)}`;
let sessions = 0;
/** A session's tag ('PID-START-N': the Nth session of the nslab with that PID and start time)
 * whose nslab is gone. */
const ownerGone = (tag: string): boolean => {
  const m = /^(\d+)-(\d+)-\d+$/.exec(tag);
  return !!m && startOf(Number(m[1])) !== m[2];
};

export interface StartedContainer {
  name: string;
  /** Its first process, as the host numbers it; 0 when it did not start. */
  pid: number;
  /** Its parent: the runtime's shim (conmon, containerd-shim). */
  parent?: number;
  command: string;
  error?: string;
}

/** The ns/KIND links of a host PID ('net:[4026532252]'); a kind that cannot be read is left out. */
export function hostNsLinks(pid: number, kinds = ['mnt', 'pid', 'net', 'uts', 'ipc', 'user']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of kinds)
    try {
      out[k] = readlinkSync(`/proc/${pid}/ns/${k}`);
    } catch {}
  return out;
}

export interface ContainerSession {
  runtime: ContainerRuntime;
  image: string;
  /** `run -d --rm` of the image with these flags and argv, named ROLE; resolves once its PID is known. */
  start(role: string, flags: string[], argv: string[]): Promise<StartedContainer>;
  /** The same for a container the experiment cannot do without: inside withContainers, one that
   * does not start makes it a skip, with the runtime's words. */
  need(role: string, flags: string[], argv: string[]): Promise<StartedContainer & { parent: number }>;
  /** Remove every container it started, then the image; resolves once they are gone. */
  close(): Promise<void>;
}

// Removes one owner's containers and image once its standard input ends: at once for a sweep,
// when nslab closes the pipe, or when nslab dies (SIGKILL included) and the kernel closes it.
// Removing a container another still joins fails, so it goes round until none is left. Last,
// a rootless podman's pause process that nslab's commands (or these) started is stopped.
const JANITOR = `${STOP_PAUSE}
read -r line; bin=$1 owner=$2 pidfile=$3 keep=$4; shift 4
for i in 1 2 3 4; do
  ids=$("$bin" ps -aq --filter "label=${LABEL}=$owner"); [ -n "$ids" ] || break
  "$bin" rm "$@" $ids
done
"$bin" rmi -f "${IMAGE}:$owner"
stop_pause "$pidfile" $keep`;

function janitor(rt: ContainerRuntime, owner: string, watch: boolean) {
  const rm = ['-f', ...(rt.name === 'podman' ? ['-t', '0'] : [])];
  const { pidFile, keep } = pause();
  // Its own session: a Ctrl-C to nslab's process group must not take it down before it has run.
  const p = spawn(findProgram('sh') ?? '/bin/sh', ['-c', JANITOR, 'sh', rt.bin, owner, pidFile, keep.join(' '), ...rm], { detached: true, stdio: [watch ? 'pipe' : 'ignore', 'ignore', 'ignore'] });
  const done = new Promise<void>((resolve) => {
    p.on('close', () => resolve());
    p.on('error', () => resolve());
  });
  p.unref();
  (p.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return { end: () => (p.stdin?.end(), done) };
}

/** Remove what dead nslabs left behind, then import `rootfs` as this nslab's image. A janitor
 * process removes this nslab's containers and image when the session closes or nslab dies. */
export async function containerSession(rt: ContainerRuntime, rootfs: string): Promise<ContainerSession> {
  const [names, images] = await Promise.all([hostRun(rt.bin, ['ps', '-a', '--filter', `label=${LABEL}`, '--format', '{{.Names}}']), hostRun(rt.bin, ['images', '--format', '{{.Repository}}:{{.Tag}}'])]);
  const owners = [...names.stdout.split('\n').map((n) => /^nslab-(\d+-\d+-\d+)-\d+-/.exec(n)?.[1]), ...images.stdout.split('\n').map((r) => (r.split(':')[0]!.endsWith(IMAGE) ? r.split(':')[1] : undefined))];
  for (const o of new Set(owners)) if (o && ownerGone(o)) await janitor(rt, o, false).end();

  // Sessions of one nslab may run side by side (selftest's parallel cases): each has its own tag.
  const tag = `${OWNER}-${++sessions}`;
  const image = `${IMAGE}:${tag}`;
  const cleanup = janitor(rt, tag, true);
  const tar = spawn(findProgram('tar') ?? 'tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const imported = await hostRun(rt.bin, ['import', '--change', `LABEL ${LABEL}=${tag}`, '-', image], { stdin: tar.stdout!, timeoutMs: 120_000 });
  // A runtime that fails before reading all of it leaves tar blocked on a full pipe, and its
  // handle would keep nslab from ever exiting.
  if (tar.exitCode === null && tar.signalCode === null) tar.kill('SIGKILL');
  if (imported.code !== 0) {
    await cleanup.end();
    throw new Error(`${rt.name} import of ${rootfs} failed: ${said(imported)}`);
  }
  let n = 0;
  const start: ContainerSession['start'] = async (role, flags, argv) => {
    const name = `nslab-${tag}-${++n}-${role}`;
    const args = ['run', '-d', '--rm', '--name', name, '--label', `${LABEL}=${tag}`, ...rt.flags, ...flags, image, ...argv];
    const command = `${rt.name} ${args.join(' ')}`;
    const r = await hostRun(rt.bin, args);
    if (r.code !== 0) return { name, pid: 0, command, error: said(r) };
    const pid = Number((await hostRun(rt.bin, ['inspect', '--format', '{{.State.Pid}}', name])).stdout.trim());
    if (!(pid > 0)) return { name, pid: 0, command, error: `${rt.name} inspect gave no PID for ${name}` };
    // A rootful runtime's container runs as root on the host: its ns links are behind the
    // ptrace read check, which another uid fails.
    if (!hostNsLinks(pid).mnt) return { name, pid: 0, command, error: `uid ${process.getuid?.()} may not read /proc/${pid}/ns of the container ${rt.name} started as root on the host: run it with sudo` };
    return { name, pid, parent: readStat(pid).ppid, command };
  };
  return {
    runtime: rt,
    image,
    start,
    async need(role, flags, argv) {
      const c = await start(role, flags, argv);
      if (!c.pid) throw new ContainerSkip(`${rt.name} could not start a container here: ${c.error}`);
      return c as StartedContainer & { parent: number };
    },
    close: () => cleanup.end(),
  };
}

class ContainerSkip extends Error {}

/** Run `use` with a session of the first runtime that answers, closed however it ends: its
 * observations, or why this machine cannot run it (no runtime, or `need` could not start one). */
export async function withContainers<T>(rootfs: string, use: (s: ContainerSession) => Promise<T>, names?: readonly string[]): Promise<{ obs?: T; skip?: string }> {
  const rt = await findRuntime(names);
  if ('reason' in rt) return { skip: rt.reason };
  const s = await containerSession(rt, rootfs);
  try {
    return { obs: await use(s) };
  } catch (err) {
    if (err instanceof ContainerSkip) return { skip: err.message };
    throw err;
  } finally {
    await s.close();
  }
}

/** nsenter -t PID FLAGS ARGV from the host, through nslab's helper: for a container the host
 * started, whose user namespace (rootless) a sandbox could not join. */
export function hostNsenter(pid: number, flags: string[], argv: string[], opts: { timeoutMs?: number } = {}): Promise<SpawnResult> {
  return hostRun(helperPath(), nsenterArgs(pid, flags, argv), opts);
}
