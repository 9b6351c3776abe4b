// A workshop's pre-flight, after the Carpentries' installation test and kubeadm's preflight:
// the lessons a workshop needs (`--need 01-06,08`, or a small YAML file with minimum versions),
// and whether each can run on this machine. It is ready exactly when every needed lesson can
// run (doctor's verdict, the one verify skips on) and nothing breaks nslab itself; each blocker
// is named by its check ID with its fix, and `--ignore ID` downgrades one to a warning.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { docsFor, ignores, isKnownCheck, titleOf, type Blocker } from './blockers.js';
import type { DoctorReport, Finding } from './doctor.js';
import { NslabError, UsageError, closest, errnoOf } from './errors.js';

export interface Workshop {
  name?: string;
  /** Lesson specs as written: '01-06', '8', 'pivot-root', '04-pivot-root'. */
  lessons: string[];
  minimum: { node?: string; kernel?: string; nslab?: string };
  ignore: string[];
  /** For `nslab class`: who is expected to send a report. */
  students: string[];
  file?: string;
}

/** '01-06,08' -> ['01-06', '08']; also takes spaces and a YAML list's items. */
export function splitNeed(spec: string | string[]): string[] {
  return (Array.isArray(spec) ? spec : [spec]).flatMap((s) => String(s).split(/[,\s]+/)).filter(Boolean);
}

export interface KnownLesson {
  id: string;
  number: number;
  slug: string;
}

/** Each spec's lessons, by number, range, id or slug. A number or name nslab has no lesson
 * for is kept as written: the pre-flight reports it as lesson.not-found. */
export function resolveNeed(specs: string[], known: KnownLesson[]): string[] {
  const out: string[] = [];
  const add = (id: string) => {
    if (!out.includes(id)) out.push(id);
  };
  for (const raw of specs) {
    const s = raw.trim().toLowerCase();
    const range = /^(\d+)-(\d+)$/.exec(s);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (a > b) throw new UsageError(`The lesson range '${raw}' runs backwards; write it low-high, e.g. ${b}-${a}.`);
      for (let n = a; n <= b; n++) add(known.find((l) => l.number === n)?.id ?? String(n).padStart(2, '0'));
      continue;
    }
    if (/^\d+$/.test(s)) {
      add(known.find((l) => l.number === Number(s))?.id ?? s.padStart(2, '0'));
      continue;
    }
    add(known.find((l) => l.id === s)?.id ?? known.find((l) => l.slug === s)?.id ?? s);
  }
  return out;
}

const KEYS = ['name', 'lessons', 'minimum', 'ignore', 'students'];
const MINIMUMS = ['node', 'kernel', 'nslab'];

export function parseWorkshop(text: string, file: string): Workshop {
  let data: unknown;
  try {
    // failsafe: every scalar a string, so 'kernel: 5.10' stays 5.10 (not the number 5.1).
    data = parse(text, { schema: 'failsafe' });
  } catch (err) {
    throw new NslabError(`${file} is not valid YAML (${(err as Error).message.split('\n')[0]}); see README.md#workshop-files for the format.`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new NslabError(`${file} is not a workshop file: expected keys ${KEYS.join(', ')} (see README.md#workshop-files).`);
  const d = data as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (!KEYS.includes(k)) {
      const guess = closest(k, KEYS);
      throw new NslabError(`${file}: unknown key '${k}'${guess ? ` (did you mean '${guess}'?)` : ''}; a workshop file has ${KEYS.join(', ')}.`);
    }
  // Lessons and check IDs split on commas and spaces; names only on commas.
  const list = (k: string): string[] => {
    const v = d[k];
    const split = (x: string[]) => (k === 'students' ? x.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean) : splitNeed(x));
    if (v === undefined || v === null || v === '') return [];
    if (typeof v === 'string') return split([v]);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return split(v as string[]);
    throw new NslabError(`${file}: '${k}' should be a list or a comma-separated string.`);
  };
  const minimum: Workshop['minimum'] = {};
  if (d.minimum !== undefined && d.minimum !== '') {
    if (!d.minimum || typeof d.minimum !== 'object' || Array.isArray(d.minimum)) throw new NslabError(`${file}: 'minimum' should map node, kernel or nslab to a version, e.g. kernel: 5.15.`);
    for (const [k, v] of Object.entries(d.minimum as Record<string, unknown>)) {
      if (!MINIMUMS.includes(k)) throw new NslabError(`${file}: unknown minimum '${k}'; a workshop can ask for a minimum ${MINIMUMS.join(', ')}.`);
      if (typeof v !== 'string' || !/^v?\d+(\.\d+)*$/.test(v.trim())) throw new NslabError(`${file}: minimum ${k} '${String(v)}' is not a version like 5.15.`);
      minimum[k as keyof Workshop['minimum']] = v.trim().replace(/^v/, '');
    }
  }
  const lessons = list('lessons');
  if (!lessons.length) throw new NslabError(`${file}: 'lessons' is missing; name the lessons the workshop needs, e.g. lessons: 01-06, 08.`);
  return { name: typeof d.name === 'string' ? d.name : undefined, lessons, minimum, ignore: list('ignore'), students: list('students'), file };
}

export function loadWorkshop(file: string): Workshop {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new NslabError(`Cannot read the workshop file ${file} (${errnoOf(err) ?? (err as Error).message}).`);
  }
  return parseWorkshop(text, file);
}

/** 'v20.11.1' vs '20.11': <0, 0 or >0, by numeric parts (missing parts are 0). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => (/\d+(\.\d+)*/.exec(v)?.[0] ?? '0').split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** --ignore values: each a check ID or family nslab knows. */
export function checkIgnores(ids: string[]): void {
  for (const id of ids)
    if (!isKnownCheck(id))
      throw new UsageError(`--ignore ${id}: there is no such check. The check IDs are in README.md#doctors-checks (nslab doctor --json lists this machine's).`);
}

export interface PreflightLesson {
  id: string;
  runnable: boolean;
  /** Check IDs that stop it and are not ignored. */
  blockers: string[];
  /** Check IDs that stop it but were ignored. */
  ignored: string[];
}

export interface Preflight {
  name?: string;
  needed: string[];
  ready: boolean;
  lessons: PreflightLesson[];
  /** Errors: not ignored, and blocking a needed lesson or nslab itself. */
  errors: Finding[];
  warnings: Finding[];
  minimum: Workshop['minimum'];
}

export interface PreflightInput {
  needed: string[];
  /** Lessons that exist but do not load: id -> the loader's first complaint. */
  broken: Map<string, string>;
  ignore: string[];
  minimum: Workshop['minimum'];
  name?: string;
  nslab: string;
}

/** Adds the workshop's own findings (versions, missing or broken lessons) to the doctor's
 * report and decides. The report must come from doctor(..., { need, ignore }). */
export function preflight(report: DoctorReport, input: PreflightInput): Preflight {
  const { needed, ignore } = input;
  const extra = new Map<string, string[]>();
  const add = (b: Blocker, lessons: string[]) => {
    let f = report.findings.find((x) => x.id === b.check);
    if (!f) {
      const ignored = ignore.some((i) => ignores(i, b.check));
      f = { id: b.check, severity: ignored ? 'warning' : 'error', title: titleOf(b.check), observed: b.observed, expected: b.expected, fix: b.fix, blocks: [], machineWide: false, docs: docsFor(b.check), lines: [], ignored };
      report.findings.push(f);
    }
    for (const l of lessons) {
      if (!f.blocks.includes(l)) f.blocks.push(l);
      extra.set(l, [...(extra.get(l) ?? []), b.check]);
    }
    if (!f.ignored) f.severity = 'error';
  };
  const m = input.minimum;
  if (m.node && compareVersions(report.node, m.node) < 0)
    add({ check: 'node.too-old', observed: `Node.js ${report.node}`, expected: `Node.js ${m.node} or newer`, fix: `install Node.js ${m.node} or newer (nodejs.org, or the NodeSource packages), then npm install` }, needed);
  if (m.kernel && compareVersions(report.kernel, m.kernel) < 0)
    add({ check: 'kernel.too-old', observed: `Linux ${report.kernel}`, expected: `Linux ${m.kernel} or newer`, fix: 'vagrant up (the workshop VM, Debian 12), or boot a newer distribution kernel' }, needed);
  if (m.nslab && compareVersions(input.nslab, m.nslab) < 0)
    add({ check: 'nslab.too-old', observed: `nslab ${input.nslab}`, expected: `nslab ${m.nslab} or newer`, fix: 'git pull && npm install' }, needed);
  const known = new Set(report.lessons.map((l) => l.id));
  for (const id of needed) {
    if (known.has(id)) continue;
    const why = input.broken.get(id);
    if (why !== undefined) add({ check: 'lesson.does-not-load', observed: why, expected: 'every needed lesson loads', fix: `npx nslab verify ${id} (it names the file and line to correct)` }, [id]);
    else add({ check: 'lesson.not-found', observed: `no lesson ${id} in this nslab`, expected: `lesson ${id}`, fix: 'git pull && npm install (a newer nslab may have it), or --lessons DIR' }, [id]);
  }
  const isIgnored = (id: string) => ignore.some((i) => ignores(i, id));
  const lessons: PreflightLesson[] = needed.map((id) => {
    const all = [...(report.lessons.find((l) => l.id === id)?.blockers ?? []), ...(extra.get(id) ?? [])];
    const uniq = [...new Set(all)];
    const blockers = uniq.filter((b) => !isIgnored(b));
    return { id, runnable: blockers.length === 0, blockers, ignored: uniq.filter(isIgnored) };
  });
  const machine = report.findings.filter((f) => f.machineWide && !f.ignored);
  const need = new Set(needed);
  const errors = report.findings.filter((f) => !f.ignored && (f.machineWide || f.blocks.some((l) => need.has(l))));
  for (const f of report.findings) f.severity = errors.includes(f) ? 'error' : 'warning';
  const warnings = report.findings.filter((f) => !errors.includes(f));
  report.findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) || b.blocks.length - a.blocks.length || a.id.localeCompare(b.id));
  return {
    ...(input.name ? { name: input.name } : {}),
    needed,
    ready: lessons.every((l) => l.runnable) && machine.length === 0,
    lessons,
    errors: report.findings.filter((f) => errors.includes(f)),
    warnings,
    minimum: input.minimum,
  };
}
