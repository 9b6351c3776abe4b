// Build step (`node dist/src/sandbox/code-cache.js`, run by `npm run build`): run the built
// entry once on a no-op experiment and keep V8's code cache of it for entry-stub.ts. It runs as
// any sandbox does (runExperiment, no namespaces asked for), so the cache is made by a process
// started exactly like the ones that will use it. A failure costs only speed, so it warns and
// the build goes on.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENTRY_CACHE } from './helper.js';
import { runExperiment } from './run.js';

export type CodeCacheState = 'accepted' | 'rejected' | 'missing';

/** Run the built entry on a no-op experiment; `mode` is entry-stub.ts's NSLAB_CODE_CACHE. */
async function runNoop(mode: 'write' | 'report'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-build-'));
  try {
    const module = join(dir, 'noop.mjs');
    writeFileSync(module, 'export const noop = () => ({});\n');
    const r = await runExperiment({ module, path: ['noop'] }, { namespaces: [], env: { NSLAB_CODE_CACHE: mode } });
    if (r.status !== 'ok') throw new Error(`the entry did not run: ${r.reason}`);
    return r.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether V8 takes the cache the build left, in a process like a sandbox's. */
export async function codeCacheState(): Promise<CodeCacheState> {
  const m = /code cache: (accepted|rejected|missing)/.exec(await runNoop('report'));
  if (!m) throw new Error('the entry stub did not report on its code cache');
  return m[1] as CodeCacheState;
}

export async function writeCodeCache(): Promise<string> {
  rmSync(ENTRY_CACHE, { force: true });
  await runNoop('write');
  const state = await codeCacheState();
  if (state !== 'accepted') throw new Error(`V8 ${state === 'missing' ? 'wrote no cache' : 'rejected the cache it just wrote'}`);
  return `${ENTRY_CACHE} (${Math.round(statSync(ENTRY_CACHE).size / 1024)} KiB)`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeCodeCache().catch((err: Error) => {
    console.warn(`nslab build: no code cache for the sandbox entry (${err.message}); sandboxes start a little slower.`);
  });
}
