// Lesson 06: set-user-ID. What exec of a setuid-root file does to the Uid: line, what
// no_new_privs and nosuid do to it, how a privilege drop is done so it sticks, and the open file
// descriptor that outlives the drop.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import type { ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
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

interface SetuidArgs {
  noSetuidBit?: boolean;
  skipNnp?: boolean;
  nosuidFlagMissing?: boolean;
}

interface Seen {
  command: string;
  uid: string;
  noNewPrivs: string;
  capEff: string;
  child: string;
  error?: string;
}

interface SetuidObs {
  ls: string;
  mounts: { suid: string; nosuid: string; tmp: string };
  plain: Seen;
  nnp: Seen;
  onNosuid: Seen;
}

/**
 * Starts `argv` as uid 1000 (what `setpriv --reuid=1000 --regid=1000 --clear-groups` does) and
 * reads /proc/PID/status of the setuid program once it runs: it is `runas` and has started its
 * own child, so its credentials are committed. Then kills it and its child.
 */
function seeAsLearner(ctx: Ctx, argv: string[]): Promise<Seen> {
  const command = argv.join(' ');
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', uid: LEARNER.uid, gid: LEARNER.gid });
    let done = false;
    const finish = (seen: Seen): void => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(timer);
      try {
        for (const kid of ctx.proc.readChildren(child.pid!)) process.kill(kid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      child.kill('SIGKILL');
      resolve(seen);
    };
    const poll = setInterval(() => {
      if (!child.pid) return;
      try {
        const st = ctx.proc.readStatus(child.pid);
        const kids = ctx.proc.readChildren(child.pid);
        if (st.name !== 'runas' || kids.length === 0) return;
        finish({
          command,
          uid: st.line('Uid'),
          noNewPrivs: st.line('NoNewPrivs'),
          capEff: st.line('CapEff'),
          child: `child ${kids[0]}: ${ctx.proc.readStatus(kids[0]!).line('Uid')}`,
        });
      } catch {
        /* between execs */
      }
    }, 5);
    const timer = setTimeout(() => finish({ command, uid: '', noNewPrivs: '', capEff: '', child: '', error: 'runas never started its child' }), 5000);
    child.on('error', (err) => finish({ command, uid: '', noNewPrivs: '', capEff: '', child: '', error: err.message }));
    child.on('exit', (code, signal) => {
      if (!done) finish({ command, uid: '', noNewPrivs: '', capEff: '', child: '', error: `exited ${code ?? signal} before it could be seen` });
    });
  });
}

const setuidExec: ExperimentSpec<SetuidObs, SetuidArgs> = {
  id: 'setuid-exec',
  title: 'a setuid-root program run by uid 1000, with no_new_privs, on a nosuid mount',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  requires: ['uid-range'],
  commands: [
    'mount -t tmpfs tmpfs /tmp/suid && cp runas /tmp/suid/ && chown root:root /tmp/suid/runas && chmod 4755 /tmp/suid/runas',
    'setpriv --reuid=1000 --regid=1000 --clear-groups /tmp/suid/runas run -- sleep 5 &',
    'grep Uid /proc/$!/status                      # Uid: 1000 0 0 0',
    'setpriv --reuid=1000 ... setpriv --no-new-privs /tmp/suid/runas ...   # Uid: 1000 1000 1000 1000',
    'mount -t tmpfs -o nosuid tmpfs /tmp/nosuid ...                          # Uid: 1000 1000 1000 1000',
  ],
  predict: {
    question: 'uid 1000 runs a program owned by root with mode 4755 (rwsr-xr-x). What does the Uid: line (real, effective, saved, filesystem) of the running program show?',
    choices: ['1000 1000 1000 1000: the bit only matters to root', '0 0 0 0: it becomes root entirely', '1000 0 0 0: real stays, effective, saved and fs become 0'],
    answer: 2,
    why: 'At execve the kernel copies the file owner into the effective uid, and then the effective uid into the saved set-user-ID; the fs uid follows the effective one. The real uid keeps saying who started it. That is how a setuid program knows who called it, and how it can later drop back.',
  },
  async run(ctx, args = {}) {
    const { sys, proc } = ctx;
    needLearner(ctx);
    // The rootfs's own programs, looked up before anything starts: a missing one skips, naming
    // its package.
    const bin = { true: ctx.bin('true'), ls: ctx.bin('ls'), sleep: ctx.bin('sleep'), setpriv: ctx.bin('setpriv') };
    const probe = await ctx.spawn(ctx.helper, ['run', '--', bin.true]);
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
    const ls = (await ctx.spawn(bin.ls, ['-ln', '/tmp/suid/runas'])).stdout.trim();
    const sleeper = ['run', '--', bin.sleep, '5'];
    ctx.note('as uid 1000: /tmp/suid/runas run -- sleep 5');
    const plain = await seeAsLearner(ctx, ['/tmp/suid/runas', ...sleeper]);
    ctx.note(`as uid 1000: ${args.skipNnp ? '' : 'setpriv --nnp '}/tmp/suid/runas run -- sleep 5`);
    const nnp = await seeAsLearner(ctx, args.skipNnp ? ['/tmp/suid/runas', ...sleeper] : [bin.setpriv, '--nnp', '/tmp/suid/runas', ...sleeper]);
    ctx.note('as uid 1000: /tmp/nosuid/runas run -- sleep 5');
    const onNosuid = await seeAsLearner(ctx, ['/tmp/nosuid/runas', ...sleeper]);
    const tmp = proc.findMount(proc.readMountinfo('self'), '/tmp')?.raw ?? '';
    return { ls, mounts: { suid: suidMount, nosuid: nosuidMount, tmp }, plain, nnp, onNosuid };
  },
  checks: [
    {
      id: 'setuid-sets-euid',
      expected: 'run by uid 1000, the setuid-root program shows Uid: 1000 0 0 0',
      check(o) {
        const s = o.plain;
        const pass = sameIds(s.uid, [1000, 0, 0, 0]);
        return {
          pass,
          observed: s.error ?? tabs(s.uid),
          evidence: [o.ls, s.uid, s.capEff, s.child, o.mounts.suid],
          hint: pass
            ? undefined
            : s.error
              ? `the program could not be observed: ${s.error}`
              : !/^-..s/.test(o.ls)
                ? `the file has no set-user-ID bit (${o.ls.split(/\s+/)[0]}): exec keeps the caller's uid, hence ${tabs(s.uid)}`
                : `the bit is set (${o.ls.split(/\s+/)[0]}) but the effective uid stayed ${ids(s.uid)[1]}`,
        };
      },
    },
    {
      id: 'nnp-keeps-uid',
      expected: 'with no_new_privs set before exec, the same program keeps Uid: 1000 1000 1000 1000 (NoNewPrivs: 1)',
      check(o) {
        const s = o.nnp;
        const pass = sameIds(s.uid, [1000, 1000, 1000, 1000]) && /NoNewPrivs:\s*1/.test(s.noNewPrivs);
        return {
          pass,
          observed: s.error ?? `${tabs(s.uid)}; ${tabs(s.noNewPrivs)}`,
          evidence: [`$ ${s.command}`, s.uid, s.noNewPrivs, s.capEff],
          hint: pass
            ? undefined
            : s.error
              ? `the program could not be observed: ${s.error}`
              : /NoNewPrivs:\s*0/.test(s.noNewPrivs)
                ? `NoNewPrivs is 0, so the kernel honoured the setuid bit (${tabs(s.uid)}): nothing set PR_SET_NO_NEW_PRIVS before the exec`
                : `NoNewPrivs is set but the uid changed: ${tabs(s.uid)}`,
        };
      },
    },
    {
      id: 'nosuid-keeps-uid',
      expected: 'on a mount with the nosuid option, the same setuid-root file keeps Uid: 1000 1000 1000 1000',
      check(o) {
        const s = o.onNosuid;
        const pass = sameIds(s.uid, [1000, 1000, 1000, 1000]);
        const opts = o.mounts.nosuid.split(' ')[5] ?? '';
        return {
          pass,
          observed: s.error ?? tabs(s.uid),
          evidence: [o.mounts.nosuid, s.uid, s.noNewPrivs, `engine's /tmp: ${o.mounts.tmp}`],
          hint: pass
            ? undefined
            : s.error
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
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: dropping privileges, the wrong way and the right way, and the fd that stays.

interface DropArgs {
  partAWithSetresuid?: boolean;
  partBWithSeteuid?: boolean;
  closeFdFirst?: boolean;
}

interface DropObs {
  secretMode: string;
  fdOpen: string;
  a: { call: string; uid: string; openAs1000: string; climb: string; uidAfterClimb: string };
  b: { calls: string[]; uid: string; capEff: string; threads: string[]; backToRoot: string; seteuidRoot: string };
  after: { open: string; read: string; data: string };
}

const SECRET = 'only root may read this\n';

const dropPrivileges: ExperimentSpec<DropObs, DropArgs> = {
  id: 'drop-privileges',
  title: 'seteuid versus setresuid, and the file descriptor opened before the drop',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  requires: ['uid-range'],
  commands: [
    "echo secret > /tmp/secret && chmod 600 /tmp/secret",
    'exec 3</tmp/secret                       # open it while still root',
    '# a program would now call seteuid(1000) ... seteuid(0)   (it can climb back)',
    'exec setpriv --reuid=1000 --regid=1000 --clear-groups sh   # setgroups, setresgid, setresuid',
    'grep Uid /proc/self/status; cat /tmp/secret   # Permission denied',
    'cat <&3                                  # still readable through fd 3',
  ],
  predict: {
    question: 'A root process calls seteuid(1000), does some work, then calls seteuid(0). Does the second call succeed?',
    choices: ['No: a uid-1000 process cannot become root again', 'Yes: the saved set-user-ID is still 0, and a process may set its effective uid to any of real, effective or saved', 'Only if it still has CAP_SETUID in CapEff'],
    answer: 1,
    why: 'seteuid changes only the effective uid: the Uid: line reads 0 1000 0 1000, with real and saved still 0. Any process may move its effective uid between its real, effective and saved uids, so it can climb back. A real drop sets all three with setresuid(1000, 1000, 1000) (after setgroups and setresgid), and then there is no 0 left to return to.',
  },
  run(ctx, args = {}) {
    const { sys, proc } = ctx;
    needLearner(ctx);
    const uidLine = (): string => proc.readStatus('self').line('Uid');
    writeFileSync('/tmp/secret', SECRET, { mode: 0o600 });
    chownSync('/tmp/secret', 0, 0);
    const secretMode = `/tmp/secret mode 600 owner 0 (${SECRET.trim()})`;
    const fd = sys.open('/tmp/secret', sys.O_RDONLY);
    if (args.closeFdFirst) sys.close(fd.ret);

    ctx.note('A. only the effective uid: seteuid(1000), then try to climb back');
    const aCall = args.partAWithSetresuid ? sys.setresuid(1000, 1000, 1000).trace : sys.seteuid(1000).trace;
    const aUid = uidLine();
    const aOpen = sys.open('/tmp/secret', sys.O_RDONLY);
    if (aOpen.ok) sys.close(aOpen.ret);
    const climb = sys.seteuid(0).trace;
    const uidAfterClimb = uidLine();

    ctx.note('B. the full drop: supplementary groups, then gids, then uids (real, effective, saved)');
    const bCalls = args.partBWithSeteuid
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
    const bUid = back.ok ? st.line('Uid') : proc.readStatus('self').line('Uid');

    ctx.note('the root-only file: open it now, and read through the descriptor opened before the drop');
    const openNow = sys.open('/tmp/secret', sys.O_RDONLY);
    if (openNow.ok) sys.close(openNow.ret);
    const r = sys.read(fd.ret, 256);
    return {
      secretMode,
      fdOpen: fd.trace,
      a: { call: aCall, uid: aUid, openAs1000: aOpen.trace, climb, uidAfterClimb },
      b: { calls: bCalls, uid: bUid, capEff: st.line('CapEff'), threads, backToRoot: back.trace, seteuidRoot },
      after: { open: openNow.trace, read: r.trace, data: r.ok ? r.data.toString('utf8') : '' },
    };
  },
  checks: [
    {
      id: 'seteuid-climbs-back',
      expected: 'after seteuid(1000) the Uid: line is 0 1000 0 1000, and seteuid(0) succeeds',
      check(o) {
        const a = o.a;
        const pass = sameIds(a.uid, [0, 1000, 0, 1000]) && / = 0$/.test(a.climb) && sameIds(a.uidAfterClimb, [0, 0, 0, 0]);
        const saved = ids(a.uid)[2];
        return {
          pass,
          observed: `${tabs(a.uid)}; ${a.climb}`,
          evidence: [a.call, a.uid, a.openAs1000, a.climb, a.uidAfterClimb],
          hint: pass
            ? undefined
            : saved !== 0
              ? `the saved uid was already ${saved} (${tabs(a.uid)}) after ${a.call}: with no 0 among real, effective and saved, there is nothing to climb back to`
              : `seteuid(0) did not bring the process back: ${a.climb}, ${tabs(a.uidAfterClimb)}`,
        };
      },
    },
    {
      id: 'setresuid-is-final',
      expected: 'after setgroups, setresgid and setresuid(1000, 1000, 1000): Uid: 1000 1000 1000 1000, and both setresuid(0, 0, 0) and seteuid(0) fail with EPERM',
      check(o) {
        const b = o.b;
        const pass = sameIds(b.uid, [1000, 1000, 1000, 1000]) && /EPERM/.test(b.backToRoot) && /EPERM/.test(b.seteuidRoot);
        return {
          pass,
          observed: `${tabs(b.uid)}; ${b.backToRoot}`,
          evidence: [...b.calls, b.uid, b.capEff, ...b.threads, b.backToRoot, b.seteuidRoot],
          hint: pass
            ? undefined
            : /= 0$/.test(b.backToRoot)
              ? `the process became root again (${b.backToRoot}): the drop (${b.calls.join('; ')}) left a 0 among real and saved uids`
              : `unexpected state after the drop: ${tabs(b.uid)}, ${b.backToRoot}`,
        };
      },
    },
    {
      id: 'fd-survives-drop',
      expected: 'as uid 1000, open("/tmp/secret") fails with EACCES, yet read() on the fd opened as root returns the secret',
      check(o) {
        const t = o.after;
        const denied = /EACCES/.test(t.open);
        const pass = denied && t.data === SECRET;
        return {
          pass,
          observed: `open: ${t.open.split(' = ')[1] ?? '?'}; read: ${t.data ? JSON.stringify(t.data) : t.read.split(' = ')[1] ?? '?'}`,
          evidence: [o.secretMode, o.fdOpen, o.b.uid, t.open, t.read],
          hint: pass
            ? undefined
            : !denied
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
};

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
