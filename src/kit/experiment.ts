// An experiment typed from what it does: `experiment({ run, checks, ... })` infers the
// observations from what run() returns and the sabotage arguments from run()'s second
// parameter, so the checks, diagrams and sabotage entries are typed against them without an
// interface that repeats run()'s return value. At run time it hands the spec back unchanged.
import type { ExperimentSpec } from '../lessons/types.js';

export function experiment<O, A = undefined>(spec: ExperimentSpec<O, A>): ExperimentSpec<O, A> {
  return spec;
}
