// The kit's check builders over real kernel text: a mountinfo line's propagation and options,
// a status line, a trace line's errno, two ns links. Each verdict both ways, with its hint.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readlinkSync } from 'node:fs';
import { errnoIs, mountIs, nsLinks, parseTraceResult, statusIs } from '../../src/kit/index.js';
import * as sys from '../../src/sys/index.js';

const test = suite('kit checks');
const none = {};

test('errnoIs reads the answer from a real trace line', () => {
  // A real failing call: open() of a path that does not exist.
  const r = sys.open('/nonexistent/nslab-kit', sys.O_RDONLY);
  assert.equal(parseTraceResult(r.trace), { ret: -1, errno: 'ENOENT' });
  const c = errnoIs<{ t: string }>('enoent', 'ENOENT', 'ENOENT', (o) => ({ trace: o.t }));
  assert.is(c.check({ t: r.trace }, none).pass, true);
  const wrong = errnoIs<{ t: string }>('eperm', 'EPERM', 'EPERM', (o) => ({ trace: o.t, why: 'the path is wrong' }));
  const out = wrong.check({ t: r.trace }, none);
  assert.is(out.pass, false);
  assert.match(out.hint!, 'expected EPERM, the kernel answered -1 ENOENT: the path is wrong');
  const ok = sys.open('/proc/self/status', sys.O_RDONLY);
  assert.is(errnoIs<{ t: string }>('ok', 'works', 0, (o) => ({ trace: o.t })).check({ t: ok.trace }, none).pass, true);
  sys.close(ok.ret);
});

test('statusIs judges a line of this process\'s own status', () => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const nnp = statusIs<string>('nnp', 'NoNewPrivs: 0', (s) => ({ who: 'the test', status: s, key: 'NoNewPrivs', want: '0' }));
  assert.is(nnp.check(status, none).pass, true);
  const bad = statusIs<string>('nnp1', 'NoNewPrivs: 1', (s) => ({ who: 'the test', status: s, key: 'NoNewPrivs', want: '1' })).check(status, none);
  assert.is(bad.pass, false);
  assert.match(bad.observed, 'NoNewPrivs: 0');
  assert.match(bad.evidence[0]!, /^the test: NoNewPrivs: 0$/);
  assert.match(statusIs<string>('x', 'x', (s) => ({ who: 'p', status: s, key: 'NoSuchKey', want: '1' })).check(status, none).hint!, 'no NoSuchKey: line');
});

test('mountIs: propagation, fs type and options of the last mount at a path', () => {
  const lines = [
    '36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
    '40 35 0:45 / /tmp rw,nosuid,nodev shared:12 master:3 - tmpfs tmpfs rw',
    '41 35 0:46 / /tmp rw,nodev - tmpfs tmpfs rw',
  ];
  const at = (mountPoint: string, want?: Parameters<typeof mountIs>[2] extends (o: any, x: any) => infer F ? F extends { want?: infer W } ? W : never : never) =>
    mountIs<string[]>('m', 'm', (m) => ({ mountinfo: m, who: 'the sandbox', mountPoint, want })).check(lines, none);
  assert.is(at('/mnt2', { propagation: 'slave', fsType: 'ext3' }).pass, true);
  assert.is(at('/tmp', { propagation: 'private' }).pass, true, 'the later mount on /tmp hides the shared one');
  const nosuid = at('/tmp', { option: 'nosuid' });
  assert.is(nosuid.pass, false);
  assert.match(nosuid.hint!, 'lack nosuid');
  assert.match(at('/mnt2', { propagation: 'shared' }).hint!, 'it is slave (master:1), not shared');
  assert.is(at('/gone').pass, true, 'without want: nothing may be mounted there');
  assert.is(at('/tmp').pass, false);
  // This machine's own mountinfo has a root mount.
  const real = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.is(mountIs<string>('root', '/ is mounted', (m) => ({ mountinfo: m, who: 'the test', mountPoint: '/', want: {} })).check(real, none).pass, true);
});

test('nsLinks: same and different namespaces, and an unreadable link', () => {
  const mine = readlinkSync('/proc/self/ns/net');
  const same = nsLinks<string>('n', 'same', true, (l) => ({ kind: 'net', a: { label: 'self', link: l }, b: { label: 'thread-self', link: readlinkSync('/proc/thread-self/ns/net') } }));
  assert.is(same.check(mine, none).pass, true);
  const differ = nsLinks<string>('n', 'differ', false, (l) => ({ kind: 'net', a: { label: 'self', link: l }, b: { label: 'self again', link: l }, why: 'no new namespace was made' })).check(mine, none);
  assert.is(differ.pass, false);
  assert.match(differ.hint!, 'share one net namespace: no new namespace was made');
  assert.match(nsLinks<string>('n', 'x', false, () => ({ kind: 'mnt', a: { label: 'gone', link: undefined }, b: { label: 'self', link: mine } })).check(mine, none).hint!, "could not read gone's ns/mnt");
});

test.run();
