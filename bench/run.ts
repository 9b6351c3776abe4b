// `npm run bench`: ratios measured in one run, medians over repeated runs, interleaved so a
// slow moment of the machine hits both sides of a ratio alike.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const RUNS = Number(process.env.NSLAB_BENCH_RUNS) || 21;

if (!existsSync(join(dist, 'src', 'sandbox', 'index.js'))) {
  console.error('nslab bench: run `npm run build` first (npm run bench does).');
  process.exit(1);
}
// Measure what a learner runs: the compiled engine, not the TypeScript sources.
const sandbox = await import(join(dist, 'src', 'sandbox', 'index.js'));
const { ensureRootfs } = await import(join(dist, 'src', 'rootfs', 'index.js'));
const { readStat } = await import(join(dist, 'src', 'proc', 'index.js'));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

interface Pair {
  name: string;
  goal?: number;
  a: () => unknown;
  b: () => unknown;
  aLabel: string;
  bLabel: string;
  note?: string;
}

async function measure(p: Pair): Promise<{ name: string; a: number; b: number; ratio: number; goal?: number }> {
  await p.a();
  await p.b(); // warm caches on both sides
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    as.push(await time(p.a));
    bs.push(await time(p.b));
  }
  const a = median(as);
  const b = median(bs);
  return { name: p.name, a, b, ratio: a / b, goal: p.goal };
}

const rootfs = await ensureRootfs();
const noop = { module: join(dist, 'bench', 'noop.js'), path: ['noop'] };
mkdirSync(join(dist, 'bench'), { recursive: true });
// The bench's own experiment, compiled by hand: bench/ is not part of the shipped build.
writeFileSync(noop.module, 'export const noop = () => ({});\n');
const cli = join(dist, 'src', 'cli', 'main.js');
const bareNode = () => run(process.execPath, ['-e', '0']);
const haveUnshare = spawnSync('unshare', ['-Urfpm', 'true']).status === 0;

const pairs: Pair[] = [
  {
    name: 'sandboxed no-op Node experiment / node -e 0',
    goal: 1.1,
    aLabel: 'runExperiment(noop) in user+mnt+pid namespaces',
    bLabel: 'node -e 0',
    a: async () => {
      const r = await sandbox.runExperiment(noop, { namespaces: ['user', 'mnt', 'pid'] });
      if (r.status !== 'ok') throw new Error(`sandbox failed: ${r.reason}`);
    },
    b: bareNode,
  },
  {
    // The rootfs's own copy of true: busybox is no longer what a rootfs is built from.
    name: 'sandboxed true / unshare -Urfpm true',
    aLabel: 'nslab-helper run -U -m -p -- true',
    bLabel: 'unshare -Urfpm true',
    a: () => run(sandbox.helperPath(), ['run', '-U', '-m', '-p', '--', join(rootfs, 'bin', 'true')]),
    b: () => (haveUnshare ? run('unshare', ['-Urfpm', 'true']) : undefined),
  },
  { name: 'nslab --version / node -e 0', goal: 1.5, aLabel: 'nslab --version', bLabel: 'node -e 0', a: () => run(process.execPath, [cli, '--version']), b: bareNode },
  { name: 'nslab list / node -e 0', aLabel: 'nslab list', bLabel: 'node -e 0', a: () => run(process.execPath, [cli, 'list']), b: bareNode },
];

console.log(`nslab bench: medians of ${RUNS} interleaved runs (ms)\n`);
const rows = [];
for (const p of pairs) {
  if (p.name.startsWith('sandboxed true') && !haveUnshare) {
    console.log(`skip  ${p.name}: util-linux unshare -Urfpm does not work here`);
    continue;
  }
  const m = await measure(p);
  rows.push(m);
  const verdict = m.goal === undefined ? '' : m.ratio <= m.goal ? `  goal <= ${m.goal}x: met` : `  goal <= ${m.goal}x: NOT met`;
  console.log(`${m.ratio.toFixed(2)}x  ${m.name}  (${m.a.toFixed(1)} vs ${m.b.toFixed(1)})${verdict}`);
}

// `nslab verify` as a user feels it: wall time, as a ratio to a bare `node -e 0` measured in the
// same run, for all lessons and for the six core ones; and the memory it holds at its peak.
const lessonsFlag = process.env.NSLAB_BENCH_LESSONS ? ['--lessons', resolve(process.env.NSLAB_BENCH_LESSONS)] : [];
const VERIFY_RUNS = Number(process.env.NSLAB_BENCH_VERIFY_RUNS) || 5;
const PAGE = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout.trim()) || 4096;

/** ppid and resident set (bytes) of every process, from /proc/PID/stat: one read each. */
function processTable(): Map<number, { ppid: number; rss: number }> {
  const table = new Map<number, { ppid: number; rss: number }>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const { ppid, rss } = readStat(pid);
      table.set(pid, { ppid, rss: rss * PAGE });
    } catch {
      /* exited meanwhile */
    }
  }
  return table;
}

/** Resident memory of pid alone, and of pid with all its descendants, two ways. 'summed': each
 * process's RSS added up, so the pages they share (most of a Node process's RSS is the node
 * binary, shared by every Node process) count once per process: an upper bound. 'once': each
 * process's own memory (RssAnon + RssShmem) plus the largest file-backed RSS among them, the
 * shared files counted once: what the tree really holds, near enough. */
function treeRss(root: number): { main: number; summed: number; once: number } {
  const table = processTable();
  const kids = new Map<number, number[]>();
  for (const [pid, p] of table) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), pid]);
  let summed = 0;
  let own = 0;
  let files = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    summed += table.get(pid)?.rss ?? 0;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      own += kb('RssAnon') + kb('RssShmem');
      files = Math.max(files, kb('RssFile'));
    } catch {
      /* exited meanwhile */
    }
    stack.push(...(kids.get(pid) ?? []));
  }
  return { main: table.get(root)?.rss ?? 0, summed, once: own + files };
}

interface VerifyRun {
  ms: number;
  peakOnce: number;
  peakSummed: number;
  peakMain: number;
  ok: boolean;
}

/** One verify, sampled every 20 ms while it runs. */
function verifyOnce(lessons: string[]): Promise<VerifyRun> {
  return new Promise((done) => {
    const t = performance.now();
    const child = spawn(process.execPath, [cli, ...lessonsFlag, 'verify', ...lessons], { stdio: 'ignore' });
    let peakOnce = 0;
    let peakSummed = 0;
    let peakMain = 0;
    const sample = () => {
      const r = treeRss(child.pid!);
      peakOnce = Math.max(peakOnce, r.once);
      peakSummed = Math.max(peakSummed, r.summed);
      peakMain = Math.max(peakMain, r.main);
    };
    const timer = setInterval(sample, 20);
    child.on('exit', (code) => {
      const ms = performance.now() - t;
      clearInterval(timer);
      done({ ms, peakOnce, peakSummed, peakMain, ok: code === 0 });
    });
  });
}

const core = ['01', '02', '03', '04', '05', '06'];
// The twelve lessons the goal was set for; later lessons (13, 14) are in 'all lessons'.
const twelve = Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(2, '0'));
const all: VerifyRun[] = [];
const first12: VerifyRun[] = [];
const six: VerifyRun[] = [];
const nodes: number[] = [];
await verifyOnce([]); // warm the rootfs, the code cache and the page cache
for (let i = 0; i < VERIFY_RUNS; i++) {
  for (let j = 0; j < 3; j++) nodes.push(await time(bareNode));
  all.push(await verifyOnce([]));
  for (let j = 0; j < 3; j++) nodes.push(await time(bareNode));
  if (!lessonsFlag.length) first12.push(await verifyOnce(twelve));
  for (let j = 0; j < 3; j++) nodes.push(await time(bareNode));
  six.push(await verifyOnce(core));
}
const node0 = median(nodes);
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
const failed = [...all, ...first12, ...six].filter((r) => !r.ok).length;
console.log(`\nnslab verify: medians of ${VERIFY_RUNS} runs each, interleaved with ${nodes.length} runs of node -e 0 (median ${node0.toFixed(1)} ms)${lessonsFlag.length ? `; lessons from ${lessonsFlag[1]}` : ''}`);
for (const [name, runs, goal] of [
  ['all lessons', all, 30],
  ['the first twelve (01-12)', first12, 30],
  ['core six (01-06)', six, 16],
] as const) {
  if (!runs.length) continue;
  const ms = median(runs.map((r) => r.ms));
  const ratio = ms / node0;
  console.log(`${ratio.toFixed(1)}x  nslab verify, ${name} / node -e 0  (${ms.toFixed(0)} vs ${node0.toFixed(1)} ms)  goal <= ${goal}x: ${ratio <= goal ? 'met' : 'NOT met'}`);
}
const peak = (k: 'peakOnce' | 'peakSummed' | 'peakMain') => Math.max(...[...all, ...first12, ...six].map((r) => r[k]));
console.log(
  `${mb(peak('peakOnce'))}  peak resident memory of verify's whole process tree (nslab, its sandboxes and theirs; each one's own memory, shared files once; sampled every 20 ms, highest of all runs)  goal <= 150 MB: ${peak('peakOnce') <= 150 * 1048576 ? 'met' : 'NOT met'}`,
);
console.log(`${mb(peak('peakSummed'))}  the same tree's RSS summed per process (shared pages such as the node binary's counted once per process: an upper bound)`);
console.log(`${mb(peak('peakMain'))}  peak RSS of the nslab process alone`);
if (failed) console.log(`warning: ${failed} verify run(s) did not exit 0; the times above include them`);
