import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMarkdown } from '../../src/render/markdown.js';
import { box } from '../../src/render/box.js';

const md = `# Your own hostname

The hostname lives in the **UTS namespace** — a process in a new one can change it without touching the host's.

## Try it

- run \`hostname\`
- compare

\`\`\`
unshare --user --map-root-user --uts sh
\`\`\`

| kind | link |
|------|------|
| uts  | uts:[4026531838] |
`;

const M = suite('markdown');

M('renders headings, lists, code and tables', () => {
  const out = renderMarkdown(md, { color: false, width: 60 });
  for (const t of ['# Your own hostname', '## Try it', 'UTS namespace', '* run `hostname`', 'unshare --user --map-root-user --uts sh', 'uts:[4026531838]']) {
    assert.ok(out.includes(t), `${t} in\n${out}`);
  }
});

M('NO_COLOR output has no escapes and no box drawing', () => {
  const out = renderMarkdown(md, { color: false, width: 60 });
  assert.not.ok(out.includes('\x1b'), out);
  assert.ok(/^[\x0a\x20-\x7e]*$/.test(out), out);
  assert.match(out, /--/);
});

M('colour output styles text; presenter headings are emphasised', () => {
  const out = renderMarkdown(md, { color: true, width: 60 });
  assert.match(out, /\x1b\[1m/);
  const big = renderMarkdown(md, { color: false, width: 60, presenter: true });
  assert.match(big, /YOUR OWN HOSTNAME\n=+/);
  assert.match(big, /TRY IT\n=+/);
});

M('emphasis and code inside list items are rendered, not printed as markup', () => {
  const plain = renderMarkdown('- a **bold** word and *one more*\n- then `code`\n', { color: false });
  assert.not.match(plain, /\*\*|\*one/);
  assert.match(plain, /a bold word and one more/);
  const colored = renderMarkdown('- a **bold** word\n', { color: true });
  assert.match(colored, /\x1b\[1mbold\x1b\[22m/);
});

M('wraps paragraphs to the width', () => {
  const out = renderMarkdown('word '.repeat(60), { color: false, width: 40 });
  for (const line of out.trimEnd().split('\n')) assert.ok(line.length <= 40, line);
});

M.run();

const B = suite('box');

B('titles by kind, plain ASCII without colour', () => {
  const out = box('Which hostname does the host report?', { kind: 'predict', color: false, width: 60 });
  assert.match(out, /^\+ Predict -+\+\n\| Which hostname does the host report\? +\|\n\+-+\+$/);
  const custom = box('2 of 3 checks passed', { kind: 'fail', title: 'Result', color: false, width: 60 });
  assert.match(custom, /Result/);
  assert.not.ok(custom.includes('\x1b'));
});

B('wraps to the width; unicode borders with colour', () => {
  const out = box('x '.repeat(80), { kind: 'info', color: false, width: 40 });
  for (const line of out.split('\n')) assert.ok(line.length <= 40, line);
  const u = box('hi', { kind: 'success', color: true, width: 40 });
  assert.match(u, /╭/);
});

B.run();
