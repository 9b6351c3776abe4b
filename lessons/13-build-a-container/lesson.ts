// 13-build-a-container: the capstone. One shell line does, step by step, what runc does for
// `docker run`: new namespaces, a private mount tree, the rootfs bound onto itself, proc and a
// read-only sysfs, the masked and read-only paths, pivot_root and the old root detached, Docker's
// capability set and no_new_privs. The experiment runs that line; the exercise has the learner
// type it. Both are judged point by point by the code behind `nslab inspect --profile docker`.
import { confinementChecks, containerTaskChecks, experiment, freshProc, privateRoot, profile, readContainer, runs, variant, waitFor } from '../../src/kit/index.js';
import type { ConfinementFacts, LessonModule, PointId } from '../../src/kit/index.js';

const docker = profile('docker');
// Docker's defaults, but the way a hand-built container can meet them: no_new_privs on (as with
// --security-opt no-new-privileges) and a cgroup namespace of its own whatever the host's
// cgroup version. Seccomp, AppArmor and the cgroup itself need a filter loader, a loaded profile
// and a delegated cgroup, which a shell here does not have: lessons 10 and 11 show them.
const PROFILE = variant(docker, '--security-opt no-new-privileges --cgroupns=private', { noNewPrivs: true, namespaces: { ...docker.namespaces, cgroup: 'own' } });
const POINTS: PointId[] = ['namespaces', 'user', 'root', 'masked-paths', 'readonly-paths', 'capabilities', 'no-new-privs'];

/** A container built wrong on purpose: which step is left out or done otherwise. */
interface Miss {
  noMasks?: boolean;
  noReadonly?: boolean;
  chroot?: boolean;
  allCaps?: boolean;
  noNnp?: boolean;
  /** Also a user namespace, with no id mapped in it. */
  unmappedUser?: boolean;
}

const rel = (path: string): string => path.slice(1);
const CAPS = (docker.caps.bounding as string[]).map((c) => `+${c.slice(4).toLowerCase()}`).join(',');

/** The shell line that builds the container and leaves `sleep 1000` running in it. */
function buildLine(m: Miss = {}): string {
  const mask = `for p in ${PROFILE.maskedPaths.map(rel).join(' ')}; do if [ -d "$p" ]; then mount -t tmpfs -o ro tmpfs "$p" || exit 1; elif [ -e "$p" ]; then mount --bind /dev/null "$p" || exit 1; fi; done`;
  const readonly = `for p in ${PROFILE.readonlyPaths.map(rel).join(' ')}; do if [ -e "$p" ]; then mount --bind "$p" "$p" && mount -o remount,bind,ro "$p" || exit 1; fi; done`;
  const setpriv = ['setpriv', ...(m.noNnp ? [] : ['--no-new-privs']), ...(m.allCaps ? [] : ['--inh-caps', '-all', '--bounding-set', `-all,${CAPS}`]), 'sleep', '1000'].join(' ');
  const steps = [
    'mount --make-rprivate /',
    'mount --bind "$NSLAB_ROOTFS" "$NSLAB_ROOTFS"',
    'cd "$NSLAB_ROOTFS"',
    'mount -t proc proc proc',
    'mount -t sysfs -o ro sysfs sys',
    ...(m.noMasks ? [] : [mask]),
    ...(m.noReadonly ? [] : [readonly]),
    ...(m.chroot ? [`exec chroot . ${setpriv}`] : ['pivot_root . oldroot', 'cd /', 'umount -l /oldroot', `exec ${setpriv}`]),
  ];
  const unshare = `unshare ${m.unmappedUser ? '--user ' : ''}--mount --uts --ipc --net --pid --fork --cgroup`;
  return `${unshare} sh -c '${steps.join(' && ')}'`;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const byHand = experiment({
  id: 'by-hand',
  title: "A container by hand, judged like Docker's",
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false, timeoutMs: 30_000 },
  requires: ['host:unshare', 'host:mount', 'host:pivot_root', 'tool:setpriv', 'tool:umount', 'tool:sleep', 'tool:chroot'],
  run: async (ctx, args: Miss = {}) => {
    privateRoot(ctx);
    freshProc(ctx);
    const line = buildLine(args);
    ctx.note(line);
    const sh = await ctx.background(ctx.hostBin('sh'), ['-c', line], { env: { NSLAB_ROOTFS: ctx.rootfs!, PATH } });
    // The container's sleep, once setpriv has exec'd it: a descendant of the line's shell.
    const below = (pid: number): number[] => ctx.proc.readChildren(pid).flatMap((k) => [k, ...below(k)]);
    let failed: string | null = null;
    void sh.exited.then((e) => (failed = `the line ended (${e.code ?? e.signal}) before its sleep started`));
    const pid = await waitFor('the container to run sleep', () => {
      if (failed) throw new Error(failed);
      return below(sh.pid).find((p) => runs(p, 'sleep'));
    }, { timeoutMs: 10_000 });
    const { hook } = await ctx.outside('container', [pid]);
    return { line, facts: hook as ConfinementFacts };
  },
  outside: (_label, views, sandboxPid) => readContainer(views[0]!.pid, PROFILE, sandboxPid),
  checks: confinementChecks(PROFILE, POINTS, (obs: { facts: ConfinementFacts }) => obs.facts),
  sabotage: [
    { what: 'the masks left out', args: { noMasks: true }, fails: ['masked-paths'] },
    { what: 'nothing remounted read-only', args: { noReadonly: true }, fails: ['readonly-paths'] },
    { what: 'chroot instead of pivot_root', args: { chroot: true }, fails: ['root'] },
    { what: 'every capability kept', args: { allCaps: true }, fails: ['capabilities'] },
    { what: 'no_new_privs left off', args: { noNnp: true }, fails: ['no-new-privs'] },
    { what: 'a user namespace of its own, with nothing mapped', args: { unmappedUser: true }, fails: ['namespaces', 'user'] },
  ],
});

export default {
  experiments: [byHand],
  exercises: [
    {
      id: 'docker-by-hand',
      title: 'Build a container by hand, to Docker\'s profile',
      task:
        "Start `sleep 1000` in a container you build yourself from $NSLAB_ROOTFS: namespaces of its own (mount,\nUTS, IPC, network, PID, cgroup; not user), pivot_root'ed into the rootfs with the old root detached,\nproc and a read-only sysfs mounted, Docker's masked paths hidden and its read-only paths read-only,\nDocker's 14 capabilities and no others, and no_new_privs set. Leave it running.",
      hints: [
        'Work in the order runc does: unshare --mount --uts --ipc --net --pid --fork --cgroup sh -c \'...\', then inside: mount --make-rprivate /, bind "$NSLAB_ROOTFS" onto itself and cd there, mount proc on proc and sysfs -o ro on sys.',
        `Before pivot_root, while the host's /dev/null is still in reach: mask each file of ${PROFILE.maskedPaths.slice(0, 4).join(', ')}, ... with mount --bind /dev/null, each directory with mount -t tmpfs -o ro tmpfs; bind each of ${PROFILE.readonlyPaths.join(', ')} onto itself and mount -o remount,bind,ro it.`,
        `Then pivot_root . oldroot && cd / && umount -l /oldroot, and exec setpriv --no-new-privs --inh-caps -all --bounding-set -all,${CAPS} sleep 1000.`,
        `${buildLine()} &`,
      ],
      checks: containerTaskChecks(PROFILE, POINTS),
      solution: [`${buildLine()} &`],
      nearMisses: [
        { what: 'the masks left out', commands: [`${buildLine({ noMasks: true })} &`], fails: ['masked-paths'] },
        { what: 'chroot instead of pivot_root', commands: [`${buildLine({ chroot: true })} &`], fails: ['root'] },
        { what: 'every capability kept', commands: [`${buildLine({ allCaps: true })} &`], fails: ['capabilities'] },
        { what: 'no_new_privs left off', commands: [`${buildLine({ noNnp: true })} &`], fails: ['no-new-privs'] },
      ],
    },
  ],
} satisfies LessonModule;
