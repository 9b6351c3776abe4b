import { readlinkSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mapId, parseIdMap, readGidMap, readSetgroups, readUidMap } from '../../src/proc/index.js';
import { asRoot, impossiblePid, me, withSandbox } from './helpers.js';

const test = suite('proc/idmap');

test('parse: padded columns, several lines, junk skipped', () => {
  const map = parseIdMap('         0       1001          1\n         1     100000      65536\nnot a map\n');
  assert.equal(map.map(({ inside, outside, count }) => [inside, outside, count]), [[0, 1001, 1], [1, 100000, 65536]]);
  assert.is(map[0]!.raw, '         0       1001          1');
  assert.is(mapId(map, 0), 1001);
  assert.is(mapId(map, 1), 100000);
  assert.is(mapId(map, 65536), 165535, 'last id of the range');
  assert.is(mapId(map, 65537), null, 'one past the range is unmapped');
  assert.is(mapId([], 0), null);
});

test('self: the initial user namespace maps every id to itself', () => {
  // 4026531837 (0xEFFFFFFD) is the kernel's fixed inode for the initial user namespace.
  if (readlinkSync('/proc/self/ns/user') !== 'user:[4026531837]') {
    console.log('  (not running in the initial user namespace: skipped)');
    return;
  }
  for (const map of [readUidMap(), readGidMap()]) {
    assert.equal(map.map(({ inside, outside, count }) => [inside, outside, count]), [[0, 0, 4294967295]]);
  }
  assert.is(mapId(readUidMap(), me.uid), me.uid);
  assert.is(readSetgroups(), 'allow');
});

test('sandbox: the helper maps root inside to the caller outside', async () => {
  await withSandbox(['-U'], ({ pid }) => {
    const uid = readUidMap(pid);
    const gid = readGidMap(pid);
    assert.is(mapId(uid, 0), me.uid);
    assert.is(mapId(gid, 0), me.gid);
    if (asRoot) {
      // Root may map a range; setgroups stays allowed.
      assert.equal(uid.map((l) => [l.inside, l.outside, l.count]), [[0, 0, 65536]]);
      assert.equal(gid.map((l) => [l.inside, l.outside, l.count]), [[0, 0, 65536]]);
      assert.is(readSetgroups(pid), 'allow');
    } else {
      // Unprivileged: only our own id, and only after giving up setgroups.
      assert.equal(uid.map((l) => [l.inside, l.outside, l.count]), [[0, me.uid, 1]]);
      assert.equal(gid.map((l) => [l.inside, l.outside, l.count]), [[0, me.gid, 1]]);
      assert.is(readSetgroups(pid), 'deny');
      assert.is(mapId(uid, 1), null);
    }
  });
});

test('a missing process gives an error naming the file', () => {
  const pid = impossiblePid();
  assert.throws(() => readUidMap(pid), (err: Error) => err.message.includes(`/proc/${pid}/uid_map`) && err.message.includes('ENOENT'));
});

test.run();
