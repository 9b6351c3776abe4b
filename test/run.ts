// The test command (`npm test`): every test/**/*.test.ts in its own Node process (tests change
// process-wide kernel state on purpose, e.g. the threadpool trap), two at a time, with a host
// snapshot before and after the whole run. Ends with the line "N passed, N failed".
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { settledDiff, snapshotHost } from './support/residue.js';

const root = resolve(import.meta.dirname, '..');
const FILE_TIMEOUT_MS = 10 * 60_000;
const CONCURRENCY = Number(process.env.NSLAB_TEST_JOBS) || 2;

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

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  output: string;
  ms: number;
}

function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A session of its own: the file's residue checks watch exactly its own processes.
      detached: true,
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[runner] killed after ${FILE_TIMEOUT_MS / 1000}s\n`;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
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
      done({ file: relative(root, file), passed, failed, skipped, output, ms: Date.now() - started });
    });
  });
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
  console.log(`nslab tests: ${files.length} files, as ${who}, ${CONCURRENCY} at a time`);
  // A run nested inside another test (the fresh-clone test) watches only its own session:
  // the outer run's whole-host check covers everything else.
  const scope = process.env.NSLAB_TEST_RESIDUE === 'session' ? 'session' : 'host';
  const before = snapshotHost(scope);
  const results: FileResult[] = [];
  const queue = [...files];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const r = await runFile(f);
        results.push(r);
        const mark = r.failed ? 'FAIL' : 'ok  ';
        console.log(`${mark} ${r.file}  ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped  (${(r.ms / 1000).toFixed(1)}s)`);
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
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed ? 1 : 0);
}

await main();
