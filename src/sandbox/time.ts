// Deadlines scale with the machine: under emulation (the VM test runs Debian under QEMU's TCG)
// everything is tens of times slower, and a deadline written for a laptop would kill a healthy
// experiment. NSLAB_TIME_SCALE says how much slower this machine is; delays are never scaled,
// only the limits on how long something may take.

export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.NSLAB_TIME_SCALE);
  return Number.isFinite(n) && n >= 1 ? n : 1;
}

/** A deadline of `ms` on a reference machine, on this one. */
export const scaled = (ms: number): number => Math.round(ms * timeScale());
