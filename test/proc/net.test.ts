import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket as NetSocket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseNetDev, parseNetTcp, readNetDev, readNetTcp } from '../../src/proc/index.js';
import { fixture, impossiblePid, me, withSandbox } from './helpers.js';

const test = suite('proc/net');
const summary = (s: { local: { address: string; port: number }; remote: { address: string; port: number }; state: string }) =>
  `${s.local.address}:${s.local.port} ${s.remote.address}:${s.remote.port} ${s.state}`;

test('fixture tcp: little-endian words, ports, states, unknown state', () => {
  const sockets = parseNetTcp(fixture('tcp.txt'));
  assert.equal(sockets.map(summary), [
    '127.0.0.1:8080 0.0.0.0:0 LISTEN',
    '10.0.0.5:51000 10.0.0.2:443 ESTABLISHED',
    '127.0.0.1:80 127.0.0.1:54321 UNKNOWN(FF)',
  ]);
  assert.equal([sockets[0]!.uid, sockets[0]!.inode], [1001, 31337]);
  assert.ok(sockets[1]!.raw.includes('0500000A:C738'));
});

test('fixture tcp6: ::1, IPv4-mapped, zero-run compression', () => {
  assert.equal(parseNetTcp(fixture('tcp6.txt'), true).map(summary), [
    '::1:8080 :::0 LISTEN',
    '::ffff:127.0.0.1:443 ::ffff:127.0.0.1:40000 ESTABLISHED',
    '2001:db8::1:22 1:0:0:2::3:54321 TIME_WAIT',
    '1::2:0:0:3:4:22 2001:db8:0:1:1:1:1:1:54321 TIME_WAIT', // a tie goes to the first run; one zero stays
  ]);
});

test('fixture dev: old format without a space after the colon, headers skipped', () => {
  const devs = parseNetDev([
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:    3245      30    0    0    0     0          0         0     3246      31    0    0    0     0       0          0',
    '  eth0:106373213 3346 0 0 0 0 0 0 273192 2107 0 0 0 0 0 0',
  ].join('\n'));
  assert.equal(devs.map((d) => [d.name, d.rxBytes, d.rxPackets, d.txBytes, d.txPackets]), [
    ['lo', 3245, 30, 3246, 31],
    ['eth0', 106373213, 3346, 273192, 2107],
  ]);
});

const listen = (server: Server, host: string) => new Promise<number>((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, host, () => resolve((server.address() as { port: number }).port));
});

/** Inodes of the sockets this process holds open, as the fd table shows them. */
const socketInodes = () => new Set(readdirSync('/proc/self/fd').map((fd) => {
  try { return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1]; } catch { return undefined; }
}).filter(Boolean).map(Number));

test('self: our own listeners and connections, as node reports them', async () => {
  // Listening on '::' is dual-stack: an IPv4 client then appears in tcp6 as ::ffff:127.0.0.1.
  const ipv6 = existsSync('/proc/net/if_inet6') && readFileSync('/proc/net/if_inet6', 'utf8').includes(' lo');
  const v4 = createServer();
  const dual = createServer();
  const accepted = new Promise<NetSocket>((resolve) => dual.once('connection', resolve));
  let client: NetSocket | undefined;
  try {
    const v4Port = await listen(v4, '127.0.0.1');
    const dualPort = ipv6 ? await listen(dual, '::') : 0;
    const sockets = readNetTcp();
    const listener = sockets.find((s) => s.state === 'LISTEN' && s.local.port === v4Port)!;
    assert.equal([listener.local.address, listener.uid], ['127.0.0.1', me.uid]);
    assert.ok(socketInodes().has(listener.inode), 'the inode is one of our open sockets');
    if (!ipv6) return console.log('  (no IPv6 on lo: skipped the tcp6 half)');

    client = connect(dualPort, '127.0.0.1');
    await new Promise((resolve) => client!.once('connect', resolve));
    const server = await accepted;
    const seen = readNetTcp().filter((s) => s.state === 'ESTABLISHED').map(summary);
    assert.ok(seen.includes(`${server.localAddress}:${server.localPort} ${server.remoteAddress}:${server.remotePort} ESTABLISHED`), seen.join('\n'));
    assert.ok(seen.includes(`${client.localAddress}:${client.localPort} ${client.remoteAddress}:${client.remotePort} ESTABLISHED`), seen.join('\n'));
    assert.ok(readNetTcp().some((s) => s.state === 'LISTEN' && s.local.address === '::' && s.local.port === dualPort));
    server.destroy();
  } finally {
    client?.destroy();
    v4.close();
    dual.close();
  }
});

test('self: net/dev lists the interfaces node sees', () => {
  const names = readNetDev().map((d) => d.name);
  for (const name of Object.keys(networkInterfaces())) assert.ok(names.includes(name), name);
});

test('sandbox: a new network namespace has only lo, down, and no sockets', async () => {
  const server = createServer();
  const port = await listen(server, '127.0.0.1');
  try {
    await withSandbox(['-U', '-n'], ({ pid }) => {
      assert.equal(readNetDev(pid).map((d) => [d.name, d.rxBytes, d.txBytes]), [['lo', 0, 0]]);
      assert.equal(readNetTcp(pid), []);
      assert.ok(readNetTcp().some((s) => s.local.port === port), 'while ours still shows the listener');
    });
  } finally {
    server.close();
  }
});

test('a missing process gives an error naming the file', () => {
  const pid = impossiblePid();
  assert.throws(() => readNetTcp(pid), (err: Error) => err.message.includes(`/proc/${pid}/net/tcp`) && err.message.includes('ENOENT'));
});

test.run();
