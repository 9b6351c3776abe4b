// `nslab verify`: every (or the named) lesson's experiments, non-interactively, one experiment
// per core at a time (each sandbox is a Node process of its own), reported in a fixed order.
// A lesson that cannot run here is 'skip' with the doctor's reason, never 'pass', and the exit
// status is 0 only when everything ran and passed. The JSON shape is read by scripts: add
// fields, never rename them.
import { availableParallelism } from 'node:os';
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
  /** The doctor's findings for the report; a promise lets the doctor run beside the experiments. */
  environment: Omit<DoctorReport, 'lessons'> | Promise<Omit<DoctorReport, 'lessons'>>;
  /** Experiments at once; default one per core (see defaultJobs). */
  concurrency?: number;
  /** Called for each lesson in report order (sorted by id, as the JSON lists them) as soon as it
   * and every lesson before it have finished: live output that reads the same at any --jobs. */
  onLesson?: (lesson: VerifyLesson) => void;
  /** Called as each experiment starts and ends, for a live status line. */
  onExperiment?: (event: ExperimentEvent) => void;
  formatError: (e: LessonError) => string;
}

export interface ExperimentEvent {
  state: 'start' | 'end';
  lesson: string;
  experiment: string;
  /** 1-based position of the experiment in its lesson, and how many the lesson has. */
  index: number;
  of: number;
}

/** One experiment per core: each is a Node process of its own, busy on the CPU while it starts,
 * so more at once only queue for a core and hold more memory. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

interface Planned {
  lesson: LoadedLesson;
  /** Set once known: at once for a lesson that cannot run here, else when its last experiment ends. */
  result?: VerifyLesson;
  outcomes: ExperimentOutcome[];
  /** Wall time spent in its experiments, summed: what the lesson costs, at any --jobs. */
  spentMs: number;
  pending: number;
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

  // The report's order is fixed before anything runs: lessons start in it and are reported in
  // it, so the output is the same whichever experiment happens to finish first.
  const plans = new Map<string, Planned>();
  for (const lesson of lessons) {
    if (plans.has(lesson.meta.id)) continue;
    const verdict = await opts.requirements.all(lessonRequirements(lesson, opts.requirements.probes.root));
    const n = lesson.module.experiments.length;
    plans.set(lesson.meta.id, { lesson, outcomes: new Array(n), spentMs: 0, pending: n, ...(verdict.ok ? {} : { result: skipped(lesson, verdict.reason) }) });
  }
  const fixed = new Map(brokenResults.map((b) => [b.id, b]));
  const order = [...new Set([...plans.keys(), ...fixed.keys()])].sort((a, b) => a.localeCompare(b));
  const resultOf = (id: string): VerifyLesson | undefined => plans.get(id)?.result ?? fixed.get(id);

  let reported = 0;
  const report = (): void => {
    for (let r: VerifyLesson | undefined; reported < order.length && (r = resultOf(order[reported]!)); reported++) opts.onLesson?.(r);
  };

  // Across lessons, not lesson by lesson: a lesson with one slow experiment then holds one core,
  // not the whole run. Each experiment has a fresh sandbox and nothing carries over from one to
  // the next, so the order inside a lesson matters only to a learner reading along.
  const tasks = order.flatMap((id) => {
    const p = plans.get(id);
    return p && !p.result ? p.lesson.module.experiments.map((_, i) => ({ plan: p, i })) : [];
  });
  report(); // lessons that need no experiment, up to the first that does
  if (tasks.some((t) => t.plan.lesson.module.experiments[t.i]!.sandbox.rootfs)) {
    // Made once, before the experiments queue for its lock; its progress (stderr) is over before
    // any experiment's starts.
    const { ensureRootfs } = await import('../rootfs/index.js');
    await ensureRootfs().catch(() => {
      /* each experiment that needs it then skips with the reason */
    });
  }
  await pool(tasks, opts.concurrency ?? defaultJobs(), async ({ plan, i }) => {
    const event = { lesson: plan.lesson.meta.id, experiment: plan.lesson.module.experiments[i]!.id, index: i + 1, of: plan.outcomes.length };
    opts.onExperiment?.({ state: 'start', ...event });
    const started = Date.now();
    plan.outcomes[i] = await runOne(plan.lesson, i, { requirements: opts.requirements });
    plan.spentMs += Date.now() - started;
    opts.onExperiment?.({ state: 'end', ...event });
    if (--plan.pending === 0) {
      plan.result = summarize(plan.lesson, plan.outcomes, plan.spentMs);
      report();
    }
  });
  report();

  const all = order.map((id) => resultOf(id)!);
  return {
    nslab: opts.version,
    environment: await opts.environment,
    lessons: all,
    passed: all.filter((l) => l.status === 'pass').length,
    failed: all.filter((l) => l.status === 'fail').length,
    skipped: all.filter((l) => l.status === 'skip').length,
  };
}

function skipped(lesson: LoadedLesson, reason: string): VerifyLesson {
  return {
    id: lesson.meta.id,
    title: lesson.meta.title,
    status: 'skip',
    reason,
    checks: [],
    experiments: lesson.module.experiments.map((e) => ({ id: e.id, title: e.title, status: 'skip', reason, durationMs: 0, checks: e.checks.map((c) => c.id) })),
    durationMs: 0,
  };
}

/** One lesson on its own, its experiments one after another. */
export async function verifyLesson(lesson: LoadedLesson, requirements: Requirements): Promise<VerifyLesson> {
  const started = Date.now();
  const verdict = await requirements.all(lessonRequirements(lesson, requirements.probes.root));
  if (!verdict.ok) return skipped(lesson, verdict.reason);
  const outcomes: ExperimentOutcome[] = [];
  for (let i = 0; i < lesson.module.experiments.length; i++) outcomes.push(await runOne(lesson, i, { requirements }));
  return summarize(lesson, outcomes, Date.now() - started);
}

function summarize(lesson: LoadedLesson, outcomes: ExperimentOutcome[], durationMs: number): VerifyLesson {
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
  const skips = outcomes.filter((o) => o.status === 'skip');
  const optional = new Set(lesson.module.experiments.filter((e) => e.optional).map((e) => e.id));
  const required = skips.filter((o) => !optional.has(o.experiment));
  const status: Status = failed.length ? 'fail' : required.length ? 'skip' : 'pass';
  const reason = failed.length
    ? failed.map((o) => `${o.experiment}: ${o.reason}`).join('; ')
    : skips.length
      ? skips.map((o) => `${o.experiment}${optional.has(o.experiment) ? ' (optional)' : ''}: ${o.reason}`).join('; ')
      : '';
  return {
    id: lesson.meta.id,
    title: lesson.meta.title,
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
    durationMs,
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
