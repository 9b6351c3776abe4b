// A lesson as the learner takes it: pages in order; at each experiment marker the title and
// the commands one would type by hand, a prediction, the run in a fresh sandbox, the check
// table, the pictures drawn from what was observed, the trace behind a key, the reason behind
// the answer (right or wrong: explained, never punished), hints for failing checks. Progress is
// saved after every experiment and page, so Ctrl-C loses nothing finished.
//
// Terminal interaction is behind FlowIO: the CLI supplies prompts for a terminal, defaults
// for --yes, plain output for pipes; this module never touches stdin.
import type { LoadedLesson } from '../lessons/loader.js';
import type { Diagram, ExperimentSpec } from '../lessons/types.js';
import { NslabError } from './errors.js';
import { lessonRequirements } from './doctor.js';
import { runOne, type ExperimentOutcome } from './experiment.js';
import type { ProgressStore } from './progress.js';
import type { Requirements } from './requirements.js';
import type { Style } from '../render/color.js';

export interface FlowIO {
  /** Prompts can be shown (a terminal, and no --yes). */
  interactive: boolean;
  /** Colour and width decisions for everything printed. */
  style: Style;
  print(text: string): void;
  /** The index chosen, or 'skipped' when no prompt could be shown (--yes, not a terminal). */
  select(question: string, choices: string[]): Promise<number | 'skipped'>;
  /** Waits for Enter when interactive; returns at once otherwise. */
  pause(message: string): Promise<void>;
  /** After results: 't' shows the trace, Enter goes on. Non-interactive: 'trace'. */
  traceOrContinue(): Promise<'trace' | 'continue'>;
  /** The terminal's height, when there is one: presenter mode shows a page a screenful at a time. */
  rows?: number;
  /** Clears the screen (presenter mode, at each page, so the room reads it from its heading). */
  clear?(): void;
}

/** Text cut into pieces of at most `rows` lines, at a blank line where one is near the end. */
export function screenfuls(text: string, rows: number, first = rows): string[] {
  const lines = text.split('\n');
  if (rows < 8 || lines.length <= first) return [text];
  const out: string[] = [];
  let at = 0;
  while (at < lines.length) {
    const room = out.length ? rows : first;
    let end = Math.min(lines.length, at + room);
    if (end < lines.length) {
      const blank = lines.slice(at, end).map((l, i) => (l.trim() === '' ? at + i : -1)).filter((i) => i > at + room / 2).pop();
      if (blank !== undefined) end = blank + 1;
    }
    out.push(lines.slice(at, end).join('\n').replace(/\n+$/, ''));
    at = end;
  }
  return out.filter((c) => c.trim() !== '');
}

export interface FlowOptions {
  io: FlowIO;
  store: ProgressStore;
  requirements: Requirements;
  /** Presenter mode: big headings, a pause before each step and syscall batch, no scoring,
   * the trace always shown, nothing recorded. */
  presenter?: boolean;
  /** Start from the first page even when the lesson was left half-way. */
  fromStart?: boolean;
  /** The lessons that follow, for 'next up'. */
  next?: LoadedLesson;
  /** Printed once the lesson is known to be runnable (e.g. that no prompts will be shown). */
  notice?: () => void;
}

export interface FlowSummary {
  lesson: string;
  passed: boolean;
  experiments: { id: string; status: ExperimentOutcome['status'] }[];
  predictions: { right: number; asked: number };
}

export async function takeLesson(lesson: LoadedLesson, opts: FlowOptions): Promise<FlowSummary> {
  const { io, store, requirements } = opts;
  const s = io.style;
  const presenter = Boolean(opts.presenter);
  const verdict = await requirements.all(lessonRequirements(lesson, requirements.probes.root));
  if (!verdict.ok)
    throw new NslabError(`Lesson ${lesson.meta.id} cannot run on this machine: ${verdict.reason}. Run \`nslab doctor\` for the details of this machine.`);
  // Find out now, not after twenty minutes of work, that progress could not be kept.
  if (!presenter) store.assertWritable();
  opts.notice?.();

  const { renderMarkdown } = await import('../render/markdown.js');
  // Prose at most 100 columns wide in front of a room: a 200-column line is unreadable from the
  // back (tables and traces still get the whole width).
  const md = (text: string) => renderMarkdown(text, { color: s.color, width: presenter ? Math.min(s.width, 100) : s.width, presenter });
  const saved = store.lesson(lesson.meta.id);
  const total = lesson.pages.length;
  let page = opts.fromStart || presenter || saved.status === 'passed' ? 0 : Math.min(saved.page ?? 0, Math.max(0, total - 1));

  if (!presenter)
    store.update(lesson.meta.id, (p) => {
      if (p.status === 'new') p.status = 'in-progress';
      p.startedAt ??= new Date().toISOString();
    });

  // A presenter's screen is a room's: the title is a slide of its own, each page starts at the
  // top, and prose taller than the screen comes a screenful at a time instead of scrolling its
  // heading away.
  // Room for text: the screen less the pause prompt's line and one to spare.
  const room = presenter && io.interactive && io.rows ? io.rows - 2 : 0;
  if (room) io.clear?.();
  io.print(md(`# ${lesson.meta.number}. ${lesson.meta.title}\n\n*${lesson.meta.summary}* (about ${lesson.meta.minutes} min)`));
  if (room) await io.pause('Enter: begin');
  if (page > 0)
    io.print(s.dim(`Continuing at page ${page + 1} of ${total}, where you left off (\`nslab start ${lesson.meta.id} --from-start\` begins again).\n`));

  const summary: FlowSummary = { lesson: lesson.meta.id, passed: false, experiments: [], predictions: { right: 0, asked: 0 } };
  for (; page < total; page++) {
    if (room) io.clear?.();
    const marker = `${s.unicode ? '──' : '--'} page ${page + 1}/${total} ${s.unicode ? '──' : '--'}`;
    // On a cleared screen the marker is one line at the top; elsewhere it separates pages.
    if (total > 1) io.print(s.dim(room ? marker : `\n${marker}\n`));
    let top = true;
    for (const block of lesson.pages[page]!.blocks) {
      if (block.kind === 'markdown') {
        const text = md(block.text);
        const parts = room ? screenfuls(top ? text.replace(/^\n+/, '') : text, room, top ? room - 1 : room) : [text];
        top = false;
        for (const [i, part] of parts.entries()) {
          if (i > 0) {
            await io.pause('Enter: more');
            io.clear?.();
          }
          io.print(part);
        }
        continue;
      }
      top = false;
      const index = lesson.module.experiments.findIndex((e) => e.id === block.id);
      if (index < 0) continue; // the loader rejects unknown markers; defensive only
      const outcome = await experimentStep(lesson, index, opts, md, summary);
      summary.experiments.push({ id: block.id, status: outcome.status });
    }
    if (!presenter) store.update(lesson.meta.id, (p) => (p.page = page + 1));
    if (page < total - 1) await io.pause(presenter ? 'Enter: next page' : `Enter: page ${page + 2} of ${total}`);
  }

  if (presenter) {
    io.print(s.bold('\nEnd of the demo.'));
    summary.passed = summary.experiments.every((e) => e.status === 'pass');
    return summary;
  }
  const p = store.update(lesson.meta.id, (p) => {
    const skippedHere = new Set(summary.experiments.filter((x) => x.status === 'skip').map((x) => x.id));
    const all = lesson.module.experiments.every((e) => p.experiments[e.id]?.passed || (e.optional && skippedHere.has(e.id)));
    if (all) {
      if (p.status !== 'passed') p.passedAt = new Date().toISOString();
      p.status = 'passed';
    }
    p.page = 0;
  });
  summary.passed = p.status === 'passed';
  const { box } = await import('../render/box.js');
  const preds = summary.predictions.asked ? ` Predictions: ${summary.predictions.right} of ${summary.predictions.asked} right.` : '';
  if (summary.passed) {
    const next = opts.next ? `\nNext: nslab start ${opts.next.meta.id} (${opts.next.meta.title})` : '\nThat was the last lesson here.';
    io.print(box(`Every experiment of ${lesson.meta.id} passed.${preds}${next}`, { kind: 'success', title: 'Lesson passed', color: s.color, width: s.width }));
  } else {
    const open = lesson.module.experiments.filter((e) => !p.experiments[e.id]?.passed).map((e) => e.id);
    io.print(
      box(`Still to pass: ${open.join(', ')}.${preds}\nnslab hint ${lesson.meta.id} shows what the checks saw; nslab start ${lesson.meta.id} runs it again.`, {
        kind: 'warn',
        title: 'Lesson not passed yet',
        color: s.color,
        width: s.width,
      }),
    );
  }
  return summary;
}

async function experimentStep(
  lesson: LoadedLesson,
  index: number,
  opts: FlowOptions,
  md: (t: string) => string,
  summary: FlowSummary,
): Promise<ExperimentOutcome> {
  const { io, store, requirements } = opts;
  const s = io.style;
  const presenter = Boolean(opts.presenter);
  const spec = lesson.module.experiments[index]!;
  const { box } = await import('../render/box.js');
  const r = { color: s.color, width: s.width };

  io.print('');
  io.print(md(`### Experiment: ${spec.title}`));
  if (spec.commands?.length) io.print(box(spec.commands.map((c) => `$ ${c}`).join('\n'), { kind: 'info', title: 'By hand, you would type', ...r }));
  if (presenter) await io.pause('Enter: run the experiment');

  let choice: number | 'skipped' | undefined;
  if (spec.predict) {
    const q = spec.predict;
    if (presenter) {
      io.print(box(`${q.question}\n\n${q.choices.map((c, i) => `  ${i + 1}. ${c}`).join('\n')}`, { kind: 'predict', title: 'Ask the room', ...r }));
      await io.pause('Enter: run it and see');
    } else {
      choice = await io.select(q.question, q.choices);
      // Nobody to ask (--yes, a pipe): still show the question, so a log reads like the lesson.
      if (choice === 'skipped')
        io.print(box(`${q.question}\n\n${q.choices.map((c, i) => `  ${i + 1}. ${c}`).join('\n')}`, { kind: 'predict', title: 'Predict (not asked: no terminal or --yes)', ...r }));
    }
  }

  io.print(s.dim(`Running "${spec.title}" in a fresh sandbox (${effectiveList(spec, requirements.probes.root)})...`));
  // A first rootfs build reports as everywhere else (ensureRootfs's default, on stderr): one
  // updating line on a terminal, a short summary in a log, never a line per step.
  const outcome = await runOne(lesson, index, { requirements });

  if (outcome.status === 'skip') {
    io.print(box(`This experiment cannot run here: ${outcome.reason}`, { kind: 'warn', title: 'Skipped', ...r }));
    if (spec.predict) explainPrediction(spec, choice, io, box, r, summary, false);
    return outcome;
  }

  const { renderCheckTable } = await import('../render/table.js');
  if (outcome.status === 'fail' && outcome.result && outcome.result.status !== 'ok')
    io.print(box(`The sandbox did not finish: ${outcome.reason}`, { kind: 'fail', title: 'Sandbox', ...r }));
  if (outcome.checks.length) {
    // In front of a room the verdict table starts on a clean screen, a screenful at a time.
    const room = presenter && io.interactive && io.rows ? io.rows - 2 : 0;
    if (!room) io.print('\n' + renderCheckTable(outcome.checks, r));
    else {
      await io.pause('Enter: what the kernel says');
      for (const [i, part] of screenfuls(renderCheckTable(outcome.checks, r), room).entries()) {
        if (i > 0) await io.pause('Enter: more');
        io.clear?.();
        io.print(part);
      }
    }
  }

  if (spec.diagrams?.length && outcome.result?.status === 'ok') {
    for (const d of spec.diagrams) io.print('\n' + (await drawDiagram(d, outcome.result.observations, s)));
  }

  const trace = outcome.result?.trace ?? [];
  if (trace.length) {
    const { renderTrace } = await import('../render/trace.js');
    if (presenter) {
      // A room follows a few syscalls at a time: batches end at the experiment's own notes.
      for (const batch of batches(trace)) {
        await io.pause('Enter: next syscalls');
        io.print(renderTrace(batch, r));
      }
    } else if ((await io.traceOrContinue()) === 'trace') {
      io.print(s.bold('\nSyscall trace (what nslab asked the kernel, in order):'));
      io.print(renderTrace(trace, r));
    }
  }

  // In a demo choice is undefined: the room gets the answer and the why, unscored.
  if (spec.predict) explainPrediction(spec, choice, io, box, r, summary, true);

  const failing = outcome.checks.filter((c) => !c.pass);
  if (failing.length) {
    const hints = failing.map((c) => `${s.bold(c.id)}: ${c.hint ?? 'no hint given; compare observed with expected above'}`);
    io.print(box(hints.join('\n'), { kind: 'fail', title: 'Hints', ...r }));
  } else if (outcome.status === 'fail') {
    io.print(box(outcome.reason ?? 'the experiment failed', { kind: 'fail', title: 'Hint', ...r }));
  }

  if (!presenter) {
    const at = new Date().toISOString();
    store.update(lesson.meta.id, (p) => {
      // A pass is never taken back by a later failing re-run: the learner has seen it work.
      const before = p.experiments[spec.id]?.passed ?? false;
      p.experiments[spec.id] = {
        passed: before || outcome.status === 'pass',
        at,
        ...(failing.length ? { hints: failing.map((c) => `${c.id}: ${c.hint ?? c.observed}`) } : {}),
      };
      if (choice !== undefined)
        p.predictions[spec.id] = { choice, correct: choice === 'skipped' ? null : choice === spec.predict!.answer, at };
    });
  }
  if (presenter) await io.pause('Enter: continue');
  return outcome;
}

function explainPrediction(
  spec: ExperimentSpec,
  choice: number | 'skipped' | undefined,
  io: FlowIO,
  box: typeof import('../render/box.js').box,
  r: { color: boolean; width: number },
  summary: FlowSummary,
  ran: boolean,
): void {
  const q = spec.predict!;
  const answer = q.choices[q.answer];
  let title: string;
  let head: string;
  if (choice === 'skipped' || choice === undefined) {
    title = 'The answer';
    head = `${answer}.`;
  } else {
    summary.predictions.asked++;
    if (choice === q.answer) {
      summary.predictions.right++;
      title = 'Your prediction was right';
      head = `${answer}.`;
    } else {
      // Wrong is the interesting case: say what the kernel did, not that the learner erred.
      title = 'What happened instead';
      head = `You expected "${q.choices[choice]}"; the kernel did this: ${answer}.`;
    }
  }
  const note = ran ? '' : '\n(The experiment could not run here, so this is what it shows on a machine that can.)';
  io.print(box(`${head}\n${q.why}${note}`, { kind: 'predict', title, ...r }));
}

async function drawDiagram(d: Diagram, observations: unknown, s: Style): Promise<string> {
  try {
    const { renderDiagram } = await import('../render/diagrams.js');
    return renderDiagram(d, observations);
  } catch (err) {
    // A picture is a bonus; a lesson bug in its data must not hide the checks above.
    return s.dim(`(the ${d.kind} diagram could not be drawn: ${(err as Error).message})`);
  }
}

/** Splits a trace at the experiment's '# ' notes, and at most 8 lines per batch. */
export function batches(trace: string[], max = 8): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const line of trace) {
    if ((line.startsWith('#') && cur.length) || cur.length >= max) {
      out.push(cur);
      cur = [];
    }
    cur.push(line);
  }
  if (cur.length) out.push(cur);
  return out;
}

function effectiveList(spec: ExperimentSpec, root: boolean): string {
  const ns = new Set(spec.sandbox.namespaces);
  if (!root) ns.add('user');
  return `namespaces: ${[...ns].join(', ')}${spec.sandbox.rootfs ? ', own rootfs' : ''}`;
}

