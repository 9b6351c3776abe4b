// Evidence is the raw /proc or trace text a verdict rests on. It is shown verbatim, so it is
// only normalised: made into single lines of text and bounded so a check that returns a whole
// mountinfo cannot flood the table.

export const MAX_EVIDENCE_LINES = 12;
export const MAX_EVIDENCE_WIDTH = 400;

/** One line of text from anything a check may put in evidence (BigInt, numbers, objects). */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return `0x${value.toString(16)}`;
  if (value === undefined) return 'undefined';
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
    } catch {
      return String(value);
    }
  }
  return String(value);
}

export function truncateLine(line: string, max = MAX_EVIDENCE_WIDTH): string {
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Evidence as a bounded list of lines: multi-line strings split, tabs kept as /proc has them,
 * blank lines dropped, a note saying how many lines were left out. */
export function normalizeEvidence(value: unknown, maxLines = MAX_EVIDENCE_LINES, maxWidth = MAX_EVIDENCE_WIDTH): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  const lines: string[] = [];
  for (const item of items) {
    for (const l of textOf(item).split(/\r?\n/)) if (l.trim() !== '') lines.push(truncateLine(l.replace(/\s+$/, ''), maxWidth));
  }
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines - 1);
  kept.push(`… ${lines.length - kept.length} more lines`);
  return kept;
}

/** A JavaScript stack frame ("    at f (file:///x.js:53:15)"): the learner sees the sentence
 * and the trace, the frames only with NSLAB_DEBUG=1. */
const STACK_FRAME = /^\s+at \S.*(:\d+:\d+\)?|\(native\)|\(<anonymous>\))$/;
export const showStacks = (): boolean => process.env.NSLAB_DEBUG === '1';

/** The last few non-empty lines of a text (stderr, a trace) for evidence of a failed run,
 * without stack frames unless NSLAB_DEBUG=1. */
export function tailLines(text: string | string[], n: number): string[] {
  const debug = showStacks();
  const lines = (Array.isArray(text) ? text : text.split(/\r?\n/)).filter((l) => l.trim() !== '' && (debug || !STACK_FRAME.test(l)));
  return lines.slice(-n);
}
