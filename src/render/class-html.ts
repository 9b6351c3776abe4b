// `nslab class` as one self-contained HTML page: inline CSS, no script, no fetched resource, so
// it can be mailed, opened from disk or printed. Every cell says its state in words as well as
// colour, and carries data-student/data-lesson/data-state for whoever scripts against it.
import type { CellState, ClassReport } from '../runner/class.js';
import { classSummary, shortLesson, STATE_LABEL } from '../runner/class.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const MARK: Record<CellState, string> = { pass: '✓', fail: '✗', skip: '–', 'cant-run': '⊘', missing: '·' };

const CSS = `
:root { --pass-bg:#e3f4e8; --pass:#14632f; --fail-bg:#fde4e1; --fail:#a3160c; --skip-bg:#e8edf5; --skip:#3b4a63;
  --cant-bg:#fff1cc; --cant:#7a4b00; --miss-bg:#f3f3f3; --miss:#6b6b6b; --line:#d9d9de; --ink:#1d1d22; --muted:#5c5c66; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); margin: 0; background: #fafafb; }
main { max-width: 1600px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
p.summary { font-size: 17px; margin: 4px 0 14px; }
.muted { color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 8px 16px; margin: 8px 0 0; padding: 0; list-style: none; font-size: 14px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.chip { display: inline-block; min-width: 74px; text-align: center; border-radius: 4px; padding: 1px 6px; font-weight: 600; font-size: 13px; }
.wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: #f0f0f3; font-size: 13px; position: sticky; top: 0; }
table.matrix td.cell, table.matrix th.lesson { text-align: center; white-space: nowrap; }
table.matrix th.student, table.matrix td.student { position: sticky; left: 0; background: #fff; z-index: 1; white-space: nowrap; font-weight: 600; }
table.matrix thead th.student { background: #f0f0f3; }
table.matrix tfoot td { background: #f7f7f9; font-size: 13px; text-align: center; color: var(--muted); }
table.matrix tfoot td.student { background: #f7f7f9; text-align: left; font-weight: 600; }
td.cell { font-size: 12.5px; font-weight: 600; padding: 4px 5px; }
table.matrix th.lesson { padding: 5px 4px; min-width: 58px; }
p.lessons { font-size: 13px; margin: 8px 2px 0; }
table.failures td:nth-child(2) { white-space: nowrap; }
.s-pass { background: var(--pass-bg); color: var(--pass); }
.s-fail { background: var(--fail-bg); color: var(--fail); }
.s-skip { background: var(--skip-bg); color: var(--skip); }
.s-cant-run { background: var(--cant-bg); color: var(--cant); }
.s-missing { background: var(--miss-bg); color: var(--miss); font-weight: 400; }
td.done::after { content: " ★"; font-size: 11px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f2f2f5; padding: 1px 4px; border-radius: 3px; }
td code.fix { display: inline-block; white-space: pre-wrap; word-break: break-word; }
.bar { display: inline-block; height: 10px; background: var(--cant); opacity: .55; border-radius: 2px; vertical-align: middle; margin-left: 6px; }
ul.plain { margin: 0; padding-left: 20px; }
ul.plain li { margin: 2px 0; }
.problems { border-left: 4px solid var(--fail); background: #fff; padding: 8px 14px; }
footer { margin-top: 36px; font-size: 13px; color: var(--muted); }
@media print { body { background: #fff; } .wrap { overflow: visible; } thead th { position: static; } }
`;

export function classHtml(c: ClassReport): string {
  const cellsTotal = c.students.length * c.lessons.length;
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>nslab class: ${c.students.length} students</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<h1>nslab class</h1>',
    `<p class="summary" id="summary">${esc(classSummary(c))}</p>`,
    '<ul class="legend">',
    ...(['pass', 'fail', 'skip', 'cant-run', 'missing'] as CellState[]).map(
      (s) =>
        `<li><span class="chip s-${s}">${MARK[s]} ${esc(STATE_LABEL[s])}</span><span class="muted">${esc(
          { pass: 'verify passed', fail: 'a check failed', skip: 'ran, part skipped', 'cant-run': 'the machine stops it', missing: 'no result sent' }[s],
        )}</span></li>`,
    ),
    '<li><span class="muted">★ the student finished the lesson</span></li>',
    '</ul>',
    '<h2 id="matrix">Students × lessons</h2>',
  ];
  if (!c.students.length) out.push('<p>No report was counted.</p>');
  else {
    out.push('<div class="wrap"><table class="matrix">', '<thead><tr><th class="student">student</th>');
    for (const l of c.lessons) out.push(`<th class="lesson" title="${esc(`${l.id}: ${l.title}`)}">${esc(shortLesson(l.id))}</th>`);
    out.push('<th class="num">passed</th></tr></thead>', '<tbody>');
    for (const st of c.students) {
      out.push(`<tr data-student="${esc(st.name)}"><td class="student" title="${esc(`${st.file}: nslab ${st.nslab}, Linux ${st.kernel}, ${st.distro}${st.root ? ', as root' : ''}`)}">${esc(st.name)}</td>`);
      for (const l of c.lessons) {
        const cell = st.cells[l.id]!;
        const tip = [cell.blockers?.length ? cell.blockers.join(', ') : '', cell.reason ?? ''].filter(Boolean).join(': ');
        out.push(
          `<td class="cell s-${cell.state}${cell.completed ? ' done' : ''}" data-student="${esc(st.name)}" data-lesson="${esc(l.id)}" data-state="${cell.state}"${tip ? ` title="${esc(tip.slice(0, 400))}"` : ''}>${MARK[cell.state]} ${esc(STATE_LABEL[cell.state])}</td>`,
        );
      }
      out.push(`<td class="num">${st.counts.pass}/${c.lessons.length}</td></tr>`);
    }
    out.push('</tbody><tfoot>');
    for (const [label, s] of [['passed', 'pass'], ["can't run", 'cant-run'], ['failed', 'fail']] as [string, CellState][])
      out.push(`<tr><td class="student">${esc(label)}</td>${c.lessons.map((l) => `<td>${c.perLesson[l.id]![s] || ''}</td>`).join('')}<td></td></tr>`);
    out.push('</tfoot></table></div>');
    out.push(`<p class="lessons muted">${c.lessons.map((l) => `<b>${esc(shortLesson(l.id))}</b> ${esc(l.title)}`).join(' · ')}</p>`);
  }

  out.push('<h2 id="blockers">Blockers, most common first</h2>');
  if (!c.blockers.length) out.push("<p>None: every lesson counted can run on every student's machine.</p>");
  else {
    const most = Math.max(...c.blockers.map((b) => b.students.length));
    out.push('<div class="wrap"><table class="blockers"><thead><tr><th>check</th><th class="num">students</th><th>lessons</th><th>fix</th></tr></thead><tbody>');
    for (const b of c.blockers)
      out.push(
        `<tr data-check="${esc(b.id)}"><td><a href="${esc(b.docs)}"><code>${esc(b.id)}</code></a><br><span class="muted">${esc(b.title)}</span></td>` +
          `<td class="num" title="${esc(b.students.join(', '))}">${b.students.length}<span class="bar" style="width:${Math.max(4, Math.round((60 * b.students.length) / most))}px"></span></td>` +
          `<td>${esc(b.lessons.map(shortLesson).join(', '))}</td><td>${b.fix ? `<code class="fix">${esc(b.fix)}</code>` : ''}</td></tr>`,
      );
    out.push('</tbody></table></div>');
  }

  if (c.failures.length) {
    out.push('<h2 id="failures">Failed checks</h2>', '<div class="wrap"><table class="failures"><thead><tr><th>lesson</th><th>check</th><th class="num">students</th><th>expected</th></tr></thead><tbody>');
    for (const f of c.failures)
      out.push(`<tr><td>${esc(shortLesson(f.lesson))}</td><td><code>${esc(f.check)}</code></td><td class="num" title="${esc(f.students.join(', '))}">${f.students.length}</td><td>${esc(f.expected.slice(0, 300))}<br><span class="muted">${esc(f.students.join(', '))}</span></td></tr>`);
    out.push('</tbody></table></div>');
  }

  out.push('<h2 id="missing">Not sent yet</h2>');
  if (!c.missing.length) out.push('<p>Every student counted has a result for every lesson.</p>');
  else {
    out.push('<ul class="plain">');
    for (const m of c.missing) out.push(`<li data-missing="${esc(m.student)}"><strong>${esc(m.student)}</strong>: ${m.noReport ? 'no report at all' : `no result for ${esc(m.lessons.map(shortLesson).join(', '))}`}</li>`);
    out.push('</ul>');
  }
  if (c.unreadable.length) {
    out.push('<h2 id="unreadable">Files not counted</h2>', '<div class="problems"><ul class="plain">');
    for (const u of c.unreadable) out.push(`<li data-unreadable="${esc(u.file)}"><code>${esc(u.file)}</code> ${esc(u.problem)}</li>`);
    out.push('</ul></div>');
  }
  out.push(`<footer>nslab class, ${esc(c.generatedAt)}: ${c.students.length} reports, ${cellsTotal} results. The same data: class.json; as text: class.md.</footer>`, '</main>', '</body>', '</html>', '');
  return out.join('\n');
}
