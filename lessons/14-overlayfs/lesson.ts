// Lesson 14: what a container image is. Two read-only "layers" and an empty writable one are
// stacked by overlayfs, mounted by an unprivileged user namespace; the checks read the merged
// view, the layers underneath, and the writable layer as the host finds it through /proc/PID/root.
import { lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { SandboxContext } from '../../src/kit/index.js';
import { errnoIs, experiment, mountIs, must, privateRoot, readOr, scratch } from '../../src/kit/index.js';

const TOP = '/tmp/ovl';
const dir = (name: string): string => `${TOP}/${name}`;
const MERGED = dir('merged');

interface Setup {
  /** Lower layers, top first, as lowerdir= takes them. */
  lower?: string[];
  /** Skip overlayfs and work on the top layer's directory itself, as if it were the root. */
  noOverlay?: boolean;
  /** Mount with no upperdir: an overlay of read-only layers only. */
  readOnly?: boolean;
}

/** Two image layers: "base" (a distribution) and "app" on top of it, which changes one file. */
function layers(ctx: SandboxContext, setup: Setup) {
  privateRoot(ctx);
  // /tmp itself gets the tmpfs: a directory made on the host's /tmp would outlive the sandbox.
  scratch(ctx, '/tmp', 'size=4m,mode=0755');
  for (const d of ['', 'base', 'app', 'upper', 'work', 'merged']) mkdirSync(dir(d));
  writeFileSync(dir('base/greeting'), 'hello from base\n');
  writeFileSync(dir('base/os-release'), 'ID=base\n');
  writeFileSync(dir('app/greeting'), 'hello from app\n');
  writeFileSync(dir('app/app.conf'), 'port=8080\n');
  if (setup.noOverlay) return { root: dir('app'), mount: 'no overlay mounted (the sabotage)', mountinfo: '' };
  const lower = (setup.lower ?? ['app', 'base']).map(dir).join(':');
  const opts = setup.readOnly ? `lowerdir=${lower}` : `lowerdir=${lower},upperdir=${dir('upper')},workdir=${dir('work')}`;
  const mount = must(ctx.sys.mount('overlay', MERGED, 'overlay', 0, opts), 'mount the overlay').trace;
  return { root: MERGED, mount, mountinfo: ctx.proc.readMountinfo('self').map((m) => m.raw).join('\n') };
}

/** What lstat says of a path, in the words ls -l would use. */
function entry(path: string): string {
  try {
    const st = lstatSync(path);
    if (st.isCharacterDevice()) return `character device ${(st.rdev >> 8) & 0xfff}:${(st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)}`;
    return st.isFile() ? `file: ${readOr(path).trim()}` : st.isDirectory() ? 'directory' : 'other';
  } catch (err) {
    return `absent (${(err as NodeJS.ErrnoException).code})`;
  }
}

const listing = (path: string): string => {
  try {
    return readdirSync(path).sort().join(' ') || '(empty)';
  } catch (err) {
    return `(${(err as NodeJS.ErrnoException).code})`;
  }
};

/** On the host, at the checkpoint: the writable layer as the host reaches it, through the
 * sandbox's root, the way Docker's host sees /var/lib/docker/overlay2/ID/diff. */
function hostLooks(_label: string, views: { pid: number }[], _pid: number, data: unknown) {
  const path = `/proc/${views[0]!.pid}/root${(data as { file: string }).file}`;
  return { path, seen: entry(path) };
}

const SANDBOX = { namespaces: ['user', 'mnt'] as ('user' | 'mnt')[] };

async function stackRun(ctx: SandboxContext, args: Setup = {}) {
  const l = layers(ctx, args);
  return { ...l, greeting: entry(`${l.root}/greeting`), names: listing(l.root), upper: listing(dir('upper')) };
}

const stack = experiment({
  id: 'stack-layers',
  title: 'Two read-only layers and an empty upper, merged by overlayfs',
  sandbox: SANDBOX,
  run: stackRun,
  checks: [
    mountIs<Awaited<ReturnType<typeof stackRun>>>('overlay-mounted', `${MERGED} is an overlay mount, made inside a user namespace`, (o) => ({
      mountinfo: o.mountinfo,
      who: 'the sandbox',
      mountPoint: MERGED,
      want: { fsType: 'overlay' },
      why: o.mount,
    })),
    {
      id: 'top-layer-wins',
      expected: 'greeting, in both layers, reads as the leftmost lowerdir (app) has it',
      check: (o) => ({
        pass: o.greeting === 'file: hello from app',
        observed: `greeting: ${o.greeting}`,
        evidence: [o.mount, `${o.root}/greeting: ${o.greeting}`],
        hint: `the merged greeting is "${o.greeting}": ${o.mount.includes(`lowerdir=${dir('base')}:`) ? 'base is named first in lowerdir=, so base is the top layer' : 'app is not the top layer here'}`,
      }),
    },
    {
      id: 'union-of-layers',
      expected: 'the merged directory lists the files of both layers, and the upper layer is still empty',
      check: (o) => ({
        pass: o.names === 'app.conf greeting os-release' && o.upper === '(empty)',
        observed: `merged: ${o.names}; upper: ${o.upper}`,
        evidence: [o.mount, `ls ${o.root}: ${o.names}`, `ls ${dir('upper')}: ${o.upper}`],
        hint: o.names.includes('os-release') ? `the upper layer holds ${o.upper}` : `os-release from base is missing: base is not among the lower layers (${o.mount})`,
      }),
    },
  ],
  sabotage: [
    { what: 'name base before app in lowerdir=', args: { lower: ['base', 'app'] }, fails: ['top-layer-wins'] },
    { what: 'stack app alone, without base', args: { lower: ['app'] }, fails: ['union-of-layers'] },
    { what: 'mount no overlay at all', args: { noOverlay: true }, fails: ['overlay-mounted', 'union-of-layers'] },
  ],
});

const copyUp = experiment({
  id: 'copy-up',
  title: 'Writing a lower file copies it up first',
  sandbox: SANDBOX,
  run: async (ctx, args: Setup = {}) => {
    const l = layers(ctx, args);
    writeFileSync(`${l.root}/greeting`, 'hello from the container\n');
    const host = (await ctx.outside('after-write', [], { file: dir('upper/greeting') })).hook as ReturnType<typeof hostLooks>;
    return { ...l, merged: entry(`${l.root}/greeting`), upper: entry(dir('upper/greeting')), lower: entry(dir('app/greeting')), host };
  },
  outside: hostLooks,
  checks: [
    {
      id: 'copied-up',
      expected: 'after the write, upper/greeting holds the new text',
      check: (o) => ({
        pass: o.upper === 'file: hello from the container' && o.merged === o.upper,
        observed: `upper/greeting: ${o.upper}`,
        evidence: [o.mount, `merged/greeting: ${o.merged}`, `upper/greeting: ${o.upper}`],
        hint: `the write went elsewhere: upper/greeting is ${o.upper}, and ${o.root}/greeting was written (${o.mount})`,
      }),
    },
    {
      id: 'lower-untouched',
      expected: 'the app layer still reads "hello from app": a lower layer is never written',
      check: (o) => ({
        pass: o.lower === 'file: hello from app',
        observed: `app/greeting: ${o.lower}`,
        evidence: [`app/greeting: ${o.lower}`],
        hint: `the layer itself was changed to "${o.lower}": without an overlay, the write landed in the image`,
      }),
    },
    {
      id: 'host-sees-upper',
      expected: 'the host finds the new text in the upper layer through /proc/PID/root',
      check: (o) => ({
        pass: o.host?.seen === 'file: hello from the container',
        observed: `${o.host?.path}: ${o.host?.seen}`,
        evidence: [`host reads ${o.host?.path}: ${o.host?.seen}`],
        hint: `the host sees ${o.host?.seen ?? 'nothing'} there: the change is not in the upper layer`,
      }),
    },
  ],
  sabotage: [{ what: 'write into the app layer directly, with no overlay', args: { noOverlay: true }, fails: ['copied-up', 'lower-untouched', 'host-sees-upper'] }],
});

async function whiteoutRun(ctx: SandboxContext, args: Setup = {}) {
  const l = layers(ctx, { ...args, noOverlay: false, lower: args.noOverlay ? ['app'] : args.lower });
  // The sabotage deletes from the layer itself, which is what a chroot into an image would do.
  const target = args.noOverlay ? dir('base/os-release') : `${l.root}/os-release`;
  let rm = `rm ${target}`;
  try {
    rmSync(target);
  } catch (err) {
    rm += `: ${(err as NodeJS.ErrnoException).code}`;
  }
  const probe = ctx.sys.open(`${MERGED}/os-release`, 0);
  if (probe.ok) ctx.sys.close(probe.ret);
  return {
    ...l,
    rm,
    merged: entry(`${MERGED}/os-release`),
    upper: entry(dir('upper/os-release')),
    lower: entry(dir('base/os-release')),
    lookup: probe.trace,
  };
}

const whiteout = experiment({
  id: 'whiteout',
  title: 'Deleting a lower file leaves a whiteout in the upper layer',
  sandbox: SANDBOX,
  run: whiteoutRun,
  checks: [
    errnoIs<Awaited<ReturnType<typeof whiteoutRun>>>('gone-from-merged', 'open() of merged/os-release fails with ENOENT after the rm', 'ENOENT', (o) => ({
      trace: o.lookup,
      evidence: [o.rm, `merged/os-release: ${o.merged}`],
      why: `the rm did not take (${o.rm}): an overlay with no upperdir is read-only`,
    })),
    {
      id: 'lower-still-has-it',
      expected: 'base/os-release is still there: the rm changed no lower layer',
      check: (o) => ({
        pass: o.lower === 'file: ID=base',
        observed: `base/os-release: ${o.lower}`,
        evidence: [o.rm, `base/os-release: ${o.lower}`],
        hint: `the base layer lost its file (${o.rm}): the image itself was changed`,
      }),
    },
    {
      id: 'whiteout-in-upper',
      expected: 'upper/os-release is a character device 0:0, the whiteout that hides the lower file',
      check: (o) => ({
        pass: o.upper === 'character device 0:0',
        observed: `upper/os-release: ${o.upper}`,
        evidence: [o.rm, `upper/os-release: ${o.upper}`, `ls -l ${dir('upper')}`],
        hint: `upper/os-release is ${o.upper}: nothing in the upper layer records the deletion`,
      }),
    },
  ],
  sabotage: [
    { what: 'delete the file from the base layer, under an overlay of app alone', args: { noOverlay: true }, fails: ['lower-still-has-it', 'whiteout-in-upper'] },
    { what: 'mount the layers with no upperdir', args: { readOnly: true }, fails: ['gone-from-merged', 'whiteout-in-upper'] },
  ],
});

export default { experiments: [stack, copyUp, whiteout] };
