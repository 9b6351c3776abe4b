// Lesson 02: mount propagation between two mount namespaces. The sandbox's own mount namespace
// (A) builds a small lab of tmpfs mounts over /mnt, then util-linux `unshare -m` makes a
// second namespace (B) and `nsenter -m` runs mount(8) in it, the way a learner would. A's side
// is traced syscalls; both sides are judged by their /proc/PID/mountinfo lines. Everything
// lives in the sandbox's private mount namespace and disappears with it.
import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import type { CheckOutcome, ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { BackgroundProcess, SandboxContext } from '../../src/sandbox/types.js';

type Sys = SandboxContext['sys'];

/** The lab sits on /mnt, which every FHS system has; mounting over it touches nothing else. */
const LAB = '/mnt';
const KINDS = ['shared', 'private', 'slave', 'unbindable'] as const;
const TOOL_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

interface Line {
  id: number;
  mountPoint: string;
  source: string;
  tags: string[];
  raw: string;
}

/** A mountinfo line, just the parts this lesson reads: the optional fields sit between the
 * mount options (field 6) and the ' - ' separator. Checks run on the host without ctx.proc, so
 * this small parser is the lesson's own. */
function parseLine(raw: string): Line | null {
  const [left, right] = raw.split(' - ');
  if (!left || !right) return null;
  const f = left.split(' ');
  return { id: Number(f[0]), mountPoint: f[4] ?? '', source: right.split(' ')[1] ?? '', tags: f.slice(6), raw };
}

function labLines(text: string): Line[] {
  return text
    .split('\n')
    .map(parseLine)
    .filter((l): l is Line => !!l && (l.mountPoint === LAB || l.mountPoint.startsWith(`${LAB}/`)));
}

/** Only the lab's own mounts (by source name), for the diagrams: /mnt may hold host mounts. */
const OURS = /^(nslab-lab|lab-\w+|from-\w+|before-c)$/;
const ours = (text: string): string =>
  labLines(text)
    .filter((l) => OURS.test(l.source))
    .map((l) => l.raw)
    .join('\n');

/** The top-most mount at a path (the last line: later mounts are listed after earlier ones). */
const at = (lines: Line[], path: string): Line | undefined => lines.filter((l) => l.mountPoint === path).pop();
const tag = (l: Line | undefined, name: string): number | undefined => {
  const t = l?.tags.find((x) => x.startsWith(`${name}:`));
  return t ? Number(t.slice(name.length + 1)) : undefined;
};
const kindOf = (l: Line | undefined): string => (l ? l.tags.join(' ') || 'private (no tag)' : 'not mounted');
const rawOr = (l: Line | undefined, label: string, path: string): string => (l ? `${label}: ${l.raw}` : `${label}: no line for ${path}`);

function findTool(name: string): string | undefined {
  return TOOL_DIRS.map((d) => `${d}/${name}`).find((p) => existsSync(p));
}

function must(r: { ok: boolean; trace: string }, what: string): string {
  if (!r.ok) throw new Error(`${what} failed: ${r.trace}`);
  return r.trace;
}

const readMountinfo = (pid: number | 'self'): string => readFileSync(`/proc/${pid}/mountinfo`, 'utf8');

/** Start `unshare ... sleep` in the background and wait until it really is in a new mount
 * namespace (unshare is exec'd first, and unshares a moment later). */
async function otherNamespace(ctx: SandboxContext, unshare: string, flags: string[]): Promise<BackgroundProcess> {
  const bg = await ctx.background(unshare, [...flags, '/bin/sleep', '1000']);
  const mine = readlinkSync('/proc/self/ns/mnt');
  for (let i = 0; i < 200; i++) {
    try {
      if (readlinkSync(`/proc/${bg.pid}/ns/mnt`) !== mine && readFileSync(`/proc/${bg.pid}/comm`, 'utf8').trim() === 'sleep') return bg;
    } catch {
      /* not there yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`unshare ${flags.join(' ')} did not reach a new mount namespace: ${readFileSync(`/proc/${bg.pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
}

/** Run a command inside another process's namespaces with nsenter(1); returns the command line
 * as a learner would type it, and what it said. */
async function inside(ctx: SandboxContext, nsenter: string, pid: number, nsFlags: string[], cmd: string[]): Promise<{ cmd: string; code: number | null; stderr: string }> {
  const r = await ctx.spawn(nsenter, ['-t', String(pid), ...nsFlags, '--', ...cmd]);
  const line = `nsenter -t ${pid} ${nsFlags.join(' ')} ${cmd.join(' ')}`;
  ctx.note(`${line}  -> exit ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`);
  return { cmd: line, code: r.code, stderr: r.stderr.trim() };
}

function tools(ctx: SandboxContext): { unshare: string; nsenter: string; mount: string; umount: string } {
  const unshare = findTool('unshare');
  const nsenter = findTool('nsenter');
  const mount = findTool('mount');
  const umount = findTool('umount');
  if (!unshare || !nsenter || !mount || !umount) {
    ctx.skip(`util-linux's unshare, nsenter, mount and umount are needed to make and enter a second mount namespace; missing: ${[!unshare && 'unshare', !nsenter && 'nsenter', !mount && 'mount', !umount && 'umount'].filter(Boolean).join(', ')}`);
  }
  return { unshare, nsenter, mount, umount };
}

/** The lab: a tmpfs on /mnt holding one tmpfs per kind, each with empty directories to mount
 * on. Every mount has its own source name so its mountinfo line says what it is. */
function buildLab(sys: Sys, kinds: readonly string[]): string[] {
  if (!existsSync(LAB) || !statSync(LAB).isDirectory()) throw new Error(`${LAB} is not a directory on this machine`);
  const steps = [must(sys.mount('nslab-lab', LAB, 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'mode=755'), 'mount the lab tmpfs')];
  for (const k of kinds) {
    mkdirSync(`${LAB}/${k}`);
    steps.push(must(sys.mount(`lab-${k}`, `${LAB}/${k}`, 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'mode=755'), `mount ${k}`));
    for (const sub of ['from-a', 'from-b', 'from-b2', 'from-c', 'before-c']) mkdirSync(`${LAB}/${k}/${sub}`);
  }
  mkdirSync(`${LAB}/bind-target`);
  return steps;
}

// ---------------------------------------------------------------------------------------------
// Experiment 1: shared, private, slave, unbindable; and unshare(1)'s default.

interface KindsArgs {
  skipMakeShared?: boolean;
  privateMadeShared?: boolean;
  skipMakeSlave?: boolean;
  skipUnbindable?: boolean;
  b2Unchanged?: boolean;
}

interface KindsObs {
  steps: string[];
  bCmds: string[];
  bindTrace: string;
  bindErrno: string | null;
  rootLine: string;
  a: string;
  b: string;
  b2: string;
  b2Flags: string[];
}

const kinds: ExperimentSpec<KindsObs, KindsArgs> = {
  id: 'four-kinds',
  title: 'shared, private, slave and unbindable mounts between two mount namespaces',
  sandbox: { namespaces: ['mnt'] },
  commands: [
    'sudo unshare -m --propagation private bash       # A: a scratch namespace to play in',
    'mount -t tmpfs nslab-lab /mnt && mkdir /mnt/shared /mnt/private /mnt/slave /mnt/unbindable',
    'for d in shared private slave unbindable; do mount -t tmpfs lab-$d /mnt/$d; done',
    'mount --make-shared /mnt/shared; mount --make-shared /mnt/slave; mount --make-unbindable /mnt/unbindable',
    'unshare -m --propagation unchanged sleep 1000 &  # B: a second namespace, peer groups kept',
    'nsenter -t $! -m mount --make-slave /mnt/slave',
    'mount -t tmpfs from-a /mnt/shared/from-a         # in A: does it appear in B?',
    'nsenter -t $! -m mount -t tmpfs from-b /mnt/shared/from-b   # in B: does it appear in A?',
    'grep /mnt /proc/self/mountinfo; grep /mnt /proc/$!/mountinfo',
    'mount --bind /mnt/unbindable /mnt/bind-target    # EINVAL',
  ],
  predict: {
    question:
      "In A, /mnt/slave is shared. B was made with `unshare -m --propagation unchanged` and then ran `mount --make-slave /mnt/slave`. Now B mounts a tmpfs on /mnt/slave/from-b and A mounts one on /mnt/slave/from-a. Which namespaces see which mount?",
    choices: [
      'Both see both: B is still in the same peer group',
      "B sees A's mount, A does not see B's",
      "A sees B's mount, B does not see A's",
      'Neither sees the other\'s: slave means private',
    ],
    answer: 1,
    why: "--make-slave took B's /mnt/slave out of the peer group and made it a slave whose master is A's group (master:N in B's mountinfo, N being A's shared:N). Mount events flow from master to slave only: A's mount arrives in B, B's stays in B.",
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    const t = tools(ctx);
    const steps = buildLab(sys, KINDS);
    const rootLine = readMountinfo('self').split('\n').find((l) => l.split(' ')[4] === '/') ?? '(no / line)';
    ctx.note('A sets the propagation type of each mount');
    if (!args.skipMakeShared) steps.push(must(sys.mount(null, `${LAB}/shared`, null, sys.MS_SHARED, null), 'make shared'));
    if (args.privateMadeShared) steps.push(must(sys.mount(null, `${LAB}/private`, null, sys.MS_SHARED, null), 'make private shared (sabotage)'));
    steps.push(must(sys.mount(null, `${LAB}/slave`, null, sys.MS_SHARED, null), 'make slave-to-be shared'));
    if (!args.skipUnbindable) steps.push(must(sys.mount(null, `${LAB}/unbindable`, null, sys.MS_UNBINDABLE, null), 'make unbindable'));

    const b = await otherNamespace(ctx, t.unshare, ['-m', '--propagation', 'unchanged']);
    ctx.note(`B: PID ${b.pid}, made by unshare -m --propagation unchanged`);
    const bCmds: string[] = [];
    const inB = async (cmd: string[]) => {
      const r = await inside(ctx, t.nsenter, b.pid, ['-m'], cmd);
      bCmds.push(`${r.cmd} -> exit ${r.code}`);
      if (r.code !== 0) throw new Error(`${r.cmd} failed: ${r.stderr}`);
    };
    if (!args.skipMakeSlave) await inB([t.mount, '--make-slave', `${LAB}/slave`]);

    ctx.note('A mounts under each kind; B mounts under shared and slave');
    for (const k of ['shared', 'private', 'slave']) steps.push(must(sys.mount('from-a', `${LAB}/${k}/from-a`, 'tmpfs', 0, null), `A mounts under ${k}`));
    for (const k of ['shared', 'slave']) await inB([t.mount, '-t', 'tmpfs', 'from-b', `${LAB}/${k}/from-b`]);

    const b2Flags = args.b2Unchanged ? ['-m', '--propagation', 'unchanged'] : ['-m'];
    const b2 = await otherNamespace(ctx, t.unshare, b2Flags);
    ctx.note(`B2: PID ${b2.pid}, made by unshare ${b2Flags.join(' ')}`);
    const r2 = await inside(ctx, t.nsenter, b2.pid, ['-m'], [t.mount, '-t', 'tmpfs', 'from-b2', `${LAB}/shared/from-b2`]);
    bCmds.push(`${r2.cmd} -> exit ${r2.code}`);
    if (r2.code !== 0) throw new Error(`${r2.cmd} failed: ${r2.stderr}`);

    const bind = sys.mount(`${LAB}/unbindable`, `${LAB}/bind-target`, null, sys.MS_BIND, null);
    return {
      steps,
      bCmds,
      bindTrace: bind.trace,
      bindErrno: bind.errno,
      rootLine,
      a: readMountinfo('self'),
      b: readMountinfo(b.pid),
      b2: readMountinfo(b2.pid),
      b2Flags,
    };
  },
  checks: [
    {
      id: 'shared-both-ways',
      expected: "/mnt/shared is in the same peer group (shared:N) in A and B, and a mount made under it in either namespace appears in the other",
      check(obs): CheckOutcome {
        const a = labLines(obs.a);
        const b = labLines(obs.b);
        const aTop = at(a, `${LAB}/shared`);
        const bTop = at(b, `${LAB}/shared`);
        const n = tag(aTop, 'shared');
        const aToB = !!at(b, `${LAB}/shared/from-a`);
        const bToA = !!at(a, `${LAB}/shared/from-b`);
        const pass = n !== undefined && tag(bTop, 'shared') === n && aToB && bToA;
        return {
          pass,
          observed: `A: ${kindOf(aTop)}, B: ${kindOf(bTop)}; A's mount in B: ${aToB ? 'yes' : 'no'}; B's mount in A: ${bToA ? 'yes' : 'no'}`,
          evidence: [
            rawOr(aTop, 'A', `${LAB}/shared`),
            rawOr(bTop, 'B', `${LAB}/shared`),
            rawOr(at(b, `${LAB}/shared/from-a`), 'B', `${LAB}/shared/from-a`),
            rawOr(at(a, `${LAB}/shared/from-b`), 'A', `${LAB}/shared/from-b`),
          ],
          hint: pass
            ? undefined
            : n === undefined
              ? `A's ${LAB}/shared line has no shared:N tag (${kindOf(aTop)}): it was never made shared (no mount(NULL, "${LAB}/shared", NULL, MS_SHARED) in the trace), so B got a private copy and nothing crosses between them`
              : `A's ${LAB}/shared is shared:${n} but B's is ${kindOf(bTop)}`,
        };
      },
    },
    {
      id: 'private-stays-put',
      expected: "/mnt/private carries no shared or master tag, and A's mount under it never appears in B",
      check(obs): CheckOutcome {
        const a = labLines(obs.a);
        const b = labLines(obs.b);
        const aTop = at(a, `${LAB}/private`);
        const leaked = at(b, `${LAB}/private/from-a`);
        const pass = !!aTop && aTop.tags.length === 0 && !leaked && !!at(a, `${LAB}/private/from-a`);
        return {
          pass,
          observed: `A: ${kindOf(aTop)}; A's mount in B: ${leaked ? 'yes' : 'no'}`,
          evidence: [rawOr(aTop, 'A', `${LAB}/private`), rawOr(at(a, `${LAB}/private/from-a`), 'A', `${LAB}/private/from-a`), rawOr(leaked, 'B', `${LAB}/private/from-a`)],
          hint: pass
            ? undefined
            : leaked
              ? `B has its own ${LAB}/private/from-a (mount ${leaked.id}): A's ${LAB}/private is "${kindOf(aTop)}", a peer group, not private. Something made it shared (${obs.steps.find((s) => s.includes('/private') && s.includes('MS_SHARED')) ?? 'see the trace'})`
              : `A's ${LAB}/private line is ${kindOf(aTop)}`,
        };
      },
    },
    {
      id: 'slave-one-way',
      expected: "B's /mnt/slave shows master:N (N = A's shared:N): A's mount arrives in B, B's never reaches A",
      check(obs): CheckOutcome {
        const a = labLines(obs.a);
        const b = labLines(obs.b);
        const aTop = at(a, `${LAB}/slave`);
        const bTop = at(b, `${LAB}/slave`);
        const n = tag(aTop, 'shared');
        const isSlave = n !== undefined && tag(bTop, 'master') === n && tag(bTop, 'shared') === undefined;
        const aToB = !!at(b, `${LAB}/slave/from-a`);
        const back = at(a, `${LAB}/slave/from-b`);
        const pass = isSlave && aToB && !back;
        return {
          pass,
          observed: `A: ${kindOf(aTop)}, B: ${kindOf(bTop)}; A's mount in B: ${aToB ? 'yes' : 'no'}; B's mount in A: ${back ? 'yes' : 'no'}`,
          evidence: [
            rawOr(aTop, 'A', `${LAB}/slave`),
            rawOr(bTop, 'B', `${LAB}/slave`),
            rawOr(at(b, `${LAB}/slave/from-a`), 'B', `${LAB}/slave/from-a`),
            rawOr(back, 'A', `${LAB}/slave/from-b`),
            ...obs.bCmds.filter((c) => c.includes('make-slave')),
          ],
          hint: pass
            ? undefined
            : tag(bTop, 'shared') !== undefined
              ? `B's ${LAB}/slave is still "${kindOf(bTop)}": a full peer of A's, so B's mount came back to A${back ? ` (mount ${back.id})` : ''}. \`mount --make-slave ${LAB}/slave\` was not run in B (no such nsenter command above)`
              : `B's ${LAB}/slave is "${kindOf(bTop)}", A's is "${kindOf(aTop)}"`,
        };
      },
    },
    {
      id: 'unbindable-refuses-bind',
      expected: '/mnt/unbindable is tagged unbindable and mount --bind of it fails with EINVAL',
      check(obs): CheckOutcome {
        const aTop = at(labLines(obs.a), `${LAB}/unbindable`);
        const pass = !!aTop?.tags.includes('unbindable') && obs.bindErrno === 'EINVAL';
        return {
          pass,
          observed: `${kindOf(aTop)}; ${obs.bindTrace}`,
          evidence: [rawOr(aTop, 'A', `${LAB}/unbindable`), obs.bindTrace],
          hint: pass
            ? undefined
            : obs.bindErrno === null
              ? `the bind mount succeeded: A's ${LAB}/unbindable line is "${kindOf(aTop)}", without the unbindable tag, because MS_UNBINDABLE was never set on it`
              : `the bind failed with ${obs.bindErrno}, not EINVAL, and the line is "${kindOf(aTop)}"`,
        };
      },
    },
    {
      id: 'unshare-default-private',
      expected: "plain `unshare -m` (default --propagation private) leaves B2's /mnt/shared untagged, and B2's mount never reaches A",
      check(obs): CheckOutcome {
        const a = labLines(obs.a);
        const b2 = labLines(obs.b2);
        const top = at(b2, `${LAB}/shared`);
        const back = at(a, `${LAB}/shared/from-b2`);
        const rootB2 = obs.b2.split('\n').find((l) => l.split(' ')[4] === '/') ?? '(no / line)';
        const pass = !!top && top.tags.length === 0 && !back;
        return {
          pass,
          observed: `B2 (unshare ${obs.b2Flags.join(' ')}): ${kindOf(top)}; B2's mount in A: ${back ? 'yes' : 'no'}`,
          evidence: [`A (nslab made its / rprivate): ${obs.rootLine}`, `B2: ${rootB2}`, rawOr(top, 'B2', `${LAB}/shared`), rawOr(at(b2, `${LAB}/shared/from-b2`), 'B2', `${LAB}/shared/from-b2`), rawOr(back, 'A', `${LAB}/shared/from-b2`)],
          hint: pass
            ? undefined
            : `B2 was made with \`unshare ${obs.b2Flags.join(' ')}\` and its ${LAB}/shared is "${kindOf(top)}": --propagation unchanged keeps the peer groups the kernel copied, so B2's mount ${back ? `came back to A as mount ${back.id}` : 'could propagate'}. Without that option unshare(1) runs mount --make-rprivate / first.`,
        };
      },
    },
  ],
  diagrams: [
    {
      kind: 'mount-peers',
      title: 'Who is a peer of whom under /mnt',
      from: (obs) => [
        { label: 'A', mountinfo: ours(obs.a), filter: LAB },
        { label: 'B', mountinfo: ours(obs.b), filter: LAB },
      ],
    },
  ],
  sabotage: [
    { what: 'forget mount --make-shared on /mnt/shared', args: { skipMakeShared: true }, fails: ['shared-both-ways'] },
    { what: 'make /mnt/private shared by mistake', args: { privateMadeShared: true }, fails: ['private-stays-put'] },
    { what: 'forget mount --make-slave in B', args: { skipMakeSlave: true }, fails: ['slave-one-way'] },
    { what: 'forget mount --make-unbindable', args: { skipUnbindable: true }, fails: ['unbindable-refuses-bind'] },
    { what: 'make B2 with unshare -m --propagation unchanged', args: { b2Unchanged: true }, fails: ['unshare-default-private'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: a mount namespace owned by a new user namespace gets slaves, not peers.

interface UsernsArgs {
  /** Make C without a new user namespace: an equal peer instead of a less privileged copy. */
  noUserns?: boolean;
}

interface UsernsObs {
  a: string;
  c: string;
  cAfter: string;
  cFlags: string[];
  cUserns: string;
  aUserns: string;
  cCmds: string[];
  umount: { code: number | null; stderr: string };
}

const userns: ExperimentSpec<UsernsObs, UsernsArgs> = {
  id: 'userns-makes-slaves',
  title: 'a mount namespace inside a new user namespace turns shared mounts into slaves',
  sandbox: { namespaces: ['mnt'] },
  commands: [
    'sudo unshare -m --propagation private bash',
    'mount -t tmpfs nslab-lab /mnt && mkdir /mnt/shared && mount -t tmpfs lab-shared /mnt/shared',
    'mount --make-shared /mnt/shared',
    'mkdir /mnt/shared/before-c && mount -t tmpfs before-c /mnt/shared/before-c',
    'unshare -U -r -m --propagation unchanged sleep 1000 &   # C: new user ns + mount ns',
    'grep /mnt/shared /proc/$!/mountinfo                    # master:N, not shared:N',
    'mount -t tmpfs from-a /mnt/shared/from-a                # arrives in C',
    'nsenter -t $! -U --preserve-credentials -m mount -t tmpfs from-c /mnt/shared/from-c   # stays in C',
    'nsenter -t $! -U --preserve-credentials -m umount /mnt/shared/before-c         # refused: inherited mounts are locked',
  ],
  predict: {
    question:
      "A's /mnt/shared is shared:N. C is made with `unshare -U -r -m --propagation unchanged`: a new user namespace and a mount namespace owned by it, asking to keep propagation unchanged. What does C's mountinfo line for /mnt/shared carry?",
    choices: ['shared:N, the same peer group as A', 'master:N: it became a slave of A\'s group', 'No tag: it became private'],
    answer: 1,
    why: "A mount namespace owned by a different (new) user namespace is \"less privileged\". When the kernel copies the mounts into it, it turns every shared mount into a slave of its old peer group, whatever unshare asked for. Events from the more privileged side still flow in (A's mount appears in C), but nothing C mounts can propagate back out. The inherited mounts are also locked together, so C cannot unmount one to peek under it.",
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    const t = tools(ctx);
    buildLab(sys, ['shared']);
    must(sys.mount(null, `${LAB}/shared`, null, sys.MS_SHARED, null), 'make shared');
    // A mount C will inherit when it is made (rather than receive later by propagation).
    must(sys.mount('before-c', `${LAB}/shared/before-c`, 'tmpfs', 0, null), 'A mounts before C exists');
    const cFlags = args.noUserns ? ['-m', '--propagation', 'unchanged'] : ['-U', '-r', '-m', '--propagation', 'unchanged'];
    const c = await otherNamespace(ctx, t.unshare, cFlags);
    ctx.note(`C: PID ${c.pid}, made by unshare ${cFlags.join(' ')}`);
    // --preserve-credentials: nsenter would otherwise call setgroups(), which an unprivileged
    // sandbox's user namespace (setgroups deny) inherits into C and refuses.
    const nsFlags = args.noUserns ? ['-m'] : ['-U', '--preserve-credentials', '-m'];
    must(sys.mount('from-a', `${LAB}/shared/from-a`, 'tmpfs', 0, null), 'A mounts under shared');
    const cCmds: string[] = [];
    const m = await inside(ctx, t.nsenter, c.pid, nsFlags, [t.mount, '-t', 'tmpfs', 'from-c', `${LAB}/shared/from-c`]);
    cCmds.push(`${m.cmd} -> exit ${m.code}`);
    if (m.code !== 0) throw new Error(`${m.cmd} failed: ${m.stderr}`);
    const cBefore = readMountinfo(c.pid);
    // Try to unmount, in C, a mount C inherited when it was made. C's mounts are C's own copies,
    // so even where it works (the sabotage) it takes nothing away from A.
    const u = await inside(ctx, t.nsenter, c.pid, nsFlags, [t.umount, `${LAB}/shared/before-c`]);
    cCmds.push(`${u.cmd} -> exit ${u.code}${u.stderr ? ` (${u.stderr})` : ''}`);
    return {
      a: readMountinfo('self'),
      c: cBefore,
      cAfter: readMountinfo(c.pid),
      cFlags,
      cUserns: readlinkSync(`/proc/${c.pid}/ns/user`),
      aUserns: readlinkSync('/proc/self/ns/user'),
      cCmds,
      umount: { code: u.code, stderr: u.stderr },
    };
  },
  checks: [
    {
      id: 'userns-shared-becomes-slave',
      expected: "C's /mnt/shared carries master:N (N = A's shared:N) and no shared tag",
      check(obs): CheckOutcome {
        const aTop = at(labLines(obs.a), `${LAB}/shared`);
        const cTop = at(labLines(obs.c), `${LAB}/shared`);
        const n = tag(aTop, 'shared');
        const pass = n !== undefined && tag(cTop, 'master') === n && tag(cTop, 'shared') === undefined;
        return {
          pass,
          observed: `A: ${kindOf(aTop)}; C: ${kindOf(cTop)}; user ns A ${obs.aUserns}, C ${obs.cUserns}`,
          evidence: [rawOr(aTop, 'A', `${LAB}/shared`), rawOr(cTop, 'C', `${LAB}/shared`), `A: /proc/self/ns/user -> ${obs.aUserns}`, `C: /proc/PID/ns/user -> ${obs.cUserns}`],
          hint: pass
            ? undefined
            : obs.aUserns === obs.cUserns
              ? `C's mount namespace is owned by the same user namespace as A's (${obs.cUserns}), so --propagation unchanged kept it an equal peer (${kindOf(cTop)}). Only a mount namespace made together with a new user namespace (unshare -U) is demoted to slaves.`
              : `C is in its own user namespace but its /mnt/shared is "${kindOf(cTop)}" against A's "${kindOf(aTop)}"`,
        };
      },
    },
    {
      id: 'userns-one-way',
      expected: "A's mount under /mnt/shared appears in C; C's mount there never reaches A",
      check(obs): CheckOutcome {
        const a = labLines(obs.a);
        const c = labLines(obs.c);
        const inC = at(c, `${LAB}/shared/from-a`);
        const back = at(a, `${LAB}/shared/from-c`);
        const pass = !!inC && !back && !!at(c, `${LAB}/shared/from-c`);
        return {
          pass,
          observed: `A's mount in C: ${inC ? 'yes' : 'no'}; C's mount in A: ${back ? 'yes' : 'no'}`,
          evidence: [rawOr(inC, 'C', `${LAB}/shared/from-a`), rawOr(at(c, `${LAB}/shared/from-c`), 'C', `${LAB}/shared/from-c`), rawOr(back, 'A', `${LAB}/shared/from-c`), ...obs.cCmds.slice(0, 1)],
          hint: pass
            ? undefined
            : back
              ? `C's mount reached A as mount ${back.id} (${back.tags.join(' ')}): C (unshare ${obs.cFlags.join(' ')}) shares A's user namespace, so its /mnt/shared stayed a full peer and propagation runs both ways`
              : !inC
                ? "A's mount did not arrive in C: C's /mnt/shared is not a slave of A's group"
                : "C's own mount is missing from C's mountinfo",
        };
      },
    },
    {
      id: 'inherited-mounts-locked',
      expected: 'in C, umount of a mount C inherited when it was made is refused, and the mount stays (util-linux reports the EINVAL as "not mounted")',
      check(obs): CheckOutcome {
        const before = at(labLines(obs.c), `${LAB}/shared/before-c`);
        const still = at(labLines(obs.cAfter), `${LAB}/shared/before-c`);
        const pass = obs.umount.code !== 0 && !!before && !!still;
        return {
          pass,
          observed: `umount in C: exit ${obs.umount.code}${obs.umount.stderr ? ` (${obs.umount.stderr})` : ''}`,
          evidence: [
            rawOr(before, 'C (before the umount)', `${LAB}/shared/before-c`),
            ...obs.cCmds.slice(1),
            rawOr(still, 'C (after the umount)', `${LAB}/shared/before-c`),
            `C: /proc/PID/ns/user -> ${obs.cUserns}`,
          ],
          hint: pass
            ? undefined
            : `umount succeeded in C (exit ${obs.umount.code}): mounts are locked only when they are copied into a mount namespace owned by a less privileged (new) user namespace; C shares A's user namespace (${obs.cUserns})`,
        };
      },
    },
  ],
  diagrams: [
    {
      kind: 'mount-peers',
      title: 'A and C under /mnt/shared',
      from: (obs) => [
        { label: 'A', mountinfo: ours(obs.a), filter: `${LAB}/shared` },
        { label: 'C', mountinfo: ours(obs.c), filter: `${LAB}/shared` },
      ],
    },
  ],
  sabotage: [
    {
      what: 'make C without a new user namespace (unshare -m --propagation unchanged)',
      args: { noUserns: true },
      fails: ['userns-shared-becomes-slave', 'userns-one-way', 'inherited-mounts-locked'],
    },
  ],
};

export default {
  experiments: [kinds, userns],
  // Exercise mode: the learner makes this state in `nslab shell 02` with real tools, and
  // `nslab check 02` judges it from outside, however it was made.
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
        {
          id: 'mount-there',
          expected: 'a mount at $NSLAB_ROOTFS/home in its mountinfo',
          check: (p, scene) => {
            const at = scene.rootfs ? `${scene.rootfs.path}/home` : '$NSLAB_ROOTFS/home';
            const m = p.mounts.filter((x) => x.mountPoint === at).pop();
            return {
              pass: m !== undefined,
              observed: m ? `${m.fsType} at ${at}` : `nothing mounted at ${at}`,
              evidence: m ? [m.raw] : [`/proc/${p.pid}/mountinfo: no entry for ${at}`],
              hint: `mount a tmpfs there in the shell first: mount -t tmpfs lab "$NSLAB_ROOTFS/home"; a process started afterwards in a new mount namespace gets a copy`,
            };
          },
        },
        {
          id: 'own-mount-ns',
          expected: "in a mount namespace of its own, not the shell's",
          check: (p, scene) => {
            const other = scene.shell?.ns.mnt ?? p.hostNs.mnt;
            const whose = scene.shell ? "the shell's" : "nslab's";
            return {
              pass: p.ns.mnt !== other,
              observed: `mnt -> ${p.ns.mnt}`,
              evidence: [`/proc/${p.pid}/ns/mnt -> ${p.ns.mnt}`, `${whose}: ${other}`],
              hint: `PID ${p.pid} (${p.comm}) shares ${whose} mount namespace, so there is nothing to propagate between: start it with unshare -m`,
            };
          },
        },
        {
          id: 'slave',
          expected: 'the mount there is a slave (master:N): it receives, it does not send',
          check: (p, scene) => {
            const at = scene.rootfs ? `${scene.rootfs.path}/home` : '$NSLAB_ROOTFS/home';
            const m = p.mounts.filter((x) => x.mountPoint === at).pop();
            const theirs = scene.shell?.mounts.filter((x) => x.mountPoint === at).pop();
            if (!m) return { pass: false, observed: 'no mount there', evidence: [], hint: 'there is no mount to judge yet (see mount-there)' };
            const fromShell = theirs?.shared === undefined || m.master === theirs.shared;
            const pass = m.propagation === 'slave' && fromShell;
            const hints: Record<string, string> = {
              shared: `it is still a peer (shared:${m.shared}): mounts would propagate both ways; make it a slave in the new namespace (mount --make-slave) or start it with unshare -m --propagation slave`,
              private: `it is private: no propagation at all. unshare -m makes every mount private unless told otherwise (--propagation slave or unchanged), and the shell's mount must be shared before the copy is made (mount --make-shared in the shell). A slave whose master is gone (no process left in the shell's namespace) turns private too`,
              'shared+slave': `it receives from master:${m.master} but is also shared (shared:${m.shared}) with peers of its own: mount --make-slave makes it a pure slave`,
              unbindable: 'it is unbindable: nothing propagates to it; make the shell\'s mount shared and the copy a slave',
              slave: `it is a slave of peer group ${m.master}, but the shell's mount is in group ${theirs?.shared}: make the copy from the shell's shared mount`,
            };
            return {
              pass,
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
