// nslab's own small programs (ctx.tools, native/nslab-tools.c), run and read back as data.
import type { SandboxContext } from '../sandbox/types.js';

export interface UsernsProbe {
  /** Its exit status, and what it printed (for a hint when it could not run). */
  code: number | null;
  out: string;
  /** How many tasks it had when it called unshare(CLONE_NEWUSER), and the call's result. */
  threads: number | null;
  ret: number | null;
  /** strerror of the failure ('Invalid argument'), null on success. */
  error: string | null;
  /** Its /proc/self/ns/user link afterwards: a new namespace on success. */
  user: string | null;
}

/** `nslab-tools userns-probe [thread]`: a C process (one task, or two with `withThread`) calls
 * unshare(CLONE_NEWUSER) and prints "TASKS RET ERROR USERNS_LINK" ("1 0 ok user:[...]"). What a
 * user namespace asks of its caller, single-threadedness, shown by a program that has no runtime. */
export async function usernsProbe(ctx: SandboxContext, withThread = false): Promise<UsernsProbe> {
  const r = await ctx.spawn(ctx.tools, ['userns-probe', ...(withThread ? ['thread'] : [])]);
  const m = /^(\d+) (-?\d+) (\S+) (\S+)$/m.exec(r.stdout);
  return {
    code: r.code,
    out: `${r.stdout}${r.stderr}`.trim(),
    threads: m ? Number(m[1]) : null,
    ret: m ? Number(m[2]) : null,
    error: m && m[3] !== 'ok' ? m[3]!.replace(/_/g, ' ') : null,
    user: m ? m[4]! : null,
  };
}
