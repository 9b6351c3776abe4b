// What a container runtime sets up by default, point by point, as data: `nslab inspect
// --profile NAME` and the lessons judge a process against one of these. Each value comes from
// the runtime's own source or output, named beside it, so a reader can check it and a test can
// compare it with the real thing (test/check/runc.test.ts runs `runc spec`).
// An OCI config.json (what runc, crun and every engine below them execute) becomes a profile
// through profileFromOci, so a bundle's own file can be the expectation too.

/** How a namespace kind relates to the reference process (the caller, or an exercise's shell). */
export type NsExpectation = 'own' | 'shared' | 'any' | 'own-on-cgroup2';
export type NsKindName = 'user' | 'mnt' | 'pid' | 'uts' | 'ipc' | 'net' | 'cgroup' | 'time';
export const NS_KIND_NAMES: readonly NsKindName[] = ['user', 'mnt', 'pid', 'uts', 'ipc', 'net', 'cgroup', 'time'];

export interface IdMapping {
  inside: number;
  outside: number;
  count: number;
}

export type CapList = string[] | 'all';

export interface Profile {
  name: string;
  /** One line: whose defaults these are, and where they were read. */
  source: string;
  namespaces: Record<NsKindName, NsExpectation>;
  /** 'shared': the reference's own uid_map and gid_map (no user namespace of its own).
   * 'one-id': its uid 0 is exactly one outside id, its own real uid (rootless: whoever ran it).
   * A list: exactly these lines, in both maps. */
  idMap: 'shared' | 'one-id' | { uid: IdMapping[]; gid: IdMapping[] };
  /** Its uid inside its own user namespace. */
  uid: number;
  caps: { effective: CapList; permitted: CapList; inheritable: CapList; bounding: CapList; ambient: CapList };
  noNewPrivs: boolean;
  seccomp: 'filter' | 'none' | 'any';
  /** The AppArmor profile name the label starts with, judged only where AppArmor is enabled. */
  apparmor: string | null;
  /** own: a cgroup other than the reference's; limits: files that must read this value. */
  cgroup: { own: boolean | 'any'; limits: Partial<Record<'pids.max' | 'memory.max', string>> };
  maskedPaths: string[];
  readonlyPaths: string[];
  /** Its root is a filesystem pivot_root'ed into; readonly when the runtime mounts it so. */
  root: { readonly: boolean | 'any' };
}

// moby oci/caps/defaults.go DefaultCapabilities(); oci/defaults.go puts them in the bounding,
// permitted and effective sets (inheritable empty since moby 20.10.14, CVE-2022-24769).
export const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

// containers/common pkg/config DefaultCapabilities as containers.conf documents it since Podman
// 4: Docker's set without CAP_MKNOD, CAP_NET_RAW and CAP_AUDIT_WRITE.
const PODMAN_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
  'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

// The paths every runtime's default spec masks (runc `runc spec`, moby oci/defaults.go): a file
// gets /dev/null bound over it, a directory an empty read-only tmpfs.
const OCI_MASKED = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];
// ... and bind read-only onto themselves.
const OCI_READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const caps = (list: string[], ambient: CapList = []): Profile['caps'] => ({ effective: list, permitted: list, inheritable: [], bounding: list, ambient });

const docker: Profile = {
  name: 'docker',
  source: "Docker Engine's defaults for `docker run` (moby oci/defaults.go, oci/caps/defaults.go; Engine 25+ also masks /sys/devices/virtual/powercap)",
  // moby creates a cgroup namespace by default only on a cgroup v2 host ("private" cgroupns mode).
  namespaces: { user: 'shared', mnt: 'own', pid: 'own', uts: 'own', ipc: 'own', net: 'own', cgroup: 'own-on-cgroup2', time: 'shared' },
  idMap: 'shared',
  uid: 0,
  caps: caps(DOCKER_CAPS),
  // Off unless the daemon or the container asks for --security-opt no-new-privileges.
  noNewPrivs: false,
  seccomp: 'filter',
  apparmor: 'docker-default',
  cgroup: { own: true, limits: {} },
  maskedPaths: [...OCI_MASKED, '/sys/devices/virtual/powercap'],
  readonlyPaths: OCI_READONLY,
  root: { readonly: false },
};

const podman: Profile = {
  name: 'podman',
  source: "Podman's defaults for a rootful `podman run` (containers/common pkg/config default.go and containers.conf)",
  namespaces: { user: 'shared', mnt: 'own', pid: 'own', uts: 'own', ipc: 'own', net: 'own', cgroup: 'own-on-cgroup2', time: 'shared' },
  idMap: 'shared',
  uid: 0,
  caps: caps(PODMAN_CAPS),
  noNewPrivs: false,
  seccomp: 'filter',
  apparmor: 'containers-default',
  // DefaultPidsLimit = 2048 applies only where Podman can set it (a cgroup v2 host); not judged.
  cgroup: { own: true, limits: {} },
  maskedPaths: OCI_MASKED,
  readonlyPaths: OCI_READONLY,
  root: { readonly: false },
};

// `runc spec` of runc 1.1 (Debian 12): capabilities AUDIT_WRITE, KILL and NET_BIND_SERVICE in
// bounding, effective, permitted and ambient; no seccomp; noNewPrivileges true; root read-only.
// Ambient is listed in the spec but the kernel keeps a capability ambient only while it is
// permitted and inheritable (capabilities(7)), and the spec leaves inheritable empty: so none.
const RUNC_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const runc: Profile = {
  name: 'runc',
  source: '`runc spec` (runc 1.1): the config.json runc writes for a root-owned bundle',
  namespaces: { user: 'shared', mnt: 'own', pid: 'own', uts: 'own', ipc: 'own', net: 'own', cgroup: 'shared', time: 'shared' },
  idMap: 'shared',
  uid: 0,
  caps: caps(RUNC_CAPS),
  noNewPrivs: true,
  seccomp: 'none',
  apparmor: 'unconfined',
  cgroup: { own: true, limits: {} },
  maskedPaths: OCI_MASKED,
  readonlyPaths: OCI_READONLY,
  root: { readonly: true },
};

const runcRootless: Profile = {
  ...runc,
  name: 'runc-rootless',
  source: '`runc spec --rootless` (runc 1.1): a user namespace mapping uid and gid 0 to the one user who runs it, no network namespace',
  namespaces: { ...runc.namespaces, user: 'own', net: 'shared' },
  idMap: 'one-id',
  // Without a delegated cgroup runc leaves it where it started, and says nothing.
  cgroup: { own: 'any', limits: {} },
};

export const PROFILES: Record<string, Profile> = { docker, podman, runc, 'runc-rootless': runcRootless };
export const PROFILE_NAMES = Object.keys(PROFILES);

export function builtinProfile(name: string): Profile | undefined {
  return Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined;
}

// ---- An OCI runtime config (config.json) as a profile ----

const OCI_NS: Record<string, NsKindName> = { pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', user: 'user', cgroup: 'cgroup', time: 'time' };

type OciMapping = { containerID: number; hostID: number; size: number };

interface OciConfig {
  process?: {
    user?: { uid?: number };
    capabilities?: Partial<Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]>>;
    noNewPrivileges?: boolean;
    apparmorProfile?: string;
  };
  root?: { readonly?: boolean };
  linux?: {
    namespaces?: { type: string; path?: string }[];
    uidMappings?: OciMapping[];
    gidMappings?: OciMapping[];
    seccomp?: unknown;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    cgroupsPath?: string;
    resources?: { pids?: { limit?: number }; memory?: { limit?: number } };
  };
}

/** Throws an Error whose message says what is wrong with the file, for the CLI to show. */
export function profileFromOci(config: unknown, name = 'config.json'): Profile {
  if (!config || typeof config !== 'object') throw new Error(`${name} is not a JSON object`);
  const c = config as OciConfig;
  if (!c.process && !c.linux) throw new Error(`${name} has neither "process" nor "linux": it is not an OCI runtime config (runc spec writes one)`);
  const namespaces = Object.fromEntries(NS_KIND_NAMES.map((k) => [k, 'shared'])) as Record<NsKindName, NsExpectation>;
  for (const ns of c.linux?.namespaces ?? []) {
    const kind = OCI_NS[ns.type];
    // A namespace joined by path is some other process's: nothing to say from the config alone.
    if (kind) namespaces[kind] = ns.path ? 'any' : 'own';
  }
  const set = (k: keyof NonNullable<NonNullable<OciConfig['process']>['capabilities']>): string[] => [...(c.process?.capabilities?.[k] ?? [])].sort();
  const uid = c.process?.user?.uid ?? 0;
  const inh = set('inheritable');
  let prm = set('permitted');
  // The kernel's invariant (capabilities(7)): ambient is a subset of permitted and inheritable.
  const amb = set('ambient').filter((x) => prm.includes(x) && inh.includes(x));
  // A non-root uid loses permitted and effective at execve, keeping only ambient (no file caps).
  let eff = set('effective');
  if (uid !== 0) prm = eff = amb;
  const maps = (m: OciMapping[] | undefined): IdMapping[] =>
    (m ?? []).map((x) => ({ inside: x.containerID, outside: x.hostID, count: x.size }));
  const userOwn = namespaces.user === 'own';
  const limits: Profile['cgroup']['limits'] = {};
  const res = c.linux?.resources;
  if (res?.pids?.limit !== undefined) limits['pids.max'] = res.pids.limit > 0 ? String(res.pids.limit) : 'max';
  if (res?.memory?.limit !== undefined) limits['memory.max'] = res.memory.limit > 0 ? String(res.memory.limit) : 'max';
  return {
    name,
    source: `the OCI runtime config ${name}`,
    namespaces,
    idMap: userOwn ? { uid: maps(c.linux?.uidMappings), gid: maps(c.linux?.gidMappings) } : 'shared',
    uid,
    caps: { effective: eff, permitted: prm, inheritable: inh, bounding: set('bounding'), ambient: amb },
    noNewPrivs: c.process?.noNewPrivileges === true,
    seccomp: c.linux?.seccomp ? 'filter' : 'none',
    apparmor: c.process?.apparmorProfile || 'unconfined',
    // A rootless runtime without a delegated cgroup stays in its caller's (runc warns only when
    // a limit asks for one); as root it always makes one.
    cgroup: { own: userOwn ? (Object.keys(limits).length ? true : 'any') : true, limits },
    maskedPaths: c.linux?.maskedPaths ?? [],
    readonlyPaths: c.linux?.readonlyPaths ?? [],
    root: { readonly: c.root?.readonly === true },
  };
}

/** A profile with some points changed: `what` says which, in a few words (an exercise's variant). */
export function variant(base: Profile, what: string, changes: Partial<Omit<Profile, 'name' | 'source'>>): Profile {
  return { ...base, ...changes, name: `${base.name} + ${what}`, source: `${base.source}; here with ${what}` };
}
