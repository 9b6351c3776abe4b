// A container's confinement, judged the way `nslab inspect --profile NAME` judges it: for a
// lesson whose exercise or experiment builds a container and wants each point (namespaces, ids,
// root, masked and read-only paths, capabilities, no_new_privs, ...) checked against a runtime's
// profile, with the same evidence and hints, by the same code.
import { describePoint, readConfinement, readReference, judgeConfinement, type ConfinementFacts, type HintStyle, type PointId } from '../check/confinement.js';
import { builtinProfile, variant, type Profile } from '../check/profiles.js';
import type { Check, ProcessView, TaskCheck } from '../lessons/types.js';

export type { ConfinementFacts, PointId, Profile };
export { variant };

/** A runtime's built-in profile: 'docker', 'podman', 'runc', 'runc-rootless'. */
export function profile(name: string): Profile {
  const p = builtinProfile(name);
  if (!p) throw new Error(`no built-in profile '${name}'`);
  return p;
}

/** Host side (an `outside` hook): what the points are judged on, for host PID `pid`, compared
 * with `referencePid` (the sandbox's first process, say: the "engine" the container came from). */
export function readContainer(pid: number, p: Profile, referencePid: number, label = `the sandbox (PID ${referencePid})`): ConfinementFacts {
  return readConfinement(pid, [...p.maskedPaths, ...p.readonlyPaths], readReference(referencePid, label));
}

/** Experiment checks, one per point, over observations that carry the facts readContainer read. */
export function confinementChecks<O>(p: Profile, points: readonly PointId[], pick: (obs: O) => ConfinementFacts): Check<O>[] {
  return points.map((id) => ({
    id,
    expected: describePoint(p, id),
    check: (obs: O) => {
      const r = judgeConfinement(pick(obs), p, { points: [id], hints: 'by-hand' })[0]!;
      return { pass: r.pass, observed: r.observed, evidence: r.evidence, ...(r.hint ? { hint: r.hint } : {}) };
    },
  }));
}

/** Exercise checks, one per point, in the order given (so the first failing one is the first
 * point that differs), compared with the shell the learner works in. */
export function containerTaskChecks(p: Profile, points: readonly PointId[], hints: HintStyle = 'by-hand'): TaskCheck[] {
  // Read once per process and judging run: every check of one candidate sees the same facts.
  const cache = new WeakMap<ProcessView, ConfinementFacts>();
  const facts = (v: ProcessView, shell: ProcessView | null): ConfinementFacts => {
    let f = cache.get(v);
    if (!f) {
      const ref = shell ? readReference(shell.pid, `your shell (PID ${shell.pid})`) : readReference();
      f = readConfinement(v.pid, [...p.maskedPaths, ...p.readonlyPaths], ref);
      cache.set(v, f);
    }
    return f;
  };
  return points.map((id) => ({
    id,
    expected: describePoint(p, id),
    check: (v, scene) => {
      const r = judgeConfinement(facts(v, scene.shell), p, { points: [id], hints })[0]!;
      return { pass: r.pass, observed: r.observed, evidence: r.evidence, ...(r.hint ? { hint: r.hint } : {}) };
    },
  }));
}
