// A process's root directory, told apart by (device, inode). Its path can mislead (inside a
// chroot /proc/self/root reads "/"; a bind mount shows one tree at two paths), the pair cannot:
// lessons compare /proc/PID/root, as the host stats it, with the rootfs directory and with the
// host's own /. ident() runs inside the sandbox and on the host alike; rootIs() is a check
// builder over the host's view at a checkpoint (ctx.outside), like those in checks.ts.
import { statSync } from 'node:fs';
import type { Check } from '../lessons/types.js';
import type { OutsideView, SandboxContext } from '../sandbox/types.js';
import { must } from './context.js';

/** A directory's identity: st_dev and st_ino. */
export interface Ident {
  dev: number;
  ino: number;
}

/** (dev, ino) of what `path` leads to (following /proc/PID/root and other links), or null when
 * it cannot be reached (a process that is gone, a path outside this root). */
export function ident(path: string): Ident | null {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

/** Both known, and the same directory. */
export function sameIdent(a: Ident | null | undefined, b: Ident | null | undefined): boolean {
  return !!a && !!b && a.dev === b.dev && a.ino === b.ino;
}

/** '(dev 254, ino 2)' for evidence lines, '(none)' when unknown. */
export function showIdent(i: Ident | null | undefined): string {
  return i ? `(dev ${i.dev}, ino ${i.ino})` : '(none)';
}

export interface RootFacts {
  /** The label of the checkpoint (ctx.outside) whose first view is judged. */
  checkpoint: string;
  /** Where the process must be rooted: a directory (its path and identity, stat'ed before the
   * process moved), or 'host', the host's own / (with /proc/PID/root reading "/"). */
  want: { path: string; ident: Ident | null } | 'host';
  /** Lines shown after the root's own (the calls that moved it, a listing). */
  evidence?: string[];
  /** Said, after the computed part, when the root is the host's / where it should not be. */
  atHost?: string;
  /** Said when the root is anywhere else than wanted. */
  why?: string;
}

/** Seen from the host at a checkpoint, the process's /proc/PID/root is the wanted directory (by
 * device and inode, and not the host's /), or the host's own /. */
export function rootIs<O>(id: string, expected: string, pick: (o: O, outside: Record<string, OutsideView[]>) => RootFacts): Check<O> {
  return {
    id,
    expected,
    check(o, outside) {
      const f = pick(o, outside);
      const v = outside[f.checkpoint]?.[0];
      if (!v) return { pass: false, observed: 'no outside view', evidence: [], hint: `the host never looked: the checkpoint "${f.checkpoint}" is missing` };
      const atHost = sameIdent(v.root, v.hostRoot);
      const want = f.want === 'host' ? null : f.want;
      const pass = want ? sameIdent(v.root, want.ident) && !atHost : atHost && v.rootLink === '/';
      const evidence = [`readlink /proc/${v.pid}/root = ${v.rootLink}`, `stat /proc/${v.pid}/root: ${showIdent(v.root)}`, `stat / (host): ${showIdent(v.hostRoot)}`];
      if (want) evidence.push(`stat ${want.path}: ${showIdent(want.ident)}`);
      const observed = `/proc/${v.pid}/root ${showIdent(v.root)} = ${v.rootLink}; host / ${showIdent(v.hostRoot)}`;
      const hint =
        want && atHost
          ? `/proc/${v.pid}/root is the host's / ${showIdent(v.hostRoot)}${f.atHost ? `: ${f.atHost}` : ''}`
          : `/proc/${v.pid}/root is ${v.rootLink} ${showIdent(v.root)}, not ${want ? `${want.path} ${showIdent(want.ident)}` : `the host's / ${showIdent(v.hostRoot)}`}${f.why ? `: ${f.why}` : ''}`;
      return { pass, observed, evidence: [...evidence, ...(f.evidence ?? [])], ...(pass ? {} : { hint }) };
    },
  };
}

/** chroot(path), then chdir("/") as chroot(1) does, so the working directory is inside the new
 * root too (Node's idea of it included): the calls' trace lines, each of which has to work. */
export function chrootInto(ctx: SandboxContext, path: string): string[] {
  const steps = [must(ctx.sys.chroot(path), `chroot ${path}`).trace, must(ctx.sys.chdir('/'), 'chdir /').trace];
  process.chdir('/');
  return steps;
}
