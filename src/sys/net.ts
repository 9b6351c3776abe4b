import { AF_INET, AF_INET6, AF_NAMES, IPPROTO_NAMES, SOCK_FLAGS, SOCK_TYPES } from './constants.js';
import { errnoAfter, fn } from './libc.js';
import { flagNames, record, valueName, type SysResult } from './trace.js';

function socketType(type: number): string {
  const base = valueName(type & 0xf, SOCK_TYPES);
  const rest = type & ~0xf;
  return rest ? `${base}|${flagNames(rest, SOCK_FLAGS)}` : base;
}

/** ret is the new socket's fd. A raw socket needs CAP_NET_RAW over the network namespace. */
export function socket(domain: number, type: number, protocol: number): SysResult {
  const ret = fn('int socket(int domain, int type, int protocol)')(domain, type, protocol) as number;
  // IP protocol numbers mean something only for the IP families; strace prints others raw.
  const proto = domain === AF_INET || domain === AF_INET6 ? valueName(protocol, IPPROTO_NAMES) : String(protocol);
  const call = `socket(${valueName(domain, AF_NAMES)}, ${socketType(type)}, ${proto})`;
  return record(call, ret, errnoAfter(ret));
}
