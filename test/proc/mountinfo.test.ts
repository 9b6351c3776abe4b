import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findMount, parseMountinfo, readMountinfo } from '../../src/proc/index.js';
import { fixture, impossiblePid, withSandbox } from './helpers.js';

const test = suite('proc/mountinfo');

test('fixture: escapes, several optional fields, unbindable, unknown tags and junk lines', () => {
  const entries = parseMountinfo(fixture('mountinfo-tricky.txt'));
  assert.is(entries.length, 9, 'the junk line is skipped, every real line kept');
  const byId = new Map(entries.map((e) => [e.id, e]));

  const disk = byId.get(30)!;
  assert.is(disk.mountPoint, '/mnt/my disk');
  assert.is(disk.source, 'my src');
  assert.equal(disk.optional, { shared: 11, master: 2, propagateFrom: 3, unbindable: false });
  assert.is(disk.propagation, 'shared+slave');
  assert.equal(disk.options, ['rw', 'nosuid']);
  assert.equal(disk.superOptions, ['rw', 'size=1024k']);
  assert.equal([disk.parentId, disk.major, disk.minor, disk.fsType], [22, 0, 26, 'tmpfs']);
  assert.ok(disk.raw.includes('my\\040disk'), 'raw keeps the kernel text');

  const odd = byId.get(31)!;
  assert.is(odd.root, '/sub\\dir');
  assert.is(odd.mountPoint, '/mnt/tab\tand\nnewline');
  assert.is(odd.propagation, 'unbindable');
  assert.is(odd.optional.unbindable, true);

  assert.is(byId.get(22)!.propagation, 'shared');
  assert.is(byId.get(32)!.propagation, 'slave');
  assert.is(byId.get(32)!.optional.master, 5);
  assert.is(byId.get(33)!.propagation, 'shared+slave');
  assert.is(byId.get(34)!.propagation, 'private');
  assert.is(byId.get(36)!.optional.shared, 4, 'an unknown tag does not hide the known ones');
  assert.is(byId.get(37)!.propagation, 'slave');
  assert.is(byId.get(37)!.optional.unbindable, true);
});

test('findMount picks the mount on top of a stack, whatever the line order', () => {
  const entries = parseMountinfo(fixture('mountinfo-tricky.txt'));
  assert.is(findMount(entries, '/mnt/private')?.source, 'upper');
  assert.is(findMount([...entries].reverse(), '/mnt/private')?.source, 'upper');
  assert.is(findMount(entries, '/mnt/slave/')?.id, 32, 'a trailing slash is ignored');
  assert.is(findMount(entries, '/nowhere'), undefined);
});

// st_dev packs major:minor as glibc's makedev does; decoding it here is independent of the parser.
const major = (dev: number) => (dev >>> 8) & 0xfff;
const minor = (dev: number) => (dev & 0xff) | ((dev >>> 12) & 0xfff00);

test('self: the mounts of / and /proc carry the device numbers stat reports', () => {
  const entries = readMountinfo();
  const lineCount = readFileSync('/proc/self/mounts', 'utf8').trim().split('\n').length;
  assert.is(entries.length, lineCount, '/proc/self/mounts lists the same mounts');
  for (const path of ['/', '/proc']) {
    const mount = findMount(entries, path)!;
    const dev = statSync(path).dev;
    assert.equal([mount.major, mount.minor], [major(dev), minor(dev)], path);
  }
  assert.is(findMount(entries, '/proc')!.fsType, 'proc');
});

test('sandbox: real mounts with odd names and every propagation kind', async () => {
  const base = mkdtempSync(join(tmpdir(), 'nslab-mountinfo-'));
  const odd = join(base, 'we ird\tname\\with\nnewline');
  const [peer, unbindable, plain] = ['peer', 'unbindable', 'plain'].map((d) => join(base, d));
  for (const dir of [odd, peer!, unbindable!, plain!]) mkdirSync(dir);
  // Runs as root of a fresh user+mount namespace, so it works unprivileged too; the helper made
  // every inherited mount private first, so only these commands create peer groups.
  const script = [
    'set -e',
    'mount -t tmpfs "source with space" "$1"',
    'mount --make-shared "$1"',
    'mount --bind "$1" "$2"', // joins the peer group of $1
    'mount --make-slave "$2"', // now receives from that group...
    'mount --make-shared "$2"', // ...and has a peer group of its own
    'mount -t tmpfs t "$3" && mount --make-unbindable "$3"',
    'mount -t tmpfs t "$4"',
    'exec sleep 30',
  ].join('\n');
  try {
    await withSandbox(['-U', '-m'], ({ pid }) => {
      const entries = readMountinfo(pid);
      const a = findMount(entries, odd)!;
      assert.ok(a, 'the mount with space, tab, backslash and newline in its path is found by its real path');
      assert.is(a.source, 'source with space');
      assert.is(a.fsType, 'tmpfs');
      assert.is(a.propagation, 'shared');
      assert.ok(a.raw.includes('\\040') && a.raw.includes('\\011') && a.raw.includes('\\012') && a.raw.includes('\\134'));

      const b = findMount(entries, peer!)!;
      assert.is(b.propagation, 'shared+slave');
      assert.is(b.optional.master, a.optional.shared, 'the slave receives from the group it was bound from');
      assert.is.not(b.optional.shared, a.optional.shared);
      assert.equal([b.major, b.minor], [a.major, a.minor], 'a bind mount shows the same superblock');

      assert.is(findMount(entries, unbindable!)!.propagation, 'unbindable');
      assert.is(findMount(entries, plain!)!.propagation, 'private');
      assert.is(findMount(entries, '/')!.propagation, 'private');
      assert.is(readMountinfo().find((e) => e.mountPoint === odd), undefined, 'the host does not see the sandbox mounts');
    }, ['sh', '-c', script, 'sh', odd, peer!, unbindable!, plain!]);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a missing process gives an error naming the file and errno', () => {
  const pid = impossiblePid();
  assert.throws(() => readMountinfo(pid), (err: Error) => err.message.includes(`/proc/${pid}/mountinfo`) && err.message.includes('ENOENT'));
});

test.run();
