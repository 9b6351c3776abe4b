// `nslab class REPORT...`: the students' `nslab report --json` files in one roll-up, printed as
// Markdown (or JSON), and with --out DIR written as class.md, class.json and class.html.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseLessonFolder } from '../lessons/ids.js';
import { classHtml } from '../render/class-html.js';
import { classMarkdown, classRollup, classSummary, readReport, type ReadReport } from '../runner/class.js';
import { NslabError, UsageError, errnoOf } from '../runner/errors.js';
import { loadWorkshop, resolveNeed, splitNeed } from '../runner/workshop.js';
import type { Ctx } from './context.js';

/** A directory stands for the .json files in it. */
function expand(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    let dir = false;
    try {
      dir = statSync(a).isDirectory();
    } catch {
      // named as given; reading it says what is wrong
    }
    if (dir) {
      const inside = readdirSync(a).filter((f) => f.toLowerCase().endsWith('.json')).sort();
      if (!inside.length) throw new UsageError(`${a} holds no .json file; give the students' \`nslab report --json\` files.`);
      out.push(...inside.map((f) => join(a, f)));
    } else out.push(a);
  }
  return out;
}

function roster(file: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
  } catch (err) {
    throw new NslabError(`Cannot read the roster ${file} (${errnoOf(err) ?? (err as Error).message}); give a file with one student name a line.`);
  }
}

export async function classCommand(ctx: Ctx): Promise<number> {
  const o = ctx.options;
  if (typeof o.need === 'string' && typeof o.workshop === 'string') throw new UsageError('Choose one of --need and --workshop.');
  const workshop = typeof o.workshop === 'string' ? loadWorkshop(resolve(o.workshop)) : undefined;
  const files = expand(ctx.args);
  const read: ReadReport[] = [];
  const unreadable: { file: string; problem: string }[] = [];
  for (const f of files) {
    const r = readReport(f);
    if ('report' in r) read.push(r);
    else {
      unreadable.push(r);
      ctx.note(`nslab class: ${f} ${r.problem}; not counted.`);
    }
  }
  if (!read.length) throw new NslabError(`None of the ${files.length} file(s) is an nslab report (see above); each student sends the output of \`nslab report --json --out FILE\`.`);
  const specs = typeof o.need === 'string' ? splitNeed(o.need) : workshop?.lessons;
  let lessons: string[] | undefined;
  if (specs) {
    const ids = new Set(read.flatMap((r) => [...r.report.doctor.lessons, ...(r.report.verify?.lessons ?? [])].map((l) => l.id)));
    const known = [...ids].flatMap((id) => {
      const f = parseLessonFolder(id);
      return f ? [{ id, number: f.number, slug: f.slug }] : [];
    });
    lessons = resolveNeed(specs, known);
  }
  const names = [...(typeof o.roster === 'string' ? roster(resolve(o.roster)) : []), ...(workshop?.students ?? [])];
  const c = classRollup(read, { lessons, roster: names.length ? names : undefined, unreadable });
  // Duplicates found while rolling up are named too.
  for (const u of c.unreadable.slice(unreadable.length)) ctx.note(`nslab class: ${u.file} ${u.problem}.`);
  if (typeof o.out === 'string') {
    const dir = resolve(o.out);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'class.md'), classMarkdown(c));
      writeFileSync(join(dir, 'class.json'), JSON.stringify(c, null, 2) + '\n');
      writeFileSync(join(dir, 'class.html'), classHtml(c));
    } catch (err) {
      throw new NslabError(`Cannot write the class view to ${dir} (${errnoOf(err) ?? (err as Error).message}); choose a writable directory.`);
    }
    if (o.json) ctx.out(JSON.stringify(c, null, 2));
    else ctx.out(`${classSummary(c)}\nWritten: ${join(dir, 'class.md')}, ${join(dir, 'class.json')}, ${join(dir, 'class.html')}`);
  } else ctx.out(o.json ? JSON.stringify(c, null, 2) : classMarkdown(c));
  return c.unreadable.length ? 1 : 0;
}
