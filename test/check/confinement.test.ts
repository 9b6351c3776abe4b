// `nslab inspect` against a real runtime: runc starts containers from nslab's rootfs with the
// config `runc spec` writes (`--rootless` when not root), and every point inspect reports is
// compared with that config.json, read here independently of the judging code. Then near-misses
// (config edits that mirror --cap-add, --pid=host/--ipc=host, --privileged, a seccomp filter,
// seccomp=unconfined, no no_new_privs) must each be reported as different, on exactly the
// points they change. Containers are always deleted.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { CAP_NAMES } from '../../src/proc/index.js';
import { builtinProfile, profileFromOci } from '../../src/check/profiles.js';
import { inspectConfinement, readConfinement, readReference, type InspectReport, type PointId } from '../../src/check/confinement.js';
import { nslab, tempHome } from '../cli/helpers.js';
import { testRootfs } from '../support/rootfs.js';
import { settledDiff, snapshotHost } from '../support/residue.js';
import { allCapNames, findRunc, isRoot, runcSpec, startContainer, stopContainer, type Container, type OciConfig } from '../support/runc.js';

const test = suite('nslab inspect against runc');
const runc = findRunc();
const profileName = isRoot ? 'runc' : 'runc-rootless';
const home = tempHome();

function inspectCli(pid: number, profile: string): { code: number | null; report: InspectReport | null; stderr: string } {
  const r = nslab(['inspect', String(pid), '--profile', profile, '--json'], { env: home.env });
  let report: InspectReport | null = null;
  try {
    report = JSON.parse(r.stdout) as InspectReport;
  } catch {
    report = null;
  }
  return { code: r.code, report, stderr: r.stderr };
}

const failing = (r: InspectReport | null): PointId[] => (r?.points ?? []).filter((p) => !p.pass).map((p) => p.id);

/** Starts a container, hands it to `body`, always deletes it. */
async function withContainer(edit: ((c: OciConfig) => void) | undefined, body: (c: Container) => void | Promise<void>): Promise<void> {
  const c = startContainer(runc!, await testRootfs(), edit);
  try {
    await body(c);
  } finally {
    stopContainer(c);
  }
}

// Rootless runc needs unprivileged user namespaces; when it cannot run here, say why and skip.
let cannot: string | null = runc ? null : 'runc is not installed (Debian: apt-get install runc)';
if (runc) {
  try {
    stopContainer(startContainer(runc, await testRootfs()));
  } catch (err) {
    cannot = `runc cannot start a ${isRoot ? '' : 'rootless '}container here: ${(err as Error).message.split('\n')[0]}`;
  }
}
const it = (name: string, fn: () => Promise<void> | void): void => {
  if (!cannot) return void test(name, fn);
  console.log(`SKIP ${name}: ${cannot}`);
  test.skip(name, fn);
};

it(`the built-in ${profileName} profile is what \`runc spec\` writes here`, () => {
  const spec = profileFromOci(runcSpec(runc!));
  const mine = builtinProfile(profileName)!;
  const strip = ({ name: _n, source: _s, idMap: _m, cgroup: _c, ...rest }: typeof mine) => rest;
  assert.equal(strip(spec), strip(mine));
  if (isRoot) assert.is(spec.idMap, 'shared');
  // The rootless spec maps uid and gid 0 to the one user who ran it: the built-in 'one-id'.
  else assert.equal(spec.idMap, { uid: [{ inside: 0, outside: process.getuid!(), count: 1 }], gid: [{ inside: 0, outside: process.getgid!(), count: 1 }] });
});

it(`a runc container matches ${profileName} and its own config.json, point by point`, async () => {
  const before = snapshotHost();
  await withContainer(undefined, (c) => {
    for (const profile of [profileName, c.config]) {
      const r = inspectCli(c.pid, profile);
      assert.ok(r.report, `no JSON report: ${r.stderr}`);
      assert.equal(failing(r.report), [], `points differ for --profile ${profile}: ${JSON.stringify(r.report!.points.filter((p) => !p.pass), null, 1)}`);
      assert.is(r.code, 0);
    }
    // The same points, checked here straight against config.json rather than through a profile.
    const config = JSON.parse(readFileSync(c.config, 'utf8')) as OciConfig;
    const f = readConfinement(c.pid, [...config.linux.maskedPaths, ...config.linux.readonlyPaths], readReference());
    const kinds: Record<string, string> = { pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', user: 'user', cgroup: 'cgroup' };
    const own = f.ns.filter((n) => n.link !== n.ref).map((n) => n.kind).sort();
    assert.equal(own, config.linux.namespaces.map((n: { type: string }) => kinds[n.type]).sort(), 'own namespaces = config.json linux.namespaces');
    assert.equal(f.caps.bounding, [...config.process.capabilities.bounding].sort((a, b) => CAP_NAMES.indexOf(a) - CAP_NAMES.indexOf(b)));
    assert.equal(f.caps.effective, f.caps.bounding);
    assert.equal(f.caps.inheritable, []);
    assert.is(f.noNewPrivs.value, config.process.noNewPrivileges === true);
    assert.is(f.seccomp.mode, config.linux.seccomp ? 2 : 0);
    for (const p of config.linux.maskedPaths as string[]) {
      const x = f.paths.find((y) => y.path === p)!;
      if (x.state === 'missing') continue;
      const bound = x.mount?.mountPoint === p && (x.state === 'char' ? x.mount.raw.split(' ')[3]!.endsWith('/null') : x.mount.fsType === 'tmpfs');
      assert.ok(bound, `masked path ${p}: ${x.mount?.raw}`);
    }
    for (const p of config.linux.readonlyPaths as string[]) {
      const x = f.paths.find((y) => y.path === p)!;
      if (x.state !== 'missing') assert.ok(x.mount?.mountPoint === p && x.mount.readonly, `read-only path ${p}: ${x.mount?.raw}`);
    }
    assert.ok(!f.root.isReference && f.root.isTop, 'pivoted into a root of its own');
    assert.is(f.root.readonly, config.root.readonly === true);
    if (!isRoot) assert.equal(f.ids.uidMap, [`0 ${process.getuid!()} 1`]);
    // The human table says the same.
    const table = nslab(['inspect', String(c.pid), '--profile', profileName], { env: home.env });
    assert.is(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`every point matches ${profileName}`));
    assert.match(table.stdout, /CapBnd:\s+0000000020000420/);
  });
  assert.equal(await settledDiff(before), []);
});

const dropNs = (type: string) => (c: OciConfig) => {
  c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== type);
};
const seccompFilter = (c: OciConfig) => {
  c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['kexec_load'], action: 'SCMP_ACT_ERRNO' }] };
};

const nearMisses: { what: string; edit: (c: OciConfig) => void; differ: PointId[]; hint: RegExp }[] = [
  {
    what: '--cap-add SYS_ADMIN',
    edit: (c) => {
      for (const s of ['bounding', 'effective', 'permitted']) c.process.capabilities[s].push('CAP_SYS_ADMIN');
    },
    differ: ['capabilities'],
    hint: /sys_admin/,
  },
  // A rootless container may mount neither the host's procfs (--pid=host) nor an mqueue of the
  // host's IPC namespace (--ipc=host), so it shares the UTS namespace instead (and sets no hostname).
  isRoot
    ? { what: '--pid=host', edit: dropNs('pid'), differ: ['namespaces'], hint: /pid namespace/ }
    : {
        what: '--uts=host',
        edit: (c) => {
          dropNs('uts')(c);
          delete c.hostname;
        },
        differ: ['namespaces'],
        hint: /uts namespace/,
      },
  {
    what: '--privileged (every capability, nothing masked or read-only)',
    edit: (c) => {
      const all = allCapNames(CAP_NAMES);
      c.process.capabilities = { bounding: all, effective: all, permitted: all };
      c.linux.maskedPaths = [];
      c.linux.readonlyPaths = [];
    },
    differ: ['capabilities', 'masked-paths', 'readonly-paths'],
    hint: /--cap-add|not masked|writable/,
  },
  { what: 'a seccomp filter runc spec does not load', edit: seccompFilter, differ: ['seccomp'], hint: /seccomp filter is loaded/ },
  {
    what: 'no_new_privs left off',
    edit: (c) => {
      c.process.noNewPrivileges = false;
    },
    differ: ['no-new-privs'],
    hint: /no_new_privs is off/,
  },
];

for (const m of nearMisses)
  it(`near-miss ${m.what}: reported as different on ${m.differ.join(', ')}, and matches its own config.json`, async () => {
    await withContainer(m.edit, (c) => {
      const r = inspectCli(c.pid, profileName);
      assert.is(r.code, 1, r.stderr);
      assert.equal(failing(r.report), m.differ);
      for (const p of r.report!.points.filter((x) => !x.pass)) assert.ok(p.hint && p.hint.length > 20, `${p.id} differs without a hint`);
      assert.match(r.report!.points.find((p) => p.id === m.differ[0])!.hint!, m.hint);
      const own = inspectCli(c.pid, c.config);
      assert.equal(failing(own.report), [], `the container does not match its own config.json: ${JSON.stringify(own.report?.points.filter((p) => !p.pass))}`);
      assert.is(own.code, 0);
    });
  });

it('seccomp=unconfined: a container without a filter differs from a config that loads one', async () => {
  const withFilter = runcSpec(runc!);
  seccompFilter(withFilter);
  const profile = profileFromOci(withFilter, 'seccomp.json');
  await withContainer(undefined, (c) => {
    const r = inspectConfinement(c.pid, profile);
    assert.equal(r.points.filter((p) => !p.pass).map((p) => p.id), ['seccomp']);
    assert.match(r.points.find((p) => p.id === 'seccomp')!.hint!, /seccomp=unconfined/);
  });
});

it('a PID that is gone is exit 2 with one sentence', async () => {
  let pid = 0;
  await withContainer(undefined, (c) => {
    pid = c.pid;
  });
  const r = nslab(['inspect', String(pid)], { env: home.env });
  assert.is(r.code, 2, r.stderr);
  // Until its new parent reaps it, the killed process is a zombie: exited, but still listed.
  assert.match(r.stderr, /^nslab: (There is no process \d+ \(it may have exited\): check the PID with ps|Process \d+ has exited \(a zombie, waiting for its parent to reap it\): there is nothing left to inspect)\.\n$/, r.stderr);
});

// Unprivileged, PID 1 is another user's; root may read nearly every process, so only the
// unprivileged run can count on a refusal.
(isRoot ? (name: string, fn: () => void) => (console.log(`SKIP ${name}: root may read it; this case is for the unprivileged run`), test.skip(name, fn)) : test)('a process the caller may not read is exit 2, naming the permission problem', () => {
  const r = nslab(['inspect', '1'], { env: home.env });
  assert.is(r.code, 2);
  assert.match(r.stderr, /You may not read process 1's \/proc files: .*ptrace.*sudo\.\n$/);
});

test.run();
