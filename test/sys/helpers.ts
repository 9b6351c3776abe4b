// Shared by the test/sys tests. Anything that changes namespaces, mounts, credentials or caps
// runs in a fixture script inside fresh namespaces made by native/nslab-helper; the fixture
// prints one JSON line that the test asserts against. Independent sources (/proc read here
// with plain fs, os.constants) are parsed here, never through src/proc.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const HELPER = join(ROOT, 'native/nslab-helper');
export const asRoot = userInfo().uid === 0;

function ensureHelper(): void {
  if (existsSync(HELPER)) return;
  const built = spawnSync(process.execPath, [join(ROOT, 'native/build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('could not build native/nslab-helper');
}

export interface FixtureRun<T> {
  out: T;
  stderr: string;
  status: number | null;
}

/**
 * Runs test/sys/fixtures/<name>.ts under `nslab-helper run <flags>` and parses the last stdout
 * line as JSON. Throws with the fixture's stderr when it printed no JSON.
 */
export function runFixture<T = Record<string, unknown>>(name: string, flags: string[], args: string[] = []): FixtureRun<T> {
  ensureHelper();
  const script = join(ROOT, 'test/sys/fixtures', `${name}.ts`);
  const r = spawnSync(HELPER, ['run', ...flags, '--', process.execPath, '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let out: T;
  try {
    out = JSON.parse(last) as T;
  } catch {
    throw new Error(`fixture ${name} printed no JSON (status ${r.status}, signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return { out, stderr: r.stderr, status: r.status };
}

/** A scratch directory the sandboxed fixture (mapped root, either way) can write into. */
export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-sys-'));
  chmodSync(dir, 0o755);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The value of one `Key:\tvalue` line of a /proc status text. */
export function statusField(text: string, key: string): string {
  const line = text.split('\n').find((l) => l.startsWith(`${key}:`));
  if (line === undefined) throw new Error(`no ${key}: line in status`);
  return line.slice(key.length + 1).trim();
}

export function statusMask(text: string, key: string): bigint {
  return BigInt(`0x${statusField(text, key)}`);
}

/** Mount points and fs types of a mountinfo text: field 5 and the first field after ' - '. */
export function mountsOf(mountinfo: string): { mountPoint: string; fsType: string; source: string }[] {
  return mountinfo
    .trim()
    .split('\n')
    .map((line) => {
      const [left, right] = line.split(' - ');
      const fields = left!.split(' ');
      const [fsType, source] = right!.split(' ');
      return { mountPoint: fields[4]!, fsType: fsType!, source: source! };
    });
}

export const bit = (n: number): bigint => 1n << BigInt(n);
