// Presenter mode read from the back of a room (checked by hand in tmux at 80x24 and 200x50):
// prose comes a screenful at a time, cut at a blank line; boxed commands and choices wrap
// under their own text; a long check id breaks at a hyphen.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { screenfuls } from '../../src/runner/flow.js';
import { box } from '../../src/render/box.js';
import { wrap } from '../../src/render/color.js';

const test = suite('presenter');

test('screenfuls: no piece taller than the screen, cut at a blank line, nothing lost', () => {
  const paras = Array.from({ length: 6 }, (_, i) => Array.from({ length: 5 }, (_, j) => `para ${i} line ${j}`).join('\n'));
  const text = paras.join('\n\n');
  const parts = screenfuls(text, 20, 18);
  assert.ok(parts.length > 1);
  assert.ok(parts[0]!.split('\n').length <= 18, 'the first piece leaves room for the page marker');
  for (const p of parts) assert.ok(p.split('\n').length <= 20);
  for (const p of parts.slice(0, -1)) assert.match(p, /line 4$/, 'each piece ends with a whole paragraph');
  assert.is(parts.join('\n\n'), text);
  assert.equal(screenfuls('short\ntext', 20), ['short\ntext']);
});

test('a boxed command whose comment wraps continues under the comment; a choice under its text', () => {
  const out = box(['$ sleep 4242.5 &                      # the decoy, started outside the chroot', '  1. The host\'s processes: /proc is the kernel\'s, and chroot does not change that'].join('\n'), { kind: 'info', width: 80, color: false, unicode: true });
  const lines = out.split('\n');
  assert.is(lines[2], '│                                         chroot                               │');
  assert.is(lines[4], '│      that                                                                    │');
  for (const l of lines) assert.ok(l.length <= 80);
});

test('a word longer than the column breaks after a hyphen', () => {
  assert.equal(wrap('decoy-killed-from-chroot', 16), ['decoy-killed-', 'from-chroot']);
  assert.equal(wrap('abcdefghijklmnopqrstuvwxyz', 10), ['abcdefghij', 'klmnopqrst', 'uvwxyz']);
});

test.run();
