// Lesson 04: pivot_root, the way runc gives a container its own /.
// Every experiment here runs with pivot: false, so the learner sees each step of the sequence
// as a traced syscall made by the experiment itself.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { SandboxContext } from '../../src/sandbox/types.js';

type Sys = SandboxContext['sys'];
type Ident = { dev: number; ino: number };

const ident = (path: string): Ident => {
  const st = statSync(path);
  return { dev: st.dev, ino: st.ino };
};
const same = (a: Ident | undefined, b: Ident | undefined): boolean => !!a && !!b && a.dev === b.dev && a.ino === b.ino;
const show = (i: Ident | undefined): string => (i ? `(dev ${i.dev}, ino ${i.ino})` : '(none)');

/** What the learner's sabotage switches can skip in runc's sequence. */
interface EnterArgs {
  skipTmpfs?: boolean;
  skipPivot?: boolean;
  skipDetach?: boolean;
  useChroot?: boolean;
}

/**
 * runc's way in (libcontainer/rootfs_linux.go): private /, bind the rootfs onto itself, mount
 * /proc and /tmp while the old paths still resolve, pivot_root(".", "."), cut propagation of
 * the old root, detach it. Returns the trace lines of the calls that matter to the checks.
 */
function enterRootfs(sys: Sys, rootfs: string, args: EnterArgs): string[] {
  const steps: string[] = [];
  const step = (r: { trace: string; ok: boolean }, what: string): void => {
    steps.push(r.trace);
    if (!r.ok) throw new Error(`${what} failed: ${r.trace}`);
  };
  step(sys.mount(null, '/', null, sys.MS_REC | sys.MS_PRIVATE, null), 'make / rprivate');
  if (args.useChroot) {
    // Lesson 01's way: no bind, no pivot, just a different idea of "/" for this process. /proc
    // and /tmp are mounted all the same, so nothing is written to the rootfs on disk.
    step(sys.mount('proc', `${rootfs}/proc`, 'proc', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null), 'mount proc');
    step(sys.mount('tmpfs', `${rootfs}/tmp`, 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'mode=1777'), 'mount tmpfs');
    step(sys.chroot(rootfs), 'chroot');
    step(sys.chdir('/'), 'chdir');
    process.chdir('/');
    return steps;
  }
  step(sys.mount(rootfs, rootfs, null, sys.MS_BIND | sys.MS_REC, null), 'bind the rootfs onto itself');
  const fd = sys.open(rootfs, sys.O_RDONLY | sys.O_DIRECTORY);
  step(fd, 'open the rootfs');
  step(sys.fchdir(fd.ret), 'fchdir');
  step(sys.mount('proc', 'proc', 'proc', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null), 'mount proc');
  if (!args.skipTmpfs) step(sys.mount('tmpfs', 'tmp', 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'mode=1777'), 'mount tmpfs');
  if (!args.skipPivot) {
    step(sys.pivotRoot('.', '.'), 'pivot_root');
    if (!args.skipDetach) {
      step(sys.mount(null, '.', null, sys.MS_SLAVE | sys.MS_REC, null), 'make the old root rslave');
      step(sys.umount2('.', sys.MNT_DETACH), 'detach the old root');
    }
  }
  step(sys.chdir('/'), 'chdir /');
  sys.close(fd.ret);
  process.chdir('/');
  return steps;
}

// ---------------------------------------------------------------------------------------------
// Experiment 1: the sequence, and what it leaves behind.

interface PivotObs {
  steps: string[];
  before: string[];
  after: string[];
  beforeIds: number[];
  file: string;
  host: { hostTmp: boolean; rootfsDisk: boolean; viaProcRoot: boolean; rootfsIdent: Ident };
}

const PIVOT_LABEL = 'after-write';

const pivotSequence: ExperimentSpec<PivotObs, EnterArgs> = {
  id: 'bind-and-pivot',
  title: 'private /, bind, pivot_root, mount /proc, detach the old root',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  commands: [
    'sudo unshare --mount --pid --fork --propagation private bash',
    'mount --rbind "$ROOTFS" "$ROOTFS"      # pivot_root wants a mount point',
    'cd "$ROOTFS" && mount -t proc proc proc && mount -t tmpfs tmpfs tmp',
    'pivot_root . .                       # old root now sits on top of the new one',
    'mount --make-rslave . && umount -l .  # detach it',
    'cd / && cat /proc/self/mountinfo',
  ],
  predict: {
    question:
      'After pivot_root and detaching the old root, how many of the host\'s mounts (/sys, /proc of the host, /home, ...) are still listed in the sandbox\'s /proc/self/mountinfo?',
    choices: [
      'All of them: a mount namespace starts as a copy of the host\'s table',
      'Only those that sit under the rootfs directory',
      'None: only the mounts made for the sandbox are left',
    ],
    answer: 2,
    why: 'The new mount namespace did start as a copy of every host mount. pivot_root moved the whole old tree to sit on top of the new root, and umount2(".", MNT_DETACH) cut that tree away in one go, so what remains is the bind of the rootfs and the proc and tmpfs mounted inside it.',
  },
  run(ctx, args = {}) {
    const { sys, proc } = ctx;
    const rootfs = ctx.rootfs ?? ctx.skip("this experiment needs nslab's rootfs");
    const before = proc.readMountinfo('self');
    ctx.note('the mount table this sandbox started with: a copy of the host\'s');
    const steps = enterRootfs(sys, rootfs, args);
    const after = proc.readMountinfo('self');
    const file = `nslab-04-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    writeFileSync(`/tmp/${file}`, 'written inside the sandbox\n');
    ctx.note(`wrote /tmp/${file} inside; now the host looks for it`);
    return ctx.outside(`${PIVOT_LABEL} ${file} ${rootfs}`).then(({ hook }) => ({
      steps,
      before: before.map((m) => m.raw),
      after: after.map((m) => m.raw),
      beforeIds: before.map((m) => m.id),
      file,
      host: hook as PivotObs['host'],
    }));
  },
  // On the host: is the file anywhere the host can see it without going through the sandbox?
  // Whatever a wrong setup leaked out is removed here, so no run leaves anything behind.
  outside(label, views) {
    const [, file, ...rest] = label.split(' ');
    const rootfs = rest.join(' ');
    if (!file || !rootfs) return undefined;
    const hostPath = `/tmp/${file}`;
    const diskPath = `${rootfs}/tmp/${file}`;
    const result = {
      hostTmp: existsSync(hostPath),
      rootfsDisk: existsSync(diskPath),
      viaProcRoot: existsSync(`/proc/${views[0]!.pid}/root/tmp/${file}`),
      rootfsIdent: ident(rootfs),
    };
    for (const p of [hostPath, diskPath]) if (existsSync(p)) rmSync(p, { force: true });
    return result;
  },
  checks: [
    {
      id: 'only-sandbox-mounts',
      expected: 'no mount inherited from the host is left in mountinfo after the detach',
      check(obs) {
        const inherited = new Set(obs.beforeIds);
        const left = obs.after.filter((l) => inherited.has(Number(l.split(' ')[0])));
        const pass = left.length === 0 && obs.after.length > 0;
        const detached = obs.steps.some((s) => s.startsWith('umount2('));
        const pivoted = obs.steps.some((s) => s.startsWith('pivot_root('));
        return {
          pass,
          observed: `${obs.after.length} mounts after, ${left.length} of them from the host's ${obs.before.length}`,
          evidence: obs.after,
          hint: pass
            ? undefined
            : !pivoted
              ? `pivot_root was never called: the process is still rooted in the host's tree, so all ${left.length} inherited mounts are visible (first: ${left[0] ?? '?'})`
              : !detached
                ? `pivot_root(".", ".") put the old root on top of the new one, but nothing detached it: ${left.length} host mounts remain, e.g. "${left[0]}". umount2(".", MNT_DETACH) is missing`
                : `${left.length} inherited mounts survived, e.g. "${left[0]}"`,
        };
      },
    },
    {
      id: 'tmp-file-stays-inside',
      expected: "a file written to the sandbox's /tmp is absent from the host's /tmp and from the rootfs on disk, and visible only through /proc/PID/root",
      check(obs) {
        const h = obs.host;
        const pass = !!h && !h.hostTmp && !h.rootfsDisk && h.viaProcRoot;
        const where = h
          ? [`host /tmp/${obs.file}: ${h.hostTmp ? 'present' : 'absent'}`, `rootfs/tmp on disk: ${h.rootfsDisk ? 'present' : 'absent'}`, `/proc/PID/root/tmp: ${h.viaProcRoot ? 'present' : 'absent'}`]
          : ['the host hook did not report'];
        const tmpLine = obs.after.find((l) => l.split(' ')[4] === '/tmp');
        return {
          pass,
          observed: where.join('; '),
          evidence: [...where, tmpLine ?? 'no mount at /tmp in the sandbox\'s mountinfo'],
          hint: pass
            ? undefined
            : h?.hostTmp
              ? "the file reached the host's own /tmp: the sandbox's / was still the host's root, since pivot_root never ran"
              : h?.rootfsDisk
                ? 'the file landed in the rootfs directory on the host\'s disk: nothing was mounted on /tmp, so /tmp was the rootfs\'s own directory. A tmpfs there keeps writes in the sandbox'
                : 'the file was not found through /proc/PID/root either: the write did not happen where expected',
        };
      },
    },
    {
      id: 'root-is-rootfs',
      expected: "seen from the host, /proc/PID/root is the rootfs directory, not the host's /",
      check(obs, outside) {
        const key = Object.keys(outside).find((k) => k.startsWith(PIVOT_LABEL));
        const v = key ? outside[key]![0] : undefined;
        const pass = !!v && same(v.root, obs.host?.rootfsIdent) && !same(v.root, v.hostRoot);
        return {
          pass,
          observed: v ? `/proc/${v.pid}/root ${show(v.root)}; rootfs ${show(obs.host?.rootfsIdent)}; host / ${show(v.hostRoot)}` : 'no outside view',
          evidence: v ? [`readlink /proc/${v.pid}/root = ${v.rootLink}`, `stat /proc/${v.pid}/root: ${show(v.root)}`, `stat rootfs: ${show(obs.host?.rootfsIdent)}`, `stat host /: ${show(v.hostRoot)}`] : [],
          hint: pass
            ? undefined
            : v && same(v.root, v.hostRoot)
              ? 'the sandbox is still rooted at the host\'s / (same device and inode): pivot_root did not run'
              : 'the root is neither the host\'s / nor the rootfs',
        };
      },
    },
  ],
  diagrams: [
    {
      kind: 'mount-peers',
      title: 'mounts before and after the pivot',
      from: (obs) => [
        { label: 'before (copy of the host)', mountinfo: obs.before.join('\n') },
        { label: 'after pivot + detach', mountinfo: obs.after.join('\n') },
      ],
    },
  ],
  sabotage: [
    { what: 'skip umount2(".", MNT_DETACH): the old root stays stacked on "/"', args: { skipDetach: true }, fails: ['only-sandbox-mounts'] },
    { what: 'skip the tmpfs on /tmp', args: { skipTmpfs: true }, fails: ['tmp-file-stays-inside'] },
    { what: 'skip pivot_root altogether', args: { skipPivot: true }, fails: ['only-sandbox-mounts', 'root-is-rootfs'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: the two EINVALs everyone meets.

interface EinvalArgs {
  bindFirst?: boolean;
  keepPrivate?: boolean;
  skipFix?: boolean;
}

interface Attempt {
  trace: string;
  errno: string | null;
  ok: boolean;
  /** mountinfo lines of / and of the rootfs at the time of the attempt. */
  mounts: string[];
}

interface EinvalObs {
  rootfs: string;
  sameMount?: Attempt;
  notMountPoint?: Attempt;
  sharedParent?: Attempt;
  fixed?: Attempt;
  stoppedEarly?: string;
}

const einval: ExperimentSpec<EinvalObs, EinvalArgs> = {
  id: 'pivot-einval',
  title: 'pivot_root refuses: not a mount point, shared propagation',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  commands: [
    'cd "$ROOTFS" && pivot_root . .             # EBUSY: a directory on the same mount as /',
    'mount --bind "$(dirname $ROOTFS)" "$(dirname $ROOTFS)"',
    'cd "$ROOTFS" && pivot_root . .             # EINVAL: not a mount point',
    'mount --bind "$ROOTFS" "$ROOTFS" && cd "$ROOTFS"',
    'mount --make-rshared / && findmnt -o TARGET,PROPAGATION /',
    'pivot_root . .                             # EINVAL: shared',
    'mount --make-rprivate / && pivot_root . .  # works',
  ],
  predict: {
    question: 'You cd into a plain rootfs directory and run pivot_root . . — what does the kernel answer?',
    choices: ['It works: any directory can become the new root', 'EPERM: only real root may pivot', 'An error: the new root must be a mount point'],
    answer: 2,
    why: "pivot_root swaps mounts, so new_root has to be the root of a mount. A plain directory is not; binding it onto itself makes it one. The errno depends on where the directory sits: EBUSY when it is on the same mount as the current /, EINVAL when it is on another mount. EINVAL also comes back when the mounts involved are shared, because a swap would have to propagate to their peers.",
  },
  run(ctx, args = {}) {
    const { sys, proc } = ctx;
    const rootfs = ctx.rootfs ?? ctx.skip("this experiment needs nslab's rootfs");
    const obs: EinvalObs = { rootfs };
    const mounts = (): string[] =>
      proc
        .readMountinfo('self')
        .filter((m) => m.mountPoint === '/' || rootfs.startsWith(`${m.mountPoint}/`) || m.mountPoint === rootfs)
        .map((m) => m.raw);
    // The mount table as pivot_root found it: read just before the call.
    const attempt = (): Attempt => {
      const state = mounts();
      const r = sys.pivotRoot('.', '.');
      return { trace: r.trace, errno: r.errno, ok: r.ok, mounts: state };
    };
    const enter = (): number => {
      const fd = sys.open(rootfs, sys.O_RDONLY | sys.O_DIRECTORY);
      sys.fchdir(fd.ret);
      return fd.ret;
    };
    // A pivot that succeeded where it should not have: finish it cleanly and stop.
    const finish = (why: string): EinvalObs => {
      sys.mount(null, '.', null, sys.MS_SLAVE | sys.MS_REC, null);
      sys.umount2('.', sys.MNT_DETACH);
      sys.chdir('/');
      process.chdir('/');
      obs.stoppedEarly = why;
      return obs;
    };

    sys.mount(null, '/', null, sys.MS_REC | sys.MS_PRIVATE, null);
    if (args.bindFirst) sys.mount(rootfs, rootfs, null, sys.MS_BIND | sys.MS_REC, null);
    ctx.note('1a. pivot_root into the plain rootfs directory, which sits on the same mount as /');
    let fd = enter();
    obs.sameMount = attempt();
    if (obs.sameMount.ok) return finish('the first pivot_root succeeded');
    sys.close(fd);
    // Where the rootfs lives on a filesystem of its own (a disk for /var/lib/containers, say),
    // the directory is on a mount that is not "/" but is still not a mount point itself.
    ctx.note('1b. give the rootfs\'s parent directory a mount of its own, then try again');
    const parent = rootfs.replace(/\/[^/]+\/?$/, '') || '/';
    sys.mount(parent, parent, null, sys.MS_BIND | sys.MS_REC, null);
    fd = enter();
    obs.notMountPoint = attempt();
    if (obs.notMountPoint.ok) return finish('the second pivot_root succeeded');
    sys.close(fd);

    ctx.note('2. bind the rootfs onto itself, but make every mount shared first');
    if (!args.keepPrivate) sys.mount(null, '/', null, sys.MS_REC | sys.MS_SHARED, null);
    if (!args.bindFirst) sys.mount(rootfs, rootfs, null, sys.MS_BIND | sys.MS_REC, null);
    fd = enter(); // open again: the old fd points below the new bind mount
    obs.sharedParent = attempt();
    if (obs.sharedParent.ok) return finish('the pivot_root under shared mounts succeeded');

    ctx.note('3. make everything private again and retry');
    if (!args.skipFix) sys.mount(null, '/', null, sys.MS_REC | sys.MS_PRIVATE, null);
    obs.fixed = attempt();
    if (obs.fixed.ok) {
      finish('');
      obs.stoppedEarly = undefined;
    }
    sys.close(fd);
    return obs;
  },
  checks: [
    {
      id: 'einval-not-a-mount-point',
      expected: 'pivot_root(".", ".") in a directory that is not a mount point fails: EBUSY while it sits on the root mount, EINVAL on any other',
      check(obs) {
        const a = obs.sameMount;
        const b = obs.notMountPoint;
        const pass = !!a && !a.ok && !!b && !b.ok && b.errno === 'EINVAL';
        const bound = (x: Attempt | undefined) => x?.mounts.find((l) => l.split(' ')[4] === obs.rootfs);
        return {
          pass,
          observed: `on the root mount: ${a ? (a.ok ? 'succeeded' : a.errno) : 'not tried'}; on its own mount: ${b ? (b.ok ? 'succeeded' : b.errno) : 'not tried'}`,
          evidence: [...(a ? [a.trace, ...a.mounts] : []), ...(b ? [b.trace, ...b.mounts] : [])],
          hint: pass
            ? undefined
            : a?.ok || b?.ok
              ? `pivot_root succeeded because ${obs.rootfs} already was a mount point: "${bound(a?.ok ? a : b) ?? '(see mountinfo)'}". It had been bound onto itself before the attempt`
              : `expected EINVAL for a directory that is not a mount point, got ${b?.errno ?? 'no second attempt'}`,
        };
      },
    },
    {
      id: 'einval-shared-propagation',
      expected: 'with / shared, pivot_root(".", ".") on the bound rootfs still fails with EINVAL',
      check(obs) {
        const a = obs.sharedParent;
        const pass = !!a && !a.ok && a.errno === 'EINVAL';
        const sharedLines = a?.mounts.filter((l) => / shared:\d+/.test(l)) ?? [];
        return {
          pass,
          observed: a ? (a.ok ? 'succeeded' : `${a.errno}; ${sharedLines.length} shared mounts among / and the rootfs`) : `not attempted (${obs.stoppedEarly ?? 'stopped earlier'})`,
          evidence: a ? [a.trace, ...a.mounts] : [],
          hint: pass
            ? undefined
            : a?.ok
              ? `it succeeded: none of the mounts involved carries a shared:N tag (${a.mounts.length} lines shown), so nothing forbade the swap. The experiment never made / shared`
              : a
                ? `expected EINVAL, got ${a.errno}`
                : `this step never ran: ${obs.stoppedEarly}`,
        };
      },
    },
    {
      id: 'ok-after-bind-and-private',
      expected: 'after the bind and making / private again, pivot_root(".", ".") returns 0',
      check(obs) {
        const a = obs.fixed;
        const pass = !!a && a.ok;
        const shared = a?.mounts.filter((l) => / shared:\d+/.test(l)) ?? [];
        return {
          pass,
          observed: a ? (a.ok ? '= 0' : a.errno ?? '?') : `not attempted (${obs.stoppedEarly ?? 'stopped earlier'})`,
          evidence: a ? [a.trace, ...a.mounts] : [],
          hint: pass
            ? undefined
            : a
              ? `still ${a.errno}: ${shared.length} of the mounts are still shared (e.g. "${shared[0] ?? ''}"); mount --make-rprivate / was not done`
              : `this step never ran: ${obs.stoppedEarly}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'bind the rootfs onto itself before the first attempt', args: { bindFirst: true }, fails: ['einval-not-a-mount-point'] },
    { what: 'never make / shared', args: { keepPrivate: true }, fails: ['einval-shared-propagation'] },
    { what: 'leave / shared for the last attempt', args: { skipFix: true }, fails: ['ok-after-bind-and-private'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 3: lesson 01's chroot escape, after a real pivot.

interface EscapeObs {
  steps: string[];
  rootBefore: Ident;
  rootAfter: Ident;
  lsAfter: string[];
  rootfsIdent: Ident;
}

const escape: ExperimentSpec<EscapeObs, EnterArgs> = {
  id: 'escape-after-pivot',
  title: "lesson 01's chroot escape, tried after pivot_root",
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  commands: [
    '# inside the pivoted sandbox, as its root:',
    'mkdir /tmp/x && chroot /tmp/x   # (nslab does the chroot/chdir itself: a shell cannot)',
    "chdir('..') twenty times, then chroot('.')",
    'ls /   # still the rootfs',
  ],
  predict: {
    question: "After pivot_root and a detached old root, you repeat lesson 01's escape (chroot into a subdirectory, chdir('..') many times, chroot('.')). Where do you land?",
    choices: ["On the host's /, as in lesson 01", "On the sandbox's own /", 'Nowhere: chroot fails with EPERM'],
    answer: 1,
    why: "The escape works on a chroot because the host's tree is still there above the chroot directory; chdir('..') only stops at the process's root, and the second chroot moved that. After pivot_root the old tree is detached: the rootfs is the top of this mount namespace, and '..' of its / is / itself.",
  },
  run(ctx, args = {}) {
    const { sys } = ctx;
    const rootfs = ctx.rootfs ?? ctx.skip("this experiment needs nslab's rootfs");
    const rootfsIdent = ident(rootfs);
    const steps = enterRootfs(sys, rootfs, args);
    const rootBefore = ident('/');
    ctx.note("lesson 01's escape: chroot into a subdirectory, climb with '..', chroot('.')");
    mkdirSync('/tmp/x', { recursive: true });
    steps.push(sys.chroot('/tmp/x').trace);
    for (let i = 0; i < 20; i++) sys.chdir('..');
    steps.push("chdir(\"..\") x20");
    steps.push(sys.chroot('.').trace);
    sys.chdir('/');
    process.chdir('/');
    const rootAfter = ident('/');
    const lsAfter = readdirSync('/').sort();
    return ctx.outside('after-escape').then(() => ({ steps, rootBefore, rootAfter, lsAfter, rootfsIdent }));
  },
  checks: [
    {
      id: 'escape-lands-in-rootfs',
      expected: "seen from the host, /proc/PID/root after the escape is still the rootfs, not the host's /",
      check(obs, outside) {
        const v = outside['after-escape']?.[0];
        const pass = !!v && same(v.root, obs.rootfsIdent) && !same(v.root, v.hostRoot);
        return {
          pass,
          observed: v ? `/proc/${v.pid}/root ${show(v.root)}, rootfs ${show(obs.rootfsIdent)}, host / ${show(v.hostRoot)}` : 'no outside view',
          evidence: v ? [`readlink /proc/${v.pid}/root = ${v.rootLink}`, `stat /proc/${v.pid}/root: ${show(v.root)}`, `stat rootfs (before entering): ${show(obs.rootfsIdent)}`, `stat host /: ${show(v.hostRoot)}`, ...obs.steps.slice(-3)] : [],
          hint: pass
            ? undefined
            : v && same(v.root, v.hostRoot)
              ? `the escape reached the host's / ${show(v.hostRoot)}: the sandbox was entered with ${obs.steps.some((s) => s.startsWith('pivot_root(')) ? 'pivot_root but the old root was left attached' : 'chroot only, so the host tree was still above it'}`
              : 'the process ended up somewhere that is neither the rootfs nor the host\'s /',
        };
      },
    },
    {
      id: 'same-root-inside',
      expected: "inside, '/' after the escape is the same (dev, inode) as before it",
      check(obs) {
        const pass = same(obs.rootBefore, obs.rootAfter);
        return {
          pass,
          observed: `/ before ${show(obs.rootBefore)}, after ${show(obs.rootAfter)}`,
          evidence: [`stat / before: ${show(obs.rootBefore)}`, `stat / after: ${show(obs.rootAfter)}`, `ls / after: ${obs.lsAfter.join(' ')}`],
          hint: pass ? undefined : `'/' changed: the climb left the sandbox's root and now lists ${obs.lsAfter.slice(0, 8).join(' ')} ...`,
        };
      },
    },
    {
      id: 'rootfs-listing',
      expected: "ls / after the escape shows the rootfs (it has the oldroot/ placeholder), not the host's /",
      check(obs) {
        const pass = obs.lsAfter.includes('oldroot') && obs.lsAfter.includes('bin');
        return {
          pass,
          observed: obs.lsAfter.join(' '),
          evidence: [`ls /: ${obs.lsAfter.join(' ')}`],
          hint: pass ? undefined : `the listing has no oldroot/: this is not nslab's rootfs but another tree (${obs.lsAfter.slice(0, 6).join(' ')} ...)`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'enter the rootfs with chroot instead of pivot_root', args: { useChroot: true }, fails: ['escape-lands-in-rootfs', 'same-root-inside', 'rootfs-listing'] },
  ],
};

export default {
  experiments: [pivotSequence, einval, escape],
  // Exercise mode: the learner makes this state in `nslab shell 04` with real tools, and
  // `nslab check 04` judges it from outside, however it was made.
  exercises: [
    {
      id: 'pivot-and-detach',
      title: 'pivot_root into the rootfs and detach the old root',
      task: 'Start a process in a mount namespace of its own whose root is the lab\'s rootfs ($NSLAB_ROOTFS),\nwith /proc mounted there and nothing of the host\'s tree left: pivot_root, then detach the old\nroot. Leave it running.',
      hints: [
        'pivot_root NEW OLD needs NEW to be a mount point: mount --bind "$NSLAB_ROOTFS" "$NSLAB_ROOTFS" (in a new mount namespace: unshare -m).',
        "After pivot_root the host's tree is still mounted at the put_old directory (the rootfs has an empty oldroot/). Mount /proc before you detach it: the kernel refuses a new proc once no full one is visible.",
        "unshare -m sh -c 'mount --bind \"$NSLAB_ROOTFS\" \"$NSLAB_ROOTFS\" && cd \"$NSLAB_ROOTFS\" && pivot_root . oldroot && mount -t proc proc /proc && umount -l /oldroot && exec /bin/sleep 1000' &",
      ],
      checks: [
        {
          id: 'own-mount-ns',
          expected: "its mount namespace is not the host's",
          check: (p) => ({
            pass: p.nsDiffers.includes('mnt'),
            observed: `mnt -> ${p.ns.mnt}`,
            evidence: [`/proc/${p.pid}/ns/mnt -> ${p.ns.mnt}`, `host: ${p.hostNs.mnt}`],
            hint: `PID ${p.pid} (${p.comm}) is in the host's mount namespace, where pivot_root would move the host's own root: start with unshare -m`,
          }),
        },
        {
          id: 'new-root',
          expected: "its root directory is not the host's / (device and inode differ)",
          check: (p) => ({
            pass: !p.rootIsHost,
            observed: p.rootIsHost ? "the host's /" : `dev ${p.root.dev}, ino ${p.root.ino}`,
            evidence: [`/proc/${p.pid}/root: dev ${p.root.dev}, ino ${p.root.ino}`, `host /: dev ${p.hostRoot.dev}, ino ${p.hostRoot.ino}`],
            hint: `PID ${p.pid} (${p.comm}) still has the host's / as its root: pivot_root into "$NSLAB_ROOTFS" (after binding it onto itself)`,
          }),
        },
        {
          id: 'proc-mounted',
          expected: 'a proc filesystem at /proc in its mountinfo',
          check: (p) => {
            const proc = p.mounts.filter((m) => m.mountPoint === '/proc').pop();
            return {
              pass: proc?.fsType === 'proc',
              observed: proc ? `${proc.fsType} at /proc` : 'nothing at /proc',
              evidence: proc ? [proc.raw] : [`/proc/${p.pid}/mountinfo: no /proc entry`],
              hint: `mount -t proc proc /proc inside the new root, before detaching the old one (afterwards the kernel refuses: no full proc would be visible to vouch for it)`,
            };
          },
        },
        {
          id: 'old-root-detached',
          expected: "no mount of the host's tree visible, and nothing above its root",
          check: (p) => {
            const host = p.hostRootMount;
            const left = p.hostTreeMounts;
            const evidence = [
              ...left.map((m) => m.raw),
              ...(host ? [`host's /: ${host.raw}`] : []),
              `/proc/${p.pid}/root: dev ${p.root.dev}, ino ${p.root.ino}; its '..': dev ${p.rootParent.dev}, ino ${p.rootParent.ino}`,
            ];
            if (left.length)
              return {
                pass: false,
                observed: `the host's root filesystem (${host?.dev}) is still mounted at ${left.map((m) => m.mountPoint).join(', ')}`,
                evidence,
                hint: `the old root is still attached at ${left[0]!.mountPoint}, and with it every host file: umount -l ${left[0]!.mountPoint} (MNT_DETACH) after pivot_root and after mounting /proc`,
              };
            if (!p.rootIsTop)
              return {
                pass: false,
                observed: "the host's tree is still above its root (a chroot, not a pivot)",
                evidence,
                hint: `its root has a parent directory ('..' leads elsewhere): that is a chroot, and the host's tree stays reachable (the chroot escape). Use pivot_root so the rootfs becomes the top of the mount tree, then detach the old root`,
              };
            return { pass: true, observed: 'no host mount visible; its root is the top of its mount tree', evidence };
          },
        },
      ],
      solution: [
        "unshare -m sh -c 'mount --bind \"$NSLAB_ROOTFS\" \"$NSLAB_ROOTFS\" && cd \"$NSLAB_ROOTFS\" && pivot_root . oldroot && mount -t proc proc /proc && umount -l /oldroot && exec /bin/sleep 1000' &",
      ],
      nearMisses: [
        {
          what: 'pivot_root without detaching the old root',
          commands: ["unshare -m sh -c 'mount --bind \"$NSLAB_ROOTFS\" \"$NSLAB_ROOTFS\" && cd \"$NSLAB_ROOTFS\" && pivot_root . oldroot && mount -t proc proc /proc && exec /bin/sleep 1000' &"],
          fails: ['old-root-detached'],
        },
        {
          what: 'a chroot instead of pivot_root',
          commands: ["unshare -m sh -c 'mount -t proc proc \"$NSLAB_ROOTFS/proc\" && exec chroot \"$NSLAB_ROOTFS\" /bin/sleep 1000' &"],
          fails: ['old-root-detached'],
        },
      ],
    },
  ],
} satisfies LessonModule;
