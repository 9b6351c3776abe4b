// Lesson 10: cgroups. A cgroup the lesson owns (v2 where the feature exists, v1 otherwise),
// pids.max counting threads and making fork fail with EAGAIN, a memory limit and its OOM kill,
// freezing, cgroup.kill, and /proc/PID/cgroup inside a cgroup namespace.
//
// Who does what: nslab's host side decides v1 or v2 and where a new cgroup may go, makes it
// (nslab-<nslab's PID>-<n>), moves in the processes the experiment names (only its own), and
// removes it when the sandbox ends, whatever ends it; ctx.cgroup() returns that decision with
// its reason, or why no cgroup can be made here. The experiment (inside the sandbox) writes the
// limits and reads the counters, as a learner would with echo and cat.
import { closeSync, constants, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckOutcome, ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { CgroupFeature, SandboxCgroup, SandboxContext } from '../../src/sandbox/types.js';

type Ctx = SandboxContext;
type Version = SandboxCgroup['version'];

const readOr = (path: string, fallback = ''): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
};
const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);
/** 'oom_kill 1' lines (memory.events, pids.events, memory.oom_control) as numbers. */
const keyed = (text: string): Record<string, number> =>
  Object.fromEntries(text.split('\n').filter(Boolean).map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]));
const fileLine = (path: string, text: string): string => `${path}: ${text.trim().replace(/\n/g, ' | ')}`;

// ---------------------------------------------------------------------------------------------
// Inside the sandbox: ask for the cgroup, run the processes.

/** A cgroup holding `pids` (started by this experiment), or a skip with the true reason (no
 * delegation, no such controller, cgroup.kill on v1) where none can be made here. */
async function makeCgroup(ctx: Ctx, features: CgroupFeature[], pids: number[], preferV1 = false): Promise<SandboxCgroup> {
  const cg = await ctx.cgroup(features, { pids, preferV1 });
  if (!cg.ok) ctx.skip(cg.reason);
  return cg;
}

/** The cgroup lines of the mount table: which versions this machine mounts, and where. */
const cgroupMounts = (ctx: Ctx): string[] =>
  ctx.proc
    .readMountinfo()
    .filter((m) => m.fsType === 'cgroup2' || m.fsType === 'cgroup')
    .map((m) => m.raw);

function put(ctx: Ctx, path: string, value: string): void {
  ctx.note(`echo ${value} > ${path}`);
  writeFileSync(path, value);
}

/** Private mounts for this run: a /proc of this PID namespace (the host's /proc would show host
 * PIDs) and a tmpfs for the fifos and output files, gone with the mount namespace. */
function prepare(ctx: Ctx): { sh: string; work: string } {
  const { sys } = ctx;
  if (!ctx.rootfs) ctx.skip("this lesson needs nslab's rootfs");
  const must = (r: { ok: boolean; trace: string }) => {
    if (!r.ok) throw new Error(r.trace);
  };
  must(sys.mount(null, '/', null, sys.MS_REC | sys.MS_PRIVATE, null));
  must(sys.mount('proc', '/proc', 'proc', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null));
  const work = `${ctx.rootfs}/tmp`;
  must(sys.mount('tmpfs', work, 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'size=1m,mode=0755'));
  return { sh: ctx.bin('sh'), work };
}

/** A process started blocked on a fifo, so it can be moved into the cgroup before it does the
 * thing under test. Opening the fifo for writing lets it go. */
async function release(ctx: Ctx, fifo: string): Promise<void> {
  ctx.note(`echo go > ${fifo}`);
  const until = Date.now() + 3000;
  for (;;) {
    try {
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(fd, 'go\n');
      closeSync(fd);
      return;
    } catch (err) {
      // ENXIO: the reader has not opened its end yet.
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > until) throw err;
      await sleep(20);
    }
  }
}

async function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  return Promise.race([p, sleep(ms).then(() => null)]);
}

async function mkfifo(ctx: Ctx, path: string): Promise<void> {
  const r = await ctx.spawn(ctx.bin('mkfifo'), [path]);
  if (r.code !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`);
}

const statusLine = (ctx: Ctx, pid: number, key: string): string => {
  try {
    return ctx.proc.readStatus(pid).line(key).replace(/\t/g, ' ');
  } catch {
    return `${key}: (PID ${pid} gone)`;
  }
};

const exitText = (e: { code: number | null; signal: string | null } | null): string =>
  e === null ? 'still running' : e.signal ? `killed by ${e.signal}` : e.code !== null && e.code > 128 ? `killed by signal ${e.code - 128} (exit status ${e.code})` : `exit status ${e.code}`;
const killedBy9 = (e: { code: number | null; signal: string | null } | null): boolean => !!e && (e.signal === 'SIGKILL' || e.code === 137);

// ---------------------------------------------------------------------------------------------
// Experiment 1: pids.max counts threads, and fork fails with EAGAIN at the limit.

interface PidsArgs {
  leaveNodeOut?: boolean;
  pidsMax?: string;
}

interface PidsObs {
  version: Version;
  why: string;
  mountLines: string[];
  dir: string;
  nodePid: number;
  nodeThreads: number;
  threadsLine: string;
  nodeCgroup: string;
  current: number;
  max: string;
  shellOutput: string;
  shellExit: string;
  shellFailed: boolean;
  events: string;
  maxEvents: number;
}

const pidsLimit: ExperimentSpec<PidsObs, PidsArgs> = {
  id: 'pids-limit',
  title: 'pids.max: threads count, and fork fails with EAGAIN',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  commands: [
    'grep -E "cgroup2?( |$)" /proc/self/mountinfo   # which hierarchies: cgroup2, cgroup (v1), or both',
    'sudo mkdir /sys/fs/cgroup/pids/demo          # v1; on v2: /sys/fs/cgroup/demo',
    'node -e "setInterval(()=>{},1e9)" & echo $! | sudo tee /sys/fs/cgroup/pids/demo/cgroup.procs',
    'grep Threads /proc/$!/status; cat /sys/fs/cgroup/pids/demo/pids.current',
    'echo 8 | sudo tee /sys/fs/cgroup/pids/demo/pids.max; cat /sys/fs/cgroup/pids/demo/pids.events',
  ],
  predict: {
    question: 'An idle Node process is moved into a fresh cgroup. What does pids.current say?',
    choices: ['1: one process', 'about 7: every thread counts', '0 until it forks'],
    answer: 1,
    why: 'The pids controller counts tasks, and each thread is a task. Node starts its main thread plus V8 and libuv worker threads, so pids.current equals the Threads: line of /proc/PID/status. A pids.max that looks generous for "a process" can leave no room at all for the next fork.',
  },
  async run(ctx, args = {}) {
    const { sh, work } = prepare(ctx);
    await mkfifo(ctx, `${work}/go`);
    const node = await ctx.background(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)']);
    // Node starts its threads during startup: wait until the count stops changing.
    let threads = 0;
    for (let same = 0, i = 0; same < 3 && i < 60; i++) {
      await sleep(50);
      const t = ctx.proc.readStatus(node.pid).threads;
      same = t === threads && t > 1 ? same + 1 : 0;
      threads = t;
    }
    const shell = await ctx.background(sh, [
      '-c',
      // dash reports a failed fork as "Cannot fork", without the errno: nslab-tools forks prints it.
      `exec >${work}/out 2>&1; read go < ${work}/go; exec ${ctx.tools} forks 3 30`,
    ]);
    const cg = await makeCgroup(ctx, ['pids'], args.leaveNodeOut ? [shell.pid] : [node.pid, shell.pid]);
    const dir = cg.paths.pids!;
    const current = Number(readOr(`${dir}/pids.current`).trim());
    const threadsLine = statusLine(ctx, node.pid, 'Threads');
    const nodeThreads = ctx.proc.readStatus(node.pid).threads;
    const nodeCgroup = ctx.proc.readCgroup(node.pid).find((l) => l.controllers.includes('pids') || (cg.version === 'v2' && l.hierarchy === 0))?.raw ?? '';
    // The limit: exactly what is inside already, so the shell's first fork has no room.
    const max = args.pidsMax ?? String(current);
    put(ctx, `${dir}/pids.max`, max);
    await release(ctx, `${work}/go`);
    const exit = await within(shell.exited, 5000);
    const shellOutput = readOr(`${work}/out`).trim();
    const events = readOr(`${dir}/pids.events`).trim();
    return {
      version: cg.version,
      why: cg.why,
      mountLines: cgroupMounts(ctx),
      dir,
      nodePid: node.pid,
      nodeThreads,
      threadsLine,
      nodeCgroup,
      current,
      max,
      shellOutput,
      shellExit: exitText(exit),
      shellFailed: !!exit && exit.code !== 0,
      events,
      maxEvents: keyed(events).max ?? 0,
    };
  },
  checks: [
    {
      id: 'pids-count-threads',
      expected: "pids.current counts threads: the Node member's Threads: plus 1 for the shell",
      check(o): CheckOutcome {
        const pass = o.current === o.nodeThreads + 1;
        return {
          pass,
          observed: `pids.current ${o.current}; Node has ${o.nodeThreads} threads; ${o.version}`,
          evidence: [fileLine(`${o.dir}/pids.current`, String(o.current)), `/proc/${o.nodePid}/status: ${o.threadsLine}`, `/proc/${o.nodePid}/cgroup: ${o.nodeCgroup}`, o.why],
          hint: pass
            ? undefined
            : o.current === 1
              ? `pids.current is 1: only the shell is in ${o.dir}. The Node process (PID ${o.nodePid}, ${o.threadsLine}) was never moved in: its /proc/${o.nodePid}/cgroup line is "${o.nodeCgroup}"`
              : `pids.current is ${o.current}, but Node's ${o.nodeThreads} threads plus the shell make ${o.nodeThreads + 1}: a thread started or ended between the two reads, or another process is inside`,
        };
      },
    },
    {
      id: 'fork-eagain',
      expected: 'at pids.max the next fork() fails with EAGAIN ("Resource temporarily unavailable"), and pids.events counts it',
      check(o): CheckOutcome {
        const eagain = /Resource temporarily unavailable/.test(o.shellOutput);
        const pass = eagain && o.maxEvents > 0 && o.shellFailed;
        return {
          pass,
          observed: `${eagain ? 'EAGAIN' : 'no EAGAIN'}; pids.events max ${o.maxEvents}; shell ${o.shellExit}`,
          evidence: [fileLine(`${o.dir}/pids.max`, o.max), fileLine(`${o.dir}/pids.events`, o.events), ...o.shellOutput.split('\n').slice(0, 4).map((l) => `shell: ${l}`)],
          hint: pass
            ? undefined
            : o.max === 'max'
              ? `pids.max was "max" (no limit), so every fork worked: ${o.shellOutput.split('\n').slice(-1)[0] ?? ''}`
              : Number(o.max) > o.current
                ? `pids.max ${o.max} left room for ${Number(o.max) - o.current} more task(s) above pids.current ${o.current}: the forks fitted`
                : `the shell said "${o.shellOutput.split('\n')[0] ?? ''}" and pids.events says max ${o.maxEvents}`,
        };
      },
    },
  ],
  sabotage: [
    { what: "move only the shell; leave the Node process (and its threads) out of the cgroup", args: { leaveNodeOut: true }, fails: ['pids-count-threads'] },
    { what: 'write "max" to pids.max (no limit)', args: { pidsMax: 'max' }, fails: ['fork-eagain'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: a memory limit, the OOM killer inside the cgroup, and the counters that say so.

interface MemArgs {
  limit?: string;
}

interface MemObs {
  version: Version;
  why: string;
  dir: string;
  limitFile: string;
  limit: string;
  limitBytes: number;
  ddExit: string;
  ddKilled: boolean;
  ddOutput: string;
  counters: { path: string; text: string }[];
  oomKills: number;
  /** Times the limit was hit: v2 memory.events max, v1 memory.failcnt. */
  limitHits: number;
  peak: number | null;
  peakFile: string;
}

const MIB = 1024 * 1024;

const memoryLimit: ExperimentSpec<MemObs, MemArgs> = {
  id: 'memory-limit',
  title: 'a memory limit: the OOM killer stays inside the cgroup',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  commands: [
    'sudo mkdir /sys/fs/cgroup/demo && echo 16M | sudo tee /sys/fs/cgroup/demo/memory.max        # v2',
    'sudo mkdir /sys/fs/cgroup/memory/demo && echo 16M | sudo tee /sys/fs/cgroup/memory/demo/memory.limit_in_bytes   # v1',
    "sudo sh -c 'echo $$ > /sys/fs/cgroup/demo/cgroup.procs; exec dd if=/dev/zero of=/dev/null bs=64M count=1'",
    'cat /sys/fs/cgroup/demo/memory.events            # v1: memory.failcnt, memory.oom_control',
  ],
  predict: {
    question: 'A shell in a cgroup limited to 16 MiB runs dd with a 64 MiB buffer. What happens?',
    choices: ['dd gets ENOMEM from malloc and prints an error', 'the kernel kills dd with SIGKILL: the cgroup ran out of memory', 'dd slows down but finishes'],
    answer: 1,
    why: 'malloc only reserves address space; memory is charged to the cgroup page by page as dd touches its buffer. When the charge hits the limit and nothing can be reclaimed, the OOM killer picks a victim inside that cgroup only and sends SIGKILL. memory.events (v2) or memory.oom_control (v1) counts the oom_kill.',
  },
  async run(ctx, args = {}) {
    const { sh, work } = prepare(ctx);
    await mkfifo(ctx, `${work}/go`);
    const shell = await ctx.background(sh, ['-c', `exec >${work}/out 2>&1; read go < ${work}/go; exec ${ctx.bin('dd')} if=/dev/zero of=/dev/null bs=64M count=1`]);
    const cg = await makeCgroup(ctx, ['memory'], [shell.pid]);
    const dir = cg.paths.memory!;
    const v2 = cg.version === 'v2';
    const limit = args.limit ?? '16M';
    const limitFile = `${dir}/${v2 ? 'memory.max' : 'memory.limit_in_bytes'}`;
    put(ctx, limitFile, limit);
    // With swap, the kernel could push the buffer out instead of killing: limit swap too.
    const swap = /^SwapTotal:\s+[1-9]/m.test(readOr('/proc/meminfo'));
    if (swap && v2 && existsSync(`${dir}/memory.swap.max`)) put(ctx, `${dir}/memory.swap.max`, '0');
    if (swap && !v2 && existsSync(`${dir}/memory.memsw.limit_in_bytes`)) put(ctx, `${dir}/memory.memsw.limit_in_bytes`, limit);
    const limitBytes = Number(readOr(limitFile).trim()) || Infinity;
    await release(ctx, `${work}/go`);
    const exit = await within(shell.exited, 8000);
    // v1 counts a hit of the memory+swap limit in memsw.failcnt, not in failcnt.
    const files = v2 ? ['memory.events', 'memory.peak'] : ['memory.failcnt', 'memory.memsw.failcnt', 'memory.oom_control', 'memory.max_usage_in_bytes'];
    const counters = files.filter((f) => existsSync(`${dir}/${f}`)).map((f) => ({ path: `${dir}/${f}`, text: readOr(`${dir}/${f}`).trim() }));
    const text = (f: string) => counters.find((c) => c.path.endsWith(`/${f}`))?.text ?? '';
    const peakFile = v2 ? 'memory.peak' : 'memory.max_usage_in_bytes';
    return {
      version: cg.version,
      why: cg.why,
      dir,
      limitFile,
      limit,
      limitBytes,
      ddExit: exitText(exit),
      ddKilled: killedBy9(exit),
      ddOutput: readOr(`${work}/out`).trim(),
      counters,
      oomKills: keyed(text(v2 ? 'memory.events' : 'memory.oom_control')).oom_kill ?? 0,
      limitHits: v2 ? (keyed(text('memory.events')).max ?? 0) : Number(text('memory.failcnt') || 0) + Number(text('memory.memsw.failcnt') || 0),
      peak: text(peakFile) ? Number(text(peakFile)) : null,
      peakFile,
    };
  },
  checks: [
    {
      id: 'oom-killed',
      expected: 'dd is killed with SIGKILL and the cgroup counts an oom_kill',
      check(o): CheckOutcome {
        const pass = o.ddKilled && o.oomKills > 0;
        return {
          pass,
          observed: `dd ${o.ddExit}; oom_kill ${o.oomKills} (${o.version})`,
          evidence: [fileLine(o.limitFile, o.limit), ...o.counters.map((c) => fileLine(c.path, c.text)), ...(o.ddOutput ? [`dd: ${o.ddOutput.split('\n')[0]}`] : [])],
          hint: pass
            ? undefined
            : !o.ddKilled && o.limitBytes >= 64 * MIB
              ? `the limit (${o.limit}, ${o.limitBytes === Infinity ? 'unlimited' : `${Math.round(o.limitBytes / MIB)} MiB`}) is larger than dd's 64 MiB buffer, so nothing ran out: dd ${o.ddExit}`
              : !o.ddKilled
                ? `dd ${o.ddExit} under a ${Math.round(o.limitBytes / MIB)} MiB limit: swap may have absorbed the buffer (${o.counters.map((c) => c.text).join(' | ')})`
                : `dd was killed but oom_kill is ${o.oomKills}: the kill came from somewhere else`,
        };
      },
    },
    {
      id: 'limit-held',
      expected: 'the limit was hit (memory.events max / memory.failcnt) and usage never went above it',
      check(o): CheckOutcome {
        const under = o.peak === null || o.peak <= o.limitBytes;
        const pass = o.limitHits > 0 && under && o.limitBytes < 64 * MIB;
        return {
          pass,
          observed: `limit hit ${o.limitHits} times; peak ${o.peak === null ? 'not recorded' : `${(o.peak / MIB).toFixed(1)} MiB`} of ${o.limitBytes === Infinity ? 'unlimited' : `${Math.round(o.limitBytes / MIB)} MiB`}`,
          evidence: [fileLine(o.limitFile, String(o.limitBytes)), ...o.counters.map((c) => fileLine(c.path, c.text))],
          hint: pass
            ? undefined
            : o.limitHits === 0
              ? `the limit was never hit: ${o.limitFile} says ${o.limitBytes} bytes and the peak was ${o.peak ?? '?'} bytes, so dd's 64 MiB fitted`
              : `the peak (${o.peak}) went above the limit (${o.limitBytes})`,
        };
      },
    },
  ],
  sabotage: [{ what: 'set a limit larger than what dd allocates (256M)', args: { limit: '256M' }, fails: ['oom-killed', 'limit-held'] }],
};

// ---------------------------------------------------------------------------------------------
// Experiment 3: freezing. The member stops getting CPU; the state file and /proc say so.

interface FreezeArgs {
  skipFreeze?: boolean;
  skipThaw?: boolean;
  preferV1?: boolean;
}

interface FreezeObs {
  version: Version;
  why: string;
  dir: string;
  pid: number;
  stateFile: string;
  stateWhileFrozen: string;
  statusFrozen: string;
  wchanFrozen: string;
  statusThawed: string;
  ticks: { running: number; frozen: number; thawed: number };
}

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
function cpuTicks(pid: number): number {
  const s = readOr(`/proc/${pid}/stat`);
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

async function ticksOver(pid: number, ms: number): Promise<number> {
  const a = cpuTicks(pid);
  await sleep(ms);
  return cpuTicks(pid) - a;
}

const freeze: ExperimentSpec<FreezeObs, FreezeArgs> = {
  id: 'freeze',
  title: 'freezing a cgroup: cgroup.freeze (v2) or freezer.state (v1)',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  commands: [
    'sh -c "while :; do :; done" & echo $! | sudo tee /sys/fs/cgroup/demo/cgroup.procs',
    'echo 1 | sudo tee /sys/fs/cgroup/demo/cgroup.freeze; cat /sys/fs/cgroup/demo/cgroup.events     # v2',
    'echo FROZEN | sudo tee /sys/fs/cgroup/freezer/demo/freezer.state                                  # v1',
    'grep State /proc/$!/status; cat /proc/$!/wchan; ps -o stat,time -p $!',
  ],
  predict: {
    question: 'A busy loop is in a cgroup that gets frozen. What does its State: line in /proc/PID/status show?',
    choices: ['T (stopped), as after SIGSTOP', 'not R: it sleeps in the kernel (S on v2, D on v1) and gets no CPU', 'R (running): freezing only lowers its priority'],
    answer: 1,
    why: 'Freezing is not a signal the process can see. The v2 freezer parks each task in the kernel (wchan do_freezer_trap/get_signal, State S); the v1 freezer puts it in the refrigerator (wchan __refrigerator, State D). Either way its CPU time stops growing until the cgroup is thawed.',
  },
  async run(ctx, args = {}) {
    const { sh } = prepare(ctx);
    const spin = await ctx.background(sh, ['-c', 'while :; do :; done']);
    const cg = await makeCgroup(ctx, ['freeze'], [spin.pid], args.preferV1);
    const dir = cg.paths.freeze!;
    const v2 = cg.version === 'v2';
    const stateFile = v2 ? `${dir}/cgroup.events` : `${dir}/freezer.state`;
    const running = await ticksOver(spin.pid, 300);
    if (!args.skipFreeze) put(ctx, v2 ? `${dir}/cgroup.freeze` : `${dir}/freezer.state`, v2 ? '1' : 'FROZEN');
    // Freezing takes effect task by task: wait until the cgroup reports it done.
    for (let i = 0; i < 100; i++) {
      const s = readOr(stateFile);
      if (v2 ? /^frozen 1$/m.test(s) : s.trim() === 'FROZEN') break;
      if (args.skipFreeze) break;
      await sleep(20);
    }
    const stateWhileFrozen = readOr(stateFile).trim();
    const statusFrozen = statusLine(ctx, spin.pid, 'State');
    const wchanFrozen = readOr(`/proc/${spin.pid}/wchan`).trim();
    const frozen = await ticksOver(spin.pid, 300);
    if (!args.skipThaw) put(ctx, v2 ? `${dir}/cgroup.freeze` : `${dir}/freezer.state`, v2 ? '0' : 'THAWED');
    await sleep(50);
    const thawed = await ticksOver(spin.pid, 300);
    return {
      version: cg.version,
      why: cg.why,
      dir,
      pid: spin.pid,
      stateFile,
      stateWhileFrozen,
      statusFrozen,
      wchanFrozen,
      statusThawed: statusLine(ctx, spin.pid, 'State'),
      ticks: { running, frozen, thawed },
    };
  },
  checks: [
    {
      id: 'frozen-state',
      expected: 'the cgroup reports frozen (cgroup.events frozen 1 / freezer.state FROZEN) and State: is no longer R',
      check(o): CheckOutcome {
        const says = o.version === 'v2' ? /^frozen 1$/m.test(o.stateWhileFrozen) : o.stateWhileFrozen === 'FROZEN';
        const notRunning = !/State: R/.test(o.statusFrozen);
        const pass = says && notRunning;
        return {
          pass,
          observed: `${o.version}: ${o.stateWhileFrozen.replace(/\n/g, ', ')}; ${o.statusFrozen}; wchan ${o.wchanFrozen || '-'}`,
          evidence: [fileLine(o.stateFile, o.stateWhileFrozen), `/proc/${o.pid}/status: ${o.statusFrozen}`, `/proc/${o.pid}/wchan: ${o.wchanFrozen}`, o.why],
          hint: pass
            ? undefined
            : !says
              ? `${o.stateFile} says "${o.stateWhileFrozen.replace(/\n/g, ', ')}": nothing was written to ${o.version === 'v2' ? 'cgroup.freeze' : 'freezer.state'}, so the loop kept running (${o.statusFrozen})`
              : `the cgroup says frozen, but the member shows ${o.statusFrozen}`,
        };
      },
    },
    {
      id: 'no-cpu-while-frozen',
      expected: 'CPU time (utime+stime) grows while running, stops while frozen, grows again after thawing',
      check(o): CheckOutcome {
        const t = o.ticks;
        const pass = t.running > 0 && t.frozen === 0 && t.thawed > 0;
        return {
          pass,
          observed: `clock ticks per 300 ms: running ${t.running}, frozen ${t.frozen}, thawed ${t.thawed}`,
          evidence: [`/proc/${o.pid}/stat utime+stime deltas: ${t.running} / ${t.frozen} / ${t.thawed}`, `/proc/${o.pid}/status after thaw: ${o.statusThawed}`],
          hint: pass
            ? undefined
            : t.frozen > 0
              ? `the loop used ${t.frozen} ticks while it should have been frozen: ${o.stateFile} said "${o.stateWhileFrozen.replace(/\n/g, ', ')}"`
              : t.thawed === 0
                ? `no CPU after the thaw step (${o.statusThawed}): the cgroup was never thawed`
                : `the loop used no CPU even before freezing (${t.running} ticks): it did not run`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'never write the freeze file', args: { skipFreeze: true }, fails: ['frozen-state', 'no-cpu-while-frozen'] },
    { what: 'freeze, then never thaw (cleanup must still remove a frozen cgroup)', args: { skipThaw: true }, fails: ['no-cpu-while-frozen'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 4: cgroup.kill (v2 only) and why rmdir needs an empty cgroup.

interface KillArgs {
  skipKill?: boolean;
}

interface KillObs {
  dir: string;
  before: number[];
  after: { pid: number; state: string }[];
  procsAfter: string;
  events: string;
  rmdirBusy: string;
  rmdirAfter: string;
  shellExit: string;
}

const deadState = (s: string) => s === 'gone' || /^State: Z/.test(s);

const cgroupKill: ExperimentSpec<KillObs, KillArgs> = {
  id: 'cgroup-kill',
  title: 'cgroup.kill: every process in the cgroup, at once',
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  commands: [
    "sudo sh -c 'echo $$ > /sys/fs/cgroup/demo/cgroup.procs; sleep 300 & sleep 300 & wait' &",
    'cat /sys/fs/cgroup/demo/cgroup.procs; sudo rmdir /sys/fs/cgroup/demo     # Device or resource busy',
    'echo 1 | sudo tee /sys/fs/cgroup/demo/cgroup.kill; cat /sys/fs/cgroup/demo/cgroup.events',
    'sudo rmdir /sys/fs/cgroup/demo',
  ],
  predict: {
    question: 'A shell and its two children are in a cgroup. You write 1 to cgroup.kill. Which of them die?',
    choices: ['only the shell; its children are orphaned', 'all three, with SIGKILL', 'none until each gets a signal by PID'],
    answer: 1,
    why: 'cgroup.kill (Linux 5.14, v2 only) sends SIGKILL to every process in the cgroup and its descendants, including ones forked while the kill is in progress. No PID list, no race with fork. Before it existed, runtimes froze the cgroup, read cgroup.procs and killed each PID.',
  },
  async run(ctx, args = {}) {
    const { sh, work } = prepare(ctx);
    await mkfifo(ctx, `${work}/go`);
    const shell = await ctx.background(sh, ['-c', `exec >${work}/out 2>&1; read go < ${work}/go; ${ctx.bin('sleep')} 300 & ${ctx.bin('sleep')} 300 & wait`]);
    const cg = await makeCgroup(ctx, ['kill'], [shell.pid]);
    const dir = cg.paths.kill!;
    await release(ctx, `${work}/go`);
    let before: number[] = [];
    for (let i = 0; i < 100 && before.length < 3; i++) {
      await sleep(20);
      before = words(readOr(`${dir}/cgroup.procs`)).map(Number);
    }
    ctx.note(`rmdir ${dir} while ${before.length} processes are inside`);
    const busy = ctx.sys.rmdir(dir);
    if (!args.skipKill) put(ctx, `${dir}/cgroup.kill`, '1');
    const exit = await within(shell.exited, 2000);
    for (let i = 0; i < 50 && !/^populated 0$/m.test(readOr(`${dir}/cgroup.events`)); i++) await sleep(20);
    const after = before.map((pid) => ({ pid, state: existsSync(`/proc/${pid}`) ? statusLine(ctx, pid, 'State') : 'gone' }));
    const procsAfter = readOr(`${dir}/cgroup.procs`).trim();
    const events = readOr(`${dir}/cgroup.events`).trim();
    const again = ctx.sys.rmdir(dir);
    return { dir, before, after, procsAfter, events, rmdirBusy: busy.trace, rmdirAfter: again.trace, shellExit: exitText(exit) };
  },
  checks: [
    {
      id: 'kill-takes-all',
      expected: 'after echo 1 > cgroup.kill every member is dead (gone or a zombie) and cgroup.events says populated 0',
      check(o): CheckOutcome {
        const alive = o.after.filter((a) => !deadState(a.state));
        const pass = o.before.length >= 3 && alive.length === 0 && /^populated 0$/m.test(o.events);
        return {
          pass,
          observed: `${o.before.length} members before, ${alive.length} alive after; shell ${o.shellExit}`,
          evidence: [`${o.dir}/cgroup.procs before: ${o.before.join(' ')}`, ...o.after.map((a) => `/proc/${a.pid}/status: ${a.state}`), fileLine(`${o.dir}/cgroup.events`, o.events)],
          hint: pass
            ? undefined
            : o.before.length < 3
              ? `only ${o.before.length} processes were in the cgroup before the kill (expected the shell and its two sleeps)`
              : `${alive.map((a) => `PID ${a.pid} (${a.state})`).join(', ')} still alive and cgroup.procs lists "${o.procsAfter}": nothing was written to cgroup.kill`,
        };
      },
    },
    {
      id: 'rmdir-needs-empty',
      expected: 'rmdir of a populated cgroup fails with EBUSY; once it is empty, rmdir removes it',
      check(o): CheckOutcome {
        const busy = /= -1 EBUSY/.test(o.rmdirBusy);
        const ok = /= 0$/.test(o.rmdirAfter);
        return {
          pass: busy && ok,
          observed: `${busy ? 'EBUSY' : o.rmdirBusy.split(' = ')[1]} while populated; ${ok ? 'removed' : o.rmdirAfter.split(' = ')[1]} when empty`,
          evidence: [o.rmdirBusy, o.rmdirAfter, fileLine(`${o.dir}/cgroup.events`, o.events)],
          hint:
            busy && ok
              ? undefined
              : !ok
                ? `the second rmdir failed too (${o.rmdirAfter}): cgroup.procs still lists "${o.procsAfter}"`
                : `the first rmdir did not fail with EBUSY (${o.rmdirBusy})`,
        };
      },
    },
  ],
  sabotage: [{ what: 'never write cgroup.kill', args: { skipKill: true }, fails: ['kill-takes-all', 'rmdir-needs-empty'] }],
};

// ---------------------------------------------------------------------------------------------
// Experiment 5: the cgroup namespace. /proc/PID/cgroup relative to where the namespace began.

interface NsArgs {
  noCgroupNs?: boolean;
  skipMove?: boolean;
  preferV1?: boolean;
}

interface NsObs {
  version: Version;
  why: string;
  name: string;
  dir: string;
  /** What the shell in the lesson's cgroup printed, before and inside its new namespace. */
  beforeNs: string;
  insideNs: string;
  /** /proc/PID/cgroup of the process inside the namespace, read from outside it. */
  innerPid: number;
  fromOutside: string;
  innerNs: string;
  ownNs: string;
}

/** The line for the hierarchy the lesson's cgroup lives in: 0:: on v2, pids on v1. */
function lineFor(text: string, version: Version): string {
  return text.split('\n').find((l) => (version === 'v2' ? l.startsWith('0::') : /^\d+:([^:]*,)?pids(,[^:]*)?:/.test(l))) ?? '';
}
const pathOf = (line: string) => line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);

const cgroupNs: ExperimentSpec<NsObs, NsArgs> = {
  id: 'cgroup-namespace',
  title: "a cgroup namespace: /proc/self/cgroup says 0::/",
  sandbox: { namespaces: ['mnt', 'pid'], rootfs: true, pivot: false },
  commands: [
    "sudo sh -c 'echo $$ > /sys/fs/cgroup/demo/cgroup.procs; cat /proc/self/cgroup; unshare --cgroup cat /proc/self/cgroup'",
    'cat /proc/PID/cgroup                   # the same process, read from outside its namespace',
    'readlink /proc/self/ns/cgroup /proc/PID/ns/cgroup',
  ],
  predict: {
    question: 'A process in /nslab-…/ creates a cgroup namespace. What does its own /proc/self/cgroup show for that hierarchy?',
    choices: ['the full path, /nslab-…', '/ : paths are shown relative to the cgroup it was in when the namespace was made', 'nothing: the file is empty in a new namespace'],
    answer: 1,
    why: 'A cgroup namespace virtualizes the paths in /proc/PID/cgroup (and in a cgroupfs mounted inside it): the cgroup the process was in when the namespace was created becomes its /. Read from outside, the same process still shows its full path. Docker and Podman give each container one, which is why a container sees 0::/.',
  },
  async run(ctx, args = {}) {
    const { sh, work } = prepare(ctx);
    await mkfifo(ctx, `${work}/go`);
    await mkfifo(ctx, `${work}/go2`);
    const inner = `cat /proc/self/cgroup > ${work}/inside; echo $$ > ${work}/pid; read go < ${work}/go2`;
    const nsFlag = args.noCgroupNs ? [] : ['-C'];
    const shell = await ctx.background(sh, [
      '-c',
      `exec 2>${work}/err; read go < ${work}/go; cat /proc/self/cgroup > ${work}/before; exec ${ctx.helper} run ${nsFlag.join(' ')} -- ${sh} -c '${inner}'`,
    ]);
    const cg = await makeCgroup(ctx, [], args.skipMove ? [] : [shell.pid], args.preferV1);
    ctx.note(`${ctx.helper} run ${nsFlag.join(' ')} -- cat /proc/self/cgroup   # clone(CLONE_NEWCGROUP) when -C`);
    await release(ctx, `${work}/go`);
    let innerPid = 0;
    for (let i = 0; i < 100 && !innerPid; i++) {
      await sleep(20);
      innerPid = Number(readOr(`${work}/pid`).trim()) || 0;
    }
    if (!innerPid) throw new Error(`the inner shell never started: ${readOr(`${work}/err`)}`);
    const fromOutside = readOr(`/proc/${innerPid}/cgroup`).trim();
    const link = (pid: number | 'self') => {
      try {
        return ctx.proc.readNs(pid).cgroup?.link ?? '';
      } catch {
        return '';
      }
    };
    const obs = {
      version: cg.version,
      why: cg.why,
      name: cg.name,
      dir: cg.dirs[0]!,
      beforeNs: readOr(`${work}/before`).trim(),
      insideNs: readOr(`${work}/inside`).trim(),
      innerPid,
      fromOutside,
      innerNs: link(innerPid),
      ownNs: link('self'),
    };
    await release(ctx, `${work}/go2`);
    return obs;
  },
  checks: [
    {
      id: 'ns-root-is-slash',
      expected: 'inside its new cgroup namespace the process sees its own cgroup as / (0::/ on v2, pids:/ on v1)',
      check(o): CheckOutcome {
        const line = lineFor(o.insideNs, o.version);
        const pass = pathOf(line) === '/';
        return {
          pass,
          observed: line || '(no line for that hierarchy)',
          evidence: [...o.insideNs.split('\n').map((l) => `inside: ${l}`), `before the namespace: ${lineFor(o.beforeNs, o.version)}`],
          hint: pass
            ? undefined
            : pathOf(line).endsWith(o.name)
              ? `it shows the full path ${pathOf(line)}: the process made no cgroup namespace (${o.innerNs === o.ownNs ? `its ns/cgroup link ${o.innerNs} is the sandbox's own` : 'see ns links'})`
              : `expected "/", got "${pathOf(line)}"`,
        };
      },
    },
    {
      id: 'outside-sees-path',
      expected: "read from outside, the same process is in …/nslab-<pid>-<n>, in a cgroup namespace of its own",
      check(o): CheckOutcome {
        const line = lineFor(o.fromOutside, o.version);
        const inLesson = pathOf(line).endsWith(`/${o.name}`);
        const ownNs = !!o.innerNs && o.innerNs !== o.ownNs;
        const pass = inLesson && ownNs;
        return {
          pass,
          observed: `${line}; ns ${o.innerNs} vs the sandbox's ${o.ownNs}`,
          evidence: [`/proc/${o.innerPid}/cgroup (outside): ${line}`, `/proc/${o.innerPid}/ns/cgroup -> ${o.innerNs}`, `/proc/self/ns/cgroup -> ${o.ownNs}`, o.why],
          hint: pass
            ? undefined
            : !inLesson
              ? `the process is in ${pathOf(line) || '?'}, not in ${o.name}: it was never moved into the lesson's cgroup (${o.dir}), so its namespace root is wherever it started`
              : `its cgroup namespace ${o.innerNs} is the sandbox's own: no CLONE_NEWCGROUP`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'run the inner process without -C (no new cgroup namespace)', args: { noCgroupNs: true }, fails: ['ns-root-is-slash', 'outside-sees-path'] },
    { what: 'create the cgroup but move nothing into it', args: { skipMove: true }, fails: ['outside-sees-path'] },
  ],
};

export default { experiments: [pidsLimit, memoryLimit, freeze, cgroupKill, cgroupNs] } satisfies LessonModule;
