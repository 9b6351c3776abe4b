// How a process ended, as wait(2) reports it: an exit status, or the signal that killed it. A
// program started with ctx.background runs under nslab's helper, which exits 128 + N when its
// program died of signal N (the shell's convention, and what a shell's $? says): both forms name
// the same death here. Pure helpers: they run inside the sandbox and on the host alike.
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SpawnResult } from '../sandbox/types.js';
import { timeScale } from './context.js';

/** What BackgroundProcess.exited resolves to. */
export interface Exit {
  code: number | null;
  signal: string | null;
}

/** Its exit, or null if it is still running after `ms` (scaled by timeScale()): a deadline for
 * a process that should end by itself (or be killed), never a delay. */
export async function exitWithin(exited: Promise<Exit>, ms: number): Promise<Exit | null> {
  const timer = new AbortController();
  try {
    return await Promise.race([exited, sleep(ms * timeScale(), null, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}

/** It died of `signal`, reported as the signal or as the exit status 128 + its number. */
export function diedOf(e: Exit | null, signal: NodeJS.Signals): boolean {
  return !!e && (e.signal === signal || e.code === 128 + constants.signals[signal]);
}

/** In words: 'killed by SIGKILL', 'killed by signal 9 (exit status 137)', 'exit status 1', or
 * 'still running' (null: it had not ended by the deadline). */
export function exitText(e: Exit | null): string {
  if (!e) return 'still running';
  if (e.signal) return `killed by ${e.signal}`;
  return e.code !== null && e.code > 128 ? `killed by signal ${e.code - 128} (exit status ${e.code})` : `exit status ${e.code}`;
}

/** A finished ctx.spawn in a few words, for a trace of steps: 'exit 0', or 'exit 1: ' and the
 * first line of what it said on stderr. */
export function exitLine(r: SpawnResult): string {
  const said = r.stderr.trim().split('\n')[0];
  return `exit ${r.code ?? r.signal}${said ? `: ${said}` : ''}`;
}
