// The runc/crun way into a root filesystem, done through the traced syscall layer so the
// learner sees every step. The C helper does the same for programs exec'd directly; this copy
// exists because a Node experiment must load all its code before the old root goes away.
import { copyFileSync, existsSync } from 'node:fs';
import type * as Sys from '../sys/index.js';

export class SetupError extends Error {
  override name = 'SetupError';
}

const DEVICES = ['null', 'zero', 'random', 'urandom', 'tty'];
/** Where a copy of the (static) helper lives inside the new root, in its private /tmp. */
export const HELPER_INSIDE = '/tmp/.nslab-helper';

function must(r: Sys.SysResult, what: string): Sys.SysResult {
  if (!r.ok) throw new SetupError(`${what} failed: ${r.trace}`);
  return r;
}

export function enterRootfs(sys: typeof Sys, rootfs: string, opts: { newPidNs: boolean; helper?: string }): void {
  sys.trace.note(`enter the rootfs ${rootfs} (runc's sequence)`);
  // pivot_root wants new_root to be a mount point: bind the directory onto itself.
  must(sys.mount(rootfs, rootfs, null, sys.MS_BIND | sys.MS_REC, null), 'bind the rootfs onto itself');
  const fd = must(sys.open(rootfs, sys.O_RDONLY | sys.O_DIRECTORY), 'open the rootfs').ret;
  must(sys.fchdir(fd), 'fchdir into the rootfs');
  // /proc and /tmp go up while the old paths still resolve. A user namespace may mount proc
  // only for a PID namespace it owns, so without one /proc stays empty.
  if (opts.newPidNs) must(sys.mount('proc', 'proc', 'proc', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null), 'mount proc');
  must(sys.mount('tmpfs', 'tmp', 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'mode=1777'), 'mount a tmpfs on /tmp');
  for (const dev of DEVICES) {
    // Unprivileged sandboxes cannot mknod: bind the host's harmless devices onto placeholders.
    if (existsSync(`dev/${dev}`) && existsSync(`/dev/${dev}`)) {
      must(sys.mount(`/dev/${dev}`, `dev/${dev}`, null, sys.MS_BIND, null), `bind /dev/${dev}`);
    }
  }
  if (opts.helper) copyFileSync(opts.helper, `tmp/${HELPER_INSIDE.slice('/tmp/'.length)}`);
  // pivot_root(".", ".") stacks the old root on top of the new one: no put_old directory needed.
  must(sys.pivotRoot('.', '.'), 'pivot_root');
  // Cut propagation before detaching, so the unmount cannot reach any peer.
  must(sys.mount(null, '.', null, sys.MS_SLAVE | sys.MS_REC, null), 'make the old root rslave');
  must(sys.umount2('.', sys.MNT_DETACH), 'detach the old root');
  must(sys.chdir('/'), 'chdir to the new root');
  sys.close(fd);
  // Node caches its cwd; the chdir above went around it.
  process.chdir('/');
}
