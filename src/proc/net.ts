import { endianness } from 'node:os';
import { lines, procPath, readText, type Pid } from './read.js';

export interface Endpoint {
  address: string;
  port: number;
}

export interface Socket {
  local: Endpoint;
  remote: Endpoint;
  /** 'LISTEN', 'ESTABLISHED', ... */
  state: string;
  uid: number;
  inode: number;
  raw: string;
}

/** include/net/tcp_states.h */
const TCP_STATES = [
  '', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE',
  'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV',
];

/** The kernel prints each 32-bit word of the (network order) address with %08X as a host-order
 * integer, so on a little-endian machine the bytes of every word come out reversed. */
function addressBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let w = 0; w + 8 <= hex.length; w += 8) {
    const word = hex.slice(w, w + 8).match(/../g)!.map((b) => parseInt(b, 16));
    bytes.push(...(endianness() === 'LE' ? word.reverse() : word));
  }
  return bytes;
}

function ipv4(bytes: number[]): string {
  return bytes.join('.');
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as
 * '::'; IPv4-mapped addresses (how a dual-stack listener sees IPv4 peers) as ::ffff:a.b.c.d. */
function ipv6(bytes: number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${ipv4(bytes.slice(12))}`;
  let best = { start: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.len).join(':')}`;
}

function endpoint(field: string, v6: boolean): Endpoint {
  const [addr = '', port = ''] = field.split(':');
  const bytes = addressBytes(addr);
  return { address: v6 ? ipv6(bytes) : ipv4(bytes), port: parseInt(port, 16) };
}

/** /proc/PID/net/tcp or tcp6 (the network namespace of that process). The header and lines
 * that do not look like 'N: local remote st ...' are skipped. */
export function parseNetTcp(text: string, v6 = false): Socket[] {
  const result: Socket[] = [];
  for (const raw of lines(text)) {
    const f = raw.trim().split(/\s+/);
    if (!/^\d+:$/.test(f[0] ?? '') || f.length < 10) continue;
    const code = parseInt(f[3]!, 16);
    result.push({
      local: endpoint(f[1]!, v6),
      remote: endpoint(f[2]!, v6),
      state: TCP_STATES[code] || `UNKNOWN(${f[3]})`,
      uid: Number(f[7]),
      inode: Number(f[9]),
      raw,
    });
  }
  return result;
}

/** IPv4 and IPv6 sockets together. tcp6 is absent when the kernel runs without IPv6, which is a
 * configuration rather than an error, so only a missing tcp throws. */
export function readNetTcp(pid: Pid = 'self', procRoot = '/proc'): Socket[] {
  const v4 = parseNetTcp(readText(procPath(procRoot, pid, 'net', 'tcp')));
  let v6: Socket[] = [];
  try {
    v6 = parseNetTcp(readText(procPath(procRoot, pid, 'net', 'tcp6')), true);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  return [...v4, ...v6];
}

export interface NetDev {
  name: string;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  raw: string;
}

/** /proc/PID/net/dev: two header lines, then 'name: 8 receive counters 8 transmit counters'. */
export function parseNetDev(text: string): NetDev[] {
  const result: NetDev[] = [];
  for (const raw of lines(text)) {
    const colon = raw.indexOf(':');
    if (colon < 0 || raw.includes('|')) continue;
    const n = raw.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (n.length < 16 || n.some((x) => !Number.isFinite(x))) continue;
    result.push({ name: raw.slice(0, colon).trim(), rxBytes: n[0]!, rxPackets: n[1]!, txBytes: n[8]!, txPackets: n[9]!, raw });
  }
  return result;
}

export function readNetDev(pid: Pid = 'self', procRoot = '/proc'): NetDev[] {
  return parseNetDev(readText(procPath(procRoot, pid, 'net', 'dev')));
}
