// A lesson.ts in an instructor's own folder, run by compiled nslab: Node 20 cannot import
// TypeScript, so it is bundled once with esbuild into nslab's cache (rebuilt when the source
// is newer) and the bundle is what the host and the sandbox load. `nslab/lesson` is resolved
// to this nslab's kit, so a lesson folder needs no node_modules of its own.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire, SourceMap } from 'node:module';
import { homedir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';

export class LessonCompileError extends Error {
  override name = 'LessonCompileError';
}

function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'nslab', 'lessons');
}

/** The bundled module for lesson.ts at `source` (an absolute path); `kit` is the compiled
 * kit's index.js, `pkg` nslab's folder (for the message when esbuild is missing). */
export function compiledLesson(source: string, kit: string, pkg: string): string {
  const out = join(cacheDir(), createHash('sha256').update(source).digest('hex').slice(0, 16), 'lesson.mjs');
  if (existsSync(out) && existsSync(`${out}.map`) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return out;
  let esbuild: typeof import('esbuild');
  try {
    esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  } catch {
    throw new LessonCompileError(`${source} is TypeScript, and esbuild (which nslab compiles it with) is not installed; run \`npm install\` in ${pkg}, or compile it to lesson.js beside lesson.md yourself`);
  }
  mkdirSync(join(out, '..'), { recursive: true });
  try {
    esbuild.buildSync({
      entryPoints: [source],
      outfile: out,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      alias: { 'nslab/lesson': kit },
      // The map turns a throw's place in the bundle back into lesson.ts:line for the author.
      sourcemap: 'external',
      logLevel: 'silent',
    });
  } catch (err) {
    const e = (err as { errors?: { text: string; location?: { line: number } | null }[] }).errors?.[0];
    throw new LessonCompileError(e ? `${source}:${e.location?.line ?? 0}: ${e.text}` : `${source}: ${(err as Error).message.split('\n')[0]}`);
  }
  return out;
}

/** Whether path is a bundle compiledLesson made. */
export function isCompiledLesson(path: string): boolean {
  const rel = relative(cacheDir(), path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}

/** Where line:column (1-based) of a bundle compiledLesson made comes from: the source file and
 * its line, per the bundle's map; undefined where the map says nothing. */
export function originalPosition(bundle: string, line: number, column: number): { file: string; line: number } | undefined {
  try {
    const map = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')));
    const e = map.findEntry(line - 1, Math.max(0, column - 1)) as { originalSource?: string; originalLine?: number };
    if (e.originalSource === undefined || e.originalLine === undefined) return undefined;
    return { file: resolve(join(bundle, '..'), e.originalSource), line: e.originalLine + 1 };
  } catch {
    return undefined;
  }
}
