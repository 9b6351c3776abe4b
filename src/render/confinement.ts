// `nslab inspect`'s table: each point of confinement, what the profile sets beside what /proc
// shows, the verdict, and under each row the /proc lines it rests on (and a hint when it differs).
import type { InspectReport } from '../check/confinement.js';
import { padEnd, style, wrap, type RenderOptions } from './color.js';

export function renderInspect(r: InspectReport, opts: RenderOptions = {}): string {
  const s = style(opts);
  const width = s.width;
  const verdict = (pass: boolean, applies: boolean): string => (applies ? (pass ? s.green('match') : s.red(s.bold('DIFFERS'))) : s.dim('n/a'));
  const vw = 'DIFFERS'.length;
  const idW = Math.max('point'.length, ...r.points.map((p) => p.id.length));
  const rest = Math.max(30, width - 1 - idW - vw - 6);
  const expW = Math.floor(rest / 2);
  const obsW = rest - expW;
  const sep = '  ';
  const row = (cells: string[][], widths: number[]): string[] => {
    const h = Math.max(...cells.map((c) => c.length));
    return Array.from({ length: h }, (_, i) => (' ' + cells.map((c, j) => padEnd(c[i] ?? '', widths[j]!)).join(sep)).trimEnd());
  };
  const widths = [idW, expW, obsW, vw];
  const who = r.cmdline.length ? r.cmdline.join(' ') : r.comm;
  const out: string[] = [
    `${s.bold(`PID ${r.pid}`)} (${who}) against ${s.bold(r.profile.name)}: ${r.profile.source}.`,
    s.dim(`Namespaces, ids, root and cgroup are compared with ${r.reference.label}; everything is read from /proc as you may see it.`),
    '',
    ...row([['point'], [`${r.profile.name} sets`], ['observed'], ['result']].map((c) => c.map((t) => s.bold(t))), widths),
    ' ' + widths.map((w) => s.sym.horiz.repeat(w)).join(sep),
  ];
  const subWidth = Math.max(20, width - 5);
  for (const p of r.points) {
    out.push(...row([[s.bold(p.id)], wrap(p.expected, expW), wrap(p.observed, obsW).map((t) => (p.pass ? t : s.red(t))), [verdict(p.pass, p.applies)]], widths));
    for (const ev of p.evidence) wrap(ev.replace(/\t/g, '  '), subWidth).forEach((l, i) => out.push(`   ${s.gray(i === 0 ? `${s.sym.evidence} ` : '  ')}${s.dim(l)}`));
    if (!p.pass && p.hint) wrap(p.hint, subWidth - 6).forEach((l, i) => out.push(`   ${i === 0 ? s.yellow(s.bold('hint: ')) : '      '}${s.yellow(l)}`));
  }
  const judged = r.points.filter((p) => p.applies);
  const differ = r.points.filter((p) => !p.pass);
  const na = r.points.length - judged.length;
  const summary = differ.length
    ? `${differ.length} of ${judged.length} points differ from ${r.profile.name}: ${differ.map((p) => p.id).join(', ')}`
    : `every point matches ${r.profile.name} (${judged.length} judged${na ? `, ${na} not applicable here` : ''})`;
  out.push('', ' ' + (differ.length ? s.red(summary) : s.green(summary)));
  return out.join('\n') + '\n';
}
