// Lesson 06 end to end through the real engine and CLI (test/support/lesson-suite.ts).
// Unprivileged without newuidmap and a subordinate id range, a sandbox has one uid: the lesson
// must skip with that reason, never pass. With them, it runs in full like root.
import { uidRangeSupport } from '../../src/sandbox/index.js';
import { lessonSuite } from '../support/lesson-suite.js';

lessonSuite({ id: '06-setuid', skip: { expected: () => !uidRangeSupport().ok, reason: /more than one uid/ } }).run();
