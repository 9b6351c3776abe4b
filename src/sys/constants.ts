// Kernel constants, named as in the C headers. Values that differ between architectures come
// from Node's own tables (fs.constants) or from the per-arch syscall table below.
import { constants as fsConstants } from 'node:fs';
import type { FlagTable } from './trace.js';

// sched.h
export const CLONE_NEWTIME = 0x00000080;
export const CLONE_FS = 0x00000200;
export const CLONE_FILES = 0x00000400;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_SYSVSEM = 0x00040000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

export const CLONE_FLAGS: FlagTable = [
  ['CLONE_NEWTIME', CLONE_NEWTIME],
  ['CLONE_FS', CLONE_FS],
  ['CLONE_FILES', CLONE_FILES],
  ['CLONE_NEWNS', CLONE_NEWNS],
  ['CLONE_SYSVSEM', CLONE_SYSVSEM],
  ['CLONE_NEWCGROUP', CLONE_NEWCGROUP],
  ['CLONE_NEWUTS', CLONE_NEWUTS],
  ['CLONE_NEWIPC', CLONE_NEWIPC],
  ['CLONE_NEWUSER', CLONE_NEWUSER],
  ['CLONE_NEWPID', CLONE_NEWPID],
  ['CLONE_NEWNET', CLONE_NEWNET],
];

// sys/mount.h
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_SYNCHRONOUS = 16;
export const MS_REMOUNT = 32;
export const MS_MANDLOCK = 64;
export const MS_DIRSYNC = 128;
export const MS_NOSYMFOLLOW = 256;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_BIND = 4096;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MS_SILENT = 32768;
export const MS_POSIXACL = 1 << 16;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;

export const MS_FLAGS: FlagTable = [
  ['MS_RDONLY', MS_RDONLY],
  ['MS_NOSUID', MS_NOSUID],
  ['MS_NODEV', MS_NODEV],
  ['MS_NOEXEC', MS_NOEXEC],
  ['MS_SYNCHRONOUS', MS_SYNCHRONOUS],
  ['MS_REMOUNT', MS_REMOUNT],
  ['MS_MANDLOCK', MS_MANDLOCK],
  ['MS_DIRSYNC', MS_DIRSYNC],
  ['MS_NOSYMFOLLOW', MS_NOSYMFOLLOW],
  ['MS_NOATIME', MS_NOATIME],
  ['MS_NODIRATIME', MS_NODIRATIME],
  ['MS_BIND', MS_BIND],
  ['MS_MOVE', MS_MOVE],
  ['MS_REC', MS_REC],
  ['MS_SILENT', MS_SILENT],
  ['MS_POSIXACL', MS_POSIXACL],
  ['MS_UNBINDABLE', MS_UNBINDABLE],
  ['MS_PRIVATE', MS_PRIVATE],
  ['MS_SLAVE', MS_SLAVE],
  ['MS_SHARED', MS_SHARED],
  ['MS_RELATIME', MS_RELATIME],
  ['MS_STRICTATIME', MS_STRICTATIME],
  ['MS_LAZYTIME', MS_LAZYTIME],
];

export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const MNT_EXPIRE = 4;
export const UMOUNT_NOFOLLOW = 8;

export const UMOUNT_FLAGS: FlagTable = [
  ['MNT_FORCE', MNT_FORCE],
  ['MNT_DETACH', MNT_DETACH],
  ['MNT_EXPIRE', MNT_EXPIRE],
  ['UMOUNT_NOFOLLOW', UMOUNT_NOFOLLOW],
];

// sys/prctl.h
export const PR_SET_PDEATHSIG = 1;
export const PR_GET_PDEATHSIG = 2;
export const PR_GET_DUMPABLE = 3;
export const PR_SET_DUMPABLE = 4;
export const PR_GET_KEEPCAPS = 7;
export const PR_SET_KEEPCAPS = 8;
export const PR_SET_NAME = 15;
export const PR_GET_NAME = 16;
export const PR_GET_SECCOMP = 21;
export const PR_SET_SECCOMP = 22;
export const PR_CAPBSET_READ = 23;
export const PR_CAPBSET_DROP = 24;
export const PR_GET_SECUREBITS = 27;
export const PR_SET_SECUREBITS = 28;
export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_GET_CHILD_SUBREAPER = 37;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;
export const PR_CAP_AMBIENT = 47;
export const PR_CAP_AMBIENT_IS_SET = 1;
export const PR_CAP_AMBIENT_RAISE = 2;
export const PR_CAP_AMBIENT_LOWER = 3;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;

export const PR_OPTIONS: FlagTable = [
  ['PR_SET_PDEATHSIG', PR_SET_PDEATHSIG],
  ['PR_GET_PDEATHSIG', PR_GET_PDEATHSIG],
  ['PR_GET_DUMPABLE', PR_GET_DUMPABLE],
  ['PR_SET_DUMPABLE', PR_SET_DUMPABLE],
  ['PR_GET_KEEPCAPS', PR_GET_KEEPCAPS],
  ['PR_SET_KEEPCAPS', PR_SET_KEEPCAPS],
  ['PR_SET_NAME', PR_SET_NAME],
  ['PR_GET_NAME', PR_GET_NAME],
  ['PR_GET_SECCOMP', PR_GET_SECCOMP],
  ['PR_SET_SECCOMP', PR_SET_SECCOMP],
  ['PR_CAPBSET_READ', PR_CAPBSET_READ],
  ['PR_CAPBSET_DROP', PR_CAPBSET_DROP],
  ['PR_GET_SECUREBITS', PR_GET_SECUREBITS],
  ['PR_SET_SECUREBITS', PR_SET_SECUREBITS],
  ['PR_SET_CHILD_SUBREAPER', PR_SET_CHILD_SUBREAPER],
  ['PR_GET_CHILD_SUBREAPER', PR_GET_CHILD_SUBREAPER],
  ['PR_SET_NO_NEW_PRIVS', PR_SET_NO_NEW_PRIVS],
  ['PR_GET_NO_NEW_PRIVS', PR_GET_NO_NEW_PRIVS],
  ['PR_CAP_AMBIENT', PR_CAP_AMBIENT],
];

// linux/capability.h. Only for naming bits in trace lines and for callers' convenience; the
// authoritative decoding of /proc masks lives with the /proc readers.
export const _LINUX_CAPABILITY_VERSION_3 = 0x20080522;
export const CAP_CHOWN = 0;
export const CAP_DAC_OVERRIDE = 1;
export const CAP_DAC_READ_SEARCH = 2;
export const CAP_FOWNER = 3;
export const CAP_FSETID = 4;
export const CAP_KILL = 5;
export const CAP_SETGID = 6;
export const CAP_SETUID = 7;
export const CAP_SETPCAP = 8;
export const CAP_LINUX_IMMUTABLE = 9;
export const CAP_NET_BIND_SERVICE = 10;
export const CAP_NET_BROADCAST = 11;
export const CAP_NET_ADMIN = 12;
export const CAP_NET_RAW = 13;
export const CAP_IPC_LOCK = 14;
export const CAP_IPC_OWNER = 15;
export const CAP_SYS_MODULE = 16;
export const CAP_SYS_RAWIO = 17;
export const CAP_SYS_CHROOT = 18;
export const CAP_SYS_PTRACE = 19;
export const CAP_SYS_PACCT = 20;
export const CAP_SYS_ADMIN = 21;
export const CAP_SYS_BOOT = 22;
export const CAP_SYS_NICE = 23;
export const CAP_SYS_RESOURCE = 24;
export const CAP_SYS_TIME = 25;
export const CAP_SYS_TTY_CONFIG = 26;
export const CAP_MKNOD = 27;
export const CAP_LEASE = 28;
export const CAP_AUDIT_WRITE = 29;
export const CAP_AUDIT_CONTROL = 30;
export const CAP_SETFCAP = 31;
export const CAP_MAC_OVERRIDE = 32;
export const CAP_MAC_ADMIN = 33;
export const CAP_SYSLOG = 34;
export const CAP_WAKE_ALARM = 35;
export const CAP_BLOCK_SUSPEND = 36;
export const CAP_AUDIT_READ = 37;
export const CAP_PERFMON = 38;
export const CAP_BPF = 39;
export const CAP_CHECKPOINT_RESTORE = 40;

// The same list as proc/caps.ts CAP_NAMES, kept twice on purpose: sys/ and proc/ import nothing
// of ours (ARCHITECTURE.md), and test/proc checks the two agree with each other and the kernel.
const CAP_ORDER = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export const CAPS: FlagTable = CAP_ORDER.map((name, i) => [name, i] as const);

// signal.h: numbers 1-31 are the same on x86_64 and aarch64.
export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGCHLD = 17;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGTSTP = 20;
export const SIGSYS = 31;

const SIGNAL_ORDER = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL',
  'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD',
  'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ',
  'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
] as const;

export const SIGNALS: FlagTable = SIGNAL_ORDER.map((name, i) => [name, i + 1] as const);

// sys/wait.h
export const WNOHANG = 1;
export const WUNTRACED = 2;
export const WCONTINUED = 8;
export const __WALL = 0x40000000;

export const WAIT_FLAGS: FlagTable = [
  ['WNOHANG', WNOHANG],
  ['WUNTRACED', WUNTRACED],
  ['WCONTINUED', WCONTINUED],
  ['__WALL', __WALL],
];

// sys/socket.h, netinet/in.h
export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_SEQPACKET = 5;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_RAW = 255;

export const AF_NAMES: FlagTable = [
  ['AF_UNSPEC', AF_UNSPEC],
  ['AF_UNIX', AF_UNIX],
  ['AF_INET', AF_INET],
  ['AF_INET6', AF_INET6],
  ['AF_NETLINK', AF_NETLINK],
  ['AF_PACKET', AF_PACKET],
];
export const SOCK_TYPES: FlagTable = [
  ['SOCK_STREAM', SOCK_STREAM],
  ['SOCK_DGRAM', SOCK_DGRAM],
  ['SOCK_RAW', SOCK_RAW],
  ['SOCK_SEQPACKET', SOCK_SEQPACKET],
];
export const SOCK_FLAGS: FlagTable = [
  ['SOCK_NONBLOCK', SOCK_NONBLOCK],
  ['SOCK_CLOEXEC', SOCK_CLOEXEC],
];
export const IPPROTO_NAMES: FlagTable = [
  ['IPPROTO_IP', IPPROTO_IP],
  ['IPPROTO_ICMP', IPPROTO_ICMP],
  ['IPPROTO_TCP', IPPROTO_TCP],
  ['IPPROTO_UDP', IPPROTO_UDP],
  ['IPPROTO_ICMPV6', IPPROTO_ICMPV6],
  ['IPPROTO_RAW', IPPROTO_RAW],
];

// fcntl.h: O_DIRECTORY, O_NOFOLLOW and O_DIRECT differ between x86_64 and aarch64, so those
// come from Node, which was compiled for this machine. O_CLOEXEC and O_PATH are the same on both.
export const O_RDONLY = fsConstants.O_RDONLY;
export const O_WRONLY = fsConstants.O_WRONLY;
export const O_RDWR = fsConstants.O_RDWR;
export const O_ACCMODE = 3;
export const O_CREAT = fsConstants.O_CREAT;
export const O_EXCL = fsConstants.O_EXCL;
export const O_NOCTTY = fsConstants.O_NOCTTY;
export const O_TRUNC = fsConstants.O_TRUNC;
export const O_APPEND = fsConstants.O_APPEND;
export const O_NONBLOCK = fsConstants.O_NONBLOCK;
export const O_DIRECTORY = fsConstants.O_DIRECTORY;
export const O_NOFOLLOW = fsConstants.O_NOFOLLOW;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;

export const O_ACCMODES: FlagTable = [
  ['O_RDONLY', O_RDONLY],
  ['O_WRONLY', O_WRONLY],
  ['O_RDWR', O_RDWR],
];
export const O_FLAGS: FlagTable = [
  ['O_CREAT', O_CREAT],
  ['O_EXCL', O_EXCL],
  ['O_NOCTTY', O_NOCTTY],
  ['O_TRUNC', O_TRUNC],
  ['O_APPEND', O_APPEND],
  ['O_NONBLOCK', O_NONBLOCK],
  ['O_DIRECTORY', O_DIRECTORY],
  ['O_NOFOLLOW', O_NOFOLLOW],
  ['O_CLOEXEC', O_CLOEXEC],
  ['O_PATH', O_PATH],
];

// sys/xattr.h
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;
export const XATTR_FLAGS: FlagTable = [
  ['XATTR_CREATE', XATTR_CREATE],
  ['XATTR_REPLACE', XATTR_REPLACE],
];

// linux/seccomp.h, linux/filter.h, linux/audit.h
export const SECCOMP_MODE_DISABLED = 0;
export const SECCOMP_MODE_STRICT = 1;
export const SECCOMP_MODE_FILTER = 2;
export const SECCOMP_SET_MODE_STRICT = 0;
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_GET_ACTION_AVAIL = 2;
export const SECCOMP_FILTER_FLAG_TSYNC = 1;
export const SECCOMP_FILTER_FLAG_LOG = 2;
export const SECCOMP_FILTER_FLAG_SPEC_ALLOW = 4;
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
export const SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 16;
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_OPERATIONS: FlagTable = [
  ['SECCOMP_SET_MODE_STRICT', SECCOMP_SET_MODE_STRICT],
  ['SECCOMP_SET_MODE_FILTER', SECCOMP_SET_MODE_FILTER],
  ['SECCOMP_GET_ACTION_AVAIL', SECCOMP_GET_ACTION_AVAIL],
];
export const SECCOMP_FLAGS: FlagTable = [
  ['SECCOMP_FILTER_FLAG_TSYNC', SECCOMP_FILTER_FLAG_TSYNC],
  ['SECCOMP_FILTER_FLAG_LOG', SECCOMP_FILTER_FLAG_LOG],
  ['SECCOMP_FILTER_FLAG_SPEC_ALLOW', SECCOMP_FILTER_FLAG_SPEC_ALLOW],
  ['SECCOMP_FILTER_FLAG_NEW_LISTENER', SECCOMP_FILTER_FLAG_NEW_LISTENER],
  ['SECCOMP_FILTER_FLAG_TSYNC_ESRCH', SECCOMP_FILTER_FLAG_TSYNC_ESRCH],
];
// Offsets into struct seccomp_data, which a filter reads with BPF_LD|BPF_W|BPF_ABS.
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const BPF_LD = 0x00;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_JMP = 0x05;
export const BPF_JEQ = 0x10;
export const BPF_K = 0x00;
export const BPF_RET = 0x06;
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;

// Syscall numbers for the calls nslab makes through syscall(2): those without a glibc wrapper,
// and those whose raw form behaves differently from the wrapper (raw setresuid changes only the
// calling thread; glibc's wrapper signals every thread to change too).
const SYSCALLS = {
  x64: {
    pivot_root: 155, seccomp: 317, setresuid: 117, setresgid: 119, gettid: 186, getpid: 39,
    getppid: 110, unshare: 272, setns: 308, mount: 165, umount2: 166, sethostname: 170,
    capget: 125, capset: 126, prctl: 157, setuid: 105, setgid: 106, setgroups: 116, kill: 62,
    tgkill: 234, uname: 63, getcwd: 79, chroot: 161, mkdirat: 258,
  },
  arm64: {
    pivot_root: 41, seccomp: 277, setresuid: 147, setresgid: 149, gettid: 178, getpid: 172,
    getppid: 173, unshare: 97, setns: 268, mount: 40, umount2: 39, sethostname: 161,
    capget: 90, capset: 91, prctl: 167, setuid: 146, setgid: 144, setgroups: 159, kill: 129,
    tgkill: 131, uname: 160, getcwd: 17, chroot: 51, mkdirat: 34,
  },
} as const;

export type SyscallName = keyof (typeof SYSCALLS)['x64'];

/** The syscall number on this machine; throws on architectures nslab has no table for. */
export function sysno(name: SyscallName, arch: string = process.arch): number {
  const table = (SYSCALLS as Record<string, Record<SyscallName, number>>)[arch];
  if (!table) {
    throw new Error(`nslab knows syscall numbers for x64 and arm64 only, not ${arch}: ${name} cannot be called here`);
  }
  return table[name];
}

/** The seccomp audit arch of this machine, for filters that check seccomp_data.arch. */
export function auditArch(arch: string = process.arch): number {
  if (arch === 'x64') return AUDIT_ARCH_X86_64;
  if (arch === 'arm64') return AUDIT_ARCH_AARCH64;
  throw new Error(`nslab knows seccomp audit arches for x64 and arm64 only, not ${arch}`);
}

/** The name of syscall `nr` on this machine, if nslab's table has it. */
export function syscallName(nr: number, arch: string = process.arch): SyscallName | undefined {
  const table = (SYSCALLS as Record<string, Record<SyscallName, number>>)[arch];
  if (!table) return undefined;
  return (Object.keys(table) as SyscallName[]).find((k) => table[k] === nr);
}
