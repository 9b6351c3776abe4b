// Pictures drawn from observed state, never from a fixed drawing: the engine hands in what
// the experiment observed and the lesson only says which data to use (Diagram in types.ts).
import type { Diagram } from '../lessons/types.js';
import { parseMountinfo, type MountEntry } from '../proc/mountinfo.js';
import { padEnd, style, visibleWidth, type RenderOptions, type Style } from './color.js';
import { capExec } from './diagrams-caps.js';
import { cgroupTree } from './diagrams-cgroup.js';
import { netTopology } from './diagrams-net.js';
import { pathWalk } from './diagrams-pathwalk.js';
import { seccompFilter } from './diagrams-seccomp.js';
import { uidSteps } from './diagrams-uids.js';

/** Pictures are drawn for 80 columns at most, however wide the terminal: they stay readable
 * in a log, a projector's window or a pasted report. */
const MAX_WIDTH = 78;

export function renderDiagram(diagram: Diagram, obs: unknown, opts: RenderOptions = {}): string {
  const s = style(opts);
  const width = Math.min(MAX_WIDTH, s.width - 2);
  const title = diagram.title ?? DEFAULT_TITLE[diagram.kind];
  let body: string[];
  try {
    switch (diagram.kind) {
      case 'ns-tree':
        body = nsTree(diagram.from(obs), s);
        break;
      case 'mount-peers':
        body = mountPeers(diagram.from(obs), s);
        break;
      case 'process-tree':
        body = processTree(diagram.from(obs), s);
        break;
      case 'path-walk':
        body = pathWalk(diagram.from(obs), s, width);
        break;
      case 'cap-exec':
        body = capExec(diagram.from(obs), s);
        break;
      case 'uid-steps':
        body = uidSteps(diagram.from(obs), s, width);
        break;
      case 'net-topology':
        body = netTopology(diagram.from(obs), s, width);
        break;
      case 'cgroup-tree':
        body = cgroupTree(diagram.from(obs), s, width);
        break;
      case 'seccomp-filter':
        body = seccompFilter(diagram.from(obs), s, width);
        break;
      default:
        body = [s.dim(`(unknown diagram kind '${(diagram as { kind: string }).kind}')`)];
    }
  } catch (err) {
    body = [s.dim(`(diagram unavailable: ${(err as Error)?.message ?? String(err)})`)];
  }
  return [s.bold(title), ...body].join('\n') + '\n';
}

const DEFAULT_TITLE: Record<Diagram['kind'], string> = {
  'ns-tree': 'Namespaces',
  'mount-peers': 'Mount propagation',
  'process-tree': 'Processes',
  'path-walk': 'The path walk',
  'cap-exec': 'Capabilities through execve',
  'uid-steps': 'User ids, step by step',
  'net-topology': 'Network namespaces',
  'cgroup-tree': 'The cgroup',
  'seccomp-filter': 'The seccomp filter, call by call',
};

// ---------------------------------------------------------------- namespaces side by side

const NS_ORDER = ['user', 'mnt', 'pid', 'pid_for_children', 'uts', 'ipc', 'net', 'cgroup', 'time', 'time_for_children'];

/** 'mnt:[4026531841]' -> '4026531841'; anything else is shown as given. */
export function nsInode(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  const m = /^[a-z_]+:\[(\d+)\]$/.exec(link);
  return m ? m[1] : link;
}

function nsTree(entries: { label: string; ns: Record<string, string> }[], s: Style): string[] {
  if (entries.length === 0) return [s.dim('  (no namespaces observed)')];
  const kinds = [...new Set(entries.flatMap((e) => Object.keys(e.ns)))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const base = entries[0];
  const mark = s.unicode ? '◆' : '*';
  const kindW = Math.max('namespace'.length, ...kinds.map((k) => k.length));
  const colW = entries.map((e) => Math.max(visibleWidth(e.label), ...kinds.map((k) => (nsInode(e.ns[k]) ?? '-').length + 2)));
  const lines: string[] = [];
  lines.push('  ' + [padEnd(s.bold('namespace'), kindW), ...entries.map((e, i) => padEnd(s.bold(e.label), colW[i]))].join('   ').trimEnd());
  let anyDiff = false;
  for (const k of kinds) {
    const cells = entries.map((e, i) => {
      const v = nsInode(e.ns[k]);
      if (v === undefined) return padEnd(s.dim('-'), colW[i]);
      // Compared by the whole link: same link = same namespace (the kernel's (dev, ino)).
      const differs = i > 0 && e.ns[k] !== base.ns[k];
      if (differs) anyDiff = true;
      return padEnd(differs ? s.yellow(s.bold(`${v} ${mark}`)) : v, colW[i]);
    });
    lines.push('  ' + [padEnd(k, kindW), ...cells].join('   ').trimEnd());
  }
  lines.push(
    s.dim(
      anyDiff
        ? `  ${mark} differs from ${base.label}: a namespace of its own; the others are shared with ${base.label}`
        : `  every namespace is shared with ${base.label}`,
    ),
  );
  return lines;
}

function rank(kind: string): number {
  const i = NS_ORDER.indexOf(kind);
  return i < 0 ? NS_ORDER.length : i;
}

// ---------------------------------------------------------------- mount peer groups

function underFilter(mountPoint: string, filter: string | undefined): boolean {
  if (!filter || filter === '/') return true;
  const f = filter.replace(/\/+$/, '');
  return mountPoint === f || mountPoint.startsWith(f + '/');
}

type Member = { label: string; m: MountEntry };

function mountPeers(views: { label: string; mountinfo: string; filter?: string }[], s: Style): string[] {
  const members: Member[] = views.flatMap((v) => parseMountinfo(v.mountinfo).filter((m) => underFilter(m.mountPoint, v.filter)).map((m) => ({ label: v.label, m })));
  if (members.length === 0) return [s.dim('  (no mounts under the chosen path)')];
  const labelW = Math.max(...members.map((x) => visibleWidth(x.label)));
  const mpW = Math.min(40, Math.max(...members.map((x) => visibleWidth(x.m.mountPoint))));
  const describe = (x: Member) => `${padEnd(x.label, labelW)}  ${padEnd(x.m.mountPoint, mpW)}  ${s.dim(`mount ${x.m.id}, ${x.m.fsType}`)}`;

  const groups = new Map<number, { peers: Member[]; slaves: Member[] }>();
  const group = (n: number) => groups.get(n) ?? groups.set(n, { peers: [], slaves: [] }).get(n)!;
  const isolated: Member[] = [];
  for (const x of members) {
    if (x.m.optional.shared !== undefined) group(x.m.optional.shared).peers.push(x);
    if (x.m.optional.master !== undefined) group(x.m.optional.master).slaves.push(x);
    if (x.m.optional.shared === undefined && x.m.optional.master === undefined) isolated.push(x);
  }
  const lines: string[] = [];
  const { both, arrow, vert, elbow, tee } = s.sym;
  for (const [n, g] of [...groups].sort((a, b) => a[0] - b[0])) {
    if (g.peers.length) {
      lines.push(`  ${s.cyan(s.bold(`peer group ${n}`))} ${s.dim(`shared:${n}: a mount or unmount under any of these happens under all of them`)}`);
      for (const p of g.peers) lines.push(`    ${s.cyan(both)} ${describe(p)}`);
    } else {
      lines.push(`  ${s.cyan(s.bold(`peer group ${n}`))} ${s.dim('(its members are not in this view)')}`);
    }
    if (g.slaves.length) {
      lines.push(`     ${s.magenta(vert)} ${s.dim(`events flow one way: from group ${n} to its slaves, never back`)}`);
      g.slaves.forEach((x, i) => {
        const also = x.m.optional.shared !== undefined ? s.dim(` (also peer group ${x.m.optional.shared})`) : '';
        lines.push(`     ${s.magenta(i === g.slaves.length - 1 ? elbow : tee)}${s.magenta(arrow)} ${describe(x)}  ${s.magenta(`slave, master:${n}`)}${also}`);
      });
    }
  }
  if (isolated.length) {
    lines.push(`  ${s.bold('private')} ${s.dim('no propagation: mounts here stay here, and none arrive')}`);
    for (const x of isolated) lines.push(`    ${s.dim(s.unicode ? '·' : '.')}   ${describe(x)}${x.m.optional.unbindable ? s.dim('  unbindable') : ''}`);
  }
  return lines;
}

// ---------------------------------------------------------------- process tree

function processTree(procs: { pid: number; ppid: number; nspid: number[]; name: string }[], s: Style): string[] {
  if (procs.length === 0) return [s.dim('  (no processes observed)')];
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const children = new Map<number, typeof procs>();
  const roots: typeof procs = [];
  for (const p of procs) {
    if (p.ppid !== p.pid && byPid.has(p.ppid)) (children.get(p.ppid) ?? children.set(p.ppid, []).get(p.ppid)!).push(p);
    else roots.push(p);
  }
  for (const list of children.values()) list.sort((a, b) => a.pid - b.pid);
  roots.sort((a, b) => a.pid - b.pid);
  const nameW = Math.min(24, Math.max(...procs.map((p) => visibleWidth(p.name))));
  const depthOf = (p: (typeof procs)[number], seen = new Set<number>()): number => {
    const parent = byPid.get(p.ppid);
    if (!parent || parent === p || seen.has(p.pid)) return 0;
    seen.add(p.pid);
    return 1 + depthOf(parent, seen);
  };
  const maxDepth = Math.max(...procs.map((p) => depthOf(p)));
  const col = nameW + 3 * maxDepth;
  const lines: string[] = [];
  const pids = (p: (typeof procs)[number]) => {
    // 'pid' is the number in the PID namespace of whoever read /proc (the host, or a sandbox
    // looking at its own children); NSpid then lists it again in each nested namespace.
    const seen = `${s.dim('pid')} ${s.bold(String(p.pid))}`;
    const inner = p.nspid.length > 1 ? p.nspid.slice(1) : [];
    return inner.length ? `${seen}  ${s.dim('in nested ns')} ${s.green(s.bold(inner.join(' / ')))}` : seen;
  };
  const visit = (p: (typeof procs)[number], prefix: string, last: boolean, top: boolean, seen: Set<number>) => {
    if (seen.has(p.pid)) return;
    seen.add(p.pid);
    const branch = top ? '' : last ? s.sym.elbow + ' ' : s.sym.tee + ' ';
    const head = `${prefix}${branch}${p.name}`;
    lines.push(`  ${padEnd(head, col)}  ${pids(p)}`);
    const kids = children.get(p.pid) ?? [];
    const nextPrefix = top ? '' : prefix + (last ? '   ' : s.sym.vert + '  ');
    kids.forEach((k, i) => visit(k, nextPrefix, i === kids.length - 1, false, seen));
  };
  const seen = new Set<number>();
  for (const r of roots) visit(r, '', true, true, seen);
  return lines;
}
