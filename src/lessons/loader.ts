// Loads every lesson under a folder: frontmatter, pages and module, validated. A broken
// lesson becomes a list of LessonErrors (file:line: what is wrong); the others still load.
import { readdir, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { LessonMeta, LessonModule } from './types.js';
import { parseFrontmatter } from './frontmatter.js';
import { looksLikeLessonFolder, parseLessonFolder } from './ids.js';
import { splitPages, type Page } from './pages.js';
import { SourceLocator } from './locate.js';
import { validateFrontmatter, validateModule, type Problem } from './validate.js';
import { lessonModulePath, lessonsRoot } from './paths.js';
import { isCompiledLesson, originalPosition } from './compile.js';

export type { Page, Block } from './pages.js';
export { resolveLesson, suggestLesson, parseLessonFolder } from './ids.js';
export { lessonsRoot, lessonModulePath, packageRoot } from './paths.js';

export interface LoadedLesson {
  meta: LessonMeta;
  /** Absolute path of the lesson folder. */
  dir: string;
  mdPath: string;
  modulePath: string;
  pages: Page[];
  module: LessonModule;
}

export interface LessonError {
  /** The folder name ('04-pivot-root'); '' for a problem with the lessons folder itself. */
  lessonId: string;
  /** Absolute path of the file the problem is in. */
  file: string;
  /** 1-based; 0 when no line applies. */
  line: number;
  message: string;
}

/** 'lessons/04-pivot-root/lesson.md:12: what is wrong', the path relative to the cwd when the
 * file is under it, else to the parent of the lessons folder. */
export function formatLessonError(e: LessonError, cwd = process.cwd()): string {
  let shown = e.file;
  const fromCwd = relative(cwd, e.file);
  if (fromCwd === '' || (!fromCwd.startsWith('..') && !isAbsolute(fromCwd))) shown = fromCwd || '.';
  else if (e.lessonId) {
    // file is <lessons>/<lessonId>/..., so two levels above the lesson folder
    const parts = e.file.split(sep);
    const at = parts.lastIndexOf(e.lessonId);
    if (at >= 2) shown = parts.slice(at - 1).join('/');
  }
  return `${shown}${e.line > 0 ? `:${e.line}` : ''}: ${e.message}`;
}

export async function loadLessons(dir: string = lessonsRoot()): Promise<{ lessons: LoadedLesson[]; errors: LessonError[] }> {
  const root = resolve(dir);
  let names: string[];
  try {
    const s = await stat(root);
    if (!s.isDirectory()) return { lessons: [], errors: [{ lessonId: '', file: root, line: 0, message: 'not a folder: point --lessons (or NSLAB_LESSONS) at a folder of NN-slug lesson folders' }] };
    names = await readdir(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such lessons folder: check --lessons (or NSLAB_LESSONS)' : `cannot read the lessons folder (${code ?? String(err)})`;
    return { lessons: [], errors: [{ lessonId: '', file: root, line: 0, message }] };
  }
  const candidates: string[] = [];
  for (const name of names.sort()) {
    const p = join(root, name);
    let isDir = false;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch {
      continue;
    }
    if (!isDir) continue;
    // Folders that neither look like a lesson nor hold a lesson.md (drafts, shared assets)
    // are not lessons and not errors.
    if (looksLikeLessonFolder(name) || existsSync(join(p, 'lesson.md'))) candidates.push(p);
  }
  const results = await Promise.all(candidates.map((p) => loadLesson(p)));
  const lessons: LoadedLesson[] = [];
  const errors: LessonError[] = [];
  for (const r of results) {
    errors.push(...r.errors);
    if (r.lesson) lessons.push(r.lesson);
  }
  lessons.sort((a, b) => a.meta.number - b.meta.number || a.meta.id.localeCompare(b.meta.id));
  // A number shared by two lessons would make '4' ambiguous.
  const byNumber = new Map<number, LoadedLesson>();
  for (const l of [...lessons]) {
    const first = byNumber.get(l.meta.number);
    if (first) {
      errors.push({ lessonId: l.meta.id, file: l.mdPath, line: 0, message: `lesson number ${l.meta.number} is already used by ${first.meta.id}: renumber one of them` });
      lessons.splice(lessons.indexOf(l), 1);
    } else byNumber.set(l.meta.number, l);
  }
  return { lessons, errors };
}

/** Loads one lesson folder. */
export async function loadLesson(dir: string): Promise<{ lesson?: LoadedLesson; errors: LessonError[] }> {
  const abs = resolve(dir);
  const id = basename(abs);
  const mdPath = join(abs, 'lesson.md');
  const errors: LessonError[] = [];
  const err = (file: string, line: number, message: string) => errors.push({ lessonId: id, file, line, message });
  let modulePath: string;
  try {
    modulePath = lessonModulePath(abs);
  } catch (e) {
    // A lesson.ts that esbuild could not compile: "file:line: message".
    const m = /^(.*?):(\d+): (.*)$/s.exec((e as Error).message);
    err(m ? m[1]! : join(abs, 'lesson.ts'), m ? Number(m[2]) : 0, m ? `syntax error: ${m[3]}` : (e as Error).message);
    return { errors };
  }

  const folder = parseLessonFolder(id);
  if (!folder) err(abs, 0, `lesson folder name '${id}' must be NN-slug: digits, a dash, then lowercase words joined by dashes (e.g. 04-pivot-root)`);

  let md: string;
  try {
    md = await readFile(mdPath, 'utf8');
  } catch (e) {
    err(mdPath, 0, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing lesson.md: every lesson folder needs one' : `cannot read lesson.md (${(e as Error).message})`);
    return { errors };
  }
  const mdLastLine = md.replace(/\n$/, '').split('\n').length;
  const fm = parseFrontmatter(md);
  for (const e of fm.errors) err(mdPath, e.line, e.message);
  const fmResult = folder && !fm.errors.length ? validateFrontmatter(fm.data, fm.keyLines, { id, ...folder }, fm.endLine) : { problems: [] as Problem[] };
  for (const p of fmResult.problems) err(mdPath, p.line, p.message);

  const { pages, markers, errors: pageErrors } = splitPages(fm.body, fm.bodyLine);
  for (const e of pageErrors) err(mdPath, e.line, e.message);

  // Compiled nslab imports a bundle of the author's lesson.ts from its cache; what is wrong is
  // told at lesson.ts, the file the author wrote.
  const written = join(abs, 'lesson.ts');
  const sourcePath = isCompiledLesson(modulePath) && existsSync(written) ? written : modulePath;
  const locate: Locate | undefined =
    sourcePath === modulePath
      ? undefined
      : (line, column) => {
          const at = originalPosition(modulePath, line, column);
          return at && dirname(at.file) === abs ? at : undefined;
        };
  const imported = await importModule(modulePath, locate);
  if ('error' in imported) {
    // A line in the bundle is no line of lesson.ts.
    if (imported.file === modulePath && sourcePath !== modulePath) err(sourcePath, 0, imported.error);
    else err(imported.file, imported.line, imported.error);
    return { errors };
  }
  let source: string | undefined;
  try {
    source = await readFile(sourcePath, 'utf8');
  } catch {
    source = undefined;
  }
  const modResult = validateModule(imported.mod, markers, source === undefined ? undefined : new SourceLocator(source), mdLastLine);
  for (const p of modResult.problems) err(p.file === 'md' ? mdPath : sourcePath, p.line, p.message);

  errors.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file === mdPath ? -1 : 1));
  if (errors.length || !('meta' in fmResult) || !fmResult.meta || !modResult.module) return { errors };
  return { lesson: { meta: fmResult.meta, dir: abs, mdPath, modulePath, pages, module: modResult.module }, errors };
}

type Locate = (line: number, column: number) => { file: string; line: number } | undefined;

async function importModule(modulePath: string, locate?: Locate): Promise<{ mod: unknown } | { error: string; file: string; line: number }> {
  if (!existsSync(modulePath)) {
    return { error: `missing lesson module: write lesson.ts (or lesson.js) beside lesson.md, default-exporting { experiments: [...] }`, file: modulePath, line: 0 };
  }
  try {
    return { mod: await import(pathToFileURL(modulePath).href) };
  } catch (e) {
    return describeImportError(e, modulePath, locate);
  }
}

/** Turns an import failure into file:line and one sentence: a syntax error as the compiler
 * reported it, a throw at load time at the lesson's own frame. locate maps a place in a bundle
 * (modulePath) back to the lesson's source, or to undefined for code from elsewhere (the kit). */
export function describeImportError(e: unknown, modulePath: string, locate?: Locate): { error: string; file: string; line: number } {
  const error = e as NodeJS.ErrnoException & { errors?: { text?: string; location?: { file?: string; line?: number } }[] };
  if (error?.code === 'ERR_UNKNOWN_FILE_EXTENSION' && modulePath.endsWith('.ts')) {
    return {
      error: 'lesson.ts can only be loaded from TypeScript source with the tsx loader (node --import tsx); compile it to lesson.js beside lesson.md (e.g. `npx tsc --outDir . lesson.ts`) or run nslab through tsx',
      file: modulePath,
      line: 0,
    };
  }
  const text = String(error?.message ?? e);
  const stack = typeof error?.stack === 'string' ? error.stack : '';
  const url = pathToFileURL(modulePath).href;
  // esbuild (tsx) reports transform errors as "<file>:L:C: ERROR: message".
  const esb = new RegExp(`${escapeRe(modulePath)}:(\\d+):\\d+: ERROR: (.*)`).exec(text);
  if (esb) return { error: `syntax error: ${esb[2]}`, file: modulePath, line: Number(esb[1]) };
  const esbLoc = error?.errors?.[0];
  if (esbLoc?.location?.line) return { error: `syntax error: ${esbLoc.text ?? text}`, file: modulePath, line: esbLoc.location.line };
  // Node's own SyntaxError puts "<file>:L" on the first stack line.
  const nodeSyntax = new RegExp(`^(?:${escapeRe(url)}|${escapeRe(modulePath)}):(\\d+)\\s*$`, 'm').exec(stack);
  if (nodeSyntax && error?.name === 'SyntaxError') return { error: `syntax error: ${text}`, file: modulePath, line: Number(nodeSyntax[1]) };
  // A throw while evaluating: the first stack frame in a file of this lesson's folder.
  const dir = dirname(modulePath);
  for (const m of stack.matchAll(/(file:\/\/[^\s)]+|\/[^\s):]+):(\d+):(\d+)/g)) {
    const file = m[1].startsWith('file:') ? safeFileURL(m[1]) : m[1];
    const at = locate && file === modulePath ? locate(Number(m[2]), Number(m[3])) : file && dirname(file) === dir ? { file, line: Number(m[2]) } : undefined;
    if (at) {
      return { error: `importing the lesson module threw: ${error?.name && error.name !== 'Error' ? `${error.name}: ` : ''}${text}`, file: at.file, line: at.line };
    }
  }
  return { error: `importing the lesson module failed: ${text.split('\n')[0]}`, file: modulePath, line: 0 };
}

function safeFileURL(u: string): string | undefined {
  try {
    return fileURLToPath(u);
  } catch {
    return undefined;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
