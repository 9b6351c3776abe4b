// Lesson 06: set-user-ID. What exec of a setuid-root file does to the Uid: line, what
// no_new_privs and nosuid do to it, how a privilege drop is done so it sticks, and the open file
// descriptor that outlives the drop.
import { chmodSync, chownSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { experiment, mainTid, statusIs, threadLines, threads, watchExec } from '../../src/kit/index.js';
import type { LessonModule, SandboxContext } from '../../src/kit/index.js';

const LEARNER = { uid: 1000, gid: 1000 };
const tabs = (line: string): string => line.replace(/\t/g, ' ');
/** 'Uid:\t1000\t0\t0\t0' -> [1000, 0, 0, 0] */
const ids = (line: string | undefined): number[] => (line ?? '').split(/\s+/).slice(1).map(Number);
const sameIds = (line: string | undefined, want: number[]): boolean => ids(line).join(' ') === want.join(' ');

function needLearner(ctx: SandboxContext): void {
  if (ctx.proc.mapId(ctx.proc.readUidMap('self'), LEARNER.uid) === null) {
    ctx.skip('a setuid demonstration needs two users (root and uid 1000) in the sandbox; this user namespace maps only one uid, which takes root (or newuidmap) to change');
  }
}

// Experiment 1: exec of a setuid-root file, and the two ways to make the kernel ignore the bit.

/** Starts `argv` as uid 1000 (what `setpriv --reuid=1000 --regid=1000 --clear-groups` does) and
 * reads /proc/PID/status of the setuid program once it runs: it is `runas` and has started its
 * own child, so its credentials are committed. Then kills it and its child. */
async function seeAsLearner(ctx: SandboxContext, argv: string[]) {
  ctx.note(`as uid 1000: ${argv.join(' ')}`);
  const look = (pid: number) => {
    const st = ctx.proc.readStatus(pid);
    const kids = ctx.proc.readChildren(pid);
    if (st.name !== 'runas' || kids.length === 0) return undefined;
    return { uid: st.line('Uid'), noNewPrivs: st.line('NoNewPrivs'), capEff: st.line('CapEff'), child: `child ${kids[0]}: ${ctx.proc.readStatus(kids[0]!).line('Uid')}` };
  };
  const w = await watchExec(ctx, argv[0]!, argv.slice(1), look, { ...LEARNER, stop: true, timeoutMs: 5000 });
  return { command: argv.join(' '), ...(w.seen ?? { uid: '', noNewPrivs: '', capEff: '', child: '' }), error: w.error };
}

async function runSetuid(ctx: SandboxContext, args: { noSetuidBit?: boolean; skipNnp?: boolean; nosuidFlagMissing?: boolean } = {}) {
  const { sys, proc } = ctx;
  needLearner(ctx);
  // The rootfs's own programs, looked up before anything starts: a missing one skips, naming
  // its package.
  const [trueBin, ls, sleep, setpriv] = ['true', 'ls', 'sleep', 'setpriv'].map((n) => ctx.bin(n));
  const probe = await ctx.spawn(ctx.helper, ['run', '--', trueBin!]);
  if (probe.code !== 0) ctx.skip(`nslab's helper does not run inside the rootfs here (it is not statically linked): ${probe.stderr.trim()}`);
  const mountAt = (dir: string, flags: number): string => {
    mkdirSync(dir, { recursive: true });
    sys.mount('tmpfs', dir, 'tmpfs', flags, 'mode=755');
    return proc.findMount(proc.readMountinfo('self'), dir)?.raw ?? `no mount at ${dir}`;
  };
  // The sandbox's /tmp is mounted nosuid (as runtimes mount /dev/shm): use mounts of our own.
  const suidMount = mountAt('/tmp/suid', sys.MS_NODEV);
  const nosuidMount = mountAt('/tmp/nosuid', args.nosuidFlagMissing ? sys.MS_NODEV : sys.MS_NOSUID | sys.MS_NODEV);
  const mode = args.noSetuidBit ? 0o755 : 0o4755;
  for (const dir of ['/tmp/suid', '/tmp/nosuid']) {
    copyFileSync(ctx.helper, `${dir}/runas`);
    chownSync(`${dir}/runas`, 0, 0);
    chmodSync(`${dir}/runas`, mode);
  }
  ctx.note(`cp nslab-helper runas; chown root:root runas; chmod ${mode.toString(8)} runas (in /tmp/suid and /tmp/nosuid)`);
  const lsLine = (await ctx.spawn(ls!, ['-ln', '/tmp/suid/runas'])).stdout.trim();
  const sleeper = ['run', '--', sleep!, '5'];
  // The caller's own ids, for the picture: a plain program started the same way.
  const uidOf = (pid: number) => (proc.readStatus(pid).name === 'sleep' ? proc.readStatus(pid).line('Uid') : undefined);
  const caller = (await watchExec(ctx, sleep!, ['5'], uidOf, { ...LEARNER, stop: true, timeoutMs: 5000 })).seen ?? '';
  const plain = await seeAsLearner(ctx, ['/tmp/suid/runas', ...sleeper]);
  const nnp = await seeAsLearner(ctx, [...(args.skipNnp ? [] : [setpriv!, '--nnp']), '/tmp/suid/runas', ...sleeper]);
  const onNosuid = await seeAsLearner(ctx, ['/tmp/nosuid/runas', ...sleeper]);
  const tmp = proc.findMount(proc.readMountinfo('self'), '/tmp')?.raw ?? '';
  return { ls: lsLine, mounts: { suid: suidMount, nosuid: nosuidMount, tmp }, caller, plain, nnp, onNosuid };
}
/** The facts statusIs judges for one watched program: its Uid: line, or why it was not seen. */
const uidFacts = (who: string, s: { uid: string; error?: string }, want: string) => ({ who, status: s.uid, key: 'Uid', want, missing: `the program could not be observed: ${s.error}` });

const setuidExec = experiment({
  id: 'setuid-exec',
  title: 'a setuid-root program run by uid 1000, with no_new_privs, on a nosuid mount',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  requires: ['uid-range'],
  run: runSetuid,
  checks: (check) => [
    statusIs('setuid-sets-euid', 'run by uid 1000, the setuid-root program shows Uid: 1000 0 0 0', ({ plain: s, ls, mounts }) => ({
      ...uidFacts('runas', s, '1000 0 0 0'),
      evidence: [ls, s.capEff, s.child, mounts.suid],
      why: /^-..s/.test(ls) ? `the bit is set (${ls.split(/\s+/)[0]}) but the effective uid did not change` : `the file has no set-user-ID bit (${ls.split(/\s+/)[0]}): exec keeps the caller's uid`,
    })),
    statusIs('nnp-keeps-uid', 'with no_new_privs set before exec, the same program keeps Uid: 1000 1000 1000 1000 (NoNewPrivs: 1)', ({ nnp: s }) => ({
      ...uidFacts('runas', s, '1000 1000 1000 1000'),
      // The flag is part of the claim: the same uid without it would be another story.
      want: (uid) => uid === '1000 1000 1000 1000' && /NoNewPrivs:\s*1/.test(s.noNewPrivs),
      evidence: [`$ ${s.command}`, tabs(s.noNewPrivs), s.capEff],
      why: /NoNewPrivs:\s*0/.test(s.noNewPrivs) ? 'NoNewPrivs is 0, so the kernel honoured the setuid bit: nothing set PR_SET_NO_NEW_PRIVS before the exec' : `with ${tabs(s.noNewPrivs)}`,
    })),
    statusIs('nosuid-keeps-uid', 'on a mount with the nosuid option, the same setuid-root file keeps Uid: 1000 1000 1000 1000', ({ onNosuid: s, mounts }) => ({
      ...uidFacts('runas on the nosuid mount', s, '1000 1000 1000 1000'),
      evidence: [mounts.nosuid, s.noNewPrivs, `engine's /tmp: ${mounts.tmp}`],
      why: /\bnosuid\b/.test(mounts.nosuid.split(' ')[5] ?? '') ? 'the mount is nosuid, yet the uid changed' : `the mount's options are "${mounts.nosuid.split(' ')[5]}": without nosuid the bit counts`,
    })),
  ],
  sabotage: [
    { what: 'chmod 755: no set-user-ID bit', args: { noSetuidBit: true }, fails: ['setuid-sets-euid'] },
    { what: 'forget setpriv --nnp', args: { skipNnp: true }, fails: ['nnp-keeps-uid'] },
    { what: 'mount the second tmpfs without nosuid', args: { nosuidFlagMissing: true }, fails: ['nosuid-keeps-uid'] },
  ],
  diagrams: [{ kind: 'uid-steps', title: 'Uid: of uid 1000 running /tmp/suid/runas (mode 4755, owner 0)', from: (o) => [
    { label: 'uid 1000 runs sleep, not setuid', uid: ids(o.caller) },
    ...([['execve runas', o.plain], ['setpriv --nnp, execve runas', o.nnp], ['execve runas on a nosuid mount', o.onNosuid]] as const).map(([label, r]) => ({ label, uid: ids(r.uid), base: 0 })),
  ] }],
});

// Experiment 2: dropping privileges, the wrong way and the right way, and the fd that stays.

const SECRET = 'only root may read this\n';

function runDrop(ctx: SandboxContext, args: { partAWithSetresuid?: boolean; partARaw?: boolean; partBWithSeteuid?: boolean; closeFdFirst?: boolean } = {}) {
  const { sys, proc } = ctx;
  needLearner(ctx);
  const uidLine = (): string => proc.readStatus('self').line('Uid');
  /** open(2) of the root-only file, closed again at once: its trace is the answer. */
  const tryOpen = (): string => {
    const r = sys.open('/tmp/secret', sys.O_RDONLY);
    if (r.ok) sys.close(r.ret);
    return r.trace;
  };
  writeFileSync('/tmp/secret', SECRET, { mode: 0o600 });
  chownSync('/tmp/secret', 0, 0);
  const fd = sys.open('/tmp/secret', sys.O_RDONLY);
  if (args.closeFdFirst) sys.close(fd.ret);

  // Each of Node's threads has its own credentials. The raw syscall changes the calling thread's
  // only; glibc's wrappers make every thread make the same call. Shown on the effective uid, so
  // the raw call can be undone: the saved uid is still 0.
  const everyThread = () => threads(ctx).map((t) => ({ ...t, uid: threadLines(ctx, t.tid, 'Uid')[0]! }));
  const rawSetresuid = (e: number) => sys.syscall6(sys.sysno('setresuid'), -1, e, -1).trace;
  ctx.note('the raw syscall(SYS_setresuid, -1, 1000, -1), then back to 0');
  const raw = { call: rawSetresuid(1000), threads: everyThread(), undo: rawSetresuid(0) };

  ctx.note('A. only the effective uid: seteuid(1000), then try to climb back');
  const start = uidLine();
  const aCall = args.partAWithSetresuid ? sys.setresuid(1000, 1000, 1000).trace : args.partARaw ? rawSetresuid(1000) : sys.seteuid(1000).trace;
  const aThreads = everyThread();
  const a = { call: aCall, uid: uidLine(), openAs1000: tryOpen(), climb: sys.seteuid(0).trace, uidAfterClimb: uidLine() };

  ctx.note('B. the full drop: supplementary groups, then gids, then uids (real, effective, saved)');
  const calls = args.partBWithSeteuid ? [sys.setegid(1000).trace, sys.seteuid(1000).trace] : [sys.setgroups([]).trace, sys.setresgid(1000, 1000, 1000).trace, sys.setresuid(1000, 1000, 1000).trace];
  const st = proc.readStatus('self');
  // glibc makes every thread follow: each of Node's threads shows the new Uid: line.
  const bThreads = everyThread().slice(1, 3).map((t) => `thread ${t.tid}: ${t.uid}`);
  ctx.note('try to become root again');
  const back = sys.setresuid(0, 0, 0);
  const seteuidRoot = back.ok ? '(setresuid already succeeded)' : sys.seteuid(0).trace;
  const b = { calls, uid: back.ok ? st.line('Uid') : uidLine(), capEff: st.line('CapEff'), threads: bThreads, backToRoot: back.trace, seteuidRoot, now: uidLine() };

  ctx.note('the root-only file: open it now, and read through the descriptor opened before the drop');
  const open = tryOpen();
  const r = sys.read(fd.ret, 256);
  const secretMode = `/tmp/secret mode 600 owner 0 (${SECRET.trim()})`;
  return { secretMode, fdOpen: fd.trace, start, main: mainTid(), raw, aThreads, a, b, after: { open, read: r.trace, data: r.ok ? r.data.toString('utf8') : '' } };
}

const dropPrivileges = experiment({
  id: 'drop-privileges',
  title: 'seteuid versus setresuid, and the file descriptor opened before the drop',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  requires: ['uid-range'],
  run: runDrop,
  checks: (check) => [
    check('seteuid-climbs-back', 'after seteuid(1000) the Uid: line is 0 1000 0 1000, and seteuid(0) succeeds', ({ a }) => {
      const saved = ids(a.uid)[2];
      return {
        pass: sameIds(a.uid, [0, 1000, 0, 1000]) && / = 0$/.test(a.climb) && sameIds(a.uidAfterClimb, [0, 0, 0, 0]),
        observed: `${tabs(a.uid)}; ${a.climb}`,
        evidence: [a.call, a.uid, a.openAs1000, a.climb, a.uidAfterClimb],
        hint: saved !== 0
          ? `the saved uid was already ${saved} (${tabs(a.uid)}) after ${a.call}: with no 0 among real, effective and saved, there is nothing to climb back to`
          : `seteuid(0) did not bring the process back: ${a.climb}, ${tabs(a.uidAfterClimb)}`,
      };
    }),
    check('glibc-moves-every-thread', "the raw syscall(SYS_setresuid, -1, 1000, -1) changes the calling thread's Uid: line only; glibc's seteuid(1000) changes every thread's", ({ main, raw, aThreads, a }) => {
      const euid = (t: { uid: string }) => ids(t.uid)[1];
      const rawMoved = raw.threads.filter((t) => euid(t) === 1000);
      const behind = aThreads.filter((t) => euid(t) !== 1000);
      const show = (t: { tid: number; comm: string; uid: string }) => `task ${t.tid} (${t.tid === main ? 'main' : t.comm}): ${tabs(t.uid)}`;
      return {
        pass: raw.threads.length > 1 && rawMoved.length === 1 && rawMoved[0]!.tid === main && aThreads.length > 1 && behind.length === 0,
        observed: `raw syscall: ${rawMoved.length} of ${raw.threads.length} threads changed; ${a.call.split(' = ')[0]}: ${aThreads.length - behind.length} of ${aThreads.length}`,
        evidence: [raw.call, ...raw.threads.slice(0, 4).map(show), raw.undo, a.call, ...aThreads.slice(0, 4).map(show)],
        hint: behind.length
          ? `after ${a.call}, ${behind.length} of ${aThreads.length} threads still show ${tabs(behind[0]!.uid)}: a raw syscall changes only the thread that makes it, and the others keep running as root. glibc's seteuid makes every thread make the call`
          : `the raw call changed ${rawMoved.length} of ${raw.threads.length} threads (${rawMoved.map(show).join('; ')}), not the calling one alone`,
      };
    }),
    check('setresuid-is-final', 'after setgroups, setresgid and setresuid(1000, 1000, 1000): Uid: 1000 1000 1000 1000, and both setresuid(0, 0, 0) and seteuid(0) fail with EPERM', ({ b }) => ({
      pass: sameIds(b.uid, [1000, 1000, 1000, 1000]) && /EPERM/.test(b.backToRoot) && /EPERM/.test(b.seteuidRoot),
      observed: `${tabs(b.uid)}; ${b.backToRoot}`,
      evidence: [...b.calls, b.uid, b.capEff, ...b.threads, b.backToRoot, b.seteuidRoot],
      hint: /= 0$/.test(b.backToRoot) ? `the process became root again (${b.backToRoot}): the drop (${b.calls.join('; ')}) left a 0 among real and saved uids` : `unexpected state after the drop: ${tabs(b.uid)}, ${b.backToRoot}`,
    })),
    check('fd-survives-drop', 'as uid 1000, open("/tmp/secret") fails with EACCES, yet read() on the fd opened as root returns the secret', ({ after: t, secretMode, fdOpen, b }) => {
      const denied = /EACCES/.test(t.open);
      return {
        pass: denied && t.data === SECRET,
        observed: `open: ${t.open.split(' = ')[1] ?? '?'}; read: ${t.data ? JSON.stringify(t.data) : t.read.split(' = ')[1] ?? '?'}`,
        evidence: [secretMode, fdOpen, b.uid, t.open, t.read],
        hint: !denied
          ? `open succeeded (${t.open}): the process still had root's access when it tried, so the drop did not happen`
          : /EBADF/.test(t.read)
            ? 'read failed with EBADF: the descriptor was closed before the drop, which is exactly the fix the blog post recommends, so nothing leaks'
            : `read did not return the secret: ${t.read}`,
      };
    }),
  ],
  sabotage: [
    { what: 'drop with setresuid in part A (no way back)', args: { partAWithSetresuid: true }, fails: ['seteuid-climbs-back'] },
    { what: 'part A with the raw syscall(SYS_setresuid) instead of glibc: one thread moves', args: { partARaw: true }, fails: ['glibc-moves-every-thread'] },
    { what: 'drop with seteuid only in part B', args: { partBWithSeteuid: true }, fails: ['setresuid-is-final'] },
    { what: 'close the descriptor before dropping', args: { closeFdFirst: true }, fails: ['fd-survives-drop'] },
  ],
  diagrams: [{ kind: 'uid-steps', title: 'Uid: through the two drops', from: (o) => [
    { label: 'root, at the start', uid: ids(o.start) },
    ...([[o.a.call, o.a.uid], [o.a.climb, o.a.uidAfterClimb], [o.b.calls.at(-1)!, o.b.uid], [o.b.backToRoot, o.b.now]] as const).map(([t, u]) => ({ label: t.replace(/ \(.*\)$/, ''), uid: ids(u) })),
  ] }],
});

export default {
  experiments: [setuidExec, dropPrivileges],
  // Exercise mode: the learner makes this state in `nslab shell 06` with real tools, and
  // `nslab check 06` judges it from outside, however it was made.
  exercises: [
    {
      id: 'no-new-privs',
      title: 'A process that can never gain privileges',
      task: 'Start a process with no_new_privs set (setuid bits and file capabilities no longer raise\nanything it executes), and leave it running.',
      hints: [
        'The flag is PR_SET_NO_NEW_PRIVS (prctl); /proc/PID/status shows it as NoNewPrivs. Which util-linux tool sets it before exec?',
        'setpriv --no-new-privs CMD',
        'setpriv --no-new-privs sleep 1000 &',
      ],
      checks: [
        {
          id: 'no-new-privs',
          expected: 'NoNewPrivs: 1 in /proc/PID/status',
          check: (p) => ({
            pass: p.noNewPrivs,
            observed: p.status.NoNewPrivs ?? 'NoNewPrivs: (not printed)',
            evidence: [p.status.NoNewPrivs ?? '', p.status.Seccomp ?? ''],
            hint: `PID ${p.pid} (${p.comm}) has NoNewPrivs: 0, so a setuid-root program it ran would still become root${p.seccomp === 2 ? ' (it has a seccomp filter, which root may install without the flag)' : ''}: start it under setpriv --no-new-privs; children inherit the flag and nothing can clear it`,
          }),
        },
      ],
      solution: ['setpriv --no-new-privs sleep 1000 &'],
      nearMisses: [{ what: 'a plain process', commands: ['sleep 1000 &'], fails: ['no-new-privs'] }],
    },
  ],
} satisfies LessonModule;
