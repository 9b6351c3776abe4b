// Lesson 03: PID 1 of a PID namespace. The sandbox's Node is itself PID 1 of a new PID
// namespace; nested namespaces (through nslab's helper, or Node's own unshare(CLONE_NEWPID))
// give other programs the same role. Each experiment mounts a fresh /proc first, as
// `unshare --mount-proc` does, so /proc lists this namespace. Every process signalled here was
// started by the experiment; all of them die with the sandbox's PID namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleepMs } from 'node:timers/promises';
import type { CheckOutcome, ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { BackgroundProcess, SandboxContext } from '../../src/sandbox/types.js';

type Sys = SandboxContext['sys'];

const tryRead = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};
const lines = (text: string | null, keys: string[]): string[] =>
  text ? text.split('\n').filter((l) => keys.some((k) => l.startsWith(`${k}:`))) : [];
const field = (text: string | null, key: string): string => (lines(text, [key])[0] ?? '').slice(key.length + 1).trim();
const numbers = (s: string): number[] => s.split(/\s+/).filter(Boolean).map(Number);

/** Signal names the kernel has a handler for, decoded from a SigCgt hex mask (bit n-1 = signal n). */
const NAMES: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 17: 'SIGCHLD', 28: 'SIGWINCH' };
function caught(sigCgtHex: string): string[] {
  if (!/^[0-9a-f]+$/i.test(sigCgtHex)) return [];
  const mask = BigInt(`0x${sigCgtHex}`);
  const out: string[] = [];
  for (let n = 1; n <= 64; n++) if ((mask >> BigInt(n - 1)) & 1n) out.push(NAMES[n] ?? (n >= 34 ? `SIGRTMIN+${n - 34}` : `signal ${n}`));
  return out;
}
const catchesTerm = (hex: string): boolean => caught(hex).includes('SIGTERM');

function must(r: { ok: boolean; trace: string }, what: string): string {
  if (!r.ok) throw new Error(`${what} failed: ${r.trace}`);
  return r.trace;
}

/** `unshare --mount-proc`'s half of the job: a procfs for this PID namespace on /proc. The
 * sandbox's mount namespace is private, so the host's /proc is untouched. */
function mountProc(sys: Sys): string {
  return must(sys.mount('proc', '/proc', 'proc', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null), 'mount proc');
}

/** The rootfs's programs an experiment runs, looked up before it starts anything: one that is
 * missing skips the experiment with the package that brings it (ctx.bin), sabotaged run or not. */
function programs<N extends string>(ctx: SandboxContext, ...names: N[]): Record<N, string> {
  return Object.fromEntries(names.map((n) => [n, ctx.bin(n)])) as Record<N, string>;
}

/** Wait until a condition holds, polling; false if it never did. */
async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  for (let t = 0; t < ms; t += 10) {
    if (cond()) return true;
    await sleepMs(10);
  }
  return cond();
}

/**
 * A program as PID 1 of a new PID namespace: nslab's helper (`run -p`, like `unshare -p -f`)
 * makes the namespace and starts it. Returns the background handle (the helper, which exits
 * the way the program did) and the program's PID as seen here, once it runs `comm`.
 */
async function asPid1(ctx: SandboxContext, prog: string[], ready: (cmdline: string[]) => boolean): Promise<{ bg: BackgroundProcess; pid: number }> {
  const bg = await ctx.background(ctx.helper, ['run', '-p', '--', ...prog]);
  let pid = -1;
  const ok = await until(() => {
    const kids = tryRead(`/proc/${bg.pid}/task/${bg.pid}/children`);
    pid = kids ? (numbers(kids)[0] ?? -1) : -1;
    return pid > 0 && ready(cmdline(pid));
  }, 5000);
  if (!ok) throw new Error(`${prog.join(' ')} did not start as PID 1 of a new namespace (helper ${bg.pid}, child ${pid})`);
  return { bg, pid };
}

const cmdline = (pid: number): string[] => (tryRead(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
/** Program `name` is running: its argv[0] ends in /name (a coreutils file, or a busybox applet's
 * symlink), so the helper or shell that started it has exec'd it. */
const runs = (name: string) => (argv: string[]) => basename(argv[0] ?? '') === name;
/** process.title rewrites Node's argv once its handlers are in place. */
const nodeReady = (argv: string[]) => argv[0] === 'pid1-ready';

const alive = (pid: number): boolean => {
  const state = field(tryRead(`/proc/${pid}/status`), 'State');
  return state !== '' && !state.startsWith('Z');
};
const exitText = (e: { code: number | null; signal: string | null } | null): string =>
  !e ? 'still running' : e.signal ? `killed by ${e.signal}` : e.code !== null && e.code > 128 ? `killed by signal ${e.code - 128} (helper exit ${e.code})` : `exited with status ${e.code}`;
const raceExit = (bg: BackgroundProcess, ms: number) =>
  Promise.race([bg.exited, sleepMs(ms).then(() => null)]) as Promise<{ code: number | null; signal: string | null } | null>;

// ---------------------------------------------------------------------------------------------
// Experiment 1: who is PID 1.

interface FirstArgs {
  /** Look at the caller of `unshare -p` (no --fork) instead of the namespace's first process. */
  unshareWithoutFork?: boolean;
}

interface FirstObs {
  who: string;
  inside: string[];
  insidePid: number;
  child: string;
  mountTrace: string;
}

const OUTSIDE_FIRST = 'first-process';

const firstProcess: ExperimentSpec<FirstObs, FirstArgs> = {
  id: 'first-process',
  title: 'the first process of a new PID namespace is PID 1, with PPid 0',
  sandbox: { namespaces: ['pid', 'mnt'], rootfs: true, pivot: false },
  commands: [
    'sudo unshare --pid --fork --mount-proc bash',
    'echo $$                                 # 1',
    "grep -E '^(Pid|PPid|NSpid)' /proc/self/status",
    'sudo grep NSpid /proc/<host PID>/status  # from the host: both numbers',
  ],
  predict: {
    question: 'Inside a new PID namespace, what does /proc/self/status say about the first process started in it?',
    choices: ['Pid: 1, PPid: 0', 'Pid: 1, PPid: 1', "Pid: 1, PPid: the PID of whoever started it"],
    answer: 0,
    why: 'Its parent lives in the parent PID namespace, which has no number inside this one, so the kernel reports 0, as it does for the real init. From the host, NSpid: lists both numbers: the host PID first, then 1.',
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    const bin = programs(ctx, 'unshare', 'sleep', 'grep');
    const mountTrace = mountProc(sys);
    let pid = 1;
    let who = 'the sandbox\'s first process (this Node)';
    if (args.unshareWithoutFork) {
      // `unshare -p prog` without --fork: unshare(CLONE_NEWPID) then exec, so prog is still in
      // the old namespace. Its children would be the new namespace's, not prog.
      const bg = await ctx.background(bin.unshare, ['-p', bin.sleep, '1000']);
      await until(() => runs('sleep')(cmdline(bg.pid)));
      pid = bg.pid;
      who = `the program unshare -p execs without --fork (sleep, PID ${pid})`;
    }
    const inside = lines(tryRead(`/proc/${pid}/status`), ['Name', 'Pid', 'PPid', 'NSpid']);
    const c = await ctx.spawn(bin.grep, ['-E', '^(Pid|PPid):', '/proc/self/status']);
    const { views } = await ctx.outside(OUTSIDE_FIRST, pid === 1 ? [] : [pid]);
    void views;
    return { who, inside, insidePid: pid, child: c.stdout.trim().replace(/\s+/g, ' '), mountTrace };
  },
  checks: [
    {
      id: 'pid1-ppid0',
      expected: 'inside: Pid: 1 and PPid: 0; from the host, NSpid: <host PID> 1',
      check(obs, outside): CheckOutcome {
        const v = outside[OUTSIDE_FIRST]?.[0];
        const pid = Number(field(obs.inside.join('\n'), 'Pid'));
        const ppid = Number(field(obs.inside.join('\n'), 'PPid'));
        const nspid = numbers(field(v?.status ?? null, 'NSpid'));
        const pass = pid === 1 && ppid === 0 && !!v && nspid.length >= 2 && nspid[0] === v.pid && nspid[nspid.length - 1] === 1;
        const hostLine = lines(v?.status ?? null, ['NSpid'])[0] ?? '(no outside view)';
        return {
          pass,
          observed: `${obs.who}: Pid ${pid}, PPid ${ppid}; host sees NSpid ${nspid.join(' ')}`,
          evidence: [...obs.inside.map((l) => `inside: ${l}`), `host /proc/${v?.pid ?? '?'}/status: ${hostLine}`, `a child it started: ${obs.child}`],
          hint: pass
            ? undefined
            : pid !== 1
              ? `${obs.who} is PID ${pid} with PPid ${ppid}: unshare(CLONE_NEWPID) does not move its caller, only the children it forks afterwards, so without --fork the program unshare execs stays in the old namespace (NSpid ${nspid.join(' ')} ends in ${nspid[nspid.length - 1]}, not 1)`
              : `Pid 1 but PPid ${ppid} / NSpid ${nspid.join(' ')}`,
        };
      },
    },
  ],
  sabotage: [{ what: 'look at the caller of unshare -p without --fork', args: { unshareWithoutFork: true }, fails: ['pid1-ppid0'] }],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: signals and PID 1.

interface SignalArgs {
  /** PID 1 is a shell that traps SIGTERM instead of a bare sleep. */
  trapTerm?: boolean;
  /** Send SIGKILL from inside PID 1's own namespace instead of from the parent. */
  killFromInside?: boolean;
  /** The "Node with a handler" run without the process.on('SIGTERM') line. */
  noJsHandler?: boolean;
}

interface Pid1Report {
  what: string;
  pid: number;
  statusBefore: string[];
  sigCgt: string;
  /** SIG_IGN'd signals: a PID 1 that ignores SIGTERM would survive it for another reason. */
  sigIgn: string;
  events: string[];
  statusAfter: string[];
  survived: boolean;
  exit: string;
}

interface SignalObs {
  sleep: Pid1Report;
  kill: Pid1Report;
  nodeBare: Pid1Report;
  nodeHandler: Pid1Report;
}

const NODE_IDLE = "process.title='pid1-ready';setInterval(()=>{},1000)";
const NODE_HANDLER = "process.on('SIGTERM',()=>process.exit(0));process.title='pid1-ready';setInterval(()=>{},1000)";

const signals: ExperimentSpec<SignalObs, SignalArgs> = {
  id: 'signals-to-pid1',
  title: 'PID 1 gets only the signals it has a handler for; SIGKILL from the parent always lands',
  sandbox: { namespaces: ['pid', 'mnt'], rootfs: true, pivot: false, timeoutMs: 30_000 },
  commands: [
    'sudo unshare --pid --fork --mount-proc sleep 1000 &',
    'grep SigCgt /proc/<PID>/status          # 0000000000000000: no handlers',
    'sudo kill -TERM <PID>                   # nothing happens',
    'sudo nsenter -t <PID> -p kill -KILL 1   # from inside its namespace: nothing either',
    'sudo kill -KILL <PID>                   # from the parent namespace: gone',
    "sudo unshare --pid --fork node -e 'setInterval(()=>{},1000)' &   # SigCgt has SIGTERM",
  ],
  predict: {
    question: '`sleep 1000` (coreutils) runs as PID 1 of its own PID namespace. You send it SIGTERM, whose default action is to terminate. What happens?',
    choices: ['It terminates, like any process would', 'Nothing: the kernel drops the signal, since PID 1 has no handler for it', 'It terminates, and takes the namespace with it'],
    answer: 1,
    why: "The kernel protects a namespace's init: a signal whose action would be the default one is discarded, because the default for PID 1 would take the whole namespace down. Only signals it installed a handler for (the SigCgt: mask) get through, plus SIGKILL and SIGSTOP when they come from an ancestor namespace.",
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    const bin = programs(ctx, 'sleep', 'kill', 'sh');
    mountProc(sys);
    const report = async (what: string, p: { bg: BackgroundProcess; pid: number }, send: () => Promise<string[]>): Promise<Pid1Report> => {
      const before = tryRead(`/proc/${p.pid}/status`);
      const events = await send();
      await sleepMs(150);
      // A signal the kernel delivers kills or runs a handler within milliseconds; one it
      // discards for PID 1 never arrives. Most of a second tells the two apart with room for a
      // loaded machine, without making the learner wait for each of the four.
      const ended = await raceExit(p.bg, 600);
      const after = tryRead(`/proc/${p.pid}/status`);
      return {
        what,
        pid: p.pid,
        statusBefore: lines(before, ['Name', 'State', 'NSpid', 'SigIgn', 'SigCgt']),
        sigCgt: field(before, 'SigCgt'),
        sigIgn: field(before, 'SigIgn'),
        events,
        statusAfter: after ? lines(after, ['State', 'SigCgt']) : [`/proc/${p.pid}: gone`],
        survived: ended === null && alive(p.pid),
        exit: exitText(ended),
      };
    };
    const fromParent = (pid: number, sig: number) => async () => [sys.kill(pid, sig).trace];
    const fromInside = (pid: number, sig: string) => async () => {
      const r = await ctx.spawn(ctx.helper, ['join', '--target', String(pid), '-p', '--', bin.kill, `-${sig}`, '1']);
      const line = `nsenter -t ${pid} -p kill -${sig} 1  (from inside its namespace) -> exit ${r.code}${r.stderr.trim() ? ` ${r.stderr.trim()}` : ''}`;
      ctx.note(line);
      return [line];
    };

    ctx.note(args.trapTerm ? 'sabotage: PID 1 is a shell with a SIGTERM trap' : 'sleep as PID 1 of a new PID namespace');
    const sleeper = args.trapTerm
      ? await asPid1(ctx, [bin.sh, '-c', `trap 'exit 0' TERM; while :; do ${bin.sleep} 0.05; done`], runs('sh'))
      : await asPid1(ctx, [bin.sleep, '1000'], runs('sleep'));
    const sleep = await report('sleep as PID 1: SIGTERM from inside its namespace, then from the parent', sleeper, async () => [
      ...(await fromInside(sleeper.pid, 'TERM')()),
      ...(await fromParent(sleeper.pid, sys.SIGTERM)()),
    ]);
    sleeper.bg.kill('SIGKILL');

    ctx.note(args.killFromInside ? 'sabotage: SIGKILL sent from inside the namespace' : 'SIGKILL from the parent namespace');
    const victim = await asPid1(ctx, [bin.sleep, '1000'], runs('sleep'));
    const kill = await report('SIGKILL to a PID 1', victim, args.killFromInside ? fromInside(victim.pid, 'KILL') : fromParent(victim.pid, sys.SIGKILL));
    victim.bg.kill('SIGKILL');

    ctx.note('Node as PID 1, without and with a process.on("SIGTERM") handler');
    const bare = await asPid1(ctx, [process.execPath, '-e', NODE_IDLE], nodeReady);
    const nodeBare = await report('Node as PID 1, no JavaScript handler', bare, fromParent(bare.pid, sys.SIGTERM));
    bare.bg.kill('SIGKILL');
    const handled = await asPid1(ctx, [process.execPath, '-e', args.noJsHandler ? NODE_IDLE : NODE_HANDLER], nodeReady);
    const nodeHandler = await report(
      args.noJsHandler ? 'Node as PID 1, handler line left out' : "Node as PID 1 with process.on('SIGTERM', () => process.exit(0))",
      handled,
      fromParent(handled.pid, sys.SIGTERM),
    );
    handled.bg.kill('SIGKILL');
    return { sleep, kill, nodeBare, nodeHandler };
  },
  checks: [
    {
      id: 'sleep-pid1-ignores-term',
      expected: 'sleep as PID 1 has an empty SigCgt, does not ignore SIGTERM (SigIgn), and survives SIGTERM, from inside its namespace and from the parent',
      check(obs): CheckOutcome {
        const s = obs.sleep;
        const ignoresTerm = caught(s.sigIgn).includes('SIGTERM'); // SigIgn is a mask like SigCgt
        const pass = s.sigCgt !== '' && caught(s.sigCgt).length === 0 && s.sigIgn !== '' && !ignoresTerm && s.survived;
        return {
          pass,
          observed: `SigCgt ${s.sigCgt} (${caught(s.sigCgt).join(', ') || 'nothing caught'}), SIGTERM ${ignoresTerm ? 'ignored' : 'not ignored'}; after SIGTERM: ${s.survived ? 'still running' : s.exit}`,
          evidence: [...s.statusBefore, ...s.events, ...s.statusAfter],
          hint: pass
            ? undefined
            : ignoresTerm
              ? `PID 1 ignores SIGTERM outright (SigIgn ${s.sigIgn}): whoever started it set SIG_IGN, so its survival says nothing about the rule for PID 1`
              : `PID 1 ${s.statusBefore[0] ?? ''} catches ${caught(s.sigCgt).join(', ') || 'nothing'} (SigCgt ${s.sigCgt}) and ${s.exit}: a PID 1 that installed a SIGTERM handler gets the signal and runs it. The kernel only drops signals PID 1 would have taken the default action on.`,
        };
      },
    },
    {
      id: 'sigkill-from-parent-lands',
      expected: 'SIGKILL sent from the parent namespace kills PID 1 at once',
      check(obs): CheckOutcome {
        const k = obs.kill;
        const pass = !k.survived && /signal 9|SIGKILL/.test(k.exit);
        return {
          pass,
          observed: `${k.events.join('; ')}: ${k.survived ? 'still running' : k.exit}`,
          evidence: [...k.statusBefore, ...k.events, ...k.statusAfter],
          hint: pass
            ? undefined
            : k.events.some((e) => e.includes('from inside'))
              ? `the SIGKILL came from inside PID 1's own namespace, and PID 1 is ${k.survived ? 'still running' : k.exit}: there even SIGKILL is dropped (kill -9 1 inside a container does nothing). Only an ancestor namespace can force SIGKILL on its PID 1.`
              : `after ${k.events.join('; ')} PID 1 is ${k.survived ? 'still running' : k.exit}`,
        };
      },
    },
    {
      id: 'node-pid1-term',
      expected: "Node as PID 1 has SIGTERM in SigCgt; with no JS handler it survives SIGTERM, with process.on('SIGTERM') it exits 0",
      check(obs): CheckOutcome {
        const b = obs.nodeBare;
        const h = obs.nodeHandler;
        const pass = catchesTerm(b.sigCgt) && b.survived && !h.survived && /status 0/.test(h.exit);
        return {
          pass,
          observed: `no handler: ${b.survived ? 'survived' : b.exit}; with handler: ${h.survived ? 'survived' : h.exit}`,
          evidence: [
            `no JS handler, before: ${b.statusBefore.find((l) => l.startsWith('SigCgt')) ?? ''} (${caught(b.sigCgt).join(' ')})`,
            ...b.events,
            `no JS handler, after: ${b.statusAfter.join(' ')}`,
            `with handler, before: ${h.statusBefore.find((l) => l.startsWith('SigCgt')) ?? ''}`,
            ...h.events,
            `with handler: ${h.exit}`,
          ],
          hint: pass
            ? undefined
            : !catchesTerm(b.sigCgt)
              ? `Node's SigCgt ${b.sigCgt} has no SIGTERM: ${caught(b.sigCgt).join(' ')}`
              : h.survived
                ? `the Node meant to have a handler survived SIGTERM (${h.what}): its SigCgt ${h.sigCgt} shows SIGTERM caught, but only by Node's own handler, which re-raises the signal with the default action, and the kernel drops that for PID 1. Only a JavaScript handler that exits makes it stop.`
                : `without a JS handler Node ${b.exit}`,
        };
      },
    },
  ],
  diagrams: [
    {
      kind: 'process-tree',
      title: 'PID 1 of each nested namespace, as this namespace numbers it',
      from: (obs) =>
        (
          [
            [obs.sleep, 'sleep (SIGTERM)'],
            [obs.kill, 'sleep (SIGKILL)'],
            [obs.nodeBare, 'node, no handler'],
            [obs.nodeHandler, "node, process.on('SIGTERM')"],
          ] as const
        ).map(([r, name]) => ({ pid: r.pid, ppid: 0, nspid: numbers(field(r.statusBefore.join('\n'), 'NSpid')), name })),
    },
  ],
  sabotage: [
    { what: 'PID 1 is a shell that traps SIGTERM', args: { trapTerm: true }, fails: ['sleep-pid1-ignores-term'] },
    { what: "send SIGKILL from inside PID 1's own namespace", args: { killFromInside: true }, fails: ['sigkill-from-parent-lands'] },
    { what: "leave out Node's process.on('SIGTERM') handler", args: { noJsHandler: true }, fails: ['node-pid1-term'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 3: orphans and zombies.

interface OrphanArgs {
  reapFirst?: boolean;
  skipReap?: boolean;
}

interface OrphanObs {
  parentSaid: string;
  orphan: number;
  zombie: string[];
  wait: string | null;
  after: string;
  node: string[];
}

const orphans: ExperimentSpec<OrphanObs, OrphanArgs> = {
  id: 'orphans-and-zombies',
  title: 'orphans are re-parented to PID 1 and stay zombies until it reaps them',
  sandbox: { namespaces: ['pid', 'mnt'], rootfs: true, pivot: false },
  commands: [
    'sudo unshare --pid --fork --mount-proc node -e "setInterval(()=>{},1000)" &',
    "nsenter -t <PID> -p -m sh -c 'sleep 0.3 & echo $!'   # the shell exits, its child is orphaned",
    "grep -E '^(State|PPid)' /proc/<orphan>/status        # Z (zombie), PPid: 1",
    '# PID 1 must call waitpid() for it; an init like tini or `docker run --init` does',
  ],
  predict: {
    question: "Node is PID 1. A shell it started runs `sleep 0.3 &` and exits. Half a second later, what is the sleep?",
    choices: ['Gone: the kernel cleans up finished processes', 'A zombie whose parent is PID 1 (Node)', 'A zombie whose parent is the dead shell'],
    answer: 1,
    why: "When the shell exited, its child was re-parented to the namespace's init, PID 1. When the sleep ended, it became a zombie waiting for its parent to collect its exit status with waitpid(). Node only waits for the children it spawned itself, so the zombie stays until someone calls waitpid for it.",
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    const bin = programs(ctx, 'sh', 'sleep');
    mountProc(sys);
    const r = await ctx.spawn(bin.sh, ['-c', `${bin.sleep} 0.3 & echo $!`]);
    const orphan = Number(r.stdout.trim());
    if (!Number.isInteger(orphan) || orphan <= 0) throw new Error(`the shell did not report its child's PID: ${r.stdout} ${r.stderr}`);
    let wait: string | null = null;
    const reap = async () => {
      // Only this PID: libuv reaps the children Node spawned, and must still find them.
      for (let i = 0; i < 300; i++) {
        const w = sys.waitpid(orphan, sys.WNOHANG);
        if (w.ret === orphan || !w.ok) return w.trace;
        await sleepMs(10);
      }
      return 'waitpid never returned the orphan';
    };
    if (args.reapFirst) {
      ctx.note('sabotage: reap the orphan before looking at it');
      wait = await reap();
    }
    // Wait for it to finish (0.3 s), then look.
    await until(() => {
      const s = field(tryRead(`/proc/${orphan}/status`), 'State');
      return s === '' || s.startsWith('Z');
    });
    const zombieText = tryRead(`/proc/${orphan}/status`);
    const zombie = zombieText ? lines(zombieText, ['Name', 'State', 'Pid', 'PPid']) : [`/proc/${orphan}: gone`];
    if (!args.reapFirst && !args.skipReap) {
      ctx.note('PID 1 reaps it: waitpid for that PID');
      wait = await reap();
    }
    const after = existsSync(`/proc/${orphan}`) ? `/proc/${orphan}: ${lines(tryRead(`/proc/${orphan}/status`), ['State'])[0] ?? 'present'}` : `/proc/${orphan}: gone`;
    return { parentSaid: r.stdout.trim(), orphan, zombie, wait, after, node: lines(tryRead('/proc/1/status'), ['Name', 'Pid']) };
  },
  checks: [
    {
      id: 'orphan-becomes-zombie-of-pid1',
      expected: 'the orphaned sleep, once finished, is State: Z (zombie) with PPid: 1',
      check(obs): CheckOutcome {
        const state = field(obs.zombie.join('\n'), 'State');
        const ppid = field(obs.zombie.join('\n'), 'PPid');
        const pass = state.startsWith('Z') && ppid === '1';
        return {
          pass,
          observed: obs.zombie.length > 1 ? `State ${state}, PPid ${ppid}` : obs.zombie[0]!,
          evidence: [...obs.zombie, ...obs.node.map((l) => `PID 1: ${l}`)],
          hint: pass
            ? undefined
            : obs.zombie[0]?.endsWith('gone')
              ? `there is no zombie to see: ${obs.wait ?? 'something'} collected PID ${obs.orphan} before anyone looked. Zombies exist exactly until their parent calls waitpid().`
              : `PID ${obs.orphan} is State ${state} with PPid ${ppid}`,
        };
      },
    },
    {
      id: 'pid1-reaps-it',
      expected: 'after PID 1 calls waitpid() for it, the zombie is gone from /proc',
      check(obs): CheckOutcome {
        const pass = obs.wait !== null && obs.wait.includes(`= ${obs.orphan}`) && obs.after.endsWith('gone');
        return {
          pass,
          observed: `${obs.wait ?? 'no waitpid call'}; ${obs.after}`,
          evidence: [obs.wait ?? '(no waitpid in the trace)', obs.after],
          hint: pass
            ? undefined
            : obs.wait === null
              ? `nobody called waitpid(${obs.orphan}, ...): ${obs.after}. Node reaps only the children it spawned itself, so as PID 1 it collects zombies forever unless told to (or an init like tini does it).`
              : `${obs.wait}; ${obs.after}`,
        };
      },
    },
  ],
  diagrams: [
    {
      kind: 'process-tree',
      title: 'the orphan, re-parented',
      from: (obs) => [
        { pid: 1, ppid: 0, nspid: [1], name: field(obs.node.join('\n'), 'Name') || 'node' },
        { pid: obs.orphan, ppid: Number(field(obs.zombie.join('\n'), 'PPid')) || 0, nspid: [obs.orphan], name: `${field(obs.zombie.join('\n'), 'Name') || 'sleep'} (${field(obs.zombie.join('\n'), 'State') || 'gone'})` },
      ],
    },
  ],
  sabotage: [
    { what: 'reap the orphan before looking', args: { reapFirst: true }, fails: ['orphan-becomes-zombie-of-pid1'] },
    { what: 'never call waitpid', args: { skipReap: true }, fails: ['pid1-reaps-it'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 4: when PID 1 exits.

interface ExitArgs {
  /** unshare on a libuv threadpool thread instead of the thread that starts the children. */
  unshareOnThreadpool?: boolean;
  /** Keep PID 1 running while the second process is started (what `unshare --fork` gives you). */
  pid1Stays?: boolean;
}

interface ExitObs {
  learner: { cmd: string; stderr: string; code: number | null } | null;
  unshare: string;
  nsPid: string;
  forChildrenBefore: string;
  forChildrenUnborn: string;
  forChildrenAfter: string;
  firstSaid: string[];
  firstPid: number;
  sleepPid: number;
  sleepBefore: string[];
  pid1Exit: string;
  sleepAfter: string;
  second: { ok: boolean; said: string; error: string | null };
  memAvailable: string;
}

function readLinesFrom(child: ChildProcess, count: number, ms: number): Promise<string[]> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => resolve(text.split('\n').filter(Boolean));
    const timer = setTimeout(done, ms);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      if (text.split('\n').filter(Boolean).length >= count) {
        clearTimeout(timer);
        done();
      }
    });
  });
}

const pid1Exit: ExperimentSpec<ExitObs, ExitArgs> = {
  id: 'pid1-exit',
  title: 'when PID 1 exits, the namespace dies and fork() there fails with ENOMEM',
  sandbox: { namespaces: ['pid', 'mnt'], rootfs: true, pivot: false },
  commands: [
    'sudo unshare --pid bash        # no --fork: bash stays outside, its first child becomes PID 1',
    'ls                             # runs as PID 1 and exits: the namespace is dead',
    'ls                             # bash: fork: Cannot allocate memory',
    'sudo unshare --pid --fork bash # the fix: bash itself is PID 1 and stays',
  ],
  predict: {
    question:
      'A process calls unshare(CLONE_NEWPID) and starts a child, which becomes PID 1 of the new namespace and soon exits. The process starts another child. What happens?',
    choices: ['The new child becomes the new PID 1', 'fork() fails with ENOMEM, although there is plenty of memory', 'The new child lands in the old namespace'],
    answer: 1,
    why: "When a namespace's PID 1 exits, the kernel kills every other process in it and marks the namespace as closed for new PIDs. From then on, allocating a PID there fails, and fork() (clone) reports that failure as ENOMEM: the same errno as a real out-of-memory, and the source of bash's misleading \"fork: Cannot allocate memory\".",
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    const bin = programs(ctx, 'sh', 'sleep', 'unshare');
    mountProc(sys);
    // The learner's version, with unshare and bash from the rootfs; a busybox rootfs has no bash,
    // and then this line of evidence is left out. bash runs two programs (not builtins): the
    // first becomes PID 1 and exits, the second fork fails.
    const bash = ctx.findBin('bash');
    let learner: ExitObs['learner'] = null;
    if (bash) {
      const script = `${bin.sleep} 0; ${bin.sleep} 0; echo reached`;
      const r = await ctx.spawn(bin.unshare, ['--pid', bash, '-c', script]);
      learner = { cmd: `unshare --pid bash -c '${script}'`, stderr: r.stderr.trim(), code: r.code };
    }

    // Now the same by hand: unshare on this (main) thread, then start children from it.
    const nsPid = readlinkSync('/proc/self/ns/pid');
    const forChildrenBefore = readlinkSync('/proc/self/ns/pid_for_children');
    const unshare = args.unshareOnThreadpool
      ? must(await sys.unshareAsync(sys.CLONE_NEWPID), 'unshare(CLONE_NEWPID) on the threadpool')
      : must(sys.unshare(sys.CLONE_NEWPID), 'unshare(CLONE_NEWPID)');
    // Until its first process exists the new namespace has no init, and the link cannot be
    // followed: readlink fails with ENOENT.
    const linkOrError = (p: string): string => {
      try {
        return readlinkSync(p);
      } catch (err) {
        return `(${(err as NodeJS.ErrnoException).code})`;
      }
    };
    const forChildrenUnborn = linkOrError('/proc/self/ns/pid_for_children');
    ctx.note('this process stays where it was; the next process it starts is PID 1 of the new namespace');
    const first = spawn(bin.sh, ['-c', `echo "pid1: $$"; ${bin.sleep} 1000 & echo "sleep: $!"; read line; echo "pid1 exits"`], { stdio: ['pipe', 'pipe', 'ignore'] });
    const firstSaid = await readLinesFrom(first, 2, 3000);
    const firstPid = first.pid ?? -1;
    const forChildrenAfter = linkOrError('/proc/self/ns/pid_for_children');
    const firstExit = new Promise<string>((res) => first.on('exit', (code, signal) => res(signal ? `killed by ${signal}` : `exited with status ${code}`)));
    let sleepPid = -1;
    await until(() => {
      const kids = tryRead(`/proc/${firstPid}/task/${firstPid}/children`);
      sleepPid = kids ? (numbers(kids)[0] ?? -1) : -1;
      return sleepPid > 0 && runs('sleep')(cmdline(sleepPid));
    });
    const sleepBefore = lines(tryRead(`/proc/${sleepPid}/status`), ['Name', 'State', 'PPid', 'NSpid']);

    let pid1Exit = 'still running';
    if (!args.pid1Stays) {
      first.stdin!.end();
      pid1Exit = await firstExit;
    } else {
      ctx.note('sabotage: PID 1 keeps running while the next process starts');
    }
    const sleepAfter = existsSync(`/proc/${sleepPid}`) ? lines(tryRead(`/proc/${sleepPid}/status`), ['State'])[0] ?? 'present' : 'gone';

    let second: ExitObs['second'];
    try {
      const c = spawn(bin.sh, ['-c', 'echo "second: $$"'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const said = await readLinesFrom(c, 1, 3000);
      second = { ok: true, said: said.join(' '), error: null };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      second = { ok: false, said: '', error: `${e.syscall ?? 'spawn'} ${e.code ?? ''} (${e.message})` };
    }
    ctx.note(second.ok ? `second process started: ${second.said}` : `second process: ${second.error}`);
    if (args.pid1Stays) {
      first.kill('SIGKILL');
      pid1Exit = await firstExit;
    }
    const memAvailable = lines(tryRead('/proc/meminfo'), ['MemAvailable'])[0] ?? 'MemAvailable: (unreadable)';
    return { learner, unshare, nsPid, forChildrenBefore, forChildrenUnborn, forChildrenAfter, firstSaid, firstPid, sleepPid, sleepBefore, pid1Exit, sleepAfter, second, memAvailable };
  },
  checks: [
    {
      id: 'unshare-moves-children-only',
      expected: "after unshare(CLONE_NEWPID) the caller's ns/pid is unchanged, pid_for_children is new, and its next child is PID 1",
      check(obs): CheckOutcome {
        const pass = obs.forChildrenAfter !== obs.forChildrenBefore && obs.nsPid === obs.forChildrenBefore && obs.firstSaid[0] === 'pid1: 1';
        return {
          pass,
          observed: `ns/pid ${obs.nsPid}; pid_for_children ${obs.forChildrenBefore} -> ${obs.forChildrenAfter}; first child says "${obs.firstSaid[0] ?? ''}"`,
          evidence: [
            `/proc/self/ns/pid_for_children -> ${obs.forChildrenBefore} (before)`,
            obs.unshare,
            `/proc/self/ns/pid_for_children -> ${obs.forChildrenUnborn} (no process in it yet)`,
            ...obs.firstSaid,
            `/proc/self/ns/pid_for_children -> ${obs.forChildrenAfter} (after the first child)`,
            `/proc/self/ns/pid -> ${obs.nsPid} (unchanged)`,
          ],
          hint: pass
            ? undefined
            : obs.unshare.includes('[threadpool]')
              ? `the first child says "${obs.firstSaid[0] ?? '(nothing)'}", not "pid1: 1", and this thread's pid_for_children did not change (${obs.forChildrenAfter}): ${obs.unshare} moved a libuv worker thread, while children are started from the main thread. unshare(CLONE_NEWPID) sets the namespace for the children of the calling thread only.`
              : `first child said "${obs.firstSaid[0] ?? '(nothing)'}"; ${obs.unshare}; pid_for_children ${obs.forChildrenBefore} -> ${obs.forChildrenAfter}`,
        };
      },
    },
    {
      id: 'pid1-exit-kills-the-rest',
      expected: 'when PID 1 exits, the other process in its namespace (sleep 1000) is killed with it',
      check(obs): CheckOutcome {
        const state = field(obs.sleepBefore.join('\n'), 'State');
        const wasAlive = state !== '' && !/^[ZX]/.test(state);
        const pass = wasAlive && obs.pid1Exit !== 'still running' && obs.sleepAfter === 'gone';
        return {
          pass,
          observed: `PID 1 ${obs.pid1Exit}; sleep 1000 (PID ${obs.sleepPid} here): ${obs.sleepAfter}`,
          evidence: [...obs.sleepBefore, `PID 1 (PID ${obs.firstPid} here): ${obs.pid1Exit}`, `/proc/${obs.sleepPid}: ${obs.sleepAfter}`],
          hint: pass
            ? undefined
            : obs.pid1Exit === 'still running' || obs.sleepAfter !== 'gone'
              ? `sleep 1000 is ${obs.sleepAfter} because PID 1 was ${obs.pid1Exit} when we looked: the namespace's other processes die only when its init does`
              : `the sleep was not running before PID 1 exited (State: ${state || 'no /proc entry'})`,
        };
      },
    },
    {
      id: 'fork-enomem-after-pid1',
      expected: 'once PID 1 has exited, starting another process in the namespace fails with ENOMEM while memory is plentiful',
      check(obs): CheckOutcome {
        const pass = !obs.second.ok && /ENOMEM/.test(obs.second.error ?? '');
        return {
          pass,
          observed: obs.second.ok ? `started: ${obs.second.said}` : `${obs.second.error}`,
          evidence: [
            `PID 1: ${obs.pid1Exit}`,
            obs.second.ok ? `second process: ${obs.second.said}` : `second process: ${obs.second.error}`,
            obs.memAvailable,
            ...(obs.learner ? [`${obs.learner.cmd} -> ${obs.learner.stderr || '(no error)'}`] : []),
          ],
          hint: pass
            ? undefined
            : obs.second.ok
              ? `the second process started fine (${obs.second.said}): PID 1 was ${obs.pid1Exit} at that moment, so the namespace still accepted new processes. ENOMEM comes from a namespace whose init is gone, not from memory (${obs.memAvailable}).`
              : `the second process failed with ${obs.second.error}, not ENOMEM`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'call unshare(CLONE_NEWPID) on a threadpool thread (koffi .async)', args: { unshareOnThreadpool: true }, fails: ['unshare-moves-children-only'] },
    {
      what: 'keep PID 1 running while the second process starts (unshare --fork)',
      args: { pid1Stays: true },
      fails: ['pid1-exit-kills-the-rest', 'fork-enomem-after-pid1'],
    },
  ],
};

export default {
  experiments: [firstProcess, signals, orphans, pid1Exit],
  // Exercise mode: the learner makes this state in `nslab shell 03` with real tools, and
  // `nslab check 03` judges it from outside, however it was made.
  exercises: [
    {
      id: 'pid-one',
      title: 'PID 1 of a new PID namespace',
      task: 'Start a process that is PID 1 of a PID namespace of its own (a new one, nested in this\nshell\'s), and leave it running.',
      hints: [
        'unshare -p makes a PID namespace. Who is in it: unshare itself, or the processes it starts?',
        'Only children enter a new PID namespace: unshare needs to fork (-f). --mount-proc gives it a /proc that shows its own namespace.',
        'unshare -pf --mount-proc sleep 1000 &',
      ],
      checks: [
        {
          id: 'pid-1',
          expected: 'its last NSpid entry is 1, in a PID namespace other than the host\'s',
          check: (p) => {
            const own = p.nspid[p.nspid.length - 1];
            const newNs = p.nsDiffers.includes('pid') && p.nspid.length > 1;
            const pass = newNs && own === 1;
            const forChildren = p.ns.pid_for_children;
            const evidence = [p.status.NSpid ?? 'NSpid: (not printed by this kernel)', `/proc/${p.pid}/ns/pid -> ${p.ns.pid}`, `host: ${p.hostNs.pid}`];
            if (forChildren && forChildren !== p.ns.pid) evidence.push(`/proc/${p.pid}/ns/pid_for_children -> ${forChildren}`);
            return {
              pass,
              observed: `PID ${own ?? '?'} in ${newNs ? 'a namespace of its own' : "the host's namespace"}`,
              evidence,
              hint:
                forChildren && forChildren !== p.ns.pid
                  ? `PID ${p.pid} (${p.comm}) made a new PID namespace but is not in it: pid_for_children differs from pid, because only children enter it. Add --fork (-f) so unshare forks the process that becomes PID 1`
                  : !newNs
                    ? `PID ${p.pid} (${p.comm}) is in the host's PID namespace: start it with unshare -pf`
                    : `PID ${p.pid} (${p.comm}) is PID ${own} of its namespace, not its first process: start the command itself in a new one (unshare -pf CMD) so it is the first`,
            };
          },
        },
      ],
      solution: ['unshare -pf --mount-proc sleep 1000 &'],
      nearMisses: [{ what: 'unshare -p without --fork', commands: ['unshare -p sleep 1000 &'], fails: ['pid-1'] }],
    },
  ],
} satisfies LessonModule;
