// Lesson 08: debugging a running container from outside, the seed's core story.
// Every experiment starts nslab's own small "container" (nslab-tools httpd as PID 1 of nested
// namespaces, made by the helper, pivoted into the rootfs) and then reaches it by one of the
// routes an administrator uses: lsns, findmnt -N, /proc/PID/root, nsenter, a debug sidecar. Each
// check compares what the route shows with what the container says about itself (a `docker
// exec`: join all of its namespaces and ask).
//
// The experiment's own sandbox has its own mount, PID and network namespaces and does not
// pivot: the helper and the host's tools stay reachable, and a fresh /proc mounted over /proc
// means that walking /proc only ever meets processes this lesson started.
//
// Programs come from two places, as they would for an administrator: inside the container only
// what its rootfs has (sh, ip, ps, cat, ...: rootfsProgram), from the experiment's side the
// host's own (nsenter, unshare, sh, node: ctx.hostBin).
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { BackgroundProcess, SandboxContext, SpawnResult } from '../../src/sandbox/types.js';
import type { Socket } from '../../src/proc/index.js';

const PORT = 8080;
const ADDR = '127.0.0.1';

interface Container {
  /** The helper that started it (the "runtime"/shim): in the experiment's namespaces. */
  shim: number;
  /** The container's PID 1, as the experiment's PID namespace numbers it. */
  pid: number;
  bg: BackgroundProcess;
  /** What started it, as the learner would read it. */
  argv: string[];
}

/** nslab's own static tools (ctx.tools before a pivot) sit at this path in every rootfs nslab
 * uses: the container runs its httpd from there. */
const TOOLS_IN_ROOTFS = '/bin/nslab-tools';

/** A program of the rootfs, as the container sees it once pivoted into it (/bin/ps), found from
 * the experiment's side (ROOTFS/bin/ps, or /sbin/ip in a busybox rootfs); ctx.bin skips, naming
 * the package, when the rootfs lacks it. */
function rootfsProgram(ctx: SandboxContext, name: string): string {
  const rootfs = ctx.rootfs ?? ctx.skip("this experiment needs nslab's rootfs");
  const found = ctx.bin(name);
  return found.startsWith(`${rootfs}/`) ? found.slice(rootfs.length) : found;
}

interface StartOpts {
  /** Sabotage: no -n, so the container shares the experiment's network namespace. */
  shareNet?: boolean;
}


/** A fresh proc for the experiment's own PID namespace: only this lesson's processes. */
function freshProc(ctx: SandboxContext): string {
  const { sys } = ctx;
  const r = sys.mount('proc', '/proc', 'proc', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null);
  if (!r.ok) throw new Error(`mounting a fresh /proc failed: ${r.trace}`);
  return r.trace;
}

/** httpd's LISTEN on 127.0.0.1:8080 among parsed /proc/net/tcp sockets, if there. */
const httpdListen = (sockets: Socket[] | undefined): Socket | undefined =>
  sockets?.find((s) => s.state === 'LISTEN' && s.local.port === PORT && s.local.address === ADDR);

/** Start the container: nslab-tools httpd on 127.0.0.1:8080 as PID 1 of new mount, PID, UTS,
 * IPC and network namespaces, pivoted into the rootfs. lo comes up first, as every runtime does;
 * sh execs httpd, so httpd and not sh is PID 1. */
async function startContainer(ctx: SandboxContext, opts: StartOpts = {}): Promise<Container> {
  const rootfs = ctx.rootfs ?? ctx.skip("this experiment needs nslab's rootfs");
  const flags = ['-m', '-p', '-u', '-i', ...(opts.shareNet ? [] : ['-n'])];
  const [sh, ip] = [rootfsProgram(ctx, 'sh'), rootfsProgram(ctx, 'ip')];
  const argv = [
    'run', ...flags, '--hostname', 'web', '--rootfs', rootfs, '--',
    sh, '-c', `${ip} link set lo up && exec ${TOOLS_IN_ROOTFS} httpd ${ADDR} ${PORT} /tmp`,
  ];
  ctx.note(`start the container: nslab-helper ${argv.join(' ')}`);
  const bg = await ctx.background(ctx.helper, argv);
  const shim = bg.pid;
  let pid = -1;
  for (let i = 0; i < 100; i++) {
    try {
      pid = ctx.proc.readChildren(shim)[0] ?? -1;
      if (pid > 0 && ctx.proc.readComm(pid) !== 'nslab-helper') {
        const tcp = ctx.proc.parseNetTcp(readFileSync(`/proc/${pid}/net/tcp`, 'utf8'));
        if (httpdListen(tcp) && ctx.proc.readCmdline(pid).includes('httpd')) break;
      }
    } catch {
      /* not there yet */
    }
    await sleep(30);
  }
  if (pid < 0) throw new Error(`the container did not start (helper PID ${shim} has no child)`);
  return { shim, pid, bg, argv: ['nslab-helper', ...argv] };
}

/** `docker exec`: join every namespace of the container and its root, run the rootfs's sh there.
 * script(p) gets p(NAME), the container's path of each program it runs. */
function execIn(ctx: SandboxContext, pid: number, script: (p: (name: string) => string) => string): Promise<SpawnResult> {
  const text = script((name) => rootfsProgram(ctx, name));
  return ctx.spawn(ctx.helper, ['join', '--target', String(pid), '--all', '--', rootfsProgram(ctx, 'sh'), '-c', text]);
}

/** Split the output of a script that prints sections separated by '---' lines. */
function sections(out: string): string[][] {
  const parts: string[][] = [[]];
  for (const line of out.split('\n')) {
    if (line === '---') parts.push([]);
    else if (line !== '') parts[parts.length - 1]!.push(line);
  }
  return parts;
}

/** Socket inodes a process holds, read from /proc/PID/fd (the way ss -p and lsof find owners). */
function socketInodes(pid: number): { inodes: number[]; lines: string[] } {
  const lines: string[] = [];
  const inodes: number[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) {
      inodes.push(Number(m[1]));
      lines.push(`/proc/${pid}/fd/${fd} -> ${target}`);
    }
  }
  return { inodes, lines };
}

const rel = (s: SpawnResult): string =>
  `exit ${s.code ?? s.signal}${s.stderr.trim() ? `, stderr: ${s.stderr.trim().split('\n')[0]}` : ''}`;

// ---------------------------------------------------------------------------------------------
// Experiment 1: find it (lsns), read its mounts (findmnt -N), look at its files (/proc/PID/root).

interface FindArgs {
  shareNet?: boolean;
  /** Sabotage: inspect the helper that started the container instead of its PID 1. */
  wrongPid?: boolean;
}

interface LsnsRow {
  pid: number;
  comm: string;
  ns: Record<string, string>;
}

interface FindObs {
  startedBy: string;
  procMount: string;
  self: Record<string, string>;
  rows: LsnsRow[];
  container: number;
  shim: number;
  inspected: number;
  /** What the container says about itself (joined with --all). */
  ownNs: string[];
  ownMountinfo: string[];
  ownLs: string[];
  /** What the routes from outside show. */
  outsideMountinfo: string[];
  experimentMountinfo: string[];
  rootLs: string[];
  rootLink: string;
  marker: string;
  markerSeen: boolean;
  exec: string;
}

const KINDS = ['mnt', 'pid', 'net', 'uts', 'ipc'];

const findIt: ExperimentSpec<FindObs, FindArgs> = {
  id: 'find-the-container',
  title: 'lsns, findmnt -N and /proc/PID/root: the container seen from outside',
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true, pivot: false },
  commands: [
    'lsns -t net                     # = for p in /proc/[0-9]*; do readlink $p/ns/net; done, grouped',
    'findmnt -N $PID                 # = cat /proc/$PID/mountinfo, drawn as a tree',
    'ls /proc/$PID/root/             # the container\'s / through the host\'s /proc',
    'nsenter -t $PID -a sh -c "touch /tmp/x"   # docker exec: all of its namespaces',
    'ls /proc/$PID/root/tmp/         # x is there',
  ],
  predict: {
    question:
      'lsns lists namespaces by walking /proc/*/ns and grouping equal links. Which process does it list as the owner of the container\'s network namespace?',
    choices: [
      'The runtime (here nslab-helper, in Docker containerd-shim) that started the container',
      "The container's PID 1, httpd: the first process found in that namespace",
      'None: a network namespace belongs to no process',
    ],
    answer: 1,
    why: 'Namespaces have no name and no owner process; /proc/PID/ns/net is a link whose inode identifies the namespace. lsns groups processes by that inode and shows the lowest PID in each group. The helper that started the container stays in the old namespaces (it only called clone with CLONE_NEW* flags), so the only process with the new net inode is httpd.',
  },
  async run(ctx, args = {}) {
    const { proc } = ctx;
    const procMount = freshProc(ctx);
    const c = await startContainer(ctx, { shareNet: args.shareNet });
    const target = args.wrongPid ? c.shim : c.pid;
    ctx.note(`lsns: walk /proc/*/ns and group processes by namespace inode`);
    const self = proc.readNs('self');
    const rows: LsnsRow[] = [];
    for (const pid of proc.listPids()) {
      try {
        const ns = proc.readNs(pid);
        const links: Record<string, string> = {};
        for (const k of KINDS) links[k] = ns[k]?.link ?? '?';
        rows.push({ pid, comm: proc.readComm(pid), ns: links });
      } catch {
        /* exited while we walked (a spawn of ours) */
      }
    }
    ctx.note(`findmnt -N ${target}: /proc/${target}/mountinfo; ls /proc/${target}/root`);
    const outsideMountinfo = proc.readMountinfo(target).map((m) => m.raw);
    const experimentMountinfo = proc.readMountinfo('self').map((m) => m.raw);
    const rootLink = readlinkSync(`/proc/${target}/root`);
    const marker = `from-exec-${Math.random().toString(36).slice(2, 8)}`;
    ctx.note(`docker exec: join all of PID ${c.pid}'s namespaces and its root, ask it, and touch /tmp/${marker}`);
    const exec = await execIn(
      ctx,
      c.pid,
      (p) => `for k in mnt pid net uts ipc; do ${p('readlink')} /proc/self/ns/$k; done; echo ---; ${p('cat')} /proc/self/mountinfo; echo ---; ${p('ls')} -a /; ${p('touch')} /tmp/${marker}`,
    );
    const [ownNs = [], ownMountinfo = [], ownLs = []] = sections(exec.stdout);
    const rootLs = readdirSync(`/proc/${target}/root`);
    const markerSeen = existsSync(`/proc/${target}/root/tmp/${marker}`);
    return {
      startedBy: c.argv.join(' '),
      procMount,
      self: Object.fromEntries(KINDS.map((k) => [k, self[k]?.link ?? '?'])),
      rows,
      container: c.pid,
      shim: c.shim,
      inspected: target,
      ownNs,
      ownMountinfo,
      ownLs: ownLs.filter((e) => e !== '.' && e !== '..'),
      outsideMountinfo,
      experimentMountinfo,
      rootLs,
      rootLink,
      marker,
      markerSeen,
      exec: rel(exec),
    };
  },
  checks: [
    {
      id: 'lsns-finds-it',
      expected: "walking /proc/*/ns, exactly one process has a network namespace other than the experiment's: the container's PID 1, with the inode it reports itself",
      check(obs) {
        const others = obs.rows.filter((r) => r.ns.net !== obs.self.net);
        const own = obs.ownNs[2] ?? '(no answer from inside)';
        const pass = others.length === 1 && others[0]!.pid === obs.container && others[0]!.ns.net === own;
        const lsns = obs.rows.map((r) => `PID ${String(r.pid).padStart(3)} ${r.comm.padEnd(14)} ${r.ns.net} ${r.ns.mnt} ${r.ns.pid}`);
        const container = obs.rows.find((r) => r.pid === obs.container);
        const differs = container ? KINDS.filter((k) => container.ns[k] !== obs.self[k]) : [];
        return {
          pass,
          observed: others.length
            ? `${others.map((r) => `PID ${r.pid} (${r.comm}) ${r.ns.net}`).join(', ')}; inside it says ${own}`
            : `all ${obs.rows.length} processes share ${obs.self.net}`,
          evidence: [`experiment: ${obs.self.net}`, ...lsns, `inside the container: readlink /proc/self/ns/net = ${own}`],
          hint: pass
            ? undefined
            : !others.length
              ? `every process, the container's PID ${obs.container} included, is in ${obs.self.net}: the container was started without -n (${obs.startedBy.includes(' -n ') ? '?' : 'no -n in its command line'}). lsns -t net would not list it on its own, although its ${differs.join(', ')} namespaces do differ`
              : others[0]!.ns.net !== own
                ? `the walk found ${others[0]!.ns.net} but the container says ${own}`
                : `the walk found ${others.length} processes outside the experiment's namespace: ${others.map((r) => r.pid).join(', ')}`,
        };
      },
    },
    {
      id: 'mounts-like-findmnt',
      expected: "/proc/PID/mountinfo read from outside lists the same mounts (IDs and mount points) as the container's own /proc/self/mountinfo",
      check(obs) {
        const key = (l: string) => {
          const f = l.split(' ');
          return `${f[0]} ${f[4]}`;
        };
        const outside = obs.outsideMountinfo.map(key).sort();
        const inside = obs.ownMountinfo.map(key).sort();
        const pass = outside.length > 0 && outside.join('|') === inside.join('|');
        const extra = outside.filter((k) => !inside.includes(k));
        const isExperiment = obs.outsideMountinfo.length === obs.experimentMountinfo.length && obs.outsideMountinfo.every((l, i) => l === obs.experimentMountinfo[i]);
        return {
          pass,
          observed: `outside ${outside.length} mounts (${outside.map((k) => k.split(' ')[1]).slice(0, 6).join(' ')}${outside.length > 6 ? ' ...' : ''}); inside ${inside.length}`,
          evidence: [`cat /proc/${obs.inspected}/mountinfo:`, ...obs.outsideMountinfo, 'inside: cat /proc/self/mountinfo:', ...obs.ownMountinfo],
          hint: pass
            ? undefined
            : isExperiment && obs.inspected !== obs.container
              ? `PID ${obs.inspected} is ${obs.rows.find((r) => r.pid === obs.inspected)?.comm ?? '?'}, the helper that started the container: its mountinfo is the experiment's own (${obs.outsideMountinfo.length} lines, with ${extra.map((k) => k.split(' ')[1]).filter((m) => m !== '/').slice(0, 3).join(', ')} ...). The container is its child, PID ${obs.container}: look for the PID whose ns/mnt differs (lsns -t mnt)`
              : `${extra.length} mounts seen from outside are not in the container's own table, e.g. "${extra[0] ?? ''}"`,
        };
      },
    },
    {
      id: 'root-through-proc',
      expected: "ls /proc/PID/root shows the container's own /, and a file the container writes in its /tmp appears there",
      check(obs) {
        const a = [...obs.rootLs].sort().join(' ');
        const b = [...obs.ownLs].sort().join(' ');
        const pass = a === b && obs.markerSeen;
        return {
          pass,
          observed: `/proc/${obs.inspected}/root: ${a}; marker ${obs.markerSeen ? 'seen' : 'not seen'}`,
          evidence: [
            `readlink /proc/${obs.inspected}/root = ${obs.rootLink}`,
            `ls /proc/${obs.inspected}/root: ${a}`,
            `inside: ls /: ${b}`,
            `inside: touch /tmp/${obs.marker} (${obs.exec}); /proc/${obs.inspected}/root/tmp/${obs.marker}: ${obs.markerSeen ? 'exists' : 'absent'}`,
          ],
          hint: pass
            ? undefined
            : a !== b
              ? `/proc/${obs.inspected}/root lists "${a.slice(0, 60)}", not the container's "${b.slice(0, 60)}": PID ${obs.inspected} (${obs.rows.find((r) => r.pid === obs.inspected)?.comm ?? '?'}) is rooted at ${obs.rootLink}, the experiment's /. The container's PID 1 is ${obs.container}`
              : `the listing matches but /tmp/${obs.marker} is not there: the container's /tmp is a tmpfs in its own mount namespace, reachable only through its own /proc/PID/root`,
        };
      },
    },
  ],
  diagrams: [
    {
      kind: 'ns-tree',
      title: 'namespaces of every process the lesson started',
      from: (obs) => obs.rows.map((r) => ({ label: `${r.pid} ${r.comm}`, ns: r.ns })),
    },
  ],
  sabotage: [
    { what: 'start the container without -n: it shares the experiment\'s network namespace', args: { shareNet: true }, fails: ['lsns-finds-it'] },
    { what: 'inspect the helper that started the container (the shim) instead of its PID 1', args: { wrongPid: true }, fails: ['mounts-like-findmnt', 'root-through-proc'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: nsenter -t PID -m -p ps.

interface PsArgs {
  /** Sabotage: leave out -m (ps runs from the experiment's filesystem, reads its /proc). */
  noMount?: boolean;
  /** Sabotage: leave out -p (ps is not in the container's PID namespace). */
  noPid?: boolean;
}

interface PsRow {
  pid: number;
  cmd: string;
}

interface PsObs {
  container: number;
  flags: string[];
  ps: PsRow[];
  psRaw: string;
  psResult: string;
  /** readlink /proc/self through the same join: the number the reader has in that procfs. */
  selfLink: string;
  /** The container's processes from outside: NSpid lines of every process in its PID namespace. */
  members: { pid: number; inner: number; comm: string; nspidLine: string }[];
  hostTool: string;
  hostToolExists: boolean;
  hostToolInRootfs: boolean;
  hostToolRun: { code: number | null; stdout: string; stderr: string };
}

/** The options that make ps list every process its /proc shows, PID and full command line
 * (procps without options shows only the processes of the caller's terminal; busybox's ps takes
 * them too). */
const PS_ALL = ['-e', '-o', 'pid,args'];

/** ps -e -o pid,args: a "PID COMMAND" header, then "PID ARGV..." per process. */
function parsePs(text: string): PsRow[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => /^\s*(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ pid: Number(m[1]), cmd: m[2]!.trim() }));
}

const nsenterPs: ExperimentSpec<PsObs, PsArgs> = {
  id: 'nsenter-ps',
  title: 'nsenter -t PID -m -p: run ps inside the container',
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true, pivot: false },
  commands: [
    'nsenter -t $PID -m -p ps -e -o pid,args  # nslab: nslab-helper join --target $PID -m -p -- /bin/ps -e -o pid,args',
    'nsenter -t $PID -m -p /usr/bin/node # fails: the path resolves in the container\'s filesystem',
    'grep NSpid /proc/$PID/status        # the same process, numbered in each PID namespace',
  ],
  predict: {
    question: 'You run `nsenter -t PID -m -p ps`. Which PID does ps show for the web server?',
    choices: ['The PID the host uses for it', '1: ps reads the container\'s /proc, where httpd is the first process', 'No PID: ps cannot see processes in other namespaces'],
    answer: 1,
    why: 'With -m, ps runs in the container\'s mount namespace and reads its /proc, a procfs mounted for the container\'s PID namespace. There httpd is PID 1. With -p, the helper forks once after setns, so ps itself is born in that PID namespace and finds itself in the listing too. The host numbers the same httpd differently: its NSpid: line lists both numbers.',
  },
  async run(ctx, args = {}) {
    const { proc } = ctx;
    freshProc(ctx);
    const c = await startContainer(ctx);
    const flags = ['-U', ...(args.noMount ? [] : ['-m']), ...(args.noPid ? [] : ['-p'])];
    // The container's own programs (/bin/ps in it). Without -m the path is resolved in the
    // experiment's filesystem, where the same program is ROOTFS/bin/ps.
    const program = (name: string): string => (args.noMount ? ctx.bin(name) : rootfsProgram(ctx, name));
    const join = (argv: string[]): Promise<SpawnResult> => ctx.spawn(ctx.helper, ['join', '--target', String(c.pid), ...flags, '--', ...argv]);
    const ps = program('ps');
    ctx.note(`nsenter -t ${c.pid} ${flags.join(' ')} ${ps} ${PS_ALL.join(' ')}`);
    const psRun = await join([ps, ...PS_ALL]);
    ctx.note('the same join, readlink -v /proc/self: which number does the reader have in that /proc?');
    const self = await join([program('readlink'), '-v', '/proc/self']);
    const pidNs = proc.readNs(c.pid).pid!.link;
    const members: PsObs['members'] = [];
    for (const pid of proc.listPids()) {
      try {
        if (proc.readNs(pid).pid!.link !== pidNs) continue;
        const st = proc.readStatus(pid);
        members.push({ pid, inner: st.nspid[st.nspid.length - 1]!, comm: st.name, nspidLine: st.line('NSpid') });
      } catch {
        /* gone */
      }
    }
    const hostTool = process.execPath;
    ctx.note(`a tool the container lacks: ${hostTool}`);
    const tool = await ctx.spawn(ctx.helper, ['join', '--target', String(c.pid), ...flags, '--', hostTool, '-e', 'console.log("node " + process.version + " ran, PID " + process.pid)']);
    return {
      container: c.pid,
      flags,
      ps: parsePs(psRun.stdout),
      psRaw: psRun.stdout,
      psResult: rel(psRun),
      selfLink: self.code === 0 ? self.stdout.trim() : rel(self),
      members,
      hostTool,
      hostToolExists: existsSync(hostTool),
      hostToolInRootfs: existsSync(`${ctx.rootfs}${hostTool}`),
      hostToolRun: { code: tool.code, stdout: tool.stdout.trim(), stderr: tool.stderr.trim() },
    };
  },
  checks: [
    {
      id: 'ps-shows-the-container',
      expected: "ps shows the container's processes as the container numbers them: httpd as PID 1, nothing of the experiment's",
      check(obs) {
        const one = obs.ps.find((r) => r.pid === 1);
        const inner = new Set(obs.members.map((m) => m.inner));
        const strangers = obs.ps.filter((r) => !inner.has(r.pid) && !/\bps\b/.test(r.cmd));
        const pass = !!one && one.cmd.includes('httpd') && strangers.length === 0;
        return {
          pass,
          observed: obs.ps.map((r) => `${r.pid} ${r.cmd}`).join('; ') || `no output (${obs.psResult})`,
          evidence: [`join ${obs.flags.join(' ')}: ps`, ...obs.psRaw.split('\n').filter(Boolean), 'from outside, NSpid of the container\'s processes:', ...obs.members.map((m) => `PID ${m.pid} ${m.comm}: ${m.nspidLine}`)],
          hint: pass
            ? undefined
            : !obs.flags.includes('-m')
              ? `PID 1 is "${one?.cmd ?? '?'}" and ps lists ${strangers.length} processes that are not the container's: ps read the experiment's /proc, because without -m it stayed in the experiment's mount namespace. -p alone changes which PIDs ps's children get, not which procfs is mounted on /proc`
              : !obs.ps.length && !obs.flags.includes('-p')
                ? `ps printed no listing (${obs.psResult}): it read the container's /proc, but without -p it is not in the container's PID namespace, so that /proc has no number for it and /proc/self leads nowhere (readlink /proc/self: ${obs.selfLink})`
                : `ps showed ${strangers.map((r) => `${r.pid} ${r.cmd}`).join(', ') || 'no httpd as PID 1'}`,
        };
      },
    },
    {
      id: 'ps-sees-itself',
      expected: "ps appears in its own listing: with -p it was born in the container's PID namespace",
      check(obs) {
        const me = obs.ps.find((r) => /\bps\b/.test(r.cmd));
        const pass = !!me && /^\d+$/.test(obs.selfLink);
        const why = "without -p, ps runs in the experiment's PID namespace, which the container's /proc cannot number (setns(CLONE_NEWPID) only affects children, which is why nsenter forks)";
        return {
          pass,
          observed: me
            ? `ps is PID ${me.pid} in the container; readlink /proc/self: ${obs.selfLink}`
            : obs.ps.length
              ? `ps is missing from its own listing (${obs.ps.length} lines)`
              : `ps printed no listing (${obs.psResult}); readlink /proc/self: ${obs.selfLink}`,
          evidence: [`join ${obs.flags.join(' ')}: ps`, ...obs.psRaw.split('\n').filter(Boolean), `join ${obs.flags.join(' ')}: readlink /proc/self = ${obs.selfLink}`],
          hint: pass
            ? undefined
            : !obs.flags.includes('-p')
              ? obs.ps.length
                ? `the listing has only ${obs.ps.map((r) => `${r.pid} ${r.cmd}`).join(', ')}: ${why}; readlink /proc/self there: ${obs.selfLink}`
                : `${why}. So /proc/self leads nowhere there (readlink: ${obs.selfLink}), and ps printed nothing (${obs.psResult})${/mount -t proc/.test(obs.psResult) ? ": procps's ps starts by reading /proc/self/status and, finding nothing, guesses that no proc is mounted. busybox's ps would list the container without itself" : ''}`
              : me
                ? `ps is in the listing, but readlink /proc/self through the same join gave ${obs.selfLink}`
                : 'ps was not found in the listing',
        };
      },
    },
    {
      id: 'host-tool-missing',
      expected: `a host tool (node) cannot be run after joining the mount namespace: the path resolves in the container's filesystem (ENOENT, as the seed's "failed to execute ps")`,
      check(obs) {
        const r = obs.hostToolRun;
        const pass = r.code !== 0 && /ENOENT/.test(r.stderr) && obs.hostToolExists && !obs.hostToolInRootfs;
        return {
          pass,
          observed: r.code === 0 ? `it ran: ${r.stdout}` : r.stderr || `exit ${r.code}`,
          evidence: [
            `on the experiment's filesystem: ${obs.hostTool} ${obs.hostToolExists ? 'exists' : 'absent'}`,
            `in the container's rootfs: ${obs.hostTool} ${obs.hostToolInRootfs ? 'exists' : 'absent'}`,
            `join ${obs.flags.join(' ')} -- ${obs.hostTool}: exit ${r.code}${r.stderr ? `, ${r.stderr}` : ''}${r.stdout ? `, ${r.stdout}` : ''}`,
          ],
          hint: pass
            ? undefined
            : r.code === 0
              ? `${obs.hostTool} ran (${r.stdout}): the join was ${obs.flags.join(' ')}, without -m, so the path was resolved in the experiment's filesystem, where node exists. With -m the container's / is used, and it has no ${obs.hostTool}`
              : `it failed, but not with ENOENT: ${r.stderr}`,
        };
      },
    },
  ],
  diagrams: [
    {
      kind: 'process-tree',
      title: "the container's PID namespace, seen from the experiment",
      from: (obs) => obs.members.map((m) => ({ pid: m.pid, ppid: 0, nspid: [m.pid, m.inner], name: m.comm })),
    },
  ],
  sabotage: [
    { what: 'leave out -m: nsenter -t PID -p ps', args: { noMount: true }, fails: ['ps-shows-the-container', 'host-tool-missing'] },
    { what: 'leave out -p: nsenter -t PID -m ps', args: { noPid: true }, fails: ['ps-sees-itself'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 3: only its network namespace; and the seed's unshare --net=FILE, corrected.

interface NetArgs {
  shareNet?: boolean;
  /** Sabotage: join the UTS namespace where the network one was meant. */
  joinFlag?: string;
  /** Sabotage: use unshare --net=FILE where nsenter --net=FILE belongs. */
  unshareToJoin?: boolean;
}

interface NetObs {
  container: number;
  containerNet: string;
  experimentNet: string;
  flag: string;
  /** Parsed /proc/net/tcp tables; each socket keeps its raw line for evidence. */
  ownTcp: Socket[];
  joinedTcp: Socket[];
  joinedNs: string;
  joinResult: string;
  fds: { inodes: number[]; lines: string[] };
  tools: { unshare: string; nsenter: string };
  seedUnshare: string;
  unshareFile?: { ns: string; tcp: Socket[]; result: string };
  nsenterFile: { ns: string; tcp: Socket[]; result: string; cmd: string };
}

function nsAndTcp(ctx: SandboxContext, s: SpawnResult): { ns: string; tcp: Socket[]; result: string } {
  const [ns = [], tcp = []] = sections(s.stdout);
  return { ns: ns[0] ?? '?', tcp: ctx.proc.parseNetTcp(tcp.join('\n')), result: rel(s) };
}

const raws = (sockets: Socket[]): string[] => sockets.map((s) => s.raw);

const netOnly: ExperimentSpec<NetObs, NetArgs> = {
  id: 'join-only-the-network',
  title: "its listening socket: join only the container's network namespace",
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true, pivot: false },
  commands: [
    'cat /proc/net/tcp                                  # the host\'s table: no :1F90 (8080)',
    'nsenter -t $PID -n cat /proc/net/tcp               # the container\'s table, read with the host\'s cat',
    'nsenter --net=/proc/$PID/ns/net ss -ltn            # the same, named by file',
    'ls -l /proc/$PID/fd | grep socket                  # the socket inode httpd holds',
    'unshare --net=/proc/$PID/ns/net sh                 # the seed\'s line: this CREATES a namespace, it does not join',
  ],
  predict: {
    question: 'httpd listens on 127.0.0.1:8080 inside the container. Where does that LISTEN line show up?',
    choices: [
      "In every /proc/net/tcp: sockets are global, only the port numbers are checked",
      "Only in /proc/net/tcp read by a process in the container's network namespace (and /proc/PID/net/tcp of such a process)",
      "Nowhere outside: you must use the container's own ss",
    ],
    answer: 1,
    why: "/proc/net is a link to /proc/self/net, and what it shows follows the network namespace of the process that reads it. Joining only that namespace (nsenter -n) is enough: the reader keeps the host's files and tools and sees the container's sockets. The socket's inode in that table is the one httpd holds open in /proc/PID/fd.",
  },
  async run(ctx, args = {}) {
    const { proc, sys } = ctx;
    freshProc(ctx);
    const c = await startContainer(ctx, { shareNet: args.shareNet });
    const flag = args.joinFlag ?? '-n';
    // Only the network namespace is joined: the files, and so the tools, stay the host's.
    const [sh, unshare, nsenter] = [ctx.hostBin('sh'), ctx.hostBin('unshare'), ctx.hostBin('nsenter')];
    const script = `${ctx.hostBin('readlink')} /proc/self/ns/net; echo ---; ${ctx.hostBin('cat')} /proc/net/tcp`;
    ctx.note('the experiment reads its own /proc/net/tcp');
    const ownTcp = proc.parseNetTcp(readFileSync('/proc/net/tcp', 'utf8'));
    ctx.note(`nsenter -t ${c.pid} ${flag} cat /proc/net/tcp (the host's cat, from the experiment's filesystem)`);
    const joined = await ctx.spawn(ctx.helper, ['join', '--target', String(c.pid), flag, '--', sh, '-c', script]);
    const j = nsAndTcp(ctx, joined);
    const fds = socketInodes(c.pid);
    ctx.note(`the seed's line: ${unshare} --net=/proc/${c.pid}/ns/net`);
    const seed = await ctx.spawn(unshare, [`--net=/proc/${c.pid}/ns/net`, sh, '-c', script]);
    // unshare --net=FILE on a file it may bind over: a tmpfs on /mnt in the experiment's own,
    // private mount namespace (gone with it).
    let unshareFile: NetObs['unshareFile'];
    if (existsSync('/mnt') && sys.mount('tmpfs', '/mnt', 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'mode=0700').ok) {
      writeFileSync('/mnt/netns', '');
      unshareFile = nsAndTcp(ctx, await ctx.spawn(unshare, ['--net=/mnt/netns', sh, '-c', script]));
    }
    const joiner = args.unshareToJoin ? unshare : nsenter;
    const cmd = `${joiner} --net=/proc/${c.pid}/ns/net`;
    ctx.note(cmd);
    const viaFile = await ctx.spawn(joiner, [`--net=/proc/${c.pid}/ns/net`, sh, '-c', script]);
    return {
      container: c.pid,
      containerNet: proc.readNs(c.pid).net!.link,
      experimentNet: proc.readNs('self').net!.link,
      flag,
      ownTcp,
      joinedTcp: j.tcp,
      joinedNs: j.ns,
      joinResult: j.result,
      fds,
      tools: { unshare, nsenter },
      seedUnshare: `${seed.stderr.trim() || seed.stdout.trim().split('\n')[0]} (${rel(seed)})`,
      unshareFile,
      nsenterFile: { ...nsAndTcp(ctx, viaFile), cmd },
    };
  },
  checks: [
    {
      id: 'listen-seen-in-its-netns',
      expected: `joined to the container's network namespace only, /proc/net/tcp shows LISTEN ${ADDR}:${PORT} with the socket inode httpd holds`,
      check(obs) {
        const l = httpdListen(obs.joinedTcp);
        const inode = l ? l.inode : NaN;
        const pass = !!l && obs.fds.inodes.includes(inode) && obs.joinedNs === obs.containerNet;
        return {
          pass,
          observed: l ? `LISTEN inode ${inode}; httpd holds ${obs.fds.inodes.map((i) => `socket:[${i}]`).join(' ') || 'no socket'}` : `no LISTEN on ${ADDR}:${PORT} in ${obs.joinedNs}`,
          evidence: [`join ${obs.flag}: readlink /proc/self/ns/net = ${obs.joinedNs} (container: ${obs.containerNet})`, ...(obs.joinedTcp.length ? raws(obs.joinedTcp) : ['(table empty)']), ...obs.fds.lines],
          hint: pass
            ? undefined
            : obs.joinedNs !== obs.containerNet
              ? `the reader was in ${obs.joinedNs}, not the container's ${obs.containerNet}: join ${obs.flag} does not change the network namespace; -n (nsenter --net) does`
              : `the LISTEN line's inode ${inode} is not among httpd's sockets ${obs.fds.inodes.join(', ')}`,
        };
      },
    },
    {
      id: 'not-in-the-outside-table',
      expected: `the experiment's own /proc/net/tcp has no socket on port ${PORT}: it reads a different network namespace`,
      check(obs) {
        const l = obs.ownTcp.find((s) => s.local.port === PORT || s.remote.port === PORT);
        const pass = !l && obs.containerNet !== obs.experimentNet;
        return {
          pass,
          observed: l ? `found: ${l.raw.trim()} (${l.state} ${l.local.address}:${l.local.port})` : `${obs.ownTcp.length} sockets, none on port ${PORT}`,
          evidence: [`experiment: ${obs.experimentNet}; container: ${obs.containerNet}`, 'cat /proc/net/tcp (experiment):', ...(obs.ownTcp.length ? raws(obs.ownTcp) : ['(table empty)'])],
          hint: pass
            ? undefined
            : obs.containerNet === obs.experimentNet
              ? `the container is in the experiment's own ${obs.experimentNet}: it was started without -n, so its LISTEN (inode ${l?.inode ?? '?'}) is in everyone's table, like docker run --net=host`
              : `a socket on port ${PORT} is in the experiment's table: ${l?.raw}`,
        };
      },
    },
    {
      id: 'nsenter-joins-unshare-creates',
      expected: 'nsenter --net=/proc/PID/ns/net reads the container\'s table; unshare --net=FILE makes a new, empty namespace instead',
      check(obs) {
        const n = obs.nsenterFile;
        const sees = n.ns === obs.containerNet && n.tcp.some((s) => s.state === 'LISTEN' && s.local.port === PORT);
        const u = obs.unshareFile;
        const fresh = !u || (u.ns !== obs.containerNet && u.ns !== obs.experimentNet && u.tcp.length === 0);
        const pass = sees && fresh;
        return {
          pass,
          observed: `${n.cmd}: ${n.ns}, ${n.tcp.length} sockets${u ? `; unshare --net=/mnt/netns: ${u.ns}, ${u.tcp.length} sockets` : ''}`,
          evidence: [
            `container: ${obs.containerNet}`,
            `${n.cmd} readlink /proc/self/ns/net = ${n.ns} (${n.result})`,
            ...raws(n.tcp),
            `seed's line, ${obs.tools.unshare} --net=/proc/${obs.container}/ns/net: ${obs.seedUnshare}`,
            ...(u ? [`${obs.tools.unshare} --net=/mnt/netns: readlink /proc/self/ns/net = ${u.ns} (${u.result}), ${u.tcp.length} sockets`] : ['(no /mnt to try unshare --net=FILE on)']),
          ],
          hint: pass
            ? undefined
            : !sees && n.cmd.includes('unshare')
              ? `${n.cmd} did not enter ${obs.containerNet}: ${n.result}. unshare always creates a namespace; --net=FILE only asks it to bind-mount the NEW one onto FILE to keep it alive (here onto a /proc link, which cannot work). To join an existing one, nsenter --net=FILE`
              : !sees
                ? `${n.cmd} ended in ${n.ns} with ${n.tcp.length} sockets: ${n.result}`
                : `unshare --net=FILE ended in ${u?.ns} with ${u?.tcp.length} sockets`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'join the UTS namespace (-u) instead of the network one', args: { joinFlag: '-u' }, fails: ['listen-seen-in-its-netns'] },
    { what: 'start the container without -n (like --net=host)', args: { shareNet: true }, fails: ['not-in-the-outside-table'] },
    { what: 'use the seed\'s unshare --net=FILE to join', args: { unshareToJoin: true }, fails: ['nsenter-joins-unshare-creates'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 4: a debug sidecar sharing its PID and network namespaces.

interface SidecarArgs {
  noPid?: boolean;
  noNet?: boolean;
  /** Sabotage: also join the mount namespace (then the sidecar's tools are gone). */
  withMount?: boolean;
}

interface SidecarReport {
  self: number;
  procs: { pid: number; comm: string; cmd: string }[];
  tcp: string[];
  ns: Record<string, string>;
  tool: string;
}

interface SidecarObs {
  container: number;
  containerNs: Record<string, string>;
  flags: string[];
  report?: SidecarReport;
  result: string;
  ownPs: string[];
  ownTcp: Socket[];
  /** The raw lines of the sidecar's report, parsed here. */
  sidecarTcp: Socket[];
  fds: { inodes: number[]; lines: string[] };
  tool: string;
  toolInContainer: boolean;
}

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

const sidecar: ExperimentSpec<SidecarObs, SidecarArgs> = {
  id: 'debug-sidecar',
  title: "a debug sidecar in the container's PID and network namespaces",
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true, pivot: false },
  commands: [
    'docker run --pid=container:web --net=container:web debug-image ps',
    '# by hand: join PID and net only, then a mount namespace of its own with a fresh /proc',
    'nsenter -t $PID -p -n unshare -m --mount-proc node -e "..."',
    '# nslab: nslab-helper join --target $PID -p -n -- nslab-helper run -m -- sh -c "mount -t proc proc /proc && exec node ..."',
  ],
  predict: {
    question:
      'The sidecar joins the container\'s PID and network namespaces but keeps a filesystem of its own (with node, which the container lacks). What does its ps show?',
    choices: [
      "Only the sidecar: it is a separate container",
      "The container's httpd as PID 1 and the sidecar itself, and it can read httpd's listening socket",
      "The host's processes, because its filesystem is the host's",
    ],
    answer: 1,
    why: "Which processes a /proc shows is decided by the PID namespace of whoever mounted it, not by the filesystem around it. The sidecar is born in the container's PID namespace and mounts a fresh proc in its own mount namespace: httpd is PID 1 there. Its network namespace is the container's too, so /proc/net/tcp has the LISTEN. Its files stay its own, so the tools come along.",
  },
  async run(ctx, args = {}) {
    const { proc } = ctx;
    freshProc(ctx);
    const c = await startContainer(ctx);
    const flags = [...(args.noPid ? [] : ['-p']), ...(args.noNet ? [] : ['-n']), ...(args.withMount ? ['-m'] : [])];
    const tool = process.execPath;
    // The sidecar's "image" is the experiment's filesystem: the host's sh, mount and node.
    const mount = `${ctx.hostBin('mount')} -t proc proc /proc`;
    const inner = ['run', '-m', '--', ctx.hostBin('sh'), '-c', `${mount} && exec "$0" -e "$1"`, tool, SIDECAR_SCRIPT];
    ctx.note(`sidecar: join --target ${c.pid} ${flags.join(' ')}, then a mount namespace of its own with a fresh /proc, then ${tool}`);
    const r = await ctx.spawn(ctx.helper, ['join', '--target', String(c.pid), ...flags, '--', ctx.helper, ...inner]);
    let report: SidecarReport | undefined;
    try {
      report = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as SidecarReport;
    } catch {
      report = undefined;
    }
    const own = await execIn(ctx, c.pid, (p) => `${p('ps')} ${PS_ALL.join(' ')}; echo ---; ${p('cat')} /proc/net/tcp`);
    const [ownPs = [], ownTcp = []] = sections(own.stdout);
    const ns = proc.readNs(c.pid);
    return {
      container: c.pid,
      containerNs: { mnt: ns.mnt!.link, pid: ns.pid!.link, net: ns.net!.link },
      flags,
      report,
      result: rel(r),
      ownPs,
      ownTcp: proc.parseNetTcp(ownTcp.join('\n')),
      sidecarTcp: proc.parseNetTcp((report?.tcp ?? []).join('\n')),
      fds: socketInodes(c.pid),
      tool,
      toolInContainer: existsSync(`/proc/${c.pid}/root${tool}`),
    };
  },
  checks: [
    {
      id: 'sidecar-sees-processes',
      expected: "the sidecar's ps shows the container's httpd as PID 1 (as the container's own ps does) next to itself",
      check(obs) {
        const r = obs.report;
        const one = r?.procs.find((p) => p.pid === 1);
        const ownOne = obs.ownPs.find((l) => /^\s*1\s/.test(l)) ?? '';
        const pass = !!r && !!one && one.cmd.includes('httpd') && ownOne.includes('httpd') && r.procs.some((p) => p.pid === r.self);
        return {
          pass,
          observed: r ? r.procs.map((p) => `${p.pid} ${p.comm}`).join(', ') : `no report (${obs.result})`,
          evidence: [
            `sidecar (join ${obs.flags.join(' ')}): ${r?.ns.pid ?? '?'}, container: ${obs.containerNs.pid}`,
            ...(r?.procs.map((p) => `sidecar /proc/${p.pid}: ${p.cmd}`) ?? []),
            "the container's own ps:",
            ...obs.ownPs,
          ],
          hint: pass
            ? undefined
            : !r
              ? `the sidecar did not run: ${obs.result}`
              : r.ns.pid !== obs.containerNs.pid
                ? `PID 1 in the sidecar is "${one?.cmd ?? '?'}": it is in ${r.ns.pid}, not the container's ${obs.containerNs.pid}, so its fresh /proc shows the experiment's processes. --pid=container: is the -p of the join`
                : `PID 1 is "${one?.cmd ?? '?'}", not httpd`,
        };
      },
    },
    {
      id: 'sidecar-sees-socket',
      expected: `the sidecar's /proc/net/tcp has the container's LISTEN ${ADDR}:${PORT}, the same socket inode httpd holds`,
      check(obs) {
        const r = obs.report;
        const l = r ? httpdListen(obs.sidecarTcp) : undefined;
        const inode = l ? l.inode : NaN;
        const pass = !!l && obs.fds.inodes.includes(inode);
        return {
          pass,
          observed: l ? `LISTEN inode ${inode}` : `no LISTEN on ${ADDR}:${PORT} (${r ? `${obs.sidecarTcp.length} sockets in ${r.ns.net}` : obs.result})`,
          evidence: [`sidecar: ${r?.ns.net ?? '?'}; container: ${obs.containerNs.net}`, ...raws(obs.sidecarTcp), "the container's own /proc/net/tcp:", ...raws(obs.ownTcp), ...obs.fds.lines],
          hint: pass
            ? undefined
            : !r
              ? `the sidecar did not run: ${obs.result}`
              : r.ns.net !== obs.containerNs.net
                ? `the sidecar's network namespace is ${r.ns.net}, not the container's ${obs.containerNs.net}: its table has ${obs.sidecarTcp.length} sockets. --net=container: is the -n of the join`
                : `the LISTEN inode ${inode} is not among httpd's sockets (${obs.fds.inodes.join(', ')})`,
        };
      },
    },
    {
      id: 'sidecar-brings-its-tools',
      expected: "the sidecar runs node, which the container's filesystem does not have, from a mount namespace of its own",
      check(obs) {
        const r = obs.report;
        const pass = !!r && !obs.toolInContainer && r.ns.mnt !== obs.containerNs.mnt;
        return {
          pass,
          observed: r ? `${r.tool} ran in ${r.ns.mnt}` : `it did not run: ${obs.result}`,
          evidence: [`/proc/${obs.container}/root${obs.tool}: ${obs.toolInContainer ? 'exists' : 'absent'}`, `container: ${obs.containerNs.mnt}; sidecar: ${r?.ns.mnt ?? '(none)'}`, `sidecar: ${obs.result}`],
          hint: pass
            ? undefined
            : !r
              ? `the sidecar joined the container's mount namespace too (join ${obs.flags.join(' ')}), so its programs were looked up in the container's files: ${obs.result}. A debug sidecar shares PID and network, never mnt`
              : `the sidecar ran in ${r.ns.mnt}, which is the container's own`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'share only the network namespace (no --pid=container:)', args: { noPid: true }, fails: ['sidecar-sees-processes'] },
    { what: 'share only the PID namespace (no --net=container:)', args: { noNet: true }, fails: ['sidecar-sees-socket'] },
    { what: 'also join the mount namespace', args: { withMount: true }, fails: ['sidecar-brings-its-tools'] },
  ],
};

export default { experiments: [findIt, nsenterPs, netOnly, sidecar] } satisfies LessonModule;
