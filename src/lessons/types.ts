// The lesson contract. A lesson is lessons/NN-slug/lesson.md (frontmatter + prose) and
// lessons/NN-slug/lesson.ts, whose default export is a LessonModule. The module imports from
// nslab only types and the lesson kit (src/kit, `nslab/lesson`): everything else it runs with is
// handed to it (the sandbox context inside, the observations outside), so instructors can write
// lessons in their own folders.
import type { Experiment, NsKind, OutsideHook } from '../sandbox/types.js';

/** What a lesson or experiment needs from the machine; `nslab doctor` decides each. */
export type Requirement =
  | 'userns' // unprivileged user namespaces work (or we are root)
  | 'root' // real root on the host
  | 'uid-range' // a user namespace with more than one uid (root, or newuidmap)
  | 'cgroup2' // a cgroup v2 hierarchy we may write to
  | 'cgroup' // any writable cgroup hierarchy (v1 or v2)
  | 'seccomp'
  | 'rootfs'
  | `kernel>=${number}.${number}`
  | `tool:${string}` // a program the lesson runs from nslab's rootfs (busybox applet or host copy)
  | `host:${string}` // a program the lesson runs from the host itself (iproute2's ip)
  | `runtime:${string}`; // a container runtime that answers (runtime:podman|docker: either one)

export interface LessonMeta {
  /** '04-pivot-root': the folder name. */
  id: string;
  /** 4 */
  number: number;
  /** 'pivot-root' */
  slug: string;
  title: string;
  summary: string;
  minutes: number;
  requires: Requirement[];
}

export interface Prediction {
  question: string;
  choices: string[];
  /** Index into choices. */
  answer: number;
  /** Shown after the run, right or wrong: the reason, in terms of what the kernel did. */
  why: string;
}

/** What a check returns: the verdict, what was seen, and the /proc lines that prove it. */
export interface CheckOutcome {
  pass: boolean;
  /** Short, human: 'Uid: 1001 0 0 0', 'shared:12', 'EPERM'. */
  observed: string;
  /** The raw /proc line(s) or trace line(s) the verdict rests on. */
  evidence: string[];
  /** When failing: a hint computed from what was observed (not a fixed string). */
  hint?: string;
}

export interface Check<O = any> {
  id: string;
  /** What should be true, in one line: shown as the 'expected' column. */
  expected: string;
  check: (obs: O, outside: Record<string, import('../sandbox/types.js').OutsideView[]>) => CheckOutcome;
}

/** Pictures drawn from observed state by the engine; the experiment says which data to use. */
export type Diagram<O = any> =
  | { kind: 'ns-tree'; title?: string; from: (obs: O) => { label: string; ns: Record<string, string> }[] }
  | { kind: 'mount-peers'; title?: string; from: (obs: O) => { label: string; mountinfo: string; filter?: string }[] }
  /** pid/ppid as the reader of /proc numbers them (host or sandbox), nspid its NSpid line. */
  | { kind: 'process-tree'; title?: string; from: (obs: O) => { pid: number; ppid: number; nspid: number[]; name: string }[] }
  | { kind: 'path-walk'; title?: string; from: (obs: O) => PathWalk }
  | { kind: 'cap-exec'; title?: string; from: (obs: O) => CapExec[] }
  /** Each row: what was done, then the Uid: line's ids (real, effective, saved, fs) after it. */
  | { kind: 'uid-steps'; title?: string; from: (obs: O) => UidStep[] }
  | { kind: 'net-topology'; title?: string; from: (obs: O) => NetNamespaceView[] }
  | { kind: 'cgroup-tree'; title?: string; from: (obs: O) => CgroupView }
  | { kind: 'seccomp-filter'; title?: string; from: (obs: O) => SeccompView };

/** Every diagram kind, for the loader's check of a lesson's `diagrams`. */
// A record, so that a kind added to the union and not here is a compile error.
const KINDS: Record<Diagram['kind'], true> = { 'ns-tree': true, 'mount-peers': true, 'process-tree': true, 'path-walk': true, 'cap-exec': true, 'uid-steps': true, 'net-topology': true, 'cgroup-tree': true, 'seccomp-filter': true };
export const DIAGRAM_KINDS: readonly string[] = Object.keys(KINDS);

/** A directory by (device, inode), as stat(2) gives them; path as the kernel names it. */
export interface DirIdent {
  path: string;
  dev: number;
  ino: number;
}

/** chdir("..") after chdir("..") from a working directory, against the process's root. */
export interface PathWalk {
  /** The process's root directory during the walk (the jail). */
  root: DirIdent;
  /** The working directory at the start and after each chdir(".."), each with the (dev, ino)
   * of its own "..": equal to its own where ".." stops. */
  walk: (DirIdent & { parent: { dev: number; ino: number } })[];
  /** The call made where the walk ended, e.g. 'chroot(".")'. */
  then?: string;
}

/** The five sets of /proc/PID/status. */
export interface CapSets {
  inheritable: bigint;
  permitted: bigint;
  effective: bigint;
  bounding: bigint;
  ambient: bigint;
}

/** One execve: the caller's sets just before it, the file's capabilities (null: none), and the
 * sets of the new program as /proc showed them (null: it exited before they could be read). */
export interface CapExec {
  label: string;
  program: string;
  before: CapSets;
  file: { permitted: bigint; inheritable: bigint; effective: boolean } | null;
  after: CapSets | null;
}

export interface UidStep {
  label: string;
  uid: number[];
  /** Index of the row this one is compared with; the previous row by default. */
  base?: number;
}

/** One network namespace: `ip -j addr show` run inside it, and its /proc/net/dev counters. */
export interface NetNamespaceView {
  label: string;
  /** Its ns/net link, 'net:[4026532301]'. */
  ns: string;
  ipJson: string;
  dev?: { name: string; rxBytes: number; txBytes: number }[];
}

/** A cgroup directory and the files read from it (limits and counters), and its members. */
export interface CgroupView {
  version: 'v1' | 'v2';
  dir: string;
  files: { name: string; text: string }[];
  /** What cgroup.procs listed, with each process's name and thread count. */
  members?: { pid: number; name: string; threads?: number }[];
}

/** A classic-BPF seccomp program as loaded (struct sock_filter bytes), the audit arch of the
 * calls, and each syscall tried with what the kernel answered. */
export interface SeccompView {
  program: number[];
  arch: number;
  calls: {
    label: string;
    nr: number;
    /** The answer as seen: a trace line or a program's output. */
    result: string;
    /** The errno name seen ('EPERM'), or null for success. */
    errno: string | null;
    /** False for a call made before the filter was loaded. */
    filtered?: boolean;
  }[];
}

export interface ExperimentSpec<O = any, A = any> {
  id: string;
  title: string;
  /** Sandbox to run in. rootfs: true = nslab's default rootfs (built on first need). */
  sandbox: { namespaces: NsKind[]; rootfs?: boolean; pivot?: boolean; hostname?: string; timeoutMs?: number };
  /** Extra requirements of this experiment on top of the lesson's. */
  requires?: Requirement[];
  /** Depends on something many machines lack by design (AppArmor on Debian, say): when it
   * skips, the lesson can still pass on its other experiments. The skip and its reason stay
   * visible in verify's output; a failure still fails the lesson. */
  optional?: boolean;
  /** What a learner would type by hand for the same thing (unshare, mount, nsenter, ...). */
  commands?: string[];
  predict?: Prediction;
  /** Runs inside the sandbox; returns the observations the checks judge. */
  run: Experiment<O, A>;
  /** Runs on the host when the experiment calls ctx.outside(label). */
  outside?: OutsideHook;
  checks: Check<O>[];
  diagrams?: Diagram<O>[];
  /** The authoring self-test: run with these args (a deliberately wrong setup) and every check
   * listed in `fails` must fail, with a hint. */
  sabotage?: { args: A; fails: string[]; what: string }[];
}

export interface LessonModule {
  experiments: ExperimentSpec[];
  /** Hands-on tasks for `nslab shell` / `nslab check`. */
  exercises?: ExerciseSpec[];
}

// ---- Exercises: the learner acts in `nslab shell`, nslab judges the kernel state. ----

/** One mount as an exercise check sees it in the target's mountinfo (paths relative to the
 * target's root, as the kernel prints them for it). */
export interface ViewMount {
  mountPoint: string;
  /** The directory of the filesystem mounted there ('/' unless a bind of a subtree). */
  root: string;
  /** 'major:minor' of the filesystem. */
  dev: string;
  fsType: string;
  source: string;
  propagation: 'private' | 'shared' | 'slave' | 'shared+slave' | 'unbindable';
  shared?: number;
  master?: number;
  raw: string;
}

/** The outside view of one process, as nslab reads it from the host's /proc/PID: parsed, with
 * the raw lines kept for evidence. Data only (JSON-safe), built by src/check/inspect.ts. */
export interface ProcessView {
  /** PID as nslab (the host) sees it. */
  pid: number;
  comm: string;
  cmdline: string[];
  /** Raw /proc/PID/status lines by key ('Uid', 'NSpid', 'CapEff', 'NoNewPrivs', ...). */
  status: Record<string, string>;
  /** real, effective, saved, fs uid as the host sees them. */
  uid: number[];
  /** Effective uid inside the process's own user namespace (through its uid_map); null if unmapped. */
  uidInside: number | null;
  uidMap: string[];
  /** NSpid: this PID in each PID namespace from the host's inward; the last is its own. */
  nspid: number[];
  /** Namespace links ('mnt:[4026531841]') of the process and of nslab itself. */
  ns: Record<string, string>;
  hostNs: Record<string, string>;
  /** Kinds whose link differs from nslab's own. */
  nsDiffers: string[];
  /** /proc/PID/root: the link text and (dev, ino) of the directory it points to. */
  root: { link: string; dev: number; ino: number };
  hostRoot: { dev: number; ino: number };
  rootIsHost: boolean;
  /** (dev, ino) of /proc/PID/root/.. : equal to root when nothing is above the process's root
   * in its mount tree (pivot_root'ed, or the host's own /), different after a plain chroot. */
  rootParent: { dev: number; ino: number };
  rootIsTop: boolean;
  mounts: ViewMount[];
  /** The host's own '/' mount (nslab's), to recognise the host's tree in another mountinfo. */
  hostRootMount: ViewMount | null;
  /** Mounts in this process's mountinfo that are the host's root filesystem tree (same device
   * and root directory as the host's '/'): an old root left attached shows up here. */
  hostTreeMounts: ViewMount[];
  /** Capability names per set, decoded from the status masks. */
  caps: { effective: string[]; permitted: string[]; inheritable: string[]; bounding: string[]; ambient: string[] };
  noNewPrivs: boolean;
  seccomp: number;
}

/** What else a check may compare against: the shell's sandbox and the lab's rootfs. */
export interface ExerciseScene {
  /** 'shell': candidates under a running `nslab shell`; 'pid': processes named with --pid. */
  source: 'shell' | 'pid';
  /** The lab's rootfs directory (the shell exports it as $NSLAB_ROOTFS) and its (dev, ino). */
  rootfs: { path: string; dev: number; ino: number } | null;
  /** The interactive shell of the sandbox, when checking one. */
  shell: ProcessView | null;
}

export interface TaskCheck {
  id: string;
  /** What must be true of the checked process, in one line. */
  expected: string;
  /** Judges one process; a failing outcome carries a hint computed from what was seen. */
  check: (p: ProcessView, scene: ExerciseScene) => CheckOutcome;
}

export interface ExerciseSpec {
  id: string;
  title: string;
  /** What to make, in a few sentences: shown in the shell's banner. */
  task: string;
  /** Given in order by `nslab hint` inside the shell. */
  hints: string[];
  /** Namespaces for the shell's sandbox on top of user, mnt and pid (always made). */
  namespaces?: NsKind[];
  /** All must pass for one and the same process. */
  checks: TaskCheck[];
  /** Lines typed into the shell that make a passing state (the self-test types them). */
  solution: string[];
  /** Wrong attempts that must fail, each with the checks it must fail (the self-test). */
  nearMisses?: { what: string; commands: string[]; fails: string[] }[];
}
