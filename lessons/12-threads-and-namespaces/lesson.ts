// Lesson 12: why runc needs C code before the Go runtime starts, shown live in Node. A user
// namespace refuses a multithreaded caller (EINVAL); a mount namespace accepts one and moves only
// the calling thread, so the libuv threadpool keeps reading the old filesystem; nslab's helper
// creates the namespaces before Node exists, and all of Node's threads agree.
import { promises as fsp, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import type { ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { SandboxContext } from '../../src/sandbox/types.js';

interface Task {
  tid: number;
  comm: string;
  ns: string;
}

/** Every thread of this process with its name and one namespace link, read by the main thread. */
function tasks(kind: string): Task[] {
  return readdirSync('/proc/self/task').sort((a, b) => Number(a) - Number(b)).map((t) => {
    const tid = Number(t);
    let comm = '?';
    let ns = '?';
    try {
      comm = readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
      ns = readlinkSync(`/proc/self/task/${t}/ns/${kind}`);
    } catch {
      /* the thread ended meanwhile */
    }
    return { tid, comm, ns };
  });
}

/** The main thread's id as this /proc numbers it (gettid() answers in the PID namespace). */
const mainTid = (): number => Number(readlinkSync('/proc/self'));
const tline = (t: Task, kind: string): string => `task ${t.tid} (${t.comm}): ${kind} -> ${t.ns}`;

// ---------------------------------------------------------------------------------------------
// Experiment 1: unshare(CLONE_NEWUSER) needs a single-threaded caller.

interface UsernsArgs {
  /** Ask Node for CLONE_NEWUTS instead, which a threaded caller may. */
  utsInstead?: boolean;
  /** The single-threaded contrast starts a second thread before its unshare. */
  secondThread?: boolean;
}

interface UsernsObs {
  threads: Task[];
  threadsLine: string;
  nodeTrace: string;
  ownUser: string;
  probe: { code: number | null; out: string; threads: number | null; ret: number | null; error: string | null; user: string | null };
}

/** nslab-tools userns-probe (native/nslab-tools.c): a C process that counts its own tasks, calls
 * unshare(CLONE_NEWUSER) and prints "TASKS RET ERROR USERNS_LINK" ("1 0 ok user:[...]"); with
 * "thread" it starts one idle pthread first. */
async function usernsProbe(ctx: SandboxContext, withThread: boolean): Promise<UsernsObs['probe']> {
  const r = await ctx.spawn(ctx.tools, ['userns-probe', ...(withThread ? ['thread'] : [])]);
  const out = `${r.stdout}${r.stderr}`.trim();
  const m = /^(\d+) (-?\d+) (\S+) (\S+)$/m.exec(r.stdout);
  return {
    code: r.code,
    out,
    threads: m ? Number(m[1]) : null,
    ret: m ? Number(m[2]) : null,
    error: m && m[3] !== 'ok' ? m[3]!.replace(/_/g, ' ') : null,
    user: m ? m[4]! : null,
  };
}

const usernsEinval: ExperimentSpec<UsernsObs, UsernsArgs> = {
  id: 'userns-einval',
  title: 'unshare(CLONE_NEWUSER) from Node: EINVAL, because Node has threads',
  sandbox: { namespaces: ['mnt', 'pid'] },
  commands: [
    'ls /proc/$(pgrep -n node)/task | wc -l              # Node: about a dozen threads',
    'grep Threads /proc/self/status                      # a shell: 1',
    'unshare --user true && echo ok                      # a single-threaded program may',
    'nslab-tools userns-probe                            # "1 0 ok user:[...]": 1 task, unshare returned 0',
    'nslab-tools userns-probe thread                     # "2 -1 Invalid_argument ...": one more thread, EINVAL',
  ],
  predict: {
    question: 'Node calls unshare(CLONE_NEWUSER) on its main thread. What does the kernel answer?',
    choices: ['0: the main thread moves into the new user namespace', 'EINVAL', 'EPERM'],
    answer: 1,
    why: 'A user namespace changes the credentials of the whole process: uids, gids and capabilities would mean different things in different threads of one address space. The kernel therefore refuses CLONE_NEWUSER from a process with more than one thread (or one that shares its filesystem information with another task): EINVAL. Node has about a dozen threads before your first line of code runs.',
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    await fsp.readFile('/proc/self/status'); // the threadpool is started lazily: start it
    const threads = tasks('user');
    const threadsLine = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('Threads:')) ?? '';
    const flag = args.utsInstead ? sys.CLONE_NEWUTS : sys.CLONE_NEWUSER;
    const nodeTrace = sys.unshare(flag).trace;
    ctx.note(`nslab-tools userns-probe: unshare(CLONE_NEWUSER) from C${args.secondThread ? ', after starting one more thread' : ', single-threaded'}`);
    const probe = await usernsProbe(ctx, !!args.secondThread);
    return { threads, threadsLine, nodeTrace, ownUser: readlinkSync('/proc/self/ns/user'), probe };
  },
  checks: [
    {
      id: 'node-unshare-user-einval',
      expected: 'unshare(CLONE_NEWUSER) from Node returns EINVAL, with Threads: well above 1',
      check(o) {
        const pass = /^unshare\(CLONE_NEWUSER\) = -1 EINVAL/.test(o.nodeTrace) && o.threads.length > 1;
        return {
          pass,
          observed: `${o.nodeTrace.split(' = ')[1]}; ${o.threadsLine.replace(/\s+/g, ' ')}`,
          evidence: [o.nodeTrace, o.threadsLine, ...o.threads.slice(0, 12).map((t) => `task ${t.tid}: ${t.comm}`)],
          hint: pass
            ? undefined
            : !o.nodeTrace.includes('CLONE_NEWUSER')
              ? `the call asked for ${o.nodeTrace.split('(')[1]?.split(')')[0]}, not CLONE_NEWUSER: other namespaces accept a threaded caller (and move only the calling thread, see the next experiment)`
              : `expected EINVAL: ${o.nodeTrace}`,
        };
      },
    },
    {
      id: 'single-threaded-ok',
      expected: 'the same call from a single-threaded process (nslab-tools userns-probe, 1 task) returns 0 and puts it in a new user namespace',
      check(o) {
        const p = o.probe;
        const pass = p.threads === 1 && p.ret === 0 && !!p.user && p.user !== o.ownUser;
        return {
          pass,
          observed: p.ret === null ? `userns-probe did not report: ${p.out}` : `${p.threads} task(s): unshare = ${p.ret}${p.error ? ` (${p.error})` : ''}; user ${p.user}`,
          evidence: [`userns-probe: tasks=${p.threads} unshare(CLONE_NEWUSER)=${p.ret} ${p.error ?? ''}`, `userns-probe user -> ${p.user}`, `sandbox user -> ${o.ownUser}`],
          hint: pass
            ? undefined
            : p.ret === null
              ? `nslab-tools userns-probe could not run here (exit ${p.code}): ${p.out.split('\n').pop()}`
              : p.threads !== null && p.threads > 1
                ? `userns-probe had ${p.threads} threads when it called unshare, so it got ${p.error} just like Node: one extra thread is enough`
                : `userns-probe: unshare returned ${p.ret} (${p.error})`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'ask Node for CLONE_NEWUTS instead', args: { utsInstead: true }, fails: ['node-unshare-user-einval'] },
    { what: 'the single-threaded probe starts a second thread first', args: { secondThread: true }, fails: ['single-threaded-ok'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: the threadpool trap.

interface TrapArgs {
  noUnshare?: boolean;
  mountFirst?: boolean;
}

interface TrapObs {
  main: number;
  before: string;
  traces: string[];
  syncRead: string | null;
  asyncRead: { ok: boolean; code?: string; text?: string };
  mntMain: string;
  mntPool: string;
  byThread: Task[];
  mountsMain: string;
  mountsPool: string;
}

const DIR = '/tmp/trap';

const threadpoolTrap: ExperimentSpec<TrapObs, TrapArgs> = {
  id: 'threadpool-trap',
  title: 'unshare(CLONE_NEWNS) in Node moves the main thread and leaves the threadpool behind',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true },
  commands: [
    'for t in /proc/$PID/task/*; do echo "$t $(readlink $t/ns/mnt)"; done',
    'readlink /proc/thread-self/ns/mnt      # the calling thread\'s, not the process\'s',
  ],
  predict: {
    question: 'Node unshares its mount namespace, mounts a tmpfs on /tmp/trap and writes a file there with fs.writeFileSync. Then fs.promises.readFile reads it back. What happens?',
    choices: ['It returns the file', 'ENOENT: the read runs on a threadpool thread still in the old mount namespace', 'EINVAL, like the user namespace'],
    answer: 1,
    why: "unshare(CLONE_NEWNS) is allowed from a threaded process, but it moves only the calling thread. Node's synchronous fs calls run on the main thread; its asynchronous ones run on libuv's threadpool, whose threads were created before the unshare and stay in the old namespace, where /tmp/trap is an empty directory.",
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    await fsp.readFile('/proc/self/status'); // start the threadpool before anything moves
    const before = readlinkSync('/proc/thread-self/ns/mnt');
    const traces: string[] = [];
    mkdirSync(DIR, { recursive: true });
    const mountTmpfs = () => traces.push(sys.mount('tmpfs', DIR, 'tmpfs', 0, 'size=1m').trace);
    if (args.mountFirst) mountTmpfs();
    if (!args.noUnshare) {
      ctx.note('unshare --mount, from the main thread');
      traces.push(sys.unshare(sys.CLONE_NEWNS).trace);
      traces.push(sys.mount(null, '/', null, sys.MS_REC | sys.MS_PRIVATE).trace);
    }
    if (!args.mountFirst) mountTmpfs();
    writeFileSync(`${DIR}/only-here`, 'written by the main thread\n');
    let syncRead: string | null = null;
    try {
      syncRead = readFileSync(`${DIR}/only-here`, 'utf8').trim();
    } catch {
      syncRead = null;
    }
    const asyncRead = await fsp.readFile(`${DIR}/only-here`, 'utf8').then(
      (text) => ({ ok: true, text: text.trim() }),
      (err: NodeJS.ErrnoException) => ({ ok: false, code: err.code }),
    );
    const mntMain = readlinkSync('/proc/thread-self/ns/mnt');
    const mntPool = await fsp.readlink('/proc/thread-self/ns/mnt');
    const pick = (text: string) => text.split('\n').filter((l) => l.includes(` ${DIR} `)).join('\n') || `(no mount at ${DIR})`;
    const mountsMain = pick(readFileSync('/proc/thread-self/mountinfo', 'utf8'));
    const mountsPool = pick(await fsp.readFile('/proc/thread-self/mountinfo', 'utf8'));
    return { main: mainTid(), before, traces, syncRead, asyncRead, mntMain, mntPool, byThread: tasks('mnt'), mountsMain, mountsPool };
  },
  checks: [
    {
      id: 'sync-reads-async-enoent',
      expected: 'fs.readFileSync (main thread) reads the file; fs.promises.readFile (threadpool) gets ENOENT',
      check(o) {
        const pass = o.syncRead === 'written by the main thread' && !o.asyncRead.ok && o.asyncRead.code === 'ENOENT';
        return {
          pass,
          observed: `sync: ${o.syncRead === null ? 'failed' : `"${o.syncRead}"`}; async: ${o.asyncRead.ok ? `"${o.asyncRead.text}"` : o.asyncRead.code}`,
          evidence: [...o.traces, `readFileSync("${DIR}/only-here") -> ${o.syncRead ?? 'error'}`, `fs.promises.readFile("${DIR}/only-here") -> ${o.asyncRead.ok ? o.asyncRead.text : o.asyncRead.code}`, `main thread: ${o.mountsMain}`, `pool thread: ${o.mountsPool}`],
          hint: pass
            ? undefined
            : o.asyncRead.ok
              ? o.traces.some((t) => t.startsWith('unshare'))
                ? `the threadpool saw the file: the tmpfs was mounted before the unshare (${o.traces[0]}), in the namespace every thread shares`
                : 'the threadpool saw the file: without unshare(CLONE_NEWNS) every thread is in the same mount namespace, so the mount is everyone\'s'
              : `sync read ${o.syncRead === null ? 'failed' : 'worked'}, async ${o.asyncRead.code}`,
        };
      },
    },
    {
      id: 'thread-self-differs',
      expected: '/proc/thread-self/ns/mnt read by the main thread differs from the one read on the threadpool, which is still the old one',
      check(o) {
        const pass = o.mntMain !== o.mntPool && o.mntPool === o.before;
        return {
          pass,
          observed: `main ${o.mntMain}, pool ${o.mntPool} (start ${o.before})`,
          evidence: [`before: ${o.before}`, `readlinkSync("/proc/thread-self/ns/mnt") = ${o.mntMain}`, `fs.promises.readlink("/proc/thread-self/ns/mnt") = ${o.mntPool}`],
          hint: pass ? undefined : o.mntMain === o.before ? 'the main thread never left its mount namespace: there was no unshare(CLONE_NEWNS)' : `main ${o.mntMain}, pool ${o.mntPool}`,
        };
      },
    },
    {
      id: 'tasks-split',
      expected: 'in /proc/self/task/*/ns/mnt, only the main thread is in the new namespace; every other thread is in the old one',
      check(o) {
        const main = o.byThread.find((t) => t.tid === o.main);
        const others = o.byThread.filter((t) => t.tid !== o.main);
        const moved = others.filter((t) => t.ns !== o.before);
        const pass = !!main && main.ns !== o.before && others.length > 0 && moved.length === 0;
        return {
          pass,
          observed: `main ${main?.ns ?? '?'}; ${others.length - moved.length} of ${others.length} other threads in ${o.before}`,
          evidence: o.byThread.slice(0, 12).map((t) => tline(t, 'mnt')),
          hint: pass ? undefined : main && main.ns === o.before ? `every thread, the main one included, is still in ${o.before}: nothing unshared` : `${moved.length} other threads moved too`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'no unshare(CLONE_NEWNS)', args: { noUnshare: true }, fails: ['sync-reads-async-enoent', 'thread-self-differs', 'tasks-split'] },
    { what: 'mount the tmpfs before the unshare', args: { mountFirst: true }, fails: ['sync-reads-async-enoent'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 3: what nslab (and runc) do instead.

interface HelperArgs {
  unshareFirst?: boolean;
}

interface HelperObs {
  main: number;
  self: Record<string, string>;
  byThread: Record<string, Task[]>;
  traces: string[];
  asyncRead: { ok: boolean; code?: string; text?: string };
}

const KINDS = ['mnt', 'pid', 'user'] as const;

const helperAgrees: ExperimentSpec<HelperObs, HelperArgs> = {
  id: 'helper-agrees',
  title: "born inside: every thread of the sandbox's Node agrees",
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true },
  commands: [
    'nslab-helper run -m -p -- node app.js     # clone(CLONE_NEWNS|CLONE_NEWPID) in C, then execve(node)',
    'for t in /proc/$PID/task/*; do readlink $t/ns/mnt; done | sort | uniq -c   # one namespace, N threads',
  ],
  predict: {
    question: "nslab's helper (C, single-threaded) creates the namespaces with clone() and then execs Node. Which mount namespace are Node's threadpool threads in?",
    choices: ["the host's", 'the sandbox\'s, the same as the main thread', 'each thread its own'],
    answer: 1,
    why: 'The namespaces existed before Node did. Every thread Node starts is cloned from a thread that is already inside, and a new thread shares its creator\'s namespaces. runc does the same: nsexec.c is C code that runs from a constructor before the Go runtime starts its threads, and it clones the container\'s init into the namespaces.',
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    await fsp.readFile('/proc/self/status');
    const traces: string[] = [];
    if (args.unshareFirst) {
      ctx.note('unshare(CLONE_NEWNS) from Node after all: the main thread leaves');
      traces.push(sys.unshare(sys.CLONE_NEWNS).trace);
      traces.push(sys.mount(null, '/', null, sys.MS_REC | sys.MS_PRIVATE).trace);
    }
    mkdirSync('/tmp/agree', { recursive: true });
    traces.push(sys.mount('tmpfs', '/tmp/agree', 'tmpfs', 0, 'size=1m').trace);
    writeFileSync('/tmp/agree/file', 'seen by every thread\n');
    const asyncRead = await fsp.readFile('/tmp/agree/file', 'utf8').then(
      (text) => ({ ok: true, text: text.trim() }),
      (err: NodeJS.ErrnoException) => ({ ok: false, code: err.code }),
    );
    const self = Object.fromEntries(KINDS.map((k) => [k, readlinkSync(`/proc/self/ns/${k}`)]));
    const byThread = Object.fromEntries(KINDS.map((k) => [k, tasks(k)]));
    await ctx.outside('sandbox');
    return { main: mainTid(), self, byThread, traces, asyncRead };
  },
  checks: [
    {
      id: 'all-threads-agree',
      expected: "every thread's mnt, pid and user links equal the process's, and its mount namespace is not the host's",
      check(o, outside) {
        const v = outside['sandbox']?.[0];
        const odd = KINDS.flatMap((k) => o.byThread[k]!.filter((t) => t.ns !== '?' && t.ns !== o.byThread[k]!.find((m) => m.tid === o.main)?.ns).map((t) => `${k}: ${tline(t, k)}`));
        const mainMnt = o.byThread.mnt!.find((t) => t.tid === o.main)?.ns;
        const pass = odd.length === 0 && !!v && mainMnt === v.ns.mnt && v.ns.mnt !== v.hostNs.mnt;
        return {
          pass,
          observed: odd.length ? `${odd.length} thread links differ from the main thread's` : `${o.byThread.mnt!.length} threads, one mount namespace ${mainMnt}; host ${v?.hostNs.mnt ?? '?'}`,
          evidence: [...o.traces.filter((t) => t.startsWith('unshare')), ...o.byThread.mnt!.slice(0, 12).map((t) => tline(t, 'mnt')), ...(v ? [`host sees the sandbox: mnt -> ${v.ns.mnt}`, `host's own: mnt -> ${v.hostNs.mnt}`] : [])],
          hint: pass
            ? undefined
            : odd.length
              ? `the threads disagree (${odd[0]}): something unshared from Node after it started (${o.traces.find((t) => t.startsWith('unshare')) ?? '?'}), which moves one thread`
              : `the main thread's ${mainMnt}; the host sees ${v?.ns.mnt ?? '?'} (host ${v?.hostNs.mnt ?? '?'})`,
        };
      },
    },
    {
      id: 'async-sees-sandbox-mount',
      expected: 'a file on a tmpfs mounted by the main thread is read by fs.promises (the threadpool) without trouble',
      check(o) {
        const pass = o.asyncRead.ok && o.asyncRead.text === 'seen by every thread';
        return {
          pass,
          observed: o.asyncRead.ok ? `"${o.asyncRead.text}"` : o.asyncRead.code ?? '?',
          evidence: [...o.traces, `fs.promises.readFile("/tmp/agree/file") -> ${o.asyncRead.ok ? o.asyncRead.text : o.asyncRead.code}`],
          hint: pass ? undefined : `the threadpool got ${o.asyncRead.code}: the mount was made after the main thread left the sandbox's mount namespace (${o.traces[0]}), so the pool threads never see it`,
        };
      },
    },
  ],
  diagrams: [
    {
      kind: 'ns-tree',
      title: "the sandbox's threads",
      from: (o) => o.byThread.mnt!.slice(0, 8).map((t) => ({ label: `${t.tid === o.main ? 'main' : t.comm} (${t.tid})`, ns: { mnt: t.ns, pid: o.byThread.pid!.find((p) => p.tid === t.tid)?.ns ?? '?' } })),
    },
  ],
  sabotage: [{ what: 'unshare(CLONE_NEWNS) from Node before mounting', args: { unshareFirst: true }, fails: ['all-threads-agree', 'async-sees-sandbox-mount'] }],
};

export default { experiments: [usernsEinval, threadpoolTrap, helperAgrees] } satisfies LessonModule;
