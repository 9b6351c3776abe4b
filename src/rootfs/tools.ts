// The programs lessons call by name, where each comes from, and which package brings it. Pure
// data and path lookups, no imports of ours: the sandbox entry bundles it (ctx.bin) and the
// doctor uses it to say, before a lesson runs, whether its tools are there.
import { accessSync, constants, statSync } from 'node:fs';

/** Where a rootfs (or the host) keeps programs, in the order a shell's PATH would search. */
export const BIN_DIRS = ['/bin', '/usr/bin', '/sbin', '/usr/sbin'];

/** nslab's own static multi-call program (native/nslab-tools.c), which every rootfs nslab
 * uses carries at this path: the lessons' raw-socket ping, httpd and user-namespace probe. */
export const TOOLS_IN_ROOTFS = '/bin/nslab-tools';

/** The Debian/Ubuntu package that installs each program, for the one-line fix. */
const PACKAGES: Record<string, string> = {
  ip: 'iproute2',
  ss: 'iproute2',
  ps: 'procps',
  kill: 'procps',
  capsh: 'libcap2-bin',
  setcap: 'libcap2-bin',
  getcap: 'libcap2-bin',
  getpcaps: 'libcap2-bin',
  mount: 'mount',
  umount: 'mount',
  sh: 'dash',
  bash: 'bash',
  grep: 'grep',
  sed: 'sed',
  awk: 'mawk',
  hostname: 'hostname',
};
const UTIL_LINUX = ['unshare', 'nsenter', 'setpriv', 'pivot_root', 'findmnt', 'lsns', 'mountpoint', 'chroot'];

export function packageOf(name: string): string {
  if (UTIL_LINUX.includes(name)) return name === 'chroot' ? 'coreutils' : 'util-linux';
  return PACKAGES[name] ?? 'coreutils';
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The path of program `name` under `root` ('' for the current root), searched like PATH. */
export function findIn(root: string, name: string): string | undefined {
  for (const d of BIN_DIRS) {
    const p = `${root}${d}/${name}`;
    if (executable(p)) return p;
  }
  return undefined;
}

/** The sentence that names a missing program and the fix. `rootfs`: it was looked for in nslab's
 * rootfs there, which copies host programs or busybox applets when it is built. */
export function missingTool(name: string, rootfs?: string): string {
  const pkg = packageOf(name);
  if (!rootfs) return `${name} is not installed on this machine; fix: sudo apt-get install ${pkg}`;
  // Built before the host had it, or by an older nslab: a rebuild copies it over.
  return findIn('', name)
    ? `${name} is not in nslab's rootfs (${rootfs}), which was built without it; fix: npx nslab rootfs build`
    : `${name} is not in nslab's rootfs (${rootfs}); fix: sudo apt-get install ${pkg} && npx nslab rootfs build`;
}
