// Lesson 05: capabilities. The five sets in /proc/PID/status, the bounding set versus the
// effective set, file capabilities (the security.capability xattr that setcap writes), and
// what root in a fresh user namespace can and cannot do.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import type { ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { SandboxContext } from '../../src/sandbox/types.js';

type Ctx = SandboxContext;
type Sys = Ctx['sys'];

const CAP_KEYS = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'] as const;
type CapKey = (typeof CAP_KEYS)[number];

/** A /proc status snapshot: the raw Cap* lines and their names, decoded inside the sandbox
 * (the checks run on the host and get plain data only). */
interface CapSnapshot {
  lines: Record<CapKey, string>;
  names: Record<CapKey, string[]>;
}

function snapshot(ctx: Ctx, pid: number | 'self' = 'self'): CapSnapshot {
  const st = ctx.proc.readStatus(pid);
  const last = ctx.proc.capLastCap();
  const masks: Record<CapKey, bigint> = { CapInh: st.capInh, CapPrm: st.capPrm, CapEff: st.capEff, CapBnd: st.capBnd, CapAmb: st.capAmb };
  const lines = {} as Record<CapKey, string>;
  const names = {} as Record<CapKey, string[]>;
  for (const k of CAP_KEYS) {
    lines[k] = st.line(k);
    names[k] = ctx.proc.decodeCaps(masks[k], last);
  }
  return { lines, names };
}

const has = (s: CapSnapshot | undefined, key: CapKey, cap: string): boolean => !!s && s.names[key].includes(cap);
const named = (s: CapSnapshot, key: CapKey): string =>
  `${s.lines[key]}  = ${s.names[key].length > 6 ? `${s.names[key].length} caps` : s.names[key].join(',') || '(none)'}`;

function rawSocket(sys: Sys): { trace: string; ok: boolean; errno: string | null } {
  const r = sys.socket(sys.AF_INET, sys.SOCK_RAW, sys.IPPROTO_ICMP);
  if (r.ok) sys.close(r.ret);
  return { trace: r.trace, ok: r.ok, errno: r.errno };
}

// ---------------------------------------------------------------------------------------------
// Experiment 1: the bounding set is a ceiling, not a switch.

interface BoundingArgs {
  skipCapset?: boolean;
  capsetFirst?: boolean;
}

interface BoundingObs {
  start: CapSnapshot;
  afterDrop: CapSnapshot;
  afterCapset: CapSnapshot;
  dropTrace: string;
  capsetTrace: string | null;
  socketAfterDrop: { trace: string; ok: boolean; errno: string | null };
  socketAfterCapset: { trace: string; ok: boolean; errno: string | null };
  otherThreads: string[];
}

const bounding: ExperimentSpec<BoundingObs, BoundingArgs> = {
  id: 'bounding-vs-effective',
  title: 'dropping CAP_NET_RAW: the bounding set versus capset',
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true },
  commands: [
    'grep ^Cap /proc/self/status && capsh --decode=000001ffffffffff',
    'capsh --drop=cap_net_raw --      # removes it from the bounding set (PR_CAPBSET_DROP)',
    'setpriv --inh-caps=-net_raw --bounding-set=-net_raw sh   # ceiling and inheritable set for the next program',
    "capsh --drop=cap_net_raw --caps='all=ep cap_net_raw-ep' --   # and the current sets too (capset)",
  ],
  predict: {
    question: 'The sandbox\'s root drops CAP_NET_RAW from its bounding set (PR_CAPBSET_DROP). Can it still open a raw ICMP socket, the kind ping needs?',
    choices: ['No: the capability is gone', 'Yes: CapEff still has it until capset removes it', 'Only after an exec'],
    answer: 1,
    why: 'The bounding set only limits what a process can gain at its next execve; it does not touch the sets the process holds now. CapEff still has CAP_NET_RAW after the drop, and socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) still works. capset() is what removes it from CapEff and CapPrm, and after that the socket fails with EPERM.',
  },
  run(ctx, args = {}) {
    const { sys } = ctx;
    const NET_RAW = 1n << BigInt(sys.CAP_NET_RAW);
    const start = snapshot(ctx);
    let capsetTrace: string | null = null;
    const dropEffective = (): void => {
      const now = sys.capget();
      capsetTrace = sys.capset({ effective: now.effective & ~NET_RAW, permitted: now.permitted & ~NET_RAW, inheritable: now.inheritable & ~NET_RAW }).trace;
    };
    if (args.capsetFirst) dropEffective();
    ctx.note('PR_CAPBSET_DROP: take CAP_NET_RAW out of the bounding set');
    const dropTrace = sys.capbsetDrop(sys.CAP_NET_RAW).trace;
    const afterDrop = snapshot(ctx);
    const socketAfterDrop = rawSocket(sys);
    // The bounding set is per thread: Node's other threads still have the capability there.
    const otherThreads = ctx.proc
      .listThreads('self')
      .filter((tid) => tid !== sys.gettid())
      .slice(0, 2)
      .map((tid) => `thread ${tid}: ${ctx.proc.readTaskStatus('self', tid).line('CapBnd')}`);
    if (!args.skipCapset && !args.capsetFirst) {
      ctx.note('capset: take CAP_NET_RAW out of the effective and permitted sets');
      dropEffective();
    }
    const afterCapset = snapshot(ctx);
    const socketAfterCapset = rawSocket(sys);
    return { start, afterDrop, afterCapset, dropTrace, capsetTrace, socketAfterDrop, socketAfterCapset, otherThreads };
  },
  checks: [
    {
      id: 'bset-drop-keeps-eff',
      expected: 'after PR_CAPBSET_DROP, CapBnd lacks CAP_NET_RAW but CapEff still has it, and a raw socket still opens',
      check(o) {
        const bndGone = !has(o.afterDrop, 'CapBnd', 'CAP_NET_RAW');
        const effKept = has(o.afterDrop, 'CapEff', 'CAP_NET_RAW');
        const pass = bndGone && effKept && o.socketAfterDrop.ok;
        return {
          pass,
          observed: `CapBnd ${bndGone ? 'without' : 'with'} CAP_NET_RAW, CapEff ${effKept ? 'with' : 'without'} it; raw socket ${o.socketAfterDrop.ok ? 'opened' : o.socketAfterDrop.errno}`,
          evidence: [o.dropTrace, named(o.afterDrop, 'CapBnd'), named(o.afterDrop, 'CapEff'), o.socketAfterDrop.trace, ...o.otherThreads],
          hint: pass
            ? undefined
            : !bndGone
              ? `CapBnd still lists CAP_NET_RAW: the drop did not happen (${o.dropTrace})`
              : !effKept
                ? `CapEff had already lost CAP_NET_RAW when the bounding set was read: ${o.capsetTrace ? `capset ran before the drop (${o.capsetTrace})` : 'something removed it earlier'}, so this run cannot show what the bounding drop alone does`
                : `the socket failed with ${o.socketAfterDrop.errno} although CapEff has CAP_NET_RAW`,
        };
      },
    },
    {
      id: 'capset-clears-eff',
      expected: 'after capset without CAP_NET_RAW, CapEff and CapPrm no longer list it',
      check(o) {
        const gone = !has(o.afterCapset, 'CapEff', 'CAP_NET_RAW') && !has(o.afterCapset, 'CapPrm', 'CAP_NET_RAW');
        return {
          pass: gone,
          observed: `CapEff ${has(o.afterCapset, 'CapEff', 'CAP_NET_RAW') ? 'has' : 'lacks'} CAP_NET_RAW, CapPrm ${has(o.afterCapset, 'CapPrm', 'CAP_NET_RAW') ? 'has' : 'lacks'} it`,
          evidence: [o.capsetTrace ?? '(no capset call in this run)', named(o.afterCapset, 'CapPrm'), named(o.afterCapset, 'CapEff')],
          hint: gone
            ? undefined
            : o.capsetTrace
              ? `capset ran (${o.capsetTrace}) but CapEff still lists CAP_NET_RAW`
              : 'no capset call was made: the bounding-set drop alone leaves CapEff and CapPrm as they were',
        };
      },
    },
    {
      id: 'raw-socket-eperm',
      expected: 'without CAP_NET_RAW in CapEff, socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) fails with EPERM',
      check(o) {
        const s = o.socketAfterCapset;
        const pass = !s.ok && s.errno === 'EPERM';
        return {
          pass,
          observed: s.ok ? 'the socket opened' : s.errno ?? '?',
          evidence: [s.trace, named(o.afterCapset, 'CapEff')],
          hint: pass
            ? undefined
            : s.ok
              ? `the socket opened: CapEff still has CAP_NET_RAW (${o.afterCapset.lines.CapEff}), so the kernel's check passed`
              : `expected EPERM, got ${s.errno}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'drop only the bounding set, never call capset', args: { skipCapset: true }, fails: ['capset-clears-eff', 'raw-socket-eperm'] },
    { what: 'capset first, before the bounding drop', args: { capsetFirst: true }, fails: ['bset-drop-keeps-eff'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: file capabilities, setcap's xattr written by hand.

// include/uapi/linux/capability.h
const VFS_CAP_REVISION_2 = 0x02000000;
const VFS_CAP_REVISION_3 = 0x03000000;
const VFS_CAP_REVISION_MASK = 0xff000000;
const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;

/** struct vfs_cap_data (revision 2): magic_etc, then {permitted, inheritable} for caps 0-31
 * and 32-63, all little-endian u32. What `setcap cap_net_raw+ep` writes. */
function vfsCapV2(permitted: bigint, effective: boolean): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE((VFS_CAP_REVISION_2 | (effective ? VFS_CAP_FLAGS_EFFECTIVE : 0)) >>> 0, 0);
  b.writeUInt32LE(Number(permitted & 0xffffffffn), 4);
  b.writeUInt32LE(0, 8);
  b.writeUInt32LE(Number(permitted >> 32n), 12);
  b.writeUInt32LE(0, 16);
  return b;
}

interface DecodedCap {
  hex: string;
  revision: number;
  effective: boolean;
  permitted: string[];
  rootid: number | null;
}

function decodeVfsCap(value: Buffer, decode: (m: bigint) => string[]): DecodedCap {
  const magic = value.readUInt32LE(0);
  const perm = BigInt(value.readUInt32LE(4)) | (BigInt(value.length >= 16 ? value.readUInt32LE(12) : 0) << 32n);
  const revision = ((magic & VFS_CAP_REVISION_MASK) >>> 0) >>> 24;
  return {
    hex: value.toString('hex'),
    revision,
    effective: (magic & VFS_CAP_FLAGS_EFFECTIVE) !== 0,
    permitted: decode(perm),
    rootid: (magic & VFS_CAP_REVISION_MASK) >>> 0 === VFS_CAP_REVISION_3 && value.length >= 24 ? value.readUInt32LE(20) : null,
  };
}

interface PingRun {
  code: number | null;
  output: string;
  /** Status lines of the running ping, read while it ran. */
  status: { uid: string; capPrm: string; capEff: string; effNames: string[]; noNewPrivs: string } | null;
}

interface FileCapArgs {
  skipXattr?: boolean;
  permittedOnly?: boolean;
  xattrFirst?: boolean;
  nosuidMount?: boolean;
}

interface FileCapObs {
  identity: string;
  mount: string;
  before: PingRun;
  xattrTrace: string | null;
  readBack: DecodedCap | null;
  readBackTrace: string;
  hostGetcap: string;
  after: PingRun;
}

/** Runs a program as the unprivileged learner and reads its /proc status while it runs. */
function runAsLearner(ctx: Ctx, learner: { uid: number; gid: number } | null, file: string, args: string[]): Promise<PingRun> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(learner ? { uid: learner.uid, gid: learner.gid } : {}),
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    let status: PingRun['status'] = null;
    const base = file.split('/').pop();
    const poll = setInterval(() => {
      if (status || !child.pid) return;
      try {
        const st = ctx.proc.readStatus(child.pid);
        if (st.name !== base) return; // not exec'd yet
        status = {
          uid: st.line('Uid'),
          capPrm: st.line('CapPrm'),
          capEff: st.line('CapEff'),
          effNames: ctx.proc.decodeCaps(st.capEff),
          noNewPrivs: st.line('NoNewPrivs'),
        };
      } catch {
        /* not there yet, or gone */
      }
    }, 5);
    const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, output: output.trim(), status });
    });
    child.on('error', (err) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code: null, output: String(err.message), status });
    });
  });
}

const PING_ARGS = ['-c', '2', '-i', '0.5', '-W', '1', '127.0.0.1'];

const fileCaps: ExperimentSpec<FileCapObs, FileCapArgs> = {
  id: 'file-caps-ping',
  title: 'setcap cap_net_raw+ep gives one binary its capability back',
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true },
  commands: [
    'cp /bin/nslab-tools /tmp/fcap/ping     # nslab\'s raw-socket ping (in nslab shell: "$NSLAB_ROOTFS"/bin/nslab-tools)',
    'setpriv --reuid=1000 --regid=1000 --clear-groups /tmp/fcap/ping -c 2 127.0.0.1   # permission denied',
    'setcap cap_net_raw+ep /tmp/fcap/ping && getcap /tmp/fcap/ping',
    'getfattr -n security.capability -e hex /tmp/fcap/ping',
    'setpriv --reuid=1000 --regid=1000 --clear-groups /tmp/fcap/ping -c 2 127.0.0.1   # works',
  ],
  predict: {
    question: 'uid 1000 runs a copy of ping carrying security.capability = cap_net_raw+ep. What will its CapEff hold while it runs?',
    choices: ['Nothing: only root gets capabilities', 'Exactly CAP_NET_RAW', 'Every capability, like a setuid-root program'],
    answer: 1,
    why: "At execve the kernel computes the new permitted set as (file permitted & bounding set) | (inheritable & file inheritable); the 'e' flag copies it to the effective set. The file grants only CAP_NET_RAW, so that is all the process gets: much less than setuid root, which is the point of file capabilities.",
  },
  async run(ctx, args = {}) {
    const { sys, proc } = ctx;
    // An unprivileged user namespace maps one uid (0): there is no uid 1000 to become. The real
    // alternative is root without root's automatic capabilities, SECBIT_NOROOT, which is what
    // `setpriv --securebits +noroot` does: exec then grants only what the file says.
    const uidMap = proc.readUidMap('self');
    const learner = proc.mapId(uidMap, 1000) !== null ? { uid: 1000, gid: 1000 } : null;
    let identity = learner ? 'uid 1000 (learner)' : 'uid 0 with SECBIT_NOROOT';
    const dir = args.nosuidMount ? '/tmp/fcap-nosuid' : '/tmp/fcap';
    mkdirSync(dir, { recursive: true });
    // The sandbox's /tmp is nosuid, which also disables file capabilities: mount a tmpfs without.
    const flags = args.nosuidMount ? sys.MS_NOSUID | sys.MS_NODEV : sys.MS_NODEV;
    sys.mount('tmpfs', dir, 'tmpfs', flags, 'mode=755');
    const mount = proc.findMount(proc.readMountinfo('self'), dir)?.raw ?? `no mount at ${dir}`;
    const ping = `${dir}/ping`;
    // nslab's own ping (native/nslab-tools, chosen by the name "ping"): a raw ICMP socket and
    // nothing else. It never raises a capability itself, so what it can do is exactly what the
    // kernel put in CapEff at execve. iputils ping would raise a permitted CAP_NET_RAW itself.
    copyFileSync(ctx.tools, ping);
    chmodSync(ping, 0o755);
    // A fresh network namespace has lo down: 127.0.0.1 is unreachable until it is up.
    const lo = await ctx.spawn(ctx.bin('ip'), ['link', 'set', 'lo', 'up']);
    if (lo.code !== 0) throw new Error(`ip link set lo up failed: ${lo.stderr.trim()}`);

    let xattrTrace: string | null = null;
    const NET_RAW = 1n << BigInt(sys.CAP_NET_RAW);
    const writeXattr = (): void => {
      ctx.note(`setcap cap_net_raw+${args.permittedOnly ? 'p' : 'ep'}: write security.capability (struct vfs_cap_data, revision 2)`);
      xattrTrace = sys.setxattr(ping, 'security.capability', vfsCapV2(NET_RAW, !args.permittedOnly), 0).trace;
    };
    if (args.xattrFirst && !args.skipXattr) writeXattr();
    if (!learner) {
      // Set on this (the main) thread, which is the one Node forks children from; every exec
      // after this line is root's without the automatic full set.
      ctx.note("one uid in this user namespace: run ping as root without root's automatic capabilities (SECBIT_NOROOT)");
      const SECBIT_NOROOT = 1;
      const r = sys.syscall6(sys.sysno('prctl'), sys.PR_SET_SECUREBITS, SECBIT_NOROOT);
      if (!r.ok) ctx.skip(`no uid besides 0 in this user namespace, and SECBIT_NOROOT could not be set (${r.trace})`);
      identity += ` (${r.trace})`;
    }
    ctx.note(`run ${ping} as ${identity.split(' (')[0]}`);
    const before = await runAsLearner(ctx, learner, ping, PING_ARGS);
    if (!args.xattrFirst && !args.skipXattr) writeXattr();
    // What the host's getcap makes of the same file, reached through /proc/PID/root.
    const { hook } = await ctx.outside(`xattr ${ping}`);
    const back = sys.getxattr(ping, 'security.capability');
    const readBack = back.value ? decodeVfsCap(back.value, (m) => proc.decodeCaps(m)) : null;
    ctx.note(`run ${ping} again, same identity`);
    const after = await runAsLearner(ctx, learner, ping, PING_ARGS);
    return { identity, mount, before, xattrTrace, readBack, readBackTrace: back.trace, hostGetcap: String(hook ?? ''), after };
  },
  // getcap on the host prints a namespaced (revision 3) attribute with its rootid, the host uid
  // that counts as root for it; from inside, the kernel shows the same bytes as revision 2.
  outside(label, views) {
    const path = label.slice('xattr '.length);
    const file = `/proc/${views[0]!.pid}/root${path}`;
    try {
      return `host: getcap -n ${file} -> ${execFileSync('getcap', ['-n', file], { encoding: 'utf8', timeout: 3000 }).trim() || '(no capabilities)'}`;
    } catch (err) {
      return `host: getcap unavailable (${(err as Error).message.split('\n')[0]})`;
    }
  },
  checks: [
    {
      id: 'ping-denied-without-filecap',
      expected: 'without file capabilities, the unprivileged ping fails: "permission denied (are you root?)"',
      check(o) {
        const b = o.before;
        const pass = b.code !== 0 && /permission denied/i.test(b.output);
        return {
          pass,
          observed: `exit ${b.code}: ${b.output.split('\n').pop()}`,
          evidence: [`as ${o.identity}`, ...b.output.split('\n').slice(-2), ...(b.status ? [b.status.uid, b.status.capEff] : [])],
          hint: pass
            ? undefined
            : b.code === 0
              ? `ping already worked on the first run: ${o.xattrTrace ? 'the xattr had been written before it' : 'the binary carried some privilege already'}; its ${b.status?.capEff.replace(/\t/g, ' ') ?? 'CapEff was not seen'}`
              : `ping failed, but not with "permission denied": ${b.output}`,
        };
      },
    },
    {
      id: 'xattr-is-net-raw-ep',
      expected: 'security.capability reads back as cap_net_raw with the effective flag (getcap: cap_net_raw=ep)',
      check(o) {
        const x = o.readBack;
        const pass = !!x && x.effective && x.permitted.length === 1 && x.permitted[0] === 'CAP_NET_RAW';
        return {
          pass,
          observed: x ? `revision ${x.revision}, permitted ${x.permitted.join(',') || '(none)'}, effective flag ${x.effective ? 'set' : 'clear'}${x.rootid !== null ? `, rootid ${x.rootid}` : ''}` : 'no security.capability xattr',
          evidence: [o.xattrTrace ?? '(no setxattr call)', o.readBackTrace, ...(x ? [`security.capability=0x${x.hex}`] : []), o.hostGetcap],
          hint: pass
            ? undefined
            : !x
              ? 'the file has no security.capability attribute: setcap (setxattr) was never run on it'
              : !x.effective
                ? "the attribute has no effective flag (cap_net_raw+p, not +ep): exec puts the capability in CapPrm only, and a program that does not raise it itself (nslab's ping does not; iputils ping would) still gets EPERM"
                : `the attribute grants ${x.permitted.join(',')}, not exactly CAP_NET_RAW`,
        };
      },
    },
    {
      id: 'ping-works-with-filecap',
      expected: 'after setcap, the same unprivileged ping gets replies, and its CapEff is exactly CAP_NET_RAW',
      check(o) {
        const a = o.after;
        const effOk = !!a.status && a.status.effNames.length === 1 && a.status.effNames[0] === 'CAP_NET_RAW';
        const pass = a.code === 0 && effOk;
        const nosuid = /\bnosuid\b/.test(o.mount.split(' ')[5] ?? '');
        return {
          pass,
          observed: `exit ${a.code}; ping's CapEff ${a.status ? a.status.effNames.join(',') || '(none)' : 'not seen'}`,
          evidence: [...(a.status ? [a.status.uid, a.status.capPrm, a.status.capEff] : []), a.output.split('\n').find((l) => /received/.test(l)) ?? a.output.split('\n').pop() ?? '', o.mount],
          hint: pass
            ? undefined
            : nosuid
              ? `the binary sits on a nosuid mount (${o.mount}): nosuid makes exec ignore file capabilities as well as setuid bits`
              : a.status && a.status.effNames.length === 0
                ? `ping ran with an empty CapEff (${a.status.capPrm.replace(/\t/g, ' ')} / ${a.status.capEff.replace(/\t/g, ' ')}): the file did not grant an effective capability`
                : `ping exited ${a.code}: ${a.output.split('\n').pop()}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'never write the xattr (no setcap)', args: { skipXattr: true }, fails: ['xattr-is-net-raw-ep', 'ping-works-with-filecap'] },
    { what: 'setcap cap_net_raw+p (no effective flag)', args: { permittedOnly: true }, fails: ['xattr-is-net-raw-ep', 'ping-works-with-filecap'] },
    { what: 'setcap before the first run', args: { xattrFirst: true }, fails: ['ping-denied-without-filecap'] },
    { what: 'put the binary on a nosuid mount', args: { nosuidMount: true }, fails: ['ping-works-with-filecap'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 3: all capabilities, over nothing of the host's.

interface UsernsArgs {
  dropFirst?: boolean;
  unshareFirst?: boolean;
  dropNetRawLater?: boolean;
}

interface UsernsObs {
  caps: CapSnapshot;
  fullCount: number;
  uidMap: string[];
  hostNet: { trace: string; ok: boolean; errno: string | null };
  unshareTrace: string;
  ownNet: { trace: string; ok: boolean; errno: string | null };
  netBefore: string;
  netAfter: string;
}

const usernsRoot: ExperimentSpec<UsernsObs, UsernsArgs> = {
  id: 'userns-root',
  title: 'root in a fresh user namespace: every capability, over its own namespaces only',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  commands: [
    'unshare --user --map-root-user --mount --pid --fork sh',
    'grep CapEff /proc/self/status           # 000001ffffffffff',
    'nslab-tools ping -c1 127.0.0.1          # socket: Operation not permitted (host network namespace)',
    'unshare --net sh -c "ip link set lo up; nslab-tools ping -c1 127.0.0.1"   # works: its own network namespace',
  ],
  predict: {
    question: "Root in a fresh user namespace has CapEff full of ones. It opens a raw ICMP socket in the host's network namespace (it did not create a new one). What happens?",
    choices: ['It works: CAP_NET_RAW is in CapEff', 'EPERM: the capability counts only in namespaces this user namespace owns', 'It works, but only for 127.0.0.1'],
    answer: 1,
    why: "Every capability check names a namespace, and the kernel asks whether you hold the capability in the user namespace that owns it. The host's network namespace belongs to the initial user namespace, where the sandbox's root is nobody special. A network namespace created from inside is owned by the new user namespace, so there the same CAP_NET_RAW works.",
  },
  run(ctx, args = {}) {
    const { sys, proc } = ctx;
    if (args.dropFirst) {
      const now = sys.capget();
      const keep = ~((1n << BigInt(sys.CAP_SYS_ADMIN)) | (1n << BigInt(sys.CAP_NET_RAW)));
      sys.capset({ effective: now.effective & keep, permitted: now.permitted & keep, inheritable: 0n });
    }
    const caps = snapshot(ctx);
    const fullCount = proc.capLastCap() + 1;
    const uidMap = proc.readUidMap('self').map((l) => l.raw);
    if (args.unshareFirst) sys.unshare(sys.CLONE_NEWNET);
    const netBefore = `net -> ${proc.readNs('thread-self').net?.link ?? '?'}`;
    ctx.note("a raw socket in the network namespace this sandbox started in (the host's)");
    const hostNet = rawSocket(sys);
    ctx.note('a network namespace of our own (this thread only: the others stay where they were)');
    const unshareTrace = args.unshareFirst ? '(already unshared)' : sys.unshare(sys.CLONE_NEWNET).trace;
    const netAfter = `net -> ${proc.readNs('thread-self').net?.link ?? '?'}`;
    if (args.dropNetRawLater) {
      const now = sys.capget();
      const NET_RAW = 1n << BigInt(sys.CAP_NET_RAW);
      sys.capset({ effective: now.effective & ~NET_RAW, permitted: now.permitted & ~NET_RAW, inheritable: 0n });
    }
    const ownNet = rawSocket(sys);
    return ctx.outside('userns').then(() => ({ caps, fullCount, uidMap, hostNet, unshareTrace, ownNet, netBefore, netAfter }));
  },
  checks: [
    {
      id: 'all-caps-in-userns',
      expected: "CapEff holds every capability the kernel has, in a user namespace that is not the host's",
      check(o, outside) {
        const v = outside['userns']?.[0];
        const own = !!v && v.ns.user !== v.hostNs.user;
        const n = o.caps.names.CapEff.length;
        const pass = own && n === o.fullCount;
        const missing = o.fullCount - n;
        return {
          pass,
          observed: `${n} of ${o.fullCount} capabilities in CapEff; user ns ${v ? `${v.ns.user} (host ${v.hostNs.user})` : 'unknown'}`,
          evidence: [o.caps.lines.CapEff, o.caps.lines.CapBnd, ...o.uidMap.map((l) => `uid_map: ${l}`), ...(v ? [`user -> ${v.ns.user}`, `host user -> ${v.hostNs.user}`] : [])],
          hint: pass
            ? undefined
            : !own
              ? 'the sandbox is in the host\'s user namespace, so its capabilities are the host\'s: this experiment needs a new user namespace'
              : `${missing} capabilities are missing from CapEff; the process dropped some before this was read (CapEff ${o.caps.lines.CapEff.split('\t').pop()})`,
        };
      },
    },
    {
      id: 'no-power-over-host-net',
      expected: "a raw socket in the host's network namespace fails with EPERM despite CAP_NET_RAW in CapEff",
      check(o, outside) {
        const s = o.hostNet;
        const pass = !s.ok && s.errno === 'EPERM';
        const hostNet = outside['userns']?.[0]?.hostNs.net;
        return {
          pass,
          observed: s.ok ? 'the socket opened' : s.errno ?? '?',
          evidence: [s.trace, o.netBefore, `host net -> ${hostNet ?? '?'}`, o.caps.lines.CapEff],
          hint: pass
            ? undefined
            : s.ok
              ? `the socket opened: this thread was in ${o.netBefore.slice(7)}, ${hostNet && !o.netBefore.endsWith(hostNet) ? `not the host's ${hostNet} but a namespace it had created itself` : "which the sandbox's user namespace owns"}`
              : `expected EPERM, got ${s.errno}`,
        };
      },
    },
    {
      id: 'power-over-own-net',
      expected: 'after unshare(CLONE_NEWNET), the same raw socket opens: that namespace belongs to the sandbox\'s user namespace',
      check(o) {
        const s = o.ownNet;
        const pass = s.ok;
        return {
          pass,
          observed: s.ok ? `opened (${o.netAfter})` : s.errno ?? '?',
          evidence: [o.unshareTrace, o.netAfter, s.trace],
          hint: pass
            ? undefined
            : s.errno === 'EPERM' && o.netAfter !== o.netBefore
              ? `EPERM in the new namespace (${o.netAfter}): CAP_NET_RAW is no longer in CapEff`
              : `the socket failed with ${s.errno}; unshare: ${o.unshareTrace}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'drop CAP_SYS_ADMIN and CAP_NET_RAW before looking', args: { dropFirst: true }, fails: ['all-caps-in-userns'] },
    { what: 'unshare the network namespace before the first socket', args: { unshareFirst: true }, fails: ['no-power-over-host-net'] },
    { what: 'drop CAP_NET_RAW before the socket in the new namespace', args: { dropNetRawLater: true }, fails: ['power-over-own-net'] },
  ],
};


export default {
  experiments: [bounding, fileCaps, usernsRoot],
  // Exercise mode: the learner makes this state in `nslab shell 05` with real tools, and
  // `nslab check 05` judges it from outside, however it was made.
  exercises: [
    {
      id: 'drop-net-raw',
      title: 'Root without CAP_NET_RAW',
      task: 'Start a process that runs as uid 0 but has lost CAP_NET_RAW for good (from its bounding set\nand its effective set), while keeping CAP_SYS_ADMIN. Leave it running.',
      hints: [
        'grep Cap /proc/self/status, and capsh --decode=MASK, show the sets. Which set limits what a later execve may gain, and which one counts now?',
        'Dropping from the bounding set alone leaves an effective capability in place; an execve recomputes the sets (for root: inheritable | bounding).',
        'setpriv --bounding-set -net_raw --inh-caps -net_raw sleep 1000 &   (or: capsh --drop=cap_net_raw -- -c "exec sleep 1000" &)',
      ],
      checks: [
        {
          id: 'uid-0',
          expected: 'effective uid 0 in its own user namespace',
          check: (p) => ({
            pass: p.uidInside === 0,
            observed: `uid ${p.uidInside ?? 'unmapped'} inside (${p.uid[1]} as the host sees it)`,
            evidence: [p.status.Uid ?? '', ...p.uidMap.map((l) => `uid_map: ${l}`)],
            hint: `PID ${p.pid} (${p.comm}) runs as uid ${p.uidInside ?? '(unmapped)'}: the task is root that gave up one capability, so stay uid 0`,
          }),
        },
        {
          id: 'no-net-raw-bounding',
          expected: 'CAP_NET_RAW is not in the bounding set (CapBnd)',
          check: (p) => ({
            pass: !p.caps.bounding.includes('CAP_NET_RAW'),
            observed: p.caps.bounding.includes('CAP_NET_RAW') ? 'CAP_NET_RAW in CapBnd' : 'CAP_NET_RAW not in CapBnd',
            evidence: [p.status.CapBnd ?? ''],
            hint: `CAP_NET_RAW is still in PID ${p.pid}'s bounding set, so any later execve (of a setuid or file-capability program, or as root) can get it back: drop it with setpriv --bounding-set -net_raw or capsh --drop=cap_net_raw`,
          }),
        },
        {
          id: 'no-net-raw-effective',
          expected: 'CAP_NET_RAW is not in the effective set (CapEff)',
          check: (p) => {
            const inh = p.caps.inheritable.includes('CAP_NET_RAW');
            const bnd = p.caps.bounding.includes('CAP_NET_RAW');
            return {
              pass: !p.caps.effective.includes('CAP_NET_RAW'),
              observed: p.caps.effective.includes('CAP_NET_RAW') ? 'CAP_NET_RAW in CapEff' : 'CAP_NET_RAW not in CapEff',
              evidence: [p.status.CapEff ?? '', p.status.CapBnd ?? '', p.status.CapInh ?? ''],
              hint: !bnd
                ? `CAP_NET_RAW is gone from the bounding set but still effective: the bounding set only limits what an execve can add, it takes nothing away.${inh ? ' Here the inheritable set (CapInh) carried it across the execve: for root the new permitted set is inheritable | bounding.' : ''} Drop it from the inheritable set too (setpriv --inh-caps -net_raw --bounding-set -net_raw CMD), so the execve that starts CMD leaves it out`
                : `CAP_NET_RAW is still effective (and still in the bounding set): setpriv --bounding-set -net_raw --inh-caps -net_raw CMD removes it from both`,
            };
          },
        },
        {
          id: 'sys-admin-kept',
          expected: 'CAP_SYS_ADMIN is still in the effective set',
          check: (p) => ({
            pass: p.caps.effective.includes('CAP_SYS_ADMIN'),
            observed: p.caps.effective.includes('CAP_SYS_ADMIN') ? 'CAP_SYS_ADMIN in CapEff' : `CapEff has ${p.caps.effective.length} capabilities, not CAP_SYS_ADMIN`,
            evidence: [p.status.CapEff ?? '', p.status.CapBnd ?? ''],
            hint: `PID ${p.pid} lost CAP_SYS_ADMIN too${p.caps.effective.length === 0 ? ' (it has no effective capabilities at all)' : ''}: the task drops exactly one capability; drop only net_raw, not -all`,
          }),
        },
      ],
      solution: ['setpriv --bounding-set -net_raw --inh-caps -net_raw sleep 1000 &'],
      nearMisses: [
        { what: 'only the bounding set dropped (inheritable kept CAP_NET_RAW across the execve)', commands: ['capsh --inh=cap_net_raw --drop=cap_net_raw -- -c "exec sleep 1000" &'], fails: ['no-net-raw-effective'] },
        { what: 'every capability dropped', commands: ['setpriv --bounding-set -all --inh-caps -all sleep 1000 &'], fails: ['sys-admin-kept'] },
      ],
    },
  ],
} satisfies LessonModule;
