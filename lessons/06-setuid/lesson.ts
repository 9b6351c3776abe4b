// Lesson 06: set-user-ID. What exec of a setuid-root file does to the Uid: line, what
// no_new_privs and nosuid do to it, how a privilege drop is done so it sticks, and the open file
// descriptor that outlives the drop.
import { chmodSync, chownSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { experiment, watchExec } from '../../src/kit/index.js';
import type { LessonModule } from '../../src/lessons/types.js';
import type { SandboxContext } from '../../src/sandbox/types.js';

type Ctx = SandboxContext;

const LEARNER = { uid: 1000, gid: 1000 };
const tabs = (line: string): string => line.replace(/\t/g, ' ');
/** 'Uid:\t1000\t0\t0\t0' -> [1000, 0, 0, 0] */
const ids = (line: string | undefined): number[] => (line ?? '').split(/\s+/).slice(1).map(Number);
const sameIds = (line: string | undefined, want: number[]): boolean => ids(line).join(' ') === want.join(' ');

function needLearner(ctx: Ctx): void {
  if (ctx.proc.mapId(ctx.proc.readUidMap('self'), LEARNER.uid) === null) {
    ctx.skip('a setuid demonstration needs two users (root and uid 1000) in the sandbox; this user namespace maps only one uid, which takes root (or newuidmap) to change');
  }
}

// ---------------------------------------------------------------------------------------------
// Experiment 1: exec of a setuid-root file, and the two ways to make the kernel ignore the bit.

/**
 * Starts `argv` as uid 1000 (what `setpriv --reuid=1000 --regid=1000 --clear-groups` does) and
 * reads /proc/PID/status of the setuid program once it runs: it is `runas` and has started its
 * own child, so its credentials are committed. Then kills it and its child.
 */
async function seeAsLearner(ctx: Ctx, argv: string[]) {
  const look = (pid: number) => {
    const st = ctx.proc.readStatus(pid);
    const kids = ctx.proc.readChildren(pid);
    if (st.name !== 'runas' || kids.length === 0) return undefined;
    return { uid: st.line('Uid'), noNewPrivs: st.line('NoNewPrivs'), capEff: st.line('CapEff'), child: `child ${kids[0]}: ${ctx.proc.readStatus(kids[0]!).line('Uid')}` };
  };
  const w = await watchExec(ctx, argv[0]!, argv.slice(1), look, { ...LEARNER, stop: true, timeoutMs: 5000 });
  return { command: argv.join(' '), ...(w.seen ?? { uid: '', noNewPrivs: '', capEff: '', child: '' }), error: w.error };
}

async function runSetuid(ctx: Ctx, args: { noSetuidBit?: boolean; skipNnp?: boolean; nosuidFlagMissing?: boolean } = {}) {
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
  // The sandbox's /tmp is already nosuid (as runtimes mount /tmp and /dev/shm): use our own.
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
  ctx.note('as uid 1000: /tmp/suid/runas run -- sleep 5');
  const plain = await seeAsLearner(ctx, ['/tmp/suid/runas', ...sleeper]);
  ctx.note(`as uid 1000: ${args.skipNnp ? '' : 'setpriv --nnp '}/tmp/suid/runas run -- sleep 5`);
  const nnp = await seeAsLearner(ctx, [...(args.skipNnp ? [] : [setpriv!, '--nnp']), '/tmp/suid/runas', ...sleeper]);
  ctx.note('as uid 1000: /tmp/nosuid/runas run -- sleep 5');
  const onNosuid = await seeAsLearner(ctx, ['/tmp/nosuid/runas', ...sleeper]);
  const tmp = proc.findMount(proc.readMountinfo('self'), '/tmp')?.raw ?? '';
  return { ls: lsLine, mounts: { suid: suidMount, nosuid: nosuidMount, tmp }, plain, nnp, onNosuid };
}

const setuidExec = experiment({
  id: 'setuid-exec',
  title: 'a setuid-root program run by uid 1000, with no_new_privs, on a nosuid mount',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  requires: ['uid-range'],
  run: runSetuid,
  checks: [
    {
      id: 'setuid-sets-euid',
      expected: 'run by uid 1000, the setuid-root program shows Uid: 1000 0 0 0',
      check: ({ plain: s, ls, mounts }) => ({
        pass: sameIds(s.uid, [1000, 0, 0, 0]),
        observed: s.error ?? tabs(s.uid),
        evidence: [ls, s.uid, s.capEff, s.child, mounts.suid],
        hint: s.error
          ? `the program could not be observed: ${s.error}`
          : !/^-..s/.test(ls)
            ? `the file has no set-user-ID bit (${ls.split(/\s+/)[0]}): exec keeps the caller's uid, hence ${tabs(s.uid)}`
            : `the bit is set (${ls.split(/\s+/)[0]}) but the effective uid stayed ${ids(s.uid)[1]}`,
      }),
    },
    {
      id: 'nnp-keeps-uid',
      expected: 'with no_new_privs set before exec, the same program keeps Uid: 1000 1000 1000 1000 (NoNewPrivs: 1)',
      check: ({ nnp: s }) => ({
        pass: sameIds(s.uid, [1000, 1000, 1000, 1000]) && /NoNewPrivs:\s*1/.test(s.noNewPrivs),
        observed: s.error ?? `${tabs(s.uid)}; ${tabs(s.noNewPrivs)}`,
        evidence: [`$ ${s.command}`, s.uid, s.noNewPrivs, s.capEff],
        hint: s.error
          ? `the program could not be observed: ${s.error}`
          : /NoNewPrivs:\s*0/.test(s.noNewPrivs)
            ? `NoNewPrivs is 0, so the kernel honoured the setuid bit (${tabs(s.uid)}): nothing set PR_SET_NO_NEW_PRIVS before the exec`
            : `NoNewPrivs is set but the uid changed: ${tabs(s.uid)}`,
      }),
    },
    {
      id: 'nosuid-keeps-uid',
      expected: 'on a mount with the nosuid option, the same setuid-root file keeps Uid: 1000 1000 1000 1000',
      check({ onNosuid: s, mounts }) {
        const opts = mounts.nosuid.split(' ')[5] ?? '';
        return {
          pass: sameIds(s.uid, [1000, 1000, 1000, 1000]),
          observed: s.error ?? tabs(s.uid),
          evidence: [mounts.nosuid, s.uid, s.noNewPrivs, `engine's /tmp: ${mounts.tmp}`],
          hint: s.error
            ? `the program could not be observed: ${s.error}`
            : !/\bnosuid\b/.test(opts)
              ? `the mount's options are "${opts}": without nosuid the bit counts, hence ${tabs(s.uid)}`
              : `the mount is nosuid but the uid changed: ${tabs(s.uid)}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'chmod 755: no set-user-ID bit', args: { noSetuidBit: true }, fails: ['setuid-sets-euid'] },
    { what: 'forget setpriv --nnp', args: { skipNnp: true }, fails: ['nnp-keeps-uid'] },
    { what: 'mount the second tmpfs without nosuid', args: { nosuidFlagMissing: true }, fails: ['nosuid-keeps-uid'] },
  ],
});

// ---------------------------------------------------------------------------------------------
// Experiment 2: dropping privileges, the wrong way and the right way, and the fd that stays.

const SECRET = 'only root may read this\n';

function runDrop(ctx: Ctx, args: { partAWithSetresuid?: boolean; partBWithSeteuid?: boolean; closeFdFirst?: boolean } = {}) {
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

  ctx.note('A. only the effective uid: seteuid(1000), then try to climb back');
  const aCall = args.partAWithSetresuid ? sys.setresuid(1000, 1000, 1000).trace : sys.seteuid(1000).trace;
  const a = { call: aCall, uid: uidLine(), openAs1000: tryOpen(), climb: sys.seteuid(0).trace, uidAfterClimb: uidLine() };

  ctx.note('B. the full drop: supplementary groups, then gids, then uids (real, effective, saved)');
  const calls = args.partBWithSeteuid
    ? [sys.setegid(1000).trace, sys.seteuid(1000).trace]
    : [sys.setgroups([]).trace, sys.setresgid(1000, 1000, 1000).trace, sys.setresuid(1000, 1000, 1000).trace];
  const st = proc.readStatus('self');
  // glibc makes every thread follow: each of Node's threads shows the new Uid: line.
  const threads = proc
    .listThreads('self')
    .slice(1, 3)
    .map((tid) => `thread ${tid}: ${proc.readTaskStatus('self', tid).line('Uid')}`);
  ctx.note('try to become root again');
  const back = sys.setresuid(0, 0, 0);
  const seteuidRoot = back.ok ? '(setresuid already succeeded)' : sys.seteuid(0).trace;
  const b = { calls, uid: back.ok ? st.line('Uid') : uidLine(), capEff: st.line('CapEff'), threads, backToRoot: back.trace, seteuidRoot };

  ctx.note('the root-only file: open it now, and read through the descriptor opened before the drop');
  const open = tryOpen();
  const r = sys.read(fd.ret, 256);
  const secretMode = `/tmp/secret mode 600 owner 0 (${SECRET.trim()})`;
  return { secretMode, fdOpen: fd.trace, a, b, after: { open, read: r.trace, data: r.ok ? r.data.toString('utf8') : '' } };
}

const dropPrivileges = experiment({
  id: 'drop-privileges',
  title: 'seteuid versus setresuid, and the file descriptor opened before the drop',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  requires: ['uid-range'],
  run: runDrop,
  checks: [
    {
      id: 'seteuid-climbs-back',
      expected: 'after seteuid(1000) the Uid: line is 0 1000 0 1000, and seteuid(0) succeeds',
      check({ a }) {
        const saved = ids(a.uid)[2];
        return {
          pass: sameIds(a.uid, [0, 1000, 0, 1000]) && / = 0$/.test(a.climb) && sameIds(a.uidAfterClimb, [0, 0, 0, 0]),
          observed: `${tabs(a.uid)}; ${a.climb}`,
          evidence: [a.call, a.uid, a.openAs1000, a.climb, a.uidAfterClimb],
          hint:
            saved !== 0
              ? `the saved uid was already ${saved} (${tabs(a.uid)}) after ${a.call}: with no 0 among real, effective and saved, there is nothing to climb back to`
              : `seteuid(0) did not bring the process back: ${a.climb}, ${tabs(a.uidAfterClimb)}`,
        };
      },
    },
    {
      id: 'setresuid-is-final',
      expected: 'after setgroups, setresgid and setresuid(1000, 1000, 1000): Uid: 1000 1000 1000 1000, and both setresuid(0, 0, 0) and seteuid(0) fail with EPERM',
      check: ({ b }) => ({
        pass: sameIds(b.uid, [1000, 1000, 1000, 1000]) && /EPERM/.test(b.backToRoot) && /EPERM/.test(b.seteuidRoot),
        observed: `${tabs(b.uid)}; ${b.backToRoot}`,
        evidence: [...b.calls, b.uid, b.capEff, ...b.threads, b.backToRoot, b.seteuidRoot],
        hint: /= 0$/.test(b.backToRoot)
          ? `the process became root again (${b.backToRoot}): the drop (${b.calls.join('; ')}) left a 0 among real and saved uids`
          : `unexpected state after the drop: ${tabs(b.uid)}, ${b.backToRoot}`,
      }),
    },
    {
      id: 'fd-survives-drop',
      expected: 'as uid 1000, open("/tmp/secret") fails with EACCES, yet read() on the fd opened as root returns the secret',
      check({ after: t, secretMode, fdOpen, b }) {
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
      },
    },
  ],
  sabotage: [
    { what: 'drop with setresuid in part A (no way back)', args: { partAWithSetresuid: true }, fails: ['seteuid-climbs-back'] },
    { what: 'drop with seteuid only in part B', args: { partBWithSeteuid: true }, fails: ['setresuid-is-final'] },
    { what: 'close the descriptor before dropping', args: { closeFdFirst: true }, fails: ['fd-survives-drop'] },
  ],
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
