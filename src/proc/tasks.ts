import { numericEntries, procPath, readText, type Pid } from './read.js';

/** PIDs visible in this procfs (its PID namespace's view). */
export function listPids(procRoot = '/proc'): number[] {
  return numericEntries(procRoot.replace(/\/+$/, '') || '/');
}

export function listThreads(pid: Pid, procRoot = '/proc'): number[] {
  return numericEntries(procPath(procRoot, pid, 'task'));
}

/**
 * Children of every thread: the kernel lists a child under the thread that created it, and in
 * Node that need not be the main thread. A thread that exits mid-read is skipped; if no thread's
 * file could be read (no CONFIG_PROC_CHILDREN, or the process is gone) the first error is thrown.
 */
export function readChildren(pid: Pid, procRoot = '/proc'): number[] {
  const children = new Set<number>();
  let firstError: unknown = null;
  let readAny = false;
  for (const tid of listThreads(pid, procRoot)) {
    try {
      const text = readText(procPath(procRoot, pid, 'task', String(tid), 'children'));
      readAny = true;
      for (const child of text.split(/\s+/).filter(Boolean)) children.add(Number(child));
    } catch (err) {
      firstError ??= err;
    }
  }
  if (!readAny && firstError) throw firstError;
  return [...children].sort((a, b) => a - b);
}

export function readComm(pid: Pid, procRoot = '/proc'): string {
  return readText(procPath(procRoot, pid, 'comm')).replace(/\n$/, '');
}

/** argv as the process sees it; [] for kernel threads and zombies. */
export function readCmdline(pid: Pid, procRoot = '/proc'): string[] {
  const text = readText(procPath(procRoot, pid, 'cmdline'));
  return text === '' ? [] : text.replace(/\0$/, '').split('\0');
}
