// The rootfs tests boot: nslab's own default one, built on first need into the user's cache
// (the project's state, not a temp file), exactly as a learner's first run builds it.
import { ensureRootfs } from '../../src/rootfs/index.js';

let cached: Promise<string> | undefined;
export function testRootfs(): Promise<string> {
  cached ??= ensureRootfs();
  return cached;
}
