// Real containers for the tests, started by runc (a runtime nobody here wrote) from a bundle made
// of nslab's own rootfs and `runc spec`. Every container is deleted (runc delete -f) and its
// bundle removed, even when an assertion fails first.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const isRoot = process.geteuid?.() === 0;

/** runc's path, or null when it is not installed. */
export function findRunc(): string | null {
  for (const p of ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc']) {
    const r = spawnSync(p, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return null;
}

export type OciConfig = Record<string, any>;

/** What `runc spec` writes here: the rootless form for an unprivileged caller. */
export function runcSpec(runc: string, rootless = !isRoot): OciConfig {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-runc-spec-'));
  try {
    const r = spawnSync(runc, ['spec', ...(rootless ? ['--rootless'] : [])], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`runc spec failed: ${r.stderr}`);
    return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as OciConfig;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Container {
  id: string;
  pid: number;
  bundle: string;
  config: string;
}

let seq = 0;
const live: { runc: string; state: string; id: string; dir: string }[] = [];

function remove(c: (typeof live)[number]): void {
  spawnSync(c.runc, ['--root', c.state, 'delete', '-f', c.id], { stdio: 'ignore' });
  rmSync(c.dir, { recursive: true, force: true });
}

process.on('exit', () => {
  for (const c of live.splice(0)) remove(c);
});

/**
 * Starts `sleep` in a container whose config is `runc spec`'s (rootless when not root) with the
 * rootfs as its root, changed by `edit` (a near-miss). Resolves with its host PID; throws with
 * runc's own words when runc refuses.
 */
export function startContainer(runc: string, rootfs: string, edit: (c: OciConfig) => void = () => {}): Container {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-runc-'));
  chmodSync(dir, 0o755);
  const id = `nslab-test-${process.pid}-${++seq}`;
  const state = join(dir, 'state');
  const entry = { runc, state, id, dir };
  live.push(entry);
  const config = runcSpec(runc);
  config.root.path = rootfs;
  config.process.terminal = false;
  config.process.args = ['/bin/sleep', '1000'];
  edit(config);
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  // Without a terminal the container inherits runc's stdio: a pipe would stay open as long as
  // the container runs, so runc's words go to a file.
  const log = join(dir, 'runc.log');
  const fd = openSync(log, 'w');
  const r = spawnSync(runc, ['--root', state, 'run', '--detach', '--bundle', dir, id], { stdio: ['ignore', 'ignore', fd], timeout: 60_000 });
  closeSync(fd);
  if (r.status !== 0) {
    const why = readFileSync(log, 'utf8').trim();
    remove(entry);
    live.splice(live.indexOf(entry), 1);
    throw new Error(`runc run failed (${r.status ?? r.signal}): ${why}`);
  }
  const st = spawnSync(runc, ['--root', state, 'state', id], { encoding: 'utf8' });
  const pid = Number(JSON.parse(st.stdout).pid);
  return { id, pid, bundle: dir, config: file };
}

export function stopContainer(c: Container): void {
  const i = live.findIndex((x) => x.id === c.id);
  if (i >= 0) remove(live.splice(i, 1)[0]!);
}

/** Every capability the caller may hand on (its bounding set, by name), as Docker's
 * --privileged does: on some machines even root's bounding set lacks one. */
export function allCapNames(names: readonly string[]): string[] {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  const mask = BigInt(`0x${hex}`);
  return names.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}
