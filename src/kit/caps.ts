// Capabilities as the kernel shows and stores them: a task's five sets in /proc/PID/status, the
// raw ICMP socket that CAP_NET_RAW guards, a capset() that gives some up, and security.capability,
// the file capability xattr that setcap writes (struct vfs_cap_data, in
// include/uapi/linux/capability.h). Snapshots are plain data, so checks on the host can read them.
import { execFileSync } from 'node:child_process';
import type { CapSets, ProcessView, TaskCheck } from '../lessons/types.js';
import type { SandboxContext } from '../sandbox/types.js';

type Ctx = SandboxContext;
export const CAP_SET_KEYS = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'] as const;
export type CapSetKey = (typeof CAP_SET_KEYS)[number];

export interface CapSnapshot {
  /** The status lines ('CapEff:\t000001ffffffffff'). */
  lines: Record<CapSetKey, string>;
  /** Each set's capability names ('CAP_NET_RAW'). */
  names: Record<CapSetKey, string[]>;
  /** The masks, by set name (what the cap-exec diagram draws). */
  sets: CapSets;
}

/** The five capability sets of a process (or, with `tid`, of one of this process's threads). */
export function capSnapshot(ctx: Ctx, pid: number | 'self' = 'self', tid?: number): CapSnapshot {
  const st = tid === undefined ? ctx.proc.readStatus(pid) : ctx.proc.readTaskStatus(pid, tid);
  const sets: CapSets = { inheritable: st.capInh, permitted: st.capPrm, effective: st.capEff, bounding: st.capBnd, ambient: st.capAmb };
  const masks = [sets.inheritable, sets.permitted, sets.effective, sets.bounding, sets.ambient];
  const lines = Object.fromEntries(CAP_SET_KEYS.map((k) => [k, st.line(k)])) as Record<CapSetKey, string>;
  const names = Object.fromEntries(CAP_SET_KEYS.map((k, i) => [k, ctx.proc.decodeCaps(masks[i]!, ctx.proc.capLastCap())])) as Record<CapSetKey, string[]>;
  return { lines, names, sets };
}

/** `cap` ('CAP_NET_RAW') is in set `key` of the snapshot. */
export const hasCap = (s: CapSnapshot, key: CapSetKey, cap: string): boolean => s.names[key].includes(cap);

/** A set's status line with its names, for evidence: 'CapEff: 0000000000002000  = CAP_NET_RAW'
 * (a count instead of the names for a long list). */
export function capLine(s: CapSnapshot, key: CapSetKey): string {
  const n = s.names[key];
  return `${s.lines[key]}  = ${n.length > 6 ? `${n.length} caps` : n.join(',') || '(none)'}`;
}

/** socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), closed again at once: the call CAP_NET_RAW guards. */
export function rawIcmpSocket(sys: Ctx['sys']): { trace: string; ok: boolean; errno: string | null } {
  const r = sys.socket(sys.AF_INET, sys.SOCK_RAW, sys.IPPROTO_ICMP);
  if (r.ok) sys.close(r.ret);
  return { trace: r.trace, ok: r.ok, errno: r.errno };
}

/** capset() with `caps` (numbers, sys.CAP_*) taken out of the effective and permitted sets; the
 * inheritable set keeps the rest (`keepInheritable`) or is emptied. Its trace line. */
export function capsetWithout(sys: Ctx['sys'], caps: number[], keepInheritable = true): string {
  const now = sys.capget();
  const keep = ~caps.reduce((m, c) => m | (1n << BigInt(c)), 0n);
  return sys.capset({ effective: now.effective & keep, permitted: now.permitted & keep, inheritable: keepInheritable ? now.inheritable & keep : 0n }).trace;
}

const VFS_CAP_REVISION_2 = 0x02000000;
const VFS_CAP_REVISION_3 = 0x03000000;
const VFS_CAP_REVISION_MASK = 0xff000000;
const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;

/** struct vfs_cap_data, revision 2: magic_etc, then {permitted, inheritable} for capabilities
 * 0-31 and 32-63, all little-endian u32. What `setcap CAPS+p` (`+ep` with `effective`) writes. */
export function vfsCapV2(permitted: bigint, effective: boolean): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE((VFS_CAP_REVISION_2 | (effective ? VFS_CAP_FLAGS_EFFECTIVE : 0)) >>> 0, 0);
  b.writeUInt32LE(Number(permitted & 0xffffffffn), 4);
  b.writeUInt32LE(Number(permitted >> 32n), 12);
  return b;
}

/** A security.capability value read back: its revision (3 carries the rootid of a namespaced
 * attribute), the effective flag, and the permitted and inheritable masks. */
export function readVfsCap(value: Buffer, decode: (mask: bigint) => string[]) {
  const magic = value.readUInt32LE(0);
  const word = (at: number): bigint => BigInt(value.length >= at + 4 ? value.readUInt32LE(at) : 0);
  const [mask, inheritable] = [word(4) | (word(12) << 32n), word(8) | (word(16) << 32n)];
  const revision = (magic & VFS_CAP_REVISION_MASK) >>> 0;
  return {
    hex: value.toString('hex'),
    revision: revision >>> 24,
    effective: (magic & VFS_CAP_FLAGS_EFFECTIVE) !== 0,
    permitted: decode(mask),
    mask,
    inheritable,
    rootid: revision === VFS_CAP_REVISION_3 && value.length >= 24 ? value.readUInt32LE(20) : null,
  };
}

type ProcessCaps = ProcessView['caps'];

/** An exercise check: the checked process has (`present`) or lacks `cap` in one of its sets;
 * the evidence is that set's status line and those of the sets in `also`. `hint` says what to
 * try next, from the process view. */
export function capIn(id: string, expected: string, want: { set: keyof ProcessCaps; cap: string; present: boolean; also?: (keyof ProcessCaps)[] }, hint: (p: ProcessView) => string): TaskCheck {
  const key = (set: keyof ProcessCaps): string => ({ effective: 'CapEff', permitted: 'CapPrm', inheritable: 'CapInh', bounding: 'CapBnd', ambient: 'CapAmb' })[set];
  return {
    id,
    expected,
    check(p) {
      const has = p.caps[want.set].includes(want.cap);
      const evidence = [want.set, ...(want.also ?? [])].map((set) => p.status[key(set)] ?? `${key(set)}: (not read)`);
      const seen = { pass: has === want.present, observed: `${want.cap} ${has ? 'in' : 'not in'} ${key(want.set)}`, evidence };
      return seen.pass ? seen : { ...seen, hint: hint(p) };
    },
  };
}

/** On the host: what `getcap -n` (libcap2-bin) says about a file, for an `outside` hook to show
 * the host's reading of a sandbox file through /proc/PID/root; or why it could not be run. */
export function hostGetcap(file: string): string {
  try {
    return `host: getcap -n ${file} -> ${execFileSync('getcap', ['-n', file], { encoding: 'utf8', timeout: 3000 }).trim() || '(no capabilities)'}`;
  } catch (err) {
    return `host: getcap unavailable (${(err as Error).message.split('\n')[0]})`;
  }
}
