// Build step (`node dist/src/sandbox/code-cache.js`, run by `npm run build`): bundle the
// built-in lessons (bundles.ts), run the built entry once on a no-op experiment that loads them
// all, and keep V8's code cache of the entry and of each bundle for entry-stub.ts. It runs as
// any sandbox does (runExperiment, no namespaces asked for), so the cache is made by a process
// started exactly like the ones that will use it. A failure costs only speed, so it warns and
// the build goes on.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENTRY_BUNDLE, ENTRY_CACHE } from './helper.js';
import { bundleLessons } from './bundles.js';
import { runExperiment } from './run.js';

export type CodeCacheState = 'accepted' | 'rejected' | 'missing';

/** Run the built entry on a no-op experiment that also loads `bundles` through the stub;
 * `mode` is entry-stub.ts's NSLAB_CODE_CACHE. */
async function runNoop(mode: 'write' | 'report', bundles: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-build-'));
  try {
    const module = join(dir, 'noop.mjs');
    const load = bundles.length ? `const load = globalThis[Symbol.for('nslab.loadCached')];\nfor (const f of ${JSON.stringify(bundles)}) load(f);\n` : '';
    writeFileSync(module, `export const noop = () => {\n${load}return {};\n};\n`);
    const r = await runExperiment({ module, path: ['noop'] }, { namespaces: [], env: { NSLAB_CODE_CACHE: mode } });
    if (r.status !== 'ok') throw new Error(`the entry did not run: ${r.reason}`);
    return r.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether V8 takes the cache the build left for the entry and for each of `bundles`, in a
 * process like a sandbox's. */
export async function codeCacheStates(bundles: string[] = []): Promise<Map<string, CodeCacheState>> {
  const states = new Map<string, CodeCacheState>();
  for (const m of (await runNoop('report', bundles)).matchAll(/^code cache: (accepted|rejected|missing) (.+)$/gm)) states.set(m[2]!, m[1] as CodeCacheState);
  for (const f of [ENTRY_BUNDLE, ...bundles]) if (!states.has(f)) throw new Error(`the entry stub did not report on the code cache of ${f}`);
  return states;
}

/** The entry's alone. */
export async function codeCacheState(): Promise<CodeCacheState> {
  return (await codeCacheStates()).get(ENTRY_BUNDLE)!;
}

export async function writeCodeCache(): Promise<string> {
  const bundles = bundleLessons();
  for (const f of [ENTRY_BUNDLE, ...bundles]) rmSync(`${f}.cache`, { force: true });
  await runNoop('write', bundles);
  for (const [f, state] of await codeCacheStates(bundles)) {
    if (state !== 'accepted') throw new Error(`V8 ${state === 'missing' ? 'wrote no cache' : 'rejected the cache it just wrote'} for ${f}`);
  }
  return `${ENTRY_CACHE} (${Math.round(statSync(ENTRY_CACHE).size / 1024)} KiB) and ${bundles.length} lessons' caches`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeCodeCache().catch((err: Error) => {
    console.warn(`nslab build: no code cache for the sandbox entry (${err.message}); sandboxes start a little slower.`);
  });
}
