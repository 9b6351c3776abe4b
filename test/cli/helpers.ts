// Drives the real nslab CLI as a process: from source through tsx (default), or the compiled
// dist/ when NSLAB_TEST_DIST=1. Each run gets its own state and cache folders, so tests never
// see a developer's progress and can run as root or as an unprivileged user.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled } from '../../src/sandbox/time.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GOOD = join(ROOT, 'test', 'fixtures', 'lessons', 'good');
export const BROKEN = join(ROOT, 'test', 'fixtures', 'lessons', 'broken');
export const MINE = join(ROOT, 'test', 'cli', 'fixtures', 'lessons');
export const isRoot = process.geteuid?.() === 0;

export function command(): string[] {
  return process.env.NSLAB_TEST_DIST === '1'
    ? [process.execPath, join(ROOT, 'dist', 'src', 'cli', 'main.js')]
    : [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
}

export interface Sandbox {
  dir: string;
  state: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

const made: string[] = [];
// Removed even when an assertion throws before a test's own cleanup.
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A temp HOME with its own XDG state and cache. */
export function tempHome(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-cli-'));
  made.push(dir);
  chmodSync(dir, 0o755);
  const state = join(dir, 'state');
  const cache = join(dir, 'cache');
  mkdirSync(state);
  mkdirSync(cache);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, XDG_STATE_HOME: state, XDG_CACHE_HOME: cache, NO_COLOR: '1', COLUMNS: '100' };
  delete env.NSLAB_LESSONS;
  delete env.FORCE_COLOR;
  delete env.NSLAB_DEBUG;
  return { dir, state, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A lessons folder assembled from fixture lessons (the shared good ones and this suite's). */
export function lessonsDir(home: Sandbox, lessons: string[]): string {
  const out = join(home.dir, 'lessons');
  mkdirSync(out, { recursive: true });
  for (const l of lessons) {
    const src = [join(GOOD, l), join(BROKEN, l), join(MINE, l)].find((p) => existsSync(p));
    if (!src) throw new Error(`no fixture lesson ${l}`);
    cpSync(src, join(out, l), { recursive: true });
  }
  return out;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function nslab(args: string[], opts: { env: NodeJS.ProcessEnv; input?: string; timeout?: number; wrap?: string[] }): Run {
  const [node, ...rest] = command();
  const full = [...(opts.wrap ?? []), node!, ...rest, ...args];
  const r = spawnSync(full[0]!, full.slice(1), {
    cwd: ROOT,
    env: opts.env,
    input: opts.input ?? '',
    encoding: 'utf8',
    // For a reference machine: an emulated one (NSLAB_TIME_SCALE) gets longer.
    timeout: scaled(opts.timeout ?? 60_000),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ESC = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;
export const plain = (s: string): string => s.replace(ESC, '').replace(/\r/g, '');

/**
 * Runs nslab in a pseudo-terminal (util-linux `script`) and answers it: each step waits until
 * the screen so far matches `when` (ANSI stripped), and until `ready` (given the pid of script,
 * under which everything runs) says the state it needs holds, then types `send`.
 */
export function pty(
  args: string[],
  steps: { when: RegExp; send: string; ready?: (scriptPid: number) => boolean }[],
  opts: { env: NodeJS.ProcessEnv; timeout?: number },
): Promise<{ code: number | null; screen: string; raw: string; stepsDone: number }> {
  const cmd = [...command(), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // A pty made by script(1) from a pipe has 0 rows: enquirer would show no choices.
  const p = spawn('script', ['-qfec', `stty rows 40 cols 100; ${cmd}`, '/dev/null'], { cwd: ROOT, env: { ...opts.env, TERM: 'xterm' } });
  let raw = '';
  let i = 0;
  let consumed = 0;
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), scaled(opts.timeout ?? 25_000));
    p.stdout.on('data', (d: Buffer) => {
      raw += d.toString('utf8');
      // Each step looks only at output after the previous step's match.
      while (i < steps.length) {
        const text = plain(raw).slice(consumed);
        const m = steps[i]!.when.exec(text);
        if (!m) break;
        consumed += m.index + m[0].length;
        const { send, ready } = steps[i]!;
        i++;
        // Give the prompt a moment to finish drawing and listen.
        const readyBy = Date.now() + scaled(10_000);
        const type = () => (ready && !ready(p.pid!) && Date.now() < readyBy ? setTimeout(type, 20) : p.stdin.write(send));
        setTimeout(type, 150);
      }
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, screen: plain(raw), raw, stepsDone: i });
    });
  });
}
