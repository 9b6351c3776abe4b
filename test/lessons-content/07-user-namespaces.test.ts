// Lesson 07 end to end through the real engine and CLI (test/support/lesson-suite.ts), as root
// and unprivileged; a SIGKILL of nslab mid-lesson leaves no mount, process or hostname, and the
// shm segment (IPC_RMID'd while attached) goes with its last user.
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { lessonSuite } from '../support/lesson-suite.js';

lessonSuite({
  id: '07-user-namespaces',
  checks: { atLeast: 12 },
  sabotages: { atLeast: 8 },
  verified(l) {
    assert.equal(
      l.experiments.map((e) => e.id),
      ['before-the-map', 'root-inside-outside', 'who-owns-what', 'uts-hostname', 'ipc-shm'],
    );
  },
  kill: {
    after() {
      // No segment of the lesson's size is left in the host's IPC namespace.
      const shm = readFileSync('/proc/sysvipc/shm', 'utf8');
      assert.not.ok(shm.split('\n').some((l) => l.trim().split(/\s+/)[3] === String(65536 + 4242)), shm);
    },
  },
}).run();
