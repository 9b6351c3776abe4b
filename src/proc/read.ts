import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';

/** Which process a reader looks at: a PID, or the caller's own thread-group leader or thread. */
export type Pid = number | 'self' | 'thread-self';

/** A /proc file could not be read. The message names the file and the errno code, because a
 * missing /proc/PID usually means the process is gone and EACCES means a ptrace check said no. */
export class ProcReadError extends Error {
  readonly path: string;
  readonly code: string;
  constructor(path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code ?? 'EIO';
    super(`cannot read ${path}: ${code}${describe(code)}`, { cause });
    this.name = 'ProcReadError';
    this.path = path;
    this.code = code;
  }
}

function describe(code: string): string {
  if (code === 'ENOENT') return ' (no such file: the process may have exited, or /proc is not mounted there)';
  if (code === 'EACCES' || code === 'EPERM') return ' (permission denied: the kernel ptrace access check refused)';
  if (code === 'ESRCH') return ' (no such process)';
  return '';
}

export function procPath(procRoot: string, pid: Pid, ...parts: string[]): string {
  return [procRoot.replace(/\/+$/, ''), String(pid), ...parts].join('/');
}

/** Every /proc reader goes through these so a failure always carries the path and errno. */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProcReadError(path, err);
  }
}

/** For files whose absence is itself the answer (a missing controller file, no subuid entry):
 * the text, or `fallback` when it cannot be read. */
export function readTextOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

export function readLink(path: string): string {
  try {
    return readlinkSync(path);
  } catch (err) {
    throw new ProcReadError(path, err);
  }
}

export function readDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (err) {
    throw new ProcReadError(path, err);
  }
}

/** dev and ino identify a namespace or a root; stat follows the magic link to the object. */
export function statId(path: string): { dev: number; ino: number } {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch (err) {
    throw new ProcReadError(path, err);
  }
}

/** Numeric directory names, ascending: PIDs under /proc, TIDs under /proc/PID/task. */
export function numericEntries(path: string): number[] {
  return readDir(path)
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/** Non-empty lines; /proc files end with a newline and some pad with blanks. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}
