// Lesson 01: chroot, what it changes (one process's idea of "/") and what it leaves alone
// (processes, /proc, the tree above the new root). Every experiment chroots itself (pivot: false)
// so each step is a traced syscall; predictions and commands are in lesson.md. All writes go to a
// tmpfs on the rootfs's /tmp inside the sandbox's own mount namespace: none reach the disk.
import { readdirSync, readlinkSync } from 'node:fs';
import { chrootInto, diedOf, errnoIs, exitText, exitWithin, experiment, freshProc, ident, lsOr, mountedAt, must, needRootfs, readOr, rootedInRootfs, rootIs, sameIdent, scratch, showIdent, statusLines } from '../../src/kit/index.js';
import type { LessonModule, SandboxContext } from '../../src/kit/index.js';

/** The decoy's argument: odd enough that nothing else in the sandbox has it. */
const DECOY_SECONDS = '4242.5';

/** A line of mountTrace that mounted proc: our own mount(2) call, or mount(8) run for us. */
const isProcMount = (t: string): boolean => t.includes('"proc"') || t.includes(' -t proc ');

// Experiment 1: /proc inside a chroot, and a process outside it.

/** Sabotages: proc on the rootfs before the chroot (not empty at the first look); a proc of a separate PID namespace. */
async function procRun(ctx: SandboxContext, args: { procPremounted?: boolean; procFromOtherPidns?: boolean } = {}) {
  const rootfs = needRootfs(ctx);
  // The decoy: a process of our own, started outside the chroot. It is the only process this
  // lesson ever signals.
  const sleep = ctx.hostBin('sleep');
  const decoy = await ctx.background(sleep, [DECOY_SECONDS]);
  ctx.note(`decoy: ${sleep} ${DECOY_SECONDS}, PID ${decoy.pid}, rooted at the sandbox's /, outside the chroot`);
  const mountTrace = [scratch(ctx, `${rootfs}/tmp`, 'mode=1777')];
  if (args.procPremounted) mountTrace.push(freshProc(ctx, `${rootfs}/proc`));
  if (args.procFromOtherPidns) {
    // What a PID namespace changes: this proc is mounted by the host's mount(8), run by the helper
    // as PID 1 of a new, separate PID namespace (same mount namespace, so the mount is ours to
    // see), so it lists that namespace's processes, not ours.
    ctx.note('sabotage: proc is mounted from inside a fresh PID namespace of its own');
    const mount = [ctx.hostBin('mount'), '-t', 'proc', 'proc', `${rootfs}/proc`];
    const r = await ctx.spawn(ctx.helper, ['run', '-p', '--', ...mount]);
    if (r.code !== 0) throw new Error(`mounting proc from a new PID namespace failed: ${r.stderr.trim()}`);
    mountTrace.push(`${mount.join(' ')}, run as PID 1 of a new PID namespace (nslab-helper run -p): exit ${r.code}`);
  }
  // The rootfs's /proc as the sandbox's own procfs lists it, in case the one mounted there
  // has no /proc/self to read (a procfs of another PID namespace has no entry for us).
  const procLineAt = (path: string) => readOr('/proc/self/mountinfo').split('\n').find((l) => l.split(' ')[4] === path);
  const procLineOutside = procLineAt(`${rootfs}/proc`);
  chrootInto(ctx, rootfs);
  const procBefore = readdirSync('/proc');
  if (!args.procPremounted && !args.procFromOtherPidns) mountTrace.push(freshProc(ctx));
  const procAfter = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  const readBefore = '(read before the chroot: this /proc has no /proc/self, since no process of ours is in its PID namespace)';
  const procMountLine = procLineAt('/proc') ?? (procLineOutside ? `${procLineOutside} ${readBefore}` : '(no /proc line: /proc/self/mountinfo unreadable)');

  // Find the decoy the way a learner would: by its command line, in the chroot's /proc.
  const found = procAfter.map(Number).find((pid) => readOr(`/proc/${pid}/cmdline`).split('\0')[1] === DECOY_SECONDS) ?? null;
  // ls /proc/PID/root: the decoy's root directory, reached from inside the chroot.
  const throughRoot = found === null ? [] : lsOr(`/proc/${found}/root`);
  const status = found === null ? [] : statusLines(ctx, found, 'Name', 'State', 'Pid', 'PPid', 'NSpid');
  // (dev, ino) of /proc/PID/root for the decoy and for ourselves, seen inside the chroot.
  const root = found === null ? null : ident(`/proc/${found}/root`);
  const seen = { pid: decoy.pid, found, status, root, myRoot: ident('/proc/self/root'), throughRoot };

  ctx.note(found === null ? `no process with "${DECOY_SECONDS}" in its command line is listed in this /proc: nothing to signal` : `signal the decoy (found as PID ${found} in the chroot's /proc) from inside the chroot`);
  const r = found === null ? null : ctx.sys.kill(found, ctx.sys.SIGTERM);
  const exit = r ? await exitWithin(decoy.exited, 3000) : null;
  return { rootfs, procBefore, procAfter, mountTrace, procMountLine, decoy: seen, kill: r && { trace: r.trace, ok: r.ok }, exit };
}

const procInChroot = experiment({
  id: 'proc-in-chroot',
  title: 'an empty /proc, then every process, and a signal across the chroot',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  run: procRun,
  checks: (check) => [
    check('proc-empty-until-mounted', "/proc inside the chroot is empty until proc is mounted on it; afterwards it lists PIDs", (obs) => {
      const before = obs.procBefore.length ? obs.procBefore.slice(0, 8).join(' ') + (obs.procBefore.length > 8 ? ' ...' : '') : '(empty)';
      return {
        pass: obs.procBefore.length === 0 && obs.procAfter.length > 0,
        observed: `before: ${obs.procBefore.length} entries; after mount: ${obs.procAfter.length} PIDs`,
        evidence: [`ls /proc (before mounting): ${before}`, ...obs.mountTrace.filter(isProcMount), obs.procMountLine, `ls /proc (after): ${obs.procAfter.join(' ')}`],
        hint: obs.procBefore.length
          ? `/proc already held ${obs.procBefore.length} entries (${before}) at the first look: something mounted proc on ${obs.rootfs}/proc before the chroot (${obs.mountTrace.find(isProcMount) ?? 'see the mountinfo line'}). An unmounted /proc is just an empty directory.`
          : 'the mount of proc listed no PIDs at all: the trace shows which mount call ran',
      };
    }),
    check('decoy-visible', "the decoy started outside the chroot shows up in the chroot's /proc, rooted outside it", (obs) => {
      const d = obs.decoy;
      const through = d.throughRoot.slice(0, 14).join(' ') + (d.throughRoot.length > 14 ? ' ...' : '');
      const at = `/proc/${d.found ?? d.pid}/root`;
      return {
        pass: d.found !== null && d.found === d.pid && d.status.length > 0 && !!d.root && !!d.myRoot && !sameIdent(d.root, d.myRoot),
        observed: d.found === null ? `decoy PID ${d.pid} not listed among ${obs.procAfter.length} PIDs` : `PID ${d.found} listed; its root ${showIdent(d.root)} is not ours ${showIdent(d.myRoot)}`,
        evidence: [obs.procMountLine, ...d.status, `stat ${at}: ${showIdent(d.root)}`, `stat /proc/self/root: ${showIdent(d.myRoot)}`, `ls ${at}: ${through || '(nothing)'}`],
        hint: d.found === null
          ? `this /proc lists PIDs ${obs.procAfter.join(' ') || '(none)'}, but not the decoy (PID ${d.pid} in our namespace). A procfs shows the PID namespace of the process that mounted it: this one was mounted from another PID namespace (${obs.procMountLine}). That is exactly what a container's PID namespace is for.`
          : d.found !== d.pid
            ? `found PID ${d.found}, but the decoy is PID ${d.pid}`
            : `the decoy's root ${showIdent(d.root)} is the same directory as ours ${showIdent(d.myRoot)}: it was not started outside the chroot`,
      };
    }),
    check('decoy-killed-from-chroot', 'kill(PID, SIGTERM) from inside the chroot reaches the decoy, which dies of SIGTERM', (obs) => {
      const how = obs.kill ? exitText(obs.exit) : 'untouched';
      return {
        pass: !!obs.kill?.ok && diedOf(obs.exit, 'SIGTERM'),
        observed: obs.kill ? `${obs.kill.trace}; decoy ${how}` : 'no kill was sent',
        evidence: [...obs.decoy.status, obs.kill?.trace ?? '(no kill call in the trace)', `decoy: ${how}`],
        hint: !obs.kill
          ? `the chroot's /proc never listed the decoy, so there was no PID to signal: its /proc came from another PID namespace (${obs.procMountLine}). A PID namespace, not chroot, is what hides processes.`
          : !obs.kill.ok
            ? `kill failed: ${obs.kill.trace}`
            : `kill returned 0 but the decoy was ${how}`,
      };
    }),
  ],
  sabotage: [
    { what: 'mount proc on the rootfs before looking', args: { procPremounted: true }, fails: ['proc-empty-until-mounted'] },
    { what: "mount a /proc that belongs to a separate PID namespace (what a container's PID namespace does)", args: { procFromOtherPidns: true }, fails: ['decoy-visible', 'decoy-killed-from-chroot'] },
  ],
});

// Experiment 2: the classic escape.

/** The cwd's (dev, ino), its ".."'s, and its name in ".." (found by inode, as the old pwd did). */
function cwdStep() {
  const [d, up] = [ident('.')!, ident('..')!];
  const names = (() => { try { return readdirSync('..'); } catch { return []; } })();
  return { dev: d.dev, ino: d.ino, parent: up, name: sameIdent(d, up) ? '' : (names.find((n) => sameIdent(ident(`../${n}`), d)) ?? '?') };
}

/** Sabotages: never chroot at all; chdir into the escape directory first, so the working directory
 * is inside the new root (where chroot(1)'s chdir("/") after its chroot puts it too). */
async function escapeRun(ctx: SandboxContext, args: { skipChroot?: boolean; chdirIntoNewRoot?: boolean } = {}) {
  const { sys } = ctx;
  const rootfs = needRootfs(ctx);
  const rootfsIdent = ident(rootfs);
  // A procfs in the rootfs, so /proc/self/root can be read from inside the chroot.
  const steps = [scratch(ctx, `${rootfs}/tmp`, 'mode=1777'), freshProc(ctx, `${rootfs}/proc`)];
  if (!args.skipChroot) steps.push(...chrootInto(ctx, rootfs));
  else ctx.note('sabotage: no chroot at all');
  // The rootfs's paths as this process names them: below its root, or (no chroot) below the real one.
  const top = args.skipChroot ? rootfs : '';
  const selfRoot = { link: readlinkSync(`${top}/proc/self/root`), ident: ident(`${top}/proc/self/root`) };
  await ctx.outside('chrooted');

  ctx.note('the escape: a new directory, chroot into it, keep the working directory outside');
  const inner = `${top}/tmp/escape`;
  steps.push(must(sys.mkdir(inner, 0o755), 'mkdir').trace);
  const jail = { path: `${rootfs}/tmp/escape`, ...ident(inner)! };
  if (args.chdirIntoNewRoot) {
    ctx.note('sabotage: chdir into the new root first, which leaves no working directory above it');
    steps.push(must(sys.chdir(inner), 'chdir').trace);
  }
  steps.push(must(sys.chroot(inner), 'chroot into the subdirectory').trace);
  let climbs = 0;
  const walk = [cwdStep()];
  // Climb until ".." is "." itself: that only happens at a root, ours or the namespace's.
  while (climbs < 64 && !sameIdent(ident('.'), ident('..'))) {
    steps.push(must(sys.chdir('..'), 'chdir ..').trace);
    climbs++;
    walk.push(cwdStep());
  }
  steps.push(...chrootInto(ctx, '.'));
  const listing = readdirSync('/').sort();
  await ctx.outside('escaped');
  return { rootfs, rootfsIdent, selfRoot, steps, climbs, listing, jail, walk };
}

const escapeChroot = experiment({
  id: 'chroot-escape',
  title: 'mkdir, chroot into it, chdir("..") until it stops, chroot(".")',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  run: escapeRun,
  checks: (check) => [
    rootIs('chroot-moves-root', "after chroot, the host sees /proc/PID/root pointing at the rootfs, not at its own /", (obs) => ({
      checkpoint: 'chrooted',
      want: { path: obs.rootfs, ident: obs.rootfsIdent },
      evidence: obs.steps.filter((s) => s.startsWith('chroot(')).slice(0, 1),
      atHost: `no chroot(${JSON.stringify(obs.rootfs)}) ran before the checkpoint (the trace shows none)`,
    })),
    check('self-root-reads-slash', "inside the chroot, readlink /proc/self/root reads '/' although it leads to the rootfs, whose path the host reads from the same link", ({ selfRoot: me, rootfs, rootfsIdent }, outside) => {
      const host = outside['chrooted']?.[0];
      const atRootfs = sameIdent(me.ident, rootfsIdent);
      return {
        pass: me.link === '/' && atRootfs && !!host && host.rootLink !== '/',
        observed: `inside: ${me.link}; host: ${host?.rootLink ?? '(no view)'}`,
        evidence: [`inside: readlink /proc/self/root = ${me.link}; stat: ${showIdent(me.ident)}`, `stat ${rootfs} (before the chroot): ${showIdent(rootfsIdent)}`, `host: readlink /proc/${host?.pid}/root = ${host?.rootLink}`],
        hint: atRootfs
          ? `inside the link read ${me.link}, the host read ${host?.rootLink ?? 'nothing'}`
          : `/proc/self/root ${showIdent(me.ident)} is not the rootfs ${showIdent(rootfsIdent)}: no chroot ran, so this / is the real one and the host reads ${host?.rootLink} as well. From inside the link reads / either way: only (dev, ino) or the host can tell how deep a root is`,
      };
    }),
    rootIs('escape-reaches-host-root', "after the escape, /proc/PID/root has the same (dev, inode) as the host's / and reads '/'", (obs) => ({
      checkpoint: 'escaped',
      want: 'host',
      evidence: [...obs.steps.filter((s) => s.startsWith('chroot(') || s.startsWith('mkdir(')), `chdir("..") x ${obs.climbs}`, `ls / after: ${obs.listing.join(' ')}`],
      why: `after ${obs.climbs} chdir("..") calls, ".." stopped at once because the working directory was already inside the new root (${obs.steps.find((s) => s.startsWith('chdir("/') && s.includes('escape')) ?? 'chdir into it'}). The escape needs a working directory outside the root.`,
    })),
  ],
  sabotage: [
    { what: 'skip the chroot: the process is never confined', args: { skipChroot: true }, fails: ['chroot-moves-root', 'self-root-reads-slash'] },
    { what: 'chdir into the escape directory before chroot: the working directory is inside the new root', args: { chdirIntoNewRoot: true }, fails: ['escape-reaches-host-root'] },
  ],
  // A directory's path from the names found on the way up: the top first.
  diagrams: [{ kind: 'path-walk', title: 'The escape, one chdir("..") at a time', from: (o) => ({ root: o.jail, walk: o.walk.map((w, i) => ({ ...w, path: `/${o.walk.slice(i, -1).map((x) => x.name).reverse().join('/')}` })), then: 'chroot(".")' }) }],
});

// Experiment 3: chroot needs CAP_SYS_CHROOT.

// capset acts on the calling thread only; /proc/thread-self shows that same thread.
const capLine = (key: string): string => readOr('/proc/thread-self/status').split('\n').find((l) => l.startsWith(`${key}:`)) ?? `${key}: (unreadable)`;

/** Sabotages: CAP_SYS_CHROOT left in the effective set; dropped from the permitted set too, for good. */
function capRun(ctx: SandboxContext, args: { keepCap?: boolean; dropPermitted?: boolean } = {}) {
  const { sys } = ctx;
  const rootfs = needRootfs(ctx);
  const start = must(sys.capget(), 'capget');
  const capEffBefore = capLine('CapEff');
  const bit = 1n << BigInt(sys.CAP_SYS_CHROOT);
  let capsetTrace = '(no capset call: CAP_SYS_CHROOT left in place)';
  if (!args.keepCap) {
    ctx.note('clear CAP_SYS_CHROOT from the effective set (and, in the sabotage, from the permitted set)');
    const permitted = args.dropPermitted ? start.permitted & ~bit : start.permitted;
    capsetTrace = must(sys.capset({ effective: start.effective & ~bit, permitted, inheritable: start.inheritable }), 'capset').trace;
  }
  const [capEffDropped, capPrmDropped, dropped] = [capLine('CapEff'), capLine('CapPrm'), sys.capget()];
  const kept = { eff: (dropped.effective & bit) !== 0n, prm: (dropped.permitted & bit) !== 0n };
  // A handle on the current root, to come back to if the chroot below works (the sabotage).
  const top = must(sys.open('/', sys.O_RDONLY | sys.O_DIRECTORY), 'open /');
  const denied = sys.chroot(rootfs);
  if (denied.ok) {
    // Step back out, so the next call is the same call again.
    must(sys.fchdir(top.ret), 'fchdir to the old root');
    must(sys.chroot('.'), 'chroot back');
  }
  sys.close(top.ret);
  ctx.note('raise CAP_SYS_CHROOT again from the permitted set, then the same chroot');
  const now = sys.capget();
  sys.capset({ effective: now.effective | (now.permitted & bit), permitted: now.permitted, inheritable: now.inheritable });
  const capEffRaised = capLine('CapEff');
  const allowed = sys.chroot(rootfs).trace;
  return { capEffBefore, capsetTrace, capEffDropped, capPrmDropped, kept, capEffRaised, denied: denied.trace, allowed };
}

const needsCap = experiment({
  id: 'needs-cap-sys-chroot',
  title: 'chroot without CAP_SYS_CHROOT: EPERM',
  sandbox: { namespaces: ['mnt'], rootfs: true, pivot: false },
  run: capRun,
  checks: (check) => [
    errnoIs('eperm-without-cap', 'with CAP_SYS_CHROOT (bit 18) clear in CapEff, chroot() fails with EPERM', 'EPERM', (obs) => ({
      trace: obs.denied,
      evidence: [obs.capEffBefore, obs.capsetTrace, obs.capEffDropped],
      why: obs.kept.eff ? `CapEff still has bit 18 set (${obs.capEffDropped}), so chroot was allowed. capset() must clear CAP_SYS_CHROOT from the effective set first.` : `CAP_SYS_CHROOT was clear in CapEff (${obs.capEffDropped})`,
    })),
    errnoIs('cap-raised-again-works', 'raising CAP_SYS_CHROOT back from CapPrm into CapEff makes the same chroot() succeed', 0, (obs) => ({
      trace: obs.allowed,
      evidence: [obs.capPrmDropped, obs.capEffRaised],
      why: obs.kept.prm
        ? `CapEff is ${obs.capEffRaised}`
        : `the bit was dropped from the permitted set too (${obs.capPrmDropped}): capset can only raise into CapEff what CapPrm still holds. A capability dropped from CapPrm is gone for good (short of exec'ing a privileged file).`,
    })),
  ],
  sabotage: [
    { what: 'keep CAP_SYS_CHROOT in the effective set', args: { keepCap: true }, fails: ['eperm-without-cap'] },
    { what: 'drop CAP_SYS_CHROOT from the permitted set as well', args: { dropPermitted: true }, fails: ['cap-raised-again-works'] },
  ],
});

export default {
  experiments: [procInChroot, escapeChroot, needsCap],
  // Exercise mode: the learner makes this state in `nslab shell 01` with real tools, and
  // `nslab check 01` judges it from outside, however it was made.
  exercises: [
    {
      id: 'chroot-with-proc',
      title: 'A process chrooted into the rootfs, with its own /proc',
      task: 'Start a process whose root directory is the lab\'s rootfs ($NSLAB_ROOTFS), and give it a\nworking /proc there first, so ps would work inside. Leave it running.',
      hints: [
        'chroot DIR CMD runs CMD with DIR as its /. Which sleep does it run: the host\'s or the rootfs\'s?',
        'An empty directory is all /proc is until something is mounted on it: mount -t proc proc "$NSLAB_ROOTFS/proc".',
        'mount -t proc proc "$NSLAB_ROOTFS/proc"; chroot "$NSLAB_ROOTFS" /bin/sleep 1000 &',
      ],
      checks: [
        rootedInRootfs('rooted-in-rootfs', '/proc/PID/root is the rootfs directory (same device and inode)', (p, rootfs) =>
          p.rootIsHost
            ? `PID ${p.pid} (${p.comm}) still has the host's / as its root: start it with chroot "$NSLAB_ROOTFS" /bin/sleep 1000 &`
            : `PID ${p.pid} (${p.comm}) is rooted somewhere else (${p.root.link}), not in ${rootfs}: chroot into "$NSLAB_ROOTFS" itself`,
        ),
        mountedAt('proc-inside', 'a proc filesystem is mounted at /proc inside its root', '/proc', 'proc', (proc) =>
          proc
            ? `/proc inside its root is a ${proc.fsType}, not proc: mount -t proc proc "$NSLAB_ROOTFS/proc"`
            : `inside the chroot /proc is just the rootfs's empty directory, so ps finds nothing: mount -t proc proc "$NSLAB_ROOTFS/proc" before the chroot (the mount stays in this shell's mount namespace)`,
        ),
      ],
      solution: ['mount -t proc proc "$NSLAB_ROOTFS/proc"', 'chroot "$NSLAB_ROOTFS" /bin/sleep 1000 &'],
      nearMisses: [
        { what: 'chroot without mounting /proc first', commands: ['chroot "$NSLAB_ROOTFS" /bin/sleep 1000 &'], fails: ['proc-inside'] },
        { what: 'proc mounted, but no chroot', commands: ['mount -t proc proc "$NSLAB_ROOTFS/proc"', 'sleep 1000 &'], fails: ['rooted-in-rootfs'] },
      ],
    },
  ],
} satisfies LessonModule;
