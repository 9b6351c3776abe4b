// Lesson 09: network namespaces. A new one has only lo, and it is down; a veth pair joins two
// of them; a TCP connection crosses it; /proc/net/* answers per namespace. Nothing touches the
// host's network: the experiment's sandbox has a network namespace of its own, the two
// "containers" are nested inside it, and the addresses are a private /30. Links are configured
// with the host's iproute2 `ip` (busybox's ignores the peer's name and namespace).
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import type { LessonModule } from '../../src/kit/index.js';
import type { NetDev, Socket } from '../../src/proc/index.js';
import { childRunning, exitLine, experiment, freshProc, nsenter, nsenterArgs, scaled, waitFor } from '../../src/kit/index.js';

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const A_ADDR = '10.99.0.1';
const B_ADDR = '10.99.0.2';
const PORT = 7000;
const PAYLOAD = 8000;

const flagsText = (f: number): string => `0x${f.toString(16)} (${[f & IFF_UP ? 'UP' : 'not UP', f & IFF_LOOPBACK ? 'LOOPBACK' : ''].filter(Boolean).join(', ')})`;

/** Listen on 127.0.0.1 and connect to ourselves through it: listen is 'ok' or listen()'s errno,
 * error is set when the connection failed (or was never tried). */
async function loopbackTry(): Promise<{ listen: string; ok: boolean; error?: string; port?: number }> {
  const srv = createServer((sock) => sock.end('hi'));
  const listen = await new Promise<string>((done) => {
    srv.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    srv.listen(0, '127.0.0.1', () => done('ok'));
  });
  if (listen !== 'ok') return { listen, ok: false, error: 'no listener' };
  const port = (srv.address() as AddressInfo).port;
  const got = await new Promise<{ data: string; error?: string }>((done) => {
    let data = '';
    const c = connect(port, '127.0.0.1').setEncoding('utf8');
    c.on('data', (d: string) => (data += d));
    c.on('error', (e: NodeJS.ErrnoException) => done({ data, error: e.code ?? e.message }));
    c.on('end', () => done({ data }));
  });
  srv.close();
  const ok = !got.error && got.data === 'hi';
  return { listen, ok, port, error: got.error ?? (ok ? undefined : `read "${got.data}"`) };
}

// ---------------------------------------------------------------------------------------------
// Experiment 1: a new network namespace has only lo, and lo is down.

const loDown = experiment({
  id: 'only-lo-and-down',
  title: 'a new network namespace: only lo, and it is down',
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true, pivot: false },
  async run(ctx, args: { upFirst?: boolean; skipUp?: boolean; keepHostSysfs?: boolean } = {}) {
    const { sys, proc } = ctx;
    freshProc(ctx);
    const ip = ctx.hostBin('ip');
    const netns = proc.readNs('self').net!.link;
    const up = () => ctx.spawn(ip, ['link', 'set', 'lo', 'up']);
    // lo as a learner would look at it: IFF_* flags, state, IPv4 address, a connection through it.
    const look = async () => ({
      flags: Number.parseInt(readFileSync('/sys/class/net/lo/flags', 'utf8').trim(), 16),
      operstate: readFileSync('/sys/class/net/lo/operstate', 'utf8').trim(),
      addr: (await ctx.spawn(ip, ['-o', '-4', 'addr', 'show', 'dev', 'lo'])).stdout.trim() || '(no IPv4 address on lo)',
      conn: await loopbackTry(),
    });
    if (args.upFirst) await up();
    const procNetDevRaw = readFileSync('/proc/net/dev', 'utf8');
    // sysfs shows the interfaces of the network namespace that mounted it: the one /sys
    // already has is the host's. Mount one for this namespace (in this private mount ns).
    let sysfs = '(kept the inherited /sys)';
    if (!args.keepHostSysfs) sysfs = sys.mount('sysfs', '/sys', 'sysfs', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null).trace;
    const sysClassNet = readdirSync('/sys/class/net').sort();
    const before = await look();
    ctx.note(`ip link set lo up${args.skipUp ? ' (skipped)' : ''}`);
    const ipUp = args.skipUp ? 'skipped' : args.upFirst ? 'done before looking' : exitLine(await up());
    const after = await look();
    const { hook } = await ctx.outside('host');
    const procNetDev = proc.parseNetDev(procNetDevRaw).map((d) => d.name);
    const hostDevices = proc.parseNetDev((hook as { netDev: string }).netDev).map((d) => d.name);
    return { netns, procNetDev, procNetDevRaw, sysfs, sysClassNet, before, ipUp, ipUpCmd: `${ip} link set lo up`, after, hostDevices };
  },
  // The host's own interface list, for contrast (nslab's own namespace), parsed in run.
  outside: () => ({ netDev: readFileSync('/proc/self/net/dev', 'utf8') }),
  checks: (check) => [
    check('only-lo', 'the new namespace lists only lo, both in /proc/net/dev and in a sysfs mounted for it', (obs) => {
      const dev = obs.procNetDev.join(' ');
      const sysNet = obs.sysClassNet.join(' ');
      return {
        pass: dev === 'lo' && sysNet === 'lo',
        observed: `/proc/net/dev: ${dev}; /sys/class/net: ${sysNet}; host: ${obs.hostDevices.join(' ')}`,
        evidence: [`${obs.netns}`, ...obs.procNetDevRaw.split('\n').filter(Boolean), obs.sysfs, `ls /sys/class/net: ${sysNet}`, `the host's /proc/net/dev: ${obs.hostDevices.join(' ')}`],
        hint: sysNet !== 'lo' && dev === 'lo'
          ? `/proc/net/dev says only lo, but /sys/class/net lists ${sysNet}: that sysfs was mounted by the host's network namespace, and sysfs shows the interfaces of whoever mounted it. Mount a new sysfs inside the namespace (${obs.sysfs})`
          : `this namespace has ${dev}: it is not a new network namespace`,
      };
    }),
    check('lo-starts-down', 'lo starts without IFF_UP (flags 0x8) and without 127.0.0.1, and connecting to 127.0.0.1 fails (ENETUNREACH)', ({ before: lo, sysfs, ipUp }) => {
      const b = lo.conn;
      const connected = b.ok ? 'success' : b.error;
      return {
        pass: (lo.flags & IFF_UP) === 0 && !lo.addr.includes('127.0.0.1') && !b.ok && b.error === 'ENETUNREACH',
        observed: `flags ${flagsText(lo.flags)}, operstate ${lo.operstate}, ${lo.addr}; listen: ${b.listen}, connect: ${b.ok ? 'worked' : b.error}`,
        evidence: [`cat /sys/class/net/lo/flags: 0x${lo.flags.toString(16)}`, `cat /sys/class/net/lo/operstate: ${lo.operstate}`, `ip -o -4 addr show dev lo: ${lo.addr}`, `listen(127.0.0.1:0): ${b.listen}; connect(127.0.0.1:${b.port ?? '?'}): ${connected}`],
        hint: sysfs.startsWith('(kept')
          ? `these are the flags of the host's lo (${flagsText(lo.flags)}): /sys was the host's sysfs, which shows the interfaces of the namespace that mounted it. The namespace's own lo has ${lo.addr} and the connection gave ${connected}`
          : lo.flags & IFF_UP
            ? `lo was already UP (flags ${flagsText(lo.flags)}, ${lo.addr}) when first read: ip link set lo up (${ipUp}) ran before the first look, so the fresh state was never seen`
            : `lo is down but the connection gave ${connected}`,
      };
    }),
    check('lo-up-works', 'after ip link set lo up: IFF_UP is set, 127.0.0.1/8 is on lo, and a TCP connection to 127.0.0.1 succeeds', ({ after: lo, ipUp, ipUpCmd }) => {
      const a = lo.conn;
      return {
        pass: (lo.flags & IFF_UP) !== 0 && a.ok && lo.addr.includes('127.0.0.1/8'),
        observed: `flags ${flagsText(lo.flags)}; ${lo.addr}; connect: ${a.ok ? `ok (port ${a.port})` : a.error}`,
        evidence: [`${ipUpCmd}: ${ipUp}`, `cat /sys/class/net/lo/flags: 0x${lo.flags.toString(16)}`, `ip -o -4 addr show dev lo: ${lo.addr}`, `connect 127.0.0.1: ${a.ok ? 'ok' : a.error}`],
        hint: !(lo.flags & IFF_UP)
          ? `lo is still down (flags ${flagsText(lo.flags)}; ip link set lo up: ${ipUp}), so it has no 127.0.0.1 (${lo.addr}) and the connection gave ${a.error}`
          : `lo is up but the connection gave ${a.error}`,
      };
    }),
  ],
  sabotage: [
    { what: 'read /sys/class/net through the host\'s sysfs', args: { keepHostSysfs: true }, fails: ['only-lo'] },
    { what: 'bring lo up before looking', args: { upFirst: true }, fails: ['lo-starts-down'] },
    { what: 'never run ip link set lo up', args: { skipUp: true }, fails: ['lo-up-works'] },
  ],
});

// ---------------------------------------------------------------------------------------------
// Experiment 2: a veth pair between two namespaces, addresses, and a TCP connection across.

/** The client's report: its namespace and table, and the server's reply (what it saw, its own). */
type ClientReport = { ok: boolean; error?: string; tcp?: string[]; ns: string; reply?: { bytes: number; local: string; remote: string; tcp: string[]; ns: string } };

// Both ends of the test connection, one script. The server takes one connection, counts what
// arrives, replies with what it saw (its own /proc/net/tcp while the connection is open, in its
// own namespace), then exits. The client reads its table once connected and prints a report.
// Each gives up after its deadline (argv, scaled to the machine: a Node start under emulation
// takes seconds, and a server that left first would reset the client's connection).
const PEER = `
const net = require('net'), fs = require('fs');
const [role, host, port, ms, size] = process.argv.slice(1);
const tcp = () => fs.readFileSync('/proc/self/net/tcp', 'utf8').split('\\n').filter((l) => /^\\s*\\d+:/.test(l));
const ns = fs.readlinkSync('/proc/self/ns/net');
if (role === 'server') {
  const srv = net.createServer((s) => {
    let bytes = 0;
    s.on('data', (d) => (bytes += d.length));
    s.on('end', () => {
      s.end(JSON.stringify({ bytes, local: s.localAddress + ':' + s.localPort, remote: s.remoteAddress + ':' + s.remotePort, tcp: tcp(), ns }));
      srv.close();
    });
  });
  srv.listen(+port, host);
  setTimeout(() => process.exit(3), +ms);
} else {
  const done = (o) => { console.log(JSON.stringify({ ns, ...o })); process.exit(0); };
  const c = net.connect({ host, port: +port, timeout: +ms });
  let got = '', table;
  c.on('connect', () => {
    table = tcp();
    c.end(Buffer.alloc(+size, 120));
  });
  c.on('data', (d) => (got += d));
  c.on('timeout', () => done({ ok: false, error: 'ETIMEDOUT (no answer within ' + ms + ' ms)' }));
  c.on('error', (e) => done({ ok: false, error: e.code || e.message }));
  c.on('end', () => { try { done({ ok: true, reply: JSON.parse(got), tcp: table }); } catch { done({ ok: false, error: 'bad reply ' + got, tcp: table }); } });
}
`;

const isListen = (s: Socket): boolean => s.state === 'LISTEN' && s.local.port === PORT;
const names = (d: NetDev[]): string => d.map((x) => x.name).sort().join(' ');
const devLines = (pid: number, d: NetDev[]): string[] => [`/proc/${pid}/net/dev:`, ...d.map((x) => x.raw)];
/** Sockets of one namespace's /proc/net/tcp, as evidence lines with the state spelled out. */
const table = (who: string, t: Socket[]): string[] => t.map((s) => `${who} /proc/net/tcp: ${s.raw.trim()}  [${s.state}]`);

const veth = experiment({
  id: 'veth-pair',
  title: 'a veth pair between two namespaces, and TCP across it',
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true, pivot: false },
  async run(ctx, args: { noPeerNetns?: boolean; skipUpB?: boolean; serverInA?: boolean } = {}) {
    const { proc } = ctx;
    freshProc(ctx);
    const ip = ctx.hostBin('ip');
    const sleeper = ctx.bin('sleep');
    const own = proc.readNs('self').net!.link;
    const steps: string[] = [];
    ctx.note(`two nested "containers": each a new network namespace holding ${sleeper} 60`);
    // The holder is the helper's child once it has exec'd sleep, born in the new namespace.
    const start = async (): Promise<number> => childRunning(ctx, (await ctx.background(ctx.helper, ['run', '-n', '--', sleeper, String(scaled(60))])).pid, 'sleep');
    const [a, b] = [await start(), await start()];
    const inNs = async (pid: number, label: string, argv: string[]): Promise<void> => {
      const r = await nsenter(ctx, pid, ['-n'], argv);
      steps.push(`nsenter -t ${label} -n ${argv.map((x) => (x === ip ? 'ip' : x)).join(' ')}: ${exitLine(r)}`);
    };
    const devA0 = proc.readNetDev(a);
    await inNs(a, 'A', [ip, 'link', 'add', 'veth-a', 'type', 'veth', 'peer', 'name', 'veth-b', ...(args.noPeerNetns ? [] : ['netns', String(b)])]);
    await inNs(a, 'A', [ip, 'addr', 'add', `${A_ADDR}/30`, 'dev', 'veth-a']);
    await inNs(a, 'A', [ip, 'link', 'set', 'veth-a', 'up']);
    await inNs(a, 'A', [ip, 'link', 'set', 'lo', 'up']);
    await inNs(b, 'B', [ip, 'link', 'set', 'lo', 'up']);
    await inNs(b, 'B', [ip, 'addr', 'add', `${B_ADDR}/30`, 'dev', 'veth-b']);
    if (!args.skipUpB) await inNs(b, 'B', [ip, 'link', 'set', 'veth-b', 'up']);
    const [devA1, devB1] = [proc.readNetDev(a), proc.readNetDev(b)];

    const serverIn: 'A' | 'B' = args.serverInA ? 'A' : 'B';
    const target = args.serverInA ? A_ADDR : B_ADDR;
    const server = await ctx.background(ctx.helper, nsenterArgs(args.serverInA ? a : b, ['-n'], [process.execPath, '-e', PEER, 'server', target, String(PORT), String(scaled(8000))]));
    let serverGone = false;
    void server.exited.then(() => (serverGone = true));
    // The join helper itself sits in the server's namespace: its /proc/PID/net/tcp is that table.
    // A server that cannot listen (no such address in its namespace) exits instead.
    const listening = () => proc.readNetTcp(server.pid).some((s) => isListen(s) && s.local.address === target);
    await waitFor(`the server listening on ${target}:${PORT}, or exiting`, () => serverGone || listening());
    ctx.note(`client in A connects to ${target}:${PORT} and sends ${PAYLOAD} bytes`);
    const c = await nsenter(ctx, a, ['-n'], [process.execPath, '-e', PEER, 'client', target, String(PORT), String(scaled(2500)), String(PAYLOAD)], { timeoutMs: 8000 });
    // The client prints one JSON line, or nothing when it could not run (clientResult says why).
    const report = c.stdout.trim().split('\n').pop() ?? '';
    const client = /^\{.*\}$/.test(report) ? (JSON.parse(report) as ClientReport) : undefined;
    const ns = { a: proc.readNs(a).net!.link, b: proc.readNs(b).net!.link, experiment: own };
    const linkB = (await nsenter(ctx, b, ['-n'], [ip, '-o', 'link', 'show'])).stdout.trim();
    const experimentDev = proc.readNetDev().map((d) => d.name);
    const experimentTcp = proc.parseNetTcp(readFileSync('/proc/net/tcp', 'utf8'));
    // The raw lines the client and the server read from their own /proc/net/tcp, parsed here.
    const clientTcp = proc.parseNetTcp((client?.tcp ?? []).join('\n'));
    const serverTcp = proc.parseNetTcp((client?.reply?.tcp ?? []).join('\n'));
    const [devA2, devB2] = [proc.readNetDev(a), proc.readNetDev(b)];
    // For the picture: each namespace's interfaces and addresses, as ip itself reports them there.
    const ipJson = { a: (await nsenter(ctx, a, ['-n'], [ip, '-j', 'addr', 'show'])).stdout, b: (await nsenter(ctx, b, ['-n'], [ip, '-j', 'addr', 'show'])).stdout };
    const clientResult = exitLine(c);
    return { a, b, ns, ipJson, steps, devA0, devA1, devB1, devA2, devB2, linkB, experimentDev, experimentTcp, serverIn, client, clientTcp, serverTcp, clientResult };
  },
  checks: (check) => [
    check('one-end-each', "A lists lo and veth-a only, B lists lo and veth-b only, and the experiment's own namespace has no veth", (obs) => ({
      pass: names(obs.devA0) === 'lo' && names(obs.devA1) === 'lo veth-a' && names(obs.devB1) === 'lo veth-b' && obs.experimentDev.every((n) => !n.startsWith('veth')),
      observed: `A before: ${names(obs.devA0)}; A: ${names(obs.devA1)}; B: ${names(obs.devB1)}; experiment: ${obs.experimentDev.join(' ')}`,
      evidence: [`A = PID ${obs.a} ${obs.ns.a}; B = PID ${obs.b} ${obs.ns.b}; experiment ${obs.ns.experiment}`, obs.steps[0]!, ...devLines(obs.a, obs.devA1), ...devLines(obs.b, obs.devB1), `experiment's /proc/net/dev: ${obs.experimentDev.join(' ')}`],
      hint: names(obs.devA1).includes('veth-b')
        ? `both ends are in A (${names(obs.devA1)}) and B has only ${names(obs.devB1)}: ip link add was run without "netns B" for the peer, so it was created next to veth-a (${obs.steps[0]})`
        : `unexpected interfaces: A ${names(obs.devA1)}, B ${names(obs.devB1)}`,
    })),
    check('tcp-across', `a client in A reaches the server in B at ${B_ADDR}:${PORT}; B sees it coming from ${A_ADDR}, and each side's /proc/net/tcp has the ESTABLISHED pair mirrored`, (obs) => {
      const c = obs.client;
      const r = c?.reply;
      const isB = (e: Socket['local']) => e.address === B_ADDR && e.port === PORT;
      // The server reads its table after the client's FIN: CLOSE_WAIT there, ESTABLISHED on
      // the client, which read its table right after connecting.
      const serverSide = obs.serverTcp.find((s) => isB(s.local) && s.remote.address === A_ADDR && (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT'));
      const clientSide = obs.clientTcp.find((s) => s.local.address === A_ADDR && isB(s.remote) && s.state === 'ESTABLISHED');
      const linkB = obs.linkB.split('\n').find((l) => l.includes('veth-b'));
      const downB = !!linkB && !/<[^>]*\bUP\b[^>]*>/.test(linkB);
      const failed = c?.error ?? obs.clientResult;
      return {
        pass: !!c?.ok && !!r && r.remote.startsWith(`${A_ADDR}:`) && r.local === `${B_ADDR}:${PORT}` && r.ns === obs.ns.b && !!serverSide && !!clientSide && c.ns === obs.ns.a,
        observed: c?.ok ? `${r?.remote} -> ${r?.local}, ${r?.bytes} bytes` : `client: ${failed}`,
        evidence: [...obs.steps, `client ${c?.ns ?? '?'} (A): ${c?.ok ? 'connected' : c?.error}`, ...table('A', obs.clientTcp), ...table(obs.serverIn, obs.serverTcp)],
        hint: c?.ok
          ? r?.ns !== obs.ns.b
            ? `the server answered from ${r?.ns}, not B's ${obs.ns.b}: client and server were in the same namespace (${obs.serverIn}), so the connection never left A`
            : `the server saw ${r?.remote} -> ${r?.local}`
          : downB
            ? `the connection failed (${c?.error}): veth-b in B is not up ("${linkB?.replace(/\s+/g, ' ').slice(0, 80)}"), so veth-a has no carrier and nothing crosses. ip link set veth-b up`
            : !obs.devB1.some((d) => d.name === 'veth-b')
              ? `the connection failed (${failed}): B has no veth-b (its interfaces: ${names(obs.devB1)}), so nothing in B holds ${B_ADDR}: ${obs.steps.find((x) => x.includes(`${B_ADDR}/30`)) ?? ''}`
              : `the connection failed: ${failed}`,
      };
    }),
    check('tables-and-counters-per-namespace', `the LISTEN is only in B's /proc/net/tcp, and at least ${PAYLOAD} bytes left through veth-a and arrived on veth-b (/proc/net/dev of each)`, (obs) => {
      const get = (d: NetDev[], n: string) => d.find((x) => x.name === n);
      const txA = (get(obs.devA2, 'veth-a')?.txBytes ?? 0) - (get(obs.devA1, 'veth-a')?.txBytes ?? 0);
      const rxB = (get(obs.devB2, 'veth-b')?.rxBytes ?? 0) - (get(obs.devB1, 'veth-b')?.rxBytes ?? 0);
      const inA = obs.clientTcp.filter(isListen);
      const inB = obs.serverIn === 'B' ? obs.serverTcp.filter(isListen) : [];
      const ends = (label: string, name: string, before: NetDev[], after: NetDev[]) =>
        [...before, ...after].filter((d) => d.name === name).map((d, i) => `${label} ${i ? 'after ' : 'before'}: ${d.raw}`);
      return {
        pass: inA.length === 0 && inB.length === 1 && txA >= PAYLOAD && rxB >= PAYLOAD && obs.experimentTcp.filter(isListen).length === 0,
        observed: `LISTEN in A: ${inA.length}, in B: ${inB.length}; veth-a sent ${txA} bytes, veth-b received ${rxB}`,
        evidence: [...ends('A', 'veth-a', obs.devA1, obs.devA2), ...ends('B', 'veth-b', obs.devB1, obs.devB2), ...table('A', inA), ...table('B', inB), `experiment's /proc/net/tcp: ${obs.experimentTcp.length} sockets`],
        hint: inA.length
          ? `the LISTEN is in A's own table (${inA[0]!.raw.trim().split(/\s+/).slice(1, 3).join(' ')} = ${inA[0]!.local.address}:${inA[0]!.local.port}): the server ran in A, beside the client, so the ${PAYLOAD} bytes went over A's local route and veth-a sent only ${txA} bytes, none of them ours (IPv6 housekeeping such as neighbour discovery)`
          : `veth-a sent ${txA} bytes and veth-b received ${rxB}: the data did not cross the pair (client: ${obs.client?.error ?? 'ok'})`,
      };
    }),
  ],
  sabotage: [
    { what: 'create the pair without "netns B": both ends in A', args: { noPeerNetns: true }, fails: ['one-end-each', 'tcp-across'] },
    { what: "leave B's end down", args: { skipUpB: true }, fails: ['tcp-across'] },
    { what: 'run the server in A, next to the client', args: { serverInA: true }, fails: ['tables-and-counters-per-namespace'] },
  ],
  diagrams: [{ kind: 'net-topology', title: 'Containers A and B, and the veth pair', from: (o) => [{ label: 'A', ns: o.ns.a, ipJson: o.ipJson.a, dev: o.devA2 }, { label: 'B', ns: o.ns.b, ipJson: o.ipJson.b, dev: o.devB2 }] }],
});

export default { experiments: [loDown, veth] } satisfies LessonModule;
