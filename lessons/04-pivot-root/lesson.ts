// Lesson 04: pivot_root, the way runc gives a container its own /. Every experiment runs with pivot:
// false, so the learner sees each step as a traced syscall of its own; the words are in lesson.md.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { chrootInto, errnoIs, experiment, freshProc, ident, lsOr, mountedAt, must, needRootfs, ownNamespace, privateRoot, rootedInRootfs, rootIs, sameIdent, scratch, showIdent, type Traced } from '../../src/kit/index.js';
import type { LessonModule, OutsideView, SandboxContext } from '../../src/kit/index.js';

/** What the sabotages can skip in runc's sequence, or do instead (lesson 01's chroot). */
type EnterArgs = { skipTmpfs?: boolean; skipPivot?: boolean; skipDetach?: boolean; useChroot?: boolean };

/** runc's way in (libcontainer/rootfs_linux.go): private /, bind the rootfs onto itself, mount
 * /proc and /tmp while the old paths still resolve, pivot_root(".", "."), cut propagation of
 * the old root, detach it. Returns the trace lines of the calls that matter to the checks. */
function enterRootfs(ctx: SandboxContext, rootfs: string, args: EnterArgs): string[] {
  const { sys } = ctx;
  const steps = [privateRoot(ctx)];
  const step = (r: Traced, what: string) => steps.push(must(r, what).trace);
  if (args.useChroot) {
    // Lesson 01's way: only a new "/" for this process; /proc and /tmp mounted all the same, off the disk.
    steps.push(freshProc(ctx, `${rootfs}/proc`), scratch(ctx, `${rootfs}/tmp`, 'mode=1777'));
    step(sys.chroot(rootfs), 'chroot');
  } else {
    step(sys.mount(rootfs, rootfs, null, sys.MS_BIND | sys.MS_REC, null), 'bind the rootfs onto itself');
    const fd = must(sys.open(rootfs, sys.O_RDONLY | sys.O_DIRECTORY), 'open the rootfs');
    steps.push(fd.trace, must(sys.fchdir(fd.ret), 'fchdir').trace, freshProc(ctx, 'proc'));
    if (!args.skipTmpfs) steps.push(scratch(ctx, 'tmp', 'mode=1777'));
    if (!args.skipPivot) step(sys.pivotRoot('.', '.'), 'pivot_root');
    if (!args.skipPivot && !args.skipDetach) {
      step(sys.mount(null, '.', null, sys.MS_SLAVE | sys.MS_REC, null), 'make the old root rslave');
      step(sys.umount2('.', sys.MNT_DETACH), 'detach the old root');
    }
    sys.close(fd.ret);
  }
  step(sys.chdir('/'), 'chdir /');
  process.chdir('/');
  return steps;
}

// Experiment 1: the sequence, and what it leaves behind.

/** On the host: is the file the sandbox wrote to its /tmp anywhere the host sees it without going
 * through the sandbox? What a wrong setup leaked out is removed, so no run leaves anything behind. */
function lookForFile(_label: string, views: OutsideView[], _pid: number, data: unknown) {
  const { file, rootfs } = data as { file: string; rootfs: string };
  const [hostPath, diskPath, viaProcRoot] = [`/tmp/${file}`, `${rootfs}/tmp/${file}`, `/proc/${views[0]!.pid}/root/tmp/${file}`];
  const look = { hostTmp: existsSync(hostPath), rootfsDisk: existsSync(diskPath), viaProcRoot: existsSync(viaProcRoot), rootfsIdent: ident(rootfs) };
  for (const p of [hostPath, diskPath]) if (existsSync(p)) rmSync(p, { force: true });
  return look;
}

async function pivotRun(ctx: SandboxContext, args: EnterArgs = {}) {
  const rootfs = needRootfs(ctx);
  const before = ctx.proc.readMountinfo('self');
  ctx.note('the mount table this sandbox started with: a copy of the host\'s');
  const steps = enterRootfs(ctx, rootfs, args);
  const afterMounts = ctx.proc.readMountinfo('self');
  const after = afterMounts.map((m) => m.raw);
  // Mounts inherited from the host still in the table after the sequence. A mount ID is free for
  // reuse once its mount is gone, so a new tmpfs may get an old number: same ID and same device.
  const left = afterMounts.filter((a) => before.some((m) => m.id === a.id && m.major === a.major && m.minor === a.minor)).map((m) => m.raw);
  const file = `nslab-04-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  writeFileSync(`/tmp/${file}`, 'written inside the sandbox\n');
  ctx.note(`wrote /tmp/${file} inside; now the host looks for it`);
  const host = (await ctx.outside('after-write', [], { file, rootfs })).hook as ReturnType<typeof lookForFile> | undefined;
  const where = host
    ? [`host /tmp/${file}: ${host.hostTmp ? 'present' : 'absent'}`, `rootfs/tmp on disk: ${host.rootfsDisk ? 'present' : 'absent'}`, `/proc/PID/root/tmp: ${host.viaProcRoot ? 'present' : 'absent'}`]
    : ['the host hook did not report'];
  return { steps, before: before.map((m) => m.raw), after, left, host, where };
}

const pivotSequence = experiment({
  id: 'bind-and-pivot',
  title: 'private /, bind, pivot_root, mount /proc, detach the old root',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  run: pivotRun,
  outside: lookForFile,
  checks: (check) => [
    check('only-sandbox-mounts', 'no mount inherited from the host is left in mountinfo after the detach', ({ steps, before, after, left }) => ({
      pass: left.length === 0 && after.length > 0,
      observed: `${after.length} mounts after, ${left.length} of them from the host's ${before.length}`,
      evidence: after,
      hint: !steps.some((s) => s.startsWith('pivot_root('))
        ? `pivot_root was never called: the process is still rooted in the host's tree, so all ${left.length} inherited mounts are visible (first: ${left[0] ?? '?'})`
        : !steps.some((s) => s.startsWith('umount2('))
          ? `pivot_root(".", ".") put the old root on top of the new one, but nothing detached it: ${left.length} host mounts remain, e.g. "${left[0]}". umount2(".", MNT_DETACH) is missing`
          : `${left.length} inherited mounts survived, e.g. "${left[0]}"`,
    })),
    check('tmp-file-stays-inside', "a file written to the sandbox's /tmp is absent from the host's /tmp and from the rootfs on disk, and visible only through /proc/PID/root", ({ host: h, where, after }) => ({
      pass: !!h && !h.hostTmp && !h.rootfsDisk && h.viaProcRoot,
      observed: where.join('; '),
      evidence: [...where, after.find((l) => l.split(' ')[4] === '/tmp') ?? 'no mount at /tmp in the sandbox\'s mountinfo'],
      hint: h?.hostTmp
        ? "the file reached the host's own /tmp: the sandbox's / was still the host's root, since pivot_root never ran"
        : h?.rootfsDisk
          ? 'the file landed in the rootfs directory on the host\'s disk: nothing was mounted on /tmp, so /tmp was the rootfs\'s own directory. A tmpfs there keeps writes in the sandbox'
          : 'the file was not found through /proc/PID/root either: the write did not happen where expected',
    })),
    rootIs('root-is-rootfs', "seen from the host, /proc/PID/root is the rootfs directory, not the host's /", (obs) => ({
      checkpoint: 'after-write',
      want: { path: 'the rootfs', ident: obs.host?.rootfsIdent ?? null },
      atHost: 'pivot_root did not run, so the sandbox is still rooted there (same device and inode)',
    })),
  ],
  diagrams: [{ kind: 'mount-peers', title: 'mounts before and after the pivot', from: (obs) => [{ label: 'before (copy of the host)', mountinfo: obs.before.join('\n') }, { label: 'after pivot + detach', mountinfo: obs.after.join('\n') }] }],
  sabotage: [
    { what: 'skip umount2(".", MNT_DETACH): the old root stays stacked on "/"', args: { skipDetach: true }, fails: ['only-sandbox-mounts'] },
    { what: 'skip the tmpfs on /tmp', args: { skipTmpfs: true }, fails: ['tmp-file-stays-inside'] },
    { what: 'skip pivot_root altogether', args: { skipPivot: true }, fails: ['only-sandbox-mounts', 'root-is-rootfs'] },
  ],
});

// Experiment 2: the two EINVALs everyone meets.

/** One pivot_root(".", ".") and the mountinfo lines of / and of the rootfs as it found them; the
 * attempts in order: on the root mount, on a mount of its own, under shared mounts, fixed. */
type Attempt = { trace: string; errno: string | null; ok: boolean; mounts: string[] };
type Stage = 'sameMount' | 'notMountPoint' | 'sharedParent' | 'fixed';
type EinvalObs = { rootfs: string; stoppedEarly?: string } & Partial<Record<Stage, Attempt>>;

/** Sabotages: bind the rootfs before the first attempt; never make / shared; leave it shared. */
function einvalRun(ctx: SandboxContext, args: { bindFirst?: boolean; keepPrivate?: boolean; skipFix?: boolean } = {}): EinvalObs {
  const { sys, proc } = ctx;
  const rootfs = needRootfs(ctx);
  const obs: EinvalObs = { rootfs };
  // pivot_root(".", ".") in the rootfs, with the mounts it found; a stray success is finished and stops the run.
  const attempt = (stage: Stage, stopped?: string): boolean => {
    // Opened each time: an fd from before points below a bind mount made since.
    const fd = sys.open(rootfs, sys.O_RDONLY | sys.O_DIRECTORY);
    sys.fchdir(fd.ret);
    const mounts = proc.readMountinfo('self').filter((m) => m.mountPoint === '/' || rootfs.startsWith(`${m.mountPoint}/`) || m.mountPoint === rootfs);
    const r = sys.pivotRoot('.', '.');
    obs[stage] = { trace: r.trace, errno: r.errno, ok: r.ok, mounts: mounts.map((m) => m.raw) };
    sys.close(fd.ret);
    if (!r.ok) return false;
    sys.mount(null, '.', null, sys.MS_SLAVE | sys.MS_REC, null);
    sys.umount2('.', sys.MNT_DETACH);
    sys.chdir('/');
    process.chdir('/');
    obs.stoppedEarly = stopped;
    return true;
  };
  sys.mount(null, '/', null, sys.MS_REC | sys.MS_PRIVATE, null);
  if (args.bindFirst) sys.mount(rootfs, rootfs, null, sys.MS_BIND | sys.MS_REC, null);
  ctx.note('1a. pivot_root into the plain rootfs directory, which sits on the same mount as /');
  if (attempt('sameMount', 'the first pivot_root succeeded')) return obs;
  // Where the rootfs lives on a filesystem of its own (a disk for /var/lib/containers, say),
  // the directory is on a mount that is not "/" but is still not a mount point itself.
  ctx.note('1b. give the rootfs\'s parent directory a mount of its own, then try again');
  const parent = rootfs.replace(/\/[^/]+\/?$/, '') || '/';
  sys.mount(parent, parent, null, sys.MS_BIND | sys.MS_REC, null);
  if (attempt('notMountPoint', 'the second pivot_root succeeded')) return obs;
  ctx.note('2. bind the rootfs onto itself, but make every mount shared first');
  if (!args.keepPrivate) sys.mount(null, '/', null, sys.MS_REC | sys.MS_SHARED, null);
  if (!args.bindFirst) sys.mount(rootfs, rootfs, null, sys.MS_BIND | sys.MS_REC, null);
  if (attempt('sharedParent', 'the pivot_root under shared mounts succeeded')) return obs;
  ctx.note('3. make everything private again and retry');
  if (!args.skipFix) sys.mount(null, '/', null, sys.MS_REC | sys.MS_PRIVATE, null);
  attempt('fixed');
  return obs;
}

/** An attempt's trace line (or why there is none), its shared mounts, its result. */
const tried = (a: Attempt | undefined, obs: EinvalObs) =>
  a ? { trace: a.trace, evidence: a.mounts } : { trace: `pivot_root(".", ".") not attempted: ${obs.stoppedEarly ?? 'stopped earlier'}` };
const sharedOf = (a: Attempt | undefined) => a?.mounts.filter((l) => / shared:\d+/.test(l)) ?? [];
const said = (a: Attempt | undefined) => (a ? (a.ok ? 'succeeded' : a.errno) : 'not tried');

const einval = experiment({
  id: 'pivot-einval',
  title: 'pivot_root refuses: not a mount point, shared propagation',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  run: einvalRun,
  checks: (check) => [
    check('einval-not-a-mount-point', 'pivot_root(".", ".") in a directory that is not a mount point fails: EBUSY while it sits on the root mount, EINVAL on any other', ({ rootfs, sameMount: a, notMountPoint: b }) => ({
      pass: !!a && !a.ok && b?.errno === 'EINVAL',
      observed: `on the root mount: ${said(a)}; on its own mount: ${said(b)}`,
      evidence: [a, b].flatMap((x) => (x ? [x.trace, ...x.mounts] : [])),
      hint: a?.ok || b?.ok
        ? `pivot_root succeeded because ${rootfs} already was a mount point: "${(a?.ok ? a : b)?.mounts.find((l) => l.split(' ')[4] === rootfs) ?? '(see mountinfo)'}". It had been bound onto itself before the attempt`
        : `expected EINVAL for a directory that is not a mount point, got ${b?.errno ?? 'no second attempt'}`,
    })),
    errnoIs('einval-shared-propagation', 'with / shared, pivot_root(".", ".") on the bound rootfs still fails with EINVAL', 'EINVAL', (obs) => ({
      ...tried(obs.sharedParent, obs),
      why: `${sharedOf(obs.sharedParent).length} of the ${obs.sharedParent?.mounts.length} mounts involved carry a shared:N tag; with none, nothing forbids the swap (the experiment never made / shared)`,
    })),
    errnoIs('ok-after-bind-and-private', 'after the bind and making / private again, pivot_root(".", ".") returns 0', 0, (obs) => ({
      ...tried(obs.fixed, obs),
      why: `${sharedOf(obs.fixed).length} of the mounts are still shared (e.g. "${sharedOf(obs.fixed)[0] ?? ''}"); mount --make-rprivate / was not done`,
    })),
  ],
  sabotage: [
    { what: 'bind the rootfs onto itself before the first attempt', args: { bindFirst: true }, fails: ['einval-not-a-mount-point'] },
    { what: 'never make / shared', args: { keepPrivate: true }, fails: ['einval-shared-propagation'] },
    { what: 'leave / shared for the last attempt', args: { skipFix: true }, fails: ['ok-after-bind-and-private'] },
  ],
});

// Experiment 3: lesson 01's chroot escape, after a real pivot.

/** closeOldRoot: close the descriptor on the old / before entering, as a runtime should. */
type EscapeArgs = EnterArgs & { closeOldRoot?: boolean };

async function escapeRun(ctx: SandboxContext, args: EscapeArgs = {}) {
  const { sys } = ctx;
  const rootfs = needRootfs(ctx);
  const rootfsIdent = ident(rootfs);
  // A descriptor on the old / from before the pivot: the way out that pivot_root leaves open.
  const [fd, oldRoot] = [must(sys.open('/', sys.O_RDONLY | sys.O_DIRECTORY), 'open the old /'), ident('/')];
  if (args.closeOldRoot) sys.close(fd.ret);
  const steps = enterRootfs(ctx, rootfs, args);
  const rootBefore = ident('/');
  ctx.note("lesson 01's escape: chroot into a subdirectory, climb with '..', chroot('.')");
  mkdirSync('/tmp/x', { recursive: true });
  steps.push(sys.chroot('/tmp/x').trace);
  for (let i = 0; i < 20; i++) sys.chdir('..');
  steps.push('chdir("..") x20', ...chrootInto(ctx, '.'));
  const rootAfter = ident('/');
  const lsAfter = lsOr('/');
  await ctx.outside('after-escape');
  ctx.note('fchdir to the descriptor opened on the old / before the pivot, and look around');
  const viaFd = { open: fd.trace, fchdir: sys.fchdir(fd.ret).trace, here: ident('.'), ls: lsOr('.') };
  sys.chdir('/');
  return { rootfs, steps, rootBefore, rootAfter, lsAfter, rootfsIdent, oldRoot, viaFd };
}

const escape = experiment({
  id: 'escape-after-pivot',
  title: "lesson 01's chroot escape, tried after pivot_root",
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  run: escapeRun,
  checks: (check) => [
    rootIs('escape-lands-in-rootfs', "seen from the host, /proc/PID/root after the escape is still the rootfs, not the host's /", (obs) => ({
      checkpoint: 'after-escape',
      want: { path: `${obs.rootfs} (before entering)`, ident: obs.rootfsIdent },
      evidence: obs.steps.slice(-4),
      atHost: `the escape reached it: the sandbox was entered with ${obs.steps.some((s) => s.startsWith('pivot_root(')) ? 'pivot_root but the old root was left attached' : 'chroot only, so the host tree was still above it'}`,
    })),
    check('same-root-inside', "inside, '/' after the escape is the same (dev, inode) as before it", (obs) => ({
      pass: sameIdent(obs.rootBefore, obs.rootAfter),
      observed: `/ before ${showIdent(obs.rootBefore)}, after ${showIdent(obs.rootAfter)}`,
      evidence: [`stat / before: ${showIdent(obs.rootBefore)}`, `stat / after: ${showIdent(obs.rootAfter)}`, `ls / after: ${obs.lsAfter.join(' ')}`],
      hint: `'/' changed: the climb left the sandbox's root and now lists ${obs.lsAfter.slice(0, 8).join(' ')} ...`,
    })),
    check('rootfs-listing', "ls / after the escape shows the rootfs (it has the oldroot/ placeholder), not the host's /", (obs) => ({
      pass: obs.lsAfter.includes('oldroot') && obs.lsAfter.includes('bin'),
      observed: obs.lsAfter.join(' '),
      evidence: [`ls /: ${obs.lsAfter.join(' ')}`],
      hint: `the listing has no oldroot/: this is not nslab's rootfs but another tree (${obs.lsAfter.slice(0, 6).join(' ')} ...)`,
    })),
    check('fd-reaches-old-root', 'a descriptor opened on / before pivot_root still leads there after the detach: fchdir to it lands on the old / (same dev, inode)', ({ oldRoot, viaFd: v, rootAfter }) => ({
      pass: sameIdent(v.here, oldRoot) && !sameIdent(v.here, rootAfter),
      observed: `after fchdir: . is ${showIdent(v.here)}; the old / was ${showIdent(oldRoot)}`,
      evidence: [v.open, v.fchdir, `stat . after fchdir: ${showIdent(v.here)}`, `stat / before the pivot: ${showIdent(oldRoot)}`, `ls .: ${v.ls.slice(0, 16).join(' ')}`],
      hint: /EBADF/.test(v.fchdir)
        ? `${v.fchdir}: the descriptor was closed before the pivot, as a runtime closes every one the container should not keep, so it leads nowhere`
        : `after ${v.fchdir}, . is ${showIdent(v.here)}, not the old / ${showIdent(oldRoot)}`,
    })),
  ],
  sabotage: [
    { what: 'enter the rootfs with chroot instead of pivot_root', args: { useChroot: true }, fails: ['escape-lands-in-rootfs', 'same-root-inside', 'rootfs-listing'] },
    { what: 'close the descriptor on the old / before the pivot', args: { closeOldRoot: true }, fails: ['fd-reaches-old-root'] },
  ],
});

// The exercise's way in: a new mount namespace's shell binds, pivots (old root on oldroot/), mounts /proc.
const PIVOT = 'mount --bind "$NSLAB_ROOTFS" "$NSLAB_ROOTFS" && cd "$NSLAB_ROOTFS" && pivot_root . oldroot && mount -t proc proc /proc';
const inNewNs = (steps: string): string => `unshare -m sh -c '${steps} && exec /bin/sleep 1000' &`;

export default {
  experiments: [pivotSequence, einval, escape],
  // Exercise mode: made with real tools in `nslab shell 04`, judged from outside by `nslab check 04`.
  exercises: [
    {
      id: 'pivot-and-detach',
      title: 'pivot_root into the rootfs and detach the old root',
      task: 'Start a process in a mount namespace of its own whose root is the lab\'s rootfs ($NSLAB_ROOTFS),\nwith /proc mounted there and nothing of the host\'s tree left: pivot_root, then detach the old\nroot. Leave it running.',
      hints: [
        'pivot_root NEW OLD needs NEW to be a mount point: mount --bind "$NSLAB_ROOTFS" "$NSLAB_ROOTFS" (in a new mount namespace: unshare -m).',
        "After pivot_root the host's tree is still mounted at the put_old directory (the rootfs has an empty oldroot/). Mount /proc before you detach it: the kernel refuses a new proc once no full one is visible.",
        inNewNs(`${PIVOT} && umount -l /oldroot`),
      ],
      checks: [
        ownNamespace('own-mount-ns', "its mount namespace is its own, not the shell's", 'mnt', (p, whose) =>
          `PID ${p.pid} (${p.comm}) is in ${whose} mount namespace, where pivot_root would move that namespace's own root: start with unshare -m`,
        ),
        rootedInRootfs('new-root', "its root directory is the rootfs (same device and inode), not the host's /", (p, rootfs) =>
          p.rootIsHost
            ? `PID ${p.pid} (${p.comm}) still has the host's / as its root: pivot_root into "$NSLAB_ROOTFS" (after binding it onto itself)`
            : `PID ${p.pid} (${p.comm}) is rooted at ${p.root.link}, not in ${rootfs}: pivot_root into "$NSLAB_ROOTFS" itself`,
        ),
        mountedAt('proc-mounted', 'a proc filesystem at /proc in its mountinfo', '/proc', 'proc', () =>
          'mount -t proc proc /proc inside the new root, before detaching the old one (afterwards the kernel refuses: no full proc would be visible to vouch for it)',
        ),
        {
          id: 'old-root-detached',
          expected: "no mount of the host's tree visible, and nothing above its root",
          check: ({ hostRootMount: host, hostTreeMounts: left, pid, root, rootParent, rootIsTop }) => ({
            pass: !left.length && rootIsTop,
            observed: left.length
              ? `the host's root filesystem (${host?.dev}) is still mounted at ${left.map((m) => m.mountPoint).join(', ')}`
              : !rootIsTop
                ? "the host's tree is still above its root (a chroot, not a pivot)"
                : 'no host mount visible; its root is the top of its mount tree',
            evidence: [...left.map((m) => m.raw), ...(host ? [`host's /: ${host.raw}`] : []), `/proc/${pid}/root ${showIdent(root)}; its '..' ${showIdent(rootParent)}`],
            hint: left.length
              ? `the old root is still attached at ${left[0]!.mountPoint}, and with it every host file: umount -l ${left[0]!.mountPoint} (MNT_DETACH) after pivot_root and after mounting /proc`
              : `its root has a parent directory ('..' leads elsewhere): that is a chroot, and the host's tree stays reachable (the chroot escape). Use pivot_root so the rootfs becomes the top of the mount tree, then detach the old root`,
          }),
        },
      ],
      solution: [inNewNs(`${PIVOT} && umount -l /oldroot`)],
      nearMisses: [
        { what: 'pivot_root without detaching the old root', commands: [inNewNs(PIVOT)], fails: ['old-root-detached'] },
        { what: 'a chroot instead of pivot_root', commands: [`unshare -m sh -c 'mount -t proc proc "$NSLAB_ROOTFS/proc" && exec chroot "$NSLAB_ROOTFS" /bin/sleep 1000' &`], fails: ['old-root-detached'] },
      ],
    },
  ],
} satisfies LessonModule;
