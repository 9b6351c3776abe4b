// The sandbox contract: what the host asks for, what runs inside, what comes back.
// Everything that crosses the host/sandbox boundary is plain data (BigInt, Map, Set allowed),
// framed on fd 3 by channel.ts, never parsed from stdout.

export type NsKind = 'user' | 'mnt' | 'pid' | 'uts' | 'ipc' | 'net' | 'cgroup';
export const NS_KINDS: readonly NsKind[] = ['user', 'mnt', 'pid', 'uts', 'ipc', 'net', 'cgroup'];

export interface SandboxOptions {
  /** Namespaces to create. 'user' is added when the caller is not root, since nothing else is
   * possible unprivileged; as root it is created only when asked for. */
  namespaces: NsKind[];
  /** A root filesystem to pivot_root into (needs 'mnt'): bound onto itself, /proc mounted
   * (with 'pid'), /tmp a tmpfs, the old root detached. */
  rootfs?: string;
  /** false: hand the rootfs path to the experiment without pivoting (it chroots or pivots
   * itself, traced, as the chroot and pivot_root lessons do). Default true. */
  pivot?: boolean;
  /** Set inside a new UTS namespace (needs 'uts'). */
  hostname?: string;
  /** A user namespace with many uids (root and a uid 1000, say), not just the caller's one:
   * as root a 65536-id identity map; unprivileged, the user's /etc/subuid range through
   * newuidmap. Without one available the experiment is skipped with the reason. */
  uidRange?: boolean;
  /** Kill the sandbox after this long; default 15000 ms. */
  timeoutMs?: number;
  /** Extra environment for the program inside. */
  env?: Record<string, string>;
}

/** Where to find the function to run inside: a module and the property path to it, e.g.
 * ['default', 'experiments', 2, 'run'] for a lesson module's third experiment. */
export interface ExperimentRef {
  module: string; // absolute path or file: URL
  path: (string | number)[];
  /** Passed as the second argument: lets the self-test run an experiment with a wrong setup. */
  args?: unknown;
  /** A one-file copy of module for the sandbox to load instead (bundles.ts); set by run.ts. */
  bundle?: string;
}

/** The outside view of one process, read by the host from /proc/PID while the sandbox waits. */
export interface OutsideView {
  /** PID as the host sees it. */
  pid: number;
  /** Namespace links of that process and of the host process, as 'mnt:[4026531840]'. */
  ns: Record<string, string>;
  hostNs: Record<string, string>;
  /** (dev, inode) of /proc/PID/root and of the host's own '/'. */
  root: { dev: number; ino: number };
  hostRoot: { dev: number; ino: number };
  /** readlink(/proc/PID/root) from the host: '/' or where a chroot put it. */
  rootLink: string;
  /** Raw text of /proc/PID/status and /proc/PID/mountinfo as the host reads them. */
  status: string;
  mountinfo: string;
}

/** Sent by the sandbox when the experiment calls ctx.outside(label, pids). */
export interface CheckpointRequest {
  label: string;
  /** PIDs as seen inside; the host maps them through NSpid. Empty = the sandbox's PID 1. */
  pids: number[];
  /** Whatever the experiment passed along for the hook (a path it made, a port). */
  data?: unknown;
}

/** Host-side hook run at a checkpoint; what it returns is handed back to the experiment. */
export type OutsideHook = (label: string, views: OutsideView[], sandboxPid: number, data?: unknown) => unknown | Promise<unknown>;

export interface SandboxResult<O = unknown> {
  status: 'ok' | 'error' | 'timeout' | 'skip';
  observations: O | undefined;
  /** strace-like lines of every syscall made through src/sys inside, in order. */
  trace: string[];
  /** Views the host took at checkpoints, by label. */
  outside: Record<string, OutsideView[]>;
  /** Why it failed or was skipped, in one sentence. */
  reason?: string;
  exitCode: number | null;
  signal: string | null;
  stderr: string;
  /** Host PID of the sandbox's first process. */
  pid: number;
  durationMs: number;
}

/** A child started inside the sandbox that outlives the call that started it (a decoy, a
 * server); killed when the experiment ends if it is still running. */
export interface BackgroundProcess {
  pid: number;
  kill(signal?: NodeJS.Signals | number): void;
  /** Resolves when it exits. */
  exited: Promise<{ code: number | null; signal: string | null }>;
}

export interface SpawnResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** What an experiment function receives inside the sandbox. The syscall layer and the /proc
 * readers are passed in rather than imported, so a lesson module needs no runtime imports. */
export interface SandboxContext {
  sys: typeof import('../sys/index.js');
  proc: typeof import('../proc/index.js');
  /** The rootfs path as the host gave it (before any pivot), if any. */
  rootfs: string | undefined;
  /** True when the engine already pivoted into the rootfs before calling the experiment. */
  pivoted: boolean;
  /** Path of the native helper, for nested sandboxes made from inside (before a pivot). */
  helper: string;
  /** nslab's own static multi-call program (native/nslab-tools.c: `ping`, `httpd`,
   * `userns-probe`), as reachable from here: the package's copy before a pivot, the rootfs's
   * /bin/nslab-tools after one. Run it with the applet as first argument, or copy it to a file
   * named after the applet. */
  tools: string;
  /** Where program `name` is in the rootfs as this experiment sees it: /bin/NAME (or usr/, sbin/)
   * after the pivot, ROOTFS/bin/NAME before it, the host's own without a rootfs. Skips the
   * experiment, naming the package that brings it, when it is not there. */
  bin(name: string): string;
  /** Like bin(), for a program the experiment can do without: its path, or undefined. */
  findBin(name: string): string | undefined;
  /** A PATH value that searches the rootfs's program directories as this experiment sees
   * them, for the shells it starts. */
  binPath: string;
  /** The host's own program `name` (an experiment that did not pivot): for a tool whose host
   * version matters, like iproute2's ip. Skips, naming the package, when it is not installed. */
  hostBin(name: string): string;
  /** Ask the host to look at us (and the given inside PIDs) from outside; waits for it. */
  outside(label: string, pids?: number[], data?: unknown): Promise<{ views: OutsideView[]; hook: unknown }>;
  /** Run a program to completion inside the sandbox. */
  spawn(
    file: string,
    args?: string[],
    opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number; uid?: number; gid?: number },
  ): Promise<SpawnResult>;
  /** Start a program that keeps running (a decoy to signal, a server to find); resolves once
   * its PID is known. It dies with the sandbox even without a PID namespace. */
  background(file: string, args?: string[], opts?: { env?: Record<string, string> }): Promise<BackgroundProcess>;
  /** Ask the host for a cgroup of this run's own with these features, holding the given inside
   * PIDs. Rejects (an authoring error) for a PID that is not this sandbox's. */
  cgroup(features: CgroupFeature[], opts?: CgroupRequestOptions): Promise<CgroupGrant>;
  /** Move more of this sandbox's processes (inside PIDs) into a cgroup it was granted; resolves
   * with their host PIDs. */
  cgroupAdopt(name: string, pids: number[]): Promise<number[]>;
  /** Remove one granted cgroup (or all of them), killing what is still inside. */
  cgroupRemove(name?: string): Promise<CgroupRemoval>;
  /** Add a comment line to the trace the learner sees. */
  note(text: string): void;
  /** Stop here: this experiment cannot run in this environment, for this reason. */
  skip(reason: string): never;
}

/** What a cgroup must offer. 'pids' and 'memory' are controllers: on v2 the parent's
 * cgroup.subtree_control must list them, on v1 each is a hierarchy of its own. 'freeze' and
 * 'kill' are core files of every non-root v2 cgroup (cgroup.freeze since 5.2, cgroup.kill since
 * 5.14); freezing falls back to the v1 freezer controller, killing has no v1 equivalent. */
export type CgroupFeature = 'pids' | 'memory' | 'freeze' | 'kill';

export interface CgroupRequestOptions {
  /** PIDs as seen inside to move in. The host maps them through NSpid and refuses any that is
   * not this sandbox's own process or one of its descendants. Default: none. */
  pids?: number[];
  /** Try cgroup v1 first where both versions are mounted (v2 is preferred otherwise). */
  preferV1?: boolean;
}

/** A cgroup the host made for this sandbox run, named nslab-<nslab's PID>-<n>. It is removed
 * (members killed) when the sandbox ends, or earlier with ctx.cgroupRemove(). */
export interface SandboxCgroup {
  name: string;
  version: 'v1' | 'v2';
  /** Its directory in each hierarchy it spans: one on v2, one per controller on v1. Host paths,
   * which the sandbox reaches as long as it has not pivoted away from the host's /sys/fs/cgroup. */
  dirs: string[];
  /** The directory holding each requested feature's files (pids.max, memory.max or
   * memory.limit_in_bytes, cgroup.freeze or freezer.state, cgroup.kill). */
  paths: Partial<Record<CgroupFeature, string>>;
  /** Host PIDs of the processes moved in, in the order asked for: cgroup.procs takes PIDs as the
   * writer's PID namespace sees them, and the host wrote them. */
  moved: number[];
  /** Why this version and this place: for the trace and as evidence. */
  why: string;
}

/** A cgroup, or the true reason none can be made here (no delegation, no such controller);
 * the experiment turns the reason into ctx.skip. */
export type CgroupGrant = ({ ok: true } & SandboxCgroup) | { ok: false; reason: string };

export interface CgroupRemoval {
  removed: string[];
  /** PIDs (host) still inside and killed by the removal. */
  killed: number[];
  failed: { dir: string; error: string }[];
}

export type Experiment<O = unknown, A = unknown> = (ctx: SandboxContext, args: A | undefined) => O | Promise<O>;
