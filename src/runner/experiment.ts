// One experiment, start to verdict: requirements, the rootfs, a fresh sandbox, the checks.
// The lesson flow, verify and the self-test all go through here, so an experiment behaves the
// same whether a learner, a CI job or an author runs it.
import type { LoadedLesson } from '../lessons/loader.js';
import type { ExperimentSpec } from '../lessons/types.js';
import type { SandboxResult, StaleSweep } from '../sandbox/index.js';
import type { CheckResult } from '../check/index.js';
import { NslabError } from './errors.js';
import type { Requirements } from './requirements.js';

export type Status = 'pass' | 'fail' | 'skip';

export interface ExperimentOutcome {
  lesson: string;
  experiment: string;
  title: string;
  status: Status;
  /** Why it failed or was skipped, in one sentence. */
  reason?: string;
  checks: CheckResult[];
  result?: SandboxResult;
}

export interface RunOptions {
  requirements: Requirements;
  /** Passed to the experiment as its second argument (the self-test's sabotage). */
  args?: unknown;
}

/** Cgroups left by an nslab that was SIGKILLed are swept once per process, before the first
 * experiment that may make cgroups of its own. */
let sweptOnce: Promise<StaleSweep> | undefined;

export async function runOne(lesson: LoadedLesson, index: number, opts: RunOptions): Promise<ExperimentOutcome> {
  const spec = lesson.module.experiments[index]!;
  const base = { lesson: lesson.meta.id, experiment: spec.id, title: spec.title };
  const reqs = [...lesson.meta.requires, ...(spec.requires ?? [])];
  if (!opts.requirements.probes.root) reqs.push('userns');
  const verdict = await opts.requirements.all(reqs);
  if (!verdict.ok) return { ...base, status: 'skip', reason: verdict.reason, checks: [] };

  let rootfs: string | undefined;
  if (spec.sandbox.rootfs) {
    const { ensureRootfs } = await import('../rootfs/index.js');
    try {
      rootfs = await ensureRootfs();
    } catch (err) {
      // The machine cannot provide a rootfs (no busybox, no network): an environment limit.
      return { ...base, status: 'skip', reason: `no rootfs: ${(err as Error).message}`, checks: [] };
    }
  }

  const { runExperiment, cleanStaleCgroups } = await import('../sandbox/index.js');
  if (reqs.includes('cgroup') || reqs.includes('cgroup2')) await (sweptOnce ??= cleanStaleCgroups());
  let result: SandboxResult;
  try {
    result = await runExperiment(
      { module: lesson.modulePath, path: ['default', 'experiments', index, 'run'], args: opts.args },
      {
        namespaces: spec.sandbox.namespaces,
        rootfs,
        pivot: spec.sandbox.pivot,
        hostname: spec.sandbox.hostname,
        timeoutMs: spec.sandbox.timeoutMs,
        uidRange: reqs.includes('uid-range'),
        outside: spec.outside,
      },
    );
  } catch (err) {
    if (err instanceof Error && err.name === 'HelperMissingError') throw new NslabError(err.message, { cause: err });
    return { ...base, status: 'fail', reason: `the sandbox could not start: ${(err as Error).message}`, checks: [] };
  }
  return judge(spec, result, base);
}

export async function judge(
  spec: ExperimentSpec,
  result: SandboxResult,
  base: Pick<ExperimentOutcome, 'lesson' | 'experiment' | 'title'>,
): Promise<ExperimentOutcome> {
  if (result.status === 'skip') return { ...base, status: 'skip', reason: result.reason ?? 'the experiment skipped itself', checks: [], result };
  const { evaluateChecks } = await import('../check/index.js');
  const checks = evaluateChecks(spec, result);
  const failed = checks.filter((c) => !c.pass);
  return {
    ...base,
    status: failed.length || result.status !== 'ok' ? 'fail' : 'pass',
    reason:
      result.status !== 'ok'
        ? (result.reason ?? `the sandbox ended with ${result.status}`)
        : failed.length
          ? `${failed.length} of ${checks.length} checks failed: ${failed.map((c) => c.id).join(', ')}`
          : undefined,
    checks,
    result,
  };
}

/** Runs async jobs with at most `limit` at a time, results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, job: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await job(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
