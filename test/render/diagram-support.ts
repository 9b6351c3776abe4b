// Shared by the diagrams-*.test.ts files: run one experiment of a real lesson through the real
// engine (sandbox, rootfs, checks), draw its diagrams from what it observed, and check the
// drawing's width and its plain-text form; and take a whole lesson with `nslab start N --yes`.
import * as assert from 'uvu/assert';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadLesson } from '../../src/lessons/loader.js';
import type { Diagram, ExperimentSpec } from '../../src/lessons/types.js';
import { renderDiagram } from '../../src/render/diagrams.js';
import { stripAnsi, visibleWidth } from '../../src/render/color.js';
import { runOne, type ExperimentOutcome } from '../../src/runner/experiment.js';
import { Requirements } from '../../src/runner/requirements.js';
import { nslab, ROOT, tempHome } from '../cli/helpers.js';

export const isRoot = process.geteuid?.() === 0;
const requirements = new Requirements();

export interface Ran {
  spec: ExperimentSpec;
  outcome: ExperimentOutcome;
  /** What run() returned, as the checks and diagrams get it. */
  obs: any;
}

/** The experiment, run for real; null when this machine skips it (the reason is printed). */
export async function runFor(lesson: string, experiment: string, args?: unknown): Promise<Ran | null> {
  const { lesson: l, errors } = await loadLesson(join(ROOT, 'lessons', lesson));
  assert.equal(errors, [], `${lesson} loads`);
  const i = l!.module.experiments.findIndex((e) => e.id === experiment);
  assert.ok(i >= 0, `${lesson} has ${experiment}`);
  const outcome = await runOne(l!, i, { requirements, args });
  if (outcome.status === 'skip') {
    console.log(`  (${lesson} ${experiment} skips here: ${outcome.reason})`);
    return null;
  }
  assert.is(outcome.result?.status, 'ok', `${experiment} ran: ${outcome.reason}\n${outcome.result?.stderr ?? ''}`);
  return { spec: l!.module.experiments[i]!, outcome, obs: outcome.result!.observations };
}

/** The experiment's diagram of this kind. */
export function diagramOf(r: Ran, kind: Diagram['kind']): Diagram {
  const d = r.spec.diagrams?.find((x) => x.kind === kind);
  assert.ok(d, `${r.spec.id} draws a ${kind} diagram`);
  return d!;
}

/** Drawn without colour (checked to be plain ASCII) and with colour (checked to fit as well):
 * the plain text is returned. Neither may be wider than 80 columns or say it is unavailable. */
export function draw(d: Diagram, obs: unknown): string {
  const plain = renderDiagram(d, obs, { color: false, width: 120 });
  const coloured = renderDiagram(d, obs, { color: true, width: 120 });
  assert.not.ok(plain.includes('\x1b'), 'no escape sequences without colour');
  assert.ok(/^[\x20-\x7e\n]*$/.test(plain), `plain ASCII without colour:\n${plain}`);
  assert.ok(coloured.includes('\x1b['), 'colour when asked for');
  assert.is(stripAnsi(coloured).replace(/[^\x20-\x7e\n]/g, '').length > 0, true);
  assertFits(plain);
  assertFits(coloured);
  assert.not.match(plain, /diagram unavailable|unknown diagram/);
  return plain;
}

export function assertFits(text: string, cols = 80): void {
  for (const line of text.split('\n')) assert.ok(visibleWidth(line) <= cols, `${visibleWidth(line)} columns: ${JSON.stringify(stripAnsi(line))}`);
}

/** `nslab start N --yes` with NO_COLOR=1, in a home of its own (progress and all) but with the
 * user's cache, so the rootfs built there already is used; its output. */
export function start(lesson: string): string {
  const home = tempHome();
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  try {
    const r = nslab(['start', lesson, '--yes'], { env: { ...home.env, XDG_CACHE_HOME: cache, NO_COLOR: '1', COLUMNS: '120' }, timeout: 300_000 });
    assert.ok(r.code === 0 || r.code === 1, `nslab start ${lesson} ran: ${r.code}\n${r.stderr}`);
    assert.not.ok(r.stdout.includes('\x1b'), 'no escape sequences with NO_COLOR=1');
    return r.stdout;
  } finally {
    home.cleanup();
  }
}

/** The block of `nslab start` output that begins with a diagram's title line: up to the next
 * line that is not indented (a diagram's body always is). */
export function block(out: string, title: string): string {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l === title);
  assert.ok(at >= 0, `the output shows the diagram "${title}"`);
  const end = lines.findIndex((l, i) => i > at && l !== '' && !l.startsWith(' '));
  const b = lines.slice(at, end < 0 ? undefined : end).join('\n').trimEnd();
  assertFits(b);
  return b;
}
