// Whether to colour, and the few styles nslab uses. Colour is off for NO_COLOR, for a stream
// that is not a terminal, and for TERM=dumb; FORCE_COLOR turns it on (or off with 0/false).
// Without colour, output is plain ASCII-safe text: box drawing and symbols switch to ASCII too,
// so logs, CI and screen readers get clean text.

export interface RenderOptions {
  color?: boolean;
  /** Box-drawing characters and symbols; defaults to the colour decision. */
  unicode?: boolean;
  /** Columns to wrap to; defaults to the terminal width (or 100 when not a terminal). */
  width?: number;
}

type Stream = { isTTY?: boolean; columns?: number } | undefined;

export function colorEnabled(stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false', 'no'].includes(force.toLowerCase());
  if (env.TERM === 'dumb') return false;
  return Boolean(stream?.isTTY);
}

export function terminalWidth(stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env.COLUMNS);
  const w = stream?.isTTY && stream.columns ? stream.columns : Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 100;
  return Math.max(40, Math.min(w, 160));
}

export interface Style {
  color: boolean;
  unicode: boolean;
  width: number;
  bold(s: string): string;
  dim(s: string): string;
  italic(s: string): string;
  underline(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  magenta(s: string): string;
  cyan(s: string): string;
  gray(s: string): string;
  /** 'PASS'/'FAIL' (ASCII) or check marks (unicode), coloured when colour is on. */
  verdict(pass: boolean): string;
  sym: Symbols;
}

export interface Symbols {
  pass: string;
  fail: string;
  arrow: string; // one way
  both: string; // both ways
  bullet: string;
  ellipsis: string;
  vert: string;
  tee: string;
  elbow: string;
  horiz: string;
  down: string;
  evidence: string;
}

const UNICODE: Symbols = { pass: '✔', fail: '✘', arrow: '──▶', both: '◀─▶', bullet: '•', ellipsis: '…', vert: '│', tee: '├─', elbow: '└─', horiz: '─', down: '▼', evidence: '│' };
const ASCII: Symbols = { pass: 'ok', fail: 'FAIL', arrow: '-->', both: '<->', bullet: '*', ellipsis: '...', vert: '|', tee: '|-', elbow: '`-', horiz: '-', down: 'v', evidence: '|' };

const sgr = (on: number, off: number) => (s: string) => `\x1b[${on}m${s}\x1b[${off}m`;
const plain = (s: string) => s;

export function style(opts: RenderOptions = {}): Style {
  const color = opts.color ?? colorEnabled();
  const unicode = opts.unicode ?? color;
  const width = opts.width ?? terminalWidth();
  const f = (on: number, off: number) => (color ? sgr(on, off) : plain);
  const sym = unicode ? UNICODE : ASCII;
  const s: Style = {
    color,
    unicode,
    width,
    bold: f(1, 22),
    dim: f(2, 22),
    italic: f(3, 23),
    underline: f(4, 24),
    red: f(31, 39),
    green: f(32, 39),
    yellow: f(33, 39),
    blue: f(34, 39),
    magenta: f(35, 39),
    cyan: f(36, 39),
    gray: f(90, 39),
    verdict: (pass) => (pass ? s.green(s.bold(unicode ? `${sym.pass} pass` : 'pass')) : s.red(s.bold(unicode ? `${sym.fail} FAIL` : 'FAIL'))),
    sym,
  };
  return s;
}

// Matches CSI and OSC escape sequences (colours, hyperlinks).
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** Columns a string takes on screen: escapes take none, wide (CJK, most emoji) take two,
 * combining marks none. Good enough for the text nslab prints. */
export function visibleWidth(s: string): number {
  let w = 0;
  for (const ch of stripAnsi(s)) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) continue;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

export function padEnd(s: string, width: number): string {
  const w = visibleWidth(s);
  return w >= width ? s : s + ' '.repeat(width - w);
}

/** Drawing characters and symbols replaced by ASCII stand-ins, for plain output. Letters of
 * other alphabets are kept: they are the author's words, not decoration. */
export function toAscii(s: string): string {
  const map: Record<string, string> = {
    '…': '...', '—': '--', '–': '-', '‘': "'", '’': "'", '“': '"', '”': '"', '•': '*', '▶': '>', '◀': '<', '→': '->', '←': '<-', '↔': '<->',
    '─': '-', '━': '-', '═': '=', '│': '|', '┃': '|', '║': '|', '┌': '+', '┐': '+', '└': '+', '┘': '+', '├': '+', '┤': '+', '┬': '+', '┴': '+', '┼': '+',
    '╭': '+', '╮': '+', '╰': '+', '╯': '+', '✔': 'ok', '✘': 'x', '✓': 'ok', '✗': 'x', '▼': 'v', '▲': '^', '×': 'x', '·': '.', ' ': ' ',
  };
  return s.replace(/[^\x09\x0a\x0d\x20-\x7e]/gu, (ch) => map[ch] ?? ch);
}

/** Word-wraps plain or coloured text to `width` columns; words longer than a line are cut.
 * Colour codes are carried over line breaks by never splitting inside an escape. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    if (visibleWidth(para) <= width) {
      out.push(para);
      continue;
    }
    let line = '';
    let lineW = 0;
    // Keep runs of spaces attached to the preceding word so tab-separated /proc text keeps
    // its spacing where it is not broken.
    for (const token of para.split(/(?<=\s)(?=\S)/)) {
      const word = token;
      const w = visibleWidth(word);
      if (lineW + visibleWidth(word.trimEnd()) <= width) {
        line += word;
        lineW += w;
        continue;
      }
      if (line) out.push(line.trimEnd());
      line = '';
      lineW = 0;
      let rest = word;
      while (visibleWidth(rest.trimEnd()) > width) {
        const [head, tail] = cut(rest, width);
        out.push(head);
        rest = tail;
      }
      line = rest;
      lineW = visibleWidth(rest);
    }
    if (line.trim() !== '' || out.length === 0) out.push(line.trimEnd());
  }
  return out;
}

function cut(s: string, width: number): [string, string] {
  let w = 0;
  let i = 0;
  const re = new RegExp(ANSI.source, 'y');
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (m) {
      i += m[0].length;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const cw = isWide(cp) ? 2 : 1;
    if (w + cw > width) break;
    w += cw;
    i += cp > 0xffff ? 2 : 1;
  }
  // A word too long for the line breaks after its last '-' or '/' that fits (a check id
  // 'decoy-killed-from-chroot' reads as decoy-killed- / from-chroot), else where it must.
  const head = s.slice(0, i);
  const soft = Math.max(head.lastIndexOf('-'), head.lastIndexOf('/'));
  if (i < s.length && soft >= Math.floor(head.length / 3) && !/\x1b/.test(head)) return [head.slice(0, soft + 1), s.slice(soft + 1)];
  return [head, s.slice(i)];
}
