// A cgroup as the cgroupfs shows it: where it sits, its limit files and counter files with what
// they held, and the processes cgroup.procs listed. pids.current counts tasks (threads), so it
// is set beside the members' thread counts.
import type { CgroupView } from '../lessons/types.js';
import { padEnd, visibleWidth, type Style } from './color.js';

/** Files that set a limit (written by whoever manages the cgroup); the rest report. */
const isLimit = (name: string) => /\.(max|high|low|min)$|limit_in_bytes$/.test(name);

export function cgroupTree(v: CgroupView, s: Style, width = 78): string[] {
  const dir = v.dir.replace(/\/+$/, '');
  const cut = dir.lastIndexOf('/');
  const [parent, leaf] = cut > 0 ? [dir.slice(0, cut), dir.slice(cut + 1)] : ['', dir];
  const room = width - 4;
  const lines = [`  ${s.dim(visibleWidth(parent) > room ? s.sym.ellipsis + parent.slice(-(room - s.sym.ellipsis.length)) : parent || '/')}`];
  lines.push(`  ${s.sym.elbow} ${s.bold(leaf)}  ${s.dim(`cgroup ${v.version}`)}`);
  const members = v.members ?? [];
  const threads = members.every((m) => m.threads !== undefined) ? members.reduce((a, m) => a + (m.threads ?? 0), 0) : undefined;
  const rows = v.files.map((f) => {
    const value = f.text.trim().split('\n').filter(Boolean).join(', ') || '(empty)';
    return { name: f.name, value, role: isLimit(f.name) ? 'limit' : 'counter' };
  });
  const procs = members.length ? members.map((m) => `${m.pid} ${m.name}${m.threads !== undefined && m.threads > 1 ? ` (${m.threads} threads)` : ''}`).join(', ') : '(empty)';
  if (v.members) rows.push({ name: 'cgroup.procs', value: procs, role: 'members' });
  const nameW = Math.max(...rows.map((r) => r.name.length));
  const cap = width - 9 - nameW - 2 - 7;
  // As wide as the longest value that fits; longer ones get lines of their own.
  const valueW = Math.max(8, ...rows.map((r) => r.value.length).filter((n) => n <= cap));
  rows.forEach((r, i) => {
    const branch = i === rows.length - 1 ? s.sym.elbow : s.sym.tee;
    const lead = `     ${branch} ${padEnd(r.name, nameW)}  `;
    const role = r.role === 'limit' ? s.yellow(r.role) : s.dim(r.role);
    // A value too long for its column goes on lines of its own, under the name.
    if (r.value.length <= valueW) {
      lines.push(`${lead}${padEnd(r.value, valueW)}  ${role}`);
    } else {
      lines.push(`${lead}${role}`);
      const indent = `     ${i === rows.length - 1 ? ' ' : s.sym.vert}    `;
      for (let at = 0; at < r.value.length; at += width - indent.length - 2) lines.push(`${indent}${r.value.slice(at, at + width - indent.length - 2)}`);
    }
  });
  const current = v.files.find((f) => f.name === 'pids.current');
  if (current && threads !== undefined && members.length) {
    const n = Number(current.text.trim());
    const sum = members.map((m) => `${m.threads} of ${m.name}`).join(' + ');
    lines.push(s.dim(`  pids.current counts tasks: ${n} ${n === threads ? '=' : 'while'} ${sum}${n === threads ? '' : ` make ${threads}`}`));
  }
  return lines;
}
