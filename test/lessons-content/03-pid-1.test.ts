// Lesson 03 end to end through the real engine and CLI (test/support/lesson-suite.ts): it runs
// in full as root and unprivileged alike.
import { lessonSuite } from '../support/lesson-suite.js';

lessonSuite({ id: '03-pid-1' }).run();
