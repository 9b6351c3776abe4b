// Diagrams drawn from real kernel state: this process, and a process the native helper starts
// in fresh user, mount, PID and UTS namespaces.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDiagram, nsInode } from '../../src/render/diagrams.js';
import { parseMountinfo } from '../../src/proc/mountinfo.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const helperPath = resolve(root, 'native/nslab-helper');

const nsOf = (pid: number | 'self') => Object.fromEntries(readdirSync(`/proc/${pid}/ns`).map((k) => [k, readlinkSync(`/proc/${pid}/ns/${k}`)]));
const statusOf = (pid: number) => {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(text)![1];
  return { pid, ppid: Number(field('PPid')), nspid: field('NSpid').trim().split(/\s+/).map(Number), name: field('Name') };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let helper: ChildProcess | undefined;
let sandboxPid = 0;

const D = suite('diagrams from real /proc');

D.before(async () => {
  if (!existsSync(helperPath)) spawnSync(process.execPath, [resolve(root, 'native/build.mjs')], { stdio: 'inherit' });
  helper = spawn(helperPath, ['run', '-U', '-m', '-p', '-u', '--', 'sleep', '30'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  helper.stderr!.on('data', (d) => (stderr += d));
  // The sandbox's first process is the helper's child; wait until it has exec'd sleep.
  for (let i = 0; i < 200 && !sandboxPid; i++) {
    await sleep(10);
    try {
      const kids = readFileSync(`/proc/${helper.pid}/task/${helper.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      if (kids.length && readFileSync(`/proc/${kids[0]}/comm`, 'utf8').trim() === 'sleep') sandboxPid = kids[0];
    } catch {
      // not there yet
    }
  }
  if (!sandboxPid) throw new Error(`the helper did not start a sandbox: ${stderr}`);
});

D.after(() => {
  try {
    if (sandboxPid) process.kill(sandboxPid, 'SIGKILL');
  } catch {
    // already gone
  }
  helper?.kill('SIGKILL');
});

D('ns-tree marks exactly the kinds the helper created', () => {
  const host = nsOf('self');
  const sandbox = nsOf(sandboxPid);
  const out = renderDiagram({ kind: 'ns-tree', from: (o: { host: typeof host; sandbox: typeof sandbox }) => [{ label: 'host', ns: o.host }, { label: 'sandbox', ns: o.sandbox }] }, { host, sandbox }, { color: false, width: 100 });
  assert.not.ok(out.includes('\x1b'));
  const rows = Object.fromEntries(out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 3).map((f) => [f[0], f.slice(1)]));
  for (const kind of ['user', 'mnt', 'pid', 'uts']) {
    assert.equal(rows[kind], [nsInode(host[kind]), nsInode(sandbox[kind]), '*'], `${kind}:\n${out}`);
  }
  for (const kind of ['net', 'ipc', 'cgroup']) {
    assert.equal(rows[kind], [nsInode(host[kind]), nsInode(host[kind])], `${kind}:\n${out}`);
  }
  assert.match(out, /\* differs from host/);
});

D('mount-peers groups real mountinfo of host and sandbox', () => {
  const hostInfo = readFileSync('/proc/self/mountinfo', 'utf8');
  const sandboxInfo = readFileSync(`/proc/${sandboxPid}/mountinfo`, 'utf8');
  const out = renderDiagram({ kind: 'mount-peers', title: 'Mounts of /', from: () => [{ label: 'host', mountinfo: hostInfo, filter: '/' }, { label: 'sandbox', mountinfo: sandboxInfo, filter: '/' }] }, null, { color: false, width: 120 });
  assert.not.ok(out.includes('\x1b'));
  assert.match(out, /^Mounts of \//);
  // Every mount shows up once per group it belongs to, with its id; each host mount is listed.
  for (const m of parseMountinfo(hostInfo)) {
    assert.ok(out.includes(`mount ${m.id}, ${m.fsType}`), `host mount ${m.id} ${m.mountPoint}\n${out}`);
    const where = m.optional.shared !== undefined ? `peer group ${m.optional.shared}` : m.optional.master !== undefined ? `master:${m.optional.master}` : 'private';
    assert.ok(out.includes(where), where);
  }
  // A mount namespace made inside a new user namespace turns shared mounts into slaves: the
  // sandbox has no peer of its own in any host group.
  for (const m of parseMountinfo(sandboxInfo)) assert.ok(out.includes(`mount ${m.id}, ${m.fsType}`));
});

D('mount-peers draws peers both ways and slaves one way', () => {
  const a = '36 35 98:0 /mnt1 /mnt/lab rw,noatime shared:7 - ext4 /dev/root rw\n';
  const b = '301 300 98:0 /mnt1 /mnt/lab rw,noatime shared:7 - ext4 /dev/root rw\n302 300 0:50 / /mnt/lab/x\\040y rw master:7 - tmpfs t rw\n303 300 0:51 / /srv rw - tmpfs t rw\n';
  const out = renderDiagram({ kind: 'mount-peers', from: () => [{ label: 'host', mountinfo: a }, { label: 'sandbox', mountinfo: b, filter: '/mnt/lab' }] }, null, { color: false, width: 120 });
  const lines = out.split('\n');
  assert.ok(lines.some((l) => /^ {2}peer group 7 /.test(l)), out);
  assert.ok(lines.some((l) => /<-> host +\/mnt\/lab +mount 36/.test(l)), out);
  assert.ok(lines.some((l) => /<-> sandbox +\/mnt\/lab +mount 301/.test(l)), out);
  assert.ok(lines.some((l) => /`-+> sandbox +\/mnt\/lab\/x y +mount 302, tmpfs +slave, master:7/.test(l)), out);
  assert.not.ok(out.includes('/srv'), 'filtered out');
  const colour = renderDiagram({ kind: 'mount-peers', from: () => [{ label: 'sandbox', mountinfo: b }] }, null, { color: true, width: 120 });
  assert.match(colour, /◀─▶|──▶/);
});

D('process-tree shows the PIDs as read and the PIDs in nested namespaces from NSpid', () => {
  const procs = [statusOf(process.pid), statusOf(helper!.pid!), statusOf(sandboxPid)];
  assert.equal(procs[2].nspid, [sandboxPid, 1]);
  const out = renderDiagram({ kind: 'process-tree', from: () => procs }, null, { color: false, width: 100 });
  const lines = out.split('\n');
  assert.match(lines[1], new RegExp(`^  node +pid ${process.pid}$`));
  assert.match(lines[2], new RegExp(`^  \`- nslab-helper +pid ${helper!.pid}$`));
  assert.match(lines[3], new RegExp(`^     \`- sleep +pid ${sandboxPid}  in nested ns 1$`));
});

D('a from() that throws becomes a note, not a crash', () => {
  const out = renderDiagram({ kind: 'process-tree', from: () => { throw new Error('no status'); } }, null, { color: false });
  assert.match(out, /diagram unavailable: no status/);
});

D.run();
