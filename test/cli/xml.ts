// A strict little XML reader for checking nslab's JUnit output: well-formedness (balanced
// tags, quoted attributes, only the five predefined entities), elements, attributes, text.
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescape(s: string): string {
  return s.replace(/&([a-z]+|#\d+|#x[0-9a-f]+);|&/gi, (m, name: string | undefined) => {
    if (!name) throw new Error('bare & in XML');
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    const v = ENTITIES[name];
    if (v === undefined) throw new Error(`unknown entity ${m}`);
    return v;
  });
}

export function parseXml(text: string): XmlNode {
  let s = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(s)) throw new Error('control character in XML');
  const root: XmlNode = { name: '#doc', attrs: {}, children: [], text: '' };
  const stack = [root];
  const tag = /^<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/;
  while (s.length) {
    if (s[0] === '<') {
      const m = tag.exec(s);
      if (!m) throw new Error(`malformed tag near: ${s.slice(0, 60)}`);
      const [all, close, name, attrText, selfClose] = m;
      s = s.slice(all.length);
      if (close) {
        const open = stack.pop();
        if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
        continue;
      }
      const attrs: Record<string, string> = {};
      for (const a of attrText!.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[a[1]!] = unescape(a[2] ?? a[3] ?? '');
      const node: XmlNode = { name: name!, attrs, children: [], text: '' };
      stack[stack.length - 1]!.children.push(node);
      if (!selfClose) stack.push(node);
    } else {
      const end = s.indexOf('<');
      const chunk = end < 0 ? s : s.slice(0, end);
      if (stack.length === 1 && chunk.trim()) throw new Error('text outside the root element');
      stack[stack.length - 1]!.text += unescape(chunk);
      s = end < 0 ? '' : s.slice(end);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error('XML needs exactly one root element');
  return root.children[0]!;
}

export const all = (n: XmlNode, name: string): XmlNode[] => [
  ...n.children.filter((c) => c.name === name),
  ...n.children.flatMap((c) => all(c, name)),
];
