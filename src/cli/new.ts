// `nslab new NN-slug`: write a lesson that already passes verify and selftest into the lessons
// folder, and say the two commands that prove it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Ctx } from './context.js';
import { UsageError } from '../runner/errors.js';

export async function newCommand(ctx: Ctx, name: string): Promise<number> {
  const { parseLessonFolder, lessonsRoot } = await import('../lessons/loader.js');
  const { scaffoldFiles } = await import('../lessons/scaffold.js');
  const folder = parseLessonFolder(name);
  if (!folder) throw new UsageError(`'${name}' is not a lesson folder name: write NN-slug, digits, a dash, then lowercase words joined by dashes (e.g. 13-my-lesson).`);
  const root = resolve(ctx.lessonsDir ?? 'lessons');
  const dir = join(root, name);
  if (existsSync(dir)) throw new UsageError(`${dir} exists already; pick another name, or remove it first.`);
  // nslab's own lessons are compiled with the package, relative imports and all; a lesson in
  // any other folder names the kit by its package name, which nslab resolves when it loads it.
  const own = root === lessonsRoot();
  const files = scaffoldFiles(name, own ? '../../src/kit/index.js' : 'nslab/lesson');
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const flag = own ? '' : ` --lessons ${relative(process.cwd(), root) || '.'}`;
  ctx.out(`wrote ${join(dir, 'lesson.md')} and ${join(dir, 'lesson.ts')}`);
  ctx.out(`prove it:   npx nslab${flag} verify ${folder.number} && npx nslab${flag} selftest ${folder.number}`);
  if (own) ctx.out('(a lesson in nslab\'s own folder is compiled by `npm run build` first)');
  ctx.out('then make it yours: docs/authoring.md walks through every part.');
  return 0;
}
