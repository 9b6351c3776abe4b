// Lesson 08: debugging a running container from outside, the seed's core story. Every experiment
// starts nslab's own small "container" (nslab-tools httpd as PID 1 of nested namespaces, made by
// the helper, pivoted into the rootfs) and reaches it by one route an administrator uses: lsns,
// findmnt -N, /proc/PID/root, nsenter, a debug sidecar. Each check compares what the route shows
// with what the container says about itself (a `docker exec`: join all its namespaces and ask).
//
// The experiment's sandbox has its own mount, PID and network namespaces and does not pivot: the
// helper and the host's tools stay reachable, and a fresh /proc means that walking /proc meets
// only processes this lesson started. Programs come from two places, as for an administrator:
// inside the container only what its rootfs has (rootfsProgram), outside the host's own (hostBin).
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import type { ConfinementFacts, ExperimentSpec, LessonModule, SandboxContext, SpawnResult } from '../../src/kit/index.js';
import type { Socket } from '../../src/proc/index.js';
import { confinementChecks, eachProcess, errnoIs, exitLine, experiment, freshProc, hostNsenter, hostNsLinks, ident, must, needRootfs, nsenter, openNs, parseMountinfo, profile, readContainer, readOr, sameIdent, scratch, statusLines, waitFor, withContainers } from '../../src/kit/index.js';

type Ctx = SandboxContext;
const PORT = 8080;
const ADDR = '127.0.0.1';
const KINDS = ['mnt', 'pid', 'net', 'uts', 'ipc'];
/** Every experiment: its own mount, PID and network namespaces, the rootfs path but no pivot. */
const SANDBOX: ExperimentSpec['sandbox'] = { namespaces: ['mnt', 'pid', 'net'], rootfs: true, pivot: false };

/** A program of the rootfs, as the container sees it once pivoted into it (/bin/ps), found from
 * the experiment's side (ROOTFS/bin/ps, or /sbin/ip in a busybox rootfs); ctx.bin skips, naming
 * the package, when the rootfs lacks it. */
function rootfsProgram(ctx: Ctx, name: string): string {
  const rootfs = needRootfs(ctx);
  const found = ctx.bin(name);
  return found.startsWith(`${rootfs}/`) ? found.slice(rootfs.length) : found;
}

/** httpd's LISTEN on 127.0.0.1:8080 among parsed /proc/net/tcp sockets, if there. */
const httpdListen = (sockets: Socket[] | undefined): Socket | undefined =>
  sockets?.find((s) => s.state === 'LISTEN' && s.local.port === PORT && s.local.address === ADDR);

/** Start the container: nslab-tools httpd on 127.0.0.1:8080 as PID 1 of new mount, PID, UTS,
 * IPC and network namespaces, pivoted into the rootfs. lo comes up first, as every runtime does;
 * sh execs httpd, so httpd and not sh is PID 1. The helper plays the runtime (the "shim"). First
 * a fresh /proc for the experiment's own PID namespace: walking it meets only this lesson's. */
async function startContainer(ctx: Ctx, shareNet = false): Promise<{ shim: number; pid: number; argv: string[] }> {
  freshProc(ctx);
  const flags = ['-m', '-p', '-u', '-i', ...(shareNet ? [] : ['-n'])];
  const script = `${rootfsProgram(ctx, 'ip')} link set lo up && exec /bin/nslab-tools httpd ${ADDR} ${PORT} /tmp`;
  const argv = ['run', ...flags, '--hostname', 'web', '--rootfs', needRootfs(ctx), '--', rootfsProgram(ctx, 'sh'), '-c', script];
  ctx.note(`start the container: nslab-helper ${argv.join(' ')}`);
  const { pid: shim } = await ctx.background(ctx.helper, argv);
  // Serving once the helper's child has exec'd httpd and its LISTEN is in its network namespace.
  const pid = await waitFor(`the container's httpd to listen on ${ADDR}:${PORT}`, () => {
    const child = ctx.proc.readChildren(shim)[0];
    return child && ctx.proc.readCmdline(child).includes('httpd') && httpdListen(ctx.proc.readNetTcp(child)) ? child : undefined;
  });
  return { shim, pid, argv: ['nslab-helper', ...argv] };
}

/** `docker exec`: join every namespace of the container and its root, run the rootfs's sh there.
 * script(p) gets p(NAME), the container's path of each program it runs. */
const execIn = (ctx: Ctx, pid: number, script: (p: (name: string) => string) => string): Promise<SpawnResult> =>
  nsenter(ctx, pid, ['--all'], [rootfsProgram(ctx, 'sh'), '-c', script((name) => rootfsProgram(ctx, name))]);

/** The non-empty lines of each part of a script's output, the parts separated by '---' lines. */
const sections = (out: string): string[][] => out.split(/^---$/m).map((part) => part.split('\n').filter(Boolean));

/** Socket inodes a process holds, read from /proc/PID/fd (the way ss -p and lsof find owners):
 * httpd's descriptors stay put while it waits for a connection. */
function socketInodes(pid: number): { inodes: number[]; lines: string[] } {
  const lines = readdirSync(`/proc/${pid}/fd`).map((fd) => `/proc/${pid}/fd/${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`);
  const sockets = lines.filter((l) => /-> socket:\[\d+\]$/.test(l));
  return { inodes: sockets.map((l) => Number(/(\d+)\]$/.exec(l)![1])), lines: sockets };
}

/** A socket table's raw lines, for evidence. */
const raws = (sockets: Socket[]): string[] => (sockets.length ? sockets.map((s) => s.raw) : ['(table empty)']);
const nsLinksOf = (ctx: Ctx, pid: number | 'self', kinds = KINDS) => Object.fromEntries(kinds.map((k) => [k, ctx.proc.readNs(pid)[k]?.link ?? '?']));

// ---- Experiment 1: find it (lsns), read its mounts (findmnt -N), look at its files (/proc/PID/root).

const findIt = experiment({
  id: 'find-the-container',
  title: 'lsns, findmnt -N and /proc/PID/root: the container seen from outside',
  sandbox: SANDBOX,
  async run(ctx, args: { shareNet?: boolean; wrongPid?: boolean } = {}) {
    const { proc } = ctx;
    const c = await startContainer(ctx, args.shareNet);
    // The sabotage inspects the helper that started the container instead of its PID 1.
    const target = args.wrongPid ? c.shim : c.pid;
    ctx.note(`lsns: walk /proc/*/ns and group processes by namespace inode`);
    const rows = eachProcess(ctx, (pid) => ({ pid, comm: proc.readComm(pid), ns: nsLinksOf(ctx, pid) }));
    ctx.note(`findmnt -N ${target}: /proc/${target}/mountinfo; ls /proc/${target}/root`);
    const [outsideMountinfo, experimentMountinfo] = [target, 'self' as const].map((p) => proc.readMountinfo(p).map((m) => m.raw));
    const rootLink = readlinkSync(`/proc/${target}/root`);
    const marker = `from-exec-${Math.random().toString(36).slice(2, 8)}`;
    ctx.note(`docker exec: join all of PID ${c.pid}'s namespaces and its root, ask it, and touch /tmp/${marker}`);
    const exec = await execIn(ctx, c.pid, (p) => {
      const ns = `for k in mnt pid net uts ipc; do ${p('readlink')} /proc/self/ns/$k; done`;
      return `${ns}; echo ---; ${p('cat')} /proc/self/mountinfo; echo ---; ${p('ls')} -A /; ${p('touch')} /tmp/${marker}`;
    });
    const [ownNs = [], ownMountinfo = [], ownLs = []] = sections(exec.stdout);
    const [rootLs, markerSeen] = [readdirSync(`/proc/${target}/root`), existsSync(`/proc/${target}/root/tmp/${marker}`)];
    const seen = { ownNs, ownMountinfo, ownLs, outsideMountinfo, experimentMountinfo, rootLs, rootLink, marker, markerSeen, exec: exitLine(exec) };
    const inspectedComm = rows.find((r) => r.pid === target)?.comm ?? '?';
    return { startedBy: c.argv.join(' '), self: nsLinksOf(ctx, 'self'), rows, container: c.pid, inspected: target, inspectedComm, ...seen };
  },
  checks: (check) => [
    check('lsns-finds-it', "walking /proc/*/ns, exactly one process has a network namespace other than the experiment's: the container's PID 1, with the inode it reports itself", (obs) => {
      const others = obs.rows.filter((r) => r.ns.net !== obs.self.net);
      const own = obs.ownNs[2] ?? '(no answer from inside)';
      const lsns = obs.rows.map((r) => `PID ${String(r.pid).padStart(3)} ${r.comm.padEnd(14)} ${r.ns.net} ${r.ns.mnt} ${r.ns.pid}`);
      const container = obs.rows.find((r) => r.pid === obs.container);
      const differs = container ? KINDS.filter((k) => container.ns[k] !== obs.self[k]) : [];
      return {
        pass: others.length === 1 && others[0]!.pid === obs.container && others[0]!.ns.net === own,
        observed: others.length ? `${others.map((r) => `PID ${r.pid} (${r.comm}) ${r.ns.net}`).join(', ')}; inside it says ${own}` : `all ${obs.rows.length} processes share ${obs.self.net}`,
        evidence: [`started: ${obs.startedBy}`, `experiment: ${obs.self.net}`, ...lsns, `inside the container: readlink /proc/self/ns/net = ${own}`],
        hint: !others.length
          ? `every process, the container's PID ${obs.container} included, is in ${obs.self.net}: the container was started without -n. lsns -t net would not list it on its own, although its ${differs.join(', ')} namespaces do differ`
          : others[0]!.ns.net !== own
            ? `the walk found ${others[0]!.ns.net} but the container says ${own}`
            : `the walk found ${others.length} processes outside the experiment's namespace: ${others.map((r) => r.pid).join(', ')}`,
      };
    }),
    check('mounts-like-findmnt', "/proc/PID/mountinfo read from outside lists the same mounts (IDs and mount points) as the container's own /proc/self/mountinfo", (obs) => {
      const key = (l: string) => l.split(' ').filter((_, i) => i === 0 || i === 4).join(' ');
      const [outside, inside] = [obs.outsideMountinfo.map(key).sort(), obs.ownMountinfo.map(key).sort()];
      const extra = outside.filter((k) => !inside.includes(k));
      const isExperiment = obs.outsideMountinfo.join('\n') === obs.experimentMountinfo.join('\n');
      const points = (keys: string[]) => keys.map((k) => k.split(' ')[1]);
      return {
        pass: outside.length > 0 && outside.join('|') === inside.join('|'),
        observed: `outside ${outside.length} mounts (${points(outside).slice(0, 6).join(' ')}${outside.length > 6 ? ' ...' : ''}); inside ${inside.length}`,
        evidence: [`cat /proc/${obs.inspected}/mountinfo:`, ...obs.outsideMountinfo, 'inside: cat /proc/self/mountinfo:', ...obs.ownMountinfo],
        hint:
          isExperiment && obs.inspected !== obs.container
            ? `PID ${obs.inspected} is ${obs.inspectedComm}, the helper that started the container: its mountinfo is the experiment's own (${obs.outsideMountinfo.length} lines, with ${points(extra).filter((m) => m !== '/').slice(0, 3).join(', ')} ...). The container is its child, PID ${obs.container}: look for the PID whose ns/mnt differs (lsns -t mnt)`
            : `${extra.length} mounts seen from outside are not in the container's own table, e.g. "${extra[0] ?? ''}"`,
      };
    }),
    check('root-through-proc', "ls /proc/PID/root shows the container's own /, and a file the container writes in its /tmp appears there", (obs) => {
      const [a, b] = [[...obs.rootLs].sort().join(' '), [...obs.ownLs].sort().join(' ')];
      const at = `/proc/${obs.inspected}/root`;
      return {
        pass: a === b && obs.markerSeen,
        observed: `${at}: ${a}; marker ${obs.markerSeen ? 'seen' : 'not seen'}`,
        evidence: [`readlink ${at} = ${obs.rootLink}`, `ls ${at}: ${a}`, `inside: ls /: ${b}`, `inside: touch /tmp/${obs.marker} (${obs.exec}); ${at}/tmp/${obs.marker}: ${obs.markerSeen ? 'exists' : 'absent'}`],
        hint:
          a !== b
            ? `${at} lists "${a.slice(0, 60)}", not the container's "${b.slice(0, 60)}": PID ${obs.inspected} (${obs.inspectedComm}) is rooted at ${obs.rootLink}, the experiment's /. The container's PID 1 is ${obs.container}`
            : `the listing matches but /tmp/${obs.marker} is not there: the container's /tmp is a tmpfs in its own mount namespace, reachable only through its own /proc/PID/root`,
      };
    }),
  ],
  diagrams: [{ kind: 'ns-tree', title: 'namespaces of every process the lesson started', from: (obs) => obs.rows.map((r) => ({ label: `${r.pid} ${r.comm}`, ns: r.ns })) }],
  sabotage: [
    { what: "start the container without -n: it shares the experiment's network namespace", args: { shareNet: true }, fails: ['lsns-finds-it'] },
    { what: 'inspect the helper that started the container (the shim) instead of its PID 1', args: { wrongPid: true }, fails: ['mounts-like-findmnt', 'root-through-proc'] },
  ],
});

// ---- Experiment 2: nsenter -t PID -m -p ps, and why Node needs the helper to do it.

/** ps: every process its /proc shows, with PID and full command line (procps without options
 * shows only those of the caller's terminal; busybox's ps takes these options too). */
const PS_ALL = ['-e', '-o', 'pid,args'];

/** ps -e -o pid,args: a "PID COMMAND" header, then "PID ARGV..." per process. */
const parsePs = (lines: string[]): { pid: number; cmd: string }[] =>
  lines.slice(1).flatMap((l) => {
    const m = /^\s*(\d+)\s+(.*)$/.exec(l);
    return m ? [{ pid: Number(m[1]), cmd: m[2]!.trim() }] : [];
  });

/** What nsenter -m does, tried from Node's main thread: setns(CLONE_NEWNS) into PID's mount
 * namespace. The kernel moves the caller's root and working directory along, and refuses
 * (EINVAL) while those are shared with other threads (CLONE_FS), as all of Node's are. With
 * `ownFs` the thread first takes a copy of its own (unshare(CLONE_FS)): the setns then works, and
 * the thread goes straight back to the experiment's mount namespace and working directory. */
function setnsMntFromNode(ctx: Ctx, pid: number, ownFs = false) {
  const { sys } = ctx;
  const [threads] = statusLines(ctx, 'self', 'Threads');
  const [cwd, root] = [process.cwd(), ident('/')];
  const steps = ownFs ? [must(sys.unshare(sys.CLONE_FS), 'unshare(CLONE_FS)').trace] : [];
  const [home, target] = [openNs(ctx, '/proc/self/ns/mnt'), openNs(ctx, `/proc/${pid}/ns/mnt`)];
  steps.push(target.trace);
  const r = sys.setns(target.ret, sys.CLONE_NEWNS);
  if (r.ok) {
    steps.push(must(sys.setns(home.ret, sys.CLONE_NEWNS), "setns back into the experiment's mount namespace").trace);
    process.chdir(cwd);
    if (!sameIdent(root, ident('/'))) throw new Error("after setns back, the main thread's / is not the experiment's");
  }
  for (const fd of [target, home]) sys.close(fd.ret);
  return { trace: r.trace, threads, steps, ownFs };
}

const nsenterPs = experiment({
  id: 'nsenter-ps',
  title: 'nsenter -t PID -m -p: run ps inside the container',
  sandbox: SANDBOX,
  async run(ctx, args: { noMount?: boolean; noPid?: boolean; ownFs?: boolean } = {}) {
    const { proc } = ctx;
    const c = await startContainer(ctx);
    // The sabotages leave out -m (ps runs from the experiment's filesystem and reads its /proc)
    // or -p (ps is not in the container's PID namespace).
    const flags = ['-U', ...(args.noMount ? [] : ['-m']), ...(args.noPid ? [] : ['-p'])];
    // The container's own programs (/bin/ps in it). Without -m the path is resolved in the
    // experiment's filesystem, where the same program is ROOTFS/bin/ps.
    const program = (name: string): string => (args.noMount ? ctx.bin(name) : rootfsProgram(ctx, name));
    ctx.note(`nsenter -t ${c.pid} ${flags.join(' ')} ${program('ps')} ${PS_ALL.join(' ')}`);
    const psRun = await nsenter(ctx, c.pid, flags, [program('ps'), ...PS_ALL]);
    ctx.note('the same join, readlink -v /proc/self: which number does the reader have in that /proc?');
    const self = await nsenter(ctx, c.pid, flags, [program('readlink'), '-v', '/proc/self']);
    // The container's processes from outside: NSpid lines of every process in its PID namespace.
    const pidNs = proc.readNs(c.pid).pid!.link;
    const members = eachProcess(ctx, (pid) => {
      const st = proc.readNs(pid).pid!.link === pidNs ? proc.readStatus(pid) : undefined;
      return st && { pid, inner: st.nspid[st.nspid.length - 1]!, comm: st.name, nspidLine: st.line('NSpid') };
    });
    const hostTool = process.execPath;
    ctx.note(`a tool the container lacks: ${hostTool}`);
    const tool = await nsenter(ctx, c.pid, flags, [hostTool, '-e', 'console.log("node " + process.version + " ran, PID " + process.pid)']);
    const hostToolRun = { code: tool.code, stdout: tool.stdout.trim(), stderr: tool.stderr.trim() };
    const hostToolIs = { hostToolExists: existsSync(hostTool), hostToolInRootfs: existsSync(`${ctx.rootfs}${hostTool}`) };
    ctx.note(`what the helper did for -m, from Node's own main thread: setns(CLONE_NEWNS) into PID ${c.pid}'s mount namespace`);
    const mntSetns = setnsMntFromNode(ctx, c.pid, args.ownFs);
    const psRaw = psRun.stdout.split('\n').filter(Boolean);
    const selfLink = self.code === 0 ? self.stdout.trim() : exitLine(self);
    return { flags, ps: parsePs(psRaw), psRaw, psResult: exitLine(psRun), selfLink, members, hostTool, ...hostToolIs, hostToolRun, mntSetns };
  },
  checks: (check) => [
    check('ps-shows-the-container', "ps shows the container's processes as the container numbers them: httpd as PID 1, nothing of the experiment's", (obs) => {
      const one = obs.ps.find((r) => r.pid === 1);
      const inner = new Set(obs.members.map((m) => m.inner));
      const strangers = obs.ps.filter((r) => !inner.has(r.pid) && !/\bps\b/.test(r.cmd));
      return {
        pass: !!one && one.cmd.includes('httpd') && strangers.length === 0,
        observed: obs.ps.map((r) => `${r.pid} ${r.cmd}`).join('; ') || `no output (${obs.psResult})`,
        evidence: [`join ${obs.flags.join(' ')}: ps`, ...obs.psRaw, "from outside, NSpid of the container's processes:", ...obs.members.map((m) => `PID ${m.pid} ${m.comm}: ${m.nspidLine}`)],
        hint: !obs.flags.includes('-m')
          ? `PID 1 is "${one?.cmd ?? '?'}" and ps lists ${strangers.length} processes that are not the container's: ps read the experiment's /proc, because without -m it stayed in the experiment's mount namespace. -p alone changes which PIDs ps's children get, not which procfs is mounted on /proc`
          : !obs.ps.length && !obs.flags.includes('-p')
            ? `ps printed no listing (${obs.psResult}): it read the container's /proc, but without -p it is not in the container's PID namespace, so that /proc has no number for it and /proc/self leads nowhere (readlink /proc/self: ${obs.selfLink})`
            : `ps showed ${strangers.map((r) => `${r.pid} ${r.cmd}`).join(', ') || 'no httpd as PID 1'}`,
      };
    }),
    check('ps-sees-itself', "ps appears in its own listing: with -p it was born in the container's PID namespace", (obs) => {
      const me = obs.ps.find((r) => /\bps\b/.test(r.cmd));
      const procps = /mount -t proc/.test(obs.psResult) ? ". procps's ps starts by reading /proc/self/stat and, finding nothing, guesses that no proc is mounted; busybox's ps would list the container without itself" : '';
      const listing = me ? `ps is PID ${me.pid} in the container` : obs.ps.length ? `ps is missing from its own listing (${obs.ps.length} lines)` : `ps printed no listing (${obs.psResult})`;
      return {
        pass: !!me && /^\d+$/.test(obs.selfLink),
        observed: `${listing}; readlink /proc/self: ${obs.selfLink}`,
        evidence: [`join ${obs.flags.join(' ')}: ps`, ...obs.psRaw, `join ${obs.flags.join(' ')}: readlink /proc/self = ${obs.selfLink}`],
        hint: obs.flags.includes('-p')
          ? `${listing}, and readlink /proc/self through the same join gave ${obs.selfLink}`
          : `${listing}: without -p, ps runs in the experiment's PID namespace, which the container's /proc cannot number (setns(CLONE_NEWPID) only affects children, which is why nsenter forks), so /proc/self leads nowhere there (readlink: ${obs.selfLink})${obs.ps.length ? `; the listing has only ${obs.ps.map((r) => `${r.pid} ${r.cmd}`).join(', ')}` : procps}`,
      };
    }),
    check('host-tool-missing', `a host tool (node) cannot be run after joining the mount namespace: the path resolves in the container's filesystem (ENOENT, as the seed's "failed to execute ps")`, ({ hostToolRun: r, hostTool, hostToolExists, hostToolInRootfs, flags }) => ({
      pass: r.code !== 0 && /ENOENT/.test(r.stderr) && hostToolExists && !hostToolInRootfs,
      observed: r.code === 0 ? `it ran: ${r.stdout}` : r.stderr || `exit ${r.code}`,
      evidence: [
        `${hostTool} on the experiment's filesystem: ${hostToolExists ? 'exists' : 'absent'}; in the container's rootfs: ${hostToolInRootfs ? 'exists' : 'absent'}`,
        `join ${flags.join(' ')} -- ${hostTool}: exit ${r.code}${r.stderr ? `, ${r.stderr}` : ''}${r.stdout ? `, ${r.stdout}` : ''}`,
      ],
      hint:
        r.code === 0
          ? `${hostTool} ran (${r.stdout}): the join was ${flags.join(' ')}, without -m, so the path was resolved in the experiment's filesystem, where node exists. With -m the container's / is used, and it has no ${hostTool}`
          : `it failed, but not with ENOENT: ${r.stderr}`,
    })),
    errnoIs('node-cannot-setns-mnt', "setns(CLONE_NEWNS) from Node's main thread fails with EINVAL: its threads share one root and working directory (CLONE_FS), which the single-threaded helper does not", 'EINVAL', (o) => ({
      trace: o.mntSetns.trace,
      evidence: [o.mntSetns.threads, ...o.mntSetns.steps, `the helper, single-threaded, joined the same namespace (join ${o.flags.join(' ')} -- ps: ${o.psResult})`],
      why: o.mntSetns.ownFs ? 'unshare(CLONE_FS) had given the main thread a root and working directory of its own, shared with no other thread: the rule is about sharing them, not about how many threads there are' : undefined,
    })),
  ],
  diagrams: [{ kind: 'process-tree', title: "the container's PID namespace, seen from the experiment", from: (obs) => obs.members.map((m) => ({ pid: m.pid, ppid: 0, nspid: [m.pid, m.inner], name: m.comm })) }],
  sabotage: [
    { what: 'leave out -m: nsenter -t PID -p ps', args: { noMount: true }, fails: ['ps-shows-the-container', 'host-tool-missing'] },
    { what: 'leave out -p: nsenter -t PID -m ps', args: { noPid: true }, fails: ['ps-sees-itself'] },
    { what: "unshare(CLONE_FS) before Node's own setns: its main thread stops sharing its root and working directory", args: { ownFs: true }, fails: ['node-cannot-setns-mnt'] },
  ],
});

// ---- Experiment 3: only its network namespace; and the seed's unshare --net=FILE, corrected.

const netOnly = experiment({
  id: 'join-only-the-network',
  title: "its listening socket: join only the container's network namespace",
  sandbox: SANDBOX,
  async run(ctx, args: { shareNet?: boolean; joinFlag?: string; unshareToJoin?: boolean } = {}) {
    const { proc } = ctx;
    const c = await startContainer(ctx, args.shareNet);
    // The sabotages join the UTS namespace where the network one was meant (-u), or use
    // unshare --net=FILE where nsenter --net=FILE belongs.
    const flag = args.joinFlag ?? '-n';
    // Only the network namespace is joined: the files, and so the tools, stay the host's.
    const [sh, unshare, nsenterBin] = [ctx.hostBin('sh'), ctx.hostBin('unshare'), ctx.hostBin('nsenter')];
    const script = `${ctx.hostBin('readlink')} /proc/self/ns/net; echo ---; ${ctx.hostBin('cat')} /proc/net/tcp`;
    const nsAndTcp = (s: SpawnResult) => {
      const [ns = [], tcp = []] = sections(s.stdout);
      return { ns: ns[0] ?? '?', tcp: proc.parseNetTcp(tcp.join('\n')), result: exitLine(s) };
    };
    ctx.note('the experiment reads its own /proc/net/tcp');
    const ownTcp = proc.parseNetTcp(readFileSync('/proc/net/tcp', 'utf8'));
    ctx.note(`nsenter -t ${c.pid} ${flag} cat /proc/net/tcp (the host's cat, from the experiment's filesystem)`);
    const joined = nsAndTcp(await nsenter(ctx, c.pid, [flag], [sh, '-c', script]));
    const fds = socketInodes(c.pid);
    ctx.note(`the seed's line: ${unshare} --net=/proc/${c.pid}/ns/net`);
    const seed = await ctx.spawn(unshare, [`--net=/proc/${c.pid}/ns/net`, sh, '-c', script]);
    // unshare --net=FILE on a file it may bind over: a tmpfs on /mnt in the experiment's own,
    // private mount namespace (gone with it).
    let unshareFile: ReturnType<typeof nsAndTcp> | undefined;
    if (existsSync('/mnt')) {
      scratch(ctx, '/mnt', 'mode=0700');
      writeFileSync('/mnt/netns', '');
      unshareFile = nsAndTcp(await ctx.spawn(unshare, ['--net=/mnt/netns', sh, '-c', script]));
    }
    const cmd = `${args.unshareToJoin ? unshare : nsenterBin} --net=/proc/${c.pid}/ns/net`;
    ctx.note(cmd);
    const viaFile = await ctx.spawn(args.unshareToJoin ? unshare : nsenterBin, [`--net=/proc/${c.pid}/ns/net`, sh, '-c', script]);
    const [containerNet, experimentNet] = [proc.readNs(c.pid).net!.link, proc.readNs('self').net!.link];
    const seedUnshare = `${unshare} --net=/proc/${c.pid}/ns/net: ${seed.stderr.trim() || seed.stdout.trim().split('\n')[0]} (${exitLine(seed)})`;
    const nsenterFile = { ...nsAndTcp(viaFile), cmd };
    return { containerNet, experimentNet, flag, ownTcp, joined, fds, unshare, seedUnshare, unshareFile, nsenterFile };
  },
  checks: (check) => [
    check('listen-seen-in-its-netns', `joined to the container's network namespace only, /proc/net/tcp shows LISTEN ${ADDR}:${PORT} with the socket inode httpd holds`, ({ joined, fds, containerNet, flag }) => {
      const l = httpdListen(joined.tcp);
      const inode = l ? l.inode : NaN;
      return {
        pass: !!l && fds.inodes.includes(inode) && joined.ns === containerNet,
        observed: l ? `LISTEN inode ${inode}; httpd holds ${fds.inodes.map((i) => `socket:[${i}]`).join(' ') || 'no socket'}` : `no LISTEN on ${ADDR}:${PORT} in ${joined.ns}`,
        evidence: [`join ${flag}: readlink /proc/self/ns/net = ${joined.ns} (container: ${containerNet})`, ...raws(joined.tcp), ...fds.lines],
        hint:
          joined.ns !== containerNet
            ? `the reader was in ${joined.ns}, not the container's ${containerNet}: join ${flag} does not change the network namespace; -n (nsenter --net) does`
            : `the LISTEN line's inode ${inode} is not among httpd's sockets ${fds.inodes.join(', ')}`,
      };
    }),
    check('not-in-the-outside-table', `the experiment's own /proc/net/tcp has no socket on port ${PORT}: it reads a different network namespace`, ({ ownTcp, containerNet, experimentNet }) => {
      const l = ownTcp.find((s) => s.local.port === PORT || s.remote.port === PORT);
      return {
        pass: !l && containerNet !== experimentNet,
        observed: l ? `found: ${l.raw.trim()} (${l.state} ${l.local.address}:${l.local.port})` : `${ownTcp.length} sockets, none on port ${PORT}`,
        evidence: [`experiment: ${experimentNet}; container: ${containerNet}`, 'cat /proc/net/tcp (experiment):', ...raws(ownTcp)],
        hint:
          containerNet === experimentNet
            ? `the container is in the experiment's own ${experimentNet}: it was started without -n, so its LISTEN (inode ${l?.inode ?? '?'}) is in everyone's table, like docker run --net=host`
            : `a socket on port ${PORT} is in the experiment's table: ${l?.raw}`,
      };
    }),
    check('nsenter-joins-unshare-creates', "nsenter --net=/proc/PID/ns/net reads the container's table; unshare --net=FILE makes a new, empty namespace instead", ({ nsenterFile: n, unshareFile: u, containerNet, experimentNet, unshare, seedUnshare }) => {
      const sees = n.ns === containerNet && n.tcp.some((s) => s.state === 'LISTEN' && s.local.port === PORT);
      const fresh = !u || (u.ns !== containerNet && u.ns !== experimentNet && u.tcp.length === 0);
      const onFile = u ? `readlink /proc/self/ns/net = ${u.ns} (${u.result}), ${u.tcp.length} sockets` : '(no /mnt to try unshare --net=FILE on)';
      return {
        pass: sees && fresh,
        observed: `${n.cmd}: ${n.ns}, ${n.tcp.length} sockets${u ? `; unshare --net=/mnt/netns: ${u.ns}, ${u.tcp.length} sockets` : ''}`,
        evidence: [`container: ${containerNet}`, `${n.cmd} readlink /proc/self/ns/net = ${n.ns} (${n.result})`, ...raws(n.tcp), `seed's line, ${seedUnshare}`, `${unshare} --net=/mnt/netns: ${onFile}`],
        hint:
          !sees && n.cmd.includes('unshare')
            ? `${n.cmd} did not enter ${containerNet}: ${n.result}. unshare always creates a namespace; --net=FILE only asks it to bind-mount the NEW one onto FILE to keep it alive (here onto a /proc link, which cannot work). To join an existing one, nsenter --net=FILE`
            : !sees
              ? `${n.cmd} ended in ${n.ns} with ${n.tcp.length} sockets: ${n.result}`
              : `unshare --net=FILE ended in ${u?.ns} with ${u?.tcp.length} sockets`,
      };
    }),
  ],
  sabotage: [
    { what: 'join the UTS namespace (-u) instead of the network one', args: { joinFlag: '-u' }, fails: ['listen-seen-in-its-netns'] },
    { what: 'start the container without -n (like --net=host)', args: { shareNet: true }, fails: ['not-in-the-outside-table'] },
    { what: "use the seed's unshare --net=FILE to join", args: { unshareToJoin: true }, fails: ['nsenter-joins-unshare-creates'] },
  ],
});

// ---- Experiment 4: a debug sidecar sharing its PID and network namespaces.

// Runs as the sidecar's program: a tool the container does not have (node), reporting what it
// sees through its own /proc (freshly mounted for the PID namespace it was born in).
const SIDECAR_SCRIPT = `
const fs = require('fs');
const procs = [];
for (const p of fs.readdirSync('/proc').filter((x) => /^\\d+$/.test(x))) {
  try {
    procs.push({ pid: +p, comm: fs.readFileSync('/proc/' + p + '/comm', 'utf8').trim(), cmd: fs.readFileSync('/proc/' + p + '/cmdline', 'utf8').split('\\0').join(' ').trim() });
  } catch {}
}
const ns = {};
for (const k of ['mnt', 'pid', 'net']) ns[k] = fs.readlinkSync('/proc/self/ns/' + k);
const tcp = fs.readFileSync('/proc/net/tcp', 'utf8').split('\\n').filter((l) => /^\\s*\\d+:/.test(l));
console.log(JSON.stringify({ self: process.pid, procs, tcp, ns, tool: 'node ' + process.version }));
`;

/** What SIDECAR_SCRIPT prints: its own PID, the processes and sockets it sees, its namespaces. */
type SidecarReport = { self: number; procs: { pid: number; comm: string; cmd: string }[]; tcp: string[]; ns: Record<string, string>; tool: string };

const sidecar = experiment({
  id: 'debug-sidecar',
  title: "a debug sidecar in the container's PID and network namespaces",
  sandbox: SANDBOX,
  async run(ctx, args: { noPid?: boolean; noNet?: boolean; withMount?: boolean } = {}) {
    const { proc } = ctx;
    const c = await startContainer(ctx);
    // The last sabotage also joins the mount namespace: then the sidecar's tools are gone.
    const flags = [...(args.noPid ? [] : ['-p']), ...(args.noNet ? [] : ['-n']), ...(args.withMount ? ['-m'] : [])];
    const tool = process.execPath;
    // The sidecar's "image" is the experiment's filesystem: the host's sh, mount and node.
    const mount = `${ctx.hostBin('mount')} -t proc proc /proc`;
    const inner = ['run', '-m', '--', ctx.hostBin('sh'), '-c', `${mount} && exec "$0" -e "$1"`, tool, SIDECAR_SCRIPT];
    ctx.note(`sidecar: join --target ${c.pid} ${flags.join(' ')}, then a mount namespace of its own with a fresh /proc, then ${tool}`);
    const r = await nsenter(ctx, c.pid, flags, [ctx.helper, ...inner]);
    // Its last line is the JSON report, when it ran at all.
    const last = r.stdout.trim().split('\n').pop() ?? '';
    const report = last.startsWith('{') ? (JSON.parse(last) as SidecarReport) : undefined;
    const [ownPs = [], ownTcp = []] = sections((await execIn(ctx, c.pid, (p) => `${p('ps')} ${PS_ALL.join(' ')}; echo ---; ${p('cat')} /proc/net/tcp`)).stdout);
    const tcp = { ownTcp: proc.parseNetTcp(ownTcp.join('\n')), sidecarTcp: proc.parseNetTcp((report?.tcp ?? []).join('\n')), fds: socketInodes(c.pid) };
    const containerNs = nsLinksOf(ctx, c.pid, ['mnt', 'pid', 'net']);
    return { container: c.pid, containerNs, flags, report, result: exitLine(r), ownPs, ...tcp, tool, toolInContainer: existsSync(`/proc/${c.pid}/root${tool}`) };
  },
  checks: (check) => [
    check('sidecar-sees-processes', "the sidecar's ps shows the container's httpd as PID 1 (as the container's own ps does) next to itself", ({ report: r, ownPs, containerNs, flags, result }) => {
      const one = r?.procs.find((p) => p.pid === 1);
      const ownOne = ownPs.find((l) => /^\s*1\s/.test(l)) ?? '';
      return {
        pass: !!r && !!one && one.cmd.includes('httpd') && ownOne.includes('httpd') && r.procs.some((p) => p.pid === r.self),
        observed: r ? r.procs.map((p) => `${p.pid} ${p.comm}`).join(', ') : `no report (${result})`,
        evidence: [`sidecar (join ${flags.join(' ')}): ${r?.ns.pid ?? '?'}, container: ${containerNs.pid}`, ...(r?.procs.map((p) => `sidecar /proc/${p.pid}: ${p.cmd}`) ?? []), "the container's own ps:", ...ownPs],
        hint: !r
          ? `the sidecar did not run: ${result}`
          : r.ns.pid !== containerNs.pid
            ? `PID 1 in the sidecar is "${one?.cmd ?? '?'}": it is in ${r.ns.pid}, not the container's ${containerNs.pid}, so its fresh /proc shows the experiment's processes. --pid=container: is the -p of the join`
            : `PID 1 is "${one?.cmd ?? '?'}", not httpd`,
      };
    }),
    check('sidecar-sees-socket', `the sidecar's /proc/net/tcp has the container's LISTEN ${ADDR}:${PORT}, the same socket inode httpd holds`, ({ report: r, sidecarTcp, ownTcp, fds, containerNs, result }) => {
      const l = r ? httpdListen(sidecarTcp) : undefined;
      const inode = l ? l.inode : NaN;
      return {
        pass: !!l && fds.inodes.includes(inode),
        observed: l ? `LISTEN inode ${inode}` : `no LISTEN on ${ADDR}:${PORT} (${r ? `${sidecarTcp.length} sockets in ${r.ns.net}` : result})`,
        evidence: [`sidecar: ${r?.ns.net ?? '?'}; container: ${containerNs.net}`, ...raws(sidecarTcp), "the container's own /proc/net/tcp:", ...raws(ownTcp), ...fds.lines],
        hint: !r
          ? `the sidecar did not run: ${result}`
          : r.ns.net !== containerNs.net
            ? `the sidecar's network namespace is ${r.ns.net}, not the container's ${containerNs.net}: its table has ${sidecarTcp.length} sockets. --net=container: is the -n of the join`
            : `the LISTEN inode ${inode} is not among httpd's sockets (${fds.inodes.join(', ')})`,
      };
    }),
    check('sidecar-brings-its-tools', "the sidecar runs node, which the container's filesystem does not have, from a mount namespace of its own", ({ report: r, toolInContainer, containerNs, container, tool, flags, result }) => ({
      pass: !!r && !toolInContainer && r.ns.mnt !== containerNs.mnt,
      observed: r ? `${r.tool} ran in ${r.ns.mnt}` : `it did not run: ${result}`,
      evidence: [`/proc/${container}/root${tool}: ${toolInContainer ? 'exists' : 'absent'}`, `container: ${containerNs.mnt}; sidecar: ${r?.ns.mnt ?? '(none)'}`, `sidecar: ${result}`],
      hint: !r
        ? `the sidecar joined the container's mount namespace too (join ${flags.join(' ')}), so its programs were looked up in the container's files: ${result}. A debug sidecar shares PID and network, never mnt`
        : `the sidecar ran in ${r.ns.mnt}, which is the container's own`,
    })),
  ],
  sabotage: [
    { what: 'share only the network namespace (no --pid=container:)', args: { noPid: true }, fails: ['sidecar-sees-processes'] },
    { what: 'share only the PID namespace (no --net=container:)', args: { noNet: true }, fails: ['sidecar-sees-socket'] },
    { what: 'also join the mount namespace', args: { withMount: true }, fails: ['sidecar-brings-its-tools'] },
  ],
});

// ---- Experiment 5 (optional): the same routes into a real container that podman or docker starts
// from nslab's rootfs, taken on the host (the outside hook), with a sidecar in its PID and network namespaces.

type RealArgs = { noPid?: boolean; noNet?: boolean; privileged?: boolean; shim?: boolean; rootfs?: string; ps?: string };
const realContainer = (d: RealArgs) =>
  withContainers(d.rootfs!, async (s) => {
    // A sleep that ends by itself: a container outliving a SIGKILLed nslab stops within minutes.
    const c = await s.need('web', ['--net', 'none', ...(d.privileged ? ['--privileged'] : [])], ['sleep', '600']);
    const side = await s.start('sidecar', [...(d.noPid ? [] : ['--pid', `container:${c.name}`]), '--net', d.noNet ? 'none' : `container:${c.name}`], ['sleep', '601']);
    const inspected = d.shim ? c.parent : c.pid;
    const ps = await hostNsenter(c.pid, ['-U', '-m', '-p'], [d.ps!, ...PS_ALL]);
    const ns = { nslab: hostNsLinks(process.pid), container: hostNsLinks(c.pid), sidecar: side.pid ? hostNsLinks(side.pid) : {} };
    const [mountinfo, facts] = [readOr(`/proc/${inspected}/mountinfo`).split('\n').filter(Boolean), readContainer(inspected, profile(s.runtime.name), process.pid, 'nslab itself')];
    const [root, hostRoot] = [mountinfo.join('\n'), readOr('/proc/self/mountinfo')].map((t) => parseMountinfo(t).filter((m) => m.mountPoint === '/').pop());
    return { rt: { ...s.runtime, flags: [] }, started: [c.command, side.command], side, container: c.pid, inspected, root, hostRoot, mountinfo, facts, ns, ps: ps.stdout.split('\n').filter(Boolean), psResult: exitLine(ps) };
  });

const real = experiment({
  id: 'real-container',
  title: 'the same routes into a real podman or docker container, with a sidecar',
  sandbox: { namespaces: ['mnt'], rootfs: true, pivot: false, timeoutMs: 180_000 },
  requires: ['runtime:podman|docker', 'host:tar'],
  optional: true,
  async run(ctx, args: RealArgs = {}) {
    const { hook } = await ctx.outside('real-container', [], { ...args, rootfs: needRootfs(ctx), ps: rootfsProgram(ctx, 'ps') });
    const r = hook as Awaited<ReturnType<typeof realContainer>>;
    return r.obs ?? ctx.skip(r.skip!);
  },
  outside: (_label, _views, _pid, data) => realContainer(data as RealArgs),
  checks: (check) => [
    check('lsns-real-container', "lsns: the container's mnt, pid, net, uts and ipc namespaces are not nslab's; the sidecar's pid and net are the container's, its mnt its own", ({ ns, side, started }) => {
      const [shared, apart] = [KINDS.filter((k) => ns.container[k] === ns.nslab[k]), ['pid', 'net'].filter((k) => ns.sidecar[k] !== ns.container[k])];
      return {
        pass: !shared.length && !apart.length && ns.sidecar.mnt !== ns.container.mnt,
        observed: `the container shares ${shared.join(', ') || 'none'} with nslab; the sidecar has its own ${apart.join(', ') || 'mnt only'}`,
        evidence: [...started, ...Object.entries(ns).map(([who, l]) => `${who.padEnd(9)} ${Object.values(l).join(' ')}`)],
        hint: !side.pid ? `the sidecar did not start: ${side.error}` : apart.length ? `the sidecar's ${apart.join(' and ')} namespace is not the container's: it was started without ${apart.map((k) => `--${k} container:NAME`).join(' and ')}` : `the container shares ${shared.join(', ')} with nslab itself`,
      };
    }),
    check('findmnt-real-root', "findmnt -N PID: the container's / is its image's layer (overlay: lowerdir the image, upperdir its own), not the host's /", ({ mountinfo, root, hostRoot, inspected, rt }) => ({
      pass: !!root && root.raw !== hostRoot?.raw && (root.fsType.includes('overlay') || root.root.startsWith(rt.storage)),
      observed: root ? `/ is ${root.fsType}, ${root.superOptions.find((o) => o.startsWith('upperdir=')) ?? (root.root === '/' ? root.source : root.root)}` : 'no / in its mountinfo',
      evidence: [`${rt.name} (${rt.rootless ? 'rootless' : 'rootful'}) keeps ${rt.driver} layers in ${rt.storage}`, ...rt.notes, `cat /proc/${inspected}/mountinfo:`, ...mountinfo.slice(0, 24)],
      hint: root?.raw === hostRoot?.raw ? `PID ${inspected}'s / is the host's own (${root?.fsType} ${root?.source}): it is the container's parent, the runtime's shim. ${rt.name} inspect --format '{{.State.Pid}}' NAME names the container` : `/ is ${root?.fsType} from ${root?.source}: neither an overlay nor a directory of ${rt.storage}`,
    })),
    // Docker masks what podman does and /sys/devices/virtual/powercap: podman's list holds for both.
    ...confinementChecks<{ facts: ConfinementFacts }>(profile('podman'), ['masked-paths', 'readonly-paths'], (o) => o.facts),
    check('nsenter-ps-real', "nsenter -t PID -U -m -p ps: the container's sleep is PID 1, and the sidecar's sleep is listed beside it", ({ ps, psResult, container }) => ({
      pass: ps.some((l) => /^\s*1\s+sleep 600/.test(l)) && ps.some((l) => /sleep 601/.test(l)),
      observed: ps.slice(1).map((l) => l.trim()).join('; ') || psResult,
      evidence: [`nslab-helper join --target ${container} -U -m -p -- ps ${PS_ALL.join(' ')} (${psResult})`, ...ps],
      hint: ps.some((l) => /sleep 600/.test(l)) ? "the sidecar's sleep is not in the container's PID namespace: it was started without --pid container:NAME" : `ps did not show the container's sleep: ${psResult}`,
    })),
  ],
  sabotage: [
    { what: 'start the sidecar without --pid container:NAME', args: { noPid: true }, fails: ['lsns-real-container', 'nsenter-ps-real'] },
    { what: 'start the sidecar with --net none instead of --net container:NAME', args: { noNet: true }, fails: ['lsns-real-container'] },
    { what: 'run the container with --privileged', args: { privileged: true }, fails: ['masked-paths', 'readonly-paths'] },
    { what: "read the runtime's shim (the container's parent) instead of the container", args: { shim: true }, fails: ['findmnt-real-root', 'masked-paths'] },
  ],
});

export default { experiments: [findIt, nsenterPs, netOnly, sidecar, real] } satisfies LessonModule;
