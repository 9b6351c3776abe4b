// Lesson 02: mount propagation between two mount namespaces. The sandbox's own mount namespace (A)
// builds a small lab of tmpfs mounts over /mnt, then util-linux `unshare -m` makes a second one (B)
// and `nsenter -m` runs mount(8) in it, the way a learner would. A's side is traced syscalls; both
// are judged by their /proc/PID/mountinfo lines. All of it dies with the sandbox's mount namespace.
import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { exitLine, experiment, mountedAt, must, ownNamespace, parseMountinfo, runs, startAndWait, viewMount } from '../../src/kit/index.js';
import type { Check, CheckOutcome, LessonModule, MountEntry, SandboxContext } from '../../src/kit/index.js';

/** The lab sits on /mnt, which every FHS system has; mounting over it touches nothing else. */
const LAB = '/mnt';
/** The lab's mounts in a mountinfo text. */
const labLines = (text: string): MountEntry[] => parseMountinfo(text).filter((m) => m.mountPoint === LAB || m.mountPoint.startsWith(`${LAB}/`));

/** One namespace's lab, by path below /mnt: the top-most mount there (later mounts are listed
 * after earlier ones), and its line as evidence. */
type View = { at: (sub: string) => MountEntry | undefined; line: (sub: string) => string };
function view(who: string, text: string): View {
  const lines = labLines(text);
  const at = (sub: string) => lines.filter((l) => l.mountPoint === `${LAB}/${sub}`).pop();
  return { at, line: (sub) => `${who}: ${at(sub)?.raw ?? `no line for ${LAB}/${sub}`}` };
}

/** A check judged from two namespaces' views of the lab; `pick` says whose. (NoInfer: the
 * observations' type comes from the experiment, not from the picker.) */
function labCheck<O>(id: string, expected: string, pick: (o: NoInfer<O>) => [View, View], judge: (x: View, y: View, o: O) => CheckOutcome): Check<O> {
  return { id, expected, check: (o) => judge(...pick(o), o) };
}
const ab = (o: { a: string; b: string }): [View, View] => [view('A', o.a), view('B', o.b)];
const ac = (o: { a: string; c: string }): [View, View] => [view('A', o.a), view('C', o.c)];

/** Only the lab's own mounts (by source name), for the diagrams: /mnt may hold host mounts. */
const OURS = /^(nslab-lab|lab-\w+|from-\w+|before-c)$/;
const ours = (text: string): string => labLines(text).filter((l) => OURS.test(l.source)).map((l) => l.raw).join('\n');
/** N of a mount's shared:N or master:N tag. */
const tag = (l: MountEntry | undefined, name: 'shared' | 'master'): number | undefined => l?.optional[name];
/** Its optional fields as mountinfo prints them (they sit between the options and ' - '). */
const tagsOf = (l: MountEntry): string[] => l.raw.split(' - ')[0]!.split(' ').slice(6);
const kindOf = (l: MountEntry | undefined): string => (l ? tagsOf(l).join(' ') || 'private (no tag)' : 'not mounted');
const yes = (seen: unknown): string => (seen ? 'yes' : 'no');
const readMountinfo = (pid: number | 'self'): string => readFileSync(`/proc/${pid}/mountinfo`, 'utf8');

/** util-linux's programs from the host (skipping, with the package named, where one is missing). */
const hostTools = (ctx: SandboxContext) => ({ unshare: ctx.hostBin('unshare'), nsenter: ctx.hostBin('nsenter'), mount: ctx.hostBin('mount'), umount: ctx.hostBin('umount'), sleep: ctx.hostBin('sleep') });
type Tools = ReturnType<typeof hostTools>;

/** `unshare FLAGS sleep 1000` in the background, once it runs sleep: unshare(1) unshares (and sets
 * the propagation it was asked for) before it execs the program, so sleep is in the new namespace. */
const otherNamespace = (ctx: SandboxContext, t: Tools, flags: string[]) =>
  startAndWait(ctx, `unshare ${flags.join(' ')} to exec sleep`, t.unshare, [...flags, t.sleep, '1000'], (pid) => runs(pid, 'sleep'));

/** Run a command inside another process's namespaces with nsenter(1), the way a learner types it;
 * the line and its exit status go to `log`. It must work unless `mayFail`. */
async function inside(ctx: SandboxContext, t: Tools, pid: number, nsFlags: string[], cmd: string[], log: string[], mayFail = false) {
  const r = await ctx.spawn(t.nsenter, ['-t', String(pid), ...nsFlags, '--', ...cmd]);
  const line = `nsenter -t ${pid} ${nsFlags.join(' ')} ${cmd.join(' ')} -> ${exitLine(r)}`;
  ctx.note(line);
  log.push(line);
  if (r.code !== 0 && !mayFail) throw new Error(`${line} failed`);
  return { code: r.code, stderr: r.stderr.trim() };
}

/** The lab: a tmpfs on /mnt holding one tmpfs per kind, each with empty directories to mount
 * on. Every mount has its own source name so its mountinfo line says what it is. */
function buildLab(ctx: SandboxContext, kinds: readonly string[]): string[] {
  const { sys } = ctx;
  if (!existsSync(LAB) || !statSync(LAB).isDirectory()) throw new Error(`${LAB} is not a directory on this machine`);
  const steps = [must(sys.mount('nslab-lab', LAB, 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'mode=755'), 'mount the lab tmpfs').trace];
  for (const k of kinds) {
    mkdirSync(`${LAB}/${k}`);
    steps.push(must(sys.mount(`lab-${k}`, `${LAB}/${k}`, 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'mode=755'), `mount ${k}`).trace);
    for (const sub of ['from-a', 'from-b', 'from-b2', 'from-c', 'before-c']) mkdirSync(`${LAB}/${k}/${sub}`);
  }
  mkdirSync(`${LAB}/bind-target`);
  return steps;
}

// Experiment 1: shared, private, slave, unbindable; and unshare(1)'s default.

/** The sabotages: each leaves out (or adds) one step of the lab. */
type KindsArgs = { skipMakeShared?: boolean; privateMadeShared?: boolean; skipMakeSlave?: boolean; skipUnbindable?: boolean; b2Unchanged?: boolean };
async function kindsRun(ctx: SandboxContext, args: KindsArgs = {}) {
  const { sys } = ctx;
  const t = hostTools(ctx);
  const steps = buildLab(ctx, ['shared', 'private', 'slave', 'unbindable']);
  const rootLine = readMountinfo('self').split('\n').find((l) => l.split(' ')[4] === '/') ?? '(no / line)';
  ctx.note('A sets the propagation type of each mount');
  const make = (sub: string, flag: number, what: string) => steps.push(must(sys.mount(null, `${LAB}/${sub}`, null, flag, null), what).trace);
  if (!args.skipMakeShared) make('shared', sys.MS_SHARED, 'make shared');
  if (args.privateMadeShared) make('private', sys.MS_SHARED, 'make private shared (sabotage)');
  make('slave', sys.MS_SHARED, 'make slave-to-be shared');
  if (!args.skipUnbindable) make('unbindable', sys.MS_UNBINDABLE, 'make unbindable');
  const b = await otherNamespace(ctx, t, ['-m', '--propagation', 'unchanged']);
  ctx.note(`B: PID ${b.pid}, made by unshare -m --propagation unchanged`);
  const bCmds: string[] = [];
  if (!args.skipMakeSlave) await inside(ctx, t, b.pid, ['-m'], [t.mount, '--make-slave', `${LAB}/slave`], bCmds);
  ctx.note('A mounts under each kind; B mounts under shared and slave');
  for (const k of ['shared', 'private', 'slave']) steps.push(must(sys.mount('from-a', `${LAB}/${k}/from-a`, 'tmpfs', 0, null), `A mounts under ${k}`).trace);
  for (const k of ['shared', 'slave']) await inside(ctx, t, b.pid, ['-m'], [t.mount, '-t', 'tmpfs', 'from-b', `${LAB}/${k}/from-b`], bCmds);
  const b2Flags = args.b2Unchanged ? ['-m', '--propagation', 'unchanged'] : ['-m'];
  const b2 = await otherNamespace(ctx, t, b2Flags);
  ctx.note(`B2: PID ${b2.pid}, made by unshare ${b2Flags.join(' ')}`);
  await inside(ctx, t, b2.pid, ['-m'], [t.mount, '-t', 'tmpfs', 'from-b2', `${LAB}/shared/from-b2`], bCmds);
  const bind = sys.mount(`${LAB}/unbindable`, `${LAB}/bind-target`, null, sys.MS_BIND, null);
  return { steps, bCmds, bindTrace: bind.trace, bindErrno: bind.errno, rootLine, a: readMountinfo('self'), b: readMountinfo(b.pid), b2: readMountinfo(b2.pid), b2Flags };
}

const kinds = experiment({
  id: 'four-kinds',
  title: 'shared, private, slave and unbindable mounts between two mount namespaces',
  sandbox: { namespaces: ['mnt'] },
  run: kindsRun,
  checks: (check) => [
    labCheck('shared-both-ways', "/mnt/shared is in the same peer group (shared:N) in A and B, and a mount made under it in either namespace appears in the other", ab, (A, B) => {
      const n = tag(A.at('shared'), 'shared');
      const [aToB, bToA] = [B.at('shared/from-a'), A.at('shared/from-b')];
      return {
        pass: n !== undefined && tag(B.at('shared'), 'shared') === n && !!aToB && !!bToA,
        observed: `A: ${kindOf(A.at('shared'))}, B: ${kindOf(B.at('shared'))}; A's mount in B: ${yes(aToB)}; B's mount in A: ${yes(bToA)}`,
        evidence: [A.line('shared'), B.line('shared'), B.line('shared/from-a'), A.line('shared/from-b')],
        hint: n === undefined
          ? `A's ${LAB}/shared line has no shared:N tag (${kindOf(A.at('shared'))}): it was never made shared (no mount(NULL, "${LAB}/shared", NULL, MS_SHARED) in the trace), so B got a private copy and nothing crosses between them`
          : `A's ${LAB}/shared is shared:${n} but B's is ${kindOf(B.at('shared'))}`,
      };
    }),
    labCheck('copy-joins-new-group', "A's mount under /mnt/shared and its copy in B carry the same new shared:M (M not /mnt/shared's N): the copy is a peer of the original", ab, (A, B) => {
      const [n, mine, copy] = [tag(A.at('shared'), 'shared'), A.at('shared/from-a'), B.at('shared/from-a')];
      const m = tag(mine, 'shared');
      return {
        pass: n !== undefined && m !== undefined && m !== n && tag(copy, 'shared') === m,
        observed: `/mnt/shared: shared:${n ?? '-'}; from-a in A: ${kindOf(mine)}, its copy in B: ${kindOf(copy)}`,
        evidence: [A.line('shared'), A.line('shared/from-a'), B.line('shared/from-a')],
        hint: n === undefined ? `A's ${LAB}/shared is ${kindOf(A.at('shared'))}: a mount lands shared only on a shared parent, so from-a is ${kindOf(mine)} and B got no copy` : `from-a is "${kindOf(mine)}" in A and "${kindOf(copy)}" in B`,
      };
    }),
    labCheck('private-stays-put', "/mnt/private carries no shared or master tag, and A's mount under it never appears in B", ab, (A, B, obs) => {
      const [top, leaked] = [A.at('private'), B.at('private/from-a')];
      return {
        pass: top?.propagation === 'private' && !leaked && !!A.at('private/from-a'),
        observed: `A: ${kindOf(top)}; A's mount in B: ${yes(leaked)}`,
        evidence: [A.line('private'), A.line('private/from-a'), B.line('private/from-a')],
        hint: leaked
          ? `B has its own ${LAB}/private/from-a (mount ${leaked.id}): A's ${LAB}/private is "${kindOf(top)}", a peer group, not private. Something made it shared (${obs.steps.find((s) => s.includes('/private') && s.includes('MS_SHARED')) ?? 'see the trace'})`
          : `A's ${LAB}/private line is ${kindOf(top)}`,
      };
    }),
    labCheck('slave-one-way', "B's /mnt/slave shows master:N (N = A's shared:N): A's mount arrives in B, B's never reaches A", ab, (A, B, obs) => {
      const [aTop, bTop, back] = [A.at('slave'), B.at('slave'), A.at('slave/from-b')];
      const n = tag(aTop, 'shared');
      const isSlave = n !== undefined && tag(bTop, 'master') === n && tag(bTop, 'shared') === undefined;
      return {
        pass: isSlave && !!B.at('slave/from-a') && !back,
        observed: `A: ${kindOf(aTop)}, B: ${kindOf(bTop)}; A's mount in B: ${yes(B.at('slave/from-a'))}; B's mount in A: ${yes(back)}`,
        evidence: [A.line('slave'), B.line('slave'), B.line('slave/from-a'), A.line('slave/from-b'), ...obs.bCmds.filter((c) => c.includes('make-slave'))],
        hint: tag(bTop, 'shared') !== undefined
          ? `B's ${LAB}/slave is still "${kindOf(bTop)}": a full peer of A's, so B's mount came back to A${back ? ` (mount ${back.id})` : ''}. \`mount --make-slave ${LAB}/slave\` was not run in B (no such nsenter command above)`
          : `B's ${LAB}/slave is "${kindOf(bTop)}", A's is "${kindOf(aTop)}"`,
      };
    }),
    labCheck('under-slave-private', "B's own mount under its slave /mnt/slave carries no tag: a new mount joins a peer group only when its parent is shared", ab, (_A, B) => {
      const [parent, own] = [B.at('slave'), B.at('slave/from-b')];
      return {
        pass: tag(parent, 'master') !== undefined && own?.propagation === 'private',
        observed: `B's /mnt/slave: ${kindOf(parent)}; B's from-b under it: ${kindOf(own)}`,
        evidence: [B.line('slave'), B.line('slave/from-b')],
        hint: `B's ${LAB}/slave is "${kindOf(parent)}", so B's from-b under it is "${kindOf(own)}"${tag(parent, 'shared') ? ': the parent is still shared (no --make-slave ran in B), and a mount on a shared parent is shared too' : ''}`,
      };
    }),
    labCheck('unbindable-refuses-bind', '/mnt/unbindable is tagged unbindable and mount --bind of it fails with EINVAL', ab, (A, _B, obs) => {
      const top = A.at('unbindable');
      return {
        pass: !!top?.optional.unbindable && obs.bindErrno === 'EINVAL',
        observed: `${kindOf(top)}; ${obs.bindTrace}`,
        evidence: [A.line('unbindable'), obs.bindTrace],
        hint: obs.bindErrno === null
          ? `the bind mount succeeded: A's ${LAB}/unbindable line is "${kindOf(top)}", without the unbindable tag, because MS_UNBINDABLE was never set on it`
          : `the bind failed with ${obs.bindErrno}, not EINVAL, and the line is "${kindOf(top)}"`,
      };
    }),
    labCheck('unshare-default-private', "plain `unshare -m` (default --propagation private) leaves B2's /mnt/shared untagged, and B2's mount never reaches A", (o) => [view('A', o.a), view('B2', o.b2)], (A, B2, obs) => {
      const [top, back] = [B2.at('shared'), A.at('shared/from-b2')];
      const rootB2 = obs.b2.split('\n').find((l) => l.split(' ')[4] === '/') ?? '(no / line)';
      return {
        pass: top?.propagation === 'private' && !back,
        observed: `B2 (unshare ${obs.b2Flags.join(' ')}): ${kindOf(top)}; B2's mount in A: ${yes(back)}`,
        evidence: [`A (nslab made its / rprivate): ${obs.rootLine}`, `B2: ${rootB2}`, B2.line('shared'), B2.line('shared/from-b2'), A.line('shared/from-b2')],
        hint: `B2 was made with \`unshare ${obs.b2Flags.join(' ')}\` and its ${LAB}/shared is "${kindOf(top)}": --propagation unchanged keeps the peer groups the kernel copied, so B2's mount ${back ? `came back to A as mount ${back.id}` : 'could propagate'}. Without that option unshare(1) runs mount --make-rprivate / first.`,
      };
    }),
  ],
  diagrams: [{ kind: 'mount-peers', title: 'Who is a peer of whom under /mnt', from: (obs) => [{ label: 'A', mountinfo: ours(obs.a), filter: LAB }, { label: 'B', mountinfo: ours(obs.b), filter: LAB }] }],
  sabotage: [
    { what: 'forget mount --make-shared on /mnt/shared', args: { skipMakeShared: true }, fails: ['shared-both-ways', 'copy-joins-new-group'] },
    { what: 'make /mnt/private shared by mistake', args: { privateMadeShared: true }, fails: ['private-stays-put'] },
    { what: 'forget mount --make-slave in B', args: { skipMakeSlave: true }, fails: ['slave-one-way', 'under-slave-private'] },
    { what: 'forget mount --make-unbindable', args: { skipUnbindable: true }, fails: ['unbindable-refuses-bind'] },
    { what: 'make B2 with unshare -m --propagation unchanged', args: { b2Unchanged: true }, fails: ['unshare-default-private'] },
  ],
});

// Experiment 2: a mount namespace owned by a new user namespace gets slaves, not peers.

/** noUserns: make C without a new user namespace, an equal peer instead of a less privileged copy. */
async function usernsRun(ctx: SandboxContext, args: { noUserns?: boolean } = {}) {
  const { sys } = ctx;
  const t = hostTools(ctx);
  buildLab(ctx, ['shared']);
  must(sys.mount(null, `${LAB}/shared`, null, sys.MS_SHARED, null), 'make shared');
  // A mount C will inherit when it is made (rather than receive later by propagation).
  must(sys.mount('before-c', `${LAB}/shared/before-c`, 'tmpfs', 0, null), 'A mounts before C exists');
  const cFlags = args.noUserns ? ['-m', '--propagation', 'unchanged'] : ['-U', '-r', '-m', '--propagation', 'unchanged'];
  const c = await otherNamespace(ctx, t, cFlags);
  ctx.note(`C: PID ${c.pid}, made by unshare ${cFlags.join(' ')}`);
  // --preserve-credentials: nsenter would otherwise call setgroups(), which an unprivileged
  // sandbox's user namespace (setgroups deny) inherits into C and refuses.
  const nsFlags = args.noUserns ? ['-m'] : ['-U', '--preserve-credentials', '-m'];
  must(sys.mount('from-a', `${LAB}/shared/from-a`, 'tmpfs', 0, null), 'A mounts under shared');
  const cCmds: string[] = [];
  await inside(ctx, t, c.pid, nsFlags, [t.mount, '-t', 'tmpfs', 'from-c', `${LAB}/shared/from-c`], cCmds);
  const cBefore = readMountinfo(c.pid);
  // Try to unmount, in C, a mount C inherited when it was made. C's mounts are C's own copies,
  // so even where it works (the sabotage) it takes nothing away from A.
  const umount = await inside(ctx, t, c.pid, nsFlags, [t.umount, `${LAB}/shared/before-c`], cCmds, true);
  const [cUserns, aUserns] = [readlinkSync(`/proc/${c.pid}/ns/user`), readlinkSync('/proc/self/ns/user')];
  return { a: readMountinfo('self'), c: cBefore, cAfter: readMountinfo(c.pid), cFlags, cUserns, aUserns, cCmds, umount };
}

const userns = experiment({
  id: 'userns-makes-slaves',
  title: 'a mount namespace inside a new user namespace turns shared mounts into slaves',
  sandbox: { namespaces: ['mnt'] },
  run: usernsRun,
  checks: (check) => [
    labCheck('userns-shared-becomes-slave', "C's /mnt/shared carries master:N (N = A's shared:N) and no shared tag", ac, (A, C, obs) => {
      const [aTop, cTop] = [A.at('shared'), C.at('shared')];
      const n = tag(aTop, 'shared');
      return {
        pass: n !== undefined && tag(cTop, 'master') === n && tag(cTop, 'shared') === undefined,
        observed: `A: ${kindOf(aTop)}; C: ${kindOf(cTop)}; user ns A ${obs.aUserns}, C ${obs.cUserns}`,
        evidence: [A.line('shared'), C.line('shared'), `A: /proc/self/ns/user -> ${obs.aUserns}`, `C: /proc/PID/ns/user -> ${obs.cUserns}`],
        hint: obs.aUserns === obs.cUserns
          ? `C's mount namespace is owned by the same user namespace as A's (${obs.cUserns}), so --propagation unchanged kept it an equal peer (${kindOf(cTop)}). Only a mount namespace made together with a new user namespace (unshare -U) is demoted to slaves.`
          : `C is in its own user namespace but its /mnt/shared is "${kindOf(cTop)}" against A's "${kindOf(aTop)}"`,
      };
    }),
    labCheck('userns-one-way', "A's mount under /mnt/shared appears in C; C's mount there never reaches A", ac, (A, C, obs) => {
      const [inC, back] = [C.at('shared/from-a'), A.at('shared/from-c')];
      return {
        pass: !!inC && !back && !!C.at('shared/from-c'),
        observed: `A's mount in C: ${yes(inC)}; C's mount in A: ${yes(back)}`,
        evidence: [C.line('shared/from-a'), C.line('shared/from-c'), A.line('shared/from-c'), ...obs.cCmds.slice(0, 1)],
        hint: back
          ? `C's mount reached A as mount ${back.id} (${kindOf(back)}): C (unshare ${obs.cFlags.join(' ')}) shares A's user namespace, so its /mnt/shared stayed a full peer and propagation runs both ways`
          : !inC
            ? "A's mount did not arrive in C: C's /mnt/shared is not a slave of A's group"
            : "C's own mount is missing from C's mountinfo",
      };
    }),
    labCheck(
      'inherited-mounts-locked',
      'in C, umount of a mount C inherited when it was made is refused, and the mount stays (util-linux reports the EINVAL as "not mounted")',
      (o) => [view('C (before the umount)', o.c), view('C (after the umount)', o.cAfter)],
      (before, after, obs) => ({
        pass: obs.umount.code !== 0 && !!before.at('shared/before-c') && !!after.at('shared/before-c'),
        observed: `umount in C: exit ${obs.umount.code}${obs.umount.stderr ? ` (${obs.umount.stderr})` : ''}`,
        evidence: [before.line('shared/before-c'), ...obs.cCmds.slice(1), after.line('shared/before-c'), `C: /proc/PID/ns/user -> ${obs.cUserns}`],
        hint: `umount succeeded in C (exit ${obs.umount.code}): mounts are locked only when they are copied into a mount namespace owned by a less privileged (new) user namespace; C shares A's user namespace (${obs.cUserns})`,
      }),
    ),
  ],
  diagrams: [{ kind: 'mount-peers', title: 'A and C under /mnt/shared', from: (obs) => [{ label: 'A', mountinfo: ours(obs.a), filter: `${LAB}/shared` }, { label: 'C', mountinfo: ours(obs.c), filter: `${LAB}/shared` }] }],
  sabotage: [
    { what: 'make C without a new user namespace (unshare -m --propagation unchanged)', args: { noUserns: true }, fails: ['userns-shared-becomes-slave', 'userns-one-way', 'inherited-mounts-locked'] },
  ],
});

/** Where the exercise's mount is, as the checked process's mountinfo names it. */
const homeOf = (scene: { rootfs: { path: string } | null }) => (scene.rootfs ? `${scene.rootfs.path}/home` : '$NSLAB_ROOTFS/home');

export default {
  experiments: [kinds, userns],
  // Exercise mode: made with real tools in `nslab shell 02`, judged from outside by `nslab check 02`.
  exercises: [
    {
      id: 'slave-copy',
      title: "A slave copy of the shell's shared mount",
      task: "Mount a tmpfs on $NSLAB_ROOTFS/home in this shell and make it shared. Then start a process in a\nnew mount namespace where that mount is a slave of the shell's: mounts made under it here\nappear there, none made there come back. Leave that process running.",
      hints: [
        'mount -t tmpfs lab "$NSLAB_ROOTFS/home", then mount --make-shared "$NSLAB_ROOTFS/home"; findmnt -o TARGET,PROPAGATION shows the result.',
        'unshare -m makes every mount private in the new namespace unless told otherwise: look at its --propagation option.',
        'unshare -m --propagation slave sleep 1000 &  (or --propagation unchanged, then mount --make-slave inside)',
      ],
      checks: [
        mountedAt('mount-there', 'a mount at $NSLAB_ROOTFS/home in its mountinfo', homeOf, undefined, () =>
          'mount a tmpfs there in the shell first: mount -t tmpfs lab "$NSLAB_ROOTFS/home"; a process started afterwards in a new mount namespace gets a copy',
        ),
        ownNamespace('own-mount-ns', "in a mount namespace of its own, not the shell's", 'mnt', (p, whose) =>
          `PID ${p.pid} (${p.comm}) shares ${whose} mount namespace, so there is nothing to propagate between: start it with unshare -m`,
        ),
        {
          id: 'slave',
          expected: 'the mount there is a slave (master:N): it receives, it does not send',
          check: (p, scene) => {
            const m = viewMount(p, homeOf(scene));
            const theirs = scene.shell ? viewMount(scene.shell, homeOf(scene)) : undefined;
            if (!m) return { pass: false, observed: 'no mount there', evidence: [], hint: 'there is no mount to judge yet (see mount-there)' };
            const hints: Record<string, string> = {
              shared: `it is still a peer (shared:${m.shared}): mounts would propagate both ways; make it a slave in the new namespace (mount --make-slave) or start it with unshare -m --propagation slave`,
              private: `it is private: no propagation at all. unshare -m makes every mount private unless told otherwise (--propagation slave or unchanged), and the shell's mount must be shared before the copy is made (mount --make-shared in the shell). A slave whose master is gone (no process left in the shell's namespace) turns private too`,
              'shared+slave': `it receives from master:${m.master} but is also shared (shared:${m.shared}) with peers of its own: mount --make-slave makes it a pure slave`,
              unbindable: 'it is unbindable: nothing propagates to it; make the shell\'s mount shared and the copy a slave',
              slave: `it is a slave of peer group ${m.master}, but the shell's mount is in group ${theirs?.shared}: make the copy from the shell's shared mount`,
            };
            return {
              pass: m.propagation === 'slave' && (theirs?.shared === undefined || m.master === theirs.shared),
              observed: m.propagation === 'slave' ? `slave (master:${m.master})` : m.propagation,
              evidence: [m.raw, ...(theirs ? [`the shell's: ${theirs.raw}`] : [])],
              hint: hints[m.propagation],
            };
          },
        },
      ],
      solution: ['mount -t tmpfs lab "$NSLAB_ROOTFS/home"', 'mount --make-shared "$NSLAB_ROOTFS/home"', 'unshare -m --propagation slave sleep 1000 &'],
      nearMisses: [
        { what: 'unshare -m with its default propagation (private)', commands: ['mount -t tmpfs lab "$NSLAB_ROOTFS/home"', 'mount --make-shared "$NSLAB_ROOTFS/home"', 'unshare -m sleep 1000 &'], fails: ['slave'] },
        { what: 'the copy left a peer (shared)', commands: ['mount -t tmpfs lab "$NSLAB_ROOTFS/home"', 'mount --make-shared "$NSLAB_ROOTFS/home"', 'unshare -m --propagation unchanged sleep 1000 &'], fails: ['slave'] },
      ],
    },
  ],
} satisfies LessonModule;
