// /proc/PID/stat (proc(5)): one line of space-separated fields. The second, the command name in
// parentheses, may itself hold spaces and parentheses, so the fields after it are counted from
// the last ')'. Field numbers below are proc(5)'s, from 1.
import { procPath, readText, type Pid } from './read.js';

export interface ProcStat {
  /** (2) the command name, at most 15 characters. */
  comm: string;
  /** (3) R, S, D, Z, T, t, X, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** (8) the foreground process group of the process's controlling terminal. */
  tpgid: number;
  /** (9) PF_* flags. */
  flags: number;
  /** (14, 15) CPU time in clock ticks. */
  utime: number;
  stime: number;
  /** (22) start time in clock ticks since boot: with the PID it names one process for good. */
  starttime: number;
  /** (24) resident set size in pages. */
  rss: number;
}

/** The fields of one stat line; NaN (and '' for the names) for what the text lacks. */
export function parseStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const rest = close < 0 ? [] : text.slice(close + 2).split(' ');
  const field = (n: number): number => Number(rest[n - 3] ?? Number.NaN);
  return {
    comm: close < 0 ? '' : text.slice(text.indexOf('(') + 1, close),
    state: rest[0] ?? '',
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    tpgid: field(8),
    flags: field(9),
    utime: field(14),
    stime: field(15),
    starttime: field(22),
    rss: field(24),
  };
}

/** Throws ProcReadError (naming the file and errno) when the process is gone. */
export function readStat(pid: Pid, procRoot = '/proc'): ProcStat {
  return parseStat(readText(procPath(procRoot, pid, 'stat')));
}
