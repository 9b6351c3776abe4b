// Lesson 12 end to end through the real engine and CLI (test/support/lesson-suite.ts), as root
// and unprivileged; after a SIGKILL mid-lesson no tmpfs is left (they live in the sandbox's
// mount namespaces only).
import * as assert from 'uvu/assert';
import { lessonSuite } from '../support/lesson-suite.js';

lessonSuite({
  id: '12-threads-and-namespaces',
  checks: 9,
  sabotages: 5,
  verified(l) {
    assert.equal(
      l.experiments.map((e) => e.id),
      ['userns-einval', 'threadpool-trap', 'helper-agrees'],
    );
  },
}).run();
