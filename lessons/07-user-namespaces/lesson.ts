// Lesson 07: user namespaces (uid_map, gid_map, setgroups, root inside versus outside, who owns
// which namespace), the UTS namespace (hostname) and the IPC namespace (SysV shared memory).
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { SandboxContext } from '../../src/sandbox/types.js';


/** A child shell stopped at `ready`, waiting for a line on stdin so it can be looked at. */
interface Paused {
  pid: number;
  values: Record<string, string>;
  release(): Promise<{ code: number | null; values: Record<string, string> }>;
}

/** `step.NAME=ok` or `step.NAME=<the program's error>` for one command in a shell script. */
const step = (name: string, cmd: string): string => `if out=$( (${cmd}) 2>&1 ); then echo "${name}=ok"; else echo "${name}=$(echo $out | tail -n1)"; fi`;

/** The scripts below call these by name (PATH is the rootfs's bin directories): each is looked
 * up first, so a rootfs without one skips the experiment, naming the package, instead of a
 * script line failing somewhere in the middle. */
const SCRIPT_TOOLS = ['grep', 'cat', 'stat', 'touch', 'hostname', 'tail'];
function scriptPrograms(ctx: SandboxContext): { sh: string; unshare: string } {
  for (const name of SCRIPT_TOOLS) ctx.bin(name);
  return { sh: ctx.bin('sh'), unshare: ctx.bin('unshare') };
}

const tabs = (s: string | undefined): string => (s ?? '').replace(/\t/g, ' ');
const statusLine = (text: string, key: string): string => text.split('\n').find((l) => l.startsWith(`${key}:`)) ?? '';
const ids = (line: string): number[] => line.split(/\s+/).slice(1).map(Number);

// ---------------------------------------------------------------------------------------------
// Experiment 1: before the map, and the unprivileged way to write one (what `unshare -r` does).

interface MapArgs {
  /** unshare -r: the map is written before the shell ever looks. */
  mapFirst?: boolean;
  /** Never write "deny" to setgroups. */
  skipDeny?: boolean;
  /** Never write uid_map. */
  skipUidMap?: boolean;
}

interface MapObs {
  cmd: string;
  v: Record<string, string>;
  writes: { gidFirst: string | null; deny: string | null; gidAgain: string | null; uid: string | null; dropTrace: string };
  fullCaps: string;
  childPid: number;
}

/** Open and write one /proc file, traced: what newuidmap and nslab's helper do for a child. */
function writeProc(sys: SandboxContext['sys'], path: string, text: string): string {
  const fd = sys.open(path, sys.O_WRONLY);
  if (!fd.ok) return fd.trace;
  const w = sys.write(fd.ret, text);
  sys.close(fd.ret);
  return w.trace;
}

const MAP_PART2 = [
  'echo "after.uid=$(grep ^Uid: /proc/self/status)"',
  'echo "after.gid=$(grep ^Gid: /proc/self/status)"',
  'echo "after.capeff=$(grep ^CapEff: /proc/self/status)"',
  'echo "after.uidmap=$(cat /proc/self/uid_map)"',
  'echo "after.gidmap=$(cat /proc/self/gid_map)"',
  'echo "after.setgroups=$(cat /proc/self/setgroups)"',
  'echo ready',
  'read go',
].join('\n');

const MAP_SCRIPT = [
  'echo "before.uid=$(grep ^Uid: /proc/self/status)"',
  'echo "before.capeff=$(grep ^CapEff: /proc/self/status)"',
  'echo "before.uidmap=$(cat /proc/self/uid_map)"',
  'echo "before.setgroups=$(cat /proc/self/setgroups)"',
  'echo ready1',
  'read go',
  // The map is in place now, but capabilities are computed at execve: this shell still has
  // none. A fresh exec as uid 0 gets the full set.
  'echo "mapped-noexec.uid=$(grep ^Uid: /proc/self/status)"',
  'echo "mapped-noexec.capeff=$(grep ^CapEff: /proc/self/status)"',
  'exec /bin/sh -c "$PART2"',
].join('\n');

const beforeTheMap: ExperimentSpec<MapObs, MapArgs> = {
  id: 'before-the-map',
  title: 'a new user namespace before and after its uid_map is written',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  commands: [
    'unshare --user sh -c "echo \\$\\$; exec sleep 600" &     # no map yet',
    'grep -E "^(Uid|CapEff)" /proc/$!/status; cat /proc/$!/uid_map   # 65534 everywhere, no capabilities, empty map',
    "echo '0 0 1' > /proc/$!/gid_map      # as a user without CAP_SETGID: refused while setgroups says allow",
    'echo deny > /proc/$!/setgroups',
    "echo '0 0 1' > /proc/$!/gid_map; echo '0 0 1' > /proc/$!/uid_map",
    'unshare --user --map-root-user sh    # all of the above in one go, before the exec',
  ],
  predict: {
    question: 'A shell has just been exec\'d in a new user namespace and nobody has written its uid_map yet. What does `grep Uid /proc/self/status` print?',
    choices: ['Uid: 0 0 0 0, it created the namespace', 'Uid: 65534 65534 65534 65534', 'the uid it had before, unchanged'],
    answer: 1,
    why: "The process's credentials did not change; only how they are shown did. /proc shows ids translated into the reader's user namespace, and with an empty map there is no translation, so the kernel shows the overflow id, 65534 (/proc/sys/kernel/overflowuid), which passwd files call nobody. And because a uid with no mapping is not 0, the execve of the shell also cleared its capabilities.",
  },
  async run(ctx, args = {}) {
    const { sys, proc } = ctx;
    const bin = scriptPrograms(ctx);
    const cmd = [args.mapFirst ? '-r' : '-U', bin.sh, '-c', MAP_SCRIPT];
    ctx.note(`unshare ${cmd[0]} sh: a single-threaded program can create a user namespace; Node cannot (lesson 12)`);
    const child = await startPausedAt('ready1', bin.unshare, cmd, { PART2: MAP_PART2 });
    // Play an unprivileged user: without CAP_SETGID/CAP_SETUID over the parent namespace, the
    // kernel lets a process map only its own ids, and its gid only after setgroups is denied.
    const NO_SETID = ~((1n << BigInt(sys.CAP_SETGID)) | (1n << BigInt(sys.CAP_SETUID)));
    const now = sys.capget();
    ctx.note('drop CAP_SETUID and CAP_SETGID (this thread): write the maps the way an unprivileged user must');
    const dropTrace = sys.capset({ effective: now.effective & NO_SETID, permitted: now.permitted & NO_SETID, inheritable: 0n }).trace;
    const dir = `/proc/${child.pid}`;
    // A namespace made under an unprivileged user's sandbox inherits "deny" already: then there
    // is no refused first try to show, only the rule that "deny" comes before gid_map.
    const start = readFileSync(`${dir}/setgroups`, 'utf8').trim();
    const gidFirst = start === 'allow' ? writeProc(sys, `${dir}/gid_map`, '0 0 1\n') : null;
    const deny = args.skipDeny ? null : writeProc(sys, `${dir}/setgroups`, 'deny');
    const gidAgain = !gidFirst || /= -1/.test(gidFirst) ? writeProc(sys, `${dir}/gid_map`, '0 0 1\n') : null;
    const uid = args.skipUidMap ? null : writeProc(sys, `${dir}/uid_map`, '0 0 1\n');
    const paused = await child.next('ready');
    await ctx.outside('mapped', [child.pid]);
    await paused.release();
    return {
      cmd: `unshare ${cmd[0]} sh`,
      v: paused.values,
      writes: { gidFirst, deny, gidAgain, uid, dropTrace },
      fullCaps: proc.allCapsMask().toString(16).padStart(16, '0'),
      childPid: child.pid,
    };
  },
  checks: [
    {
      id: 'overflow-before-map',
      expected: 'before any map is written: Uid: 65534 65534 65534 65534, an empty uid_map, and CapEff 0 (the exec cleared it)',
      check(o) {
        const v = o.v;
        const uids = ids(v['before.uid'] ?? '');
        const map = (v['before.uidmap'] ?? '').trim();
        const noCaps = /\t0+$/.test(v['before.capeff'] ?? '');
        const pass = uids.length === 4 && uids.every((u) => u === 65534) && map === '' && noCaps;
        return {
          pass,
          observed: `${tabs(v['before.uid'])}; uid_map ${map ? `"${map}"` : 'empty'}; ${tabs(v['before.capeff'])}`,
          evidence: [`${o.cmd}: ${tabs(v['before.uid'])}`, tabs(v['before.capeff']), `uid_map: ${map || '(empty)'}`, `setgroups: ${v['before.setgroups']}`],
          hint: pass
            ? undefined
            : map
              ? `the uid_map already held "${map}" when the shell first looked: ${o.cmd} wrote the map before it exec'd the shell, so there was no "before" to see`
              : `Uid showed ${tabs(v['before.uid'])} and ${tabs(v['before.capeff'])}`,
        };
      },
    },
    {
      id: 'gid-map-needs-setgroups-deny',
      expected: 'without CAP_SETGID over the parent, gid_map is accepted only once setgroups says deny (while it says allow: EPERM)',
      check(o) {
        const w = o.writes;
        const start = o.v['before.setgroups'] ?? '?';
        const gidOk = (o.v['after.gidmap'] ?? '').trim() !== '';
        const denied = !!w.deny && !/= -1/.test(w.deny);
        const firstOk = !!w.gidFirst && !/= -1/.test(w.gidFirst);
        // The rule: while setgroups says allow, the write is refused (EPERM).
        const ruleHeld = start === 'allow' ? !!w.gidFirst && /EPERM/.test(w.gidFirst) : !w.gidFirst;
        const pass = denied && gidOk && ruleHeld && o.v['after.setgroups'] === 'deny';
        return {
          pass,
          observed: `setgroups started "${start}"; gid_map before deny: ${!w.gidFirst ? 'not tried (already deny)' : firstOk ? 'accepted' : w.gidFirst.split(' = ')[1]}; deny ${w.deny ? (denied ? 'written' : 'refused') : 'never written'}; gid_map now "${(o.v['after.gidmap'] ?? '').trim()}"`,
          evidence: [w.dropTrace, `setgroups (start): ${start}`, ...(w.gidFirst ? [w.gidFirst] : []), ...(w.deny ? [w.deny] : []), ...(w.gidAgain ? [w.gidAgain] : []), `gid_map: ${(o.v['after.gidmap'] ?? '').trim() || '(empty)'}`, `setgroups (end): ${o.v['after.setgroups']}`],
          hint: pass
            ? undefined
            : !w.deny && start === 'deny' && gidOk
              ? 'nothing wrote "deny": the namespace inherited deny from the sandbox (an unprivileged user made that one), so gid_map was accepted anyway. Under a parent that says allow, the same write fails with EPERM'
              : !w.deny && !gidOk
                ? `gid_map stayed empty: with setgroups still "allow", the kernel refused it (${(w.gidAgain ?? w.gidFirst ?? '').split(' = ')[1]})`
                : !ruleHeld
                  ? `gid_map was accepted while setgroups said "${start}": the map had been written already (${w.gidFirst})`
                  : w.deny && !denied
                    ? `writing deny failed (${w.deny}): setgroups cannot change once a gid_map exists`
                    : `gid_map "${(o.v['after.gidmap'] ?? '').trim()}", setgroups "${o.v['after.setgroups']}"`,
        };
      },
    },
    {
      id: 'root-inside-someone-outside',
      expected: "after uid_map '0 0 1' the shell is uid 0; capabilities return at its next execve; the host sees the uid the map points to",
      check(o, outside) {
        const host = outside['mapped']?.[0];
        const hostUid = host ? ids(statusLine(host.status, 'Uid'))[0] : undefined;
        const inside = ids(o.v['after.uid'] ?? '');
        const full = (o.v['after.capeff'] ?? '').endsWith(o.fullCaps);
        const pass = inside.length === 4 && inside.every((u) => u === 0) && full && hostUid !== undefined;
        return {
          pass,
          observed: `inside ${tabs(o.v['after.uid'])} (${full ? 'all capabilities' : tabs(o.v['after.capeff'])}); the host sees Uid ${hostUid ?? '?'}`,
          evidence: [
            ...(o.writes.uid ? [o.writes.uid] : ['(uid_map never written)']),
            `mapped, same shell: ${tabs(o.v['mapped-noexec.uid'])}, ${tabs(o.v['mapped-noexec.capeff'])}`,
            `after exec: ${tabs(o.v['after.uid'])}, ${tabs(o.v['after.capeff'])}`,
            `uid_map (inside): ${(o.v['after.uidmap'] ?? '').trim() || '(empty)'}`,
            ...(host ? [`host reads /proc/${host.pid}/status: ${tabs(statusLine(host.status, 'Uid'))}`, `host: user -> ${host.ns.user} (host ${host.hostNs.user})`] : []),
          ],
          hint: pass
            ? undefined
            : (o.v['after.uidmap'] ?? '').trim() === ''
              ? `uid_map is still empty, so the shell stays ${tabs(o.v['after.uid'])} with ${tabs(o.v['after.capeff'])}: the kernel still knows its real uid (the host sees ${hostUid}), it has no name for it inside, and an exec as a non-zero uid grants nothing`
              : !full
                ? `CapEff after the exec is ${tabs(o.v['after.capeff'])}, not the full set`
                : `inside ${tabs(o.v['after.uid'])}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'unshare -r: the map is written before the shell is exec\'d', args: { mapFirst: true }, fails: ['overflow-before-map', 'gid-map-needs-setgroups-deny'] },
    { what: 'never write deny to setgroups', args: { skipDeny: true }, fails: ['gid-map-needs-setgroups-deny'] },
    { what: 'never write uid_map', args: { skipUidMap: true }, fails: ['root-inside-someone-outside'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: root inside, somebody else outside; capabilities over its own namespaces only.

interface RootArgs {
  /** The parent never writes the child's maps. */
  noMap?: boolean;
  /** Run the script in the sandbox's own user namespace instead of a new one. */
  sameUserns?: boolean;
}

interface RootObs {
  map: string;
  mapTraces: string[];
  v: Record<string, string>;
  fullCaps: string;
  sandboxHostname: string;
  childPid: number;
  host: { devNull: string; mine: string } | null;
}

// Part 1 waits for the parent to write the maps, then execs part 2: capabilities are computed
// at execve, so only a shell exec'd as the mapped uid 0 has them.
const ROOT_SCRIPT = 'echo ready1; read go; exec /bin/sh -c "$PART2"';
const ROOT_PART2 = [
  'echo "uid=$(grep ^Uid: /proc/self/status)"',
  'echo "capeff=$(grep ^CapEff: /proc/self/status)"',
  'echo "uidmap=$(cat /proc/self/uid_map)"',
  'echo "devnull=$(stat -c "%u:%g" /dev/null)"',
  step('step.touch', 'touch /tmp/made-by-child-root'),
  'echo "mine=$(stat -c "%u:%g" /tmp/made-by-child-root 2>/dev/null)"',
  // Set the sandbox's hostname to the value it already has: the call is the test, not the name.
  step('step.sethostname-parent-uts', 'hostname "$(hostname)"'),
  step('step.own-uts', 'unshare -u sh -c "hostname nslab-07-child && echo \\$(cat /proc/sys/kernel/hostname) > /tmp/child-uts-name"'),
  'echo "own-uts-name=$(cat /tmp/child-uts-name 2>/dev/null)"',
  'echo "parent-uts-name=$(cat /proc/sys/kernel/hostname)"',
  'echo ready',
  'read go',
].join('\n');

const rootInsideOutside: ExperimentSpec<RootObs, RootArgs> = {
  id: 'root-inside-outside',
  title: 'root in a child user namespace: every capability, over its own namespaces only',
  sandbox: { namespaces: ['user', 'mnt', 'pid', 'uts'], rootfs: true, hostname: 'nslab-07' },
  commands: [
    'unshare --user sh -c "echo \\$\\$; sleep 60" &      # a child namespace, map not written yet',
    "echo '0 1000 1' > /proc/$CHILD/uid_map              # the parent writes it (newuidmap does this for users)",
    'nsenter -t $CHILD -U --preserve-credentials stat -c %u:%g /dev/null   # 65534:65534',
    'hostname "$(hostname)"                              # in the parent\'s UTS namespace: EPERM ("you must be root")',
    'unshare --uts sh -c "hostname nslab-07-child; hostname"   # in one it owns: works',
  ],
  predict: {
    question: "A shell is uid 0 with a full CapEff in a child user namespace. It runs `hostname` on the UTS namespace it started in (the sandbox's, which it did not create). What happens?",
    choices: ['It works: CAP_SYS_ADMIN is in CapEff', 'EPERM: that UTS namespace belongs to another user namespace', 'It works but only this shell sees the new name'],
    answer: 1,
    why: "Every namespace records the user namespace that was current when it was created, and the kernel checks capabilities against that owner. The sandbox's UTS namespace belongs to the sandbox's user namespace, where the child's root has no capabilities at all. A UTS namespace the child creates itself belongs to the child's user namespace, so there sethostname works.",
  },
  async run(ctx, args = {}) {
    const { sys, proc } = ctx;
    const bin = scriptPrograms(ctx);
    const [file, cmd] = args.sameUserns ? [bin.sh, ['-c', ROOT_SCRIPT]] : [bin.unshare, ['-U', bin.sh, '-c', ROOT_SCRIPT]];
    // A map can only name the child's real uid as its root: mapping does not change anyone's
    // credentials. With root's 65536-id sandbox the child runs as uid 1000 (an ordinary user,
    // like a rootless runtime's caller); unprivileged, the sandbox has only uid 0, which is
    // the host's unprivileged uid already.
    const learnerMapped = proc.mapId(proc.readUidMap('self'), 1000) !== null;
    const outer = learnerMapped && !args.sameUserns ? 1000 : 0;
    const map = `0 ${outer} 1`;
    ctx.note(`${args.sameUserns ? 'sh' : 'unshare -U sh'} as uid ${outer} of the sandbox`);
    const child = await startPausedAt('ready1', file, cmd, { PART2: ROOT_PART2 }, outer ? { uid: outer, gid: outer } : undefined);
    const mapTraces: string[] = [];
    if (!args.noMap && !args.sameUserns) {
      ctx.note(`the parent writes the child's maps: uid 0 inside = uid ${outer} in the sandbox`);
      for (const file of ['uid_map', 'gid_map']) {
        const fd = sys.open(`/proc/${child.pid}/${file}`, sys.O_WRONLY);
        mapTraces.push(fd.trace);
        if (fd.ok) {
          mapTraces.push(sys.write(fd.ret, `${map}\n`).trace);
          sys.close(fd.ret);
        }
      }
    }
    const paused = await child.next('ready');
    const { hook } = await ctx.outside('child', [child.pid]);
    await paused.release();
    return {
      map,
      mapTraces,
      v: paused.values,
      fullCaps: proc.allCapsMask().toString(16).padStart(16, '0'),
      sandboxHostname: readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(),
      childPid: child.pid,
      host: (hook as RootObs['host']) ?? null,
    };
  },
  outside(_label, views) {
    const v = views[0]!;
    const st = (p: string): string => {
      try {
        const s = statSync(`/proc/${v.pid}/root${p}`);
        return `${s.uid}:${s.gid}`;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code ?? 'error';
      }
    };
    return { devNull: st('/dev/null'), mine: st('/tmp/made-by-child-root') };
  },
  checks: [
    {
      id: 'root-inside-plain-user-outside',
      expected: 'inside: Uid 0 and a full CapEff; outside: the uid its map names, which is not a uid of its own',
      check(o, outside) {
        const host = outside['child']?.[0];
        const hostUid = host ? ids(statusLine(host.status, 'Uid'))[0] : undefined;
        const inside = ids(o.v.uid ?? '');
        const full = (o.v.capeff ?? '').endsWith(o.fullCaps);
        const ownNs = !!host && host.ns.user !== host.hostNs.user;
        const pass = inside.length === 4 && inside.every((u) => u === 0) && full && (o.v.uidmap ?? '').trim() !== '';
        return {
          pass,
          observed: `inside ${tabs(o.v.uid)}; host sees Uid ${hostUid ?? '?'}`,
          evidence: [
            ...o.mapTraces,
            `uid_map (inside): ${(o.v.uidmap ?? '').trim() || '(empty)'}`,
            `inside: ${tabs(o.v.uid)}`,
            `inside: ${tabs(o.v.capeff)}`,
            ...(host ? [`host: ${tabs(statusLine(host.status, 'Uid'))}`, `host: user -> ${host.ns.user}${ownNs ? '' : ' (the host\'s own)'}`] : []),
          ],
          hint: pass
            ? undefined
            : (o.v.uidmap ?? '').trim() === ''
              ? `nobody wrote the child's uid_map (${o.mapTraces.length ? o.mapTraces.join('; ') : 'no write at all'}), so inside it is ${tabs(o.v.uid)}: an id with no name there`
              : !full
                ? `CapEff is ${tabs(o.v.capeff)}`
                : `inside ${tabs(o.v.uid)}`,
        };
      },
    },
    {
      id: 'unmapped-files-are-nobody',
      expected: "/dev/null (host root's) shows as 65534:65534 inside; a file the child's root creates shows as 0:0 inside and as the mapped uid on the host",
      check(o) {
        const pass = o.v.devnull === '65534:65534' && o.v['step.touch'] === 'ok' && o.v.mine === '0:0';
        return {
          pass,
          observed: `/dev/null ${o.v.devnull} inside (${o.host?.devNull ?? '?'} on the host); new file ${o.v.mine || o.v['step.touch']} inside (${o.host?.mine ?? '?'} on the host)`,
          evidence: [
            `uid_map: ${(o.v.uidmap ?? '').trim() || '(empty)'}`,
            `inside: stat -c %u:%g /dev/null -> ${o.v.devnull}`,
            `host: stat /proc/PID/root/dev/null -> ${o.host?.devNull ?? '?'}`,
            `inside: touch /tmp/made-by-child-root -> ${o.v['step.touch']}; stat -> ${o.v.mine || '-'}`,
            `host: stat /proc/PID/root/tmp/made-by-child-root -> ${o.host?.mine ?? '?'}`,
          ],
          hint: pass
            ? undefined
            : o.v['step.touch'] !== 'ok'
              ? `the child could not create a file (${o.v['step.touch']}): with no uid_map its uid has no name in the filesystem's terms, and the kernel refuses to store an id it cannot map (EOVERFLOW)`
              : o.v.devnull !== '65534:65534'
                ? `/dev/null shows as ${o.v.devnull}: its owner (host uid ${o.host?.devNull.split(':')[0]}) is mapped in the child's namespace (uid_map "${(o.v.uidmap ?? '').trim()}")`
                : `the new file shows as ${o.v.mine}`,
        };
      },
    },
    {
      id: 'caps-over-own-uts-only',
      expected: "sethostname on the sandbox's UTS namespace fails with EPERM; in a UTS namespace the child creates it works, and the sandbox's name is unchanged",
      check(o) {
        const parent = o.v['step.sethostname-parent-uts'] ?? '';
        // sethostname's EPERM, in the words of Debian's hostname ("you must be root to change the
        // host name") or busybox's ("Operation not permitted").
        const parentRefused = /must be root|not permitted/i.test(parent);
        const own = o.v['own-uts-name'] ?? '';
        const pass = parentRefused && own === 'nslab-07-child' && o.v['parent-uts-name'] === 'nslab-07';
        return {
          pass,
          observed: `sandbox's UTS: ${parent}; own UTS: ${own || o.v['step.own-uts']}; sandbox still "${o.v['parent-uts-name']}"`,
          evidence: [
            `hostname "$(hostname)" -> ${parent}`,
            `unshare -u sh -c "hostname nslab-07-child" -> ${o.v['step.own-uts']}, its /proc/sys/kernel/hostname: ${own || '-'}`,
            `sandbox /proc/sys/kernel/hostname: ${o.v['parent-uts-name']}`,
            `inside: ${tabs(o.v.capeff)}`,
          ],
          hint: pass
            ? undefined
            : parent === 'ok'
              ? `sethostname on the sandbox's UTS namespace worked: the script ran as the sandbox's own root, in the user namespace that owns that UTS namespace, so CAP_SYS_ADMIN counted there`
              : !own
                ? `the child's own UTS namespace did not work: ${o.v['step.own-uts']}`
                : `parent hostname "${o.v['parent-uts-name']}", own "${own}"`,
        };
      },
    },
  ],
  sabotage: [
    { what: "the parent never writes the child's uid_map/gid_map", args: { noMap: true }, fails: ['root-inside-plain-user-outside', 'unmapped-files-are-nobody'] },
    { what: "run the script as the sandbox's own root (no new user namespace)", args: { sameUserns: true }, fails: ['caps-over-own-uts-only'] },
  ],
};

/** Every experiment here runs pivoted into the rootfs: its program directories (ctx.binPath). */
const ROOTFS_PATH = '/bin:/usr/bin:/sbin:/usr/sbin';

/** Like startPaused, for a script with two stops: `ready1` (before the parent acts) and `ready`. */
async function startPausedAt(
  first: string,
  file: string,
  args: string[],
  env: Record<string, string> = {},
  as?: { uid: number; gid: number },
): Promise<{ pid: number; next(label: 'ready'): Promise<Paused> }> {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: ROOTFS_PATH, ...env }, ...(as ?? {}) });
  const values: Record<string, string> = {};
  const waiters = new Map<string, () => void>();
  const seen = new Set<string>();
  let buf = '';
  let err = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
  let exitCode: number | null = null;
  const closed = new Promise<void>((r) => child.on('close', (c) => ((exitCode = c), clearTimeout(timer), r())));
  child.stdin.on('error', () => {});
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === first || line === 'ready') {
        seen.add(line);
        waiters.get(line)?.();
        continue;
      }
      const eq = line.indexOf('=');
      if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
    }
  });
  const reach = (label: string): Promise<void> =>
    seen.has(label)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((r) => waiters.set(label, r)),
          closed.then(() => {
            if (!seen.has(label)) throw new Error(`${file} ${args.slice(0, 2).join(' ')} exited (${exitCode}) before "${label}": ${err.trim()}`);
          }),
        ]);
  await reach(first);
  return {
    pid: child.pid!,
    async next(label) {
      child.stdin.write('go\n');
      await reach(label);
      return {
        pid: child.pid!,
        values,
        release: async () => {
          child.stdin.end('go\n');
          await closed;
          return { code: exitCode, values };
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Experiment 3: which user namespace owns which namespace (ioctl_ns).

interface OwnerArgs {
  /** The child makes only a UTS namespace, no user namespace. */
  noChildUserns?: boolean;
}

interface Link {
  trace: string[];
  link: string | null;
  errno: string | null;
}

interface OwnerObs {
  self: Record<string, string>;
  child: Record<string, string>;
  childPid: number;
  childUtsOwner: Link;
  childUserParent: Link;
  selfUserParent: Link;
  selfUtsOwner: Link;
  childOwnerUid: { trace: string; uid: number };
}

const ownership: ExperimentSpec<OwnerObs, OwnerArgs> = {
  id: 'who-owns-what',
  title: 'every namespace has an owning user namespace, and user namespaces nest',
  sandbox: { namespaces: ['user', 'mnt', 'pid', 'uts'], rootfs: true },
  commands: [
    'unshare --user --uts sleep 60 &',
    'lsns -t user -t uts                        # the NS column and the PID that holds each',
    'readlink /proc/$!/ns/user /proc/$!/ns/uts /proc/self/ns/user',
    '# ioctl(fd, NS_GET_USERNS) and ioctl(fd, NS_GET_PARENT) answer "who owns this" and "whose child is this"',
  ],
  predict: {
    question: 'From inside the sandbox, ask the kernel for the parent of the sandbox\'s own user namespace (ioctl NS_GET_PARENT). What comes back?',
    choices: ["a descriptor for the host's user namespace", 'EPERM: the host\'s namespace is outside the sandbox\'s scope', 'the same namespace again'],
    answer: 1,
    why: "ioctl_ns(2) will not hand out a namespace the caller could not otherwise reach. The sandbox's parent is the initial user namespace, above the sandbox's own, so the answer is EPERM. For the child's user namespace the parent is the sandbox's, which is in scope, so that ioctl returns a descriptor.",
  },
  async run(ctx, args = {}) {
    const { sys, proc } = ctx;
    const bin = { unshare: ctx.bin('unshare'), sleep: ctx.bin('sleep') };
    const flags = args.noChildUserns ? ['-u'] : ['-U', '-u'];
    ctx.note(`unshare ${flags.join(' ')} sleep 30: a child that sits in its own namespaces`);
    const bg = await ctx.background(bin.unshare, [...flags, bin.sleep, '30']);
    // Wait until it has exec'd sleep, i.e. unshare is done.
    for (let i = 0; i < 200 && proc.readComm(bg.pid) !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 10));
    const links = (pid: number | 'self') => Object.fromEntries(Object.entries(proc.readNs(pid)).map(([k, l]) => [k, l.link]));
    const ask = (path: string, req: number): Link => {
      const fd = sys.open(path, sys.O_RDONLY | sys.O_CLOEXEC);
      const trace = [fd.trace];
      if (!fd.ok) return { trace, link: null, errno: fd.errno };
      const r = sys.nsIoctl(fd.ret, req);
      trace.push(r.trace);
      let link: string | null = null;
      if (r.ok) {
        link = readlinkFd(r.ret);
        trace.push(`readlink("/proc/self/fd/${r.ret}") = "${link}"`);
        sys.close(r.ret);
      }
      sys.close(fd.ret);
      return { trace, link, errno: r.errno };
    };
    const childUtsOwner = ask(`/proc/${bg.pid}/ns/uts`, sys.NS_GET_USERNS);
    const childUserParent = ask(`/proc/${bg.pid}/ns/user`, sys.NS_GET_PARENT);
    const selfUserParent = ask('/proc/self/ns/user', sys.NS_GET_PARENT);
    const selfUtsOwner = ask('/proc/self/ns/uts', sys.NS_GET_USERNS);
    const ufd = sys.open(`/proc/${bg.pid}/ns/user`, sys.O_RDONLY | sys.O_CLOEXEC);
    const owner = sys.nsOwnerUid(ufd.ret);
    sys.close(ufd.ret);
    await ctx.outside('tree', [sys.getpid(), bg.pid]);
    return {
      self: links('self'),
      child: links(bg.pid),
      childPid: bg.pid,
      childUtsOwner,
      childUserParent,
      selfUserParent,
      selfUtsOwner,
      childOwnerUid: { trace: owner.trace, uid: owner.uid },
    };
  },
  checks: [
    {
      id: 'child-uts-owned-by-child-userns',
      expected: "NS_GET_USERNS on the child's UTS namespace returns the child's own user namespace, not the sandbox's",
      check(o) {
        const pass = o.childUtsOwner.link === o.child.user && o.child.user !== o.self.user;
        return {
          pass,
          observed: `owner of ${o.child.uts}: ${o.childUtsOwner.link ?? o.childUtsOwner.errno}; child ${o.child.user}, sandbox ${o.self.user}`,
          evidence: [...o.childUtsOwner.trace, `child: user -> ${o.child.user}`, `child: uts -> ${o.child.uts}`, `sandbox: user -> ${o.self.user}`],
          hint: pass
            ? undefined
            : o.child.user === o.self.user
              ? `the child is still in the sandbox's user namespace (${o.self.user}): it made a UTS namespace without a user namespace, so the sandbox's user namespace owns it`
              : `the owner came back as ${o.childUtsOwner.link ?? o.childUtsOwner.errno}`,
        };
      },
    },
    {
      id: 'user-namespaces-nest',
      expected: "NS_GET_PARENT of the child's user namespace is the sandbox's; of the sandbox's own it is EPERM (the host's is out of scope)",
      check(o, outside) {
        const host = outside['tree']?.[0];
        const pass = o.childUserParent.link === o.self.user && o.selfUserParent.errno === 'EPERM' && !!host && host.ns.user !== host.hostNs.user;
        return {
          pass,
          observed: `parent of child's ${o.child.user}: ${o.childUserParent.link ?? o.childUserParent.errno}; parent of sandbox's: ${o.selfUserParent.link ?? o.selfUserParent.errno}`,
          evidence: [
            ...o.childUserParent.trace,
            ...o.selfUserParent.trace,
            o.childOwnerUid.trace,
            ...(host ? [`host: sandbox user -> ${host.ns.user}, host's own -> ${host.hostNs.user}`] : []),
          ],
          hint: pass
            ? undefined
            : o.childUserParent.errno
              ? `NS_GET_PARENT on the child's user namespace failed with ${o.childUserParent.errno}: the child's user namespace is ${o.child.user === o.self.user ? "the sandbox's own, whose parent is out of scope" : o.child.user}`
              : o.childUserParent.link !== o.self.user
                ? `the child's parent is ${o.childUserParent.link}, not the sandbox's ${o.self.user}`
                : `NS_GET_PARENT of the sandbox's user namespace gave ${o.selfUserParent.link ?? o.selfUserParent.errno}`,
        };
      },
    },
  ],
  diagrams: [
    {
      kind: 'ns-tree',
      title: 'user and UTS namespaces',
      from: (o) => [
        { label: 'sandbox (Node)', ns: { user: o.self.user!, uts: o.self.uts! } },
        { label: `child sleep (PID ${o.childPid})`, ns: { user: o.child.user!, uts: o.child.uts! } },
      ],
    },
  ],
  sabotage: [{ what: 'the child unshares only the UTS namespace (no -U)', args: { noChildUserns: true }, fails: ['child-uts-owned-by-child-userns', 'user-namespaces-nest'] }],
};

/** What an ioctl_ns descriptor refers to: 'user:[4026532...]'. */
const readlinkFd = (fd: number): string => readlinkSync(`/proc/self/fd/${fd}`);

// ---------------------------------------------------------------------------------------------
// Experiment 4: the UTS namespace: a hostname of its own.

interface UtsArgs {
  skipUnshare?: boolean;
  unshareFirst?: boolean;
}

interface UtsObs {
  before: string;
  hostAttempt: string;
  unshareTrace: string;
  setTrace: string;
  procHostname: string;
  gethostname: string;
  capEff: string;
  utsMain: string;
  host: { procHostname: string; osHostname: string } | null;
}

const NAME = 'nslab-07';

const uts: ExperimentSpec<UtsObs, UtsArgs> = {
  id: 'uts-hostname',
  title: 'a UTS namespace: sethostname inside, the host keeps its name',
  sandbox: { namespaces: ['user', 'mnt'] },
  commands: [
    'unshare --user --map-root-user sh',
    'hostname "$(hostname)"              # the host\'s UTS namespace: EPERM ("you must be root")',
    'unshare --uts sh',
    'hostname nslab-07; cat /proc/sys/kernel/hostname',
    'cat /proc/sys/kernel/hostname       # in another terminal, on the host: unchanged',
  ],
  predict: {
    question: 'After unshare(CLONE_NEWUTS) and sethostname("nslab-07"), what does the host\'s /proc/sys/kernel/hostname say?',
    choices: ['nslab-07', 'its old name: the file shows the UTS namespace of whoever reads it', 'it is empty until the sandbox exits'],
    answer: 1,
    why: '/proc/sys/kernel/hostname is not one file with one value: every read answers from the UTS namespace of the reading task. The sandbox reads its own namespace\'s name; the host reads the host\'s, which nothing changed.',
  },
  async run(ctx, args = {}) {
    const { sys, proc } = ctx;
    const map = proc.readUidMap('self');
    if (map.length === 1 && map[0]!.inside === 0 && map[0]!.outside === 0 && map[0]!.count === 4294967295) {
      throw new Error("refusing to run: this process is in the host's user namespace, where sethostname would rename the host");
    }
    const before = sys.gethostname().name;
    const capEff = proc.readStatus('self').line('CapEff');
    if (args.unshareFirst) sys.unshare(sys.CLONE_NEWUTS);
    ctx.note("sethostname to the name it already has, in the UTS namespace the sandbox started in (the host's)");
    const hostAttempt = sys.sethostname(before).trace;
    ctx.note('unshare --uts (this moves the calling thread only; the sandbox reads /proc from that thread)');
    const unshareTrace = args.skipUnshare || args.unshareFirst ? '(no unshare here)' : sys.unshare(sys.CLONE_NEWUTS).trace;
    const setTrace = sys.sethostname(NAME).trace;
    const procHostname = readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
    const gh = sys.gethostname().name;
    const utsMain = proc.readNs('thread-self').uts?.link ?? '?';
    const { hook } = await ctx.outside('uts');
    return { before, hostAttempt, unshareTrace, setTrace, procHostname, gethostname: gh, capEff, utsMain, host: (hook as UtsObs['host']) ?? null };
  },
  outside() {
    return { procHostname: readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), osHostname: hostname() };
  },
  checks: [
    {
      id: 'host-uts-eperm',
      expected: "sethostname in the host's UTS namespace fails with EPERM, although CapEff holds CAP_SYS_ADMIN",
      check(o) {
        const pass = /= -1 EPERM/.test(o.hostAttempt);
        return {
          pass,
          observed: pass ? 'EPERM' : o.hostAttempt.split(' = ')[1] ?? o.hostAttempt,
          evidence: [o.hostAttempt, tabs(o.capEff)],
          hint: pass
            ? undefined
            : /= 0/.test(o.hostAttempt)
              ? `sethostname succeeded: by then the thread was already in a UTS namespace of the sandbox's own (${o.utsMain}), which its user namespace owns`
              : `expected EPERM: ${o.hostAttempt}`,
        };
      },
    },
    {
      id: 'hostname-inside-only',
      expected: `inside, /proc/sys/kernel/hostname says ${NAME}; the host's still says its own name, from another UTS namespace`,
      check(o, outside) {
        const v = outside['uts']?.[0];
        const hostName = o.host?.procHostname ?? '?';
        const pass = o.procHostname === NAME && o.gethostname === NAME && hostName !== NAME && !!v && v.ns.uts !== v.hostNs.uts;
        return {
          pass,
          observed: `inside "${o.procHostname}", host "${hostName}"`,
          evidence: [
            o.unshareTrace,
            o.setTrace,
            `inside: /proc/sys/kernel/hostname = ${o.procHostname}`,
            `host: /proc/sys/kernel/hostname = ${hostName} (os.hostname() ${o.host?.osHostname ?? '?'})`,
            ...(v ? [`sandbox uts -> ${v.ns.uts}`, `host uts -> ${v.hostNs.uts}`] : []),
          ],
          hint: pass
            ? undefined
            : /EPERM/.test(o.setTrace)
              ? `sethostname("${NAME}") was refused (${o.setTrace}): without unshare(CLONE_NEWUTS) the thread is still in the host's UTS namespace, which the sandbox's root has no power over`
              : `inside "${o.procHostname}", host "${hostName}"`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'no unshare(CLONE_NEWUTS)', args: { skipUnshare: true }, fails: ['hostname-inside-only'] },
    { what: 'unshare(CLONE_NEWUTS) before the first sethostname', args: { unshareFirst: true }, fails: ['host-uts-eperm'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 5: the IPC namespace: a shared memory segment only its own namespace lists.

interface IpcArgs {
  skipUnshare?: boolean;
  removeFirst?: boolean;
}

interface ShmRow {
  key: string;
  shmid: number;
  perms: string;
  size: number;
  cpid: number;
  raw: string;
}

interface IpcObs {
  traces: string[];
  shmid: number;
  size: number;
  inside: ShmRow[];
  ipcMain: string;
  host: ShmRow[];
}

const SHM_SIZE = 65536 + 4242;

function shmRows(text: string): ShmRow[] {
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((raw) => {
      const f = raw.trim().split(/\s+/);
      return { key: f[0]!, shmid: Number(f[1]), perms: f[2]!, size: Number(f[3]), cpid: Number(f[4]), raw: raw.trim() };
    });
}

const ipc: ExperimentSpec<IpcObs, IpcArgs> = {
  id: 'ipc-shm',
  title: 'an IPC namespace: a shared memory segment only its own namespace can see',
  sandbox: { namespaces: ['user', 'mnt'] },
  commands: [
    'unshare --user --map-root-user --ipc sh',
    'ipcmk -M 69778                 # shmget(IPC_PRIVATE, 69778, IPC_CREAT|0644)',
    'ipcs -m; cat /proc/sysvipc/shm',
    'ipcs -m                        # on the host: not there',
  ],
  predict: {
    question: 'The sandbox creates a SysV shared memory segment after unshare(CLONE_NEWIPC). Does the host\'s /proc/sysvipc/shm (what ipcs -m reads) list it?',
    choices: ['Yes, SysV IPC is global', 'No: the segment exists only in the new IPC namespace', 'Yes, but with key 0'],
    answer: 1,
    why: 'SysV message queues, semaphores and shared memory live in an IPC namespace, and every id and key is looked up there. /proc/sysvipc/shm lists the segments of the reader\'s IPC namespace, so the host lists its own and not the sandbox\'s.',
  },
  async run(ctx, args = {}) {
    const { sys, proc } = ctx;
    const traces: string[] = [];
    if (!args.skipUnshare) {
      ctx.note('unshare --ipc (calling thread only; every call below is made from it)');
      traces.push(sys.unshare(sys.CLONE_NEWIPC).trace);
    }
    const get = sys.shmget(sys.IPC_PRIVATE, SHM_SIZE, sys.IPC_CREAT | 0o600);
    traces.push(get.trace);
    if (!get.ok) throw new Error(`shmget failed: ${get.trace}`);
    let addr = 0;
    if (args.removeFirst) traces.push(sys.shmctl(get.ret, sys.IPC_RMID).trace);
    const at = sys.shmat(get.ret);
    traces.push(at.trace);
    addr = at.addr;
    // Marked for removal at once: the segment lives while attached and the kernel detaches it
    // when this process dies, so even a SIGKILL cannot leave it behind.
    if (!args.removeFirst) traces.push(sys.shmctl(get.ret, sys.IPC_RMID).trace);
    try {
      const inside = shmRows(readFileSync('/proc/sysvipc/shm', 'utf8'));
      const ipcMain = proc.readNs('thread-self').ipc?.link ?? '?';
      const { hook } = await ctx.outside('shm');
      return { traces, shmid: get.ret, size: SHM_SIZE, inside, ipcMain, host: (hook as ShmRow[]) ?? [] };
    } finally {
      if (addr) sys.shmdt(addr);
    }
  },
  outside() {
    return shmRows(readFileSync('/proc/sysvipc/shm', 'utf8'));
  },
  checks: [
    {
      id: 'shm-listed-inside',
      expected: `inside, /proc/sysvipc/shm lists the ${SHM_SIZE}-byte segment shmget returned`,
      check(o) {
        const row = o.inside.find((r) => r.shmid === o.shmid && r.size === o.size);
        return {
          pass: !!row,
          observed: row ? `shmid ${row.shmid}, ${row.size} bytes, perms ${row.perms}` : `not listed (${o.inside.length} segments)`,
          evidence: [...o.traces, ...(row ? [`/proc/sysvipc/shm: ${row.raw}`] : o.inside.slice(0, 3).map((r) => `/proc/sysvipc/shm: ${r.raw}`))],
          hint: row
            ? undefined
            : o.traces.some((t) => /shmat\(.*EINVAL/.test(t))
              ? 'the segment was removed (IPC_RMID) before anything attached to it, so the kernel destroyed it at once: attach first, then IPC_RMID'
              : `no segment with shmid ${o.shmid} and size ${o.size}`,
        };
      },
    },
    {
      id: 'shm-absent-on-host',
      expected: "the host's /proc/sysvipc/shm has no such segment: the sandbox's IPC namespace is not the host's",
      check(o, outside) {
        const v = outside['shm']?.[0];
        const onHost = o.host.filter((r) => r.size === o.size && (!v || r.cpid === v.pid));
        const pass = onHost.length === 0 && !!v && o.ipcMain !== v.hostNs.ipc;
        return {
          pass,
          observed: onHost.length ? `the host lists it: ${onHost[0]!.raw}` : `not on the host; ipc ${o.ipcMain} vs host ${v?.hostNs.ipc ?? '?'}`,
          evidence: [
            `inside ipc -> ${o.ipcMain}`,
            `host ipc -> ${v?.hostNs.ipc ?? '?'}`,
            ...(onHost.length ? onHost.map((r) => `host /proc/sysvipc/shm: ${r.raw}`) : [`host /proc/sysvipc/shm: ${o.host.length} segments, none of ${o.size} bytes made by PID ${v?.pid ?? '?'}`]),
          ],
          hint: pass
            ? undefined
            : onHost.length
              ? `the host lists the segment (cpid ${onHost[0]!.cpid} is the sandbox): shmget ran in the host's IPC namespace (${o.ipcMain}) because nothing unshared CLONE_NEWIPC first`
              : `the thread's IPC namespace ${o.ipcMain} is the host's`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'no unshare(CLONE_NEWIPC): the segment is made in the host\'s IPC namespace (removed again at once)', args: { skipUnshare: true }, fails: ['shm-absent-on-host'] },
    { what: 'IPC_RMID before attaching', args: { removeFirst: true }, fails: ['shm-listed-inside'] },
  ],
};

export default { experiments: [beforeTheMap, rootInsideOutside, ownership, uts, ipc] } satisfies LessonModule;
