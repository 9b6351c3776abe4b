// The rootfs tests boot: nslab's own default one (this machine's programs), built on first need
// into the user's cache (the project's state, not a temp file), exactly as a learner's first run
// builds it. And the opt-in busybox one, for the few tests about busybox itself: built from
// $NSLAB_BUSYBOX or an installed busybox-static; without either those tests are reported as
// skipped, with the reason, never passed.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Test } from 'uvu';
import { ensureRootfs, findStaticBusybox, rootfsDir } from '../../src/rootfs/index.js';

let cached: Promise<string> | undefined;
export function testRootfs(): Promise<string> {
  cached ??= ensureRootfs();
  return cached;
}

/** Puts a copy of the test rootfs where nslab run with env looks for its own, as if its first
 * lesson had built it there: a test home whose subject is not the build skips building it
 * again (a second each, a dozen times a run). The build itself is test/rootfs's. */
export async function seedRootfs(env: NodeJS.ProcessEnv): Promise<void> {
  const from = await testRootfs();
  const to = rootfsDir(env);
  mkdirSync(dirname(to), { recursive: true });
  // cp -a: modes, owners, links and timestamps as the builder left them.
  const r = spawnSync('cp', ['-a', from, to], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`copying the test rootfs to ${to} failed: ${r.stderr.trim()}`);
}

/** A static busybox to build the opt-in rootfs from, or why there is none. */
export const BUSYBOX = findStaticBusybox();

let cachedBusybox: Promise<string> | undefined;
/** The busybox rootfs, beside the default one (`nslab rootfs build --busybox` into its own dir). */
export function testBusyboxRootfs(): Promise<string> {
  if (!BUSYBOX.path) throw new Error(`no static busybox: ${BUSYBOX.why}`);
  cachedBusybox ??= ensureRootfs({ dir: join(dirname(rootfsDir()), 'rootfs-busybox'), method: 'busybox', onProgress: () => {} });
  return cachedBusybox;
}

/** Registers a test that needs a static busybox: run when there is one, else uvu's skip (counted
 * as skipped by test/run.ts) and a SKIP line naming the reason and how to run it. */
export function withBusybox(test: Test, name: string, fn: () => Promise<void> | void): void {
  if (BUSYBOX.path) return void test(name, fn);
  console.log(`SKIP ${name}: ${BUSYBOX.why}; set NSLAB_BUSYBOX=/path/to/static/busybox to run it`);
  test.skip(name, fn);
}
