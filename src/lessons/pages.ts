// A lesson body is prose split into pages by `<!-- page -->` lines; `<!-- experiment: ID -->`
// lines mark where, within a page, the runner runs an experiment (predict -> run -> checks).
// A fenced block with the info string `experiment` right after a marker holds that
// experiment's words as YAML (its prediction and the commands a learner would type): prose
// belongs with the prose, and lesson.ts keeps only what runs and judges.

export type Block = { kind: 'markdown'; text: string } | { kind: 'experiment'; id: string };
export interface Page {
  blocks: Block[];
}

export interface Marker {
  id: string;
  /** 1-based line in lesson.md. */
  line: number;
  page: number;
  /** The ```experiment block that follows the marker: its YAML text and the line it starts on. */
  block?: { text: string; line: number };
}

const PAGE = /^\s*<!--\s*page\s*-->\s*$/i;
const EXPERIMENT = /^\s*<!--\s*experiment\s*:\s*(\S*?)\s*-->\s*$/i;
// A comment that names 'experiment' or 'page' but does not parse is most likely a typo that
// would otherwise silently render as nothing.
const NEAR_MISS = /^\s*<!--\s*(experiment|experiments|page|pages)\b.*-->\s*$/i;
const BLOCK_OPEN = /^\s*```experiment\s*$/;

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
  // The marker a following ```experiment block would belong to, and the block being read.
  let attachTo: Marker | null = null;
  let block: { text: string[]; line: number } | null = null;
  lines.forEach((line, i) => {
    const lineNo = firstLine + i;
    if (block) {
      if (/^\s*```\s*$/.test(line)) {
        attachTo!.block = { text: block.text.join('\n'), line: block.line };
        block = attachTo = null;
      } else block.text.push(line);
      return;
    }
    if (attachTo && BLOCK_OPEN.test(line)) {
      block = { text: [], line: lineNo + 1 };
      return;
    }
    if (line.trim() !== '') attachTo = null;
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
          markers.push((attachTo = { id: m[1], line: lineNo, page: pages.length }));
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
  if (block) errors.push({ line: (block as { line: number }).line - 1, message: 'the ```experiment block is never closed: end it with a ``` line' });
  flushPage();
  return { pages, markers, errors };
}
