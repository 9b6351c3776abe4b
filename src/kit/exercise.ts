// Exercise checks for what many exercises ask of the learner's process: a namespace of its own,
// a root that is the lab's rootfs. They judge the ProcessView nslab read from outside against the
// scene (the `nslab shell` it was started from, the rootfs), and leave only the hint to the
// lesson, since what to try next depends on what the exercise asked for.
import type { ProcessView, TaskCheck } from '../lessons/types.js';
import { showIdent } from './root.js';

/** The process is in a `kind` namespace ('mnt', 'net', ...) of its own: not the shell's when it
 * runs under `nslab shell`, not nslab's otherwise. `hint` gets whose namespace it shares. */
export function ownNamespace(id: string, expected: string, kind: string, hint: (p: ProcessView, whose: string) => string): TaskCheck {
  return {
    id,
    expected,
    check(p, { shell }) {
      const [theirs, whose] = shell ? [shell.ns[kind], "the shell's"] : [p.hostNs[kind], "nslab's"];
      const pass = !!p.ns[kind] && p.ns[kind] !== theirs;
      const evidence = [`/proc/${p.pid}/ns/${kind} -> ${p.ns[kind] ?? '(unreadable)'}`, `${whose}: ${theirs ?? '(unreadable)'}`];
      return { pass, observed: `${kind} -> ${p.ns[kind]}`, evidence, ...(pass ? {} : { hint: hint(p, whose) }) };
    },
  };
}

/** The process's root directory is the lab's rootfs: the same device and inode as the directory
 * $NSLAB_ROOTFS names, whatever path its /proc/PID/root link shows (a pivot_root'ed root reads
 * "/"). `hint` gets the rootfs path and explains the root it has instead. */
export function rootedInRootfs(id: string, expected: string, hint: (p: ProcessView, rootfs: string) => string): TaskCheck {
  return {
    id,
    expected,
    check(p, { rootfs }) {
      const pass = !!rootfs && p.root.dev === rootfs.dev && p.root.ino === rootfs.ino;
      const evidence = [`/proc/${p.pid}/root -> ${p.root.link} ${showIdent(p.root)}`, rootfs ? `${rootfs.path}: ${showIdent(rootfs)}` : 'the rootfs directory was not found'];
      const observed = pass ? `rooted in ${rootfs.path}` : p.rootIsHost ? "rooted at the host's /" : `rooted at ${p.root.link} ${showIdent(p.root)}`;
      const why = rootfs ? hint(p, rootfs.path) : 'nslab could not find its rootfs to compare with: run nslab rootfs build, then start again';
      return { pass, observed, evidence, ...(pass ? {} : { hint: why }) };
    },
  };
}
