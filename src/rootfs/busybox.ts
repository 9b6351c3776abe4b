// Finding a busybox that can stand alone in a rootfs: it must be static, or the rootfs would
// need the host's libc too. Decided from the ELF program headers (a PT_INTERP entry names the
// dynamic loader), so neither `file` nor `ldd` has to be installed.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const PT_INTERP = 3;

function read(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

/** true: static ELF (including static-pie); false: dynamic; null: not an ELF file / unreadable. */
export function isStaticElf(path: string): boolean | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const h = read(fd, 64, 0);
    if (h.length < 52 || h.readUInt32BE(0) !== 0x7f454c46) return null;
    const is64 = h[4] === 2;
    const le = h[5] === 1;
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? h.readBigUInt64LE(0x20) : h.readBigUInt64BE(0x20)) : u32(h, 0x1c);
    const phentsize = u16(h, is64 ? 0x36 : 0x2a);
    const phnum = u16(h, is64 ? 0x38 : 0x2c);
    const table = read(fd, phentsize * phnum, phoff);
    for (let i = 0; i < phnum; i++) if (u32(table, i * phentsize) === PT_INTERP) return false;
    return true;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/sbin/busybox', '/usr/sbin/busybox'];

export interface BusyboxProbe {
  /** A static busybox to use, if any. */
  path: string | null;
  /** What was looked at and found, for the learner: why busybox or why not. */
  why: string;
}

export function findStaticBusybox(env: NodeJS.ProcessEnv = process.env): BusyboxProbe {
  const candidates = [...(env.NSLAB_BUSYBOX ? [env.NSLAB_BUSYBOX] : []), ...BUSYBOX_CANDIDATES];
  const dynamic: string[] = [];
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
    } catch {
      continue;
    }
    const s = isStaticElf(c);
    if (s) return { path: c, why: `${c} is a static busybox` };
    if (s === false) dynamic.push(c);
  }
  return {
    path: null,
    why: dynamic.length
      ? `${dynamic.join(', ')} is dynamically linked and would need the host's libc (install busybox-static for a static one)`
      : 'no busybox is installed (the busybox-static package provides one)',
  };
}
