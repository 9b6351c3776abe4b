// Lesson 09 end to end through the real engine and CLI (test/support/lesson-suite.ts), as root
// and unprivileged (it skips only where the doctor finds no user namespaces). No veth ever
// shows up in the host's network namespace (sampled throughout), and nslab is killed while the
// pair exists: once the server in namespace B listens.
import { lessonSuite, NETWORK_LESSON } from '../support/lesson-suite.js';

lessonSuite({
  id: '09-network-namespaces',
  ...NETWORK_LESSON,
  checks: 6,
  sabotages: { atLeast: 6 },
  kill: { ready: 'srv.listen' },
}).run();
