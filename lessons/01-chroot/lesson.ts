// Lesson 01: chroot, what it changes (one process's idea of "/") and what it leaves alone
// (processes, /proc, the tree above the new root). Every experiment chroots itself (pivot:
// false) so each step is a traced syscall. All writes go to a tmpfs mounted on the rootfs's
// /tmp inside the sandbox's own mount namespace: nothing reaches the rootfs on disk.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import type { CheckOutcome, ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { OutsideView, SandboxContext } from '../../src/sandbox/types.js';

type Sys = SandboxContext['sys'];
type Ident = { dev: number; ino: number };

const CAP_SYS_CHROOT = 18;
/** The decoy's argument: odd enough that nothing else in the sandbox has it. */
const DECOY_SECONDS = '4242.5';

const same = (a: Ident | undefined, b: Ident | undefined): boolean => !!a && !!b && a.dev === b.dev && a.ino === b.ino;
const show = (i: Ident | undefined): string => (i ? `(dev ${i.dev}, ino ${i.ino})` : '(none)');
const ident = (path: string): Ident => {
  const st = statSync(path);
  return { dev: st.dev, ino: st.ino };
};
const tryRead = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};
const statusLines = (text: string | null, keys: string[]): string[] =>
  text ? text.split('\n').filter((l) => keys.some((k) => l.startsWith(`${k}:`))) : [];

/** Steps that must work for the experiment to mean anything: fail loudly with the trace line. */
function must(r: { ok: boolean; trace: string }, what: string): string {
  if (!r.ok) throw new Error(`${what} failed: ${r.trace}`);
  return r.trace;
}

/** A tmpfs on the rootfs's /tmp, so mkdir and friends never touch the rootfs on disk. */
function scratchTmp(sys: Sys, rootfs: string): string {
  return must(sys.mount('tmpfs', `${rootfs}/tmp`, 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'mode=1777'), 'mount a tmpfs on the rootfs /tmp');
}

function chrootInto(sys: Sys, path: string): string[] {
  const steps = [must(sys.chroot(path), `chroot ${path}`), must(sys.chdir('/'), 'chdir /')];
  process.chdir('/');
  return steps;
}

/** A line of mountTrace that mounted proc: our own mount(2) call, or mount(8) run for us. */
const isProcMount = (t: string): boolean => t.includes('"proc"') || t.includes(' -t proc ');

function viewAt(outside: Record<string, OutsideView[]>, label: string): OutsideView | undefined {
  return outside[label]?.[0];
}

function rootEvidence(v: OutsideView): string[] {
  return [
    `readlink /proc/${v.pid}/root = ${v.rootLink}`,
    `stat /proc/${v.pid}/root: ${show(v.root)}`,
    `stat / (host): ${show(v.hostRoot)}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Experiment 1: /proc inside a chroot, and a process outside it.

interface ProcArgs {
  /** Mount proc on the rootfs before the chroot, so /proc is not empty at the first look. */
  procPremounted?: boolean;
  /** Mount a proc that belongs to a fresh, separate PID namespace instead of our own. */
  procFromOtherPidns?: boolean;
}

interface ProcObs {
  rootfs: string;
  procBefore: string[];
  procAfter: string[];
  mountTrace: string[];
  procMountLine: string;
  decoy: {
    pid: number;
    found: number | null;
    status: string[];
    /** (dev, ino) of /proc/PID/root for the decoy and for ourselves, seen inside the chroot. */
    root: Ident | null;
    myRoot: Ident | null;
    /** ls /proc/PID/root: the decoy's root directory, reached from inside the chroot. */
    throughRoot: string[];
  };
  kill: { trace: string; ok: boolean } | null;
  exit: { code: number | null; signal: string | null } | null;
}

const procInChroot: ExperimentSpec<ProcObs, ProcArgs> = {
  id: 'proc-in-chroot',
  title: 'an empty /proc, then every process, and a signal across the chroot',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  commands: [
    'sleep 4242.5 &                      # the decoy, started outside the chroot',
    'sudo chroot "$ROOTFS" /bin/sh',
    'ls /proc                            # nothing: just an empty directory',
    'mount -t proc proc /proc',
    'ls /proc                            # PIDs, including the decoy\'s',
    'grep -l 4242.5 /proc/[0-9]*/cmdline # find it',
    'kill -TERM <PID>                    # and it dies, though it is outside the chroot',
  ],
  predict: {
    question: 'Right after chroot into the rootfs, before mounting anything, what does `ls /proc` show?',
    choices: [
      "The host's processes: /proc is the kernel's, and chroot does not change that",
      'Nothing: /proc is an empty directory of the rootfs until something is mounted there',
      "Only the chrooted shell itself",
    ],
    answer: 1,
    why: "chroot only changes where paths starting with / are looked up. The rootfs's /proc is an ordinary empty directory; procfs shows up only once it is mounted there, and then it lists every process of the PID namespace of whoever mounted it, inside the chroot or not.",
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    const rootfs = ctx.rootfs ?? ctx.skip("this experiment needs nslab's rootfs");
    const mountTrace: string[] = [];
    // The decoy: a process of our own, started outside the chroot. It is the only process this
    // lesson ever signals.
    const sleep = ctx.hostBin('sleep');
    const decoy = await ctx.background(sleep, [DECOY_SECONDS]);
    ctx.note(`decoy: ${sleep} ${DECOY_SECONDS}, PID ${decoy.pid}, rooted at the sandbox's /, outside the chroot`);
    mountTrace.push(scratchTmp(sys, rootfs));
    if (args.procPremounted) {
      mountTrace.push(must(sys.mount('proc', `${rootfs}/proc`, 'proc', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null), 'mount proc early'));
    }
    if (args.procFromOtherPidns) {
      // What a PID namespace changes: this proc is mounted by a process in a new, separate PID
      // namespace, so it lists that namespace's processes, not ours.
      // The host's mount(8), run by the helper as PID 1 of a new PID namespace (same mount
      // namespace, so the mount is ours to see).
      ctx.note('sabotage: proc is mounted from inside a fresh PID namespace of its own');
      const mount = [ctx.hostBin('mount'), '-t', 'proc', 'proc', `${rootfs}/proc`];
      const r = await ctx.spawn(ctx.helper, ['run', '-p', '--', ...mount]);
      if (r.code !== 0) throw new Error(`mounting proc from a new PID namespace failed: ${r.stderr.trim()}`);
      mountTrace.push(`${mount.join(' ')}, run as PID 1 of a new PID namespace (nslab-helper run -p): exit ${r.code}`);
    }
    // The rootfs's /proc as the sandbox's own procfs lists it, in case the one mounted there
    // has no /proc/self to read (a procfs of another PID namespace has no entry for us).
    const procLineOutside = (tryRead('/proc/self/mountinfo') ?? '').split('\n').find((l) => l.split(' ')[4] === `${rootfs}/proc`);
    chrootInto(sys, rootfs);
    const procBefore = readdirSync('/proc');
    if (!args.procPremounted && !args.procFromOtherPidns) {
      mountTrace.push(must(sys.mount('proc', '/proc', 'proc', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null), 'mount proc'));
    }
    const procAfter = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
    const procMountLine =
      (tryRead('/proc/self/mountinfo') ?? '').split('\n').find((l) => l.split(' ')[4] === '/proc') ??
      (procLineOutside
        ? `${procLineOutside} (read before the chroot: this /proc has no /proc/self, since no process of ours is in its PID namespace)`
        : '(no /proc line: /proc/self/mountinfo unreadable)');

    // Find the decoy the way a learner would: by its command line, in the chroot's /proc.
    let found: number | null = null;
    for (const pid of procAfter) {
      const cmd = tryRead(`/proc/${pid}/cmdline`);
      if (cmd && cmd.split('\0')[1] === DECOY_SECONDS) found = Number(pid);
    }
    const status = found === null ? [] : statusLines(tryRead(`/proc/${found}/status`), ['Name', 'State', 'Pid', 'PPid', 'NSpid']);
    const tryIdent = (p: string): Ident | null => {
      try {
        return ident(p);
      } catch {
        return null;
      }
    };
    const root = found === null ? null : tryIdent(`/proc/${found}/root`);
    const myRoot = tryIdent('/proc/self/root');
    let throughRoot: string[] = [];
    try {
      if (found !== null) throughRoot = readdirSync(`/proc/${found}/root`).sort();
    } catch (err) {
      throughRoot = [`(${(err as NodeJS.ErrnoException).code})`];
    }

    let kill: ProcObs['kill'] = null;
    let exit: ProcObs['exit'] = null;
    if (found !== null) {
      ctx.note(`signal the decoy (found as PID ${found} in the chroot's /proc) from inside the chroot`);
      const r = sys.kill(found, sys.SIGTERM);
      kill = { trace: r.trace, ok: r.ok };
      exit = await Promise.race([decoy.exited, new Promise<null>((res) => setTimeout(() => res(null), 3000))]);
    } else {
      ctx.note(`no process with "${DECOY_SECONDS}" in its command line is listed in this /proc: nothing to signal`);
    }
    return { rootfs, procBefore, procAfter, mountTrace, procMountLine, decoy: { pid: decoy.pid, found, status, root, myRoot, throughRoot }, kill, exit };
  },
  checks: [
    {
      id: 'proc-empty-until-mounted',
      expected: "/proc inside the chroot is empty until proc is mounted on it; afterwards it lists PIDs",
      check(obs): CheckOutcome {
        const pass = obs.procBefore.length === 0 && obs.procAfter.length > 0;
        const before = obs.procBefore.length ? obs.procBefore.slice(0, 8).join(' ') + (obs.procBefore.length > 8 ? ' ...' : '') : '(empty)';
        return {
          pass,
          observed: `before: ${obs.procBefore.length} entries; after mount: ${obs.procAfter.length} PIDs`,
          evidence: [`ls /proc (before mounting): ${before}`, ...obs.mountTrace.filter((t) => isProcMount(t)), obs.procMountLine, `ls /proc (after): ${obs.procAfter.join(' ')}`],
          hint: pass
            ? undefined
            : obs.procBefore.length
              ? `/proc already held ${obs.procBefore.length} entries (${before}) at the first look: something mounted proc on ${obs.rootfs}/proc before the chroot (${obs.mountTrace.find((t) => isProcMount(t)) ?? 'see the mountinfo line'}). An unmounted /proc is just an empty directory.`
              : 'the mount of proc listed no PIDs at all: the trace shows which mount call ran',
        };
      },
    },
    {
      id: 'decoy-visible',
      expected: "the decoy started outside the chroot shows up in the chroot's /proc, rooted outside it",
      check(obs): CheckOutcome {
        const d = obs.decoy;
        const outsideRoot = !!d.root && !!d.myRoot && !same(d.root, d.myRoot);
        const pass = d.found !== null && d.found === d.pid && d.status.length > 0 && outsideRoot;
        const through = d.throughRoot.slice(0, 14).join(' ') + (d.throughRoot.length > 14 ? ' ...' : '');
        return {
          pass,
          observed:
            d.found === null
              ? `decoy PID ${d.pid} not listed among ${obs.procAfter.length} PIDs`
              : `PID ${d.found} listed; its root ${show(d.root ?? undefined)} is not ours ${show(d.myRoot ?? undefined)}`,
          evidence: [
            obs.procMountLine,
            ...d.status,
            `stat /proc/${d.found ?? d.pid}/root: ${show(d.root ?? undefined)}`,
            `stat /proc/self/root: ${show(d.myRoot ?? undefined)}`,
            `ls /proc/${d.found ?? d.pid}/root: ${through || '(nothing)'}`,
          ],
          hint: pass
            ? undefined
            : d.found === null
              ? `this /proc lists PIDs ${obs.procAfter.join(' ') || '(none)'}, but not the decoy (PID ${d.pid} in our namespace). A procfs shows the PID namespace of the process that mounted it: this one was mounted from another PID namespace (${obs.procMountLine}). That is exactly what a container's PID namespace is for.`
              : d.found !== d.pid
                ? `found PID ${d.found}, but the decoy is PID ${d.pid}`
                : `the decoy's root ${show(d.root ?? undefined)} is the same directory as ours ${show(d.myRoot ?? undefined)}: it was not started outside the chroot`,
        };
      },
    },
    {
      id: 'decoy-killed-from-chroot',
      expected: 'kill(PID, SIGTERM) from inside the chroot reaches the decoy, which dies of SIGTERM',
      check(obs): CheckOutcome {
        // The decoy runs under nslab's helper, which exits the way its child did: 128 + signal.
        const byTerm = obs.exit?.signal === 'SIGTERM' || obs.exit?.code === 128 + 15;
        const pass = !!obs.kill?.ok && byTerm;
        const how = obs.exit
          ? obs.exit.signal
            ? `killed by ${obs.exit.signal}`
            : obs.exit.code === 143
              ? 'killed by SIGTERM (exit status 143 = 128 + 15)'
              : `exited with ${obs.exit.code}`
          : 'still running 3 s later';
        return {
          pass,
          observed: obs.kill ? `${obs.kill.trace}; decoy ${how}` : 'no kill was sent',
          evidence: [...obs.decoy.status, obs.kill?.trace ?? '(no kill call in the trace)', `decoy: ${obs.kill ? how : 'untouched'}`],
          hint: pass
            ? undefined
            : !obs.kill
              ? `the chroot's /proc never listed the decoy, so there was no PID to signal: its /proc came from another PID namespace (${obs.procMountLine}). A PID namespace, not chroot, is what hides processes.`
              : !obs.kill.ok
                ? `kill failed: ${obs.kill.trace}`
                : `kill returned 0 but the decoy was ${how}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'mount proc on the rootfs before looking', args: { procPremounted: true }, fails: ['proc-empty-until-mounted'] },
    {
      what: "mount a /proc that belongs to a separate PID namespace (what a container's PID namespace does)",
      args: { procFromOtherPidns: true },
      fails: ['decoy-visible', 'decoy-killed-from-chroot'],
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: the classic escape.

interface EscapeArgs {
  /** Never chroot in the first place. */
  skipChroot?: boolean;
  /** chdir into the escape directory before the second chroot: the correct way to chroot. */
  chdirIntoNewRoot?: boolean;
}

interface EscapeObs {
  rootfs: string;
  rootfsIdent: Ident;
  steps: string[];
  climbs: number;
  seesRootfsPath: boolean;
  listing: string[];
}

const escapeChroot: ExperimentSpec<EscapeObs, EscapeArgs> = {
  id: 'chroot-escape',
  title: 'mkdir, chroot into it, chdir("..") until it stops, chroot(".")',
  sandbox: { namespaces: ['mnt'], rootfs: true, pivot: false },
  commands: [
    'sudo chroot "$ROOTFS" /bin/sh',
    '# inside: a root process makes the classic escape\'s calls (in C: chroot(2), chdir(2); chroot(1) cannot,',
    '# since it changes into the new root before running anything):',
    'mkdir /tmp/escape',
    'chroot /tmp/escape         # the root moves down; the working directory does not',
    'cd ..; cd ..; cd ..; ...   # climb from the old root to the real one',
    'chroot .                   # make the real / the root again',
    'sudo readlink /proc/<PID>/root   # from the host: /',
  ],
  predict: {
    question:
      'Inside the chroot, as root, a process does mkdir("/tmp/escape"), chroot("/tmp/escape") (without chdir into it), then chdir("..") many times and chroot("."). Where is it rooted now?',
    choices: [
      'Still in the rootfs: ".." never goes above the chroot',
      "At the host's real /",
      'In /tmp/escape: the second chroot is the tighter one',
    ],
    answer: 1,
    why: "\"..\" only stops at the process's root directory. The second chroot moved the root down to /tmp/escape but left the working directory where it was, above the new root, so nothing stops the climb: it walks past the old rootfs up to the namespace's real /, and chroot(\".\") makes that the root again. chroot is not a security boundary for a root process.",
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    const rootfs = ctx.rootfs ?? ctx.skip("this experiment needs nslab's rootfs");
    const rootfsIdent = ident(rootfs);
    const steps = [scratchTmp(sys, rootfs)];
    if (!args.skipChroot) steps.push(...chrootInto(sys, rootfs));
    else ctx.note('sabotage: no chroot at all');
    await ctx.outside('chrooted');

    ctx.note('the escape: a new directory, chroot into it, keep the working directory outside');
    const inner = args.skipChroot ? `${rootfs}/tmp/escape` : '/tmp/escape';
    steps.push(must(sys.mkdir(inner, 0o755), 'mkdir'));
    if (args.chdirIntoNewRoot) {
      ctx.note('sabotage: chdir into the new root first, as a careful chroot(1) does');
      steps.push(must(sys.chdir(inner), 'chdir'));
    }
    steps.push(must(sys.chroot(inner), 'chroot into the subdirectory'));
    let climbs = 0;
    // Climb until ".." is "." itself: that only happens at a root, ours or the namespace's.
    while (climbs < 64) {
      const here = ident('.');
      const up = ident('..');
      if (same(here, up)) break;
      steps.push(must(sys.chdir('..'), 'chdir ..'));
      climbs++;
    }
    steps.push(must(sys.chroot('.'), 'chroot .'));
    steps.push(must(sys.chdir('/'), 'chdir /'));
    process.chdir('/');
    const seesRootfsPath = existsSync(rootfs);
    const listing = readdirSync('/').sort();
    await ctx.outside('escaped');
    return { rootfs, rootfsIdent, steps, climbs, seesRootfsPath, listing };
  },
  checks: [
    {
      id: 'chroot-moves-root',
      expected: "after chroot, the host sees /proc/PID/root pointing at the rootfs, not at its own /",
      check(obs, outside): CheckOutcome {
        const v = viewAt(outside, 'chrooted');
        const pass = !!v && same(v.root, obs.rootfsIdent) && !same(v.root, v.hostRoot);
        return {
          pass,
          observed: v ? `root ${show(v.root)} = ${v.rootLink}` : 'no outside view',
          evidence: v ? [...rootEvidence(v), `stat ${obs.rootfs}: ${show(obs.rootfsIdent)}`, ...obs.steps.filter((s) => s.startsWith('chroot(')).slice(0, 1)] : [],
          hint: pass
            ? undefined
            : !v
              ? 'the host never looked: the checkpoint "chrooted" is missing'
              : same(v.root, v.hostRoot)
                ? `/proc/${v.pid}/root is the host's / ${show(v.hostRoot)}: no chroot(${JSON.stringify(obs.rootfs)}) ran before the checkpoint (the trace shows none)`
                : `the root ${show(v.root)} is neither the host's / nor the rootfs ${show(obs.rootfsIdent)}`,
        };
      },
    },
    {
      id: 'escape-reaches-host-root',
      expected: "after the escape, /proc/PID/root has the same (dev, inode) as the host's / and reads '/'",
      check(obs, outside): CheckOutcome {
        const v = viewAt(outside, 'escaped');
        const pass = !!v && same(v.root, v.hostRoot) && v.rootLink === '/';
        return {
          pass,
          observed: v ? `root ${show(v.root)} = ${v.rootLink}; host / ${show(v.hostRoot)}; ${obs.climbs} chdir("..") calls` : 'no outside view',
          evidence: v
            ? [...rootEvidence(v), ...obs.steps.filter((s) => s.startsWith('chroot(') || s.startsWith('mkdir(')), `chdir("..") x ${obs.climbs}`, `ls / after: ${obs.listing.join(' ')}`]
            : [],
          hint: pass
            ? undefined
            : !v
              ? 'the host never looked: the checkpoint "escaped" is missing'
              : `the process is still rooted at ${v.rootLink} ${show(v.root)}, after ${obs.climbs} chdir("..") calls: ".." stopped at once because the working directory was already inside the new root (${obs.steps.find((s) => s.startsWith('chdir("/') && s.includes('escape')) ?? 'chdir into it'}). The escape needs a working directory outside the root.`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'skip the chroot: the process is never confined', args: { skipChroot: true }, fails: ['chroot-moves-root'] },
    { what: 'chdir into the escape directory before chroot, as chroot(1) does', args: { chdirIntoNewRoot: true }, fails: ['escape-reaches-host-root'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 3: chroot needs CAP_SYS_CHROOT.

interface CapArgs {
  /** Leave CAP_SYS_CHROOT in the effective set. */
  keepCap?: boolean;
  /** Drop it from the permitted set too, so it cannot be raised again. */
  dropPermitted?: boolean;
}

interface CapObs {
  capEffBefore: string;
  capsetTrace: string;
  capEffDropped: string;
  capPrmDropped: string;
  capEffRaised: string;
  denied: { trace: string; errno: string | null };
  allowed: { trace: string; errno: string | null };
}

const capLine = (key: string): string => statusLines(tryRead('/proc/thread-self/status'), [key])[0] ?? `${key}: (unreadable)`;
const hasBit = (line: string, bit: number): boolean => {
  const hex = line.split(/\s+/)[1];
  return !!hex && /^[0-9a-f]+$/i.test(hex) && ((BigInt(`0x${hex}`) >> BigInt(bit)) & 1n) === 1n;
};

const needsCap: ExperimentSpec<CapObs, CapArgs> = {
  id: 'needs-cap-sys-chroot',
  title: 'chroot without CAP_SYS_CHROOT: EPERM',
  sandbox: { namespaces: ['mnt'], rootfs: true, pivot: false },
  commands: [
    'chroot "$ROOTFS" /bin/true              # as a normal user: Operation not permitted',
    "sudo capsh --drop=cap_sys_chroot -- -c 'chroot \"$ROOTFS\" /bin/true'   # root without the capability: same",
    "grep CapEff /proc/self/status           # the bit that decides (CAP_SYS_CHROOT = 18)",
  ],
  predict: {
    question: 'A process that is uid 0 but has cleared CAP_SYS_CHROOT from its effective set calls chroot(). What happens?',
    choices: ['It works: uid 0 is enough', 'It fails with EPERM', 'It fails with EACCES, because the directory is not searchable'],
    answer: 1,
    why: 'The kernel does not ask "are you root?" for chroot; it asks "is CAP_SYS_CHROOT in your effective set?" (in the user namespace you are in). With the bit cleared the answer is EPERM, whatever the uid. Raising the bit again from the permitted set makes the same call succeed.',
  },
  run(ctx, args = {}) {
    const { sys } = ctx;
    const rootfs = ctx.rootfs ?? ctx.skip("this experiment needs nslab's rootfs");
    // capset acts on the calling thread only; /proc/thread-self shows that same thread.
    const start = sys.capget();
    if (!start.ok) throw new Error(`capget failed: ${start.trace}`);
    const capEffBefore = capLine('CapEff');
    const bit = 1n << BigInt(CAP_SYS_CHROOT);
    let capsetTrace = '(no capset call: CAP_SYS_CHROOT left in place)';
    if (!args.keepCap) {
      ctx.note('clear CAP_SYS_CHROOT from the effective set (and, in the sabotage, from the permitted set)');
      capsetTrace = must(
        sys.capset({ effective: start.effective & ~bit, permitted: args.dropPermitted ? start.permitted & ~bit : start.permitted, inheritable: start.inheritable }),
        'capset',
      );
    }
    const capEffDropped = capLine('CapEff');
    const capPrmDropped = capLine('CapPrm');
    const d = sys.chroot(rootfs);
    const denied = { trace: d.trace, errno: d.errno };
    if (d.ok) {
      // It worked (the sabotage): step back out so the next call is the same call again.
      sys.chroot('.');
    }
    ctx.note('raise CAP_SYS_CHROOT again from the permitted set, then the same chroot');
    const now = sys.capget();
    sys.capset({ effective: now.effective | (now.permitted & bit), permitted: now.permitted, inheritable: now.inheritable });
    const capEffRaised = capLine('CapEff');
    const a = sys.chroot(rootfs);
    const allowed = { trace: a.trace, errno: a.errno };
    return { capEffBefore, capsetTrace, capEffDropped, capPrmDropped, capEffRaised, denied, allowed };
  },
  checks: [
    {
      id: 'eperm-without-cap',
      expected: 'with CAP_SYS_CHROOT (bit 18) clear in CapEff, chroot() fails with EPERM',
      check(obs): CheckOutcome {
        const capClear = !hasBit(obs.capEffDropped, CAP_SYS_CHROOT);
        const pass = capClear && obs.denied.errno === 'EPERM';
        return {
          pass,
          observed: `${obs.denied.trace}; CAP_SYS_CHROOT ${capClear ? 'clear' : 'set'} in CapEff`,
          evidence: [obs.capEffBefore, obs.capsetTrace, obs.capEffDropped, obs.denied.trace],
          hint: pass
            ? undefined
            : !capClear
              ? `CapEff still has bit 18 set (${obs.capEffDropped}), so chroot was allowed (${obs.denied.trace}). capset() must clear CAP_SYS_CHROOT from the effective set first.`
              : `CAP_SYS_CHROOT was clear but chroot gave ${obs.denied.errno ?? 'success'}: ${obs.denied.trace}`,
        };
      },
    },
    {
      id: 'cap-raised-again-works',
      expected: 'raising CAP_SYS_CHROOT back from CapPrm into CapEff makes the same chroot() succeed',
      check(obs): CheckOutcome {
        const raised = hasBit(obs.capEffRaised, CAP_SYS_CHROOT);
        const pass = raised && obs.allowed.errno === null;
        return {
          pass,
          observed: `${obs.allowed.trace}; CAP_SYS_CHROOT ${raised ? 'set' : 'clear'} in CapEff`,
          evidence: [obs.capPrmDropped, obs.capEffRaised, obs.allowed.trace],
          hint: pass
            ? undefined
            : !hasBit(obs.capPrmDropped, CAP_SYS_CHROOT)
              ? `the bit was dropped from the permitted set too (${obs.capPrmDropped}): capset can only raise into CapEff what CapPrm still holds, so chroot stays ${obs.allowed.errno}. A capability dropped from CapPrm is gone for good (short of exec'ing a privileged file).`
              : `CapEff is ${obs.capEffRaised} and chroot gave ${obs.allowed.trace}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'keep CAP_SYS_CHROOT in the effective set', args: { keepCap: true }, fails: ['eperm-without-cap'] },
    { what: 'drop CAP_SYS_CHROOT from the permitted set as well', args: { dropPermitted: true }, fails: ['cap-raised-again-works'] },
  ],
};

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
        {
          id: 'rooted-in-rootfs',
          expected: "/proc/PID/root is the rootfs directory (same device and inode)",
          check: (p, scene) => {
            const rfs = scene.rootfs;
            const here = `/proc/${p.pid}/root -> ${p.root.link} (dev ${p.root.dev}, ino ${p.root.ino})`;
            const evidence = [here, rfs ? `${rfs.path}: dev ${rfs.dev}, ino ${rfs.ino}` : 'the rootfs directory was not found'];
            const pass = rfs !== null && p.root.dev === rfs.dev && p.root.ino === rfs.ino;
            return {
              pass,
              observed: pass ? `rooted in ${rfs!.path}` : p.rootIsHost ? "rooted at the host's /" : `rooted at ${p.root.link}`,
              evidence,
              hint: !rfs
                ? 'nslab could not find its rootfs to compare with: run nslab rootfs build, then start again'
                : p.rootIsHost
                  ? `PID ${p.pid} (${p.comm}) still has the host's / as its root: start it with chroot "$NSLAB_ROOTFS" /bin/sleep 1000 &`
                  : `PID ${p.pid} (${p.comm}) is rooted somewhere else (${p.root.link}), not in ${rfs.path}: chroot into "$NSLAB_ROOTFS" itself`,
            };
          },
        },
        {
          id: 'proc-inside',
          expected: 'a proc filesystem is mounted at /proc inside its root',
          check: (p) => {
            const proc = p.mounts.filter((m) => m.mountPoint === '/proc').pop();
            const pass = proc?.fsType === 'proc';
            return {
              pass,
              observed: proc ? `${proc.fsType} at /proc` : 'nothing mounted at /proc',
              evidence: proc ? [proc.raw] : [`/proc/${p.pid}/mountinfo has no /proc entry (${p.mounts.length} mounts visible from its root)`],
              hint: proc
                ? `/proc inside its root is a ${proc.fsType}, not proc: mount -t proc proc "$NSLAB_ROOTFS/proc"`
                : `inside the chroot /proc is just the rootfs's empty directory, so ps finds nothing: mount -t proc proc "$NSLAB_ROOTFS/proc" before the chroot (the mount stays in this shell's mount namespace)`,
            };
          },
        },
      ],
      solution: ['mount -t proc proc "$NSLAB_ROOTFS/proc"', 'chroot "$NSLAB_ROOTFS" /bin/sleep 1000 &'],
      nearMisses: [
        { what: 'chroot without mounting /proc first', commands: ['chroot "$NSLAB_ROOTFS" /bin/sleep 1000 &'], fails: ['proc-inside'] },
        { what: 'proc mounted, but no chroot', commands: ['mount -t proc proc "$NSLAB_ROOTFS/proc"', 'sleep 1000 &'], fails: ['rooted-in-rootfs'] },
      ],
    },
  ],
} satisfies LessonModule;
