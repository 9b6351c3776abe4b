// The chroot escape as a path walk: the directories chdir("..") went through, top down, each
// by (dev, ino), against the process's root. The kernel stops ".." in two places only: at the
// process's root, and at the top of the mount tree; a walk that starts outside the root never
// meets the first.
import type { PathWalk } from '../lessons/types.js';
import { padEnd, visibleWidth, type Style } from './color.js';

/** st_dev as 'major:minor', the way mountinfo prints it (glibc's gnu_dev_major/minor). */
export function devName(dev: number): string {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

const same = (a: { dev: number; ino: number }, b: { dev: number; ino: number }) => a.dev === b.dev && a.ino === b.ino;
const base = (p: string) => (p === '/' ? '/' : (p.replace(/\/+$/, '').split('/').pop() ?? p));

interface Row {
  name: string;
  depth: number;
  id: string;
  note: string;
  inside: boolean;
}

export function pathWalk(w: PathWalk, s: Style, width = 78): string[] {
  if (w.walk.length === 0) return [s.dim('  (no directories walked)')];
  const id = (x: { dev: number; ino: number }) => `dev ${devName(x.dev)} ino ${x.ino}`;
  const jailAt = w.walk.findIndex((d) => same(d, w.root));
  const stopAt = w.walk.findIndex((d) => same(d, d.parent));
  const top = w.walk.length - 1;
  const rows: Row[] = [];
  // Top down: the last directory reached first, the starting directory last.
  for (let i = top; i >= 0; i--) {
    const d = w.walk[i]!;
    const what = i === 0 ? 'start: the cwd' : `".." #${i}`;
    const stop = i === stopAt ? (i === jailAt ? ', stays: the root' : ', stays: the top') : '';
    rows.push({ name: i === top ? (i === jailAt ? w.root.path : d.path) : base(d.path), depth: top - i, id: id(d), note: what + stop, inside: jailAt >= 0 && i <= jailAt });
  }
  // The jail under the starting directory: the escape's case, where the walk went the other way.
  const start = w.walk[0]!;
  const below = jailAt < 0 && start.path !== '/' && w.root.path.startsWith(start.path.replace(/\/+$/, '') + '/');
  const belowRoot = jailAt < 0 && start.path === '/' && w.root.path !== '/';
  if (below || belowRoot) {
    const rest = w.root.path.slice(below ? start.path.replace(/\/+$/, '').length + 1 : 1);
    rows.push({ name: rest, depth: top + 1, id: id(w.root), note: "the process's root", inside: true });
  }

  const head = (r: Row) => (r.depth === 0 ? r.name : `${'   '.repeat(r.depth - 1)}${s.sym.elbow} ${r.name}`);
  const idW = Math.max(...rows.map((r) => r.id.length));
  const noteW = Math.max(...rows.map((r) => r.note.length));
  const nameW = Math.max(12, Math.min(Math.max(...rows.map((r) => visibleWidth(head(r)))), width - 6 - idW - noteW));
  const lines = [`  ${s.dim(padEnd('directory', nameW))}  ${s.dim(padEnd('(dev, ino)', idW))}  ${s.dim('reached by')}`];
  rows.forEach((r, i) => {
    // The edge is drawn once, above the first directory inside the jail.
    if (r.inside && (i === 0 || !rows[i - 1]!.inside)) lines.push(s.green(`  ${s.sym.horiz.repeat(2)} the jail: below this line; ".." at its root goes nowhere`));
    const name = visibleWidth(head(r)) > nameW ? s.sym.ellipsis + head(r).slice(-(nameW - s.sym.ellipsis.length)) : head(r);
    lines.push(`  ${padEnd(r.inside ? s.green(name) : name, nameW)}  ${padEnd(r.id, idW)}  ${r.inside ? s.green(r.note) : s.yellow(r.note)}`);
  });
  if (jailAt < 0 && !below && !belowRoot) lines.push(`  ${s.dim('the root (jail):')} ${w.root.path}  ${id(w.root)}`);

  const legend: string[] = [];
  if (jailAt >= 0) {
    legend.push(`".." at the process's root leads back to that root: the walk never left it.`);
  } else {
    legend.push(`The cwd was outside the root from the start, so no ".." ever met it;`);
    legend.push(stopAt >= 0 ? `".." stopped only at the top of the mount tree, ${id(w.walk[stopAt]!)}.` : `".." never stopped within ${top} steps.`);
  }
  if (w.then) legend.push(`Then ${w.then} there: that directory is the root now.`);
  lines.push(...legend.map((l) => s.dim(`  ${l}`)));
  return lines;
}
