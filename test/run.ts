// The test command (`npm test`): every test/**/*.test.ts in its own Node process (tests change
// process-wide kernel state on purpose, e.g. the threadpool trap), one per core at a time, with
// a host snapshot before and after the whole run. Ends with the line "N passed, N failed".
//
// Speed: the files that took longest last time start first (so no long file starts last and
// runs alone), and the CLI under test is the compiled one that `npm test`'s pretest just built
// (a Node start each, instead of tsx compiling the CLI and every sandbox's entry again).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { settledDiff, snapshotHost } from './support/residue.js';
import { timeScale } from '../src/sandbox/time.js';

const root = resolve(import.meta.dirname, '..');
const FILE_TIMEOUT_MS = 10 * 60_000;
const CONCURRENCY = Number(process.env.NSLAB_TEST_JOBS) || availableParallelism();
// Per-file wall times of the last run, to start the long files first: this checkout's own, in
// node_modules, never committed. A fresh clone has none and orders by test/times.json, a
// committed copy of one run's (refresh it by copying the cache over it now and then).
const TIMES = join(root, 'node_modules', '.cache', 'nslab-test-times.json');
const FALLBACK_TIMES = join(root, 'test', 'times.json');

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      if (e !== 'fixtures' && e !== 'support') out.push(...findTests(p));
    } else if (e.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

/** The newest mtime of the files under dir whose names match. */
function newest(dir: string, match: RegExp): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, match));
    else if (match.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Why the compiled CLI in dist/ is not what the sources say (so the tests must run those
 * through tsx), or null when it is: `npm test` builds it first, a bare `node test/run.ts` may not. */
function distStale(): string | null {
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  // Rewritten by every build, after tsc: the build's time.
  const stamp = join(root, 'dist', 'sandbox-entry', 'entry.cjs');
  if (!existsSync(cli) || !existsSync(stamp)) return 'dist/ is not built';
  const at = statSync(stamp).mtimeMs;
  const src = Math.max(newest(join(root, 'src'), /\.ts$/), newest(join(root, 'lessons'), /\.ts$/));
  return src > at ? 'src/ or lessons/ changed after the last build' : null;
}

function lastTimes(file = TIMES): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    return file === TIMES ? lastTimes(FALLBACK_TIMES) : {};
  }
}

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  output: string;
  ms: number;
  /** The deadline scale it ran with (loadScale). */
  scale: number;
}

/** How much slower than usual this machine is right now: NSLAB_TIME_SCALE where it is set (the
 * VM test sets it under emulation), and at least the run queue per core, since with more
 * runnable processes than cores each one gets that much less CPU (another job, a VM booting
 * beside the tests). Every deadline in the file, and the file's own, stretches by it; delays
 * and the assertions themselves do not. */
function loadScale(env: NodeJS.ProcessEnv = process.env): number {
  return Math.max(timeScale(env), Math.round((loadavg()[0]! / availableParallelism()) * 10) / 10);
}

function runFile(file: string, env: NodeJS.ProcessEnv): Promise<FileResult> {
  const started = Date.now();
  const scale = loadScale(env);
  const timeoutMs = Math.round(FILE_TIMEOUT_MS * scale);
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...(scale > 1 ? { NSLAB_TIME_SCALE: String(scale) } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A session of its own: the file's residue checks watch exactly its own processes.
      detached: true,
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[runner] killed after ${timeoutMs / 1000}s\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // uvu prints one summary per process: Total (run), Passed, Skipped.
      const num = (label: string): number | undefined => {
        const m = output.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'));
        return m ? Number(m[1]) : undefined;
      };
      const total = num('Total');
      const passed = num('Passed') ?? 0;
      const skipped = num('Skipped') ?? 0;
      let failed = total === undefined ? 0 : total - passed;
      // A file that crashed, hung or exited non-zero without a failing test still failed.
      if ((code !== 0 || signal || total === undefined) && failed === 0) failed = 1;
      done({ file: relative(root, file), passed, failed, skipped, output, ms: Date.now() - started, scale });
    });
  });
}

/** Merged into the last times, so a filtered run keeps the others' and a removed file fades. */
function saveTimes(results: FileResult[]): void {
  const times = lastTimes();
  for (const r of results) times[r.file] = r.ms;
  for (const f of Object.keys(times)) if (!existsSync(join(root, f))) delete times[f];
  try {
    mkdirSync(dirname(TIMES), { recursive: true });
    writeFileSync(TIMES, `${JSON.stringify(times, null, 1)}\n`);
  } catch {
    // A read-only checkout: the next run starts in path order, nothing worse.
  }
}

async function main(): Promise<void> {
  const filter = process.env.NSLAB_TEST_FILTER ?? process.argv[2];
  const files = findTests(join(root, 'test')).filter((f) => !filter || relative(root, f).includes(filter));
  if (!files.length) {
    console.log(`no test files match ${filter ?? '(all)'}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const who = process.geteuid?.() === 0 ? 'root' : `uid ${process.geteuid?.()}`;
  // The CLI tests run dist/ (what `npx nslab` runs) when it is fresh; NSLAB_TEST_DIST=0 or 1 says so.
  const env = { ...process.env };
  if (env.NSLAB_TEST_DIST !== '0' && env.NSLAB_TEST_DIST !== '1') {
    const stale = distStale();
    env.NSLAB_TEST_DIST = stale ? '0' : '1';
    if (stale) console.log(`note: ${stale}: the CLI runs from source through tsx, slower (npm test builds first)`);
  }
  const cli = env.NSLAB_TEST_DIST === '1' ? 'the built CLI' : 'the CLI from source';
  console.log(`nslab tests: ${files.length} files, as ${who}, ${CONCURRENCY} at a time, ${cli}`);
  // Longest first; a file never timed (new) counts as long, so it cannot end up last alone.
  const times = lastTimes();
  const order = (f: string): number => times[relative(root, f)] ?? Infinity;
  files.sort((a, b) => order(b) - order(a) || a.localeCompare(b));
  const started = Date.now();
  // A run nested inside another test (the fresh-clone test) watches only its own session:
  // the outer run's whole-host check covers everything else.
  const scope = process.env.NSLAB_TEST_RESIDUE === 'session' ? 'session' : 'host';
  const before = snapshotHost(scope);
  const results: FileResult[] = [];
  const queue = [...files];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const r = await runFile(f, env);
        results.push(r);
        const mark = r.failed ? 'FAIL' : 'ok  ';
        console.log(`${mark} ${r.file}  ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped  (${(r.ms / 1000).toFixed(1)}s${r.scale > 1 ? `, deadlines x${r.scale}` : ''})`);
        if (r.failed) console.log(r.output.replace(/^/gm, '     | '));
      }
    }),
  );
  let passed = results.reduce((n, r) => n + r.passed, 0);
  let failed = results.reduce((n, r) => n + r.failed, 0);
  const skipped = results.reduce((n, r) => n + r.skipped, 0);
  const leaks = await settledDiff(before, 5000, scope);
  if (leaks.length) {
    console.log('FAIL host residue after the run (the host is sacred):');
    for (const l of leaks) console.log(`     | ${l}`);
    failed += 1;
  } else {
    console.log('ok   host residue: mounts, hostname, processes, cgroups and temp files unchanged');
    passed += 1;
  }
  saveTimes(results);
  const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(`took ${((Date.now() - started) / 1000).toFixed(0)}s; slowest: ${slowest.map((r) => `${r.file} ${(r.ms / 1000).toFixed(1)}s`).join(', ')}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed ? 1 : 0);
}

await main();
