// Drives `nslab shell` and `nslab check` as a learner would, from a test: commands piped into the
// shell's stdin, or typed into a pseudo-terminal. Each run has its own HOME and state.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, nslab, tempHome, type Run, type Sandbox } from '../cli/helpers.js';
import { testRootfs } from '../support/rootfs.js';
import type { CheckReport } from '../../src/runner/exercise.js';
import { scaled } from '../../src/sandbox/time.js';
import { readStat } from '../../src/proc/index.js';
import { descendants } from '../../src/sandbox/index.js';

export const ENGINE_FIXTURES = join(ROOT, 'test', 'fixtures', 'exercise', 'lessons');
export const REAL_LESSONS = join(ROOT, 'lessons');

export interface Env {
  home: Sandbox;
  env: NodeJS.ProcessEnv;
  rootfs: string;
}

/** A temp HOME whose nslab uses the shared test rootfs (built once per user). */
export async function labEnv(): Promise<Env> {
  const home = tempHome();
  const rootfs = await testRootfs();
  return { home, rootfs, env: { ...home.env, NSLAB_ROOTFS: rootfs } };
}

export function command(): string[] {
  return process.env.NSLAB_TEST_DIST === '1'
    ? [process.execPath, join(ROOT, 'dist', 'src', 'cli', 'main.js')]
    : [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
}

const BEGIN = '@@BEGIN';
const END = '@@END';
const TYPED = '@@TYPED';

/** Lines typed into `nslab shell`, then, once what they started has settled, `nslab check
 * --json` inside it; the report parsed. */
export async function shellCheck(e: Env, lessons: string, lesson: string, lines: string[], opts: { exit?: string } = {}): Promise<Run & { report: CheckReport | null }> {
  const sh = backgroundShell(e, lessons, lesson);
  try {
    for (const l of ["PS1=''", ...lines, `echo ${TYPED}`]) sh.type(l);
    // The shell has run every line (it reads a pipe a byte at a time, so none is read ahead)...
    await sh.waitFor(new RegExp(`^${TYPED}$`, 'm'), 60_000);
    // ...and what they left running has exec'd and waits in its program: a check now judges it.
    await settledUnder(sh.proc.pid!);
    sh.type(`echo ${BEGIN}; nslab check --json; echo ${END}`);
    sh.type(opts.exit ?? 'exit');
    const { code } = await sh.exited;
    const { stdout, stderr } = sh.output();
    const m = new RegExp(`${BEGIN}\\n([\\s\\S]*?)\\n${END}`).exec(stdout);
    let report: CheckReport | null = null;
    try {
      report = m ? (JSON.parse(m[1]!) as CheckReport) : null;
    } catch {
      report = null;
    }
    return { code, stdout, stderr, report };
  } finally {
    if (sh.proc.exitCode === null && sh.proc.signalCode === null) sh.proc.kill('SIGKILL');
  }
}

/** Resolves once every process under pid is blocked (sleeping, stopped or a zombie; none
 * running or in the kernel for disk), twice in a row over the same processes, so a fork between
 * two looks is not missed; throws after ms on a reference machine, scaled. */
export async function settledUnder(pid: number, ms = 20_000): Promise<void> {
  const settled = (p: number): boolean => {
    try {
      return 'STtZ'.includes(readStat(p).state);
    } catch {
      return true; // gone
    }
  };
  let last = '';
  await until(`the processes under ${pid} to settle`, () => {
    const now = descendants(pid);
    const key = now.join(',');
    const all = now.every(settled);
    const twice = all && key === last;
    last = all ? key : '';
    return twice;
  }, ms);
}

/** Starts `nslab shell` in the background with a pipe for stdin; resolves once `ready` has
 * printed (the shell runs), with a way to type more and to wait for the end. */
export function backgroundShell(e: Env, lessons: string, lesson: string) {
  const [node, ...args] = command();
  const p = spawn(node!, [...args, '--lessons', lessons, 'shell', lesson], { cwd: ROOT, env: e.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => p.on('close', (code, signal) => resolve({ code, signal })));
  return {
    proc: p,
    exited,
    output: () => ({ stdout, stderr }),
    type: (line: string) => p.stdin.write(`${line}\n`),
    /** Waits until stdout (or stderr) matches. */
    async waitFor(re: RegExp, ms = 20_000): Promise<void> {
      const until = Date.now() + scaled(ms);
      while (!re.test(stdout) && !re.test(stderr)) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${re}; stdout:\n${stdout}\nstderr:\n${stderr}`);
        if (p.exitCode !== null) throw new Error(`nslab shell exited (${p.exitCode}) before ${re}; stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

export function check(e: Env, lessons: string, args: string[]): Run & { report: CheckReport | null } {
  const r = nslab(['--lessons', lessons, 'check', ...args, '--json'], { env: e.env });
  let report: CheckReport | null = null;
  try {
    report = JSON.parse(r.stdout) as CheckReport;
  } catch {
    report = null;
  }
  return { ...r, report };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls probe until it returns something (not undefined or false), for up to ms on a reference
 * machine, scaled to this one; throws naming what it waited for. A state, not a delay: a
 * loaded machine waits longer, an idle one not at all. */
export async function until<T>(what: string, probe: () => T | undefined | false, ms = 10_000): Promise<Exclude<T, false>> {
  const deadline = Date.now() + scaled(ms);
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v as Exclude<T, false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** True when pid runs a program named comm and sleeps in it. The name changes partway through
 * an execve; once the program itself sleeps, the exec (new credentials included) is over. */
export function asleepAs(pid: number, comm: string): boolean {
  try {
    const s = readStat(pid);
    return s.comm === comm && s.state === 'S';
  } catch {
    return false; // exited
  }
}

/** The processes under pid that sleep in a program named comm, once there are at least n. */
export function sleepingUnder(pid: number, comm: string, n = 1): Promise<number[]> {
  return until(`${n} '${comm}' process(es) under ${pid}`, () => {
    const found = descendants(pid).filter((p) => asleepAs(p, comm));
    return found.length >= n && found;
  });
}
