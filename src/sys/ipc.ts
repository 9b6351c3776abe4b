// System V shared memory, the IPC namespace's most visible object: a segment exists in the
// IPC namespace of the thread that called shmget, and /proc/sysvipc/shm lists only the
// segments of the reader's IPC namespace.
import { errnoAfter, fn } from './libc.js';
import { flagNames, hex, octal, record, type FlagTable, type SysResult } from './trace.js';

// sys/ipc.h, sys/shm.h
export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_RMID = 0;
export const IPC_STAT = 2;

const SHMGET_FLAGS: FlagTable = [
  ['IPC_CREAT', IPC_CREAT],
  ['IPC_EXCL', IPC_EXCL],
];
const SHMCTL_CMDS: FlagTable = [
  ['IPC_RMID', IPC_RMID],
  ['IPC_STAT', IPC_STAT],
];

/** shmget(key, size, flags | mode): ret is the segment id. */
export function shmget(key: number, size: number, flags: number): SysResult {
  const ret = fn('int shmget(int key, size_t size, int shmflg)')(key, size, flags) as number;
  const mode = flags & 0o777;
  const named = flagNames(flags & ~0o777, SHMGET_FLAGS);
  const shownFlags = [named === '0' ? '' : named, mode ? octal(mode) : ''].filter(Boolean).join('|') || '0';
  return record(`shmget(${key === IPC_PRIVATE ? 'IPC_PRIVATE' : hex(key)}, ${size}, ${shownFlags})`, ret, errnoAfter(ret));
}

/** shmat(shmid, NULL, 0): attaches the segment; addr is where (0 on failure). A segment stays
 * alive while attached, and the kernel detaches it when the process dies, even by SIGKILL. */
export function shmat(shmid: number): SysResult & { addr: number } {
  const ret = Number(fn('intptr_t shmat(int shmid, void *addr, int shmflg)')(shmid, null, 0));
  const code = errnoAfter(ret);
  const result = record(`shmat(${shmid}, NULL, 0)`, ret === -1 ? -1 : 0, code, { shownRet: hex(ret) });
  return { ...result, addr: ret === -1 ? 0 : ret };
}

/** shmdt(addr) for an address shmat returned. */
export function shmdt(addr: number): SysResult {
  const ret = fn('int shmdt(intptr_t addr)')(addr) as number;
  return record(`shmdt(${hex(addr)})`, ret, errnoAfter(ret));
}

/** shmctl(shmid, cmd, NULL): IPC_RMID marks the segment for destruction once nobody is attached. */
export function shmctl(shmid: number, cmd: number): SysResult {
  const ret = fn('int shmctl(int shmid, int cmd, void *buf)')(shmid, cmd, null) as number;
  return record(`shmctl(${shmid}, ${flagNames(cmd, SHMCTL_CMDS)}, NULL)`, ret, errnoAfter(ret));
}

