// The verdict table: check, expected, observed, pass/fail; under each row the /proc lines
// that prove it, and for a failure the hint computed from what was observed.
import type { CheckResult } from '../check/evaluate.js';
import { padEnd, style, visibleWidth, wrap, type RenderOptions } from './color.js';

export function renderCheckTable(results: CheckResult[], opts: RenderOptions = {}): string {
  const s = style(opts);
  const width = s.width;
  const verdictW = Math.max(visibleWidth(s.verdict(true)), visibleWidth(s.verdict(false)), 'result'.length);
  const gap = 2;
  const indent = 1;
  const avail = Math.max(30, width - indent - verdictW - gap * 3);
  const longest = (f: (r: CheckResult) => string, head: string) => Math.max(head.length, ...results.map((r) => visibleWidth(f(r))));
  // The id column gets what it needs up to a quarter; expected and observed share the rest,
  // each no wider than its longest cell.
  const idW = Math.min(longest((r) => r.id, 'check'), Math.max(8, Math.floor(avail / 4)));
  const rest = avail - idW;
  const expLong = longest((r) => r.expected, 'expected');
  const obsLong = longest((r) => r.observed, 'observed');
  let expW = Math.max(8, Math.floor((rest * expLong) / Math.max(1, expLong + obsLong)));
  let obsW = rest - expW;
  if (obsW > obsLong) {
    expW = Math.min(expLong, expW + obsW - obsLong);
    obsW = obsLong;
  }
  if (expW > expLong) expW = expLong;
  obsW = Math.max(8, obsW);

  const pad = ' '.repeat(indent);
  const sep = ' '.repeat(gap);
  const row = (cells: string[][], widths: number[]) => {
    const lines: string[] = [];
    const height = Math.max(...cells.map((c) => c.length));
    for (let i = 0; i < height; i++) {
      lines.push((pad + cells.map((c, j) => padEnd(c[i] ?? '', widths[j])).join(sep)).trimEnd());
    }
    return lines;
  };
  const widths = [idW, expW, obsW, verdictW];
  const out: string[] = [];
  out.push(...row([['check'], ['expected'], ['observed'], ['result']].map((c) => c.map((t) => s.bold(t))), widths));
  out.push(pad + widths.map((w) => s.sym.horiz.repeat(w)).join(sep));

  const subIndent = pad + '  ';
  const subWidth = Math.max(20, width - subIndent.length - 2);
  for (const r of results) {
    out.push(
      ...row(
        [wrap(r.id, idW).map((t) => s.bold(t)), wrap(r.expected, expW), wrap(r.observed, obsW).map((t) => (r.pass ? t : s.red(t))), [s.verdict(r.pass)]],
        widths,
      ),
    );
    for (const ev of r.evidence) {
      // Evidence is raw /proc text: tabs become spaces so columns of the table stay put.
      const lines = wrap(ev.replace(/\t/g, '  '), subWidth);
      lines.forEach((l, i) => out.push(`${subIndent}${s.gray(i === 0 ? `${s.sym.evidence} ` : '  ')}${s.dim(l)}`));
    }
    if (!r.pass && r.hint) {
      const label = 'hint: ';
      wrap(r.hint, subWidth - label.length).forEach((l, i) => out.push(`${subIndent}${i === 0 ? s.yellow(s.bold(label)) : ' '.repeat(label.length)}${s.yellow(l)}`));
    }
  }
  const passed = results.filter((r) => r.pass).length;
  const summary = `${passed}/${results.length} checks passed`;
  out.push('', pad + (passed === results.length && results.length > 0 ? s.green(summary) : s.red(summary)));
  return out.join('\n') + '\n';
}
