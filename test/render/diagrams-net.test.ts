// The net-topology diagram of lesson 09's veth experiment, drawn from a real run: the two
// namespaces as boxes with the interfaces and addresses ip reported inside each, the veth pair
// as the cable between them, and each end's counters from /proc/net/dev.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { block, diagramOf, draw, runFor, start } from './diagram-support.js';

const T = suite('net-topology diagram');

T('veth-a in A and veth-b in B, joined on one row, with the addresses ip listed', async () => {
  const r = await runFor('09-network-namespaces', 'veth-pair');
  if (!r) return;
  const out = draw(diagramOf(r, 'net-topology'), r.obs);
  const lines = out.split('\n');
  assert.ok(lines[1]!.includes(`A  ${r.obs.ns.a}`) && lines[1]!.includes(`B  ${r.obs.ns.b}`), lines[1]);
  // What ip said inside each namespace, drawn in that namespace's half.
  const half = (line: string, side: 0 | 1) => (side === 0 ? line.slice(0, 40) : line.slice(40));
  for (const [side, json] of [[0, r.obs.ipJson.a], [1, r.obs.ipJson.b]] as const) {
    for (const link of JSON.parse(json)) {
      assert.ok(lines.some((l) => half(l, side).includes(`${link.ifindex} ${link.ifname}  UP`)), `${link.ifname} in box ${side}:\n${out}`);
      for (const a of link.addr_info.filter((x: any) => x.scope !== 'link')) assert.ok(lines.some((l) => half(l, side).includes(`${a.local}/${a.prefixlen}`)), `${a.local} in box ${side}`);
    }
  }
  // The cable: both ends on the row it is drawn on.
  const cable = lines.find((l) => l.includes('+------+'))!;
  assert.match(cable, /veth-a +UP +\+------\+ \d+ veth-b +UP/);
  assert.match(out, /10\.99\.0\.1\/30[\s\S]*peer: veth-b in B/);
  const txA = r.obs.devA2.find((d: any) => d.name === 'veth-a').txBytes;
  const rxB = r.obs.devB2.find((d: any) => d.name === 'veth-b').rxBytes;
  assert.ok(out.includes(`sent ${txA} B`) && out.includes(`received ${rxB} B`), out);
  assert.ok(txA >= 8000, 'the payload went through');
});

T('both ends in A (the sabotage): no cable, the pair inside one box', async () => {
  const r = await runFor('09-network-namespaces', 'veth-pair', { noPeerNetns: true });
  if (!r) return;
  const out = draw(diagramOf(r, 'net-topology'), r.obs);
  assert.not.ok(out.includes('+------+'), out);
  assert.is(out.match(/peer: veth-[ab], in this namespace/g)?.length, 2, out);
  const boxB = out.slice(out.lastIndexOf('+- B'));
  assert.not.match(boxB, /veth/);
});

T('nslab start 9 draws it', () => {
  const b = block(start('9'), 'Containers A and B, and the veth pair');
  assert.match(b, /veth-a +UP +\+------\+ \d+ veth-b +UP/);
  assert.match(b, /10\.99\.0\.2\/30/);
});

T.run();
