/** x86_64 (and most architectures') numbering of the standard signals, index = number. */
const STANDARD = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL',
  'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD',
  'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ',
  'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

/**
 * Realtime signals are named by the kernel's numbering: 32 is SIGRTMIN, 33 SIGRTMIN+1, ... 64
 * SIGRTMIN+32. glibc reserves 32 and 33 for its threads and so its SIGRTMIN (what `kill -l`
 * prints) is 34; we follow the kernel because these masks come from the kernel, and a mask bit
 * for 32 or 33 in a glibc program means glibc's own handler, which this name makes visible.
 */
const KERNEL_SIGRTMIN = 32;
const NSIG = 64;

function signalName(signo: number): string {
  return signo < KERNEL_SIGRTMIN ? STANDARD[signo]! : signo === KERNEL_SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${signo - KERNEL_SIGRTMIN}`;
}

/** Names of the signals in a SigCgt/SigIgn/SigBlk/SigPnd mask: bit N-1 stands for signal N. */
export function decodeSignals(mask: bigint): string[] {
  const names: string[] = [];
  for (let signo = 1; signo <= NSIG; signo++) {
    if ((mask >> BigInt(signo - 1)) & 1n) names.push(signalName(signo));
  }
  return names;
}

/** Accepts 'SIGTERM', 'TERM', 'SIGRTMIN+3', 'SIGRTMAX' (64) and the old aliases. Throws on an
 * unknown name, which is a typo rather than a kernel fact. */
export function signalNumber(name: string): number {
  const upper = name.toUpperCase();
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const aliases: Record<string, number> = { SIGIOT: 6, SIGCLD: 17, SIGPOLL: 29, SIGRTMAX: NSIG };
  if (aliases[full] !== undefined) return aliases[full];
  const standard = STANDARD.indexOf(full);
  if (standard > 0) return standard;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(full);
  if (rt && KERNEL_SIGRTMIN + Number(rt[1] ?? 0) <= NSIG) return KERNEL_SIGRTMIN + Number(rt[1] ?? 0);
  throw new Error(`unknown signal name: ${name}`);
}
