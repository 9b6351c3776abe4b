// Lesson 08 end to end through the real engine and CLI (test/support/lesson-suite.ts), as root
// and unprivileged (it skips only where the doctor finds no user namespaces). No interface
// ever shows up on the host, and nslab is killed while the lesson's container serves.
import { lessonSuite, NETWORK_LESSON } from '../support/lesson-suite.js';

lessonSuite({
  id: '08-debugging-a-container',
  ...NETWORK_LESSON,
  checks: 13,
  sabotages: { atLeast: 9 },
  kill: { ready: 'nslab-tools httpd' },
}).run();
