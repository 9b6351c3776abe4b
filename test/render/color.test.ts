import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { colorEnabled, style, stripAnsi, visibleWidth, wrap, toAscii } from '../../src/render/color.js';

const C = suite('color');

C('NO_COLOR, FORCE_COLOR, TTY and TERM=dumb', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  assert.is(colorEnabled(tty, {}), true);
  assert.is(colorEnabled(pipe, {}), false);
  assert.is(colorEnabled(tty, { NO_COLOR: '1' }), false);
  assert.is(colorEnabled(tty, { NO_COLOR: '1', FORCE_COLOR: '1' }), false);
  assert.is(colorEnabled(tty, { NO_COLOR: '' }), true);
  assert.is(colorEnabled(pipe, { FORCE_COLOR: '1' }), true);
  assert.is(colorEnabled(tty, { FORCE_COLOR: '0' }), false);
  assert.is(colorEnabled(tty, { TERM: 'dumb' }), false);
});

C('plain style emits no escapes and ASCII symbols', () => {
  const s = style({ color: false });
  const text = [s.bold('a'), s.red('b'), s.verdict(true), s.verdict(false), ...Object.values(s.sym)].join(' ');
  assert.not.match(text, /\x1b/);
  assert.ok(/^[\x20-\x7e]*$/.test(text), text);
  const c = style({ color: true });
  assert.match(c.red('x'), /\x1b\[31mx\x1b\[39m/);
});

C('width, stripping and wrapping', () => {
  assert.is(stripAnsi('\x1b[1mhi\x1b[22m \x1b]8;;http://x\x07link\x1b]8;;\x07'), 'hi link');
  assert.is(visibleWidth('\x1b[31m日本\x1b[39m'), 4);
  assert.equal(wrap('the quick brown fox jumps', 10), ['the quick', 'brown fox', 'jumps']);
  assert.equal(wrap('abcdefghijkl', 5), ['abcde', 'fghij', 'kl']);
  const coloured = wrap(`\x1b[31m${'word '.repeat(6)}\x1b[39m`, 12);
  assert.ok(coloured.every((l) => visibleWidth(l) <= 12), JSON.stringify(coloured));
  assert.is(toAscii('a ─▶ b … ✔ é'), 'a -> b ... ok é');
});

C.run();
