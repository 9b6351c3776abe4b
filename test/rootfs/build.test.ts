// Both builders, for real: each rootfs is built into a temp dir and booted in a sandbox
// (user + mount + PID namespaces, pivot_root) whose shell runs ls, ps, mount and id. The default
// builder copies this machine's programs; the busybox one runs when a static busybox is there
// ($NSLAB_BUSYBOX or busybox-static) and is reported as skipped otherwise.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildRootfs, rootfsStatus, type BuildMethod } from '../../src/rootfs/index.js';
import { withBusybox } from '../support/rootfs.js';
import { scaled } from '../../src/sandbox/time.js';

const root = resolve(import.meta.dirname, '..', '..');
const helper = join(root, 'native', 'nslab-helper');
const temp = mkdtempSync(join(tmpdir(), 'nslab-rootfs-test-'));

const build = suite('rootfs builders');

build.before(async () => {
  // Built by `npm install` already; this only compiles it when the source is newer.
  await execa(process.execPath, [join(root, 'native', 'build.mjs')], { cwd: root });
});
build.after(() => rmSync(temp, { recursive: true, force: true }));

async function boot(dir: string): Promise<string> {
  // As root the helper skips the user namespace unless asked; -U makes both users run the
  // same thing: a mapped root inside.
  // ps -e -o pid,comm: procps' bare ps shows only the caller's terminal; busybox ps takes -o too
  // (and ignores -e, showing everything anyway).
  const r = await execa(helper, ['run', '-U', '-m', '-p', '--rootfs', dir, '--', '/bin/sh', '-c', 'ls /; echo ---; ps -e -o pid,comm; echo ---; mount; echo ---; id'], {
    reject: false,
    timeout: scaled(20_000),
    env: { PATH: '/bin:/sbin:/usr/bin:/usr/sbin' },
    extendEnv: false,
  });
  assert.is(r.exitCode, 0, `the sandbox shell failed: ${r.stderr}`);
  return r.stdout;
}

function assertBooted(out: string): void {
  const [ls, ps, mount, id] = out.split('\n---\n') as [string, string, string, string];
  const names = ls.split('\n');
  for (const d of ['bin', 'proc', 'tmp', 'dev', 'etc', 'oldroot']) assert.ok(names.includes(d), `ls / shows ${d}:\n${ls}`);
  // The shell is PID 1 of its own PID namespace and ps (reading the new /proc) sees only it and itself.
  assert.match(ps, /^\s*1\s.*\bsh\b/m, `ps shows the shell as PID 1:\n${ps}`);
  assert.ok(ps.trim().split('\n').length <= 4, `ps sees only the sandbox:\n${ps}`);
  assert.match(mount, /^proc on \/proc type proc /m, `mount shows proc on /proc:\n${mount}`);
  assert.match(mount, /^tmpfs on \/tmp type tmpfs /m, `mount shows tmpfs on /tmp:\n${mount}`);
  assert.match(id, /^uid=0\(root\) gid=0\(root\)/, `id inside: ${id}`);
}

for (const method of ['busybox', 'host'] as BuildMethod[]) {
  (method === 'busybox' ? (name: string, fn: () => Promise<void>) => withBusybox(build, name, fn) : build)(`${method}: builds a ready rootfs that boots a sandbox shell`, async () => {
    const dir = join(temp, method);
    const lines: string[] = [];
    const manifest = await buildRootfs(dir, { method, onProgress: (l) => lines.push(l) });
    assert.is(manifest.kind, method);
    assert.ok(lines[0]!.length > 0, 'the first progress line says which builder and why');
    assert.match(lines[0]!, method === 'busybox' ? /busybox/ : /this machine's own programs/);
    if (method === 'host') {
      // One summary line for the copying, not one line per file.
      const copied = lines.filter((l) => /^copied \d+ programs and \d+ libraries from this machine \(\d+ MiB\)$/.test(l));
      assert.is(copied.length, 1, lines.join('\n'));
      assert.is(Number(/^copied (\d+)/.exec(copied[0]!)![1]), manifest.binaries!.length, 'the count is the programs the marker lists');
      assert.ok(lines.length < 12, `a short build log:\n${lines.join('\n')}`);
    }
    const status = rootfsStatus(dir);
    assert.is(status.state, 'ready', status.reason);
    assert.ok(statSync(join(dir, 'tmp')).mode & 0o1000, 'tmp is sticky');
    assert.ok(statSync(join(dir, 'dev', 'null')).isFile(), 'dev/null is an empty file to bind the host device onto');
    if (method === 'busybox') {
      assert.match(manifest.busybox?.version ?? '', /^BusyBox v\d/);
      // Relative links: the rootfs works wherever it is mounted.
      assert.is(readlinkSync(join(dir, 'bin', 'ls')), 'busybox');
      assert.is(readlinkSync(join(dir, 'usr', 'bin', 'env')), '../../bin/busybox');
    } else {
      assert.ok(manifest.binaries!.some((b) => b.endsWith('/ls')), 'ls was copied');
    }
    assertBooted(await boot(dir));
  });
}

build('a rebuild replaces the old rootfs atomically and leaves nothing beside it', async () => {
  const dir = join(temp, 'rebuild');
  await buildRootfs(dir, { method: 'host' });
  const first = rootfsStatus(dir).manifest!.builtAt;
  await buildRootfs(dir, {});
  const s = rootfsStatus(dir);
  assert.is(s.state, 'ready');
  assert.is(s.manifest!.kind, 'host', 'host programs by default, busybox only when asked');
  assert.ok(s.manifest!.builtAt >= first);
  const { readdirSync } = await import('node:fs');
  assert.equal(readdirSync(temp).filter((n) => n.startsWith('rebuild')), ['rebuild']);
});

build.run();
