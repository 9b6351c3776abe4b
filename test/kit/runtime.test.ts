// The kit's container runtime driver where a runtime refuses: the Vagrant box after
// provision.sh, where docker.io is installed but its daemon does not talk to the user. There,
// `docker info` exits 0 with only the client's half and the daemon's refusal in ServerErrors,
// and `docker import` fails before reading the rootfs tar sends it. No daemon runs here, so a
// `docker` first on PATH answers as that one did (its words are copied from the VM); the tar,
// the pipes and nslab's process are real.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withContainers } from '../../src/kit/runtime.js';
import { listPids, readCmdline } from '../../src/proc/index.js';
import { scaled } from '../../src/sandbox/time.js';
import { ROOT } from '../cli/helpers.js';

const test = suite('kit runtime: a runtime that refuses');
const temp = mkdtempSync(join(tmpdir(), 'nslab-runtime-'));
test.after(() => rmSync(temp, { recursive: true, force: true }));
const DENIED = 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info": dial unix /var/run/docker.sock: connect: permission denied';

const bin = join(temp, 'bin');
mkdirSync(bin);
writeFileSync(
  join(bin, 'docker'),
  `#!/bin/sh
case "$1" in
info)
  if [ "$FAKE_INFO" = denied ]; then echo '{"ServerErrors":["${DENIED.replaceAll('"', '\\"')}"],"ClientInfo":{"Debug":false}}'
  else echo '{"Driver":"overlay2","DockerRootDir":"/var/lib/docker","DefaultRuntime":"runc","SecurityOptions":[]}'; fi ;;
import) echo 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock' >&2; exit 1 ;;
esac
exit 0
`,
);
chmodSync(join(bin, 'docker'), 0o755);
// More than a pipe holds (64 KiB), so a tar nobody reads blocks.
const rootfs = join(temp, 'rootfs');
mkdirSync(rootfs);
writeFileSync(join(rootfs, 'big'), Buffer.alloc(1 << 20, 1));
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

test("docker info with the daemon's refusal in ServerErrors: a skip that says so, no container tried", async () => {
  const saved = { PATH: process.env.PATH, FAKE_INFO: process.env.FAKE_INFO };
  Object.assign(process.env, { PATH: env.PATH, FAKE_INFO: 'denied' });
  try {
    let used = false;
    const r = await withContainers(rootfs, async () => (used = true), ['docker']);
    assert.not.ok(used, 'no session began');
    assert.match(r.skip ?? '', 'docker cannot reach its daemon: permission denied while trying to connect');
    assert.match(r.skip ?? '', 'sudo');
  } finally {
    process.env.PATH = saved.PATH;
    if (saved.FAKE_INFO === undefined) delete process.env.FAKE_INFO;
    else process.env.FAKE_INFO = saved.FAKE_INFO;
  }
});

test('an import that fails before reading the tar: the error comes back and nslab can still exit', async () => {
  // In a process of its own: what is under test is that nothing (tar blocked on a full pipe)
  // keeps its event loop alive after the failure.
  const script = join(temp, 'import.mts');
  writeFileSync(
    script,
    // The interval stands for the rest of nslab (its sandboxes' pipes), which keeps the loop
    // alive while the runtime's janitor, unreferenced on purpose, finishes; cleared at the end,
    // nothing of the failed session may be left holding it.
    `import { withContainers } from ${JSON.stringify(join(ROOT, 'src', 'kit', 'runtime.ts'))};
const busy = setInterval(() => {}, 1000);
try { await withContainers(${JSON.stringify(rootfs)}, async () => 'ran', ['docker']); console.log('no error'); }
catch (err) { console.log('error:', err.message); }
clearInterval(busy);
`,
  );
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  const timer = setTimeout(() => child.kill('SIGKILL'), scaled(20_000));
  const code = await exited;
  clearTimeout(timer);
  assert.ok(out.includes(`error: docker import of ${rootfs} failed: permission denied`), out);
  assert.is(code, 0, `it exited by itself, not by the deadline:\n${out}`);
  const tars = listPids().filter((p) => {
    try {
      return readCmdline(p).includes(rootfs);
    } catch {
      return false;
    }
  });
  assert.equal(tars, [], 'no tar of the rootfs is left');
});

test.run();
