// An experiment typed from what it does: `experiment({ run, checks, ... })` infers the
// observations from what run() returns and the sabotage arguments from run()'s second
// parameter, so the checks, diagrams and sabotage entries are typed against them without an
// interface that repeats run()'s return value.
//
// `checks` may also be written as `(check) => [check(id, expected, (obs, outside) => outcome),
// errnoIs(...), ...]`: the function is typed once the observations are known, so `check` and the
// kit's builders get them without a type named by hand (a generic builder call placed directly in
// the array would leave TypeScript nothing to infer them from). At run time the function is
// called once, here, and the spec has a plain array of checks, as the engine reads it.
import type { Check, CheckOutcome, ExperimentSpec } from '../lessons/types.js';
import type { OutsideView } from '../sandbox/types.js';

/** A check from its id, its expected line and the function that judges the observations. */
export type CheckOf<O> = (id: string, expected: string, judge: (obs: O, outside: Record<string, OutsideView[]>) => CheckOutcome) => Check<O>;

export type ExperimentInput<O, A> = Omit<ExperimentSpec<O, A>, 'checks'> & { checks: Check<O>[] | ((check: CheckOf<O>) => Check<O>[]) };

export function experiment<O, A = undefined>(spec: ExperimentInput<O, A>): ExperimentSpec<O, A> {
  const { checks } = spec;
  return { ...spec, checks: typeof checks === 'function' ? checks((id, expected, judge) => ({ id, expected, check: judge })) : checks };
}
