// Lesson 08 end to end through the real engine and CLI (test/support/lesson-suite.ts), as root
// and unprivileged (it skips only where the doctor finds no user namespaces). No interface
// ever shows up on the host, and nslab is killed while the lesson's container serves.
// Where podman or docker answers, its optional real-container experiment runs for real (rootless
// podman unprivileged), passes, and leaves no container or image, even when nslab is SIGKILLed.
import { spawn, spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { lessonSuite, NETWORK_LESSON } from '../support/lesson-suite.js';
import { command, ROOT, tempHome } from '../cli/helpers.js';
import { scaled } from '../../src/sandbox/time.js';
import { findRuntime } from '../../src/kit/runtime.js';

// Asked as nslab asks it, which also has this file's own podman commands (ps, images) leave no
// rootless pause process behind: one they started is stopped at its exit, as nslab's are.
const found = await findRuntime(['podman', 'docker']);
const runtime = 'reason' in found ? undefined : found.name;
// Rootless podman keeps its storage under $XDG_DATA_HOME (else $HOME/.local/share): the user's
// own, not a temporary HOME's, whose image layers (owned by subordinate uids) it could not delete.
if (runtime && process.geteuid?.() !== 0) process.env.XDG_DATA_HOME ??= join(userInfo().homedir, '.local', 'share');

/** This runtime's containers and images that an nslab with this PID made. */
function ownedBy(pid: number): string[] {
  const ps = spawnSync(runtime!, ['ps', '-a', '--filter', 'label=io.nslab.owner', '--format', '{{.Names}}'], { encoding: 'utf8' }).stdout;
  const images = spawnSync(runtime!, ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).stdout;
  return [...ps.split('\n').filter((n) => n.startsWith(`nslab-${pid}-`)), ...images.split('\n').filter((r) => r.includes(`nslab-rootfs:${pid}-`))];
}

const test = lessonSuite({
  id: '08-debugging-a-container',
  ...NETWORK_LESSON,
  optional: [{ experiment: 'real-container', skips: () => !runtime, reason: /needs a container runtime that answers/ }],
  checks: runtime ? 18 : 13,
  sabotages: { atLeast: runtime ? 13 : 9 },
  kill: { ready: 'nslab-tools httpd' },
  verified: (v) => {
    if (!runtime) return;
    const real = v.checks.filter((c: any) => c.experiment === 'real-container');
    assert.equal(real.map((c: any) => c.id), ['lsns-real-container', 'findmnt-real-root', 'masked-paths', 'readonly-paths', 'nsenter-ps-real']);
    // Judged on a container that the runtime started from nslab's imported rootfs.
    assert.match(real[0].evidence, new RegExp(`^${runtime} run -d --rm --name nslab-\\d+-\\d+-\\d+-1-web .* nslab-rootfs:\\d+-\\d+-\\d+ sleep 600$`, 'm'));
    assert.match(real[4].evidence, /^\s+1 sleep 600$/m);
  },
});

test('real-container: nslab SIGKILLed while the real container runs leaves no container or image', async () => {
  if (!runtime) return console.log('# no podman or docker answers here: nothing to kill');
  const home = tempHome();
  try {
    const [node, ...rest] = command();
    const child = spawn(node!, [...rest, 'verify', '08', '--json'], { cwd: ROOT, env: home.env, stdio: 'ignore' });
    const closed = new Promise((r) => child.on('close', r));
    let seen: string[] = [];
    for (const until = Date.now() + scaled(120_000); !seen.some((n) => n.endsWith('-sidecar')) && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 200));
      seen = ownedBy(child.pid!);
    }
    child.kill('SIGKILL');
    await closed;
    assert.ok(seen.some((n) => n.endsWith('-sidecar')), `the sidecar never ran under nslab (${seen.join(', ')})`);
    // Its janitor, a process of its own that waits for nslab's end, removes them.
    let left = ownedBy(child.pid!);
    for (const until = Date.now() + scaled(60_000); left.length && Date.now() < until; left = ownedBy(child.pid!)) await new Promise((r) => setTimeout(r, 200));
    assert.equal(left, [], 'containers and image of the killed nslab are gone');
  } finally {
    home.cleanup();
  }
});

test.run();
