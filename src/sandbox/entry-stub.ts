// What Node runs first in the sandbox (built to dist/sandbox-entry/entry-stub.cjs, a CommonJS
// file): it loads the bundled entry, and the entry a built-in lesson's one-file copy, each with
// the V8 code cache that code-cache.ts made at build time. Compiling the entry is the largest
// part of a sandbox's start above a bare Node; with the cache V8 deserializes the bytecode
// instead. A cache from another Node or another build is rejected by V8 (it checks the version,
// flags and source), and the entry compiles as usual.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

const BUNDLE = join(__dirname, 'entry.cjs');

// Node drops the import() callback from a script compiled with cached data
// (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so the entry has no import() of its own; it borrows
// this file's, which Node loaded the ordinary way.
(globalThis as Record<symbol, unknown>)[Symbol.for('nslab.import')] = (url: string) => import(url);

// For code-cache.ts: 'write' each file's cache at exit, when the functions the run used have
// been compiled and go into it too; 'report' whether V8 took it.
const mode = process.env.NSLAB_CODE_CACHE;
const loaded: { file: string; script: vm.Script }[] = [];
if (mode === 'write') process.once('exit', () => loaded.forEach(({ file, script }) => writeFileSync(`${file}.cache`, script.createCachedData())));

/** A CommonJS file's exports, compiled from `${file}.cache` where V8 takes that cache. */
function loadCached(file: string): unknown {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    /* no cache: V8 compiles */
  }
  // The same wrapper Node's CommonJS loader puts around a file, on the same line as the code, so
  // line numbers in stack traces stay those of the file.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    cachedData,
  });
  if (mode === 'write') loaded.push({ file, script });
  if (mode === 'report') process.stderr.write(`code cache: ${!cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted'} ${file}\n`);
  const wrapped = script.runInThisContext() as (...args: unknown[]) => void;
  const mod = { exports: {} };
  wrapped.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  return mod.exports;
}
// The entry loads the lessons' one-file copies (bundles.ts) through this too.
(globalThis as Record<symbol, unknown>)[Symbol.for('nslab.loadCached')] = loadCached;

loadCached(BUNDLE);
