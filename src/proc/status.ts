import { lines, procPath, readText, type Pid } from './read.js';

type IdQuad = [number, number, number, number];

export interface ProcStatus {
  name: string;
  state: string;
  pid: number;
  ppid: number;
  tgid: number;
  /** This PID in every PID namespace from the reader's procfs inward; [] before Linux 4.1. */
  nspid: number[];
  nstgid: number[];
  /** real, effective, saved, filesystem */
  uid: IdQuad;
  gid: IdQuad;
  groups: number[];
  capInh: bigint;
  capPrm: bigint;
  capEff: bigint;
  capBnd: bigint;
  capAmb: bigint;
  noNewPrivs: boolean;
  seccomp: number;
  /** null when the kernel predates the line (Linux 5.9), so "no filters" and "unknown" differ. */
  seccompFilters: number | null;
  sigCgt: bigint;
  sigIgn: bigint;
  sigBlk: bigint;
  sigPnd: bigint;
  shdPnd: bigint;
  threads: number;
  /** Every 'Key:\tvalue' line, value trimmed. */
  fields: Record<string, string>;
  /** The raw line for key, '' if the kernel did not print it: evidence for a check. */
  line(key: string): string;
}

/** A line the kernel did not print yields -1 for ids and counts (never a plausible value, so a
 * check cannot mistake it for root or PID 0), 0n for masks, [] for lists. */
export function parseStatus(text: string): ProcStatus {
  const fields: Record<string, string> = {};
  const raws: Record<string, string> = {};
  for (const raw of lines(text)) {
    const colon = raw.indexOf(':');
    if (colon <= 0) continue;
    const key = raw.slice(0, colon);
    fields[key] = raw.slice(colon + 1).trim();
    raws[key] = raw;
  }
  const list = (key: string): number[] => (fields[key] ? fields[key].split(/\s+/).map(Number) : []);
  const num = (key: string): number => (fields[key] === undefined ? -1 : Number(fields[key]));
  const mask = (key: string): bigint => (/^[0-9a-f]+$/i.test(fields[key] ?? '') ? BigInt('0x' + fields[key]) : 0n);
  const quad = (key: string): IdQuad => {
    const ids = list(key);
    return [0, 1, 2, 3].map((i) => ids[i] ?? -1) as IdQuad;
  };
  return {
    name: fields.Name ?? '',
    state: fields.State ?? '',
    pid: num('Pid'),
    ppid: num('PPid'),
    tgid: num('Tgid'),
    nspid: list('NSpid'),
    nstgid: list('NStgid'),
    uid: quad('Uid'),
    gid: quad('Gid'),
    groups: list('Groups'),
    capInh: mask('CapInh'),
    capPrm: mask('CapPrm'),
    capEff: mask('CapEff'),
    capBnd: mask('CapBnd'),
    capAmb: mask('CapAmb'),
    noNewPrivs: fields.NoNewPrivs === '1',
    // Without CONFIG_SECCOMP there is no line and no filtering: mode 0 is the truth then.
    seccomp: fields.Seccomp === undefined ? 0 : Number(fields.Seccomp),
    seccompFilters: fields.Seccomp_filters === undefined ? null : Number(fields.Seccomp_filters),
    sigCgt: mask('SigCgt'),
    sigIgn: mask('SigIgn'),
    sigBlk: mask('SigBlk'),
    sigPnd: mask('SigPnd'),
    shdPnd: mask('ShdPnd'),
    threads: num('Threads'),
    fields,
    line: (key) => raws[key] ?? '',
  };
}

export function readStatus(pid: Pid = 'self', procRoot = '/proc'): ProcStatus {
  return parseStatus(readText(procPath(procRoot, pid, 'status')));
}

/** Per-thread view: caps, NoNewPrivs and seccomp can differ between the threads of one process. */
export function readTaskStatus(pid: Pid, tid: number, procRoot = '/proc'): ProcStatus {
  return parseStatus(readText(procPath(procRoot, pid, 'task', String(tid), 'status')));
}
