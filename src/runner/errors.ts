// The one error type a learner should ever see: a sentence naming the problem and one naming
// the fix. Anything else reaching the top level is a bug in nslab and is reported as such.

export class NslabError extends Error {
  override name = 'NslabError';
  /** Process exit status: 1 for a failed operation, 2 for a usage mistake. */
  readonly exitCode: number;
  constructor(message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** A mistake on the command line: exit status 2, like getopt-based tools. */
export class UsageError extends NslabError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, { exitCode: 2 });
  }
}

/** The user stopped a prompt (Ctrl-C / Esc): not an error, but the command cannot go on. */
export class Cancelled extends NslabError {
  override name = 'Cancelled';
  constructor() {
    super('Stopped. Everything finished so far is saved; run the same command to pick it up again.', { exitCode: 130 });
  }
}

/** 'EACCES: permission denied, open ...' -> 'EACCES' when the error came from the OS. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Levenshtein distance, for 'did you mean' on commands, flags and lesson ids. */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate when it is close enough to be what was meant. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(input) && input.length >= 2 ? 0.5 : distance(input, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}
