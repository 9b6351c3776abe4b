// The learner's commands: the menu, start, demo, hint, reset.
import type { LoadedLesson } from '../lessons/loader.js';
import { UsageError } from '../runner/errors.js';
import { takeLesson } from '../runner/flow.js';
import { Requirements } from '../runner/requirements.js';
import { loadAll, pickLesson, progressStore, type Ctx } from './context.js';
import { hasTerminal, makeTerminal } from './io.js';
import { listCommand, listEntries, statusLabel } from './status.js';

function nextAfter(lessons: LoadedLesson[], lesson: LoadedLesson): LoadedLesson | undefined {
  return lessons[lessons.indexOf(lesson) + 1];
}

export async function startCommand(ctx: Ctx, input: string, presenter: boolean): Promise<number> {
  const lesson = await pickLesson(ctx, input);
  const { lessons } = await loadAll(ctx);
  const term = makeTerminal({ yes: ctx.yes });
  const summary = await takeLesson(lesson, {
    notice: () => {
      if (!term.interactive && !ctx.yes && !presenter)
        ctx.note(ctx.style.dim('nslab: no terminal to ask on, so predictions are recorded as skipped and the trace is printed (--yes says this is intended).'));
    },
    io: term,
    store: progressStore(ctx),
    requirements: new Requirements(),
    presenter,
    fromStart: Boolean(ctx.options['from-start']),
    next: nextAfter(lessons, lesson),
  });
  // A lesson whose checks failed is not an error of nslab's, but scripts should see it.
  return summary.passed ? 0 : 1;
}

export async function menuCommand(ctx: Ctx): Promise<number> {
  if (!hasTerminal() || ctx.yes) return listCommand(ctx, { footer: true });
  const term = makeTerminal({ yes: false });
  const store = progressStore(ctx);
  const reqs = new Requirements();
  const { lessons, errors, format } = await loadAll(ctx);
  for (;;) {
    const entries = await listEntries(ctx, store, reqs);
    const last = store.load().last;
    const resume = entries.find((e) => e.id === last && e.status === 'in-progress' && e.runnable);
    type Pick = { kind: 'lesson'; id: string } | { kind: 'doctor' } | { kind: 'quit' };
    const items: { label: string; value: Pick; hint?: string; disabled?: boolean | string }[] = [];
    if (resume) items.push({ label: `Continue where you left off: ${resume.id} ${resume.title}`, value: { kind: 'lesson', id: resume.id } });
    const idW = Math.max(...entries.map((e) => e.id.length));
    const titleW = Math.max(...entries.map((e) => e.title.length));
    for (const e of entries)
      items.push({
        label: `${e.id.padEnd(idW)}  ${e.title.padEnd(titleW)}`,
        value: { kind: 'lesson', id: e.id },
        hint: `${statusLabel(ctx, e)}${e.runnable ? '' : `: ${e.reason}`}`,
        // A lesson that cannot run here is shown, with why, but cannot be picked.
        disabled: e.runnable || e.status === 'passed' ? false : ' ',
      });
    items.push({ label: 'Check this machine (doctor)', value: { kind: 'doctor' } }, { label: 'Quit', value: { kind: 'quit' } });
    if (errors.some((e) => e.lessonId)) ctx.note(ctx.style.red(`Some lessons do not load: ${errors.filter((e) => e.lessonId).map(format).join('; ')}`));
    const passed = entries.filter((e) => e.status === 'passed').length;
    const choice = await term.menu(`nslab: ${passed} of ${entries.length} lessons passed. Pick one (arrows, Enter):`, items);
    if (choice.kind === 'quit') return 0;
    if (choice.kind === 'doctor') {
      const { doctorCommand } = await import('./instructor.js');
      await doctorCommand(ctx);
      await term.pause('Enter: back to the menu');
      continue;
    }
    const lesson = lessons.find((l) => l.meta.id === choice.id)!;
    await takeLesson(lesson, { io: term, store, requirements: reqs, next: nextAfter(lessons, lesson) });
    await term.pause('Enter: back to the menu');
  }
}

export async function hintCommand(ctx: Ctx, input: string | undefined): Promise<number> {
  const store = progressStore(ctx);
  const s = ctx.style;
  const id = input ?? store.load().last;
  if (!id) {
    ctx.out('You have not started a lesson yet, so there is nothing to hint at. Start with `nslab start 1`.');
    return 0;
  }
  const lesson = await pickLesson(ctx, id);
  const p = store.lesson(lesson.meta.id);
  const open = lesson.module.experiments.filter((e) => !p.experiments[e.id]?.passed);
  const openExercises = (lesson.module.exercises ?? []).filter((x) => !p.exercises?.[x.id]?.passed);
  if (!open.length && !openExercises.length) {
    ctx.out(`Every experiment of ${lesson.meta.id} has passed. ${p.status === 'passed' ? 'Nothing to hint at.' : `Finish reading it with \`nslab start ${lesson.meta.id}\`.`}`);
    return 0;
  }
  ctx.out(s.bold(`${lesson.meta.id}: ${lesson.meta.title}`));
  for (const e of open) {
    const rec = p.experiments[e.id];
    ctx.out(`\n${s.bold(e.title)} (${e.id})`);
    if (rec?.hints?.length) {
      ctx.out('  Last time you ran it, these checks failed:');
      for (const h of rec.hints) ctx.out(`  - ${h}`);
    } else {
      ctx.out(`  Not run yet. What it checks:`);
      for (const c of e.checks) ctx.out(`  - ${c.expected}`);
    }
    if (e.commands?.length) {
      ctx.out('  To see it by hand:');
      for (const c of e.commands) ctx.out(`    $ ${c}`);
    }
  }
  for (const x of openExercises) {
    const last = p.exercises?.[x.id]?.hints;
    ctx.out(`\n${s.bold(`Exercise: ${x.title}`)} (${x.id})`);
    // What the last `nslab check` saw beats a canned hint; before any check, the first hint.
    if (last?.length) {
      ctx.out('  Last time you checked it:');
      for (const h of last) ctx.out(`  - ${h}`);
    } else if (x.hints[0]) {
      ctx.out(`  ${x.hints[0]}`);
    }
    ctx.out(`  Do it in: nslab shell ${lesson.meta.id}   (then \`nslab check\` inside)`);
  }
  if (open.length) ctx.out(`\n${p.status === 'new' ? 'Take it with' : 'Run it again with'}: nslab start ${lesson.meta.id}`);
  return 0;
}

export async function resetCommand(ctx: Ctx, input: string | undefined): Promise<number> {
  const all = Boolean(ctx.options.all);
  if (all === (input !== undefined))
    throw new UsageError(all ? 'Give either a lesson or --all, not both.' : 'Say which lesson to reset (e.g. `nslab reset 3`), or --all to forget every lesson.');
  const store = progressStore(ctx);
  const term = makeTerminal({ yes: ctx.yes });
  if (all) {
    const n = Object.keys(store.load().lessons).length;
    if (!(await term.confirm(`Forget the progress of all ${n} lessons`, { destructive: true }))) return 1;
    store.reset();
    ctx.out(`Progress of every lesson forgotten (${store.file}).`);
    return 0;
  }
  // Progress of a lesson that is no longer in the folder can still be reset by its id.
  const known = store.load().lessons[input!] ? input! : (await pickLesson(ctx, input!)).meta.id;
  if (!(await term.confirm(`Forget your progress in ${known}`, { destructive: true }))) return 1;
  store.reset(known);
  ctx.out(`Progress of ${known} forgotten; \`nslab start ${known}\` begins it afresh.`);
  return 0;
}
