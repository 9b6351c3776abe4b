// What Node runs first in the sandbox (built to dist/sandbox-entry/entry-stub.cjs, a CommonJS
// file): it loads the bundled entry with V8's code cache, which code-cache.ts made at build
// time. Compiling the entry is the largest part of a sandbox's start above a bare Node; with the
// cache V8 deserializes the bytecode instead. A cache from another Node or another build is
// rejected by V8 (it checks the version, flags and source), and the entry compiles as usual.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';

const BUNDLE = join(__dirname, 'entry.cjs');
const CACHE = `${BUNDLE}.cache`;

// Node drops the import() callback from a script compiled with cached data
// (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so the entry has no import() of its own; it borrows
// this file's, which Node loaded the ordinary way.
(globalThis as Record<symbol, unknown>)[Symbol.for('nslab.import')] = (url: string) => import(url);

let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(CACHE);
} catch {
  /* no cache: V8 compiles */
}
const source = readFileSync(BUNDLE, 'utf8');
// The same wrapper Node's CommonJS loader puts around a file, on the same line as the code, so
// line numbers in stack traces stay those of entry.cjs.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: BUNDLE,
  cachedData,
});
// For code-cache.ts: 'write' the cache at exit, when the functions the run used have been
// compiled and go into it too; 'report' whether V8 took it.
const mode = process.env.NSLAB_CODE_CACHE;
if (mode === 'write') process.once('exit', () => writeFileSync(CACHE, script.createCachedData()));
if (mode === 'report') process.stderr.write(`code cache: ${!cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted'}\n`);
const wrapped = script.runInThisContext() as (...args: unknown[]) => void;
const mod = { exports: {} };
wrapped.call(mod.exports, mod.exports, require, mod, BUNDLE, __dirname);
