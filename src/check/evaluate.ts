// Turns an experiment's checks and one sandbox result into verdicts. A check is lesson code:
// if it throws or returns something that is not a CheckOutcome, that check fails and says why,
// and the others are still judged.
import type { ExperimentSpec, CheckOutcome } from '../lessons/types.js';
import type { SandboxResult } from '../sandbox/types.js';
import { normalizeEvidence, showStacks, tailLines, textOf, truncateLine } from './evidence.js';

export interface CheckResult {
  id: string;
  expected: string;
  observed: string;
  evidence: string[];
  pass: boolean;
  /** Present on failures only. */
  hint?: string;
}

export function evaluateChecks(spec: Pick<ExperimentSpec, 'checks'>, result: SandboxResult): CheckResult[] {
  if (result.status !== 'ok') {
    const why = result.reason?.trim() || defaultReason(result);
    const observed = result.status === 'skip' ? `skipped: ${why}` : why;
    const evidence = normalizeEvidence([...tailLines(result.trace, 2), ...tailLines(result.stderr ?? '', 3)]);
    const hint =
      result.status === 'timeout'
        ? 'the experiment did not finish in time; the trace shows the last syscall it made'
        : result.status === 'skip'
          ? undefined
          : 'the experiment did not run to the end, so nothing could be checked; the trace and stderr show where it stopped';
    return spec.checks.map((c) => ({ id: c.id, expected: c.expected, observed, evidence, pass: false, ...(hint ? { hint } : {}) }));
  }
  return spec.checks.map((c) => runCheck(c, result));
}

function runCheck(c: ExperimentSpec['checks'][number], result: SandboxResult): CheckResult {
  const base = { id: c.id, expected: c.expected };
  let outcome: unknown;
  try {
    outcome = c.check(result.observations, result.outside ?? {});
  } catch (err) {
    const e = err as Error;
    return {
      ...base,
      pass: false,
      observed: `check threw ${e?.name ?? 'an error'}: ${truncateLine(e?.message ?? textOf(err), 200)}`,
      evidence: normalizeEvidence(firstFrame(e)),
      hint: "the check's own code failed on these observations; this is a bug in the lesson (or the observations are not what it expects)",
    };
  }
  if (outcome instanceof Promise) {
    outcome.catch(() => {});
    return { ...base, pass: false, observed: 'check returned a Promise; checks must be synchronous', evidence: [], hint: 'make the check a plain function: compute everything it needs in run()' };
  }
  if (!isOutcome(outcome)) {
    return { ...base, pass: false, observed: `check returned ${truncateLine(textOf(outcome), 120)}, not { pass, observed, evidence }`, evidence: [], hint: 'return { pass: boolean, observed: string, evidence: string[], hint? }' };
  }
  const res: CheckResult = { ...base, pass: outcome.pass, observed: textOf(outcome.observed), evidence: normalizeEvidence(outcome.evidence) };
  if (!outcome.pass && outcome.hint !== undefined && textOf(outcome.hint).trim() !== '') res.hint = textOf(outcome.hint);
  return res;
}

function isOutcome(v: unknown): v is CheckOutcome {
  return typeof v === 'object' && v !== null && typeof (v as CheckOutcome).pass === 'boolean';
}

function firstFrame(e: Error | undefined): string[] {
  if (!showStacks()) return [];
  const frame = e?.stack?.split('\n').find((l) => /^\s+at /.test(l));
  return frame ? [frame.trim()] : [];
}

function defaultReason(r: SandboxResult): string {
  if (r.status === 'timeout') return `the sandbox timed out after ${Math.round(r.durationMs)} ms`;
  if (r.status === 'skip') return 'skipped';
  if (r.signal) return `the sandbox was killed by ${r.signal}`;
  if (r.exitCode !== null && r.exitCode !== 0) return `the sandbox exited with status ${r.exitCode}`;
  return 'the sandbox failed';
}

/** Passed when every check passed (and there was at least one). */
export function allPassed(results: CheckResult[]): boolean {
  return results.length > 0 && results.every((r) => r.pass);
}
