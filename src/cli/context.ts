// What every command needs: the lessons (loaded once), progress, requirements and output.
import { resolve } from 'node:path';
import type { LessonError, LoadedLesson } from '../lessons/loader.js';
import { NslabError, UsageError } from '../runner/errors.js';
import { ProgressStore } from '../runner/progress.js';
import { style, type Style } from '../render/color.js';

export interface Ctx {
  /** --lessons or NSLAB_LESSONS; undefined for the built-in lessons. */
  lessonsDir: string | undefined;
  yes: boolean;
  options: Record<string, string | boolean | string[] | undefined>;
  args: string[];
  version: string;
  style: Style;
  out(text?: string): void;
  /** Notes that are not the command's output (stderr), so `--json` stays parseable. */
  note(text: string): void;
}

export function makeCtx(p: Omit<Ctx, 'style' | 'out' | 'note'>): Ctx {
  return {
    ...p,
    style: style(),
    out: (text = '') => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
    note: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
  };
}

let loaded: Promise<{ lessons: LoadedLesson[]; errors: LessonError[]; format: (e: LessonError) => string; dir: string }> | undefined;

export function loadAll(ctx: Ctx) {
  loaded ??= (async () => {
    const loader = await import('../lessons/loader.js');
    const dir = ctx.lessonsDir ? resolve(ctx.lessonsDir) : loader.lessonsRoot();
    const { lessons, errors } = await loader.loadLessons(dir);
    const folderProblem = errors.find((e) => e.lessonId === '');
    if (folderProblem && lessons.length === 0)
      throw new NslabError(`${loader.formatLessonError(folderProblem)}.`.replace(/\.\.$/, '.'));
    return { lessons, errors, format: (e: LessonError) => loader.formatLessonError(e), dir };
  })();
  return loaded;
}

export function progressStore(ctx: Ctx): ProgressStore {
  return new ProgressStore(undefined, (m) => ctx.note(ctx.style.yellow(m)));
}

/** The lesson a learner named, or an error that says what exists and what was probably meant. */
export async function pickLesson(ctx: Ctx, input: string): Promise<LoadedLesson> {
  const { lessons, errors, format } = await loadAll(ctx);
  const { resolveLesson, suggestLesson, parseLessonFolder } = await import('../lessons/loader.js');
  const found = resolveLesson(lessons, input);
  if (found) return found;
  // A lesson that exists but does not load: say what is wrong with it, file:line.
  const want = input.trim().toLowerCase();
  const brokenIds = [...new Set(errors.map((e) => e.lessonId).filter(Boolean))];
  const broken = brokenIds.find((id) => {
    const f = parseLessonFolder(id);
    return id === want || (f && (f.slug === want || (/^\d+$/.test(want) && f.number === Number(want))));
  });
  if (broken) {
    const problems = errors.filter((e) => e.lessonId === broken).map(format);
    throw new NslabError(`Lesson ${broken} does not load:\n  ${problems.join('\n  ')}\nFix the file(s) above; the other lessons still work.`);
  }
  const suggestion = suggestLesson(lessons, input);
  const first = lessons[0]?.meta;
  throw new UsageError(
    `There is no lesson '${input}'.${suggestion ? ` Did you mean ${suggestion}?` : ''} Run \`nslab list\` to see them${first ? ` (e.g. \`nslab start ${first.number}\`)` : ''}.`,
  );
}
