// The path-walk diagram of lesson 01's chroot escape, drawn from a real run: every directory
// chdir("..") reached, by (dev, ino), up to the host's own /, and the jail below the edge.
import { statSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { devName } from '../../src/render/diagrams-pathwalk.js';
import { testRootfs } from '../support/rootfs.js';
import { block, diagramOf, draw, runFor, start } from './diagram-support.js';

const T = suite('path-walk diagram');
const idOf = (x: { dev: number; ino: number }) => `dev ${devName(x.dev)} ino ${x.ino}`;

T('the escape: each directory walked, by (dev, ino), from the rootfs up to the host\'s /', async () => {
  const r = await runFor('01-chroot', 'chroot-escape');
  if (!r) return;
  const { walk, jail } = r.obs as { walk: { dev: number; ino: number; name: string }[]; jail: { dev: number; ino: number } };
  const out = draw(diagramOf(r, 'path-walk'), r.obs);
  const rows = out.split('\n').slice(2);
  // Top down: the last directory reached first, each on its own row with its own (dev, ino).
  walk.slice().reverse().forEach((w, i) => assert.ok(rows[i]!.includes(idOf(w)), `row ${i} shows ${idOf(w)}:\n${out}`));
  const top = walk.at(-1)!;
  const host = statSync('/');
  assert.equal([top.dev, top.ino], [host.dev, host.ino], "the walk ended on the host's own /");
  assert.match(rows[0]!, new RegExp(`^  / .*"\\.\\." #${walk.length - 1}, stays: the top`));
  const rootfs = statSync(await testRootfs());
  assert.equal([walk[0]!.dev, walk[0]!.ino], [rootfs.dev, rootfs.ino], 'it started in the rootfs, the first chroot');
  assert.match(rows[walk.length - 1]!, /rootfs .*start: the cwd$/);
  // The jail lies below the start, past the edge line, and nothing walked is inside it.
  assert.match(rows[walk.length]!, /-- the jail: below this line/);
  assert.ok(rows[walk.length + 1]!.includes(`tmp/escape  ${idOf(jail)}`), rows[walk.length + 1]);
  assert.match(out, /The cwd was outside the root from the start/);
});

T('chdir into the jail first: the walk stops at once, at the process\'s root', async () => {
  const r = await runFor('01-chroot', 'chroot-escape', { chdirIntoNewRoot: true });
  if (!r) return;
  const { walk, jail } = r.obs;
  assert.is(walk.length, 1, 'no chdir("..") moved');
  const out = draw(diagramOf(r, 'path-walk'), r.obs);
  const rows = out.split('\n').slice(2);
  assert.match(rows[0]!, /-- the jail: below this line/);
  assert.ok(rows[1]!.includes(idOf(jail)) && rows[1]!.endsWith('start: the cwd, stays: the root'), rows[1]);
  assert.match(out, /never left it/);
});

T('nslab start 1 draws it, with the host\'s / at the top', () => {
  const b = block(start('1'), 'The escape, one chdir("..") at a time');
  const host = statSync('/');
  assert.match(b.split('\n')[2]!, new RegExp(`^  / +${idOf(host)} +"\\.\\." #\\d+, stays: the top$`));
  assert.match(b, /tmp\/escape +dev \d+:\d+ ino \d+ +the process's root/);
});

T.run();
