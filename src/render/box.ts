// Callouts, predictions and results framed with boxen; a kind picks the colour and a default
// title, so the learner can tell a question from a verdict at a glance.
import boxen from 'boxen';
import { style, stripAnsi, toAscii, visibleWidth, type RenderOptions } from './color.js';

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

export function box(text: string, opts: BoxOptions): string {
  const s = style(opts);
  const k = KIND[opts.kind];
  const title = opts.title ?? k.label;
  const widest = Math.max(...text.split('\n').map(visibleWidth), visibleWidth(title) + 4);
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
