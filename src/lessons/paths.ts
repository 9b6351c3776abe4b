// Where lessons and their modules live. The same code runs from src/ (tsx) and from the
// compiled dist/src/, so locations are found relative to this file, not to the cwd.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledLesson } from './compile.js';

const here = dirname(fileURLToPath(import.meta.url));

let cachedRoot: string | undefined;

/** The nslab package folder (the one holding package.json named nslab). */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = here;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'nslab') return (cachedRoot = dir);
      } catch {
        // an unreadable package.json on the way up is not ours; keep climbing
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // Not inside a package (bundled?): src/lessons -> two levels up, dist/src/lessons -> three.
  cachedRoot = basename(resolve(here, '..', '..')) === 'dist' ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
  return cachedRoot;
}

/** The package's own lessons/ folder. */
export function lessonsRoot(): string {
  return join(packageRoot(), 'lessons');
}

/** True when this code runs compiled (from dist/), where built-in lessons are compiled too. */
export function runningCompiled(): boolean {
  return relative(packageRoot(), here).split(sep)[0] === 'dist';
}

/** The module file of the lesson in `dir`: for a built-in lesson under compiled code its
 * dist/lessons/NN-slug/lesson.js; otherwise lesson.js (or .mjs) beside lesson.md; otherwise
 * lesson.ts, bundled into nslab's cache when nslab runs compiled (compile.ts). Throws a
 * LessonCompileError for a lesson.ts that does not compile. Returns the lesson.ts path when nothing
 * exists, so the error names the file the author is expected to write. */
export function lessonModulePath(dir: string): string {
  const abs = resolve(dir);
  if (runningCompiled() && dirname(abs) === lessonsRoot()) {
    const compiled = join(packageRoot(), 'dist', 'lessons', basename(abs), 'lesson.js');
    if (existsSync(compiled)) return compiled;
  }
  for (const name of ['lesson.js', 'lesson.mjs', 'lesson.ts']) {
    const p = join(abs, name);
    if (existsSync(p)) return name === 'lesson.ts' && !fromTypeScript ? compiledLesson(p, join(packageRoot(), 'dist', 'src', 'kit', 'index.js'), packageRoot()) : p;
  }
  return join(abs, 'lesson.ts');
}

/** Running under tsx (tests, development), which imports .ts itself. */
const fromTypeScript = import.meta.url.endsWith('.ts');
