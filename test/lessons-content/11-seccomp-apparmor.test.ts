// Lesson 11 end to end through the real engine and CLI (test/support/lesson-suite.ts), as root
// and unprivileged: the seccomp experiments pass; the AppArmor one passes where AppArmor is
// active and otherwise is skipped with the reason (never passed) while the lesson passes.
import { existsSync, readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { lessonSuite } from '../support/lesson-suite.js';

const enabled = '/sys/module/apparmor/parameters/enabled';
const apparmorActive = existsSync(enabled) && readFileSync(enabled, 'utf8').trim() === 'Y';

lessonSuite({
  id: '11-seccomp-apparmor',
  optional: [{ experiment: 'apparmor-label', skips: () => !apparmorActive, reason: /AppArmor is not active on this machine/ }],
  verified(l) {
    const byId = Object.fromEntries(l.experiments.map((e) => [e.id, e]));
    assert.equal(Object.keys(byId), ['block-unshare', 'tsync', 'no-new-privs', 'apparmor-label']);
    for (const id of ['block-unshare', 'tsync', 'no-new-privs']) assert.is(byId[id]!.status, 'pass', `${id}: ${byId[id]!.reason}`);
    if (!apparmorActive) {
      assert.is(byId['apparmor-label']!.status, 'skip');
      assert.match(l.reason, /apparmor-label \(optional\): AppArmor is not active/);
    }
  },
  checks: apparmorActive ? 11 : 9,
  sabotages: { atLeast: 6 },
}).run();
