// Lesson 10: cgroups. A cgroup the lesson owns (v2 where the feature exists, v1 otherwise):
// pids.max counting threads until fork fails with EAGAIN, a memory limit's OOM kill, freezing,
// cgroup.kill, and /proc/PID/cgroup in a cgroup namespace. nslab's host side makes the cgroup
// (nslab-<nslab's PID>-<n>), moves in the experiment's own processes and removes it at the end;
// the experiment writes the limits and reads the counters, as a learner would with echo and cat.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuTicks, diedOf, echoTo, exitText, exitWithin, experiment, keyedLines, memoryCounters, needCgroup, readOr, release, runs, startAndWait, statusLines } from '../../src/kit/index.js';
import { waitFor, workDir, type LessonModule, type SandboxCgroup, type SandboxContext as Ctx } from '../../src/kit/index.js';

const MIB = 1024 * 1024;
const fileLine = (path: string, text: string): string => `${path}: ${text.trim().replace(/\n/g, ' | ')}`;
const mib = (bytes: number): string => (bytes === Infinity ? 'unlimited' : `${Math.round(bytes / MIB)} MiB`);
/** The /proc/PID/cgroup line of the hierarchy the lesson's cgroup lives in: 0:: on v2, pids on v1. */
const lineFor = (ctx: Ctx, text: string, version: SandboxCgroup['version']) =>
  ctx.proc.parseCgroup(text).find((l) => (version === 'v2' ? l.hierarchy === 0 : l.controllers.includes('pids'))) ?? { raw: '', path: '' };

/** Private mounts, a fresh /proc and a tmpfs holding the fifos that the processes under test wait
 * on (`read go < FIFO`) until they are released; and the shell that runs them. */
const prepare = async (ctx: Ctx, ...fifos: string[]) => ({ sh: ctx.bin('sh'), work: await workDir(ctx, ...fifos) });

// Experiment 1: pids.max counts threads, and fork fails with EAGAIN at the limit.

const pidsLimit = experiment({
  id: 'pids-limit',
  title: 'pids.max: threads count, and fork fails with EAGAIN',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  async run(ctx, args: { leaveNodeOut?: boolean; pidsMax?: string } = {}) {
    const { sh, work } = await prepare(ctx, 'go');
    // Node starts all its threads before it runs any JavaScript: once it has named itself, its
    // Threads: count is final (libuv's threadpool would start only on an asynchronous call).
    const idle = ['-e', "process.title = 'pids-ready'; setInterval(() => {}, 1 << 30)"];
    const node = await startAndWait(ctx, 'Node to start', process.execPath, idle, (pid) => runs(pid, 'pids-ready'), { timeoutMs: 5000 });
    // dash reports a failed fork as "Cannot fork", without the errno: nslab-tools forks prints it.
    const shell = await ctx.background(sh, ['-c', `exec >${work}/out 2>&1; read go < ${work}/go; exec ${ctx.tools} forks 3 30`]);
    const cg = await needCgroup(ctx, ['pids'], { pids: args.leaveNodeOut ? [shell.pid] : [node.pid, shell.pid] });
    const dir = cg.paths.pids!;
    const current = Number(readOr(`${dir}/pids.current`).trim());
    // For the picture: whom cgroup.procs lists (PIDs of this namespace) at that moment, with their threads.
    const procs = readOr(`${dir}/cgroup.procs`).split(/\s+/).filter(Boolean).map(Number).map((pid) => ({ pid, name: ctx.proc.readStatus(pid).name, threads: ctx.proc.readStatus(pid).threads }));
    const [[threadsLine], nodeThreads] = [statusLines(ctx, node.pid, 'Threads'), ctx.proc.readStatus(node.pid).threads];
    const nodeCgroup = lineFor(ctx, readOr(`/proc/${node.pid}/cgroup`), cg.version).raw;
    // The limit: exactly what is inside already, so the shell's first fork has no room.
    const max = args.pidsMax ?? String(current);
    echoTo(ctx, `${dir}/pids.max`, max);
    const maxRead = readOr(`${dir}/pids.max`).trim();
    await release(ctx, `${work}/go`);
    const exit = await exitWithin(shell.exited, 5000);
    const [shellOutput, shellExit, shellFailed] = [readOr(`${work}/out`).trim(), exitText(exit), !!exit && exit.code !== 0];
    const events = readOr(`${dir}/pids.events`).trim();
    return { version: cg.version, why: cg.why, dir, nodePid: node.pid, nodeThreads, threadsLine, nodeCgroup, current, max, procs, maxRead, shellOutput, shellExit, shellFailed, events, maxEvents: keyedLines(events).max ?? 0 };
  },
  checks: (check) => [
    check('pids-count-threads', "pids.current counts threads: the Node member's Threads: plus 1 for the shell", (o) => ({
      pass: o.current === o.nodeThreads + 1,
      observed: `pids.current ${o.current}; Node has ${o.nodeThreads} threads; ${o.version}`,
      evidence: [fileLine(`${o.dir}/pids.current`, String(o.current)), `/proc/${o.nodePid}/status: ${o.threadsLine}`, `/proc/${o.nodePid}/cgroup: ${o.nodeCgroup}`, o.why],
      hint: o.current === 1
        ? `pids.current is 1: only the shell is in ${o.dir}. The Node process (PID ${o.nodePid}, ${o.threadsLine}) was never moved in: its /proc/${o.nodePid}/cgroup line is "${o.nodeCgroup}"`
        : `pids.current is ${o.current}, but Node's ${o.nodeThreads} threads plus the shell make ${o.nodeThreads + 1}: a thread started or ended between the two reads, or another process is inside`,
    })),
    check('fork-eagain', 'at pids.max the next fork() fails with EAGAIN ("Resource temporarily unavailable"), and pids.events counts it', (o) => {
      const [eagain, said] = [/Resource temporarily unavailable/.test(o.shellOutput), o.shellOutput.split('\n')];
      return {
        pass: eagain && o.maxEvents > 0 && o.shellFailed,
        observed: `${eagain ? 'EAGAIN' : 'no EAGAIN'}; pids.events max ${o.maxEvents}; shell ${o.shellExit}`,
        evidence: [fileLine(`${o.dir}/pids.max`, o.max), fileLine(`${o.dir}/pids.events`, o.events), ...said.slice(0, 4).map((l) => `shell: ${l}`)],
        hint: o.max === 'max'
          ? `pids.max was "max" (no limit), so every fork worked: ${said.at(-1) ?? ''}`
          : Number(o.max) > o.current
            ? `pids.max ${o.max} left room for ${Number(o.max) - o.current} more task(s) above pids.current ${o.current}: the forks fitted`
            : `the shell said "${said[0] ?? ''}" and pids.events says max ${o.maxEvents}`,
      };
    }),
  ],
  sabotage: [
    { what: "move only the shell; leave the Node process (and its threads) out of the cgroup", args: { leaveNodeOut: true }, fails: ['pids-count-threads'] },
    { what: 'write "max" to pids.max (no limit)', args: { pidsMax: 'max' }, fails: ['fork-eagain'] },
  ],
  diagrams: [{ kind: 'cgroup-tree', title: "The lesson's cgroup, pids controller", from: (o) => ({ version: o.version, dir: o.dir, members: o.procs,
    files: [{ name: 'pids.current', text: String(o.current) }, { name: 'pids.max', text: o.maxRead }, { name: 'pids.events, after the forks', text: o.events }] }) }],
});

// Experiment 2: a memory limit, the OOM killer inside the cgroup, and the counters that say so.

const memoryLimit = experiment({
  id: 'memory-limit',
  title: 'a memory limit: the OOM killer stays inside the cgroup',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  async run(ctx, args: { limit?: string } = {}) {
    const { sh, work } = await prepare(ctx, 'go');
    const shell = await ctx.background(sh, ['-c', `exec >${work}/out 2>&1; read go < ${work}/go; exec ${ctx.bin('dd')} if=/dev/zero of=/dev/null bs=64M count=1`]);
    const cg = await needCgroup(ctx, ['memory'], { pids: [shell.pid] });
    const [dir, v2, limit] = [cg.paths.memory!, cg.version === 'v2', args.limit ?? '16M'];
    const limitFile = `${dir}/${v2 ? 'memory.max' : 'memory.limit_in_bytes'}`;
    echoTo(ctx, limitFile, limit);
    // With swap, the kernel could push the buffer out instead of killing: limit swap too.
    const swapFile = `${dir}/${v2 ? 'memory.swap.max' : 'memory.memsw.limit_in_bytes'}`;
    if (/^SwapTotal:\s+[1-9]/m.test(readOr('/proc/meminfo')) && existsSync(swapFile)) echoTo(ctx, swapFile, v2 ? '0' : limit);
    const limitBytes = Number(readOr(limitFile).trim()) || Infinity;
    await release(ctx, `${work}/go`);
    const exit = await exitWithin(shell.exited, 8000);
    const dd = { ddExit: exitText(exit), ddKilled: diedOf(exit, 'SIGKILL'), ddOutput: readOr(`${work}/out`).trim() };
    return { version: cg.version, why: cg.why, dir, limitFile, limit, limitBytes, ...dd, ...memoryCounters(cg) };
  },
  checks: (check) => [
    check('oom-killed', 'dd is killed with SIGKILL and the cgroup counts an oom_kill', (o) => ({
      pass: o.ddKilled && o.oomKills > 0,
      observed: `dd ${o.ddExit}; oom_kill ${o.oomKills} (${o.version})`,
      evidence: [fileLine(o.limitFile, o.limit), ...o.counters.map((c) => fileLine(c.path, c.text)), ...(o.ddOutput ? [`dd: ${o.ddOutput.split('\n')[0]}`] : [])],
      hint: !o.ddKilled && o.limitBytes >= 64 * MIB
        ? `the limit (${o.limit}, ${mib(o.limitBytes)}) is larger than dd's 64 MiB buffer, so nothing ran out: dd ${o.ddExit}`
        : !o.ddKilled
          ? `dd ${o.ddExit} under a ${mib(o.limitBytes)} limit: swap may have absorbed the buffer (${o.counters.map((c) => c.text).join(' | ')})`
          : `dd was killed but oom_kill is ${o.oomKills}: the kill came from somewhere else`,
    })),
    check('limit-held', 'the limit was hit (memory.events max / memory.failcnt) and usage never went above it', (o) => ({
      pass: o.limitHits > 0 && (o.peak === null || o.peak <= o.limitBytes) && o.limitBytes < 64 * MIB,
      observed: `limit hit ${o.limitHits} times; peak ${o.peak === null ? 'not recorded' : `${(o.peak / MIB).toFixed(1)} MiB`} of ${mib(o.limitBytes)}`,
      evidence: [fileLine(o.limitFile, String(o.limitBytes)), ...o.counters.map((c) => fileLine(c.path, c.text))],
      hint: o.limitHits === 0
        ? `the limit was never hit: ${o.limitFile} says ${o.limitBytes} bytes and the peak was ${o.peak ?? '?'} bytes, so dd's 64 MiB fitted`
        : `the peak (${o.peak}) went above the limit (${o.limitBytes})`,
    })),
  ],
  sabotage: [{ what: 'set a limit larger than what dd allocates (256M)', args: { limit: '256M' }, fails: ['oom-killed', 'limit-held'] }],
  diagrams: [{ kind: 'cgroup-tree', title: "The lesson's cgroup after dd, memory controller", from: (o) => ({ version: o.version, dir: o.dir,
    files: [{ name: o.limitFile.split('/').pop()!, text: String(o.limitBytes) }, ...o.counters.map((c) => ({ name: c.path.split('/').pop()!, text: c.text }))] }) }],
});

// Experiment 3: freezing. The member stops getting CPU; the state file and /proc say so.

const freeze = experiment({
  id: 'freeze',
  title: 'freezing a cgroup: cgroup.freeze (v2) or freezer.state (v1)',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  async run(ctx, args: { skipFreeze?: boolean; skipThaw?: boolean; sigstop?: boolean; preferV1?: boolean } = {}) {
    const { sh } = await prepare(ctx);
    const spin = await ctx.background(sh, ['-c', 'while :; do :; done']);
    const cg = await needCgroup(ctx, ['freeze'], { pids: [spin.pid], preferV1: args.preferV1 });
    const [dir, v2] = [cg.paths.freeze!, cg.version === 'v2'];
    const stateFile = v2 ? `${dir}/cgroup.events` : `${dir}/freezer.state`;
    const [control, frozenValue, thawedValue] = v2 ? [`${dir}/cgroup.freeze`, '1', '0'] : [`${dir}/freezer.state`, 'FROZEN', 'THAWED'];
    // v1's freezer.state reads back what was written; v2's cgroup.events says "frozen 1" or "frozen 0".
    const reports = (value: string) => (v2 ? new RegExp(`^frozen ${value}$`, 'm').test(readOr(stateFile)) : readOr(stateFile).trim() === value);
    const signal = (sig: number) => ctx.note(`sabotage: ${ctx.sys.kill(spin.pid, sig).trace}`);
    const gained = (from: number) => cpuTicks(spin.pid) - from;
    // Only an interval can show that a process gets no CPU. The running loop gains 3 clock ticks
    // as fast as this machine gives them; frozen, it must gain none in twice that time.
    const start = { at: Date.now(), ticks: cpuTicks(spin.pid) };
    const running = await waitFor('the loop to use CPU', () => {
      const d = gained(start.ticks);
      return d >= 3 && d;
    });
    const windowMs = Math.max(20, 2 * (Date.now() - start.at));
    if (args.sigstop) signal(ctx.sys.SIGSTOP);
    else if (!args.skipFreeze) echoTo(ctx, control, frozenValue);
    // Freezing takes effect task by task: wait until the cgroup says it is done (stopped: State T).
    const settled = () => reports(frozenValue) || statusLines(ctx, spin.pid, 'State')[0]!.startsWith('State: T');
    if (args.sigstop || !args.skipFreeze) await waitFor('the cgroup to report frozen', settled).catch(() => undefined);
    const [stateWhileFrozen, [statusFrozen], wchanFrozen] = [readOr(stateFile).trim(), statusLines(ctx, spin.pid, 'State'), readOr(`/proc/${spin.pid}/wchan`).trim()];
    const frozenFrom = cpuTicks(spin.pid);
    await sleep(windowMs);
    const frozen = gained(frozenFrom);
    if (args.sigstop) signal(ctx.sys.SIGCONT);
    else if (!args.skipThaw) {
      echoTo(ctx, control, thawedValue);
      await waitFor('the cgroup to report thawed', () => reports(thawedValue)).catch(() => undefined);
    }
    const thawedFrom = cpuTicks(spin.pid);
    const thawed = await waitFor('the loop to run again', () => gained(thawedFrom) || false, { timeoutMs: 1000 }).catch(() => 0);
    const seen = { stateWhileFrozen, statusFrozen, wchanFrozen, statusThawed: statusLines(ctx, spin.pid, 'State')[0]!, ticks: { running, frozen, thawed, windowMs } };
    return { version: cg.version, why: cg.why, dir, pid: spin.pid, stateFile, ...seen };
  },
  checks: (check) => [
    check('frozen-state', "the cgroup reports frozen (cgroup.events frozen 1 / freezer.state FROZEN), and the loop's State: is S on v2 (parked in the signal path) or D on v1 (the refrigerator): not R, not T", (o) => {
      const says = o.version === 'v2' ? /^frozen 1$/m.test(o.stateWhileFrozen) : o.stateWhileFrozen === 'FROZEN';
      const [state, letter, want] = [o.stateWhileFrozen.replace(/\n/g, ', '), o.statusFrozen.replace(/^State:\s*/, '')[0], o.version === 'v2' ? 'S' : 'D'];
      return {
        pass: says && letter === want,
        observed: `${o.version}: ${state}; ${o.statusFrozen}; wchan ${o.wchanFrozen || '-'}`,
        evidence: [fileLine(o.stateFile, o.stateWhileFrozen), `/proc/${o.pid}/status: ${o.statusFrozen}`, `/proc/${o.pid}/wchan: ${o.wchanFrozen}`, o.why],
        hint: letter === 'T'
          ? `${o.statusFrozen} is a stopped process, not a frozen one, and ${o.stateFile} says "${state}": SIGSTOP is a signal, which its parent sees (SIGCHLD) and SIGCONT undoes; freezing is done to the cgroup, and the process cannot tell`
          : !says
            ? `${o.stateFile} says "${state}": nothing was written to ${o.version === 'v2' ? 'cgroup.freeze' : 'freezer.state'}, so the loop kept running (${o.statusFrozen})`
            : `the cgroup says frozen, but the member shows ${o.statusFrozen}, not ${want}`,
      };
    }),
    check('no-cpu-while-frozen', 'CPU time (utime+stime) grows while running, stops while frozen, grows again after thawing', ({ ticks: t, ...o }) => ({
      pass: t.running > 0 && t.frozen === 0 && t.thawed > 0,
      observed: `clock ticks gained: running ${t.running}, frozen ${t.frozen} in ${t.windowMs} ms, thawed ${t.thawed}`,
      evidence: [`/proc/${o.pid}/stat utime+stime deltas: ${t.running} / ${t.frozen} / ${t.thawed}`, `frozen for ${t.windowMs} ms, twice what the running loop needed for ${t.running} ticks`, `/proc/${o.pid}/status after thaw: ${o.statusThawed}`],
      hint: t.frozen > 0
        ? `the loop used ${t.frozen} ticks while it should have been frozen: ${o.stateFile} said "${o.stateWhileFrozen.replace(/\n/g, ', ')}"`
        : t.thawed === 0
          ? `no CPU after the thaw step (${o.statusThawed}): the cgroup was never thawed`
          : `the loop used no CPU even before freezing (${t.running} ticks): it did not run`,
    })),
  ],
  sabotage: [
    { what: 'never write the freeze file', args: { skipFreeze: true }, fails: ['frozen-state', 'no-cpu-while-frozen'] },
    { what: 'freeze, then never thaw (cleanup must still remove a frozen cgroup)', args: { skipThaw: true }, fails: ['no-cpu-while-frozen'] },
    { what: 'stop the loop with SIGSTOP (and SIGCONT) instead of freezing its cgroup', args: { sigstop: true }, fails: ['frozen-state'] },
  ],
});

// Experiment 4: cgroup.kill (v2 only) and why rmdir needs an empty cgroup.

const cgroupKill = experiment({
  id: 'cgroup-kill',
  title: 'cgroup.kill: every process in the cgroup, at once',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  async run(ctx, args: { skipKill?: boolean } = {}) {
    const { sh, work } = await prepare(ctx, 'go');
    const sleep300 = `${ctx.bin('sleep')} 300`;
    const shell = await ctx.background(sh, ['-c', `exec >${work}/out 2>&1; read go < ${work}/go; ${sleep300} & ${sleep300} & wait`]);
    const dir = (await needCgroup(ctx, ['kill'], { pids: [shell.pid] })).paths.kill!;
    await release(ctx, `${work}/go`);
    // The shell and its two sleeps; if they never all show up, the check says how many did.
    const members = () => readOr(`${dir}/cgroup.procs`).split(/\s+/).filter(Boolean).map(Number);
    const before = await waitFor('the shell and its two sleeps in cgroup.procs', () => members().length >= 3 && members()).catch(members);
    ctx.note(`rmdir ${dir} while ${before.length} processes are inside`);
    const busy = ctx.sys.rmdir(dir);
    if (!args.skipKill) echoTo(ctx, `${dir}/cgroup.kill`, '1');
    // The kernel kills every member at once: the cgroup empties, and then the shell's exit is due.
    const emptied = await waitFor('cgroup.events to say populated 0', () => /^populated 0$/m.test(readOr(`${dir}/cgroup.events`)), { timeoutMs: 1000 }).catch(() => false);
    const exit = await exitWithin(shell.exited, emptied ? 2000 : 0);
    const after = before.map((pid) => ({ pid, state: existsSync(`/proc/${pid}`) ? statusLines(ctx, pid, 'State')[0]! : 'gone' }));
    const alive = after.filter((a) => a.state !== 'gone' && !/^State: Z/.test(a.state));
    const [procsAfter, events] = [readOr(`${dir}/cgroup.procs`).trim(), readOr(`${dir}/cgroup.events`).trim()];
    return { dir, before, after, alive, procsAfter, events, rmdirBusy: busy.trace, rmdirAfter: ctx.sys.rmdir(dir).trace, shellExit: exitText(exit) };
  },
  checks: (check) => [
    check('kill-takes-all', 'after echo 1 > cgroup.kill every member is dead (gone or a zombie) and cgroup.events says populated 0', (o) => ({
      pass: o.before.length >= 3 && o.alive.length === 0 && /^populated 0$/m.test(o.events),
      observed: `${o.before.length} members before, ${o.alive.length} alive after; shell ${o.shellExit}`,
      evidence: [`${o.dir}/cgroup.procs before: ${o.before.join(' ')}`, ...o.after.map((a) => `/proc/${a.pid}/status: ${a.state}`), fileLine(`${o.dir}/cgroup.events`, o.events)],
      hint: o.before.length < 3
        ? `only ${o.before.length} processes were in the cgroup before the kill (expected the shell and its two sleeps)`
        : `${o.alive.map((a) => `PID ${a.pid} (${a.state})`).join(', ')} still alive and cgroup.procs lists "${o.procsAfter}": nothing was written to cgroup.kill`,
    })),
    check('rmdir-needs-empty', 'rmdir of a populated cgroup fails with EBUSY; once it is empty, rmdir removes it', (o) => {
      const [busy, ok] = [/= -1 EBUSY/.test(o.rmdirBusy), /= 0$/.test(o.rmdirAfter)];
      return {
        pass: busy && ok,
        observed: `${busy ? 'EBUSY' : o.rmdirBusy.split(' = ')[1]} while populated; ${ok ? 'removed' : o.rmdirAfter.split(' = ')[1]} when empty`,
        evidence: [o.rmdirBusy, o.rmdirAfter, fileLine(`${o.dir}/cgroup.events`, o.events)],
        hint: !ok ? `the second rmdir failed too (${o.rmdirAfter}): cgroup.procs still lists "${o.procsAfter}"` : `the first rmdir did not fail with EBUSY (${o.rmdirBusy})`,
      };
    }),
  ],
  sabotage: [{ what: 'never write cgroup.kill', args: { skipKill: true }, fails: ['kill-takes-all', 'rmdir-needs-empty'] }],
});

// Experiment 5: the cgroup namespace. /proc/PID/cgroup relative to where the namespace began.

const cgroupNs = experiment({
  id: 'cgroup-namespace',
  title: "a cgroup namespace: /proc/self/cgroup says 0::/",
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  async run(ctx, args: { noCgroupNs?: boolean; skipMove?: boolean; preferV1?: boolean } = {}) {
    const { sh, work } = await prepare(ctx, 'go', 'go2');
    const inner = `cat /proc/self/cgroup > ${work}/inside; echo $$ > ${work}/pid; read go < ${work}/go2`;
    const nsFlag = args.noCgroupNs ? '' : '-C';
    const outer = `exec 2>${work}/err; read go < ${work}/go; cat /proc/self/cgroup > ${work}/before; exec ${ctx.helper} run ${nsFlag} -- ${sh} -c '${inner}'`;
    const shell = await ctx.background(sh, ['-c', outer]);
    const cg = await needCgroup(ctx, [], { pids: args.skipMove ? [] : [shell.pid], preferV1: args.preferV1 });
    ctx.note(`${ctx.helper} run ${nsFlag} -- cat /proc/self/cgroup   # clone(CLONE_NEWCGROUP) when -C`);
    await release(ctx, `${work}/go`);
    const innerPid = await waitFor('the inner shell to start', () => Number(readOr(`${work}/pid`).trim()) || undefined).catch(() => {
      throw new Error(`the inner shell never started: ${readOr(`${work}/err`)}`);
    });
    // The inner shell waits on go2, so its links are there to read.
    const link = (pid: number | 'self') => ctx.proc.readNs(pid).cgroup?.link ?? '';
    const insideNs = readOr(`${work}/inside`).trim();
    // The lines for the lesson's hierarchy: before the namespace, inside it, and from outside it.
    const [before, inside, outside] = [readOr(`${work}/before`), insideNs, readOr(`/proc/${innerPid}/cgroup`)].map((text) => lineFor(ctx, text, cg.version));
    const obs = { why: cg.why, name: cg.name, dir: cg.dirs[0]!, insideNs, before: before!.raw, inside: inside!, outside: outside!, innerPid, innerNs: link(innerPid), ownNs: link('self') };
    await release(ctx, `${work}/go2`);
    return obs;
  },
  checks: (check) => [
    check('ns-root-is-slash', 'inside its new cgroup namespace the process sees its own cgroup as / (0::/ on v2, pids:/ on v1)', ({ inside: { path, raw }, ...o }) => ({
      pass: path === '/',
      observed: raw || '(no line for that hierarchy)',
      evidence: [...o.insideNs.split('\n').map((l) => `inside: ${l}`), `before the namespace: ${o.before}`],
      hint: path.endsWith(o.name)
        ? `it shows the full path ${path}: the process made no cgroup namespace (${o.innerNs === o.ownNs ? `its ns/cgroup link ${o.innerNs} is the sandbox's own` : 'see ns links'})`
        : `expected "/", got "${path}"`,
    })),
    check('outside-sees-path', "read from outside, the same process is in …/nslab-<pid>-<n>, in a cgroup namespace of its own", ({ outside: { path, raw }, ...o }) => {
      const inLesson = path.endsWith(`/${o.name}`);
      return {
        pass: inLesson && !!o.innerNs && o.innerNs !== o.ownNs,
        observed: `${raw}; ns ${o.innerNs} vs the sandbox's ${o.ownNs}`,
        evidence: [`/proc/${o.innerPid}/cgroup (outside): ${raw}`, `/proc/${o.innerPid}/ns/cgroup -> ${o.innerNs}`, `/proc/self/ns/cgroup -> ${o.ownNs}`, o.why],
        hint: !inLesson
          ? `the process is in ${path || '?'}, not in ${o.name}: it was never moved into the lesson's cgroup (${o.dir}), so its namespace root is wherever it started`
          : `its cgroup namespace ${o.innerNs} is the sandbox's own: no CLONE_NEWCGROUP`,
      };
    }),
  ],
  sabotage: [
    { what: 'run the inner process without -C (no new cgroup namespace)', args: { noCgroupNs: true }, fails: ['ns-root-is-slash', 'outside-sees-path'] },
    { what: 'create the cgroup but move nothing into it', args: { skipMove: true }, fails: ['outside-sees-path'] },
  ],
});

export default { experiments: [pidsLimit, memoryLimit, freeze, cgroupKill, cgroupNs] } satisfies LessonModule;
