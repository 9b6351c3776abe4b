// Lesson 14 end to end through the real engine and CLI (test/support/lesson-suite.ts), as root
// and unprivileged: the overlay is always mounted from a user namespace, and after a SIGKILL
// mid-lesson no overlay or tmpfs is left (they live in the sandbox's mount namespace only).
import * as assert from 'uvu/assert';
import { lessonSuite } from '../support/lesson-suite.js';

const suite = lessonSuite({
  id: '14-overlayfs',
  checks: 9,
  sabotages: 6,
  verified(l) {
    assert.equal(
      l.experiments.map((e) => e.id),
      ['stack-layers', 'copy-up', 'whiteout'],
    );
  },
});

suite.run();
