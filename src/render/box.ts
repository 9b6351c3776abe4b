// Callouts, predictions and results framed with boxen; a kind picks the colour and a default
// title, so the learner can tell a question from a verdict at a glance.
import boxen from 'boxen';
import { style, stripAnsi, toAscii, visibleWidth, wrap, type RenderOptions } from './color.js';

export type BoxKind = 'info' | 'predict' | 'success' | 'fail' | 'warn';

export interface BoxOptions extends RenderOptions {
  title?: string;
  kind: BoxKind;
}

const KIND: Record<BoxKind, { color: string; label: string }> = {
  info: { color: 'cyan', label: 'Note' },
  predict: { color: 'magenta', label: 'Predict' },
  success: { color: 'green', label: 'Passed' },
  fail: { color: 'red', label: 'Failed' },
  warn: { color: 'yellow', label: 'Warning' },
};

/** Where a wrapped line's continuation starts: under a trailing `# comment`'s text, under a
 * numbered choice's text, or under a command after its `$ `. */
function hangOf(line: string): number {
  const plain = stripAnsi(line);
  const comment = /^(\s*\$ .*?\s{2,})# /.exec(plain);
  if (comment) return comment[1]!.length + 2;
  const item = /^(\s*(?:\d+\.|[-*])\s+)/.exec(plain);
  if (item) return item[1]!.length;
  const cmd = /^(\s*\$ )/.exec(plain);
  return cmd ? cmd[1]!.length : (/^\s*/.exec(plain)?.[0].length ?? 0);
}

/** Lines wider than the box wrap with a hanging indent, so a comment, a choice or a command
 * still reads as one (boxen alone would start its rest at the left edge). */
function hang(text: string, inner: number): string {
  return text
    .split('\n')
    .flatMap((line) => {
      if (visibleWidth(line) <= inner) return [line];
      const indent = hangOf(line);
      if (indent >= inner - 10) return [line];
      const [first, ...rest] = wrap(line, inner);
      const tail = rest.length ? wrap(rest.join(' '), inner - indent).map((l) => ' '.repeat(indent) + l) : [];
      return [first!, ...tail];
    })
    .join('\n');
}

export function box(text: string, opts: BoxOptions): string {
  const s = style(opts);
  const k = KIND[opts.kind];
  const title = opts.title ?? k.label;
  const widest = Math.max(...text.split('\n').map(visibleWidth), visibleWidth(title) + 4);
  // Border and padding take 4 columns.
  text = hang(text, Math.min(s.width, widest + 4) - 4);
  const out = boxen(s.color ? text : stripAnsi(text), {
    title: s.color ? s.bold(title) : title,
    titleAlignment: 'left',
    padding: { top: 0, bottom: 0, left: 1, right: 1 },
    margin: 0,
    borderStyle: s.unicode ? 'round' : 'classic',
    ...(s.color ? { borderColor: k.color as 'cyan' } : {}),
    // Only as wide as the text needs, never wider than the terminal.
    width: Math.min(s.width, widest + 4),
  });
  if (!s.color) return s.unicode ? stripAnsi(out) : toAscii(stripAnsi(out));
  return out;
}
