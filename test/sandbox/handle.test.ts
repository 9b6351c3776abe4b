// A long-lived sandbox: started, inspected from outside by PID, entered (nsenter-style) to run
// programs, stopped without residue.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readlinkSync } from 'node:fs';
import { startSandbox } from '../../src/sandbox/index.js';
import { settledDiff, snapshotHost } from '../support/residue.js';
import { testRootfs } from '../support/rootfs.js';

const handle = suite('handle');

handle('start a container, look at it from outside, exec inside, stop it', async () => {
  const rootfs = await testRootfs();
  const before = snapshotHost();
  const box = await startSandbox({
    namespaces: ['mnt', 'pid', 'uts', 'ipc', 'net'],
    rootfs,
    hostname: 'nslab-ctr',
    command: ['/bin/sleep', '1000'],
  });
  try {
    const view = box.inspect();
    assert.is(view.pid, box.pid);
    assert.is.not(view.ns['mnt'], readlinkSync('/proc/self/ns/mnt'));
    assert.is.not(view.root.ino === view.hostRoot.ino && view.root.dev === view.hostRoot.dev, true);
    // Its mountinfo (findmnt -N PID) holds only the sandbox's mounts.
    const points = view.mountinfo.trim().split('\n').map((l) => l.split(' ')[4]);
    assert.ok(points.includes('/proc') && points.includes('/tmp'), points.join(','));
    assert.not.ok(points.some((p) => p.startsWith('/work') || p === '/sys/fs/cgroup'), points.join(','));

    // Entering every namespace: ps sees PID 1 = sleep, hostname is the sandbox's.
    const ps = await box.exec(['/bin/ps', '-o', 'pid,comm']);
    assert.is(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^\s*1\s+sleep$/m);
    const host = await box.exec(['/bin/hostname']);
    assert.is(host.stdout.trim(), 'nslab-ctr');
    // Joining only the net namespace: the sandbox's interfaces (only lo), the host's files.
    const net = await box.exec(['/bin/cat', '/proc/self/net/dev'], { kinds: ['net'] });
    assert.is(net.code, 0, net.stderr);
    const ifaces = net.stdout.split('\n').slice(2).filter(Boolean).map((l) => l.split(':')[0]!.trim());
    assert.equal(ifaces, ['lo']);
  } finally {
    const end = await box.stop();
    assert.is(end.code, null);
  }
  assert.equal(await settledDiff(before), []);
});

handle.run();
