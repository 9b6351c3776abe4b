// `nslab selftest`: the author's proof that a lesson's checks mean something (rustlings'
// `dev check` idea). Each experiment must pass when run as written, and each `sabotage` entry
// (a deliberately wrong setup) must make every check it lists FAIL, with a hint, since a
// check that cannot fail teaches nothing and a failure without a hint leaves the learner stuck.
import type { LoadedLesson } from '../lessons/loader.js';
import { lessonRequirements } from './doctor.js';
import { pool, runOne, type ExperimentOutcome } from './experiment.js';
import type { Requirements } from './requirements.js';

export interface SelftestCase {
  lesson: string;
  experiment: string;
  /** 'as written', or the sabotage's description. */
  what: string;
  sabotage: boolean;
  status: 'pass' | 'fail' | 'skip';
  /** What is wrong with the lesson, one sentence each (or why it was skipped). */
  problems: string[];
}

export interface SelftestLesson {
  id: string;
  cases: SelftestCase[];
  /** Checks no sabotage ever made fail: they may be unable to fail at all. */
  neverFailed: string[];
}

export async function selftestLessons(
  lessons: LoadedLesson[],
  requirements: Requirements,
  onCase?: (c: SelftestCase) => void,
): Promise<SelftestLesson[]> {
  return pool(lessons, 2, (l) => selftestLesson(l, requirements, onCase));
}

export async function selftestLesson(lesson: LoadedLesson, requirements: Requirements, onCase?: (c: SelftestCase) => void): Promise<SelftestLesson> {
  const cases: SelftestCase[] = [];
  const neverFailed: string[] = [];
  const add = (c: SelftestCase) => {
    cases.push(c);
    onCase?.(c);
  };
  const verdict = await requirements.all(lessonRequirements(lesson, requirements.probes.root));
  for (const [i, spec] of lesson.module.experiments.entries()) {
    const base = { lesson: lesson.meta.id, experiment: spec.id };
    if (!verdict.ok) {
      add({ ...base, what: 'as written', sabotage: false, status: 'skip', problems: [verdict.reason] });
      continue;
    }
    const normal = await runOne(lesson, i, { requirements });
    add({ ...base, what: 'as written', sabotage: false, ...normalVerdict(normal) });
    if (normal.status === 'skip') continue;

    const failedSomewhere = new Set<string>();
    for (const s of spec.sabotage ?? []) {
      const out = await runOne(lesson, i, { requirements, args: s.args });
      if (out.status === 'skip') {
        add({ ...base, what: s.what, sabotage: true, status: 'skip', problems: [out.reason ?? 'skipped'] });
        continue;
      }
      const problems: string[] = [];
      if (!out.checks.length) problems.push(`the sabotaged run produced no check results (${out.reason ?? 'no reason given'})`);
      for (const id of s.fails) {
        const c = out.checks.find((x) => x.id === id);
        if (!c) {
          if (out.checks.length) problems.push(`sabotage lists check '${id}', which the experiment does not have`);
          continue;
        }
        if (c.pass) problems.push(`check '${id}' still passed (observed ${c.observed}): it cannot tell this setup from the right one`);
        else if (!c.hint || !c.hint.trim()) problems.push(`check '${id}' failed without a hint: a learner would not know what to look at`);
        else failedSomewhere.add(id);
      }
      add({ ...base, what: s.what, sabotage: true, status: problems.length ? 'fail' : 'pass', problems });
    }
    for (const c of spec.checks) if (!failedSomewhere.has(c.id)) neverFailed.push(`${spec.id}/${c.id}`);
  }
  return { id: lesson.meta.id, cases, neverFailed };
}

function normalVerdict(o: ExperimentOutcome): Pick<SelftestCase, 'status' | 'problems'> {
  if (o.status === 'skip') return { status: 'skip', problems: [o.reason ?? 'skipped'] };
  if (o.status === 'pass') return { status: 'pass', problems: [] };
  const failing = o.checks.filter((c) => !c.pass);
  return {
    status: 'fail',
    problems: failing.length
      ? failing.map((c) => `check '${c.id}' failed as written: expected ${c.expected}, observed ${c.observed}`)
      : [o.reason ?? 'the experiment failed'],
  };
}
