// One-file copies of the package's own lessons for the sandbox. A compiled lesson.js imports
// the kit and /proc parsers as some forty ES modules; resolving and compiling them was a fifth
// of every sandbox's life. The build bundles each lesson with esbuild into
// dist/sandbox-entry/lessons/<id>.cjs, which the entry stub loads with a V8 code cache like the
// entry itself. The host keeps importing lesson.js: only the sandbox's copy changes.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { packageRoot } from './helper.js';

/** Where the build puts the bundles. The folder is as deep under the package as dist/src/kit,
 * so code that finds the package from its own file (helper.ts) finds the same folder. */
export const BUNDLE_DIR = join(packageRoot, 'dist', 'sandbox-entry', 'lessons');
const COMPILED_LESSONS = join(packageRoot, 'dist', 'lessons');
const SOURCE_LESSONS = join(packageRoot, 'lessons');

/** The bundle to load in place of module, when module is a built-in lesson's lesson.js and the
 * bundle was built from it; in a test run that found dist/ built from the current sources
 * (NSLAB_TEST_DIST=1, test/run.ts), its lesson.ts too. NSLAB_DEBUG=1 keeps the real files, so
 * stack frames name them. */
export function bundleFor(module: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const within = (dir: string, file: string) => basename(module) === file && dirname(dirname(module)) === dir;
  if (env.NSLAB_DEBUG === '1' || !(within(COMPILED_LESSONS, 'lesson.js') || (env.NSLAB_TEST_DIST === '1' && within(SOURCE_LESSONS, 'lesson.ts')))) return undefined;
  const bundle = join(BUNDLE_DIR, `${basename(dirname(module))}.cjs`);
  try {
    return statSync(bundle).mtimeMs >= statSync(module).mtimeMs ? bundle : undefined;
  } catch {
    return undefined;
  }
}

/** Build step: bundle every built-in lesson; returns the bundles' paths. */
export function bundleLessons(): string[] {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const sources = join(packageRoot, 'lessons');
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const out: string[] = [];
  for (const id of readdirSync(sources).sort()) {
    const source = join(sources, id, 'lesson.ts');
    if (!existsSync(source) || !existsSync(join(COMPILED_LESSONS, id, 'lesson.js'))) continue;
    const outfile = join(BUNDLE_DIR, `${id}.cjs`);
    try {
      esbuild.buildSync({
        entryPoints: [source],
        outfile,
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        external: ['koffi'],
        // helper.ts finds the package from import.meta.url, which a CommonJS file spells this way.
        banner: { js: 'const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
        define: { 'import.meta.url': '__importMetaUrl' },
        logLevel: 'silent',
      });
    } catch (err) {
      // Top-level await, say, has no CommonJS form: that lesson's sandboxes load lesson.js.
      rmSync(outfile, { force: true });
      console.warn(`nslab build: ${id} runs unbundled in the sandbox (${(err as Error).message.split('\n')[0]})`);
      continue;
    }
    out.push(outfile);
  }
  return out;
}
