// How a process is confined, point by point, against a runtime's profile: its namespaces, id
// maps, capabilities, no_new_privs, seccomp, LSM label, cgroup, masked and read-only paths, and
// its root. Everything is read from the host's /proc as the caller may see it (never ptrace, no
// signal): readConfinement() gathers plain data, judgeConfinement() compares it with a Profile.
// `nslab inspect` and the lessons' exercise checks share both, so they cannot disagree.
import { lstatSync, readFileSync } from 'node:fs';
import {
  allCapsMask,
  capLastCap,
  cgroupLayout,
  decodeCaps,
  hostLsm,
  parseCgroup,
  parseMountinfo,
  readCgroupLimits,
  readGidMap,
  readLsmLabel,
  readMountinfo,
  readNs,
  readStatus,
  readUidMap,
  statPath,
  type CgroupLimit,
  type LsmLabel,
  type MountEntry,
} from '../proc/index.js';
import type { ProcessView } from '../lessons/types.js';
import { InspectError, inspectProcess, type HostBaseline } from './inspect.js';
import { NS_KIND_NAMES, type CapList, type IdMapping, type NsExpectation, type Profile } from './profiles.js';

export { InspectError };

/** The process a container's namespaces and root are compared with: the caller by default
 * (nslab on the host), or the shell an exercise runs in. */
export interface Reference {
  pid: number | 'self';
  label: string;
  ns: Record<string, string>;
  root: { dev: number; ino: number };
  rootMount: MountEntry | null;
  uidMap: string[];
  gidMap: string[];
  cgroup: string[];
}

export type PointId = 'namespaces' | 'user' | 'capabilities' | 'no-new-privs' | 'seccomp' | 'lsm' | 'cgroup' | 'masked-paths' | 'readonly-paths' | 'root';
export const POINT_IDS: readonly PointId[] = ['namespaces', 'user', 'capabilities', 'no-new-privs', 'seccomp', 'lsm', 'cgroup', 'masked-paths', 'readonly-paths', 'root'];

export interface PathFact {
  path: string;
  state: 'file' | 'dir' | 'char' | 'missing' | 'error';
  error?: string;
  /** 'major:minor' of a character device. */
  rdev?: string;
  /** The mount a lookup of the path meets (the last one at the longest mount point above it). */
  mount: { raw: string; mountPoint: string; fsType: string; readonly: boolean } | null;
  /** Does the reference see the path? A path absent for both has nothing to hide. */
  inReference: boolean;
}

export interface ConfinementFacts {
  pid: number;
  comm: string;
  cmdline: string[];
  reference: { pid: number | 'self'; label: string };
  host: { apparmor: boolean; selinux: boolean; lsmEvidence: string[]; cgroup: 'v1' | 'v2' | 'hybrid' | 'none' };
  ns: { kind: string; link: string; ref: string | null }[];
  ids: { uidMap: string[]; gidMap: string[]; refUidMap: string[]; refGidMap: string[]; uidLine: string; gidLine: string; uid: number[]; uidInside: number | null };
  caps: ProcessView['caps'] & { lines: string[]; all: string[] };
  noNewPrivs: { value: boolean; line: string };
  seccomp: { mode: number; filters: number | null; lines: string[] };
  lsm: LsmLabel;
  cgroup: { lines: string[]; refLines: string[]; limits: CgroupLimit[] };
  paths: PathFact[];
  root: {
    dev: number;
    ino: number;
    ref: { dev: number; ino: number };
    parent: { dev: number; ino: number };
    isReference: boolean;
    isTop: boolean;
    /** Mounts of the reference's whole root filesystem still visible to it. */
    referenceTree: string[];
    mount: string | null;
    readonly: boolean | null;
  };
}

const readLines = (path: string): string[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim());

function topAt(mounts: MountEntry[], point: string): MountEntry | null {
  let found: MountEntry | null = null;
  for (const m of mounts) if (m.mountPoint === point) found = m;
  return found;
}

/** The reference's view; throws InspectError when its /proc cannot be read. */
export function readReference(pid: number | 'self' = 'self', label?: string): Reference {
  try {
    const ns: Record<string, string> = {};
    for (const [k, v] of Object.entries(readNs(pid))) ns[k] = v.link;
    const mounts = pid === 'self' ? readMountinfo() : parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
    return {
      pid,
      label: label ?? (pid === 'self' ? `nslab itself (PID ${process.pid})` : `PID ${pid}`),
      ns,
      root: statPath(pid === 'self' ? '/' : `/proc/${pid}/root`),
      rootMount: topAt(mounts, '/'),
      uidMap: readUidMap(pid).map((l) => l.raw.trim().replace(/\s+/g, ' ')),
      gidMap: readGidMap(pid).map((l) => l.raw.trim().replace(/\s+/g, ' ')),
      cgroup: readLines(`/proc/${pid}/cgroup`),
    };
  } catch (err) {
    throw new InspectError(typeof pid === 'number' ? pid : process.pid, (err as NodeJS.ErrnoException).code ?? 'EIO', `Cannot read the reference process ${pid}: ${(err as Error).message}`);
  }
}

function baselineOf(ref: Reference): HostBaseline {
  const m = ref.rootMount;
  return {
    ns: ref.ns,
    root: ref.root,
    rootMount: m
      ? { mountPoint: m.mountPoint, root: m.root, dev: `${m.major}:${m.minor}`, fsType: m.fsType, source: m.source, propagation: m.propagation, raw: m.raw }
      : null,
  };
}

/** The mount a lookup of `path` meets: the deepest mount point on its way, the last one there. */
function mountFor(mounts: MountEntry[], path: string): MountEntry | null {
  let best: MountEntry | null = null;
  for (const m of mounts) {
    const p = m.mountPoint;
    const under = p === '/' || path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`);
    if (under && (!best || p.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

function probePath(pid: number, ref: Reference, mounts: MountEntry[], path: string): PathFact {
  const m = mountFor(mounts, path);
  const mount = m ? { raw: m.raw, mountPoint: m.mountPoint, fsType: m.fsType, readonly: m.options.includes('ro') } : null;
  const refPath = ref.pid === 'self' ? path : `/proc/${ref.pid}/root${path}`;
  let inReference = false;
  try {
    lstatSync(refPath);
    inReference = true;
  } catch {
    inReference = false;
  }
  try {
    // Through the magic link /proc/PID/root, a lookup walks the process's own mount tree.
    const st = lstatSync(`/proc/${pid}/root${path}`);
    if (st.isCharacterDevice()) {
      const r = st.rdev;
      return { path, state: 'char', rdev: `${Math.floor(r / 256) & 0xfff}:${(r & 0xff) | ((Math.floor(r / 4096) & ~0xff) >>> 0)}`, mount, inReference };
    }
    return { path, state: st.isDirectory() ? 'dir' : 'file', mount, inReference };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return code === 'ENOENT' ? { path, state: 'missing', mount, inReference } : { path, state: 'error', error: code, mount, inReference };
  }
}

/**
 * Everything the points are judged on, for one process. `paths` are the ones to probe (the
 * profile's masked and read-only paths). Throws InspectError, with one sentence, when the
 * process cannot be read (gone, or the kernel's ptrace read check says no).
 */
export function readConfinement(pid: number, paths: string[], ref: Reference = readReference()): ConfinementFacts {
  const view = inspectProcess(pid, baselineOf(ref));
  try {
    const st = readStatus(pid);
    const mounts = parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
    const lsm = hostLsm();
    const layout = cgroupLayout();
    const cgLines = readLines(`/proc/${pid}/cgroup`);
    const rootMount = topAt(mounts, '/');
    const last = capLastCap();
    return {
      pid,
      comm: view.comm,
      cmdline: view.cmdline,
      reference: { pid: ref.pid, label: ref.label },
      host: { apparmor: lsm.apparmor, selinux: lsm.selinux, lsmEvidence: lsm.evidence, cgroup: layout.kind },
      ns: Object.keys(view.ns)
        .filter((k) => !k.endsWith('_for_children'))
        .map((kind) => ({ kind, link: view.ns[kind]!, ref: ref.ns[kind] ?? null })),
      ids: {
        uidMap: view.uidMap.map((l) => l.trim().replace(/\s+/g, ' ')),
        gidMap: readGidMap(pid).map((l) => l.raw.trim().replace(/\s+/g, ' ')),
        refUidMap: ref.uidMap,
        refGidMap: ref.gidMap,
        uidLine: st.line('Uid'),
        gidLine: st.line('Gid'),
        uid: view.uid,
        uidInside: view.uidInside,
      },
      caps: { ...view.caps, lines: ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'].map((k) => st.line(k)), all: decodeCaps(allCapsMask(last), last) },
      noNewPrivs: { value: st.noNewPrivs, line: st.line('NoNewPrivs') || 'NoNewPrivs: (no such line: kernel before 4.10)' },
      seccomp: { mode: st.seccomp, filters: st.seccompFilters, lines: [st.line('Seccomp'), st.line('Seccomp_filters')].filter(Boolean) },
      lsm: readLsmLabel(pid),
      cgroup: { lines: [...cgLines.filter((l) => l.startsWith('0::')), ...cgLines.filter((l) => !l.startsWith('0::'))], refLines: ref.cgroup, limits: readCgroupLimits(parseCgroup(cgLines.join('\n')), layout) },
      paths: [...new Set(paths)].map((p) => probePath(pid, ref, mounts, p)),
      root: {
        dev: view.root.dev,
        ino: view.root.ino,
        ref: ref.root,
        parent: view.rootParent,
        isReference: view.rootIsHost,
        isTop: view.rootIsTop,
        referenceTree: view.hostTreeMounts.map((m) => m.raw),
        mount: rootMount?.raw ?? null,
        readonly: rootMount ? rootMount.options.includes('ro') : null,
      },
    };
  } catch (err) {
    if (err instanceof InspectError) throw err;
    // inspectProcess read the same files a moment ago: the process most likely just exited.
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new InspectError(pid, code, `Process ${pid} could not be read to the end (${code}): it probably exited meanwhile; check the PID with ps.`);
  }
}

// ---- Judging ----

export interface PointResult {
  id: PointId;
  expected: string;
  observed: string;
  evidence: string[];
  pass: boolean;
  /** False when the point does not apply here (no AppArmor on this host): it passes, saying so. */
  applies: boolean;
  hint?: string;
}

/** Who the hints talk to: someone running a runtime (its options), or someone building a
 * container by hand in a shell (the commands). */
export type HintStyle = 'runtime' | 'by-hand';

export interface JudgeOptions {
  /** Only these points, in this order (default: all). */
  points?: readonly PointId[];
  hints?: HintStyle;
}

const list = (xs: string[]): string => (xs.length ? xs.join(' ') : '(none)');
const short = (c: string): string => c.replace(/^CAP_/, '').toLowerCase();

function expectNs(e: NsExpectation, host: ConfinementFacts['host']): 'own' | 'shared' | 'any' {
  if (e !== 'own-on-cgroup2') return e;
  return host.cgroup === 'v2' ? 'own' : 'shared';
}

const UNSHARE_FLAG: Record<string, string> = { mnt: '--mount', uts: '--uts', ipc: '--ipc', net: '--net', pid: '--pid --fork', user: '--user', cgroup: '--cgroup', time: '--time' };
const RUNTIME_NS: Record<string, string> = { pid: '--pid=host', net: '--network=host', ipc: '--ipc=host', uts: '--uts=host', user: '--userns', cgroup: '--cgroupns' };

function judgeNamespaces(f: ConfinementFacts, p: Profile, h: HintStyle): Omit<PointResult, 'id'> {
  const rows = f.ns.filter((n) => (NS_KIND_NAMES as readonly string[]).includes(n.kind));
  const wrong: { kind: string; want: 'own' | 'shared'; got: 'own' | 'shared' }[] = [];
  const own: string[] = [];
  const shared: string[] = [];
  for (const n of rows) {
    const got = n.ref !== null && n.ref === n.link ? 'shared' : 'own';
    (got === 'own' ? own : shared).push(n.kind);
    const want = expectNs(p.namespaces[n.kind as keyof Profile['namespaces']], f.host);
    if (want !== 'any' && want !== got) wrong.push({ kind: n.kind, want, got });
  }
  const wantOwn = rows.map((n) => n.kind).filter((k) => expectNs(p.namespaces[k as keyof Profile['namespaces']], f.host) === 'own');
  const hint = (): string => {
    const w = wrong[0]!;
    const more = wrong.length > 1 ? ` (and ${wrong.slice(1).map((x) => x.kind).join(', ')})` : '';
    if (h === 'by-hand')
      return w.want === 'own'
        ? `its ${w.kind} namespace is ${f.reference.label}'s${more}: create ${wrong.filter((x) => x.want === 'own').length > 1 ? 'them' : 'it'} with unshare ${wrong.filter((x) => x.want === 'own').map((x) => UNSHARE_FLAG[x.kind] ?? `--${x.kind}`).join(' ')}`
        : `it has a ${w.kind} namespace of its own${more}, which ${p.name} does not make: leave out unshare ${UNSHARE_FLAG[w.kind] ?? `--${w.kind}`}`;
    return w.want === 'own'
      ? `its ${w.kind} namespace is ${f.reference.label}'s${more}: that is what ${RUNTIME_NS[w.kind] ?? `sharing the ${w.kind} namespace`} does; ${p.name} gives a container its own`
      : `it has a ${w.kind} namespace of its own${more}, which ${p.name} does not create by default`;
  };
  return {
    expected: `own: ${list(wantOwn)}; the rest shared with ${f.reference.label}`,
    observed: `own: ${list(own)}; shared: ${list(shared)}`,
    evidence: rows.map((n) => `ns/${n.kind} -> ${n.link}${n.ref === n.link ? '  (same as the reference)' : n.ref ? `  (reference: ${n.ref})` : ''}`),
    pass: wrong.length === 0,
    applies: true,
    ...(wrong.length ? { hint: hint() } : {}),
  };
}

const mapText = (m: IdMapping[]): string[] => m.map((l) => `${l.inside} ${l.outside} ${l.count}`);

function judgeUser(f: ConfinementFacts, p: Profile, h: HintStyle): Omit<PointResult, 'id'> {
  const { ids } = f;
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  let mapOk: boolean;
  let want: string;
  if (p.idMap === 'shared') {
    mapOk = same(ids.uidMap, ids.refUidMap) && same(ids.gidMap, ids.refGidMap);
    want = `the reference's uid_map (${list(ids.refUidMap)})`;
  } else if (p.idMap === 'one-id') {
    const real = ids.uid[0];
    mapOk = ids.uidMap.length === 1 && ids.uidMap[0] === `0 ${real} 1` && ids.gidMap.length === 1 && /^0 \d+ 1$/.test(ids.gidMap[0]!);
    want = `uid 0 mapped to its owner's one id (0 ${real} 1)`;
  } else {
    mapOk = same(ids.uidMap, mapText(p.idMap.uid)) && same(ids.gidMap, mapText(p.idMap.gid));
    want = `uid_map ${list(mapText(p.idMap.uid))}, gid_map ${list(mapText(p.idMap.gid))}`;
  }
  const uidOk = ids.uidInside === p.uid;
  const pass = mapOk && uidOk;
  const hint = !uidOk
    ? `it runs as uid ${ids.uidInside ?? '(unmapped)'} inside, not ${p.uid}${h === 'by-hand' ? ': stay root in the shell\'s user namespace (no setpriv --reuid)' : ''}`
    : p.idMap === 'shared'
      ? `it has an id mapping of its own (${list(ids.uidMap)}) where ${p.name} keeps the reference's: ${h === 'by-hand' ? 'do not unshare --user' : 'a user namespace (--userns-remap, rootless mode) changes the mapping'}`
      : `its uid_map is ${list(ids.uidMap)}, gid_map ${list(ids.gidMap)}: not what ${p.name} writes`;
  return {
    expected: `uid ${p.uid} inside; ${want}`,
    observed: `uid ${ids.uidInside ?? 'unmapped'} inside (${ids.uid[1]} on the host); uid_map ${list(ids.uidMap)}`,
    evidence: [ids.uidLine, ids.gidLine, ...ids.uidMap.map((l) => `uid_map: ${l}`), ...ids.gidMap.map((l) => `gid_map: ${l}`)],
    pass,
    applies: true,
    ...(pass ? {} : { hint }),
  };
}

const SETS = ['effective', 'permitted', 'inheritable', 'bounding', 'ambient'] as const;

function judgeCaps(f: ConfinementFacts, p: Profile, h: HintStyle): Omit<PointResult, 'id'> {
  const wantOf = (c: CapList): string[] => (c === 'all' ? f.caps.all : [...c]).filter((x) => f.caps.all.includes(x) || !/^CAP_/.test(x));
  const diffs: { set: string; extra: string[]; missing: string[] }[] = [];
  for (const s of SETS) {
    const want = wantOf(p.caps[s]);
    const got = f.caps[s];
    const extra = got.filter((x) => !want.includes(x));
    const missing = want.filter((x) => !got.includes(x));
    if (extra.length || missing.length) diffs.push({ set: s, extra, missing });
  }
  const describe = (c: CapList): string => (c === 'all' ? 'every capability' : c.length ? `${c.length}` : 'none');
  const d = diffs[0];
  const pass = diffs.length === 0;
  const signed = d ? [...d.extra.map((x) => `+${short(x)}`), ...d.missing.map((x) => `-${short(x)}`)] : [];
  // A set that is off by a lot (everything kept, everything dropped) is named by its size.
  const change = signed.length > 6 ? `${signed.slice(0, 4).join(' ')} ... (${[d!.extra.length ? `${d!.extra.length} extra` : '', d!.missing.length ? `${d!.missing.length} missing` : ''].filter(Boolean).join(', ')})` : signed.join(' ');
  let hint = '';
  if (d) {
    const wantB = wantOf(p.caps.bounding).map(short).join(',');
    if (h === 'by-hand')
      hint =
        d.set === 'inheritable' || d.set === 'ambient'
          ? `its ${d.set} set differs by ${change}: setpriv --inh-caps -all clears the inheritable set (and with it what can be ambient)`
          : `its ${d.set} set differs from the ${p.name} profile's by ${change}: run the last program through setpriv --inh-caps -all --bounding-set -all,+${wantB.replace(/,/g, ',+')} (as root, an execve then makes permitted and effective equal to the bounding set)`;
    else {
      // One option per capability: spelled out for a few, named for many.
      const opt = (flag: string, xs: string[]): string => (xs.length <= 3 ? xs.map((x) => `${flag} ${short(x)}`).join(' ') : `${flag} once for each`);
      hint = d.extra.length
        ? `its ${d.set} set has ${d.extra.map(short).join(', ')} beyond ${p.name}'s: that is ${opt('--cap-add', d.extra)}${d.extra.length > 10 ? ' (or --privileged)' : ''}`
        : `its ${d.set} set lacks ${d.missing.map(short).join(', ')}: that is ${opt('--cap-drop', d.missing)}`;
    }
  }
  return {
    expected: `effective, permitted, bounding: ${describe(p.caps.effective)}${p.caps.effective === 'all' ? '' : ` (${p.name}'s set)`}; inheritable ${describe(p.caps.inheritable)}, ambient ${describe(p.caps.ambient)}`,
    observed: pass ? `as expected (${f.caps.effective.length} effective)` : `${d!.set} differs: ${change}`,
    evidence: f.caps.lines,
    pass,
    applies: true,
    ...(pass ? {} : { hint }),
  };
}

function judgeNnp(f: ConfinementFacts, p: Profile, h: HintStyle): Omit<PointResult, 'id'> {
  const pass = f.noNewPrivs.value === p.noNewPrivs;
  const hint = p.noNewPrivs
    ? h === 'by-hand'
      ? 'no_new_privs is off: add setpriv --no-new-privs (prctl PR_SET_NO_NEW_PRIVS) before the last execve; it is inherited and can never be turned off again'
      : 'no_new_privs is off: a setuid program inside can still gain privilege (--security-opt no-new-privileges sets it)'
    : `no_new_privs is on, which ${p.name} does not set by default (${h === 'by-hand' ? 'leave out setpriv --no-new-privs' : '--security-opt no-new-privileges sets it'})`;
  return {
    expected: `NoNewPrivs: ${p.noNewPrivs ? 1 : 0}`,
    observed: `NoNewPrivs: ${f.noNewPrivs.value ? 1 : 0}`,
    evidence: [f.noNewPrivs.line],
    pass,
    applies: true,
    ...(pass ? {} : { hint }),
  };
}

function judgeSeccomp(f: ConfinementFacts, p: Profile): Omit<PointResult, 'id'> {
  const { mode, filters } = f.seccomp;
  const seen = mode === 2 ? `filter mode, ${filters ?? 'unknown number of'} filter(s)` : mode === 1 ? 'strict mode' : 'no seccomp';
  const pass = p.seccomp === 'any' || (p.seccomp === 'filter' ? mode === 2 && (filters === null || filters > 0) : mode === 0);
  return {
    expected: p.seccomp === 'filter' ? 'Seccomp: 2 (a filter is loaded)' : p.seccomp === 'none' ? 'Seccomp: 0 (no filter)' : 'any',
    observed: seen,
    evidence: f.seccomp.lines,
    pass,
    applies: true,
    ...(pass
      ? {}
      : {
          hint:
            p.seccomp === 'filter'
              ? `no seccomp filter: every system call is open to it, which is what --security-opt seccomp=unconfined (or --privileged) gives`
              : `a seccomp filter is loaded (${seen}), which ${p.name} does not load by default`,
        }),
  };
}

function judgeLsm(f: ConfinementFacts, p: Profile): Omit<PointResult, 'id'> {
  const label = f.lsm.label;
  const evidence = [`${f.lsm.path}: ${label ?? `(${f.lsm.error ?? 'no label'})`}`, ...f.host.lsmEvidence];
  if (!f.host.apparmor || p.apparmor === null)
    return {
      expected: p.apparmor ? `AppArmor profile ${p.apparmor}, where AppArmor is enabled` : 'no AppArmor profile is set',
      observed: f.host.apparmor ? `label ${label ?? 'none'}` : `AppArmor is not enabled on this host${label ? ` (label: ${label})` : ''}`,
      evidence,
      pass: true,
      applies: false,
    };
  const name = (label ?? '').replace(/ \((enforce|complain|kill|unconfined)\)$/, '');
  const pass = name.startsWith(p.apparmor);
  return {
    expected: `AppArmor profile ${p.apparmor}`,
    observed: label ?? 'no label',
    evidence,
    pass,
    applies: true,
    ...(pass ? {} : { hint: `its AppArmor label is ${label ?? 'missing'}, not ${p.apparmor}${name === 'unconfined' ? ': --security-opt apparmor=unconfined (or --privileged) gives that' : ''}` }),
  };
}

function judgeCgroup(f: ConfinementFacts, p: Profile): Omit<PointResult, 'id'> {
  const own = [...f.cgroup.lines].sort().join('\n') !== [...f.cgroup.refLines].sort().join('\n');
  const limitsWrong = Object.entries(p.cgroup.limits).filter(([k, v]) => f.cgroup.limits.find((l) => l.name === k)?.value !== v);
  const ownOk = p.cgroup.own === 'any' || p.cgroup.own === own;
  const pass = ownOk && limitsWrong.length === 0;
  const limits = f.cgroup.limits.map((l) => `${l.name} ${l.value ?? '(unreadable)'}`).join(', ');
  const want = [p.cgroup.own === 'any' ? 'any cgroup' : p.cgroup.own ? `a cgroup other than ${f.reference.label}'s` : `${f.reference.label}'s cgroup`, ...Object.entries(p.cgroup.limits).map(([k, v]) => `${k} ${v}`)];
  return {
    expected: want.join('; '),
    observed: `${own ? 'its own cgroup' : "the reference's cgroup"}${limits ? `; ${limits}` : ''}`,
    evidence: [...f.cgroup.lines.slice(0, 3), ...(f.cgroup.lines.length > 3 ? [`(${f.cgroup.lines.length - 3} more hierarchies)`] : []), ...f.cgroup.limits.map((l) => `${l.file}: ${l.value ?? '(unreadable)'}`)],
    pass,
    applies: true,
    ...(pass
      ? {}
      : {
          hint: !ownOk
            ? own
              ? `it has a cgroup of its own where ${p.name} leaves it in the reference's`
              : `it is in the same cgroup as ${f.reference.label}, so no limit of its own can apply: ${p.name} puts each container in a cgroup of its own`
            : `${limitsWrong.map(([k, v]) => `${k} is ${f.cgroup.limits.find((l) => l.name === k)?.value ?? 'not readable'}, not ${v}`).join('; ')}`,
        }),
  };
}

/** What a lookup of the path found, with the mount it met: the evidence line. */
function pathState(x: PathFact): string {
  if (x.state === 'missing') return x.inReference ? 'missing here, though the reference has it' : 'not on this kernel (the reference has none either)';
  if (x.state === 'error') return `cannot be looked up (${x.error})`;
  const what = x.state === 'char' ? `character device ${x.rdev}` : x.state === 'dir' ? 'directory' : 'file';
  return `${what}; mount: ${x.mount?.raw ?? '(none)'}`;
}

function isMasked(x: PathFact): boolean {
  if (x.state === 'char') return x.rdev === '1:3';
  if (x.state === 'dir') return !!x.mount && x.mount.mountPoint === x.path && x.mount.fsType === 'tmpfs' && x.mount.readonly;
  return false;
}

function judgeMasked(f: ConfinementFacts, p: Profile, h: HintStyle): Omit<PointResult, 'id'> {
  const facts = p.maskedPaths.map((path) => f.paths.find((x) => x.path === path)!).filter(Boolean);
  const open = facts.filter((x) => (x.state === 'missing' ? x.inReference : !isMasked(x)));
  const hidden = facts.filter((x) => x.state !== 'missing' && isMasked(x));
  const absent = facts.filter((x) => x.state === 'missing' && !x.inReference);
  const line = (x: PathFact): string => `${x.path}: ${pathState(x)}`;
  const first = open[0];
  let hint = '';
  if (first) {
    const dir = first.state === 'dir';
    const by = dir ? `mount -t tmpfs -o ro tmpfs ${first.path}` : `mount --bind /dev/null ${first.path}`;
    hint =
      first.state === 'missing'
        ? `${first.path} is missing in its view although the reference has it: mount ${first.path.startsWith('/sys') ? 'sysfs at /sys' : 'proc at /proc'} there first, then mask it`
        : h === 'by-hand'
          ? `${first.path} is readable in full${open.length > 1 ? ` (so are ${open.length - 1} more: ${open.slice(1).map((x) => x.path).join(', ')})` : ''}: ${by}`
          : `${first.path} is not masked${open.length > 1 ? `, nor ${open.slice(1).map((x) => x.path).join(', ')}` : ''}: a runtime masks each with ${dir ? 'an empty read-only tmpfs' : '/dev/null bound over it'}; --privileged and --security-opt systempaths=unconfined leave them open`;
  }
  return {
    expected: `each of ${p.maskedPaths.length} paths hidden (a file under /dev/null, a directory under an empty read-only tmpfs) where this kernel has it`,
    observed: `${hidden.length} hidden, ${absent.length} not on this kernel, ${open.length} open${first ? ` (${open.map((x) => x.path).join(', ')})` : ''}`,
    evidence: facts.map(line),
    pass: open.length === 0,
    applies: true,
    ...(first ? { hint } : {}),
  };
}

function judgeReadonly(f: ConfinementFacts, p: Profile, h: HintStyle): Omit<PointResult, 'id'> {
  const facts = p.readonlyPaths.map((path) => f.paths.find((x) => x.path === path)!).filter(Boolean);
  const writable = facts.filter((x) => (x.state === 'missing' ? x.inReference : !x.mount?.readonly));
  const first = writable[0];
  return {
    expected: `each of ${p.readonlyPaths.length} paths on a read-only mount`,
    observed: first ? `writable: ${writable.map((x) => x.path).join(', ')}` : `all ${facts.length} read-only (or not on this kernel)`,
    evidence: facts.map((x) => `${x.path}: ${pathState(x)}`),
    pass: writable.length === 0,
    applies: true,
    ...(first
      ? {
          hint:
            first.state === 'missing'
              ? `${first.path} is missing in its view although the reference has it: mount proc at /proc first`
              : h === 'by-hand'
                ? `${first.path} is on a writable mount (${first.mount?.mountPoint ?? '?'}): bind it onto itself and remount that bind read-only: mount --bind ${first.path} ${first.path} && mount -o remount,bind,ro ${first.path}`
                : `${first.path} is writable from inside: its mount (${first.mount?.mountPoint ?? '?'}) is rw, as under --privileged`,
        }
      : {}),
  };
}

function judgeRoot(f: ConfinementFacts, p: Profile, h: HintStyle): Omit<PointResult, 'id'> {
  const r = f.root;
  const roOk = p.root.readonly === 'any' || r.readonly === p.root.readonly;
  const pass = !r.isReference && r.isTop && r.referenceTree.length === 0 && roOk;
  const hint = r.isReference
    ? `its root is ${f.reference.label}'s own /: ${h === 'by-hand' ? 'pivot_root into "$NSLAB_ROOTFS" (bound onto itself first)' : 'a container gets a root filesystem of its own'}`
    : !r.isTop
      ? `something is above its root ('..' leads elsewhere): that is a chroot, and the reference's tree is still around it; ${h === 'by-hand' ? 'use pivot_root instead' : 'runtimes pivot_root (runc --no-pivot does not)'}`
      : r.referenceTree.length
        ? `${f.reference.label}'s root filesystem is still mounted in its view (${r.referenceTree.length} mount(s)): ${h === 'by-hand' ? 'umount -l the old root after pivot_root' : 'the old root was not detached'}`
        : `its root is mounted ${r.readonly ? 'read-only' : 'read-write'}, where ${p.name} mounts it ${p.root.readonly ? 'read-only' : 'read-write'}`;
  return {
    expected: `a root of its own, pivoted into (nothing above it, no old root left)${p.root.readonly === 'any' ? '' : `, mounted ${p.root.readonly ? 'read-only' : 'read-write'}`}`,
    observed: r.isReference ? "the reference's own /" : `dev ${r.dev}, ino ${r.ino}${r.isTop ? '' : ', with a parent above it'}${r.referenceTree.length ? `, old root still mounted` : ''}${r.readonly === null ? '' : r.readonly ? ', read-only' : ', read-write'}`,
    evidence: [
      `/proc/${f.pid}/root: dev ${r.dev}, ino ${r.ino}; its '..': dev ${r.parent.dev}, ino ${r.parent.ino}`,
      `reference's /: dev ${r.ref.dev}, ino ${r.ref.ino}`,
      ...(r.mount ? [r.mount] : []),
      ...r.referenceTree,
    ],
    pass,
    applies: true,
    ...(pass ? {} : { hint }),
  };
}

/** Every point of `profile` judged on `facts`, in the order asked for. */
export function judgeConfinement(facts: ConfinementFacts, profile: Profile, opts: JudgeOptions = {}): PointResult[] {
  const h = opts.hints ?? 'runtime';
  const judges: Record<PointId, () => Omit<PointResult, 'id'>> = {
    namespaces: () => judgeNamespaces(facts, profile, h),
    user: () => judgeUser(facts, profile, h),
    capabilities: () => judgeCaps(facts, profile, h),
    'no-new-privs': () => judgeNnp(facts, profile, h),
    seccomp: () => judgeSeccomp(facts, profile),
    lsm: () => judgeLsm(facts, profile),
    cgroup: () => judgeCgroup(facts, profile),
    'masked-paths': () => judgeMasked(facts, profile, h),
    'readonly-paths': () => judgeReadonly(facts, profile, h),
    root: () => judgeRoot(facts, profile, h),
  };
  return (opts.points ?? POINT_IDS).map((id) => ({ id, ...judges[id]() }));
}

export interface InspectReport {
  pid: number;
  comm: string;
  cmdline: string[];
  profile: { name: string; source: string };
  reference: { pid: number | 'self'; label: string };
  pass: boolean;
  points: PointResult[];
}

/** Reads and judges one process: what `nslab inspect` prints. */
export function inspectConfinement(pid: number, profile: Profile, opts: JudgeOptions & { reference?: Reference } = {}): InspectReport {
  const facts = readConfinement(pid, [...profile.maskedPaths, ...profile.readonlyPaths], opts.reference ?? readReference());
  const points = judgeConfinement(facts, profile, opts);
  return { pid, comm: facts.comm, cmdline: facts.cmdline, profile: { name: profile.name, source: profile.source }, reference: facts.reference, pass: points.every((x) => x.pass), points };
}

/** What the profile sets for a point, in one line, before any process is looked at (the
 * `expected` column of a lesson's check table). */
export function describePoint(p: Profile, id: PointId): string {
  const own = (Object.keys(p.namespaces) as (keyof Profile['namespaces'])[]).filter((k) => p.namespaces[k] === 'own' || p.namespaces[k] === 'own-on-cgroup2');
  const caps = (c: CapList): string => (c === 'all' ? 'every capability' : c.length ? `${c.length} capabilities` : 'none');
  switch (id) {
    case 'namespaces':
      return `namespaces of its own: ${own.join(' ')}; the others shared`;
    case 'user':
      return `uid ${p.uid} inside, ${p.idMap === 'shared' ? 'with the id mapping it started with' : 'in a user namespace of its own'}`;
    case 'capabilities':
      return `effective, permitted and bounding: ${caps(p.caps.bounding)}; inheritable and ambient: ${caps(p.caps.inheritable)}`;
    case 'no-new-privs':
      return `NoNewPrivs: ${p.noNewPrivs ? 1 : 0}`;
    case 'seccomp':
      return p.seccomp === 'filter' ? 'a seccomp filter' : p.seccomp === 'none' ? 'no seccomp filter' : 'any seccomp state';
    case 'lsm':
      return `AppArmor profile ${p.apparmor ?? 'none'} where AppArmor is enabled`;
    case 'cgroup':
      return p.cgroup.own === true ? 'a cgroup of its own' : p.cgroup.own === false ? 'the cgroup it started in' : 'any cgroup';
    case 'masked-paths':
      return `${p.maskedPaths.length} paths masked (${p.maskedPaths.slice(0, 3).join(', ')}, ...)`;
    case 'readonly-paths':
      return `read-only: ${p.readonlyPaths.join(', ')}`;
    case 'root':
      return `a root it was pivot_root'ed into, nothing of the old one left${p.root.readonly === 'any' ? '' : `, ${p.root.readonly ? 'read-only' : 'read-write'}`}`;
  }
}
