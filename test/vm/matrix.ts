// The VM test's judgement: from the JSON lines each guest wrote to its second serial port
// (test/vm/guest.sh), the matrix of lesson results per scenario and user, the other assertions,
// and the counts. Pure: run.ts feeds it lines and prints what it returns; matrix.test.ts checks
// it on made-up lines. Everything that should have been observed and was not counts as failed.

export type Kind = 'plain' | 'busybox' | 'apparmor' | 'provision';

export interface Scenario {
  /** e.g. bookworm-plain: the suite, then the kind. */
  name: string;
  suite: 'bookworm' | 'trixie';
  kind: Kind;
  /** Scenarios with the same boot run in one VM, in order. */
  boot: string;
  what: string;
}

export const SCENARIOS: Scenario[] = [
  { name: 'bookworm-plain', suite: 'bookworm', kind: 'plain', boot: 'bookworm', what: 'Debian 12, the README\'s requirements only (no busybox-static, no python3)' },
  { name: 'bookworm-busybox', suite: 'bookworm', kind: 'busybox', boot: 'bookworm', what: 'then busybox-static installed, rootfs caches removed' },
  { name: 'trixie-plain', suite: 'trixie', kind: 'plain', boot: 'trixie', what: 'Debian 13, the README\'s requirements only' },
  { name: 'trixie-busybox', suite: 'trixie', kind: 'busybox', boot: 'trixie', what: 'then busybox-static installed, rootfs caches removed' },
  { name: 'trixie-apparmor', suite: 'trixie', kind: 'apparmor', boot: 'trixie', what: 'kernel.apparmor_restrict_unprivileged_userns=1 (as Ubuntu 24.04), then the README\'s AppArmor profile (+fix)' },
  { name: 'bookworm-provision', suite: 'bookworm', kind: 'provision', boot: 'bookworm-provision', what: 'Debian 12 through rootfs-scripts/provision.sh, as `vagrant up` runs it' },
];

/** The scenarios the words name: a scenario's name, or a prefix of it up to a dash
 * (bookworm: every bookworm scenario), or "all". No words: all. Unknown words are returned. */
export function selectScenarios(words: string[]): { selected: Scenario[]; unknown: string[] } {
  const ws = words.flatMap((w) => w.split(/[\s,]+/)).filter(Boolean);
  if (!ws.length || ws.includes('all')) return { selected: [...SCENARIOS], unknown: [] };
  const unknown = ws.filter((w) => !SCENARIOS.some((s) => matches(s, w)));
  return { selected: SCENARIOS.filter((s) => ws.some((w) => matches(s, w))), unknown };
}
const matches = (s: Scenario, w: string): boolean => s.name === w || s.name.startsWith(`${w}-`) || s.kind === w;

export interface LessonLine {
  id: string;
  status: string;
  reason?: string;
  runnable: boolean | null;
  doctorReason?: string;
}

export type GuestLine =
  | { t: 'hello'; boot: string; kernel: string; uptime: number; os: string }
  | { t: 'calibration'; nodeSeconds: number; hostNodeSeconds: number; execSeconds: number; hostExecSeconds: number; factor: number }
  | { t: 'step'; name: string; timeout: number }
  | { t: 'time'; name: string; seconds: number }
  | { t: 'note'; scenario: string; text: string }
  | { t: 'assert'; scenario: string; user: string; name: string; ok: boolean; detail: string }
  | { t: 'doctorline'; scenario: string; user: string; pattern: string; error?: string; lines: { id: string; label: string; status: string; detail: string; fix?: string }[] }
  | {
      t: 'lessons';
      scenario: string;
      user: string;
      doctorRc: number;
      verifyRc: number;
      verifySeconds: number;
      doctorError?: string;
      verifyError?: string;
      doctor: { id: string; status: string; detail?: string; fix?: string }[];
      lessons: LessonLine[];
    }
  | { t: 'done' };

/** The guest lines in a results file: complete JSON lines only (the serial port adds \r). */
export function parseLines(text: string): { lines: GuestLine[]; garbage: string[] } {
  const lines: GuestLine[] = [];
  const garbage: string[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.replace(/\r/g, '').trim();
    if (!l) continue;
    try {
      const v = JSON.parse(l) as GuestLine;
      if (v && typeof v === 'object' && 't' in v) lines.push(v);
      else garbage.push(l);
    } catch {
      garbage.push(l);
    }
  }
  return { lines, garbage };
}

/** One boot as the host saw it. */
export interface BootResult {
  boot: string;
  scenarios: Scenario[];
  lines: GuestLine[];
  /** Why the boot ended early, if it did (killed after its deadline, qemu failed, ...). */
  problem?: string;
  /** The last step the guest announced. */
  lastStep?: string;
}

export type Cell = 'pass' | 'fail' | 'skip' | 'missing';

export interface Row {
  scenario: string;
  user: string;
  /** The scenario row as shown: trixie-apparmor+fix for the run after the README's fix. */
  label: string;
  cells: Map<string, { cell: Cell; ok: boolean; reason?: string; runnable: boolean | null }>;
  agree: { ok: boolean; detail: string };
  residue: { ok: boolean; detail: string };
  verifySeconds?: number;
  notes: string[];
}

export interface Check {
  scenario: string;
  user: string;
  name: string;
  ok: boolean;
  detail: string;
}

export interface Judgement {
  rows: Row[];
  checks: Check[];
  notes: string[];
  passed: number;
  failed: number;
}

/** The rows a scenario must produce: [scenario label, user]. */
function expectedRows(s: Scenario): [string, string][] {
  if (s.kind === 'apparmor') return [[s.name, 'vagrant'], [`${s.name}+fix`, 'vagrant']];
  return [[s.name, 'vagrant'], [s.name, 'root']];
}

const cellOf = (status: string): Cell => (status === 'pass' ? 'pass' : status === 'skip' ? 'skip' : status === 'fail' ? 'fail' : 'missing');

/** lessonIds: the lessons the checkout has (the matrix's columns, 01..12). */
export function judge(boots: BootResult[], lessonIds: string[]): Judgement {
  const rows: Row[] = [];
  const checks: Check[] = [];
  const notes: string[] = [];
  for (const b of boots) {
    const ended = b.problem ? `${b.problem}${b.lastStep ? ` (last step: ${b.lastStep})` : ''}` : 'the guest ended before it';
    const na = new Set<string>();
    for (const l of b.lines) {
      if (l.t === 'note') {
        notes.push(`${l.scenario}: ${l.text}`);
        if (/not applicable/.test(l.text)) na.add(l.scenario);
      }
      if (l.t === 'assert') checks.push({ scenario: l.scenario, user: l.user, name: l.name, ok: l.ok, detail: l.detail });
      if (l.t === 'doctorline') {
        const named = l.lines.filter((x) => x.status !== 'ok');
        checks.push({
          scenario: l.scenario,
          user: l.user,
          name: `doctor names ${l.pattern}`,
          ok: named.length > 0,
          detail: l.error ?? (l.lines.length ? l.lines.map((x) => `${x.id}: ${x.status}: ${x.detail}${x.fix ? ` (fix: ${x.fix})` : ''}`).join('; ') : `no doctor check mentions ${l.pattern}`),
        });
      }
    }
    if (!b.lines.some((l) => l.t === 'done')) checks.push({ scenario: b.boot, user: '-', name: 'guest finished', ok: false, detail: ended });
    for (const s of b.scenarios) {
      if (na.has(s.name)) continue;
      for (const [label, user] of expectedRows(s)) {
        const got = b.lines.find((l): l is Extract<GuestLine, { t: 'lessons' }> => l.t === 'lessons' && l.scenario === label && l.user === user);
        const residue = b.lines.find((l): l is Extract<GuestLine, { t: 'assert' }> => l.t === 'assert' && l.scenario === label && l.user === user && l.name === 'residue');
        rows.push(row(label, user, got, residue, lessonIds, label.endsWith('apparmor') && user === 'vagrant', ended));
      }
    }
  }
  // Residue lines became row columns; the rest stay checks.
  const other = checks.filter((c) => c.name !== 'residue');
  let passed = 0;
  let failed = 0;
  const add = (ok: boolean) => (ok ? passed++ : failed++);
  for (const r of rows) {
    for (const c of r.cells.values()) add(c.ok);
    add(r.agree.ok);
    add(r.residue.ok);
  }
  for (const c of other) add(c.ok);
  return { rows, checks: other, notes, passed, failed };
}

function row(
  label: string,
  user: string,
  got: Extract<GuestLine, { t: 'lessons' }> | undefined,
  residue: Extract<GuestLine, { t: 'assert' }> | undefined,
  lessonIds: string[],
  restricted: boolean,
  ended: string,
): Row {
  const scenario = label.replace(/\+fix$/, '');
  const cells: Row['cells'] = new Map();
  const notes: string[] = [];
  if (!got) {
    for (const id of lessonIds) cells.set(id, { cell: 'missing', ok: false, reason: `no result: ${ended}`, runnable: null });
    return {
      scenario,
      user,
      label,
      cells,
      agree: { ok: false, detail: `no doctor/verify result: ${ended}` },
      residue: residue ? { ok: residue.ok, detail: residue.detail } : { ok: false, detail: `not checked: ${ended}` },
      notes,
    };
  }
  if (got.doctorError) notes.push(`doctor: ${got.doctorError}`);
  if (got.verifyError) notes.push(`verify (exit ${got.verifyRc}): ${got.verifyError}`);
  const disagree: string[] = [];
  for (const id of lessonIds) {
    const l = got.lessons.find((x) => x.id === id);
    if (!l) {
      cells.set(id, { cell: 'missing', ok: false, reason: 'not in verify --json', runnable: null });
      disagree.push(`${id.slice(0, 2)}: no verify result`);
      continue;
    }
    const cell = cellOf(l.status);
    // Under the AppArmor restriction, before the fix, the truth is "can't run here" (skip,
    // with the reason), not a pass; a failure means nslab ran into it without knowing.
    const ok = restricted ? cell === 'pass' || cell === 'skip' : cell === 'pass';
    cells.set(id, { cell, ok, reason: l.reason || l.doctorReason || undefined, runnable: l.runnable });
    if (l.runnable === null) disagree.push(`${id.slice(0, 2)}: not in doctor --json`);
    else if (l.runnable !== (cell === 'pass')) disagree.push(`${id.slice(0, 2)}: doctor ${l.runnable ? 'can run' : `can't run${l.doctorReason ? ` (${l.doctorReason})` : ''}`}, verify ${l.status}`);
  }
  for (const l of got.lessons) if (!lessonIds.includes(l.id)) notes.push(`verify reported a lesson not in lessons/: ${l.id}`);
  if (got.doctorError && !got.lessons.length) disagree.push('doctor gave no JSON');
  // verify's exit status is part of what a learner's script sees: 0 all passed, 1 something
  // failed, 3 something could not run here. A run killed on its way out (137) must not pass.
  const statuses = got.lessons.map((l) => l.status);
  const wantRc = statuses.includes('fail') ? 1 : statuses.includes('skip') ? 3 : 0;
  if (got.lessons.length && got.verifyRc !== wantRc) disagree.push(`verify exited ${got.verifyRc}, where its results call for ${wantRc}`);
  return {
    scenario,
    user,
    label,
    cells,
    agree: { ok: disagree.length === 0 && !got.doctorError, detail: disagree.length ? disagree.join('; ') : got.doctorError ? 'doctor gave no JSON' : 'doctor runnable <=> verify pass, every lesson' },
    residue: residue ? { ok: residue.ok, detail: residue.detail } : { ok: false, detail: 'not checked' },
    verifySeconds: got.verifySeconds,
    notes,
  };
}

const short = (id: string) => id.slice(0, 2);

/** The matrix as a plain-text table for the terminal. */
export function renderText(j: Judgement, lessonIds: string[]): string {
  const head = ['scenario', 'user', ...lessonIds.map(short), 'doctor', 'residue'];
  const body = j.rows.map((r) => [
    r.label,
    r.user,
    ...lessonIds.map((id) => {
      const c = r.cells.get(id)!;
      return c.ok ? c.cell : c.cell.toUpperCase();
    }),
    r.agree.ok ? 'agrees' : 'DIFFERS',
    r.residue.ok ? 'none' : 'LEFT',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)].join('\n');
}

const md = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The matrix, the failures with their reasons and the other assertions, as Markdown. */
export function renderMarkdown(j: Judgement, lessonIds: string[], title: string): string {
  const out: string[] = [`## ${title}`, ''];
  out.push(`| scenario | user | ${lessonIds.map(short).join(' | ')} | doctor = verify | residue |`);
  out.push(`|---|---|${lessonIds.map(() => '---').join('|')}|---|---|`);
  for (const r of j.rows) {
    const cells = lessonIds.map((id) => {
      const c = r.cells.get(id)!;
      return c.ok ? c.cell : `**${c.cell}**`;
    });
    out.push(`| ${r.label} | ${r.user} | ${cells.join(' | ')} | ${r.agree.ok ? 'yes' : '**no**'} | ${r.residue.ok ? 'none' : '**left**'} |`);
  }
  out.push('', `${j.passed} passed, ${j.failed} failed`, '');
  const why: string[] = [];
  for (const r of j.rows) {
    for (const [id, c] of r.cells) if (!c.ok || c.cell === 'skip') why.push(`- ${r.label} / ${r.user} / ${id}: ${c.cell}${c.reason ? `: ${md(c.reason)}` : ''}`);
    if (!r.agree.ok) why.push(`- ${r.label} / ${r.user}: doctor and verify disagree: ${md(r.agree.detail)}`);
    if (!r.residue.ok) why.push(`- ${r.label} / ${r.user}: residue: ${md(r.residue.detail)}`);
    for (const n of r.notes) why.push(`- ${r.label} / ${r.user}: ${md(n)}`);
  }
  if (why.length) out.push('### Not passed, and why', '', ...why, '');
  if (j.checks.length) {
    out.push('### Other assertions', '', '| scenario | user | assertion | result | detail |', '|---|---|---|---|---|');
    for (const c of j.checks) out.push(`| ${c.scenario} | ${c.user} | ${md(c.name)} | ${c.ok ? 'pass' : '**fail**'} | ${md(c.detail)} |`);
    out.push('');
  }
  if (j.notes.length) out.push('### Notes', '', ...j.notes.map((n) => `- ${md(n)}`), '');
  return out.join('\n');
}
