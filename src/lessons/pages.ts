// A lesson body is prose split into pages by `<!-- page -->` lines; `<!-- experiment: ID -->`
// lines mark where, within a page, the runner runs an experiment (predict -> run -> checks).

export type Block = { kind: 'markdown'; text: string } | { kind: 'experiment'; id: string };
export interface Page {
  blocks: Block[];
}

export interface Marker {
  id: string;
  /** 1-based line in lesson.md. */
  line: number;
  page: number;
}

const PAGE = /^\s*<!--\s*page\s*-->\s*$/i;
const EXPERIMENT = /^\s*<!--\s*experiment\s*:\s*(\S*?)\s*-->\s*$/i;
// A comment that names 'experiment' or 'page' but does not parse is most likely a typo that
// would otherwise silently render as nothing.
const NEAR_MISS = /^\s*<!--\s*(experiment|experiments|page|pages)\b.*-->\s*$/i;

export function splitPages(body: string, firstLine: number): { pages: Page[]; markers: Marker[]; errors: { line: number; message: string }[] } {
  const pages: Page[] = [];
  const markers: Marker[] = [];
  const errors: { line: number; message: string }[] = [];
  let blocks: Block[] = [];
  let text: string[] = [];
  const flushText = () => {
    const t = text.join('\n').replace(/^\s*\n/, '').trimEnd();
    if (t.trim() !== '') blocks.push({ kind: 'markdown', text: t });
    text = [];
  };
  const flushPage = () => {
    flushText();
    if (blocks.length) pages.push({ blocks });
    blocks = [];
  };
  const lines = body.split('\n');
  let fence: string | null = null;
  lines.forEach((line, i) => {
    const lineNo = firstLine + i;
    // Markers inside a fenced code block are example text, not markers.
    const f = /^\s*(```+|~~~+)/.exec(line);
    if (f) {
      if (fence === null) fence = f[1][0];
      else if (f[1][0] === fence) fence = null;
    }
    if (fence === null && !f) {
      if (PAGE.test(line)) return flushPage();
      const m = EXPERIMENT.exec(line);
      if (m) {
        flushText();
        if (!m[1]) errors.push({ line: lineNo, message: 'experiment marker without an id: write <!-- experiment: ID -->' });
        else {
          blocks.push({ kind: 'experiment', id: m[1] });
          markers.push({ id: m[1], line: lineNo, page: pages.length });
        }
        return;
      }
      if (NEAR_MISS.test(line)) {
        errors.push({ line: lineNo, message: `unrecognised marker '${line.trim()}': write <!-- page --> or <!-- experiment: ID -->` });
        return;
      }
    }
    text.push(line);
  });
  flushPage();
  return { pages, markers, errors };
}
