// Network namespaces as boxes, each with the interfaces `ip -j addr show` listed inside it, and
// a veth pair drawn as the cable between the two boxes that hold its ends. An end's peer is
// found the way the kernel reports it: link_index (the peer's ifindex) plus link_netnsid when
// the peer lives in another namespace, or link (the peer's name) when it is in the same one.
import type { NetNamespaceView } from '../lessons/types.js';
import { padEnd, visibleWidth, type Style } from './color.js';

interface Link {
  ifindex: number;
  ifname: string;
  flags: string[];
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

interface Iface {
  ns: number;
  link: Link;
  peer?: { ns: number; name: string } | { unknown: string };
}

function parse(view: NetNamespaceView): Link[] {
  const v: unknown = JSON.parse(view.ipJson || '[]');
  if (!Array.isArray(v)) throw new Error(`${view.label}: ip -j printed no list`);
  return v as Link[];
}

/** Pairs each veth end with its peer. */
function pair(views: Link[][]): Iface[][] {
  return views.map((links, ns) =>
    links.map((link) => {
      const iface: Iface = { ns, link };
      if (link.link !== undefined && link.link_netnsid === undefined) {
        iface.peer = { ns, name: link.link };
      } else if (link.link_index !== undefined) {
        // The peer's ifindex is in another namespace: the one whose link points back at us.
        const other = views.findIndex((l, j) => j !== ns && l.some((x) => x.ifindex === link.link_index && x.link_index === link.ifindex));
        const peer = other >= 0 ? views[other]!.find((x) => x.ifindex === link.link_index && x.link_index === link.ifindex) : undefined;
        iface.peer = peer ? { ns: other, name: peer.ifname } : { unknown: `ifindex ${link.link_index} in a namespace not shown` };
      }
      return iface;
    }),
  );
}

function state(l: Link): string {
  if (!l.flags.includes('UP')) return 'DOWN';
  return l.flags.includes('NO-CARRIER') ? 'UP, no carrier' : 'UP';
}

/** The lines inside one box; `row` is where each peered interface starts. */
function boxLines(ifs: Iface[], view: NetNamespaceView, labels: string[], s: Style): { lines: string[]; rows: Map<string, number>; hidden: number } {
  const lines: string[] = [];
  const rows = new Map<string, number>();
  let hidden = 0;
  for (const i of ifs) {
    const l = i.link;
    if (i.peer) rows.set(l.ifname, lines.length);
    const st = state(l);
    lines.push(`${l.ifindex} ${s.bold(l.ifname)}  ${st === 'UP' ? s.green(st) : s.yellow(st)}`);
    for (const a of l.addr_info ?? []) {
      // Link-local IPv6 addresses (fe80::) come with every interface that is up: left out.
      if (a.family === 'inet6' && a.scope === 'link') {
        hidden++;
        continue;
      }
      lines.push(`    ${a.local}/${a.prefixlen}`);
    }
    if (i.peer) lines.push(s.dim(`    peer: ${'unknown' in i.peer ? i.peer.unknown : i.peer.ns === i.ns ? `${i.peer.name}, in this namespace` : `${i.peer.name} in ${labels[i.peer.ns]}`}`));
    const d = view.dev?.find((x) => x.name === l.ifname);
    if (d && i.peer) lines.push(s.dim(`    sent ${d.txBytes} B`), s.dim(`    received ${d.rxBytes} B`));
  }
  if (lines.length === 0) lines.push(s.dim('(no interfaces)'));
  return { lines, rows, hidden };
}

function frame(title: string, body: string[], inner: number, s: Style): string[] {
  const { horiz, vert } = s.sym;
  const [tl, tr, bl, br] = s.unicode ? ['┌', '┐', '└', '┘'] : ['+', '+', '+', '+'];
  const t = ` ${title} `;
  return [
    `${tl}${horiz}${t}${horiz.repeat(Math.max(0, inner - visibleWidth(t) - 1))}${tr}`,
    ...body.map((l) => `${vert} ${padEnd(l, inner - 2)} ${vert}`),
    `${bl}${horiz.repeat(inner)}${br}`,
  ];
}

export function netTopology(views: NetNamespaceView[], s: Style, width = 78): string[] {
  if (views.length === 0) return [s.dim('  (no network namespaces observed)')];
  const parsed = pair(views.map(parse));
  const labels = views.map((v) => v.label);
  const boxes = parsed.map((ifs, n) => boxLines(ifs, views[n]!, labels, s));
  const titles = views.map((v) => `${v.label}  ${v.ns}`);
  const hidden = boxes.reduce((a, b) => a + b.hidden, 0);
  const cable = 6;
  const half = Math.floor((width - 2 - cable) / 2) - 2;
  const fits = (b: (typeof boxes)[number], t: string) => Math.max(visibleWidth(t) + 3, ...b.lines.map((l) => visibleWidth(l) + 2)) <= half;
  // The ends of the first pair that joins the two namespaces, to draw its cable.
  const across = parsed[0]?.find((i) => i.peer && 'ns' in i.peer && i.peer.ns === 1);
  const out: string[] = [];
  if (views.length === 2 && across && fits(boxes[0]!, titles[0]!) && fits(boxes[1]!, titles[1]!)) {
    const peerName = (across.peer as { name: string }).name;
    const [a, b] = [boxes[0]!, boxes[1]!];
    const ra = a.rows.get(across.link.ifname)!;
    const rb = b.rows.get(peerName)!;
    // Blank lines in front of the later end, so both ends sit on one row.
    const pad = (x: string[], n: number, at: number) => [...x.slice(0, at), ...Array<string>(n).fill(''), ...x.slice(at)];
    const la = ra < rb ? pad(a.lines, rb - ra, ra) : a.lines;
    const lb = rb < ra ? pad(b.lines, ra - rb, rb) : b.lines;
    const row = Math.max(ra, rb) + 1;
    const n = Math.max(la.length, lb.length);
    const fa = frame(titles[0]!, [...la, ...Array<string>(n - la.length).fill('')], half, s);
    const fb = frame(titles[1]!, [...lb, ...Array<string>(n - lb.length).fill('')], half, s);
    const [l, r] = s.unicode ? ['├', '┤'] : ['+', '+'];
    fa.forEach((line, i) => {
      if (i === row) out.push(`  ${line.slice(0, -1)}${l}${s.cyan(s.sym.horiz.repeat(cable))}${r}${fb[i]!.slice(1)}`);
      else out.push(`  ${line}${' '.repeat(cable)}${fb[i]}`);
    });
    out.push(s.dim(`  the line between the boxes is the veth pair: ${across.link.ifname} in ${labels[0]}, ${peerName} in ${labels[1]};`));
    out.push(s.dim('  a packet sent into one end comes out of the other, in the other namespace'));
  } else {
    const inner = Math.max(...boxes.map((b, i) => Math.max(visibleWidth(titles[i]!) + 3, ...b.lines.map((l) => visibleWidth(l) + 2))));
    boxes.forEach((b, i) => out.push(...frame(titles[i]!, b.lines, Math.min(inner, width - 4), s).map((l) => `  ${l}`)));
  }
  if (hidden) out.push(s.dim(`  (${hidden} IPv6 link-local address${hidden > 1 ? 'es' : ''}, fe80::, left out)`));
  return out;
}
