// `nslab list`, `nslab progress`, and what `nslab` prints when there is no terminal for a menu.
// These are on the fast path: nothing here loads marked, enquirer or boxen.
import type { LoadedLesson } from '../lessons/loader.js';
import { lessonRequirements } from '../runner/doctor.js';
import type { LessonStatus, ProgressStore } from '../runner/progress.js';
import { Requirements } from '../runner/requirements.js';
import { padEnd } from '../render/color.js';
import { loadAll, progressStore, type Ctx } from './context.js';

export interface ListEntry {
  id: string;
  number: number;
  slug: string;
  title: string;
  summary: string;
  minutes: number;
  requires: string[];
  /** How many experiments the lesson runs (what `verify` will start sandboxes for). */
  experiments: number;
  status: LessonStatus;
  runnable: boolean;
  reason?: string;
}

export async function listEntries(ctx: Ctx, store: ProgressStore, reqs = new Requirements()): Promise<ListEntry[]> {
  const { lessons } = await loadAll(ctx);
  return Promise.all(
    lessons.map(async (l: LoadedLesson) => {
      const v = await reqs.all(lessonRequirements(l, reqs.probes.root));
      const m = l.meta;
      return {
        id: m.id,
        number: m.number,
        slug: m.slug,
        title: m.title,
        summary: m.summary,
        minutes: m.minutes,
        requires: [...m.requires],
        experiments: l.module.experiments.length,
        status: store.status(m.id),
        runnable: v.ok,
        ...(v.ok ? {} : { reason: v.reason }),
      };
    }),
  );
}

export function statusLabel(ctx: Ctx, e: Pick<ListEntry, 'status' | 'runnable'>): string {
  const s = ctx.style;
  if (e.status === 'passed') return s.green('passed');
  if (!e.runnable) return s.yellow("can't run here");
  return e.status === 'in-progress' ? s.cyan('in progress') : 'new';
}

export async function listCommand(ctx: Ctx, opts: { footer: boolean }): Promise<number> {
  const store = progressStore(ctx);
  const entries = await listEntries(ctx, store);
  const { errors, format, dir } = await loadAll(ctx);
  const broken = errors.filter((e) => e.lessonId !== '');
  if (ctx.options.json) {
    ctx.out(JSON.stringify({ nslab: ctx.version, lessonsDir: dir, lessons: entries, errors: broken.map((e) => ({ lesson: e.lessonId, file: e.file, line: e.line, message: e.message, text: format(e) })) }, null, 2));
    return 0;
  }
  const s = ctx.style;
  if (!entries.length && !broken.length) {
    ctx.out(`No lessons in ${dir}. Point --lessons (or NSLAB_LESSONS) at a folder of NN-slug lesson folders.`);
    return 0;
  }
  const idW = Math.max(...entries.map((e) => e.id.length), 2);
  const titleW = Math.min(48, Math.max(...entries.map((e) => e.title.length), 5));
  ctx.out(s.bold(`nslab lessons`) + s.dim(ctx.lessonsDir ? `  (${dir})` : ''));
  for (const e of entries) {
    ctx.out(`  ${padEnd(e.id, idW)}  ${padEnd(e.title.length > titleW ? e.title.slice(0, titleW - 1) + '…' : e.title, titleW)}  ${String(e.minutes).padStart(2)} min  ${statusLabel(ctx, e)}`);
    if (!e.runnable && e.status !== 'passed') ctx.out(s.dim(`  ${' '.repeat(idW)}  ${e.reason}`));
  }
  if (broken.length) {
    ctx.out('');
    ctx.out(s.red('These lessons do not load (the others are fine):'));
    for (const e of broken) ctx.out(`  ${format(e)}`);
  }
  if (opts.footer) {
    const data = store.load();
    const last = data.last && entries.find((e) => e.id === data.last && e.status === 'in-progress');
    const next = last ?? entries.find((e) => e.status !== 'passed' && e.runnable) ?? entries[0];
    ctx.out('');
    if (next) ctx.out(`${last ? 'Continue where you left off' : 'Start one'} with: ${s.bold(`nslab start ${next.number}`)}   (in a terminal, plain \`nslab\` opens a menu)`);
  }
  return 0;
}

export async function progressCommand(ctx: Ctx): Promise<number> {
  const store = progressStore(ctx);
  const { lessons } = await loadAll(ctx);
  const data = store.load();
  if (ctx.options.json) {
    ctx.out(JSON.stringify({ nslab: ctx.version, file: store.file, ...data }, null, 2));
    return 0;
  }
  const s = ctx.style;
  const passed = lessons.filter((l) => store.status(l.meta.id) === 'passed').length;
  ctx.out(s.bold(`${passed} of ${lessons.length} lessons passed`) + s.dim(`  (kept in ${store.file})`));
  for (const l of lessons) {
    const p = store.lesson(l.meta.id);
    const exps = l.module.experiments;
    const done = exps.filter((e) => p.experiments[e.id]?.passed).length;
    const preds = Object.values(p.predictions).filter((x) => x.correct !== null);
    const right = preds.filter((x) => x.correct).length;
    const label = p.status === 'passed' ? s.green('passed') : p.status === 'in-progress' ? s.cyan('in progress') : s.dim('new');
    const detail = p.status === 'new' ? '' : `  experiments ${done}/${exps.length}${preds.length ? `, predictions ${right}/${preds.length} right` : ''}`;
    ctx.out(`  ${l.meta.id.padEnd(24)} ${label}${detail}`);
  }
  // Progress for lessons no longer in this folder is kept, not shown as lost.
  const known = new Set(lessons.map((l) => l.meta.id));
  const others = Object.keys(data.lessons).filter((id) => !known.has(id));
  if (others.length) ctx.out(s.dim(`  (also kept: progress for ${others.join(', ')}, not in this lessons folder)`));
  if (data.last && store.status(data.last) === 'in-progress') ctx.out(`\nContinue with: ${s.bold(`nslab start ${data.last}`)}`);
  return 0;
}
