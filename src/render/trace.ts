// The strace-like lines of the syscalls an experiment made: successes quiet, failures loud,
// notes ('# ...') set apart, calls that ran on the threadpool flagged.
import { style, toAscii, wrap, type RenderOptions } from './color.js';

export interface TraceOptions extends RenderOptions {
  /** Show only the last N lines (with a note of how many were left out). */
  limit?: number;
}

const CALL = /^([a-z_][a-z0-9_]*)\((.*)\)\s*=\s*(.*)$/i;

export function renderTrace(lines: string[], opts: TraceOptions = {}): string {
  const s = style(opts);
  let shown = lines;
  const out: string[] = [];
  if (opts.limit !== undefined && lines.length > opts.limit) {
    shown = lines.slice(-opts.limit);
    out.push(s.dim(`  ${s.sym.ellipsis} ${lines.length - shown.length} earlier lines`));
  }
  const width = Math.max(20, s.width - 4);
  for (const raw of shown) {
    const line = s.unicode ? raw : toAscii(raw);
    const failed = isFailure(line);
    const mark = failed ? s.red(s.bold(s.unicode ? '✘ ' : '! ')) : '  ';
    const parts = wrap(line, width);
    parts.forEach((p, i) => {
      out.push((i === 0 ? mark : '    ') + colourLine(p, i === 0, failed, s));
    });
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

/** A failed call: returns -1 with an errno name. */
export function isFailure(line: string): boolean {
  return /=\s*-1\s+E[A-Z0-9]+/.test(line);
}

function colourLine(p: string, first: boolean, failed: boolean, s: ReturnType<typeof style>): string {
  if (!s.color) return p;
  if (p.trimStart().startsWith('#')) return s.gray(s.italic(p));
  const threadpool = p.includes('[threadpool]');
  const body = threadpool ? p.replace('[threadpool]', s.yellow('[threadpool]')) : p;
  if (!first) return failed ? s.red(body) : s.dim(body);
  const m = CALL.exec(body);
  if (!m) return failed ? s.red(body) : body;
  const [, name, args, ret] = m;
  return `${s.cyan(s.bold(name))}(${args}) = ${failed ? s.red(s.bold(ret)) : s.green(ret)}`;
}
