// errno numbers to the names strace prints. Node's table is the reference (and what tests
// compare against); koffi's longer table fills the names Node lacks (ENOKEY, EUSERS, ...).
import { constants } from 'node:os';
import { fn, koffi } from './libc.js';

// Aliases share a number; these are the spellings strace and strerrorname_np(3) use.
const PREFERRED: Record<number, string> = {};
for (const name of ['EAGAIN', 'EDEADLK', 'EOPNOTSUPP']) {
  const n = (constants.errno as Record<string, number>)[name];
  if (n !== undefined) PREFERRED[n] = name;
}

let names: Map<number, string> | null = null;

function table(): Map<number, string> {
  if (names) return names;
  names = new Map();
  const sources = [constants.errno as Record<string, number>, koffi().os.errno];
  for (const source of sources) {
    for (const [name, n] of Object.entries(source)) {
      if (!names.has(n)) names.set(n, PREFERRED[n] ?? name);
    }
  }
  return names;
}

/** 'EPERM' for 1; 'E<n>' for a number no table knows. */
export function errnoName(code: number): string {
  return table().get(code) ?? `E${code}`;
}

/** The errno number for a name ('EPERM' -> 1), or undefined. */
export function errnoCode(name: string): number | undefined {
  const n = (constants.errno as Record<string, number>)[name] ?? koffi().os.errno[name];
  return n === undefined ? undefined : n;
}

/** libc's strerror text, the same words strace puts in parentheses. */
export function strerror(code: number): string {
  return fn('const char *strerror(int errnum)')(code) as string;
}
