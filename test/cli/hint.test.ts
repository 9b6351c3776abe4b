// `nslab hint` outside the shell: open experiments and open exercises, each with what to do next.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { ROOT, nslab, plain, tempHome } from './helpers.js';

const EXERCISES = join(ROOT, 'test', 'fixtures', 'exercise', 'lessons');
const test = suite('hint');
const home = tempHome();
test.after(() => home.cleanup());

test('an unpassed exercise is hinted with its first hint and where to do it', () => {
  const r = nslab(['--lessons', EXERCISES, 'hint', '1'], { env: home.env });
  assert.is(r.code, 0, r.stderr);
  const out = plain(r.stdout);
  assert.match(out, /Exercise: .*\(nnp\)/);
  assert.match(out, /setpriv --no-new-privs\n/);
  assert.match(out, /Do it in: nslab shell 01-exfix/);
  assert.match(out, /Exercise: .*\(pid1\)/);
});

test.run();
