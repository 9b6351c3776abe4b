// The lesson contract. A lesson is lessons/NN-slug/lesson.md (frontmatter + prose) and
// lessons/NN-slug/lesson.ts, whose default export is a LessonModule. The module imports only
// types from nslab: everything it runs with is handed to it (the sandbox context inside, the
// observations outside), so instructors can write lessons in their own folders.
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
  | `kernel>=${number}.${number}`;

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
  | { kind: 'process-tree'; title?: string; from: (obs: O) => { pid: number; ppid: number; nspid: number[]; name: string }[] };

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
}
