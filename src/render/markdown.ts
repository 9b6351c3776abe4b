// Lesson prose in the terminal: marked + marked-terminal. Kept in its own module so commands
// that print no prose (--version, list --json) never load marked.
import { Marked } from 'marked';
import { markedTerminal } from 'marked-terminal';
import { style, stripAnsi, toAscii, type RenderOptions } from './color.js';

export interface MarkdownOptions extends RenderOptions {
  /** Presenter mode: bigger, emphasised headings for a room. */
  presenter?: boolean;
}

const instances = new Map<string, Marked>();

export function renderMarkdown(md: string, opts: MarkdownOptions = {}): string {
  const s = style(opts);
  const width = Math.max(20, s.width - 2);
  const key = `${s.color}/${s.unicode}/${width}/${Boolean(opts.presenter)}`;
  let marked = instances.get(key);
  if (!marked) {
    marked = new Marked();
    const id = (t: string) => t;
    const rule = (t: string) => (s.unicode ? '═' : '=').repeat(Math.min(width, Math.max(8, stripAnsi(t).length)));
    const heading = opts.presenter
      ? (t: string) => `\n${s.bold(s.cyan(t.toUpperCase()))}\n${s.cyan(rule(t))}`
      : (t: string) => s.bold(s.green(t));
    const firstHeading = opts.presenter
      ? (t: string) => `\n${s.bold(s.magenta(t.toUpperCase()))}\n${s.magenta(rule(t))}`
      : (t: string) => s.bold(s.magenta(s.underline(t)));
    marked.use(
      markedTerminal({
        width,
        reflowText: true,
        // Section prefixes ('## ') carry the heading level when there is no colour to do it.
        showSectionPrefix: !s.color && !opts.presenter,
        emoji: s.unicode,
        tab: 2,
        heading,
        firstHeading,
        code: s.color ? s.yellow : id,
        codespan: s.color ? s.yellow : (t: string) => `\`${t}\``,
        strong: s.bold,
        em: s.italic,
        blockquote: s.color ? (t: string) => s.gray(s.italic(t)) : id,
        html: s.color ? s.gray : id,
        link: s.color ? s.blue : id,
        href: s.color ? (t: string) => s.blue(s.underline(t)) : id,
        del: s.color ? s.dim : id,
        hr: id,
        listitem: id,
        table: id,
        paragraph: id,
        text: id,
      }),
    );
    // marked >= 13 hands list items their text as a token with inline children, which
    // marked-terminal 7 prints raw (`**bold**` stays literal: marked-terminal#304). Render
    // those children inline; returning false falls back to marked-terminal for plain text.
    marked.use({
      renderer: {
        text(token) {
          return 'tokens' in token && token.tokens ? this.parser.parseInline(token.tokens) : false;
        },
      },
    });
    instances.set(key, marked);
  }
  let out = marked.parse(md, { async: false }) as string;
  // Syntax highlighting and table borders may colour on their own: plain means plain.
  if (!s.color) out = stripAnsi(out);
  if (!s.unicode) out = toAscii(out);
  return out.replace(/\n{3,}/g, '\n\n').replace(/\s+$/, '') + '\n';
}
