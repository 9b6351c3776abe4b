// nslab's libc bindings: one function per syscall, errno by name, one strace-like trace line
// per call. Imports nothing else of nslab's.
export * from './constants.js';
export { errnoName, errnoCode, strerror } from './errno.js';
export { trace, flagNames, type SysResult, type FlagTable } from './trace.js';
export { unshare, unshareAsync, setns, sethostname, gethostname } from './namespaces.js';
export { mount, umount2, pivotRoot, chroot, chdir, fchdir } from './mounts.js';
export {
  setPdeathsig,
  getPdeathsig,
  capbsetDrop,
  capbsetRead,
  setNoNewPrivs,
  getNoNewPrivs,
  getSeccomp,
  setChildSubreaper,
  getChildSubreaper,
} from './prctl.js';
export { capget, capset, type CapSets } from './caps.js';
export { setresuid, setresgid, setuid, seteuid, setgid, setegid, setgroups, getresuid, getresgid } from './creds.js';
export { kill, waitpid, getpid, gettid, gettidAsync, type WaitResult } from './process.js';
export { open, read, write, close, mkdir, rmdir, umask, setxattr, getxattr, removexattr } from './files.js';
export { socket } from './net.js';
export { seccomp, sockFilter, bpfStmt, bpfJump, filterProgram } from './seccomp.js';
export { syscall6 } from './raw.js';
export { shmget, shmat, shmdt, shmctl, IPC_PRIVATE, IPC_CREAT, IPC_EXCL, IPC_RMID, IPC_STAT } from './ipc.js';
export { nsIoctl, nsOwnerUid, NS_GET_USERNS, NS_GET_PARENT, NS_GET_NSTYPE, NS_GET_OWNER_UID } from './nsioctl.js';
