// `npm run bench`: ratios measured in one run, medians over repeated runs, interleaved so a
// slow moment of the machine hits both sides of a ratio alike.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
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
    name: 'sandboxed busybox true / unshare -Urfpm true',
    aLabel: 'nslab-helper run -U -m -p -- busybox true',
    bLabel: 'unshare -Urfpm true',
    a: () => run(sandbox.helperPath(), ['run', '-U', '-m', '-p', '--', join(rootfs, 'bin', 'busybox'), 'true']),
    b: () => (haveUnshare ? run('unshare', ['-Urfpm', 'true']) : undefined),
  },
  { name: 'nslab --version / node -e 0', goal: 1.5, aLabel: 'nslab --version', bLabel: 'node -e 0', a: () => run(process.execPath, [cli, '--version']), b: bareNode },
  { name: 'nslab list / node -e 0', aLabel: 'nslab list', bLabel: 'node -e 0', a: () => run(process.execPath, [cli, 'list']), b: bareNode },
];

console.log(`nslab bench: medians of ${RUNS} interleaved runs (ms)\n`);
const rows = [];
for (const p of pairs) {
  if (p.name.startsWith('sandboxed busybox') && !haveUnshare) {
    console.log(`skip  ${p.name}: util-linux unshare -Urfpm does not work here`);
    continue;
  }
  const m = await measure(p);
  rows.push(m);
  const verdict = m.goal === undefined ? '' : m.ratio <= m.goal ? `  goal <= ${m.goal}x: met` : `  goal <= ${m.goal}x: NOT met`;
  console.log(`${m.ratio.toFixed(2)}x  ${m.name}  (${m.a.toFixed(1)} vs ${m.b.toFixed(1)})${verdict}`);
}

// Verifying the six core lessons: at least one Node start per experiment is inherent, so the
// ratio is against that floor, the experiments' count times a bare `node -e 0`.
const core = ['01', '02', '03', '04', '05', '06'];
const countOut = spawnSync(process.execPath, [cli, 'list', '--json'], { encoding: 'utf8' });
let experiments = 0;
try {
  const listed = JSON.parse(countOut.stdout) as { lessons: { id: string; experiments?: number }[] };
  experiments = listed.lessons.filter((l) => core.includes(l.id.slice(0, 2))).reduce((n, l) => n + (l.experiments ?? 0), 0);
} catch {
  /* the list has no experiment counts yet */
}
if (experiments > 0) {
  const verifyRuns = 3;
  const vs: number[] = [];
  for (let i = 0; i < verifyRuns; i++) vs.push(await time(() => spawnSync(process.execPath, [cli, 'verify', ...core], { stdio: 'ignore' })));
  const nodes: number[] = [];
  for (let i = 0; i < RUNS; i++) nodes.push(await time(bareNode));
  const floor = experiments * median(nodes);
  const ratio = median(vs) / floor;
  console.log(
    `${ratio.toFixed(2)}x  nslab verify (6 core lessons, ${experiments} experiments) / ${experiments} x node -e 0  (${median(vs).toFixed(0)} vs ${floor.toFixed(0)})  goal <= 6x: ${ratio <= 6 ? 'met' : 'NOT met'}`,
  );
} else {
  console.log('skip  nslab verify of the core lessons: `nslab list --json` reports no experiments');
}
