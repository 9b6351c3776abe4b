// Lesson 09: network namespaces. A new one has only lo, and it is down; a veth pair joins two
// of them; a TCP connection crosses it; /proc/net/* answers per namespace.
//
// Everything network happens in namespaces this lesson creates: the experiment's sandbox has a
// network namespace of its own, and the two "containers" are nested inside it. No interface is
// ever created in the host's namespace, and addresses are a private /30 that exists only
// between the two ends.
//
// Links are configured with the host's iproute2 `ip`, run by the helper inside each namespace
// (see the lesson text for why not netlink from TypeScript). The two "containers" hold the
// rootfs's sleep.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { SandboxContext, SpawnResult } from '../../src/sandbox/types.js';
import type { NetDev, Socket } from '../../src/proc/index.js';

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const A_ADDR = '10.99.0.1';
const B_ADDR = '10.99.0.2';
const PORT = 7000;
const PAYLOAD = 8000;


function freshProc(ctx: SandboxContext): string {
  const { sys } = ctx;
  const r = sys.mount('proc', '/proc', 'proc', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null);
  if (!r.ok) throw new Error(`mounting a fresh /proc failed: ${r.trace}`);
  return r.trace;
}

/** The host's iproute2 ip, whichever rootfs is in use: busybox's `ip link add ... type veth peer
 * name X netns N` ignores the peer's name and the namespace. ctx.hostBin skips, naming
 * iproute2, when it is not installed. */
const iproute2 = (ctx: SandboxContext): string => ctx.hostBin('ip');

const flagsText = (f: number): string =>
  `0x${f.toString(16)} (${[f & IFF_UP ? 'UP' : 'not UP', f & IFF_LOOPBACK ? 'LOOPBACK' : ''].filter(Boolean).join(', ')})`;

const rel = (s: SpawnResult): string => `exit ${s.code ?? s.signal}${s.stderr.trim() ? `: ${s.stderr.trim().split('\n')[0]}` : ''}`;

interface LoopTry {
  /** 'ok' or the errno of listen(127.0.0.1). */
  listen: string;
  /** Set when the connection to ourselves failed (or was never tried). */
  error?: string;
  ok: boolean;
  port?: number;
}

/** Listen on 127.0.0.1 and connect to ourselves through it. */
function loopbackTry(): Promise<LoopTry> {
  return new Promise((resolve) => {
    const srv = createServer((sock) => sock.end('hi'));
    srv.once('error', (e: NodeJS.ErrnoException) => resolve({ listen: e.code ?? e.message, ok: false, error: 'no listener' }));
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      import('node:net').then(({ connect }) => {
        const c = connect(port, '127.0.0.1');
        let got = '';
        c.setEncoding('utf8');
        c.on('data', (d: string) => (got += d));
        c.on('error', (e: NodeJS.ErrnoException) => {
          srv.close();
          resolve({ listen: 'ok', ok: false, error: e.code ?? e.message, port });
        });
        c.on('end', () => {
          srv.close();
          resolve({ listen: 'ok', ok: got === 'hi', port, error: got === 'hi' ? undefined : `read "${got}"` });
        });
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Experiment 1: a new network namespace has only lo, and lo is down.

interface LoArgs {
  /** Sabotage: bring lo up before looking. */
  upFirst?: boolean;
  /** Sabotage: never bring lo up. */
  skipUp?: boolean;
  /** Sabotage: read /sys/class/net through the sysfs inherited from the host. */
  keepHostSysfs?: boolean;
}

interface LoObs {
  netns: string;
  procNetDev: string[];
  procNetDevRaw: string;
  sysfs: string;
  sysClassNet: string[];
  flagsBefore: number;
  operstateBefore: string;
  addrBefore: string;
  bindBefore: LoopTry;
  ipUp: string;
  ipUpCmd: string;
  flagsAfter: number;
  addrAfter: string;
  bindAfter: LoopTry;
  tcpAfter: Socket[];
  host: { devices: string[] };
}

const loDown: ExperimentSpec<LoObs, LoArgs> = {
  id: 'only-lo-and-down',
  title: 'a new network namespace: only lo, and it is down',
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true, pivot: false },
  commands: [
    'sudo unshare --net --mount sh',
    'cat /proc/net/dev                       # only lo',
    'mount -t sysfs sysfs /sys               # a sysfs for THIS namespace',
    'cat /sys/class/net/lo/flags             # 0x8: LOOPBACK, not UP',
    'ip addr show lo                         # no 127.0.0.1 yet',
    'ip link set lo up && cat /sys/class/net/lo/flags   # 0x9',
  ],
  predict: {
    question: 'In a brand-new network namespace, a server listens on 127.0.0.1. Can a client in the same namespace connect to it?',
    choices: [
      'Yes: 127.0.0.1 always works',
      'No: lo exists but is down, so there is no 127.0.0.1 and no route to it',
      'No: a new namespace has no interfaces at all',
    ],
    answer: 1,
    why: 'Every network namespace is created with its own loopback device and nothing else. lo starts administratively down (no IFF_UP in its flags), and the kernel gives it 127.0.0.1/8 and the route for it only when it comes up. Until then connect() to 127.0.0.1 fails with ENETUNREACH, even though the listen itself was accepted. Container runtimes bring lo up for you; `unshare --net` does not.',
  },
  async run(ctx, args = {}) {
    const { sys, proc } = ctx;
    freshProc(ctx);
    const ip = iproute2(ctx);
    const netns = proc.readNs('self').net!.link;
    const up = () => ctx.spawn(ip, ['link', 'set', 'lo', 'up']);
    if (args.upFirst) await up();
    const procNetDevRaw = readFileSync('/proc/net/dev', 'utf8');
    // sysfs shows the interfaces of the network namespace that mounted it: the one /sys
    // already has is the host's. Mount one for this namespace (in this private mount ns).
    let sysfs = '(kept the inherited /sys)';
    if (!args.keepHostSysfs) sysfs = sys.mount('sysfs', '/sys', 'sysfs', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null).trace;
    const sysClassNet = readdirSync('/sys/class/net').sort();
    const flags = (): number => Number.parseInt(readFileSync('/sys/class/net/lo/flags', 'utf8').trim(), 16);
    const flagsBefore = flags();
    const operstateBefore = readFileSync('/sys/class/net/lo/operstate', 'utf8').trim();
    const addrBefore = (await ctx.spawn(ip, ['-o', '-4', 'addr', 'show', 'dev', 'lo'])).stdout.trim() || '(no IPv4 address on lo)';
    const b = await loopbackTry();
    ctx.note(`ip link set lo up${args.skipUp ? ' (skipped)' : ''}`);
    const ipUp = args.skipUp || args.upFirst ? { code: 0, signal: null, stdout: '', stderr: '' } : await up();
    const addr = await ctx.spawn(ip, ['-o', '-4', 'addr', 'show', 'dev', 'lo']);
    const after = await loopbackTry();
    return ctx.outside('host').then(({ hook }) => ({
      netns,
      procNetDev: proc.parseNetDev(procNetDevRaw).map((d) => d.name),
      procNetDevRaw,
      sysfs,
      sysClassNet,
      flagsBefore,
      operstateBefore,
      addrBefore,
      bindBefore: b,
      ipUp: args.skipUp ? 'skipped' : args.upFirst ? 'done before looking' : rel(ipUp),
      ipUpCmd: `${ip} link set lo up`,
      flagsAfter: flags(),
      addrAfter: addr.stdout.trim() || '(no IPv4 address on lo)',
      bindAfter: after,
      tcpAfter: proc.parseNetTcp(readFileSync('/proc/net/tcp', 'utf8')),
      host: { devices: proc.parseNetDev((hook as { netDev: string }).netDev).map((d) => d.name) },
    }));
  },
  // The host's own interface list, for contrast: nslab's own process, its own namespace. Parsed
  // in run, where ctx.proc is (a lesson imports nothing of nslab at runtime).
  outside() {
    return { netDev: readFileSync('/proc/self/net/dev', 'utf8') };
  },
  checks: [
    {
      id: 'only-lo',
      expected: 'the new namespace lists only lo, both in /proc/net/dev and in a sysfs mounted for it',
      check(obs) {
        const pass = obs.procNetDev.join(' ') === 'lo' && obs.sysClassNet.join(' ') === 'lo';
        return {
          pass,
          observed: `/proc/net/dev: ${obs.procNetDev.join(' ')}; /sys/class/net: ${obs.sysClassNet.join(' ')}; host: ${obs.host?.devices.join(' ')}`,
          evidence: [`${obs.netns}`, ...obs.procNetDevRaw.split('\n').filter(Boolean), obs.sysfs, `ls /sys/class/net: ${obs.sysClassNet.join(' ')}`, `the host's /proc/net/dev: ${obs.host?.devices.join(' ')}`],
          hint: pass
            ? undefined
            : obs.sysClassNet.join(' ') !== 'lo' && obs.procNetDev.join(' ') === 'lo'
              ? `/proc/net/dev says only lo, but /sys/class/net lists ${obs.sysClassNet.join(' ')}: that sysfs was mounted by the host's network namespace, and sysfs shows the interfaces of whoever mounted it. Mount a new sysfs inside the namespace (${obs.sysfs})`
              : `this namespace has ${obs.procNetDev.join(' ')}: it is not a new network namespace`,
        };
      },
    },
    {
      id: 'lo-starts-down',
      expected: 'lo starts without IFF_UP (flags 0x8) and without 127.0.0.1, and connecting to 127.0.0.1 fails (ENETUNREACH)',
      check(obs) {
        const b = obs.bindBefore;
        const pass = (obs.flagsBefore & IFF_UP) === 0 && !obs.addrBefore.includes('127.0.0.1') && !b.ok && b.error === 'ENETUNREACH';
        return {
          pass,
          observed: `flags ${flagsText(obs.flagsBefore)}, operstate ${obs.operstateBefore}, ${obs.addrBefore}; listen: ${b.listen}, connect: ${b.ok ? 'worked' : b.error}`,
          evidence: [
            `cat /sys/class/net/lo/flags: 0x${obs.flagsBefore.toString(16)}`,
            `cat /sys/class/net/lo/operstate: ${obs.operstateBefore}`,
            `ip -o -4 addr show dev lo: ${obs.addrBefore}`,
            `listen(127.0.0.1:0): ${b.listen}; connect(127.0.0.1:${b.port ?? '?'}): ${b.ok ? 'ok' : b.error}`,
          ],
          hint: pass
            ? undefined
            : obs.sysfs.startsWith('(kept')
              ? `these are the flags of the host's lo (${flagsText(obs.flagsBefore)}): /sys was the host's sysfs, which shows the interfaces of the namespace that mounted it. The namespace's own lo has ${obs.addrBefore} and the connection gave ${b.ok ? 'success' : b.error}`
              : obs.flagsBefore & IFF_UP
              ? `lo was already UP (flags ${flagsText(obs.flagsBefore)}, ${obs.addrBefore}) when first read: ip link set lo up (${obs.ipUp}) ran before the first look, so the fresh state was never seen`
              : `lo is down but the connection gave ${b.ok ? 'success' : b.error}`,
        };
      },
    },
    {
      id: 'lo-up-works',
      expected: 'after ip link set lo up: IFF_UP is set, 127.0.0.1/8 is on lo, and a TCP connection to 127.0.0.1 succeeds',
      check(obs) {
        const pass = (obs.flagsAfter & IFF_UP) !== 0 && obs.bindAfter.ok && obs.addrAfter.includes('127.0.0.1/8');
        return {
          pass,
          observed: `flags ${flagsText(obs.flagsAfter)}; ${obs.addrAfter}; connect: ${obs.bindAfter.ok ? `ok (port ${obs.bindAfter.port})` : obs.bindAfter.error}`,
          evidence: [`${obs.ipUpCmd}: ${obs.ipUp}`, `cat /sys/class/net/lo/flags: 0x${obs.flagsAfter.toString(16)}`, `ip -o -4 addr show dev lo: ${obs.addrAfter}`, `connect 127.0.0.1: ${obs.bindAfter.ok ? 'ok' : obs.bindAfter.error}`],
          hint: pass
            ? undefined
            : !(obs.flagsAfter & IFF_UP)
              ? `lo is still down (flags ${flagsText(obs.flagsAfter)}; ip link set lo up: ${obs.ipUp}), so it has no 127.0.0.1 (${obs.addrAfter}) and the connection gave ${obs.bindAfter.error}`
              : `lo is up but the connection gave ${obs.bindAfter.error}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'read /sys/class/net through the host\'s sysfs', args: { keepHostSysfs: true }, fails: ['only-lo'] },
    { what: 'bring lo up before looking', args: { upFirst: true }, fails: ['lo-starts-down'] },
    { what: 'never run ip link set lo up', args: { skipUp: true }, fails: ['lo-up-works'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: a veth pair between two namespaces, addresses, and a TCP connection across.

interface VethArgs {
  /** Sabotage: create the pair without `netns B`: both ends stay in A. */
  noPeerNetns?: boolean;
  /** Sabotage: leave B's end down. */
  skipUpB?: boolean;
  /** Sabotage: run the server in A (next to the client) instead of B. */
  serverInA?: boolean;
}

interface ServerReport {
  bytes: number;
  local: string;
  remote: string;
  tcp: string[];
  ns: string;
}

interface ClientReport {
  ok: boolean;
  error?: string;
  reply?: ServerReport;
  tcp?: string[];
  ns: string;
}

interface VethObs {
  a: number;
  b: number;
  ns: { a: string; b: string; experiment: string };
  ip: string;
  steps: string[];
  devA0: NetDev[];
  devA1: NetDev[];
  devB1: NetDev[];
  devA2: NetDev[];
  devB2: NetDev[];
  linkA: string;
  linkB: string;
  experimentDev: string[];
  experimentTcp: Socket[];
  serverIn: 'A' | 'B';
  target: string;
  client?: ClientReport;
  /** The raw lines the client and the server read from their /proc/net/tcp, parsed here. */
  clientTcp: Socket[];
  serverTcp: Socket[];
  clientResult: string;
}

// The server: one connection, count what arrives, reply with what it saw (its own /proc/net/tcp
// while the connection is open, in its own namespace), then exit.
const SERVER = `
const net = require('net'), fs = require('fs');
const [host, port] = process.argv.slice(1);
const tcp = () => fs.readFileSync('/proc/self/net/tcp', 'utf8').split('\\n').filter((l) => /^\\s*\\d+:/.test(l));
const srv = net.createServer((s) => {
  let bytes = 0;
  s.on('data', (d) => (bytes += d.length));
  s.on('end', () => {
    s.end(JSON.stringify({ bytes, local: s.localAddress + ':' + s.localPort, remote: s.remoteAddress + ':' + s.remotePort, tcp: tcp(), ns: fs.readlinkSync('/proc/self/ns/net') }));
    srv.close();
  });
});
srv.listen(+port, host);
setTimeout(() => process.exit(3), 8000);
`;

const CLIENT = `
const net = require('net'), fs = require('fs');
const [host, port, size] = process.argv.slice(1);
const ns = fs.readlinkSync('/proc/self/ns/net');
const done = (o) => { console.log(JSON.stringify({ ns, ...o })); process.exit(0); };
const c = net.connect({ host, port: +port, timeout: 2500 });
let got = '', tcp;
c.on('connect', () => {
  tcp = fs.readFileSync('/proc/self/net/tcp', 'utf8').split('\\n').filter((l) => /^\\s*\\d+:/.test(l));
  c.end(Buffer.alloc(+size, 120));
});
c.on('data', (d) => (got += d));
c.on('timeout', () => done({ ok: false, error: 'ETIMEDOUT (no answer within 2.5 s)' }));
c.on('error', (e) => done({ ok: false, error: e.code || e.message }));
c.on('end', () => { try { done({ ok: true, reply: JSON.parse(got), tcp }); } catch { done({ ok: false, error: 'bad reply ' + got, tcp }); } });
`;

const isListen = (s: Socket): boolean => s.state === 'LISTEN' && s.local.port === PORT;

const veth: ExperimentSpec<VethObs, VethArgs> = {
  id: 'veth-pair',
  title: 'a veth pair between two namespaces, and TCP across it',
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true, pivot: false },
  commands: [
    'sudo unshare --net sleep 600 & A=$!;  sudo unshare --net sleep 600 & B=$!',
    'sudo nsenter -t $A -n ip link add veth-a type veth peer name veth-b netns $B',
    'sudo nsenter -t $A -n sh -c "ip addr add 10.99.0.1/30 dev veth-a && ip link set veth-a up && ip link set lo up"',
    'sudo nsenter -t $B -n sh -c "ip addr add 10.99.0.2/30 dev veth-b && ip link set veth-b up && ip link set lo up"',
    'sudo nsenter -t $B -n nc -l -p 7000 &   sudo nsenter -t $A -n nc 10.99.0.2 7000',
    'cat /proc/$A/net/dev /proc/$B/net/dev   # each namespace its own interfaces and counters',
  ],
  predict: {
    question: 'You create a veth pair inside namespace A, giving the peer to namespace B. Where does veth-b show up?',
    choices: ["In A and B: a veth pair is one device seen from both", "Only in B's /proc/net/dev; A has only veth-a", "In the host's namespace, where every real device lives"],
    answer: 1,
    why: "A veth pair is two network devices joined back to back: what one transmits, the other receives. Each device belongs to exactly one network namespace. `ip link add ... peer name veth-b netns B` creates veth-a in the caller's namespace and veth-b directly in B's, so each side lists only its own end, and the counters of the two ends mirror each other.",
  },
  async run(ctx, args = {}) {
    const { proc } = ctx;
    freshProc(ctx);
    const ip = iproute2(ctx);
    const sleeper = ctx.bin('sleep');
    const steps: string[] = [];
    ctx.note(`two nested "containers": each a new network namespace holding ${sleeper} 60`);
    // The holder is the helper's child once it has exec'd sleep (its argv says so) in a network
    // namespace other than the experiment's.
    const start = async (): Promise<number> => {
      const bg = await ctx.background(ctx.helper, ['run', '-n', '--', sleeper, '60']);
      for (let i = 0; i < 100; i++) {
        try {
          const kid = proc.readChildren(bg.pid)[0];
          if (kid && proc.readCmdline(kid)[0] === sleeper && proc.readNs(kid).net!.link !== proc.readNs('self').net!.link) return kid;
        } catch {
          /* not there yet */
        }
        await sleep(20);
      }
      throw new Error(`a namespace holder (${sleeper} 60 under nslab-helper run -n) did not start`);
    };
    const a = await start();
    const b = await start();
    const inNs = async (pid: number, label: string, argv: string[]): Promise<SpawnResult> => {
      const r = await ctx.spawn(ctx.helper, ['join', '--target', String(pid), '-n', '--', ...argv]);
      steps.push(`nsenter -t ${label} -n ${argv.map((x) => (x === ip ? 'ip' : x)).join(' ')}: ${rel(r)}`);
      return r;
    };
    const devA0 = proc.readNetDev(a);
    await inNs(a, 'A', [ip, 'link', 'add', 'veth-a', 'type', 'veth', 'peer', 'name', 'veth-b', ...(args.noPeerNetns ? [] : ['netns', String(b)])]);
    await inNs(a, 'A', [ip, 'addr', 'add', `${A_ADDR}/30`, 'dev', 'veth-a']);
    await inNs(a, 'A', [ip, 'link', 'set', 'veth-a', 'up']);
    await inNs(a, 'A', [ip, 'link', 'set', 'lo', 'up']);
    await inNs(b, 'B', [ip, 'link', 'set', 'lo', 'up']);
    await inNs(b, 'B', [ip, 'addr', 'add', `${B_ADDR}/30`, 'dev', 'veth-b']);
    if (!args.skipUpB) await inNs(b, 'B', [ip, 'link', 'set', 'veth-b', 'up']);
    const devA1 = proc.readNetDev(a);
    const devB1 = proc.readNetDev(b);

    const serverIn = args.serverInA ? 'A' : 'B';
    const target = args.serverInA ? A_ADDR : B_ADDR;
    const server = await ctx.background(ctx.helper, ['join', '--target', String(args.serverInA ? a : b), '-n', '--', process.execPath, '-e', SERVER, target, String(PORT)]);
    // The join helper itself sits in the server's namespace: its /proc/PID/net/tcp is that table.
    for (let i = 0; i < 150; i++) {
      try {
        if (proc.readNetTcp(server.pid).some((s) => isListen(s) && s.local.address === target)) break;
      } catch {
        /* not yet */
      }
      await sleep(20);
    }
    ctx.note(`client in A connects to ${target}:${PORT} and sends ${PAYLOAD} bytes`);
    const c = await ctx.spawn(ctx.helper, ['join', '--target', String(a), '-n', '--', process.execPath, '-e', CLIENT, target, String(PORT), String(PAYLOAD)], { timeoutMs: 8000 });
    let client: ClientReport | undefined;
    try {
      client = JSON.parse(c.stdout.trim().split('\n').pop() ?? '') as ClientReport;
    } catch {
      client = undefined;
    }
    const linkA = (await ctx.spawn(ctx.helper, ['join', '--target', String(a), '-n', '--', ip, '-o', 'link', 'show'])).stdout.trim();
    const linkB = (await ctx.spawn(ctx.helper, ['join', '--target', String(b), '-n', '--', ip, '-o', 'link', 'show'])).stdout.trim();
    return {
      a,
      b,
      ns: { a: proc.readNs(a).net!.link, b: proc.readNs(b).net!.link, experiment: proc.readNs('self').net!.link },
      ip,
      steps,
      devA0,
      devA1,
      devB1,
      devA2: proc.readNetDev(a),
      devB2: proc.readNetDev(b),
      linkA,
      linkB,
      experimentDev: proc.readNetDev().map((d) => d.name),
      experimentTcp: proc.parseNetTcp(readFileSync('/proc/net/tcp', 'utf8')),
      serverIn,
      target,
      client,
      clientTcp: proc.parseNetTcp((client?.tcp ?? []).join('\n')),
      serverTcp: proc.parseNetTcp((client?.reply?.tcp ?? []).join('\n')),
      clientResult: rel(c),
    };
  },
  checks: [
    {
      id: 'one-end-each',
      expected: "A lists lo and veth-a only, B lists lo and veth-b only, and the experiment's own namespace has no veth",
      check(obs) {
        const names = (d: NetDev[]) => d.map((x) => x.name).sort().join(' ');
        const pass =
          names(obs.devA0) === 'lo' && names(obs.devA1) === 'lo veth-a' && names(obs.devB1) === 'lo veth-b' && obs.experimentDev.every((n) => !n.startsWith('veth'));
        return {
          pass,
          observed: `A before: ${names(obs.devA0)}; A: ${names(obs.devA1)}; B: ${names(obs.devB1)}; experiment: ${obs.experimentDev.join(' ')}`,
          evidence: [
            `A = PID ${obs.a} ${obs.ns.a}; B = PID ${obs.b} ${obs.ns.b}; experiment ${obs.ns.experiment}`,
            ...obs.steps.slice(0, 1),
            `/proc/${obs.a}/net/dev:`,
            ...obs.devA1.map((d) => d.raw),
            `/proc/${obs.b}/net/dev:`,
            ...obs.devB1.map((d) => d.raw),
            `experiment's /proc/net/dev: ${obs.experimentDev.join(' ')}`,
          ],
          hint: pass
            ? undefined
            : names(obs.devA1).includes('veth-b')
              ? `both ends are in A (${names(obs.devA1)}) and B has only ${names(obs.devB1)}: ip link add was run without "netns B" for the peer, so it was created next to veth-a (${obs.steps[0]})`
              : `unexpected interfaces: A ${names(obs.devA1)}, B ${names(obs.devB1)}`,
        };
      },
    },
    {
      id: 'tcp-across',
      expected: `a client in A reaches the server in B at ${B_ADDR}:${PORT}; B sees it coming from ${A_ADDR}, and each side's /proc/net/tcp has the ESTABLISHED pair mirrored`,
      check(obs) {
        const c = obs.client;
        const r = c?.reply;
        const isB = (e: Socket['local']) => e.address === B_ADDR && e.port === PORT;
        // The server reads its table after the client's FIN: CLOSE_WAIT there, ESTABLISHED on
        // the client, which read its table right after connecting.
        const serverSide = obs.serverTcp.find((s) => isB(s.local) && s.remote.address === A_ADDR && (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT'));
        const clientSide = obs.clientTcp.find((s) => s.local.address === A_ADDR && isB(s.remote) && s.state === 'ESTABLISHED');
        const pass = !!c?.ok && !!r && r.remote.startsWith(`${A_ADDR}:`) && r.local === `${B_ADDR}:${PORT}` && r.ns === obs.ns.b && !!serverSide && !!clientSide && c.ns === obs.ns.a;
        const linkB = obs.linkB.split('\n').find((l) => l.includes('veth-b'));
        const downB = !!linkB && !/<[^>]*\bUP\b[^>]*>/.test(linkB);
        return {
          pass,
          observed: c?.ok ? `${r?.remote} -> ${r?.local}, ${r?.bytes} bytes` : `client: ${c?.error ?? obs.clientResult}`,
          evidence: [
            ...obs.steps,
            `client ${c?.ns ?? '?'} (A): ${c?.ok ? 'connected' : c?.error}`,
            ...obs.clientTcp.map((s) => `A /proc/net/tcp: ${s.raw.trim()}  [${s.state}]`),
            ...obs.serverTcp.map((s) => `${obs.serverIn} /proc/net/tcp: ${s.raw.trim()}  [${s.state}]`),
          ],
          hint: pass
            ? undefined
            : !c?.ok
              ? downB
                ? `the connection failed (${c?.error}): veth-b in B is not up ("${linkB?.replace(/\s+/g, ' ').slice(0, 80)}"), so veth-a has no carrier and nothing crosses. ip link set veth-b up`
                : !obs.devB1.some((d) => d.name === 'veth-b')
                  ? `the connection failed (${c?.error ?? obs.clientResult}): B has no veth-b (its interfaces: ${obs.devB1.map((d) => d.name).join(' ')}), so nothing in B holds ${B_ADDR}: ${obs.steps.find((x) => x.includes(`${B_ADDR}/30`)) ?? ''}`
                  : `the connection failed: ${c?.error ?? obs.clientResult}`
              : r?.ns !== obs.ns.b
                ? `the server answered from ${r?.ns}, not B's ${obs.ns.b}: client and server were in the same namespace (${obs.serverIn}), so the connection never left A`
                : `the server saw ${r?.remote} -> ${r?.local}`,
        };
      },
    },
    {
      id: 'tables-and-counters-per-namespace',
      expected: `the LISTEN is only in B's /proc/net/tcp, and at least ${PAYLOAD} bytes left through veth-a and arrived on veth-b (/proc/net/dev of each)`,
      check(obs) {
        const get = (d: NetDev[], n: string) => d.find((x) => x.name === n);
        const txA = (get(obs.devA2, 'veth-a')?.txBytes ?? 0) - (get(obs.devA1, 'veth-a')?.txBytes ?? 0);
        const rxB = (get(obs.devB2, 'veth-b')?.rxBytes ?? 0) - (get(obs.devB1, 'veth-b')?.rxBytes ?? 0);
        const inA = obs.clientTcp.filter(isListen);
        const inB = obs.serverIn === 'B' ? obs.serverTcp.filter(isListen) : [];
        const pass = inA.length === 0 && inB.length === 1 && txA >= PAYLOAD && rxB >= PAYLOAD && obs.experimentTcp.filter(isListen).length === 0;
        return {
          pass,
          observed: `LISTEN in A: ${inA.length}, in B: ${inB.length}; veth-a sent ${txA} bytes, veth-b received ${rxB}`,
          evidence: [
            ...[...obs.devA1, ...obs.devA2].filter((d) => d.name === 'veth-a').map((d, i) => `A ${i ? 'after ' : 'before'}: ${d.raw}`),
            ...[...obs.devB1, ...obs.devB2].filter((d) => d.name === 'veth-b').map((d, i) => `B ${i ? 'after ' : 'before'}: ${d.raw}`),
            ...inA.map((s) => `A LISTEN: ${s.raw.trim()}`),
            ...inB.map((s) => `B LISTEN: ${s.raw.trim()}`),
            `experiment's /proc/net/tcp: ${obs.experimentTcp.length} sockets`,
          ],
          hint: pass
            ? undefined
            : inA.length
              ? `the LISTEN is in A's own table (${inA[0]!.raw.trim().split(/\s+/).slice(1, 3).join(' ')} = ${inA[0]!.local.address}:${inA[0]!.local.port}): the server ran in A, beside the client, so the ${PAYLOAD} bytes went over A's local route and veth-a sent only ${txA} bytes, none of them ours (IPv6 housekeeping such as neighbour discovery)`
              : `veth-a sent ${txA} bytes and veth-b received ${rxB}: the data did not cross the pair (client: ${obs.client?.error ?? 'ok'})`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'create the pair without "netns B": both ends in A', args: { noPeerNetns: true }, fails: ['one-end-each', 'tcp-across'] },
    { what: "leave B's end down", args: { skipUpB: true }, fails: ['tcp-across'] },
    { what: 'run the server in A, next to the client', args: { serverInA: true }, fails: ['tables-and-counters-per-namespace'] },
  ],
};

export default { experiments: [loDown, veth] } satisfies LessonModule;
