// Rootless podman's pause process: the first podman command of a user leaves a `podman pause`
// process behind, re-parented to init, holding podman's user namespace. What nslab's podman
// commands started must be gone once nslab is, after a normal exit and after a SIGKILL (then its
// container janitor stops it), and one that was there before nslab must be left alone.
// Each test's podman runs with a HOME and XDG_RUNTIME_DIR of its own, so its pause process is
// named by its own pause.pid and no other podman user on this machine is touched.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readStat } from '../../src/proc/index.js';
import { scaled } from '../../src/sandbox/time.js';
import { ROOT } from '../cli/helpers.js';

const test = suite('rootless podman: the pause process nslab started goes with it');
const temp = mkdtempSync(join(tmpdir(), 'nslab-pause-'));
chmodSync(temp, 0o700);
const run = join(temp, 'run');
const data = join(temp, 'data');
mkdirSync(run, { mode: 0o700 });
const env: NodeJS.ProcessEnv = { ...process.env, HOME: temp, XDG_RUNTIME_DIR: run, XDG_DATA_HOME: data, XDG_CONFIG_HOME: join(temp, 'config') };
const pidFile = join(run, 'libpod', 'tmp', 'pause.pid');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const podman = (args: string[]) => spawnSync('podman', args, { env, encoding: 'utf8', timeout: scaled(60_000) });
const unprivileged = process.getuid?.() !== 0;
const probe = unprivileged ? podman(['info', '--format', '{{.Host.Security.Rootless}}']) : undefined;
const why = !unprivileged
  ? "root's podman has no pause process"
  : probe!.error || probe!.status !== 0
    ? `podman does not answer here (${(probe!.stderr ?? String(probe!.error)).trim().split('\n').pop() || 'not installed'})`
    : undefined;
if (why) console.log(`SKIP rootless podman's pause process: ${why}`);
const podmanTest = why ? test.skip : test;

/** The pause process podman's pause.pid names, with its start time, or undefined. */
function pause(): { pid: number; start: number } | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    const s = readStat(pid);
    return s.comm === 'podman pause' && s.state !== 'Z' ? { pid, start: s.starttime } : undefined;
  } catch {
    return undefined;
  }
}
const alive = (p: { pid: number; start: number }): boolean => {
  const now = pause();
  return now?.pid === p.pid && now.start === p.start;
};
/** This test's own pause process (its probe or setup started it), stopped by the test itself. */
async function stopOurs(): Promise<void> {
  const p = pause();
  if (!p) return;
  process.kill(p.pid, 'SIGKILL');
  for (const until = Date.now() + scaled(10_000); alive(p) && Date.now() < until; ) await sleep(20);
}

const rootfs = join(temp, 'rootfs');
mkdirSync(rootfs);
writeFileSync(join(rootfs, 'hello'), 'a one-file image\n');
const script = join(temp, 'nslab-podman.mts');
writeFileSync(
  script,
  `import { containerSession, findRuntime } from ${JSON.stringify(join(ROOT, 'src', 'kit', 'runtime.ts'))};
const rt = await findRuntime(['podman']);
if ('reason' in rt) { console.log('no runtime:', rt.reason); process.exit(3); }
if (process.argv[2] === 'session') { await containerSession(rt, ${JSON.stringify(rootfs)}); console.log('in session'); setInterval(() => {}, 1000); }
else console.log('answered');
`,
);

/** nslab's runtime driver in a process of its own: 'info' asks podman and exits, 'session'
 * imports an image and stays until killed. Resolves with its output once `until` shows in it. */
function nslab(mode: 'info' | 'session', until: string) {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, mode], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const closed = new Promise<number | null>((r) => child.on('close', r));
  const seen = new Promise<string>((resolve) => {
    const on = (d: string) => ((out += d), out.includes(until) && resolve(out));
    child.stdout.setEncoding('utf8').on('data', on);
    child.stderr.setEncoding('utf8').on('data', on);
    void closed.then(() => resolve(out));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), scaled(90_000));
  void closed.then(() => clearTimeout(timer));
  return { child, closed, seen };
}

test.before(async () => {
  if (!why) await stopOurs();
});
test.after(async () => {
  if (!why) {
    // The image's layers belong to subordinate uids: only inside podman's namespace may they go.
    podman(['unshare', 'rm', '-rf', join(data, 'containers')]);
    await stopOurs();
  }
  rmSync(temp, { recursive: true, force: true });
});

podmanTest('a pause process that nslab started is gone when nslab exits', async () => {
  assert.is(pause(), undefined, 'no pause process before');
  const n = nslab('info', 'answered');
  const out = await n.seen;
  assert.is(await n.closed, 0, out);
  assert.ok(existsSync(pidFile), `podman made a pause process (${pidFile})`);
  assert.is(pause(), undefined, `the pause process ${readFileSync(pidFile, 'utf8').trim()} is gone`);
});

podmanTest('a pause process that was there before nslab is left alone', async () => {
  assert.is(podman(['info', '--format', '{{.Host.Security.Rootless}}']).status, 0);
  const before = pause();
  assert.ok(before, 'podman info started a pause process');
  const n = nslab('info', 'answered');
  const out = await n.seen;
  assert.is(await n.closed, 0, out);
  assert.ok(alive(before!), `the pause process ${before!.pid} that was there before is still there`);
  await stopOurs();
});

podmanTest('nslab SIGKILLed during a container session: its janitor stops the pause process', async () => {
  assert.is(pause(), undefined, 'no pause process before');
  const n = nslab('session', 'in session');
  const out = await n.seen;
  assert.ok(out.includes('in session'), out);
  const p = pause();
  assert.ok(p, 'the session runs in a pause process of its own');
  n.child.kill('SIGKILL');
  await n.closed;
  for (const until = Date.now() + scaled(60_000); alive(p!) && Date.now() < until; ) await sleep(100);
  assert.not.ok(alive(p!), `the pause process ${p!.pid} is gone after the janitor ran`);
});

test.run();
