// Doctor's check IDs: one stable dotted name for each thing that can be wrong on a machine,
// like kubeadm's preflight names and minikube's reason IDs. A requirement's verdict carries the
// ID of what failed it (requirements.ts), and doctor's lines carry the same IDs, so doctor,
// verify's skips, `doctor --need` and `nslab class` all count one cause under one name. Each ID
// has an anchor in the README ("Doctor's checks"); a family (tool.missing.NAME) shares one.
// IDs are never renamed: scripts and workshop files (--ignore) name them.

/** What failed a requirement or a doctor line: the check, what was seen and wanted, the fix. */
export interface Blocker {
  check: string;
  observed: string;
  expected: string;
  /** One command (or one step) that fixes it. */
  fix: string;
}

export type Severity = 'error' | 'warning';

/** Every check ID and its one-line meaning. A family's members are `family.PROGRAM`. */
export const CHECKS: Record<string, string> = {
  'kernel.old': 'the kernel is older than 5.4, which some lessons assume',
  'kernel.too-old': 'a lesson (or the workshop) needs a newer kernel than this one',
  'node.too-old': 'the workshop needs a newer Node.js than this one',
  'nslab.too-old': 'the workshop needs a newer nslab than this checkout',
  'privileges.not-root': 'a lesson needs real root on the host',
  'userns.max-zero': 'user.max_user_namespaces is 0: every user namespace fails with ENOSPC',
  'userns.disabled-by-sysctl': 'kernel.unprivileged_userns_clone is 0 (Debian): no unprivileged user namespaces',
  'userns.restricted-by-apparmor': 'kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu 23.10+): uid_map and mount fail with EPERM',
  'userns.blocked-in-container': "a container's seccomp or AppArmor profile blocks unshare",
  'userns.unavailable': 'the helper could not create a user namespace, for no reason the sysctls explain',
  'userns.no-uid-range': 'no user namespace with more than one uid can be made',
  'uidmap.not-installed': 'newuidmap/newgidmap (the uidmap package) are not installed',
  'subuid.no-range': 'this user has no subordinate id range in /etc/subuid and /etc/subgid',
  'cgroup.none': 'no cgroup filesystem is mounted',
  'cgroup.no-v2': 'a lesson needs a cgroup v2 hierarchy and this machine has v1 only',
  'cgroup.not-writable': 'no cgroup hierarchy is writable, even by root (a read-only /sys/fs/cgroup)',
  'cgroup.not-delegated': 'no cgroup subtree is delegated to this user',
  'cgroup.no-user-manager': 'the cgroup is not delegated and no systemd user manager is reachable to delegate one',
  'cgroup.controllers-missing': 'the memory or pids controller is not enabled in this cgroup v2 subtree',
  'cgroup.stale': 'cgroups left by an nslab that was killed',
  'seccomp.unavailable': 'the kernel was built without seccomp',
  'container.no-namespaces': 'inside a container that does not let nslab make namespaces',
  'helper.not-built': "nslab's C helper (native/nslab-helper) is not built",
  'tools.not-built': "nslab's static tools (native/nslab-tools) are not built",
  'koffi.cannot-load': 'koffi cannot load libc, so no syscall can be made',
  'rootfs.not-built': 'the rootfs is not built yet (it is built on first need)',
  'rootfs.outdated': 'the rootfs was built by an older nslab (it is rebuilt on first need)',
  'rootfs.incomplete': 'a rootfs build was interrupted or is running',
  'rootfs.corrupt': 'the rootfs is damaged',
  'rootfs.unknown': 'the rootfs state could not be read',
  'rootfs.missing-tool': "a program a lesson runs is on this machine but not in nslab's rootfs",
  'tool.missing': 'a program a lesson runs is not installed on this machine',
  'lesson.not-found': 'the workshop needs a lesson this nslab does not have',
  'lesson.does-not-load': 'a lesson the workshop needs does not load',
  'lesson.unknown-requirement': 'a lesson names a requirement nslab does not know',
};

/** Checks whose IDs end in a program name: tool.missing.ip, rootfs.missing-tool.ip. */
const FAMILIES = ['tool.missing', 'rootfs.missing-tool'];

/** Checks that break nslab itself rather than particular lessons: a pre-flight fails on them
 * whatever lessons it needs. */
export const MACHINE_WIDE = new Set(['helper.not-built', 'tools.not-built', 'koffi.cannot-load', 'rootfs.unknown']);

export function familyOf(id: string): string {
  return FAMILIES.find((f) => id.startsWith(`${f}.`)) ?? id;
}

export function isKnownCheck(id: string): boolean {
  return familyOf(id) in CHECKS || FAMILIES.includes(id);
}

/** The README anchor that explains a check. */
export function docsFor(id: string): string {
  return `README.md#${familyOf(id)}`;
}

export function titleOf(id: string): string {
  return CHECKS[familyOf(id)] ?? id;
}

/** `--ignore X` matches check X, and a family name matches each of its members. */
export function ignores(pattern: string, id: string): boolean {
  return pattern === id || (FAMILIES.includes(pattern) && id.startsWith(`${pattern}.`));
}
