// Lesson 07: user namespaces (uid_map, gid_map, setgroups, root inside versus outside, who owns
// which namespace), the UTS namespace (hostname) and the IPC namespace (SysV shared memory).
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LessonModule, SandboxContext, SpawnResult } from '../../src/kit/index.js';
import { askNs, capsetWithout, errnoIs, experiment, must, openNs, startAndWait, statusLines, tracedWrite, waitFor } from '../../src/kit/index.js';

type Ctx = SandboxContext;

/** The Uid: line of a status the host read, tabs as spaces. */
const hostUid = (status: string | undefined): string => (status ?? '').split('\n').find((l) => l.startsWith('Uid:'))?.replace(/\t/g, ' ') ?? 'Uid: ?';
const fullCaps = (ctx: Ctx): string => ctx.proc.allCapsMask().toString(16).padStart(16, '0');

// ---- The scripts: a shell that reports on itself and stops wherever the parent acts or looks.

/** `PREFIX.NAME=value` lines for the parent to parse: a status line (Uid, CapEff) or a file of
 * /proc/self (uid_map, gid_map, setgroups), as the shell sees it. */
const report = (prefix: string, ...names: string[]): string[] =>
  names.map((n) => `echo "${prefix}.${n}=$(${/_map|setgroups/.test(n) ? `cat /proc/self/${n}` : `grep ^${n}: /proc/self/status`})"`);
/** `NAME=ok`, or `NAME=` the program's last line of error, for one command of a script. */
const step = (name: string, cmd: string): string => `if out=$( (${cmd}) 2>&1 ); then echo "${name}=ok"; else echo "${name}=$(echo $out | tail -n1)"; fi`;
/** The shell stops itself; the parent sees "T (stopped)" in its status, acts, and continues it. */
const STOP = 'kill -STOP $$';
// After the first stop the map is in place, but capabilities are computed at execve: the shell
// still has none. A fresh exec as the mapped uid 0 (PART2) gets the full set.
const EXEC_PART2 = 'exec /bin/sh -c "$PART2"';

/** Run `sh -c SCRIPT` (through unshare or not) that stops twice: before its maps are written,
 * when `mapIt(pid)` writes them, and after exec'ing PART2, when the host looks at it. Each stop
 * is waited for by the State in /proc, never a guessed delay. Its KEY=value lines come back with
 * tabs as spaces. Its programs are looked up first, so a rootfs without one skips the experiment,
 * naming the package, instead of a script line failing midway. */
async function twoStops(ctx: Ctx, argv: string[], part2: string, as: { uid?: number; gid?: number }, mapIt: (pid: number) => void, label: string) {
  for (const name of ['grep', 'cat', 'stat', 'touch', 'hostname', 'tail', 'sh']) ctx.bin(name);
  let ended: SpawnResult | undefined;
  const done = ctx.spawn(argv[0]!, argv.slice(1), { env: { PATH: ctx.binPath, PART2: part2 }, ...as });
  void done.then((r) => (ended = r));
  const isStopped = (pid: number): boolean => ctx.proc.readStatus(pid).state.startsWith('T');
  const stopped = async (what: string, pid?: number): Promise<number> => {
    if (pid) process.kill(pid, 'SIGCONT');
    const got = await waitFor(what, () => ended ?? (pid ? isStopped(pid) && pid : ctx.proc.readChildren('self').find(isStopped)));
    if (typeof got !== 'number') throw new Error(`${argv[0]} exited (${got.code ?? got.signal}) before ${what}: ${got.stderr.trim()}`);
    return got;
  };
  const pid = await stopped('the shell to stop before its map is written');
  mapIt(pid);
  await stopped("the exec'd shell to stop", pid);
  const { hook } = await ctx.outside(label, [pid]);
  process.kill(pid, 'SIGCONT');
  const pairs = (await done).stdout.split('\n').map((l) => /^([\w.-]+)=(.*)$/.exec(l));
  return { v: Object.fromEntries(pairs.filter((m) => m !== null).map((m) => [m[1]!, m[2]!.replace(/\t/g, ' ').trim()])), hook };
}

// ---- Experiment 1: before the map, and the unprivileged way to write one (what `unshare -r` does).

const MAP_SCRIPT = [...report('before', 'Uid', 'CapEff', 'uid_map', 'setgroups'), STOP, ...report('mapped-noexec', 'Uid', 'CapEff'), EXEC_PART2].join('\n');
const MAP_PART2 = [...report('after', 'Uid', 'CapEff', 'uid_map', 'gid_map', 'setgroups'), STOP].join('\n');

const beforeTheMap = experiment({
  id: 'before-the-map',
  title: 'a new user namespace before and after its uid_map is written',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  async run(ctx, args: { mapFirst?: boolean; skipDeny?: boolean; skipUidMap?: boolean } = {}) {
    const { sys } = ctx;
    const flag = args.mapFirst ? '-r' : '-U';
    ctx.note(`unshare ${flag} sh: a single-threaded program can create a user namespace; Node cannot (lesson 12)`);
    const w = { gidFirst: null as string | null, deny: null as string | null, gidAgain: null as string | null, uid: null as string | null, dropTrace: '' };
    const { v } = await twoStops(ctx, [ctx.bin('unshare'), flag, ctx.bin('sh'), '-c', MAP_SCRIPT], MAP_PART2, {}, (pid) => {
      // Play an unprivileged user: without CAP_SETGID/CAP_SETUID over the parent namespace, the
      // kernel lets a process map only its own ids, and its gid only after setgroups is denied.
      ctx.note('drop CAP_SETUID and CAP_SETGID (this thread): write the maps the way an unprivileged user must');
      w.dropTrace = capsetWithout(sys, [sys.CAP_SETGID, sys.CAP_SETUID], false);
      // A namespace made under an unprivileged user's sandbox inherits "deny" already: then there
      // is no refused first try to show, only the rule that "deny" comes before gid_map.
      if (ctx.proc.readSetgroups(pid) === 'allow') w.gidFirst = tracedWrite(ctx, `/proc/${pid}/gid_map`, '0 0 1\n');
      if (!args.skipDeny) w.deny = tracedWrite(ctx, `/proc/${pid}/setgroups`, 'deny');
      if (!w.gidFirst || /= -1/.test(w.gidFirst)) w.gidAgain = tracedWrite(ctx, `/proc/${pid}/gid_map`, '0 0 1\n');
      if (!args.skipUidMap) w.uid = tracedWrite(ctx, `/proc/${pid}/uid_map`, '0 0 1\n');
    }, 'mapped');
    return { cmd: `unshare ${flag} sh`, v, w, fullCaps: fullCaps(ctx) };
  },
  checks: (check) => [
    check('overflow-before-map', 'before any map is written: Uid: 65534 65534 65534 65534, an empty uid_map, and CapEff 0 (the exec cleared it)', ({ v, cmd }) => {
      const [uid, capEff, map] = ['before.Uid', 'before.CapEff', 'before.uid_map'].map((k) => v[k] ?? '');
      return {
        pass: uid === 'Uid: 65534 65534 65534 65534' && map === '' && / 0+$/.test(capEff),
        observed: `${uid}; uid_map ${map ? `"${map}"` : 'empty'}; ${capEff}`,
        evidence: [`${cmd}: ${uid}`, capEff, `uid_map: ${map || '(empty)'}`, `setgroups: ${v['before.setgroups']}`],
        hint: map
          ? `the uid_map already held "${map}" when the shell first looked: ${cmd} wrote the map before it exec'd the shell, so there was no "before" to see`
          : `Uid showed ${uid} and ${capEff}`,
      };
    }),
    check('gid-map-needs-setgroups-deny', 'without CAP_SETGID over the parent, gid_map is accepted only once setgroups says deny (while it says allow: EPERM)', ({ v, w }) => {
      const [start, end, gidMap] = [v['before.setgroups'] ?? '?', v['after.setgroups'], v['after.gid_map'] ?? ''];
      const denied = !!w.deny && !/= -1/.test(w.deny);
      // The rule: while setgroups says allow, the write is refused (EPERM).
      const ruleHeld = start === 'allow' ? !!w.gidFirst && /EPERM/.test(w.gidFirst) : !w.gidFirst;
      const first = !w.gidFirst ? 'not tried (already deny)' : /= -1/.test(w.gidFirst) ? w.gidFirst.split(' = ')[1] : 'accepted';
      return {
        pass: denied && gidMap !== '' && ruleHeld && end === 'deny',
        observed: `setgroups started "${start}"; gid_map before deny: ${first}; deny ${w.deny ? (denied ? 'written' : 'refused') : 'never written'}; gid_map now "${gidMap}"`,
        evidence: [w.dropTrace, `setgroups (start): ${start}`, ...[w.gidFirst, w.deny, w.gidAgain].filter((t) => t !== null), `gid_map: ${gidMap || '(empty)'}`, `setgroups (end): ${end}`],
        hint:
          !w.deny && start === 'deny' && gidMap
            ? 'nothing wrote "deny": the namespace inherited deny from the sandbox (an unprivileged user made that one), so gid_map was accepted anyway. Under a parent that says allow, the same write fails with EPERM'
            : !w.deny && !gidMap
              ? `gid_map stayed empty: with setgroups still "allow", the kernel refused it (${(w.gidAgain ?? w.gidFirst ?? '').split(' = ')[1]})`
              : !ruleHeld
                ? `gid_map was accepted while setgroups said "${start}": the map had been written already (${w.gidFirst})`
                : w.deny && !denied
                  ? `writing deny failed (${w.deny}): setgroups cannot change once a gid_map exists`
                  : `gid_map "${gidMap}", setgroups "${end}"`,
      };
    }),
    check('root-inside-someone-outside', "after uid_map '0 0 1' the shell is uid 0; capabilities return at its next execve; the host sees the uid the map points to", ({ v, w, fullCaps }, outside) => {
      const host = outside['mapped']?.[0];
      const [uid, capEff, map] = ['after.Uid', 'after.CapEff', 'after.uid_map'].map((k) => v[k] ?? '');
      const full = capEff.endsWith(fullCaps);
      const hostView = host ? [`host reads /proc/${host.pid}/status: ${hostUid(host.status)}`, `host: user -> ${host.ns.user} (host ${host.hostNs.user})`] : [];
      return {
        pass: uid === 'Uid: 0 0 0 0' && full && !!host,
        observed: `inside ${uid} (${full ? 'all capabilities' : capEff}); the host sees ${hostUid(host?.status)}`,
        evidence: [w.uid ?? '(uid_map never written)', `mapped, same shell: ${v['mapped-noexec.Uid']}, ${v['mapped-noexec.CapEff']}`, `after exec: ${uid}, ${capEff}`, `uid_map (inside): ${map || '(empty)'}`, ...hostView],
        hint: !map
          ? `uid_map is still empty, so the shell stays ${uid} with ${capEff}: the kernel still knows its real uid (the host sees ${hostUid(host?.status)}), it has no name for it inside, and an exec as a non-zero uid grants nothing`
          : `after the exec: ${uid}, ${capEff}, not uid 0 with the full set`,
      };
    }),
  ],
  sabotage: [
    { what: "unshare -r: the map is written before the shell is exec'd", args: { mapFirst: true }, fails: ['overflow-before-map', 'gid-map-needs-setgroups-deny'] },
    { what: 'never write deny to setgroups', args: { skipDeny: true }, fails: ['gid-map-needs-setgroups-deny'] },
    { what: 'never write uid_map', args: { skipUidMap: true }, fails: ['root-inside-someone-outside'] },
  ],
});

// ---- Experiment 2: root inside, somebody else outside; capabilities over its own namespaces only.

const ROOT_PART2 = [
  ...report('root', 'Uid', 'CapEff', 'uid_map'),
  'echo "devnull=$(stat -c "%u:%g" /dev/null)"',
  step('touch', 'touch /tmp/made-by-child-root'),
  'echo "mine=$(stat -c "%u:%g" /tmp/made-by-child-root 2>/dev/null)"',
  // Set the sandbox's hostname to the value it already has: the call is the test, not the name.
  step('sethostname-parent-uts', 'hostname "$(hostname)"'),
  step('own-uts', 'unshare -u sh -c "hostname nslab-07-child && echo \\$(cat /proc/sys/kernel/hostname) > /tmp/child-uts-name"'),
  'echo "own-uts-name=$(cat /tmp/child-uts-name 2>/dev/null)"',
  'echo "parent-uts-name=$(cat /proc/sys/kernel/hostname)"',
  STOP,
].join('\n');

const rootInsideOutside = experiment({
  id: 'root-inside-outside',
  title: 'root in a child user namespace: every capability, over its own namespaces only',
  sandbox: { namespaces: ['user', 'mnt', 'pid', 'uts'], rootfs: true, hostname: 'nslab-07' },
  async run(ctx, args: { noMap?: boolean; sameUserns?: boolean } = {}) {
    const { proc } = ctx;
    // A map can only name the child's real uid as its root: mapping does not change anyone's
    // credentials. With root's 65536-id sandbox the child runs as uid 1000 (an ordinary user,
    // like a rootless runtime's caller); unprivileged, the sandbox has only uid 0, which is
    // the host's unprivileged uid already.
    const outer = proc.mapId(proc.readUidMap('self'), 1000) !== null && !args.sameUserns ? 1000 : 0;
    ctx.note(`${args.sameUserns ? 'sh' : 'unshare -U sh'} as uid ${outer} of the sandbox`);
    const sh = [ctx.bin('sh'), '-c', [STOP, EXEC_PART2].join('\n')];
    const mapTraces: string[] = [];
    const argv = args.sameUserns ? sh : [ctx.bin('unshare'), '-U', ...sh];
    const { v, hook } = await twoStops(ctx, argv, ROOT_PART2, outer ? { uid: outer, gid: outer } : {}, (pid) => {
      if (args.noMap || args.sameUserns) return;
      ctx.note(`the parent writes the child's maps: uid 0 inside = uid ${outer} in the sandbox`);
      for (const file of ['uid_map', 'gid_map']) mapTraces.push(tracedWrite(ctx, `/proc/${pid}/${file}`, `0 ${outer} 1\n`));
    }, 'child');
    return { mapTraces, v, fullCaps: fullCaps(ctx), host: (hook as { devNull: string; mine: string } | null) ?? null };
  },
  outside(_label, views) {
    const st = (p: string): string => {
      try {
        const s = statSync(`/proc/${views[0]!.pid}/root${p}`);
        return `${s.uid}:${s.gid}`;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code ?? 'error';
      }
    };
    return { devNull: st('/dev/null'), mine: st('/tmp/made-by-child-root') };
  },
  checks: (check) => [
    check('root-inside-plain-user-outside', 'inside: Uid 0 and a full CapEff; outside: the uid its map names, which is not a uid of its own', ({ v, mapTraces, fullCaps }, outside) => {
      const host = outside['child']?.[0];
      const [uid, capEff, map] = ['root.Uid', 'root.CapEff', 'root.uid_map'].map((k) => v[k] ?? '');
      const own = host?.ns.user === host?.hostNs.user ? " (the host's own)" : '';
      const hostView = host ? [`host: ${hostUid(host.status)}`, `host: user -> ${host.ns.user}${own}`] : [];
      return {
        pass: uid === 'Uid: 0 0 0 0' && capEff.endsWith(fullCaps) && map !== '',
        observed: `inside ${uid}; host sees ${hostUid(host?.status)}`,
        evidence: [...mapTraces, `uid_map (inside): ${map || '(empty)'}`, `inside: ${uid}`, `inside: ${capEff}`, ...hostView],
        hint: !map
          ? `nobody wrote the child's uid_map (${mapTraces.length ? mapTraces.join('; ') : 'no write at all'}), so inside it is ${uid}: an id with no name there`
          : `inside ${uid}, ${capEff}`,
      };
    }),
    check('unmapped-files-are-nobody', "/dev/null (host root's) shows as 65534:65534 inside; a file the child's root creates shows as 0:0 inside and as the mapped uid on the host", ({ v, host }) => {
      return {
        pass: v.devnull === '65534:65534' && v.touch === 'ok' && v.mine === '0:0',
        observed: `/dev/null ${v.devnull} inside (${host?.devNull ?? '?'} on the host); new file ${v.mine || v.touch} inside (${host?.mine ?? '?'} on the host)`,
        evidence: [
          `uid_map: ${v['root.uid_map'] || '(empty)'}; inside: stat -c %u:%g /dev/null -> ${v.devnull}; host: stat /proc/PID/root/dev/null -> ${host?.devNull ?? '?'}`,
          `inside: touch /tmp/made-by-child-root -> ${v.touch}; stat -> ${v.mine || '-'}; host: stat /proc/PID/root/tmp/made-by-child-root -> ${host?.mine ?? '?'}`,
        ],
        hint:
          v.touch !== 'ok'
            ? `the child could not create a file (${v.touch}): with no uid_map its uid has no name in the filesystem's terms, and the kernel refuses to store an id it cannot map (EOVERFLOW)`
            : v.devnull !== '65534:65534'
              ? `/dev/null shows as ${v.devnull}: its owner (host uid ${host?.devNull.split(':')[0]}) is mapped in the child's namespace (uid_map "${v['root.uid_map']}")`
              : `the new file shows as ${v.mine}`,
      };
    }),
    check('caps-over-own-uts-only', "sethostname on the sandbox's UTS namespace fails with EPERM; in a UTS namespace the child creates it works, and the sandbox's name is unchanged", ({ v }) => {
      const [parent, own] = [v['sethostname-parent-uts'] ?? '', v['own-uts-name'] ?? ''];
      return {
        // sethostname's EPERM, in the words of Debian's hostname ("you must be root to change
        // the host name") or busybox's ("Operation not permitted").
        pass: /must be root|not permitted/i.test(parent) && own === 'nslab-07-child' && v['parent-uts-name'] === 'nslab-07',
        observed: `sandbox's UTS: ${parent}; own UTS: ${own || v['own-uts']}; sandbox still "${v['parent-uts-name']}"`,
        evidence: [
          `hostname "$(hostname)" -> ${parent}; sandbox /proc/sys/kernel/hostname: ${v['parent-uts-name']}; inside: ${v['root.CapEff']}`,
          `unshare -u sh -c "hostname nslab-07-child" -> ${v['own-uts']}, its /proc/sys/kernel/hostname: ${own || '-'}`,
        ],
        hint:
          parent === 'ok'
            ? "sethostname on the sandbox's UTS namespace worked: the script ran as the sandbox's own root, in the user namespace that owns that UTS namespace, so CAP_SYS_ADMIN counted there"
            : !own
              ? `the child's own UTS namespace did not work: ${v['own-uts']}`
              : `parent hostname "${v['parent-uts-name']}", own "${own}"`,
      };
    }),
  ],
  sabotage: [
    { what: "the parent never writes the child's uid_map/gid_map", args: { noMap: true }, fails: ['root-inside-plain-user-outside', 'unmapped-files-are-nobody'] },
    { what: "run the script as the sandbox's own root (no new user namespace)", args: { sameUserns: true }, fails: ['caps-over-own-uts-only'] },
  ],
});

// ---- Experiment 3: which user namespace owns which namespace (ioctl_ns).

const ownership = experiment({
  id: 'who-owns-what',
  title: 'every namespace has an owning user namespace, and user namespaces nest',
  sandbox: { namespaces: ['user', 'mnt', 'pid', 'uts'], rootfs: true },
  async run(ctx, args: { noChildUserns?: boolean } = {}) {
    const { sys, proc } = ctx;
    const flags = args.noChildUserns ? ['-u'] : ['-U', '-u'];
    ctx.note(`unshare ${flags.join(' ')} sleep 30: a child that sits in its own namespaces`);
    // Once it has exec'd sleep, unshare is done.
    const argv = [...flags, ctx.bin('sleep'), '30'];
    const bg = await startAndWait(ctx, 'unshare to exec sleep', ctx.bin('unshare'), argv, (pid) => proc.readComm(pid) === 'sleep');
    const links = (pid: number | 'self') => Object.fromEntries(Object.entries(proc.readNs(pid)).map(([k, l]) => [k, l.link]));
    const childUtsOwner = askNs(ctx, `/proc/${bg.pid}/ns/uts`, sys.NS_GET_USERNS);
    const childUserParent = askNs(ctx, `/proc/${bg.pid}/ns/user`, sys.NS_GET_PARENT);
    const selfUserParent = askNs(ctx, '/proc/self/ns/user', sys.NS_GET_PARENT);
    const ufd = openNs(ctx, `/proc/${bg.pid}/ns/user`);
    const ownerUid = sys.nsOwnerUid(ufd.ret).trace;
    sys.close(ufd.ret);
    await ctx.outside('tree', [sys.getpid(), bg.pid]);
    return { self: links('self'), child: links(bg.pid), childPid: bg.pid, childUtsOwner, childUserParent, selfUserParent, ownerUid };
  },
  checks: (check) => [
    check('child-uts-owned-by-child-userns', "NS_GET_USERNS on the child's UTS namespace returns the child's own user namespace, not the sandbox's", ({ self, child, childUtsOwner: owner }) => ({
      pass: owner.link === child.user && child.user !== self.user,
      observed: `owner of ${child.uts}: ${owner.link ?? owner.errno}; child ${child.user}, sandbox ${self.user}`,
      evidence: [...owner.trace, `child: user -> ${child.user}`, `child: uts -> ${child.uts}`, `sandbox: user -> ${self.user}`],
      hint:
        child.user === self.user
          ? `the child is still in the sandbox's user namespace (${self.user}): it made a UTS namespace without a user namespace, so the sandbox's user namespace owns it`
          : `the owner came back as ${owner.link ?? owner.errno}`,
    })),
    check('user-namespaces-nest', "NS_GET_PARENT of the child's user namespace is the sandbox's; of the sandbox's own it is EPERM (the host's is out of scope)", ({ self, child, childUserParent: cp, selfUserParent: sp, ownerUid }, outside) => {
      const host = outside['tree']?.[0];
      return {
        pass: cp.link === self.user && sp.errno === 'EPERM' && !!host && host.ns.user !== host.hostNs.user,
        observed: `parent of child's ${child.user}: ${cp.link ?? cp.errno}; parent of sandbox's: ${sp.link ?? sp.errno}`,
        evidence: [...cp.trace, ...sp.trace, ownerUid, ...(host ? [`host: sandbox user -> ${host.ns.user}, host's own -> ${host.hostNs.user}`] : [])],
        hint: cp.errno
          ? `NS_GET_PARENT on the child's user namespace failed with ${cp.errno}: the child's user namespace is ${child.user === self.user ? "the sandbox's own, whose parent is out of scope" : child.user}`
          : cp.link !== self.user
            ? `the child's parent is ${cp.link}, not the sandbox's ${self.user}`
            : `NS_GET_PARENT of the sandbox's user namespace gave ${sp.link ?? sp.errno}`,
      };
    }),
  ],
  diagrams: [{ kind: 'ns-tree', title: 'user and UTS namespaces', from: (o) => [
    { label: 'sandbox (Node)', ns: { user: o.self.user!, uts: o.self.uts! } },
    { label: `child sleep (PID ${o.childPid})`, ns: { user: o.child.user!, uts: o.child.uts! } },
  ] }],
  sabotage: [{ what: 'the child unshares only the UTS namespace (no -U)', args: { noChildUserns: true }, fails: ['child-uts-owned-by-child-userns', 'user-namespaces-nest'] }],
});

// ---- Experiment 4: the UTS namespace: a hostname of its own.

const NAME = 'nslab-07';
const hostnameFile = (): string => readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();

const uts = experiment({
  id: 'uts-hostname',
  title: 'a UTS namespace: sethostname inside, the host keeps its name',
  sandbox: { namespaces: ['user', 'mnt'] },
  async run(ctx, args: { skipUnshare?: boolean; unshareFirst?: boolean } = {}) {
    const { sys, proc } = ctx;
    const map = proc.readUidMap('self');
    if (map.length === 1 && map[0]!.inside === 0 && map[0]!.outside === 0 && map[0]!.count === 4294967295) {
      throw new Error("refusing to run: this process is in the host's user namespace, where sethostname would rename the host");
    }
    const before = sys.gethostname().name;
    const [capEff] = statusLines(ctx, 'self', 'CapEff');
    if (args.unshareFirst) sys.unshare(sys.CLONE_NEWUTS);
    ctx.note("sethostname to the name it already has, in the UTS namespace the sandbox started in (the host's)");
    const hostAttempt = sys.sethostname(before).trace;
    ctx.note('unshare --uts (this moves the calling thread only; the sandbox reads /proc from that thread)');
    const unshareTrace = args.skipUnshare || args.unshareFirst ? '(no unshare here)' : sys.unshare(sys.CLONE_NEWUTS).trace;
    const setTrace = sys.sethostname(NAME).trace;
    const [procHostname, gethostname, utsMain] = [hostnameFile(), sys.gethostname().name, proc.readNs('thread-self').uts?.link ?? '?'];
    const host = (await ctx.outside('uts')).hook as { procHostname: string; osHostname: string } | null;
    return { hostAttempt, unshareTrace, setTrace, procHostname, gethostname, capEff, utsMain, host };
  },
  outside: () => ({ procHostname: hostnameFile(), osHostname: hostname() }),
  checks: (check) => [
    errnoIs('host-uts-eperm', "sethostname in the host's UTS namespace fails with EPERM, although CapEff holds CAP_SYS_ADMIN", 'EPERM', (o: { hostAttempt: string; capEff: string; utsMain: string }) => ({
      trace: o.hostAttempt,
      evidence: [o.capEff],
      why: `by then the thread was already in a UTS namespace of the sandbox's own (${o.utsMain}), which its user namespace owns`,
    })),
    check('hostname-inside-only', `inside, /proc/sys/kernel/hostname says ${NAME}; the host's still says its own name, from another UTS namespace`, (o, outside) => {
      const v = outside['uts']?.[0];
      const hostName = o.host?.procHostname ?? '?';
      const links = v ? [`sandbox uts -> ${v.ns.uts}`, `host uts -> ${v.hostNs.uts}`] : [];
      return {
        pass: o.procHostname === NAME && o.gethostname === NAME && hostName !== NAME && !!v && v.ns.uts !== v.hostNs.uts,
        observed: `inside "${o.procHostname}", host "${hostName}"`,
        evidence: [o.unshareTrace, o.setTrace, `inside: /proc/sys/kernel/hostname = ${o.procHostname}`, `host: /proc/sys/kernel/hostname = ${hostName} (os.hostname() ${o.host?.osHostname ?? '?'})`, ...links],
        hint: /EPERM/.test(o.setTrace)
          ? `sethostname("${NAME}") was refused (${o.setTrace}): without unshare(CLONE_NEWUTS) the thread is still in the host's UTS namespace, which the sandbox's root has no power over`
          : `inside "${o.procHostname}", host "${hostName}"`,
      };
    }),
  ],
  sabotage: [
    { what: 'no unshare(CLONE_NEWUTS)', args: { skipUnshare: true }, fails: ['hostname-inside-only'] },
    { what: 'unshare(CLONE_NEWUTS) before the first sethostname', args: { unshareFirst: true }, fails: ['host-uts-eperm'] },
  ],
});

// ---- Experiment 5: the IPC namespace: a shared memory segment only its own namespace lists.

const SHM_SIZE = 65536 + 4242;

/** /proc/sysvipc/shm as the reader's IPC namespace lists it: key, shmid, perms, size, cpid, ... */
function shmRows(): { shmid: number; perms: string; size: number; cpid: number; raw: string }[] {
  const rows = readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
  return rows.map((raw) => {
    const f = raw.split(/\s+/);
    return { shmid: Number(f[1]), perms: f[2]!, size: Number(f[3]), cpid: Number(f[4]), raw };
  });
}

const ipc = experiment({
  id: 'ipc-shm',
  title: 'an IPC namespace: a shared memory segment only its own namespace can see',
  sandbox: { namespaces: ['user', 'mnt'] },
  async run(ctx, args: { skipUnshare?: boolean; removeFirst?: boolean } = {}) {
    const { sys, proc } = ctx;
    const traces: string[] = [];
    if (!args.skipUnshare) {
      ctx.note('unshare --ipc (calling thread only; every call below is made from it)');
      traces.push(sys.unshare(sys.CLONE_NEWIPC).trace);
    }
    const get = must(sys.shmget(sys.IPC_PRIVATE, SHM_SIZE, sys.IPC_CREAT | 0o600), 'shmget');
    traces.push(get.trace);
    if (args.removeFirst) traces.push(sys.shmctl(get.ret, sys.IPC_RMID).trace);
    const at = sys.shmat(get.ret);
    traces.push(at.trace);
    // Marked for removal at once: the segment lives while attached and the kernel detaches it
    // when this process dies, so even a SIGKILL cannot leave it behind.
    if (!args.removeFirst) traces.push(sys.shmctl(get.ret, sys.IPC_RMID).trace);
    try {
      const [inside, ipcMain] = [shmRows(), proc.readNs('thread-self').ipc?.link ?? '?'];
      const { hook } = await ctx.outside('shm');
      return { traces, shmid: get.ret, inside, ipcMain, host: (hook as ReturnType<typeof shmRows>) ?? [] };
    } finally {
      if (at.addr) sys.shmdt(at.addr);
    }
  },
  outside: () => shmRows(),
  checks: (check) => [
    check('shm-listed-inside', `inside, /proc/sysvipc/shm lists the ${SHM_SIZE}-byte segment shmget returned`, (o) => {
      const row = o.inside.find((r) => r.shmid === o.shmid && r.size === SHM_SIZE);
      return {
        pass: !!row,
        observed: row ? `shmid ${row.shmid}, ${row.size} bytes, perms ${row.perms}` : `not listed (${o.inside.length} segments)`,
        evidence: [...o.traces, ...(row ? [row] : o.inside.slice(0, 3)).map((r) => `/proc/sysvipc/shm: ${r.raw}`)],
        hint: o.traces.some((t) => /shmat\(.*EINVAL/.test(t))
          ? 'the segment was removed (IPC_RMID) before anything attached to it, so the kernel destroyed it at once: attach first, then IPC_RMID'
          : `no segment with shmid ${o.shmid} and size ${SHM_SIZE}`,
      };
    }),
    check('shm-absent-on-host', "the host's /proc/sysvipc/shm has no such segment: the sandbox's IPC namespace is not the host's", (o, outside) => {
      const v = outside['shm']?.[0];
      const onHost = o.host.filter((r) => r.size === SHM_SIZE && (!v || r.cpid === v.pid));
      const listed = onHost.length ? onHost.map((r) => r.raw) : [`${o.host.length} segments, none of ${SHM_SIZE} bytes made by PID ${v?.pid ?? '?'}`];
      return {
        pass: onHost.length === 0 && !!v && o.ipcMain !== v.hostNs.ipc,
        observed: onHost.length ? `the host lists it: ${onHost[0]!.raw}` : `not on the host; ipc ${o.ipcMain} vs host ${v?.hostNs.ipc ?? '?'}`,
        evidence: [`inside ipc -> ${o.ipcMain}`, `host ipc -> ${v?.hostNs.ipc ?? '?'}`, ...listed.map((l) => `host /proc/sysvipc/shm: ${l}`)],
        hint: onHost.length
          ? `the host lists the segment (cpid ${onHost[0]!.cpid} is the sandbox): shmget ran in the host's IPC namespace (${o.ipcMain}) because nothing unshared CLONE_NEWIPC first`
          : `the thread's IPC namespace ${o.ipcMain} is the host's`,
      };
    }),
  ],
  sabotage: [
    { what: "no unshare(CLONE_NEWIPC): the segment is made in the host's IPC namespace (removed again at once)", args: { skipUnshare: true }, fails: ['shm-absent-on-host'] },
    { what: 'IPC_RMID before attaching', args: { removeFirst: true }, fails: ['shm-listed-inside'] },
  ],
});

export default { experiments: [beforeTheMap, rootInsideOutside, ownership, uts, ipc] } satisfies LessonModule;
