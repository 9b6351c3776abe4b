// Lesson 03: PID 1 of a PID namespace: the sandbox's Node, or what nslab's helper or Node's own
// unshare(CLONE_NEWPID) starts in a nested one. Each experiment mounts a fresh /proc first, as
// `unshare --mount-proc` does; every process signalled here is the experiment's own. Each step
// waits for the state that says it happened, or reads the state that says it did not.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readlinkSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { bins, diedOf, exitOf, exitText, experiment, freshProc, linesFrom, must, nsenter, readlinkOr, readOr, runs, signalSettled } from '../../src/kit/index.js';
import { startAndWait, startAsPid1, statusLines, waitFor, type LessonModule, type SandboxContext as Ctx } from '../../src/kit/index.js';

/** The value after `Key:` in status text or lines: ('NSpid: 8065 1', 'NSpid') -> '8065 1'. */
const field = (text: string | string[] | undefined, key: string): string =>
  new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(Array.isArray(text) ? text.join('\n') : (text ?? ''))?.[1]?.trim() ?? '';
const alive = (state: string): boolean => /^[RSDT]/i.test(state);

// Experiment 1: who is PID 1.

async function runFirst(ctx: Ctx, args: { unshareWithoutFork?: boolean } = {}) {
  const [unshare, sleep, grep] = bins(ctx, 'unshare', 'sleep', 'grep');
  freshProc(ctx);
  let [pid, who] = [1, "the sandbox's first process (this Node)"];
  if (args.unshareWithoutFork) {
    // `unshare -p prog` without --fork: unshare(CLONE_NEWPID) then exec, so prog is still in
    // the old namespace. Its children would be the new namespace's, not prog.
    pid = (await startAndWait(ctx, 'unshare -p to exec sleep', unshare!, ['-p', sleep!, '1000'], (p) => runs(p, 'sleep'))).pid;
    who = `the program unshare -p execs without --fork (sleep, PID ${pid})`;
  }
  const inside = statusLines(ctx, pid, 'Name', 'Pid', 'PPid', 'NSpid');
  const c = await ctx.spawn(grep!, ['-E', '^(Pid|PPid):', '/proc/self/status']);
  await ctx.outside('first-process', pid === 1 ? [] : [pid]);
  return { who, inside, child: c.stdout.trim().replace(/\s+/g, ' ') };
}

const firstProcess = experiment({
  id: 'first-process',
  title: 'the first process of a new PID namespace is PID 1, with PPid 0',
  sandbox: { namespaces: ['pid', 'mnt'], rootfs: true, pivot: false },
  run: runFirst,
  checks: (check) => [
    check('pid1-ppid0', 'inside: Pid: 1 and PPid: 0; from the host, NSpid: <host PID> 1', (obs, outside) => {
      const v = outside['first-process']?.[0];
      const [pid, ppid] = [Number(field(obs.inside, 'Pid')), Number(field(obs.inside, 'PPid'))];
      const nspid = field(v?.status, 'NSpid').split(/\s+/).filter(Boolean).map(Number);
      return {
        pass: pid === 1 && ppid === 0 && !!v && nspid.length >= 2 && nspid[0] === v.pid && nspid.at(-1) === 1,
        observed: `${obs.who}: Pid ${pid}, PPid ${ppid}; host sees NSpid ${nspid.join(' ')}`,
        evidence: [...obs.inside.map((l) => `inside: ${l}`), `host /proc/${v?.pid ?? '?'}/status: NSpid: ${nspid.join(' ') || '(no outside view)'}`, `a child it started: ${obs.child}`],
        hint: pid !== 1
          ? `${obs.who} is PID ${pid} with PPid ${ppid}: unshare(CLONE_NEWPID) does not move its caller, only the children it forks afterwards, so without --fork the program unshare execs stays in the old namespace (NSpid ${nspid.join(' ')} ends in ${nspid.at(-1)}, not 1)`
          : `Pid 1 but PPid ${ppid} / NSpid ${nspid.join(' ')}`,
      };
    }),
  ],
  sabotage: [{ what: 'look at the caller of unshare -p without --fork', args: { unshareWithoutFork: true }, fails: ['pid1-ppid0'] }],
});

// Experiment 2: signals and PID 1.

/** Node as PID 1, idle once `handler` (JavaScript) is installed; it names itself pid1-ready then. */
const nodeArgv = (handler = ''): string[] => [process.execPath, '-e', `${handler}process.title='pid1-ready';setInterval(()=>{},1000)`];
const PID1_NAMES = ['sleep (SIGTERM)', 'sleep (SIGKILL)', 'node, no handler', "node, process.on('SIGTERM')"];
type Send = ['TERM' | 'KILL', 'parent' | 'inside'];

async function runSignals(ctx: Ctx, args: { trapTerm?: boolean; killFromInside?: boolean; noJsHandler?: boolean; jsNoop?: boolean } = {}) {
  const { sys, proc } = ctx;
  const [sleep, kill, sh] = bins(ctx, 'sleep', 'kill', 'sh');
  const SIG = { TERM: sys.SIGTERM, KILL: sys.SIGKILL };
  freshProc(ctx);
  /** A signal to PID 1 from this namespace (its parent), or from inside its own (as `nsenter -p`). */
  const send = async (pid: number, [sig, from]: Send): Promise<string> => {
    if (from === 'parent') return sys.kill(pid, SIG[sig]).trace;
    const r = await nsenter(ctx, pid, ['-p'], [kill!, `-${sig}`, '1']);
    const line = `nsenter -t ${pid} -p kill -${sig} 1  (from inside its namespace) -> exit ${r.code} ${r.stderr.trim()}`.trim();
    ctx.note(line);
    return line;
  };
  /** `prog` as PID 1, the signals, and its status before (SigCgt; SigIgn, as a PID 1 that ignores
   * SIGTERM survives it for another reason) and after, once the kernel has settled every signal. */
  const trial = async (note: string, what: string, prog: string[], name: string, sends: Send[], ready = (_pid: number) => true) => {
    ctx.note(note);
    const { bg, pid } = await startAsPid1(ctx, prog, name);
    await waitFor(`${name} to be ready`, () => ready(pid));
    const [st, statusBefore] = [proc.readStatus(pid), statusLines(ctx, pid, 'Name', 'State', 'NSpid', 'SigIgn', 'SigCgt')];
    const events: string[] = [];
    const ended = await signalSettled(ctx, pid, bg.exited, sends.map(([s]) => SIG[s]), async () => {
      for (const s of sends) events.push(await send(pid, s));
    });
    const statusAfter = existsSync(`/proc/${pid}`) ? statusLines(ctx, pid, 'State', 'SigPnd', 'ShdPnd', 'SigCgt') : [`/proc/${pid}: gone`];
    const caughtAfter = ended ? [] : proc.decodeSignals(proc.readStatus(pid).sigCgt);
    bg.kill('SIGKILL');
    const [caught, ignored, survived] = [proc.decodeSignals(st.sigCgt), proc.decodeSignals(st.sigIgn), ended === null && alive(field(statusAfter, 'State'))];
    return { what, pid, nspid: st.nspid, statusBefore, caught, ignored, events, statusAfter, caughtAfter, survived, exit: exitText(ended) };
  };

  const sleepProg = args.trapTerm ? [sh!, '-c', `trap 'exit 0' TERM; while :; do ${sleep} 0.05; done`] : [sleep!, '1000'];
  const sleepNote = args.trapTerm ? 'sabotage: PID 1 is a shell with a SIGTERM trap' : 'sleep as PID 1 of a new PID namespace';
  // The trapping shell has set its trap once it runs the loop's first sleep.
  const trapSet = (pid: number) => !args.trapTerm || ctx.proc.readChildren(pid).some((kid) => runs(kid, 'sleep'));
  const sleepReport = await trial(sleepNote, 'sleep as PID 1: SIGTERM from inside its namespace, then from the parent', sleepProg, args.trapTerm ? 'sh' : 'sleep', [['TERM', 'inside'], ['TERM', 'parent']], trapSet);
  const killNote = args.killFromInside ? 'sabotage: SIGKILL sent from inside the namespace' : 'SIGKILL from the parent namespace';
  const killReport = await trial(killNote, 'SIGKILL to a PID 1', [sleep!, '1000'], 'sleep', [['KILL', args.killFromInside ? 'inside' : 'parent']]);
  const [bare, noop] = args.jsNoop ? ["Node as PID 1 with process.on('SIGTERM', () => {})", "process.on('SIGTERM',()=>{});"] : ['Node as PID 1, no JavaScript handler', ''];
  const nodeBare = await trial('Node as PID 1, without and with a process.on("SIGTERM") handler', bare, nodeArgv(noop), 'pid1-ready', [['TERM', 'parent']]);
  const handled = args.noJsHandler ? 'Node as PID 1, handler line left out' : "Node as PID 1 with process.on('SIGTERM', () => process.exit(0))";
  const exits = args.noJsHandler ? '' : "process.on('SIGTERM',()=>process.exit(0));";
  const nodeHandler = await trial(handled, handled, nodeArgv(exits), 'pid1-ready', [['TERM', 'parent']]);
  return { sleep: sleepReport, kill: killReport, nodeBare, nodeHandler };
}

const signals = experiment({
  id: 'signals-to-pid1',
  title: 'PID 1 gets only the signals it has a handler for; SIGKILL from the parent always lands',
  sandbox: { namespaces: ['pid', 'mnt'], rootfs: true, pivot: false, timeoutMs: 30_000 },
  run: runSignals,
  checks: (check) => [
    check('sleep-pid1-ignores-term', 'sleep as PID 1 has an empty SigCgt, does not ignore SIGTERM (SigIgn), and survives SIGTERM, from inside its namespace and from the parent, with nothing left pending', ({ sleep: s }) => {
      const [sigCgt, sigIgn, ignoresTerm] = [field(s.statusBefore, 'SigCgt'), field(s.statusBefore, 'SigIgn'), s.ignored.includes('SIGTERM')];
      // Dropped inside kill(), SIGTERM (bit 14) was never queued: for the thread (SigPnd) or the process (ShdPnd).
      const pending = ['SigPnd', 'ShdPnd'].some((k) => (BigInt(`0x${field(s.statusAfter, k) || '0'}`) >> 14n) & 1n);
      return {
        pass: sigCgt !== '' && s.caught.length === 0 && sigIgn !== '' && !ignoresTerm && s.survived && !pending,
        observed: `SigCgt ${sigCgt} (${s.caught.join(', ') || 'nothing caught'}), SIGTERM ${ignoresTerm ? 'ignored' : 'not ignored'}; after SIGTERM: ${s.survived ? 'still running' : s.exit}${pending ? ', SIGTERM pending' : ''}`,
        evidence: [...s.statusBefore, ...s.events, ...s.statusAfter],
        hint: ignoresTerm
          ? `PID 1 ignores SIGTERM outright (SigIgn ${sigIgn}): whoever started it set SIG_IGN, so its survival says nothing about the rule for PID 1`
          : `PID 1 ${s.statusBefore[0] ?? ''} catches ${s.caught.join(', ') || 'nothing'} (SigCgt ${sigCgt}), and after SIGTERM: ${s.exit}. A PID 1 that installed a SIGTERM handler gets the signal and runs it. The kernel only drops signals PID 1 would have taken the default action on.`,
      };
    }),
    check('sigkill-from-parent-lands', 'SIGKILL sent from the parent namespace kills PID 1 at once', ({ kill: k }) => {
      const now = k.survived ? 'still running' : k.exit;
      return {
        pass: !k.survived && /signal 9|SIGKILL/.test(k.exit),
        observed: `${k.events.join('; ')}: ${now}`,
        evidence: [...k.statusBefore, ...k.events, ...k.statusAfter],
        hint: k.events.some((e) => e.includes('from inside'))
          ? `the SIGKILL came from inside PID 1's own namespace, and PID 1 is ${now}: there even SIGKILL is dropped (kill -9 1 inside a container does nothing). Only an ancestor namespace can force SIGKILL on its PID 1.`
          : `after ${k.events.join('; ')} PID 1 is ${now}`,
      };
    }),
    check('node-pid1-term', "Node as PID 1 has SIGTERM in SigCgt; with no JS handler it survives SIGTERM, with process.on('SIGTERM') it exits 0", ({ nodeBare: b, nodeHandler: h }) => {
      const [catchesTerm, bCgt, hCgt] = [b.caught.includes('SIGTERM'), field(b.statusBefore, 'SigCgt'), field(h.statusBefore, 'SigCgt')];
      return {
        pass: catchesTerm && b.survived && !h.survived && /status 0/.test(h.exit),
        observed: `no handler: ${b.survived ? 'survived' : b.exit}; with handler: ${h.survived ? 'survived' : h.exit}`,
        evidence: [`no JS handler, before: SigCgt: ${bCgt} (${b.caught.join(' ')})`, ...b.events, `with handler, before: SigCgt: ${hCgt}`, ...h.events, `with handler: ${h.exit}`],
        hint: !catchesTerm
          ? `Node's SigCgt ${bCgt} has no SIGTERM: ${b.caught.join(' ')}`
          : h.survived
            ? `the Node meant to have a handler survived SIGTERM (${h.what}): its SigCgt ${hCgt} shows SIGTERM caught, but only by Node's own handler, which re-raises the signal with the default action, and the kernel drops that for PID 1. Only a JavaScript handler that exits makes it stop.`
            : `without a JS handler Node ${b.exit}`,
      };
    }),
    check('node-handler-one-shot', "Node's own SIGTERM handler is one-shot: after one SIGTERM, SigCgt no longer lists SIGTERM, and the Node with no JS handler still runs", ({ nodeBare: b }) => {
      const [before, after] = [b.caught.includes('SIGTERM'), b.caughtAfter.includes('SIGTERM')];
      return {
        pass: before && !after && b.survived,
        observed: `SIGTERM in SigCgt: ${before ? 'yes' : 'no'} before, ${after ? 'yes' : 'no'} after; Node ${b.survived ? 'still running' : b.exit}`,
        evidence: [`before: SigCgt: ${field(b.statusBefore, 'SigCgt')}`, ...b.events, ...b.statusAfter.map((l) => `after: ${l}`)],
        hint: after
          ? `SigCgt still lists SIGTERM after the signal (${b.what}): a JavaScript listener keeps libuv's handler installed for good, while Node's own native one is installed with SA_RESETHAND and is reset to the default as the first SIGTERM is taken`
          : `${b.what}: SIGTERM in SigCgt before: ${before}; after the signal Node is ${b.survived ? 'running' : b.exit}`,
      };
    }),
  ],
  diagrams: [{ kind: 'process-tree', title: 'PID 1 of each nested namespace, as this namespace numbers it', from: (o) => [o.sleep, o.kill, o.nodeBare, o.nodeHandler].map((r, i) => ({ pid: r.pid, ppid: 0, nspid: r.nspid, name: PID1_NAMES[i]! })) }],
  sabotage: [
    { what: 'PID 1 is a shell that traps SIGTERM', args: { trapTerm: true }, fails: ['sleep-pid1-ignores-term'] },
    { what: "send SIGKILL from inside PID 1's own namespace", args: { killFromInside: true }, fails: ['sigkill-from-parent-lands'] },
    { what: "leave out Node's process.on('SIGTERM') handler", args: { noJsHandler: true }, fails: ['node-pid1-term'] },
    { what: "give the bare Node an empty process.on('SIGTERM', () => {}) listener", args: { jsNoop: true }, fails: ['node-handler-one-shot'] },
  ],
});

// Experiment 3: orphans and zombies.

async function runOrphans(ctx: Ctx, args: { reapFirst?: boolean; skipReap?: boolean } = {}) {
  const [sh, sleep] = bins(ctx, 'sh', 'sleep');
  freshProc(ctx);
  // The shell exits at once, orphaning its child. The child first waits for a line on fd 3 (a
  // pipe from this process), then becomes `sleep 0`: it finishes when told, after the re-parenting.
  const shell = spawn(sh!, ['-c', `{ read go <&3; exec ${sleep} 0; } >/dev/null 2>&1 & echo $!`], { stdio: ['ignore', 'pipe', 'ignore', 'pipe'] });
  const [said] = await Promise.all([linesFrom(shell, 1), once(shell, 'exit')]);
  const orphan = Number(said[0]);
  if (!Number.isInteger(orphan) || orphan <= 0) throw new Error(`the shell did not report its child's PID: ${said.join(' ')}`);
  const look = (...keys: string[]) => (existsSync(`/proc/${orphan}`) ? statusLines(ctx, orphan, ...keys) : [`/proc/${orphan}: gone`]);
  // Only this PID: libuv reaps the children Node spawned, and must still find them.
  const reap = (note: string): Promise<string> => {
    ctx.note(note);
    return waitFor(`waitpid to return PID ${orphan}`, () => {
      const w = ctx.sys.waitpid(orphan, ctx.sys.WNOHANG);
      return (w.ret === orphan || !w.ok) && w.trace;
    }).catch(() => 'waitpid never returned the orphan');
  };
  ctx.note(`the shell has exited; let its orphan, PID ${orphan}, run sleep 0`);
  (shell.stdio[3] as Writable).end('go\n');
  let wait = args.reapFirst ? await reap('sabotage: reap the orphan before looking at it') : null;
  await waitFor(`PID ${orphan} to finish`, () => !alive(field(readOr(`/proc/${orphan}/status`), 'State')));
  const zombie = look('Name', 'State', 'Pid', 'PPid');
  if (!args.reapFirst && !args.skipReap) wait = await reap('PID 1 reaps it: waitpid for that PID');
  const after = look('State')[0]!.replace(/^State:/, `/proc/${orphan}: State:`);
  return { orphan, zombie, wait, after, node: statusLines(ctx, 1, 'Name', 'Pid') };
}

const orphans = experiment({
  id: 'orphans-and-zombies',
  title: 'orphans are re-parented to PID 1 and stay zombies until it reaps them',
  sandbox: { namespaces: ['pid', 'mnt'], rootfs: true, pivot: false },
  run: runOrphans,
  checks: (check) => [
    check('orphan-becomes-zombie-of-pid1', 'the orphaned sleep, once finished, is State: Z (zombie) with PPid: 1', (obs) => {
      const [state, ppid] = [field(obs.zombie, 'State'), field(obs.zombie, 'PPid')];
      return {
        pass: state.startsWith('Z') && ppid === '1',
        observed: obs.zombie.length > 1 ? `State ${state}, PPid ${ppid}` : obs.zombie[0]!,
        evidence: [...obs.zombie, ...obs.node.map((l) => `PID 1: ${l}`)],
        hint: obs.zombie[0]?.endsWith('gone')
          ? `there is no zombie to see: ${obs.wait ?? 'something'} collected PID ${obs.orphan} before anyone looked. Zombies exist exactly until their parent calls waitpid().`
          : `PID ${obs.orphan} is State ${state} with PPid ${ppid}`,
      };
    }),
    check('pid1-reaps-it', 'after PID 1 calls waitpid() for it, the zombie is gone from /proc', (obs) => ({
      pass: obs.wait !== null && obs.wait.includes(`= ${obs.orphan}`) && obs.after.endsWith('gone'),
      observed: `${obs.wait ?? 'no waitpid call'}; ${obs.after}`,
      evidence: [obs.wait ?? '(no waitpid in the trace)', obs.after],
      hint: obs.wait === null
        ? `nobody called waitpid(${obs.orphan}, ...): ${obs.after}. Node reaps only the children it spawned itself, so as PID 1 it collects zombies forever unless told to (or an init like tini does it).`
        : `${obs.wait}; ${obs.after}`,
    })),
  ],
  diagrams: [{ kind: 'process-tree', title: 'the orphan, re-parented', from: ({ node, orphan, zombie }) => [
    { pid: 1, ppid: 0, nspid: [1], name: field(node, 'Name') || 'node' },
    { pid: orphan, ppid: Number(field(zombie, 'PPid')) || 0, nspid: [orphan], name: `${field(zombie, 'Name') || 'sleep'} (${field(zombie, 'State') || 'gone'})` },
  ] }],
  sabotage: [
    { what: 'reap the orphan before looking', args: { reapFirst: true }, fails: ['orphan-becomes-zombie-of-pid1'] },
    { what: 'never call waitpid', args: { skipReap: true }, fails: ['pid1-reaps-it'] },
  ],
});

// Experiment 4: when PID 1 exits.

async function runExit(ctx: Ctx, args: { unshareOnThreadpool?: boolean; pid1Stays?: boolean } = {}) {
  const [sh, sleep, unshareBin] = bins(ctx, 'sh', 'sleep', 'unshare');
  freshProc(ctx);
  // The learner's version, with unshare and bash from the rootfs (without bash this line of
  // evidence is left out). bash runs two programs: the first becomes PID 1 and exits, the second fork fails.
  const bash = ctx.findBin('bash');
  const script = `${sleep} 0; ${sleep} 0; echo reached`;
  const learnerRun = bash ? await ctx.spawn(unshareBin!, ['--pid', bash, '-c', script]) : null;
  const learner = learnerRun && `unshare --pid bash -c '${script}' -> ${learnerRun.stderr.trim() || '(no error)'}`;

  // Now the same by hand: unshare on this (main) thread, then start children from it.
  const [nsPid, forChildrenBefore] = [readlinkSync('/proc/self/ns/pid'), readlinkSync('/proc/self/ns/pid_for_children')];
  const unshare = args.unshareOnThreadpool
    ? must(await ctx.sys.unshareAsync(ctx.sys.CLONE_NEWPID), 'unshare(CLONE_NEWPID) on the threadpool').trace
    : must(ctx.sys.unshare(ctx.sys.CLONE_NEWPID), 'unshare(CLONE_NEWPID)').trace;
  // Until its first process exists the new namespace has no init: the link cannot be followed.
  const forChildrenUnborn = readlinkOr('/proc/self/ns/pid_for_children');
  ctx.note('this process stays where it was; the next process it starts is PID 1 of the new namespace');
  const first = spawn(sh!, ['-c', 'echo "pid1: $$"; read line; echo "pid1 exits"'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const firstExit = exitOf(first).then(exitText);
  const firstSaid = await linesFrom(first, 1);
  const forChildren = { before: forChildrenBefore, unborn: forChildrenUnborn, after: readlinkOr('/proc/self/ns/pid_for_children') };
  // The other process is this Node's child, not PID 1's: Node, outside, gets its wait status.
  const other = spawn(sleep!, ['1000'], { stdio: 'ignore' });
  const [otherExit, otherPid] = [exitOf(other), other.pid ?? -1];
  await waitFor('sleep 1000 to run', () => runs(otherPid, 'sleep')).catch(() => undefined);
  const otherBefore = statusLines(ctx, otherPid, 'Name', 'State', 'NSpid');

  if (args.pid1Stays) ctx.note('sabotage: PID 1 keeps running while the next process starts');
  else first.stdin!.end();
  const pid1Exit = args.pid1Stays ? 'still running' : await firstExit;
  // PID 1's exit completes only once every other process of its namespace is reaped: a sleep
  // still alive now is one nothing is going to kill.
  const otherEnd = alive(field(readOr(`/proc/${otherPid}/status`), 'State')) ? null : await otherExit;

  // Node's spawn throws at once when the kernel refuses the fork.
  const second = await Promise.resolve()
    .then(() => linesFrom(spawn(sh!, ['-c', 'echo "second: $$"'], { stdio: ['ignore', 'pipe', 'ignore'] }), 1))
    .then((said) => ({ ok: true, said: said.join(' '), error: null }), (e: NodeJS.ErrnoException) => ({ ok: false, said: '', error: `${e.syscall ?? 'spawn'} ${e.code ?? ''} (${e.message})` }));
  ctx.note(second.ok ? `second process started: ${second.said}` : `second process: ${second.error}`);
  // Whatever the sabotage left running (kill is a no-op for the gone).
  [first, other].forEach((c) => c.kill('SIGKILL'));
  await firstExit;
  const memAvailable = readOr('/proc/meminfo').match(/^MemAvailable:.*$/m)?.[0] ?? 'MemAvailable: (unreadable)';
  const sleepEnd = { otherPid, otherBefore, otherExit: exitText(otherEnd), otherKilled: diedOf(otherEnd, 'SIGKILL') };
  return { learner, unshare, nsPid, forChildren, firstSaid, firstPid: first.pid ?? -1, ...sleepEnd, pid1Exit, second, memAvailable };
}

/** The first child did not become PID 1 of a new namespace: the sabotage moved another thread. */
const notPid1 = (firstSaid: string[]): string =>
  firstSaid[0] === 'pid1: 1' ? '' : `the first child said "${firstSaid[0] ?? ''}", not "pid1: 1": it was not the init of a new namespace (unshare moved a threadpool thread, not the one that starts children), so no namespace lost its init. `;

const pid1Exit = experiment({
  id: 'pid1-exit',
  title: 'when PID 1 exits, the namespace dies and fork() there fails with ENOMEM',
  sandbox: { namespaces: ['pid', 'mnt'], rootfs: true, pivot: false },
  run: runExit,
  checks: (check) => [
    check('unshare-moves-children-only', "after unshare(CLONE_NEWPID) the caller's ns/pid is unchanged, pid_for_children is new, and its next child is PID 1", ({ forChildren: fc, nsPid, unshare, firstSaid }) => {
      const said = firstSaid[0] ?? '(nothing)';
      const link = (which: string, when: string) => `/proc/self/ns/${which} -> ${when}`;
      return {
        pass: fc.after !== fc.before && nsPid === fc.before && said === 'pid1: 1',
        observed: `ns/pid ${nsPid}; pid_for_children ${fc.before} -> ${fc.after}; first child says "${firstSaid[0] ?? ''}"`,
        evidence: [link('pid_for_children', `${fc.before} (before)`), unshare, link('pid_for_children', `${fc.unborn} (no process in it yet)`), ...firstSaid,
          link('pid_for_children', `${fc.after} (after the first child)`), link('pid', `${nsPid} (unchanged)`)],
        hint: unshare.includes('[threadpool]')
          ? `the first child says "${said}", not "pid1: 1", and this thread's pid_for_children did not change (${fc.after}): ${unshare} moved a libuv worker thread, while children are started from the main thread. unshare(CLONE_NEWPID) sets the namespace for the children of the calling thread only.`
          : `first child said "${said}"; ${unshare}; pid_for_children ${fc.before} -> ${fc.after}`,
      };
    }),
    check('pid1-exit-kills-the-rest', 'when PID 1 exits, the kernel kills the other process of its namespace (sleep 1000) with SIGKILL, as the wait status its parent, this Node, collects says', (o) => {
      const state = field(o.otherBefore, 'State');
      return {
        pass: alive(state) && o.pid1Exit !== 'still running' && o.otherKilled,
        observed: `PID 1 ${o.pid1Exit}; sleep 1000 (PID ${o.otherPid} here): ${o.otherExit}`,
        evidence: [...o.otherBefore, `PID 1 (PID ${o.firstPid} here): ${o.pid1Exit}`, `sleep 1000's wait status, as its parent saw it: ${o.otherExit}`],
        hint: !alive(state)
          ? `the sleep was not running before PID 1 exited (State: ${state || 'no /proc entry'})`
          : `${notPid1(o.firstSaid)}sleep 1000 is ${o.otherExit} (PID 1, the first child, when we looked: ${o.pid1Exit}): the namespace's other processes are killed when its init exits, not before`,
      };
    }),
    check('fork-enomem-after-pid1', 'once PID 1 has exited, starting another process in the namespace fails with ENOMEM while memory is plentiful', ({ second, pid1Exit, memAvailable, learner, firstSaid }) => ({
      pass: !second.ok && /ENOMEM/.test(second.error ?? ''),
      observed: second.ok ? `started: ${second.said}` : `${second.error}`,
      evidence: [`PID 1: ${pid1Exit}`, `second process: ${second.ok ? second.said : second.error}`, memAvailable, ...(learner ? [learner] : [])],
      hint: second.ok
        ? `${notPid1(firstSaid)}the second process started fine (${second.said}; PID 1 at that moment: ${pid1Exit}), so the namespace still accepted new processes. ENOMEM comes from a namespace whose init is gone, not from memory (${memAvailable}).`
        : `the second process failed with ${second.error}, not ENOMEM`,
    })),
  ],
  sabotage: [
    { what: 'call unshare(CLONE_NEWPID) on a threadpool thread (koffi .async): no child is PID 1 of a new namespace', args: { unshareOnThreadpool: true }, fails: ['unshare-moves-children-only', 'pid1-exit-kills-the-rest', 'fork-enomem-after-pid1'] },
    { what: 'keep PID 1 running while the second process starts (unshare --fork)', args: { pid1Stays: true }, fails: ['pid1-exit-kills-the-rest', 'fork-enomem-after-pid1'] },
  ],
});

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
            const [own, newNs] = [p.nspid.at(-1), p.nsDiffers.includes('pid') && p.nspid.length > 1];
            // A new PID namespace made for its children only: pid_for_children is not its pid.
            const forChildren = p.ns.pid_for_children && p.ns.pid_for_children !== p.ns.pid ? [`/proc/${p.pid}/ns/pid_for_children -> ${p.ns.pid_for_children}`] : [];
            return {
              pass: newNs && own === 1,
              observed: `PID ${own ?? '?'} in ${newNs ? 'a namespace of its own' : "the host's namespace"}`,
              evidence: [p.status.NSpid ?? 'NSpid: (not printed by this kernel)', `/proc/${p.pid}/ns/pid -> ${p.ns.pid}`, `host: ${p.hostNs.pid}`, ...forChildren],
              hint: forChildren.length
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
