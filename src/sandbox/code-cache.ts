// Build step (`node dist/src/sandbox/code-cache.js`, run by `npm run build`): start the bundled
// entry once on a no-op experiment, outside any namespace, and keep V8's code cache of it for
// entry-stub.ts. A failure costs only speed, so it warns and the build goes on.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHANNEL_FD, encode } from './channel.js';
import { packageRoot } from './helper.js';
import type { ToSandbox } from './protocol.js';

const ENTRY_DIR = join(packageRoot, 'dist', 'sandbox-entry');
export const ENTRY_STUB = join(ENTRY_DIR, 'entry-stub.cjs');
export const ENTRY_CACHE = join(ENTRY_DIR, 'entry.cjs.cache');

export type CodeCacheState = 'accepted' | 'rejected' | 'missing';

/** Run the built entry on a no-op experiment; `mode` is entry-stub.ts's NSLAB_CODE_CACHE. */
async function runNoop(mode: 'write' | 'report'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-build-'));
  try {
    const module = join(dir, 'noop.mjs');
    writeFileSync(module, 'export const noop = () => ({});\n');
    const child = spawn(process.execPath, [ENTRY_STUB], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, NSLAB_CODE_CACHE: mode },
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const channel = child.stdio[CHANNEL_FD] as Socket;
    channel.on('error', () => {});
    channel.on('data', () => {});
    const start: ToSandbox = { type: 'start', ref: { module, path: ['noop'] }, pivot: false, newPidNs: false, helper: '' };
    channel.write(encode(start));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`the entry exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`);
    return stderr;
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
