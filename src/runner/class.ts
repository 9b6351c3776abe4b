// `nslab class`: many students' `nslab report --json` files brought together, as `sos collect`
// gathers many machines' reports: a table of students x lessons (pass, fail, skip, can't run,
// no result), the blockers counted per check ID with their fix, the failed checks, and who has
// sent nothing for which lessons. A file that is not a report is named with the reason in one
// line and the others are still counted. The JSON shape is stable: add fields, never rename.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { docsFor, titleOf } from './blockers.js';
import type { InstructorReport } from './report.js';

export const CLASS_SCHEMA_VERSION = 1;

export type CellState = 'pass' | 'fail' | 'skip' | 'cant-run' | 'missing';
export const STATES: CellState[] = ['pass', 'fail', 'skip', 'cant-run', 'missing'];
export const STATE_LABEL: Record<CellState, string> = { pass: 'pass', fail: 'FAIL', skip: 'skip', 'cant-run': "can't run", missing: 'no result' };

export interface Cell {
  state: CellState;
  reason?: string;
  /** cant-run: the check IDs that stop it on that machine. */
  blockers?: string[];
  /** The student's own progress says they finished the lesson. */
  completed?: boolean;
}

export interface ClassStudent {
  name: string;
  file: string;
  generatedAt: string;
  nslab: string;
  kernel: string;
  distro: string;
  root: boolean;
  cells: Record<string, Cell>;
  counts: Record<CellState, number>;
}

export interface ClassBlocker {
  id: string;
  title: string;
  fix: string;
  docs: string;
  students: string[];
  lessons: string[];
  /** Student x lesson cells it stops. */
  cells: number;
}

export interface ClassReport {
  kind: 'nslab-class';
  schemaVersion: number;
  generatedAt: string;
  lessons: { id: string; title: string }[];
  students: ClassStudent[];
  perLesson: Record<string, Record<CellState, number>>;
  blockers: ClassBlocker[];
  failures: { lesson: string; check: string; expected: string; students: string[] }[];
  /** Who has sent no result for which lessons; noReport: nothing at all (from the roster). */
  missing: { student: string; lessons: string[]; noReport: boolean }[];
  /** Files that were not counted, each with the one reason. */
  unreadable: { file: string; problem: string }[];
}

export interface ReadReport {
  file: string;
  report: InstructorReport;
}

const isObj = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/** Reads one file: the report, or the one sentence that says why it is not one. */
export function readReport(file: string): ReadReport | { file: string; problem: string } {
  let text: string;
  try {
    if (statSync(file).isDirectory()) return { file, problem: 'is a directory (give the report files, e.g. DIR/*.json)' };
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { file, problem: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  if (/^\s*# nslab report/.test(text)) return { file, problem: 'is the Markdown form of a report; ask for `nslab report --json --out FILE`' };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message);
    const line = at ? text.slice(0, Number(at[1])).split('\n').length : undefined;
    const what = text.trim() ? (line ? `broken at line ${line}` : (err as Error).message.split('\n')[0]) : 'it is empty';
    return { file, problem: `is not JSON (${what}); ask for a fresh \`nslab report --json\`` };
  }
  if (!isObj(data)) return { file, problem: 'is JSON but not an nslab report (not an object)' };
  if (isObj(data.environment) && Array.isArray(data.lessons) && 'passed' in data)
    return { file, problem: 'is `nslab verify --json` output, not a report; ask for `nslab report --json --verify FILE`' };
  const lacks = ['nslab', 'machine', 'doctor', 'progress'].filter((k) => !(k in data));
  if (lacks.length) return { file, problem: `is JSON but not an nslab report (no ${lacks.join(', ')})` };
  const d = data as unknown as InstructorReport;
  if (!isObj(d.doctor) || !Array.isArray(d.doctor.lessons) || !isObj(d.machine) || (d.verify !== null && (!isObj(d.verify) || !Array.isArray(d.verify.lessons))))
    return { file, problem: 'looks like an nslab report but its doctor, machine or verify part is damaged; ask for a fresh `nslab report --json`' };
  return { file, report: d };
}

const byName = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });

/** The name a report is counted under: --name, else the file's name without .json. */
export function studentName(r: ReadReport): string {
  return (typeof r.report.student === 'string' && r.report.student.trim()) || basename(r.file).replace(/\.json$/i, '').replace(/^nslab-report[-_.]?/i, '') || basename(r.file);
}

function cellOf(r: InstructorReport, lesson: string): Cell {
  const d = r.doctor.lessons.find((l) => l.id === lesson);
  const v = r.verify?.lessons.find((l) => l.id === lesson);
  const completed = r.progress?.lessons?.find?.((l) => l.id === lesson)?.status === 'passed' || undefined;
  const extra = completed ? { completed } : {};
  // A lesson that ran speaks for itself; one that did not run is "can't run" when doctor says
  // the machine stops it (its blockers), and a plain skip otherwise.
  if (v?.status === 'pass') return { state: 'pass', ...extra };
  if (v?.status === 'fail') return { state: 'fail', reason: v.reason, ...extra };
  if (d && !d.runnable) return { state: 'cant-run', reason: d.reason ?? v?.reason ?? '', blockers: d.blockers?.length ? d.blockers : ['unclassified'], ...extra };
  if (v?.status === 'skip') return { state: 'skip', reason: v.reason, ...extra };
  return { state: 'missing', reason: r.verify ? 'not in this report' : 'verify was not run for this report', ...extra };
}

export interface ClassOptions {
  /** Columns; by default every lesson any report names. */
  lessons?: string[];
  /** Who should have sent a report (--roster, or the workshop's students). */
  roster?: string[];
  unreadable?: { file: string; problem: string }[];
  now?: Date;
}

export function classRollup(read: ReadReport[], opts: ClassOptions = {}): ClassReport {
  const unreadable = [...(opts.unreadable ?? [])];
  // One report per student: the newest counts, an older one is named as not counted.
  const latest = new Map<string, ReadReport>();
  for (const r of read) {
    const name = studentName(r);
    const had = latest.get(name);
    if (!had) latest.set(name, r);
    else {
      const [older, newer] = String(had.report.generatedAt) <= String(r.report.generatedAt) ? [had, r] : [r, had];
      latest.set(name, newer);
      unreadable.push({ file: older.file, problem: `is an older report from ${name} than ${newer.file}; only the newer one is counted` });
    }
  }
  const titles = new Map<string, string>();
  for (const r of latest.values()) for (const l of [...r.report.doctor.lessons, ...(r.report.verify?.lessons ?? [])]) if (!titles.has(l.id)) titles.set(l.id, l.title);
  const lessonIds = opts.lessons ?? [...titles.keys()].sort(byName);
  const lessons = lessonIds.map((id) => ({ id, title: titles.get(id) ?? id }));

  const students: ClassStudent[] = [...latest.entries()]
    .sort(([a], [b]) => byName(a, b))
    .map(([name, { file, report: r }]) => {
      const cells: Record<string, Cell> = {};
      const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<CellState, number>;
      for (const l of lessonIds) {
        cells[l] = cellOf(r, l);
        counts[cells[l]!.state]++;
      }
      return { name, file, generatedAt: r.generatedAt, nslab: r.nslab, kernel: r.machine.kernel, distro: r.machine.distro, root: Boolean(r.doctor.root), cells, counts };
    });

  const perLesson: ClassReport['perLesson'] = {};
  for (const l of lessonIds) perLesson[l] = Object.fromEntries(STATES.map((s) => [s, students.filter((st) => st.cells[l]!.state === s).length])) as Record<CellState, number>;

  const blockers = new Map<string, ClassBlocker>();
  for (const st of students) {
    const r = latest.get(st.name)!.report;
    for (const l of lessonIds) {
      const c = st.cells[l]!;
      if (c.state !== 'cant-run') continue;
      for (const id of c.blockers ?? []) {
        let b = blockers.get(id);
        if (!b) {
          const f = r.doctor.findings?.find((x) => x.id === id);
          b = {
            id,
            title: id === 'unclassified' ? 'a report from an nslab without check IDs; see its reason' : (f?.title ?? titleOf(id)),
            fix: f?.fix ?? (id === 'unclassified' ? c.reason ?? '' : ''),
            docs: docsFor(id),
            students: [],
            lessons: [],
            cells: 0,
          };
          blockers.set(id, b);
        }
        if (!b.students.includes(st.name)) b.students.push(st.name);
        if (!b.lessons.includes(l)) b.lessons.push(l);
        b.cells++;
      }
    }
  }
  const blockerList = [...blockers.values()]
    .map((b) => ({ ...b, lessons: b.lessons.sort(byName) }))
    .sort((a, b) => b.students.length - a.students.length || b.cells - a.cells || a.id.localeCompare(b.id));

  const failures = new Map<string, ClassReport['failures'][number]>();
  for (const st of students) {
    const r = latest.get(st.name)!.report;
    for (const l of r.verify?.lessons ?? []) {
      if (!lessonIds.includes(l.id) || l.status !== 'fail') continue;
      const failed = l.checks.filter((c) => !c.pass);
      const list = failed.length ? failed.map((c) => ({ check: `${c.experiment}/${c.id}`, expected: c.expected })) : [{ check: '(did not run)', expected: l.reason }];
      for (const f of list) {
        const key = `${l.id} ${f.check}`;
        const entry = failures.get(key) ?? { lesson: l.id, check: f.check, expected: f.expected, students: [] };
        if (!entry.students.includes(st.name)) entry.students.push(st.name);
        failures.set(key, entry);
      }
    }
  }

  const missing: ClassReport['missing'] = [];
  const names = new Set(students.map((s) => s.name.toLowerCase()));
  for (const who of (opts.roster ?? []).filter((n) => !names.has(n.toLowerCase()))) missing.push({ student: who, lessons: [...lessonIds], noReport: true });
  for (const st of students) {
    const gap = lessonIds.filter((l) => st.cells[l]!.state === 'missing');
    if (gap.length) missing.push({ student: st.name, lessons: gap, noReport: false });
  }
  missing.sort((a, b) => Number(b.noReport) - Number(a.noReport) || byName(a.student, b.student));

  return {
    kind: 'nslab-class',
    schemaVersion: CLASS_SCHEMA_VERSION,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    lessons,
    students,
    perLesson,
    blockers: blockerList,
    failures: [...failures.values()].sort((a, b) => b.students.length - a.students.length || byName(a.lesson, b.lesson) || a.check.localeCompare(b.check)),
    missing,
    unreadable,
  };
}

const md = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** '04-pivot-root' -> '04': the column heads stay narrow. */
export const shortLesson = (id: string): string => /^(\d+)-/.exec(id)?.[1] ?? id;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function classSummary(c: ClassReport): string {
  const cells = c.students.length * c.lessons.length;
  const count = (s: CellState) => c.students.reduce((n, st) => n + st.counts[s], 0);
  return `${plural(c.students.length, 'student')} x ${plural(c.lessons.length, 'lesson')}: ${count('pass')} of ${cells} passed, ${count('fail')} failed, ${count('skip')} skipped, ${count('cant-run')} can't run, ${count('missing')} no result${c.unreadable.length ? `; ${plural(c.unreadable.length, 'file')} not counted` : ''}.`;
}

export function classMarkdown(c: ClassReport): string {
  const out: string[] = [`# nslab class`, '', classSummary(c), '', `Generated ${c.generatedAt}.`, '', '## Students x lessons', ''];
  if (!c.students.length) out.push('No report was counted.', '');
  else {
    out.push(`| student | ${c.lessons.map((l) => shortLesson(l.id)).join(' | ')} | passed |`, `|---|${c.lessons.map(() => ':-:').join('|')}|--:|`);
    for (const st of c.students) out.push(`| ${md(st.name)} | ${c.lessons.map((l) => STATE_LABEL[st.cells[l.id]!.state]).join(' | ')} | ${st.counts.pass}/${c.lessons.length} |`);
    const row = (label: string, s: CellState) => `| *${label}* | ${c.lessons.map((l) => String(c.perLesson[l.id]![s] || '')).join(' | ')} | |`;
    out.push(row('passed', 'pass'), row("can't run", 'cant-run'), row('failed', 'fail'));
    out.push('', ...c.lessons.map((l) => `- ${shortLesson(l.id)}: ${md(l.title)}`), '');
    out.push("pass: verify passed on that machine. FAIL: a check failed. skip: it ran, but part of it could not run there. can't run: the machine stops it (see Blockers). no result: the report has none.", '');
  }
  out.push('## Blockers, most common first', '');
  if (!c.blockers.length) out.push("None: every lesson counted can run on every student's machine.", '');
  else {
    out.push('| check | students | lessons | fix |', '|---|--:|---|---|');
    for (const b of c.blockers) out.push(`| [\`${b.id}\`](${b.docs}) | ${b.students.length} | ${b.lessons.map(shortLesson).join(', ')} | ${b.fix ? `\`${md(b.fix)}\`` : ''} |`);
    out.push('');
    for (const b of c.blockers) out.push(`- \`${b.id}\`: ${md(b.title)}. ${b.students.map(md).join(', ')}.`);
    out.push('');
  }
  if (c.failures.length) {
    out.push('## Failed checks', '', '| lesson | check | students | expected |', '|---|---|--:|---|');
    const cut = (t: string) => (t.length > 160 ? `${t.slice(0, 159)}…` : t);
    for (const f of c.failures) out.push(`| ${shortLesson(f.lesson)} | ${md(f.check)} | ${f.students.length}: ${f.students.map(md).join(', ')} | ${md(cut(f.expected))} |`);
    out.push('');
  }
  out.push('## Not sent yet', '');
  if (!c.missing.length) out.push('Every student counted has a result for every lesson.', '');
  else for (const m of c.missing) out.push(`- ${md(m.student)}: ${m.noReport ? 'no report at all' : `no result for ${m.lessons.map(shortLesson).join(', ')}`}`);
  if (c.missing.length) out.push('');
  if (c.unreadable.length) {
    out.push('## Files not counted', '');
    for (const u of c.unreadable) out.push(`- ${md(u.file)} ${md(u.problem)}`);
    out.push('');
  }
  return out.join('\n');
}
