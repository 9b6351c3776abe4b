// `nslab verify`: every (or the named) lesson's experiments, non-interactively, two lessons at
// a time (the CI machine has two cores, and each sandbox is a Node process of its own).
// A lesson that cannot run here is 'skip' with the doctor's reason, never 'pass', and the exit
// status is 0 only when everything ran and passed. The JSON shape is read by scripts: add
// fields, never rename them.
import type { LessonError, LoadedLesson } from '../lessons/loader.js';
import type { DoctorReport } from './doctor.js';
import { lessonRequirements } from './doctor.js';
import { pool, runOne, type ExperimentOutcome, type Status } from './experiment.js';
import type { Requirements } from './requirements.js';

export interface VerifyCheck {
  id: string;
  experiment: string;
  expected: string;
  observed: string;
  /** The /proc line(s) the verdict rests on, one per line. */
  evidence: string;
  pass: boolean;
  hint?: string;
}

export interface VerifyLesson {
  id: string;
  title: string;
  status: Status;
  reason: string;
  checks: VerifyCheck[];
  experiments: { id: string; title: string; status: Status; reason: string; durationMs: number; checks: string[] }[];
  durationMs: number;
}

export interface VerifyReport {
  nslab: string;
  environment: Omit<DoctorReport, 'lessons'>;
  lessons: VerifyLesson[];
  passed: number;
  failed: number;
  skipped: number;
}

export interface VerifyOptions {
  version: string;
  requirements: Requirements;
  environment: Omit<DoctorReport, 'lessons'>;
  concurrency?: number;
  /** Called as each lesson finishes, for live output. */
  onLesson?: (lesson: VerifyLesson) => void;
  formatError: (e: LessonError) => string;
}

export async function verifyLessons(lessons: LoadedLesson[], broken: LessonError[], opts: VerifyOptions): Promise<VerifyReport> {
  const brokenIds = [...new Set(broken.map((e) => e.lessonId))];
  const brokenResults: VerifyLesson[] = brokenIds.map((id) => ({
    id: id || '(lessons folder)',
    title: id || '(lessons folder)',
    status: 'fail',
    reason: `the lesson does not load: ${broken.filter((e) => e.lessonId === id).map(opts.formatError).join('; ')}`,
    checks: [],
    experiments: [],
    durationMs: 0,
  }));
  for (const b of brokenResults) opts.onLesson?.(b);

  const results = await pool(lessons, opts.concurrency ?? 2, async (lesson) => {
    const r = await verifyLesson(lesson, opts.requirements);
    opts.onLesson?.(r);
    return r;
  });
  const all = [...results, ...brokenResults].sort((a, b) => a.id.localeCompare(b.id));
  return {
    nslab: opts.version,
    environment: opts.environment,
    lessons: all,
    passed: all.filter((l) => l.status === 'pass').length,
    failed: all.filter((l) => l.status === 'fail').length,
    skipped: all.filter((l) => l.status === 'skip').length,
  };
}

export async function verifyLesson(lesson: LoadedLesson, requirements: Requirements): Promise<VerifyLesson> {
  const started = Date.now();
  const base = { id: lesson.meta.id, title: lesson.meta.title };
  const experimentsOf = (status: Status, reason: string) =>
    lesson.module.experiments.map((e) => ({ id: e.id, title: e.title, status, reason, durationMs: 0, checks: e.checks.map((c) => c.id) }));
  const verdict = await requirements.all(lessonRequirements(lesson, requirements.probes.root));
  if (!verdict.ok) return { ...base, status: 'skip', reason: verdict.reason, checks: [], experiments: experimentsOf('skip', verdict.reason), durationMs: 0 };

  const outcomes: ExperimentOutcome[] = [];
  // Sequential within a lesson: later experiments may rely on what a learner saw before, and
  // the parallelism is across lessons.
  for (let i = 0; i < lesson.module.experiments.length; i++) outcomes.push(await runOne(lesson, i, { requirements }));

  const checks: VerifyCheck[] = outcomes.flatMap((o) =>
    o.checks.map((c) => ({
      id: c.id,
      experiment: o.experiment,
      expected: c.expected,
      observed: c.observed,
      evidence: c.evidence.join('\n'),
      pass: c.pass,
      ...(c.pass || !c.hint ? {} : { hint: c.hint }),
    })),
  );
  const failed = outcomes.filter((o) => o.status === 'fail');
  const skipped = outcomes.filter((o) => o.status === 'skip');
  const optional = new Set(lesson.module.experiments.filter((e) => e.optional).map((e) => e.id));
  const required = skipped.filter((o) => !optional.has(o.experiment));
  const status: Status = failed.length ? 'fail' : required.length ? 'skip' : 'pass';
  const reason = failed.length
    ? failed.map((o) => `${o.experiment}: ${o.reason}`).join('; ')
    : skipped.length
      ? skipped.map((o) => `${o.experiment}${optional.has(o.experiment) ? ' (optional)' : ''}: ${o.reason}`).join('; ')
      : '';
  return {
    ...base,
    status,
    reason,
    checks,
    experiments: outcomes.map((o, i) => ({
      id: o.experiment,
      title: o.title,
      status: o.status,
      reason: o.reason ?? '',
      durationMs: o.result?.durationMs ?? 0,
      checks: lesson.module.experiments[i]!.checks.map((c) => c.id),
    })),
    durationMs: Date.now() - started,
  };
}

/** 0 when everything ran and passed; 1 when something failed; 3 when nothing failed but
 * something could not run here (so a CI job cannot mistake 'skipped' for 'passed'). */
export function verifyExitCode(r: VerifyReport): number {
  if (r.failed > 0) return 1;
  if (r.skipped > 0) return 3;
  return 0;
}

// XML 1.0 forbids most control characters outright, even escaped; terminal colour codes
// would otherwise make the whole report unparseable.
const xml = (s: string): string =>
  s
    .replace(/\x1b\[[0-9;]*m/g, '')
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

/** JUnit XML as Jenkins, GitLab and GitHub reporters read it: a testsuite per lesson, a
 * testcase per check; checks of a lesson or experiment that could not run are <skipped>. */
export function toJUnit(r: VerifyReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const l of r.lessons) {
    const cases: string[] = [];
    let sFail = 0;
    let sSkip = 0;
    for (const e of l.experiments) {
      const ran = l.checks.filter((c) => c.experiment === e.id);
      const cls = xml(`nslab.${l.id}.${e.id}`);
      const time = (e.durationMs / 1000).toFixed(3);
      if (e.status === 'skip') {
        for (const id of e.checks) {
          cases.push(`    <testcase classname="${cls}" name="${xml(id)}" time="0"><skipped message="${xml(e.reason || l.reason)}"/></testcase>`);
          sSkip++;
        }
        continue;
      }
      if (!ran.length && e.status === 'fail') {
        cases.push(`    <testcase classname="${cls}" name="${xml(e.id)}" time="${time}"><failure message="${xml(e.reason)}">${xml(e.reason)}</failure></testcase>`);
        sFail++;
        continue;
      }
      for (const c of ran) {
        if (c.pass) cases.push(`    <testcase classname="${cls}" name="${xml(c.id)}" time="${time}"/>`);
        else {
          sFail++;
          const body = `expected: ${c.expected}\nobserved: ${c.observed}${c.evidence ? `\nevidence:\n${c.evidence}` : ''}${c.hint ? `\nhint: ${c.hint}` : ''}`;
          cases.push(`    <testcase classname="${cls}" name="${xml(c.id)}" time="${time}"><failure message="${xml(c.hint ?? c.observed)}">${xml(body)}</failure></testcase>`);
        }
      }
    }
    if (!l.experiments.length) {
      // A lesson that did not even load.
      cases.push(`    <testcase classname="${xml(`nslab.${l.id}`)}" name="load" time="0"><failure message="${xml(l.reason)}">${xml(l.reason)}</failure></testcase>`);
      sFail++;
    }
    tests += cases.length;
    failures += sFail;
    skipped += sSkip;
    suites.push(
      `  <testsuite name="${xml(l.id)}" tests="${cases.length}" failures="${sFail}" errors="0" skipped="${sSkip}" time="${(l.durationMs / 1000).toFixed(3)}">`,
      `    <properties><property name="title" value="${xml(l.title)}"/><property name="status" value="${l.status}"/>${l.reason ? `<property name="reason" value="${xml(l.reason)}"/>` : ''}</properties>`,
      ...cases,
      '  </testsuite>',
    );
  }
  out.push(`<testsuites name="nslab ${xml(r.nslab)}" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}">`, ...suites, '</testsuites>', '');
  return out.join('\n');
}
