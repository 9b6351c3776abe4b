// Best-effort line numbers inside a lesson module: the module is data, so a problem with
// experiment 'x' is reported at the line where `id: 'x'` is written.

export class SourceLocator {
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** Offset of `id: 'value'` (any quote) at or after `from`, or -1. */
  findId(value: string, from = 0): number {
    const re = new RegExp(`\\bid\\s*:\\s*(['"\`])${escape(value)}\\1`, 'g');
    re.lastIndex = from;
    const m = re.exec(this.text);
    return m ? m.index : -1;
  }

  /** Offset of `key:` at or after `from`, or -1. */
  findKey(key: string, from = 0): number {
    const re = new RegExp(`\\b${escape(key)}\\s*:`, 'g');
    re.lastIndex = from;
    const m = re.exec(this.text);
    return m ? m.index : -1;
  }

  /** Line of a path of hints: each step searched after the previous one; the deepest step
   * found wins, so a missing detail still lands near its experiment. */
  line(steps: ({ id: string } | { key: string })[]): number {
    let at = 0;
    let line = 1;
    for (const s of steps) {
      const found = 'id' in s ? this.findId(s.id, at) : this.findKey(s.key, at);
      if (found < 0) break;
      at = found;
      line = this.lineAt(found);
    }
    return line;
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
