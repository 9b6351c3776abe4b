// Lesson 05: capabilities. The five sets in /proc/PID/status, the bounding set versus the
// effective set, file capabilities (the security.capability xattr that setcap writes), and
// what root in a fresh user namespace can and cannot do.
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { capIn, capLine, capSnapshot, capsetWithout, errnoIs, experiment, hasCap, hostGetcap, mainTid, onNewThread, rawIcmpSocket, readVfsCap, startThreadpool, threads } from '../../src/kit/index.js';
import { vfsCapV2, watchExec, type LessonModule, type SandboxContext as Ctx } from '../../src/kit/index.js';

// Experiment 1: the bounding set is a ceiling, not a switch.

/** Run on a thread started now: its tid and CapBnd line, from /proc/thread-self. */
const LATE_THREAD = `const fs = require('fs');
require('worker_threads').parentPort.postMessage({ tid: Number(fs.readlinkSync('/proc/thread-self').split('/').pop()),
  line: fs.readFileSync('/proc/thread-self/status', 'utf8').match(/^CapBnd:.*$/m)[0].replace(/\\t/g, ' ') });`;

async function runBounding(ctx: Ctx, args: { skipCapset?: boolean; capsetFirst?: boolean; threadAfterDrop?: boolean } = {}) {
  const { sys } = ctx;
  // libuv starts its threadpool on the first asynchronous call: start it first, so that every
  // thread compared below existed before the drop.
  await startThreadpool();
  let capsetTrace = args.capsetFirst ? capsetWithout(sys, [sys.CAP_NET_RAW]) : null;
  ctx.note('PR_CAPBSET_DROP: take CAP_NET_RAW out of the bounding set');
  const dropTrace = sys.capbsetDrop(sys.CAP_NET_RAW).trace;
  const afterDrop = capSnapshot(ctx);
  const socketAfterDrop = rawIcmpSocket(sys);
  // Each thread's own CapBnd (threads are tasks): the drop ran on the main one. The sabotage adds
  // a thread started after it, which begins with a copy of its creator's sets.
  const perThread = threads(ctx).map(({ tid, comm }) => {
    const s = capSnapshot(ctx, 'self', tid);
    return { tid, comm, main: tid === mainTid(), netRaw: hasCap(s, 'CapBnd', 'CAP_NET_RAW'), line: s.lines.CapBnd.replace(/\t/g, ' ') };
  });
  if (args.threadAfterDrop) {
    const late = await onNewThread<{ tid: number; line: string }>(LATE_THREAD);
    perThread.push({ ...late, comm: 'a Worker started after the drop', main: false, netRaw: ctx.proc.decodeCaps(BigInt(`0x${late.line.split(' ').pop()}`)).includes('CAP_NET_RAW') });
  }
  if (!args.skipCapset && !args.capsetFirst) {
    ctx.note('capset: take CAP_NET_RAW out of the effective and permitted sets');
    capsetTrace = capsetWithout(sys, [sys.CAP_NET_RAW]);
  }
  const afterCapset = capSnapshot(ctx);
  return { afterDrop, afterCapset, dropTrace, capsetTrace, socketAfterDrop, socketAfterCapset: rawIcmpSocket(sys), perThread };
}

const bounding = experiment({
  id: 'bounding-vs-effective',
  title: 'dropping CAP_NET_RAW: the bounding set versus capset',
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true },
  run: runBounding,
  checks: (check) => [
    check('bset-drop-keeps-eff', 'after PR_CAPBSET_DROP, CapBnd lacks CAP_NET_RAW but CapEff still has it, and a raw socket still opens', (o) => {
      const [bndGone, effKept] = [!hasCap(o.afterDrop, 'CapBnd', 'CAP_NET_RAW'), hasCap(o.afterDrop, 'CapEff', 'CAP_NET_RAW')];
      return {
        pass: bndGone && effKept && o.socketAfterDrop.ok,
        observed: `CapBnd ${bndGone ? 'without' : 'with'} CAP_NET_RAW, CapEff ${effKept ? 'with' : 'without'} it; raw socket ${o.socketAfterDrop.ok ? 'opened' : o.socketAfterDrop.errno}`,
        evidence: [o.dropTrace, capLine(o.afterDrop, 'CapBnd'), capLine(o.afterDrop, 'CapEff'), o.socketAfterDrop.trace],
        hint: !bndGone
          ? `CapBnd still lists CAP_NET_RAW: the drop did not happen (${o.dropTrace})`
          : !effKept
            ? `CapEff had already lost CAP_NET_RAW when the bounding set was read: ${o.capsetTrace ? `capset ran before the drop (${o.capsetTrace})` : 'something removed it earlier'}, so this run cannot show what the bounding drop alone does`
            : `the socket failed with ${o.socketAfterDrop.errno} although CapEff has CAP_NET_RAW`,
      };
    }),
    check('capset-clears-eff', 'after capset without CAP_NET_RAW, CapEff and CapPrm no longer list it', ({ afterCapset: a, capsetTrace }) => ({
      pass: !hasCap(a, 'CapEff', 'CAP_NET_RAW') && !hasCap(a, 'CapPrm', 'CAP_NET_RAW'),
      observed: `CapEff ${hasCap(a, 'CapEff', 'CAP_NET_RAW') ? 'has' : 'lacks'} CAP_NET_RAW, CapPrm ${hasCap(a, 'CapPrm', 'CAP_NET_RAW') ? 'has' : 'lacks'} it`,
      evidence: [capsetTrace ?? '(no capset call in this run)', capLine(a, 'CapPrm'), capLine(a, 'CapEff')],
      hint: capsetTrace ? `capset ran (${capsetTrace}) but CapEff still lists CAP_NET_RAW` : 'no capset call was made: the bounding-set drop alone leaves CapEff and CapPrm as they were',
    })),
    check('bset-per-thread', "the drop changes the calling thread only: the main thread's CapBnd lacks CAP_NET_RAW, every other thread's (/proc/self/task/TID/status) still has it", ({ perThread: all }) => {
      const [main, others] = [all.find((t) => t.main), all.filter((t) => !t.main)];
      const lost = others.filter((t) => !t.netRaw);
      // One evidence line per distinct CapBnd, naming the tasks that have it.
      const masks = [...new Set(all.map((t) => t.line))].map((l) => `tasks ${all.filter((t) => t.line === l).map((t) => (t.main ? `${t.tid} (main)` : t.tid)).join(' ')}: ${l}`);
      return {
        pass: !!main && !main.netRaw && others.length > 0 && lost.length === 0,
        observed: `main thread ${main?.netRaw ? 'with' : 'without'} CAP_NET_RAW in CapBnd; ${others.length - lost.length} of ${others.length} other threads with it`,
        evidence: masks,
        hint: lost.length
          ? `CAP_NET_RAW is missing from the CapBnd of ${lost.map((t) => `${t.tid} (${t.comm})`).join(', ')} too: each was created after the drop, and a new thread starts with a copy of its creator's sets`
          : `the main thread ${main?.netRaw ? 'still has CAP_NET_RAW in CapBnd: the drop did not happen' : 'was not found among the threads'}`,
      };
    }),
    errnoIs('raw-socket-eperm', 'without CAP_NET_RAW in CapEff, socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) fails with EPERM', 'EPERM', (o) => ({
      trace: o.socketAfterCapset.trace,
      evidence: [capLine(o.afterCapset, 'CapEff')],
      why: o.socketAfterCapset.ok ? `CapEff still has CAP_NET_RAW (${o.afterCapset.lines.CapEff}), so the kernel's check passed` : undefined,
    })),
  ],
  sabotage: [
    { what: 'drop only the bounding set, never call capset', args: { skipCapset: true }, fails: ['capset-clears-eff', 'raw-socket-eperm'] },
    { what: 'capset first, before the bounding drop', args: { capsetFirst: true }, fails: ['bset-drop-keeps-eff'] },
    { what: 'start a new thread (a Worker) after the drop, and compare it too', args: { threadAfterDrop: true }, fails: ['bset-per-thread'] },
  ],
});

// Experiment 2: file capabilities, setcap's xattr written by hand.

// The second echo request is 5 s away: after its first reply the ping waits there to be read and stopped.
const PING_ARGS = ['-c', '2', '-i', '5', '-W', '1', '127.0.0.1'];
const replied = (output: string): boolean => / bytes from /.test(output);

async function runFileCaps(ctx: Ctx, args: { skipXattr?: boolean; permittedOnly?: boolean; xattrFirst?: boolean; nosuidMount?: boolean } = {}) {
  const { sys, proc } = ctx;
  // An unprivileged user namespace maps one uid (0): there is no uid 1000 to become. The real
  // alternative is root without root's automatic capabilities, SECBIT_NOROOT, which is what
  // `setpriv --securebits +noroot` does: exec then grants only what the file says.
  const learner = proc.mapId(proc.readUidMap('self'), 1000) !== null ? { uid: 1000, gid: 1000 } : {};
  let identity = 'uid' in learner ? 'uid 1000 (learner)' : 'uid 0 with SECBIT_NOROOT';
  const dir = args.nosuidMount ? '/tmp/fcap-nosuid' : '/tmp/fcap';
  mkdirSync(dir, { recursive: true });
  // The sandbox's /tmp is nosuid, which also disables file capabilities: mount a tmpfs without.
  sys.mount('tmpfs', dir, 'tmpfs', args.nosuidMount ? sys.MS_NOSUID | sys.MS_NODEV : sys.MS_NODEV, 'mode=755');
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

  let xattrTrace = null as string | null;
  const writeXattr = (): void => {
    ctx.note(`setcap cap_net_raw+${args.permittedOnly ? 'p' : 'ep'}: write security.capability (struct vfs_cap_data, revision 2)`);
    xattrTrace = sys.setxattr(ping, 'security.capability', vfsCapV2(1n << BigInt(sys.CAP_NET_RAW), !args.permittedOnly), 0).trace;
  };
  if (args.xattrFirst && !args.skipXattr) writeXattr();
  if (!('uid' in learner)) {
    // Set on this (the main) thread, which is the one Node forks children from; every exec
    // after this line is root's without the automatic full set.
    ctx.note("one uid in this user namespace: run ping as root without root's automatic capabilities (SECBIT_NOROOT)");
    const r = sys.syscall6(sys.sysno('prctl'), sys.PR_SET_SECUREBITS, 1 /* SECBIT_NOROOT */);
    if (!r.ok) ctx.skip(`no uid besides 0 in this user namespace, and SECBIT_NOROOT could not be set (${r.trace})`);
    identity += ` (${r.trace})`;
  }
  /** The running ping's status lines, once it has exec'd and has its first reply. */
  const look = (pid: number, output: string) => {
    const [st, s] = [proc.readStatus(pid), capSnapshot(ctx, pid)];
    return st.name === 'ping' && replied(output) ? { uid: st.line('Uid'), capPrm: s.lines.CapPrm, capEff: s.lines.CapEff, effNames: s.names.CapEff, sets: s.sets } : undefined;
  };
  const xattr = () => sys.getxattr(ping, 'security.capability');
  // What execve starts from: the caller's sets and the file's xattr.
  const runPing = async () => {
    ctx.note(`run ${ping} as ${identity.split(' (')[0]}`);
    const [caller, x] = [capSnapshot(ctx).sets, xattr().value];
    return { ...(await watchExec(ctx, ping, PING_ARGS, look, { ...learner, stop: true })), caller, file: x ? readVfsCap(x, (m) => proc.decodeCaps(m)) : null };
  };
  const before = await runPing();
  if (!args.xattrFirst && !args.skipXattr) writeXattr();
  // What the host's getcap makes of the same file, reached through /proc/PID/root.
  const { hook } = await ctx.outside(`xattr ${ping}`);
  const back = xattr();
  const readBack = back.value ? readVfsCap(back.value, (m) => proc.decodeCaps(m)) : null;
  const after = await runPing();
  return { identity, mount, before, xattrTrace, readBack, readBackTrace: back.trace, hostGetcap: String(hook ?? ''), after };
}

const fileCaps = experiment({
  id: 'file-caps-ping',
  title: 'setcap cap_net_raw+ep gives one binary its capability back',
  sandbox: { namespaces: ['mnt', 'pid', 'net'], rootfs: true },
  run: runFileCaps,
  // getcap on the host prints a namespaced (revision 3) attribute with its rootid, the host uid
  // that counts as root for it; from inside, the kernel shows the same bytes as revision 2.
  outside: (label, views) => hostGetcap(`/proc/${views[0]!.pid}/root${label.slice('xattr '.length)}`),
  checks: (check) => [
    check('ping-denied-without-filecap', 'without file capabilities, the unprivileged ping fails: "permission denied (are you root?)"', ({ before: b, identity, xattrTrace }) => ({
      pass: !replied(b.output) && /permission denied/i.test(b.output),
      observed: replied(b.output) ? 'ping got a reply' : `exit ${b.code}: ${b.output.split('\n').pop()}`,
      evidence: [`as ${identity}`, ...b.output.split('\n').slice(-2), ...(b.seen ? [b.seen.uid, b.seen.capEff] : [])],
      hint: replied(b.output)
        ? `ping already worked on the first run: ${xattrTrace ? 'the xattr had been written before it' : 'the binary carried some privilege already'}; its ${b.seen?.capEff.replace(/\t/g, ' ') ?? 'CapEff was not seen'}`
        : `ping failed, but not with "permission denied": ${b.output}`,
    })),
    check('xattr-is-net-raw-ep', 'security.capability reads back as cap_net_raw with the effective flag (getcap: cap_net_raw=ep)', ({ readBack: x, xattrTrace, readBackTrace, hostGetcap }) => ({
      pass: !!x && x.effective && x.permitted.length === 1 && x.permitted[0] === 'CAP_NET_RAW',
      observed: x ? `revision ${x.revision}, permitted ${x.permitted.join(',') || '(none)'}, effective flag ${x.effective ? 'set' : 'clear'}${x.rootid !== null ? `, rootid ${x.rootid}` : ''}` : 'no security.capability xattr',
      evidence: [xattrTrace ?? '(no setxattr call)', readBackTrace, ...(x ? [`security.capability=0x${x.hex}`] : []), hostGetcap],
      hint: !x
        ? 'the file has no security.capability attribute: setcap (setxattr) was never run on it'
        : !x.effective
          ? "the attribute has no effective flag (cap_net_raw+p, not +ep): exec puts the capability in CapPrm only, and a program that does not raise it itself (nslab's ping does not; iputils ping would) still gets EPERM"
          : `the attribute grants ${x.permitted.join(',')}, not exactly CAP_NET_RAW`,
    })),
    check('ping-works-with-filecap', 'after setcap, the same unprivileged ping gets replies, and its CapEff is exactly CAP_NET_RAW', ({ after: a, mount }) => {
      const effOk = !!a.seen && a.seen.effNames.length === 1 && a.seen.effNames[0] === 'CAP_NET_RAW';
      const last = a.output.split('\n').at(-1) ?? '';
      return {
        pass: replied(a.output) && effOk,
        observed: `${replied(a.output) ? 'a reply' : `exit ${a.code}`}; ping's CapEff ${a.seen ? a.seen.effNames.join(',') || '(none)' : 'not seen'}`,
        evidence: [...(a.seen ? [a.seen.uid, a.seen.capPrm, a.seen.capEff] : []), a.output.split('\n').find(replied) ?? last, mount],
        hint: /\bnosuid\b/.test(mount.split(' ')[5] ?? '')
          ? `the binary sits on a nosuid mount (${mount}): nosuid makes exec ignore file capabilities as well as setuid bits`
          : a.seen && a.seen.effNames.length === 0
            ? `ping ran with an empty CapEff (${a.seen.capPrm.replace(/\t/g, ' ')} / ${a.seen.capEff.replace(/\t/g, ' ')}): the file did not grant an effective capability`
            : `ping exited ${a.code}: ${last}`,
      };
    }),
  ],
  sabotage: [
    { what: 'never write the xattr (no setcap)', args: { skipXattr: true }, fails: ['xattr-is-net-raw-ep', 'ping-works-with-filecap'] },
    { what: 'setcap cap_net_raw+p (no effective flag)', args: { permittedOnly: true }, fails: ['xattr-is-net-raw-ep', 'ping-works-with-filecap'] },
    { what: 'setcap before the first run', args: { xattrFirst: true }, fails: ['ping-denied-without-filecap'] },
    { what: 'put the binary on a nosuid mount', args: { nosuidMount: true }, fails: ['ping-works-with-filecap'] },
  ],
  diagrams: [{ kind: 'cap-exec', from: (o) => [o.before, o.after].map((r, i) => ({ label: i ? 'second run' : 'first run', program: `ping, ${o.identity.split(' (')[0]}`, before: r.caller, file: r.file && { permitted: r.file.mask, inheritable: r.file.inheritable, effective: r.file.effective }, after: r.seen?.sets ?? null })) }],
});

// Experiment 3: all capabilities, over nothing of the host's.

async function runUserns(ctx: Ctx, args: { dropFirst?: boolean; unshareFirst?: boolean; dropNetRawLater?: boolean } = {}) {
  const { sys, proc } = ctx;
  if (args.dropFirst) capsetWithout(sys, [sys.CAP_SYS_ADMIN, sys.CAP_NET_RAW], false);
  const caps = capSnapshot(ctx);
  const uidMap = proc.readUidMap('self').map((l) => l.raw);
  if (args.unshareFirst) sys.unshare(sys.CLONE_NEWNET);
  const net = () => `net -> ${proc.readNs('thread-self').net?.link ?? '?'}`;
  const netBefore = net();
  ctx.note("a raw socket in the network namespace this sandbox started in (the host's)");
  const hostNet = rawIcmpSocket(sys);
  ctx.note('a network namespace of our own (this thread only: the others stay where they were)');
  const unshareTrace = args.unshareFirst ? '(already unshared)' : sys.unshare(sys.CLONE_NEWNET).trace;
  const netAfter = net();
  if (args.dropNetRawLater) capsetWithout(sys, [sys.CAP_NET_RAW], false);
  const ownNet = rawIcmpSocket(sys);
  await ctx.outside('userns');
  return { caps, fullCount: proc.capLastCap() + 1, uidMap, hostNet, unshareTrace, ownNet, netBefore, netAfter };
}

const usernsRoot = experiment({
  id: 'userns-root',
  title: 'root in a fresh user namespace: every capability, over its own namespaces only',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  run: runUserns,
  checks: (check) => [
    check('all-caps-in-userns', "CapEff holds every capability the kernel has, in a user namespace that is not the host's", (o, outside) => {
      const v = outside['userns']?.[0];
      const [own, n] = [!!v && v.ns.user !== v.hostNs.user, o.caps.names.CapEff.length];
      return {
        pass: own && n === o.fullCount,
        observed: `${n} of ${o.fullCount} capabilities in CapEff; user ns ${v ? `${v.ns.user} (host ${v.hostNs.user})` : 'unknown'}`,
        evidence: [o.caps.lines.CapEff, o.caps.lines.CapBnd, ...o.uidMap.map((l) => `uid_map: ${l}`), ...(v ? [`user -> ${v.ns.user}`, `host user -> ${v.hostNs.user}`] : [])],
        hint: !own
          ? "the sandbox is in the host's user namespace, so its capabilities are the host's: this experiment needs a new user namespace"
          : `${o.fullCount - n} capabilities are missing from CapEff; the process dropped some before this was read (CapEff ${o.caps.lines.CapEff.split('\t').pop()})`,
      };
    }),
    errnoIs('no-power-over-host-net', "a raw socket in the host's network namespace fails with EPERM despite CAP_NET_RAW in CapEff", 'EPERM', (o, outside) => {
      const hostNet = outside['userns']?.[0]?.hostNs.net;
      const whose = hostNet && !o.netBefore.endsWith(hostNet) ? `not the host's ${hostNet} but a namespace it had created itself` : "which the sandbox's user namespace owns";
      return {
        trace: o.hostNet.trace,
        evidence: [o.netBefore, `host net -> ${hostNet ?? '?'}`, o.caps.lines.CapEff],
        why: o.hostNet.ok ? `the socket opened: this thread was in ${o.netBefore.slice(7)}, ${whose}` : undefined,
      };
    }),
    errnoIs('power-over-own-net', "after unshare(CLONE_NEWNET), the same raw socket opens: that namespace belongs to the sandbox's user namespace", 0, (o) => ({
      trace: o.ownNet.trace,
      evidence: [o.unshareTrace, o.netAfter],
      why: o.ownNet.errno === 'EPERM' && o.netAfter !== o.netBefore ? `EPERM in the new namespace (${o.netAfter}): CAP_NET_RAW is no longer in CapEff` : `the socket failed in ${o.netAfter}; unshare: ${o.unshareTrace}`,
    })),
  ],
  sabotage: [
    { what: 'drop CAP_SYS_ADMIN and CAP_NET_RAW before looking', args: { dropFirst: true }, fails: ['all-caps-in-userns', 'power-over-own-net'] },
    { what: 'unshare the network namespace before the first socket', args: { unshareFirst: true }, fails: ['no-power-over-host-net'] },
    { what: 'drop CAP_NET_RAW before the socket in the new namespace', args: { dropNetRawLater: true }, fails: ['power-over-own-net'] },
  ],
});

const BOTH = 'setpriv --bounding-set -net_raw --inh-caps -net_raw';

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
        `${BOTH} sleep 1000 &   (or: capsh --drop=cap_net_raw -- -c "exec sleep 1000" &)`,
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
        capIn('no-net-raw-bounding', 'CAP_NET_RAW is not in the bounding set (CapBnd)', { set: 'bounding', cap: 'CAP_NET_RAW', present: false }, (p) =>
          `CAP_NET_RAW is still in PID ${p.pid}'s bounding set, so any later execve (of a setuid or file-capability program, or as root) can get it back: drop it with setpriv --bounding-set -net_raw or capsh --drop=cap_net_raw`),
        capIn('no-net-raw-effective', 'CAP_NET_RAW is not in the effective set (CapEff)', { set: 'effective', cap: 'CAP_NET_RAW', present: false, also: ['bounding', 'inheritable'] }, (p) =>
          p.caps.bounding.includes('CAP_NET_RAW')
            ? `CAP_NET_RAW is still effective (and still in the bounding set): ${BOTH} CMD removes it from both`
            : `CAP_NET_RAW is gone from the bounding set but still effective: the bounding set only masks what a program file (for root, every capability) grants at execve, it takes nothing away, and the inheritable and ambient sets get past it.${p.caps.inheritable.includes('CAP_NET_RAW') ? ' Here the inheritable set (CapInh) carried it across the execve: for root the new permitted set is inheritable | bounding.' : ''} Drop it from the inheritable set too (${BOTH} CMD), so the execve that starts CMD leaves it out`),
        capIn('sys-admin-kept', 'CAP_SYS_ADMIN is still in the effective set', { set: 'effective', cap: 'CAP_SYS_ADMIN', present: true, also: ['bounding'] }, (p) =>
          `PID ${p.pid} lost CAP_SYS_ADMIN too${p.caps.effective.length === 0 ? ' (it has no effective capabilities at all)' : ''}: the task drops exactly one capability; drop only net_raw, not -all`),
      ],
      solution: [`${BOTH} sleep 1000 &`],
      nearMisses: [
        { what: 'only the bounding set dropped (inheritable kept CAP_NET_RAW across the execve)', commands: ['capsh --inh=cap_net_raw --drop=cap_net_raw -- -c "exec sleep 1000" &'], fails: ['no-net-raw-effective'] },
        { what: 'every capability dropped', commands: ['setpriv --bounding-set -all --inh-caps -all sleep 1000 &'], fails: ['sys-admin-kept'] },
      ],
    },
  ],
} satisfies LessonModule;
