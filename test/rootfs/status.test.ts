// Telling a usable rootfs from a missing, half-built or damaged one, and recovering from each.
// Small and quick: the fresh-clone test runs this file as its one-file test run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MARKER,
  RootfsError,
  buildRootfs,
  cleanRootfs,
  ensureRootfs,
  findStaticBusybox,
  isStaticElf,
  rootfsCommand,
  rootfsDir,
  rootfsStatus,
} from '../../src/rootfs/index.js';

const temp = mkdtempSync(join(tmpdir(), 'nslab-rootfs-status-'));
let n = 0;
const fresh = (): string => join(temp, `r${++n}`, 'rootfs');

/** A PID that certainly belongs to no running process: one that just exited. */
const deadPid = (): number => spawnSync('true').pid!;

const status = suite('rootfs status');
status.after(() => rmSync(temp, { recursive: true, force: true }));

status('rootfsDir: NSLAB_ROOTFS, else XDG_CACHE_HOME, else ~/.cache', () => {
  assert.is(rootfsDir({ NSLAB_ROOTFS: '/x/y', HOME: '/h' }), '/x/y');
  assert.is(rootfsDir({ XDG_CACHE_HOME: '/c', HOME: '/h' }), '/c/nslab/rootfs');
  assert.is(rootfsDir({ HOME: '/h' }), '/h/.cache/nslab/rootfs');
});

status('isStaticElf reads the program headers', () => {
  assert.is(isStaticElf(process.execPath), false, 'node is dynamically linked');
  assert.is(isStaticElf('/etc/passwd'), null, 'not an ELF file');
  // nslab's own tools are linked statically (npm install builds them), busybox-static too.
  assert.is(isStaticElf(join(import.meta.dirname, '..', '..', 'native', 'nslab-tools')), true, 'nslab-tools is static');
  const bb = findStaticBusybox();
  if (bb.path) assert.is(isStaticElf(bb.path), true);
});

status('missing, then ready after a build', async () => {
  const dir = fresh();
  assert.is(rootfsStatus(dir).state, 'missing');
  await buildRootfs(dir);
  const s = rootfsStatus(dir);
  assert.is(s.state, 'ready', s.reason);
  assert.is(s.manifest!.format, 1);
  assert.ok(s.manifest!.reason, 'the marker records why this builder was chosen');
});

status('a piece removed after the build: corrupt, naming what is missing', async () => {
  const dir = fresh();
  await buildRootfs(dir);
  unlinkSync(join(dir, 'bin', 'sh'));
  rmSync(join(dir, 'dev', 'null'));
  let s = rootfsStatus(dir);
  assert.is(s.state, 'corrupt');
  assert.match(s.reason!, /bin\/sh/);
  assert.match(s.reason!, /dev\/null/);
  assert.not.match(s.reason!, /proc/);

  writeFileSync(join(dir, 'etc', 'passwd'), readFileSync(join(dir, 'etc', 'passwd'), 'utf8').replace(/^learner:.*\n/m, ''));
  assert.match(rootfsStatus(dir).reason!, /learner/);

  // ensureRootfs repairs it, saying why.
  const lines: string[] = [];
  assert.is(await ensureRootfs({ dir, onProgress: (l) => lines.push(l) }), dir);
  assert.ok(lines.some((l) => /is corrupt \(missing bin\/sh/.test(l)), lines.join('\n'));
  s = rootfsStatus(dir);
  assert.is(s.state, 'ready', s.reason);
});

status('a garbled marker is corrupt; a missing marker is incomplete', async () => {
  const dir = fresh();
  await buildRootfs(dir);
  writeFileSync(join(dir, MARKER), '{ half a');
  assert.is(rootfsStatus(dir).state, 'corrupt');
  unlinkSync(join(dir, MARKER));
  const s = rootfsStatus(dir);
  assert.is(s.state, 'incomplete');
  assert.match(s.reason!, /did not finish/);
});

status('a leftover .building dir of a dead build: incomplete, rebuilt and cleared', async () => {
  const dir = fresh();
  const leftover = `${dir}.building-${deadPid()}`;
  mkdirSync(join(leftover, 'bin'), { recursive: true });
  let s = rootfsStatus(dir);
  assert.is(s.state, 'incomplete');
  assert.match(s.reason!, /interrupted/);
  const lines: string[] = [];
  await ensureRootfs({ dir, onProgress: (l) => lines.push(l) });
  assert.is(rootfsStatus(dir).state, 'ready');
  assert.not.ok(existsSync(leftover), 'the leftover is removed');
  assert.ok(lines.some((l) => l.includes(leftover)), 'and the learner is told');
  // A build running right now is reported as such (here: this very process).
  const dir2 = fresh();
  mkdirSync(`${dir2}.building-${process.pid}`, { recursive: true });
  s = rootfsStatus(dir2);
  assert.is(s.state, 'incomplete');
  assert.match(s.reason!, new RegExp(`being built right now by process ${process.pid}`));
  rmSync(`${dir2}.building-${process.pid}`, { recursive: true });
});

status('two ensureRootfs at once build once; a stale lock is taken over', async () => {
  const dir = fresh();
  mkdirSync(join(dir, '..'), { recursive: true });
  writeFileSync(`${dir}.lock`, `${deadPid()}\n`);
  const lines: string[] = [];
  const [a, b] = await Promise.all([ensureRootfs({ dir, onProgress: (l) => lines.push(`a ${l}`) }), ensureRootfs({ dir, onProgress: (l) => lines.push(`b ${l}`) })]);
  assert.is(a, dir);
  assert.is(b, dir);
  assert.is(lines.filter((l) => l.includes('no rootfs yet')).length, 1, lines.join('\n'));
  assert.ok(lines.some((l) => /waiting for process \d+/.test(l)), lines.join('\n'));
  assert.not.ok(existsSync(`${dir}.lock`), 'the lock is released');
});

status('impossible: one sentence naming the problem and the fix', async () => {
  // A cache path through a regular file (not /proc: Node's recursive mkdir spins on it).
  const file = join(temp, 'a-file');
  writeFileSync(file, '');
  try {
    await ensureRootfs({ dir: join(file, 'nslab', 'rootfs'), onProgress: () => {} });
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, RootfsError);
    const msg = (err as Error).message;
    assert.match(msg, /^Cannot create \/.*a-file\/nslab for the rootfs \(ENOTDIR\); set NSLAB_ROOTFS or XDG_CACHE_HOME/);
    assert.is(msg.split('. ').length, 1, msg);
  }
});

status('cleanRootfs removes the rootfs and leftovers; rootfsCommand info/clean', async () => {
  const dir = fresh();
  await buildRootfs(dir);
  mkdirSync(`${dir}.building-${deadPid()}`);
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) };
  const saved = process.env.NSLAB_ROOTFS;
  process.env.NSLAB_ROOTFS = dir;
  try {
    assert.is(await rootfsCommand(['info'], io), 0);
    assert.match(out.join('\n'), /state:\s+ready/);
    assert.is(await rootfsCommand(['frobnicate'], io), 2);
    assert.match(out.at(-1)!, /^ERR nslab rootfs: unknown command "frobnicate"/);
    assert.is(await rootfsCommand(['clean'], io), 0);
  } finally {
    if (saved === undefined) delete process.env.NSLAB_ROOTFS;
    else process.env.NSLAB_ROOTFS = saved;
  }
  assert.is(rootfsStatus(dir).state, 'missing');
  assert.equal(readdirSync(join(dir, '..')), []);
  assert.equal(await cleanRootfs(dir), [], 'cleaning nothing is fine');
});

status.run();
