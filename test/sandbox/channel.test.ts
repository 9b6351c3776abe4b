// The host-sandbox wire (fd 3, framed tagged JSON) and the built entry that reads it: what an
// experiment observes must come home as it was, whatever its size and however the bytes split.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { encode, FrameDecoder } from '../../src/sandbox/channel.js';
import { packageRoot } from '../../src/sandbox/helper.js';

const wire = suite('sandbox/channel');

const sample = () => ({
  caps: 0x1ffffffffffn,
  neg: -5n,
  map: new Map<string, unknown>([['k', new Set(['v', 1n])]]),
  odd: [NaN, Infinity, -Infinity, undefined, null, 0],
  nested: { deep: [{ s: 'tab\tnul\u0000 "q"' }] },
});

wire('values survive encode/decode, split at every byte boundary', () => {
  const frames = Buffer.concat([encode(sample()), encode({ type: 'done' })]);
  for (let cut = 0; cut <= frames.length; cut++) {
    const d = new FrameDecoder();
    const got = [...d.push(frames.subarray(0, cut)), ...d.push(frames.subarray(cut))];
    assert.is(got.length, 2, `cut at ${cut}`);
    const v = got[0] as ReturnType<typeof sample>;
    assert.is(v.caps, 0x1ffffffffffn);
    assert.is(v.neg, -5n);
    assert.ok(v.map instanceof Map && v.map.get('k') instanceof Set);
    assert.equal([...(v.map.get('k') as Set<unknown>)], ['v', 1n]);
    assert.ok(Number.isNaN(v.odd[0]) && v.odd[1] === Infinity && v.odd[2] === -Infinity);
    assert.is(v.odd.length, 6);
    assert.is(v.odd[3], undefined);
    assert.is(v.odd[4], null);
    assert.is(v.nested.deep[0]!.s, 'tab\tnul\u0000 "q"');
    assert.equal(got[1], { type: 'done' });
  }
});

wire('a function cannot be sent, and says which property it was', () => {
  assert.throws(() => encode({ observations: { fn: () => 1 } }), /fn is a function/);
});

// The built entry (what `nslab` runs): stub, V8 code cache, require() of ES modules, import()
// lent by the stub for a module with top-level await, the reply socket made on first request.
const built = join(packageRoot, 'dist', 'src', 'sandbox', 'index.js');
wire('the built entry brings a 300 KB, BigInt-laden observation home from a TLA module', async () => {
  assert.ok(existsSync(built), 'dist/ is not built: run `npm run build` (`npm test` does)');
  const { runExperiment } = (await import(built)) as typeof import('../../src/sandbox/index.js');
  const r = await runExperiment<Record<string, any>>(
    { module: join(import.meta.dirname, 'fixtures', 'wire.mjs'), path: ['tricky'] },
    { namespaces: ['user', 'mnt', 'pid'] },
  );
  assert.is(r.status, 'ok', `${r.reason} ${r.stderr}`);
  const o = r.observations!;
  assert.is(o.caps, (1n << 40n) | 1n);
  assert.equal([...o.map.get('a')], [1, 2]);
  assert.ok(Number.isNaN(o.odd[0]) && o.odd[1] === -Infinity && o.odd[2] === undefined && o.odd[3] === null);
  assert.is(o.text, 'quotes " and \u0000 and ünïcode');
  assert.is(o.outsidePid, r.pid, "the checkpoint's outside view is of the sandbox's own PID");
  assert.is(o.big.length, 300_000);
});

wire('V8 accepts the code cache the build made for the entry', async () => {
  const cc = join(packageRoot, 'dist', 'src', 'sandbox', 'code-cache.js');
  assert.ok(existsSync(cc), 'dist/ is not built: run `npm run build` (`npm test` does)');
  const { codeCacheState } = (await import(cc)) as typeof import('../../src/sandbox/code-cache.js');
  assert.is(await codeCacheState(), 'accepted');
});

// Built-in lessons run in the sandbox from one-file copies (bundles.ts), each with its cache.
wire("a built-in lesson's sandbox loads its one-file copy, with the cache V8 takes", async () => {
  const { runExperiment } = (await import(built)) as typeof import('../../src/sandbox/index.js');
  const { BUNDLE_DIR } = (await import(join(packageRoot, 'dist', 'src', 'sandbox', 'bundles.js'))) as typeof import('../../src/sandbox/bundles.js');
  const { codeCacheStates } = (await import(join(packageRoot, 'dist', 'src', 'sandbox', 'code-cache.js'))) as typeof import('../../src/sandbox/code-cache.js');
  const ids = readdirSync(join(packageRoot, 'lessons')).filter((id) => existsSync(join(packageRoot, 'lessons', id, 'lesson.ts')));
  const bundles = ids.map((id) => join(BUNDLE_DIR, `${id}.cjs`));
  assert.ok(ids.length >= 12 && bundles.every((b) => existsSync(b)), `bundles in ${BUNDLE_DIR}: ${bundles.filter((b) => existsSync(b)).length} of ${ids.length}`);
  for (const [file, state] of await codeCacheStates(bundles)) assert.is(state, 'accepted', file);

  // 12's first experiment (no rootfs, no many-uid map: it runs as any user) runs for real from
  // its bundle; with NSLAB_DEBUG=1 from lesson.js.
  const module = join(packageRoot, 'dist', 'lessons', '12-threads-and-namespaces', 'lesson.js');
  const ref = { module, path: ['default', 'experiments', 0, 'run'] };
  const lesson = (await import(module)) as { default: { experiments: { sandbox: { namespaces: string[] } }[] } };
  const namespaces = lesson.default.experiments[0]!.sandbox.namespaces as ('mnt' | 'pid')[];
  const fast = await runExperiment(ref, { namespaces, env: { NSLAB_CODE_CACHE: 'report' } });
  assert.is(fast.status, 'ok', `${fast.reason} ${fast.stderr}`);
  assert.match(fast.stderr, `code cache: accepted ${join(BUNDLE_DIR, '12-threads-and-namespaces.cjs')}`);
  const slow = await runExperiment(ref, { namespaces, env: { NSLAB_CODE_CACHE: 'report', NSLAB_DEBUG: '1' } });
  assert.is(slow.status, 'ok', `${slow.reason} ${slow.stderr}`);
  assert.not.match(slow.stderr, '12-threads-and-namespaces.cjs');
  assert.equal(Object.keys(slow.observations as object), Object.keys(fast.observations as object), 'both copies observe the same things');
});

// A test's own sandboxes (this file's import of src/) start the built entry and a lesson's
// bundle where the runner found dist/ fresh, and tsx's TypeScript only where it did not.
wire("from the sources: the built entry and the lesson's bundle with NSLAB_TEST_DIST=1, tsx without", async () => {
  const { runExperiment } = await import('../../src/sandbox/index.js');
  const { ENTRY_BUNDLE } = await import('../../src/sandbox/helper.js');
  const { BUNDLE_DIR } = await import('../../src/sandbox/bundles.js');
  const ref = { module: join(packageRoot, 'lessons', '12-threads-and-namespaces', 'lesson.ts'), path: ['default', 'experiments', 0, 'run'] };
  const lesson = await import(ref.module);
  const namespaces = lesson.default.experiments[0]!.sandbox.namespaces;
  const built = await runExperiment(ref, { namespaces, env: { NSLAB_CODE_CACHE: 'report', NSLAB_TEST_DIST: '1' } });
  assert.is(built.status, 'ok', `${built.reason} ${built.stderr}`);
  assert.match(built.stderr, `code cache: accepted ${ENTRY_BUNDLE}`);
  assert.match(built.stderr, `code cache: accepted ${join(BUNDLE_DIR, '12-threads-and-namespaces.cjs')}`);
  const source = await runExperiment(ref, { namespaces, env: { NSLAB_CODE_CACHE: 'report', NSLAB_TEST_DIST: '0' } });
  assert.is(source.status, 'ok', `${source.reason} ${source.stderr}`);
  assert.not.match(source.stderr, 'code cache:', 'no stub: the TypeScript entry ran');
  assert.equal(Object.keys(source.observations as object), Object.keys(built.observations as object), 'both observe the same things');
});

wire.run();
