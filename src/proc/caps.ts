import { readText } from './read.js';

/** Index = capability number, in the order of include/uapi/linux/capability.h. */
export const CAP_NAMES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
]);

/** The highest capability this kernel knows; masks may carry bits above it that mean nothing. */
export function capLastCap(procRoot = '/proc'): number {
  return Number(readText(`${procRoot.replace(/\/+$/, '')}/sys/kernel/cap_last_cap`).trim());
}

/** Accepts 'CAP_NET_RAW', 'net_raw' or 'cap_41' (a bit newer than this table). Throws on an
 * unknown name: that is a typo in a lesson, not a kernel fact. */
export function capNumber(name: string): number {
  const upper = name.toUpperCase();
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  const index = CAP_NAMES.indexOf(full);
  if (index >= 0) return index;
  const numbered = /^CAP_(\d+)$/.exec(full);
  if (numbered) return Number(numbered[1]);
  throw new Error(`unknown capability name: ${name}`);
}

/** Names of the bits set in mask, up to the kernel's last capability; a bit this table has no
 * name for (a kernel newer than the table) shows as 'cap_N', like capsh does. */
export function decodeCaps(mask: bigint, last: number = capLastCap()): string[] {
  const names: string[] = [];
  for (let bit = 0; bit <= last; bit++) {
    if ((mask >> BigInt(bit)) & 1n) names.push(CAP_NAMES[bit] ?? `cap_${bit}`);
  }
  return names;
}

export function hasCap(mask: bigint, name: string): boolean {
  return ((mask >> BigInt(capNumber(name))) & 1n) === 1n;
}

/** What a full set looks like on this kernel (root's CapBnd with nothing dropped). */
export function allCapsMask(last: number = capLastCap()): bigint {
  return (1n << BigInt(last + 1)) - 1n;
}
