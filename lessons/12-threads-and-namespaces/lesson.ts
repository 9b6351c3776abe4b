// Lesson 12: why runc needs C code before the Go runtime starts, shown live in Node. A user
// namespace refuses a multithreaded caller (EINVAL); a mount namespace accepts one and moves only
// the calling thread, so the libuv threadpool keeps reading the old filesystem; nslab's helper
// creates the namespaces before Node exists, and all of Node's threads agree.
import { promises as fsp, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import type { LessonModule, SandboxContext } from '../../src/kit/index.js';
import { childRunning, errnoIs, experiment, freshProc, mainTid, onNewThread, openNs, privateRoot, readOnPool, readOr, startThreadpool, statusLines, threadNs, threads, usernsProbe, type Thread } from '../../src/kit/index.js';

type Task = Thread & { ns: string };

/** Every thread of this process with its name and one namespace link, read by the main thread. */
const tasks = (ctx: SandboxContext, kind: string): Task[] => threads(ctx).map((t) => ({ ...t, ns: threadNs(t.tid, kind) }));
const tline = (t: Task, kind: string): string => `task ${t.tid} (${t.comm}): ${kind} -> ${t.ns}`;

// Experiment 1: unshare(CLONE_NEWUSER) needs a single-threaded caller.

const usernsEinval = experiment({
  id: 'userns-einval',
  title: 'unshare(CLONE_NEWUSER) from Node: EINVAL, because Node has threads',
  sandbox: { namespaces: ['mnt', 'pid'] },
  async run(ctx, args: { utsInstead?: boolean; secondThread?: boolean } = {}) {
    const { sys } = ctx;
    // A /proc of this PID namespace, where the PIDs of the processes we start are found.
    privateRoot(ctx);
    freshProc(ctx);
    await startThreadpool();
    const threads = tasks(ctx, 'user');
    const [threadsLine] = statusLines(ctx, 'self', 'Threads');
    const flag = args.utsInstead ? sys.CLONE_NEWUTS : sys.CLONE_NEWUSER;
    const nodeTrace = sys.unshare(flag).trace;
    // setns() into a user namespace asks the same of its caller. The target is a sleep that nslab's
    // (single-threaded) helper cloned into a new user and UTS namespace: one of our own, where we
    // hold every capability, so a threaded caller is the only thing left to refuse.
    const helper = await ctx.background(ctx.helper, ['run', '-U', '-u', '--', ctx.hostBin('sleep'), '1000']);
    const target = await childRunning(ctx, helper.pid, 'sleep');
    const kind = args.utsInstead ? 'uts' : 'user';
    const fd = openNs(ctx, `/proc/${target}/ns/${kind}`);
    const setns = { open: fd.trace, trace: sys.setns(fd.ret, args.utsInstead ? sys.CLONE_NEWUTS : sys.CLONE_NEWUSER).trace, target: readlinkSync(`/proc/${target}/ns/user`) };
    ctx.note(`nslab-tools userns-probe: unshare(CLONE_NEWUSER) from C${args.secondThread ? ', after starting one more thread' : ', single-threaded'}`);
    const probe = await usernsProbe(ctx, !!args.secondThread);
    return { threads, threadsLine, nodeTrace, setns, ownUser: readlinkSync('/proc/self/ns/user'), probe };
  },
  checks: (check) => [
    errnoIs('node-unshare-user-einval', 'unshare(CLONE_NEWUSER) from Node, with Threads: well above 1, returns EINVAL', 'EINVAL', (o) => ({
      trace: o.nodeTrace,
      evidence: [o.threadsLine, ...o.threads.slice(0, 12).map((t) => `task ${t.tid}: ${t.comm}`)],
      why: `the call asked for ${/CLONE_\w+/.exec(o.nodeTrace)?.[0]}: only a user namespace refuses a threaded caller; the others accept it and move only the calling thread (the next experiment)`,
    })),
    errnoIs('node-setns-user-einval', 'setns() from Node into a user namespace of its own making (where it holds every capability) fails with EINVAL too', 'EINVAL', ({ setns: s, threadsLine }) => ({
      trace: s.trace,
      evidence: [`target: ${s.target}`, s.open, threadsLine],
      why: `the call joined a ${/CLONE_\w+/.exec(s.trace)?.[0]} namespace: only a user namespace refuses a threaded caller; the others accept it and move only the calling thread`,
    })),
    check('single-threaded-ok', 'the same call from a single-threaded process (nslab-tools userns-probe, 1 task) returns 0 and puts it in a new user namespace', (o) => {
      const p = o.probe;
      return {
        pass: p.threads === 1 && p.ret === 0 && !!p.user && p.user !== o.ownUser,
        observed: p.ret === null ? `userns-probe did not report: ${p.out}` : `${p.threads} task(s): unshare = ${p.ret}${p.error ? ` (${p.error})` : ''}; user ${p.user}`,
        evidence: [`userns-probe: tasks=${p.threads} unshare(CLONE_NEWUSER)=${p.ret} ${p.error ?? ''}`, `userns-probe user -> ${p.user}`, `sandbox user -> ${o.ownUser}`],
        hint: p.ret === null
          ? `nslab-tools userns-probe could not run here (exit ${p.code}): ${p.out.split('\n').pop()}`
          : p.threads !== null && p.threads > 1
            ? `userns-probe had ${p.threads} threads when it called unshare, so it got ${p.error} just like Node: one extra thread is enough`
            : `userns-probe: unshare returned ${p.ret} (${p.error})`,
      };
    }),
  ],
  sabotage: [
    { what: 'ask Node for CLONE_NEWUTS instead', args: { utsInstead: true }, fails: ['node-unshare-user-einval', 'node-setns-user-einval'] },
    { what: 'the single-threaded probe starts a second thread first', args: { secondThread: true }, fails: ['single-threaded-ok'] },
  ],
});

// Experiment 2: the threadpool trap.

const DIR = '/tmp/trap';

const threadpoolTrap = experiment({
  id: 'threadpool-trap',
  title: 'unshare(CLONE_NEWNS) in Node moves the main thread and leaves the threadpool behind',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true },
  async run(ctx, args: { noUnshare?: boolean; mountFirst?: boolean } = {}) {
    const { sys } = ctx;
    await startThreadpool(); // before anything moves
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
    const syncRead = readOr(`${DIR}/only-here`).trim() || null;
    const asyncRead = await readOnPool(`${DIR}/only-here`);
    const mntMain = readlinkSync('/proc/thread-self/ns/mnt');
    const mntPool = await fsp.readlink('/proc/thread-self/ns/mnt');
    const pick = (text: string) => text.split('\n').filter((l) => l.includes(` ${DIR} `)).join('\n') || `(no mount at ${DIR})`;
    const mountsMain = pick(readFileSync('/proc/thread-self/mountinfo', 'utf8'));
    const mountsPool = pick(await fsp.readFile('/proc/thread-self/mountinfo', 'utf8'));
    const byThread = tasks(ctx, 'mnt');
    // A thread started only now is cloned from the main thread, and so inherits its namespaces.
    const late = await onNewThread<{ tid: string; mnt: string; read: string }>(`const fs = require('fs');
      let read; try { read = fs.readFileSync('${DIR}/only-here', 'utf8').trim(); } catch (e) { read = e.code; }
      require('worker_threads').parentPort.postMessage({ tid: fs.readlinkSync('/proc/thread-self').split('/').pop(), mnt: fs.readlinkSync('/proc/thread-self/ns/mnt'), read });`);
    return { main: mainTid(), before, traces, syncRead, asyncRead, mntMain, mntPool, byThread, late, mountsMain, mountsPool };
  },
  checks: (check) => [
    check('sync-reads-async-enoent', 'fs.readFileSync (main thread) reads the file; fs.promises.readFile (threadpool) gets ENOENT', (o) => ({
      pass: o.syncRead === 'written by the main thread' && !o.asyncRead.ok && o.asyncRead.code === 'ENOENT',
      observed: `sync: ${o.syncRead === null ? 'failed' : `"${o.syncRead}"`}; async: ${o.asyncRead.ok ? `"${o.asyncRead.text}"` : o.asyncRead.code}`,
      evidence: [...o.traces, `readFileSync("${DIR}/only-here") -> ${o.syncRead ?? 'error'}`, `fs.promises.readFile("${DIR}/only-here") -> ${o.asyncRead.ok ? o.asyncRead.text : o.asyncRead.code}`, `main thread: ${o.mountsMain}`, `pool thread: ${o.mountsPool}`],
      hint: o.asyncRead.ok
        ? o.traces.some((t) => t.startsWith('unshare'))
          ? `the threadpool saw the file: the tmpfs was mounted before the unshare (${o.traces[0]}), in the namespace every thread shares`
          : 'the threadpool saw the file: without unshare(CLONE_NEWNS) every thread is in the same mount namespace, so the mount is everyone\'s'
        : `sync read ${o.syncRead === null ? 'failed' : 'worked'}, async ${o.asyncRead.code}`,
    })),
    check('thread-self-differs', '/proc/thread-self/ns/mnt read by the main thread differs from the one read on the threadpool, which is still the old one', (o) => ({
      pass: o.mntMain !== o.mntPool && o.mntPool === o.before,
      observed: `main ${o.mntMain}, pool ${o.mntPool} (start ${o.before})`,
      evidence: [`before: ${o.before}`, `readlinkSync("/proc/thread-self/ns/mnt") = ${o.mntMain}`, `fs.promises.readlink("/proc/thread-self/ns/mnt") = ${o.mntPool}`],
      hint: o.mntMain === o.before ? 'the main thread never left its mount namespace: there was no unshare(CLONE_NEWNS)' : `main ${o.mntMain}, pool ${o.mntPool}`,
    })),
    check('tasks-split', 'in /proc/self/task/*/ns/mnt, only the main thread is in the new namespace; every other thread is in the old one', (o) => {
      const main = o.byThread.find((t) => t.tid === o.main);
      const others = o.byThread.filter((t) => t.tid !== o.main);
      const moved = others.filter((t) => t.ns !== o.before);
      return {
        pass: !!main && main.ns !== o.before && others.length > 0 && moved.length === 0,
        observed: `main ${main?.ns ?? '?'}; ${others.length - moved.length} of ${others.length} other threads in ${o.before}`,
        evidence: o.byThread.slice(0, 12).map((t) => tline(t, 'mnt')),
        hint: main && main.ns === o.before ? `every thread, the main one included, is still in ${o.before}: nothing unshared` : `${moved.length} other threads moved too`,
      };
    }),
    check('late-thread-follows', 'a thread started after the unshare (a worker_threads Worker) is in the new mount namespace with the main thread, and reads the file', ({ late, mntMain, before }) => ({
      pass: late.mnt === mntMain && late.mnt !== before && late.read === 'written by the main thread',
      observed: `new thread ${late.tid}: ${late.mnt}, read ${late.read}; main ${mntMain}, start ${before}`,
      evidence: [`start: ${before}`, `main thread: ${mntMain}`, `task ${late.tid} (a Worker started after it): mnt -> ${late.mnt}`, `its readFileSync("${DIR}/only-here") -> ${late.read}`],
      hint: mntMain === before ? `the main thread never left ${before} (no unshare(CLONE_NEWNS)), so a new thread has no new namespace to inherit` : `the new thread is in ${late.mnt} and read ${late.read}, the main thread in ${mntMain}`,
    })),
  ],
  sabotage: [
    { what: 'no unshare(CLONE_NEWNS)', args: { noUnshare: true }, fails: ['sync-reads-async-enoent', 'thread-self-differs', 'tasks-split', 'late-thread-follows'] },
    { what: 'mount the tmpfs before the unshare', args: { mountFirst: true }, fails: ['sync-reads-async-enoent'] },
  ],
});

// Experiment 3: what nslab (and runc) do instead.

const KINDS = ['mnt', 'pid', 'user'] as const;

const helperAgrees = experiment({
  id: 'helper-agrees',
  title: "born inside: every thread of the sandbox's Node agrees",
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true },
  async run(ctx, args: { unshareFirst?: boolean } = {}) {
    const { sys } = ctx;
    await startThreadpool();
    const traces: string[] = [];
    if (args.unshareFirst) {
      ctx.note('unshare(CLONE_NEWNS) from Node after all: the main thread leaves');
      traces.push(sys.unshare(sys.CLONE_NEWNS).trace);
      traces.push(sys.mount(null, '/', null, sys.MS_REC | sys.MS_PRIVATE).trace);
    }
    mkdirSync('/tmp/agree', { recursive: true });
    traces.push(sys.mount('tmpfs', '/tmp/agree', 'tmpfs', 0, 'size=1m').trace);
    writeFileSync('/tmp/agree/file', 'seen by every thread\n');
    const asyncRead = await readOnPool('/tmp/agree/file');
    const byThread = Object.fromEntries(KINDS.map((k) => [k, tasks(ctx, k)]));
    await ctx.outside('sandbox');
    return { main: mainTid(), byThread, traces, asyncRead };
  },
  checks: (check) => [
    check('all-threads-agree', "every thread's mnt, pid and user links equal the process's, and its mount namespace is not the host's", (o, outside) => {
      const v = outside['sandbox']?.[0];
      const odd = KINDS.flatMap((k) => o.byThread[k]!.filter((t) => t.ns !== '?' && t.ns !== o.byThread[k]!.find((m) => m.tid === o.main)?.ns).map((t) => `${k}: ${tline(t, k)}`));
      const mainMnt = o.byThread.mnt!.find((t) => t.tid === o.main)?.ns;
      return {
        pass: odd.length === 0 && !!v && mainMnt === v.ns.mnt && v.ns.mnt !== v.hostNs.mnt,
        observed: odd.length ? `${odd.length} thread links differ from the main thread's` : `${o.byThread.mnt!.length} threads, one mount namespace ${mainMnt}; host ${v?.hostNs.mnt ?? '?'}`,
        evidence: [...o.traces.filter((t) => t.startsWith('unshare')), ...o.byThread.mnt!.slice(0, 12).map((t) => tline(t, 'mnt')), ...(v ? [`host sees the sandbox: mnt -> ${v.ns.mnt}`, `host's own: mnt -> ${v.hostNs.mnt}`] : [])],
        hint: odd.length
          ? `the threads disagree (${odd[0]}): something unshared from Node after it started (${o.traces.find((t) => t.startsWith('unshare')) ?? '?'}), which moves one thread`
          : `the main thread's ${mainMnt}; the host sees ${v?.ns.mnt ?? '?'} (host ${v?.hostNs.mnt ?? '?'})`,
      };
    }),
    check('async-sees-sandbox-mount', 'a file on a tmpfs mounted by the main thread is read by fs.promises (the threadpool) without trouble', (o) => ({
      pass: o.asyncRead.ok && o.asyncRead.text === 'seen by every thread',
      observed: o.asyncRead.ok ? `"${o.asyncRead.text}"` : o.asyncRead.code ?? '?',
      evidence: [...o.traces, `fs.promises.readFile("/tmp/agree/file") -> ${o.asyncRead.ok ? o.asyncRead.text : o.asyncRead.code}`],
      hint: `the threadpool got ${o.asyncRead.code}: the mount was made after the main thread left the sandbox's mount namespace (${o.traces[0]}), so the pool threads never see it`,
    })),
  ],
  diagrams: [{ kind: 'ns-tree', title: "the sandbox's threads", from: (o) => o.byThread.mnt!.slice(0, 8).map((t) => ({ label: `${t.tid === o.main ? 'main' : t.comm} (${t.tid})`, ns: { mnt: t.ns, pid: o.byThread.pid!.find((p) => p.tid === t.tid)?.ns ?? '?' } })) }],
  sabotage: [{ what: 'unshare(CLONE_NEWNS) from Node before mounting', args: { unshareFirst: true }, fails: ['all-threads-agree', 'async-sees-sandbox-mount'] }],
});

export default { experiments: [usernsEinval, threadpoolTrap, helperAgrees] } satisfies LessonModule;
