// The YAML block at the top of lesson.md, parsed with positions so every complaint can name
// the line of lesson.md it is about.
import { parsedYaml } from './yaml.js';

export interface Frontmatter {
  data: Record<string, unknown>;
  /** 1-based line in lesson.md of each top-level key. */
  keyLines: Record<string, number>;
  /** 1-based line of the closing '---' (or of the opening one when there is no closing). */
  endLine: number;
  /** The markdown after the frontmatter, and the 1-based line of lesson.md it starts on. */
  body: string;
  bodyLine: number;
  errors: { line: number; message: string }[];
}

export function parseFrontmatter(text: string): Frontmatter {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: Frontmatter = { data: {}, keyLines: {}, endLine: 1, body: '', bodyLine: 1, errors: [] };
  if (lines[0]?.trim() !== '---') {
    out.body = lines.join('\n');
    out.errors.push({ line: 1, message: "missing frontmatter: lesson.md must start with a '---' line, then id, title, summary, minutes, requires, then '---'" });
    return out;
  }
  const close = lines.findIndex((l, i) => i > 0 && (l.trim() === '---' || l.trim() === '...'));
  if (close < 0) {
    out.errors.push({ line: 1, message: "frontmatter is never closed: add a '---' line after it" });
    return out;
  }
  out.endLine = close + 1;
  out.body = lines.slice(close + 1).join('\n');
  out.bodyLine = close + 2;

  const parsed = parsedYaml('frontmatter', lines.slice(1, close).join('\n'), parseYamlPart);
  out.errors.push(...parsed.errors);
  out.data = parsed.data;
  out.keyLines = parsed.keyLines;
  return out;
}

/** The YAML between the '---' lines: its data, each top-level key's line and any errors, with
 * lines of lesson.md (line 1 of the YAML is line 2 of the file). */
export function parseYamlPart(y: typeof import('yaml'), yamlText: string): Pick<Frontmatter, 'data' | 'keyLines' | 'errors'> {
  const out: Pick<Frontmatter, 'data' | 'keyLines' | 'errors'> = { data: {}, keyLines: {}, errors: [] };
  const lineCounter = new y.LineCounter();
  const doc = y.parseDocument(yamlText, { lineCounter, prettyErrors: true });
  const fileLine = (offset: number) => lineCounter.linePos(offset).line + 1;
  for (const e of doc.errors) {
    const line = e.linePos ? e.linePos[0].line + 1 : fileLine(e.pos[0]);
    out.errors.push({ line, message: `frontmatter YAML: ${cleanYamlMessage(e.message)}` });
  }
  if (out.errors.length) return out;
  if (!y.isMap(doc.contents)) {
    out.errors.push({ line: 2, message: 'frontmatter must be a YAML mapping (key: value lines)' });
    return out;
  }
  for (const pair of doc.contents.items) {
    const key = y.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const range = (pair.key as { range?: [number, number, number] } | null)?.range;
    out.keyLines[key] = range ? fileLine(range[0]) : 2;
  }
  const data = doc.toJS();
  out.data = data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  return out;
}

function cleanYamlMessage(message: string): string {
  // yaml appends ' at line N, column M:' and a source excerpt; our caller supplies the line.
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
