// `nslab rootfs [build|info|clean]`, for the CLI to dispatch to: returns the exit code.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildMethod } from './build.js';
import { RootfsError } from './errors.js';
import { rootfsDir } from './paths.js';
import { rootfsStatus } from './status.js';

export interface CommandIO {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Where out goes, when it is a stream that may be a terminal: a build then shows one updating
   * line there instead of its summary lines. */
  stream?: { isTTY?: boolean; columns?: number; write(s: string): unknown };
}

export const ROOTFS_USAGE = `Usage: nslab rootfs <command>

  build [--host|--busybox]  build (or rebuild) the rootfs: this machine's own programs and
                            their libraries (the default), or a static busybox (--busybox)
  info [--json]             where it is, whether it is ready, what built it
  clean                     remove it (it is rebuilt on the next lesson that needs it)

The rootfs lives in $NSLAB_ROOTFS, else \${XDG_CACHE_HOME:-~/.cache}/nslab/rootfs.`;

/** Bytes used by a tree, not following symlinks. */
function treeSize(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  let total = st.size;
  for (const e of readdirSync(path)) total += treeSize(join(path, e));
  return total;
}

export async function rootfsCommand(
  argv: string[],
  io: CommandIO = { out: (l) => console.log(l), err: (l) => console.error(l) },
): Promise<number> {
  const [sub, ...rest] = argv;
  const flags = new Set(rest);
  const known: Record<string, string[]> = { build: ['--host', '--busybox'], info: ['--json'], clean: [] };
  if (!sub || sub === '--help' || sub === '-h' || flags.has('--help') || flags.has('-h')) {
    io.out(ROOTFS_USAGE);
    return sub ? 0 : 2;
  }
  if (!(sub in known)) {
    io.err(`nslab rootfs: unknown command ${JSON.stringify(sub)}; expected build, info or clean.`);
    return 2;
  }
  const bad = rest.filter((a) => !known[sub]!.includes(a));
  if (bad.length) {
    io.err(`nslab rootfs ${sub}: unknown option ${bad[0]}; see nslab rootfs --help.`);
    return 2;
  }
  const dir = rootfsDir();
  try {
    if (sub === 'info') {
      const s = rootfsStatus(dir);
      if (flags.has('--json')) {
        io.out(JSON.stringify({ ...s, bytes: s.state === 'missing' ? 0 : treeSize(dir) }, null, 2));
        return s.state === 'ready' ? 0 : 1;
      }
      io.out(`rootfs: ${dir}`);
      io.out(`state:  ${s.state}${s.reason ? ` (${s.reason})` : ''}`);
      const m = s.manifest;
      if (m) {
        io.out(`kind:   ${m.kind}${m.busybox ? ` (${m.busybox.version})` : ''}${m.binaries ? ` (${m.binaries.length} host binaries)` : ''}`);
        io.out(`built:  ${m.builtAt} by ${m.builder}`);
        if (m.reason) io.out(`why:    ${m.reason}`);
      }
      if (s.state !== 'missing' && s.state !== 'incomplete') io.out(`size:   ${(treeSize(dir) / 1048576).toFixed(1)} MiB`);
      if (s.state !== 'ready') io.out(`fix:    nslab rootfs ${s.state === 'missing' ? 'build' : 'clean && nslab rootfs build'}`);
      return s.state === 'ready' ? 0 : 1;
    }
    if (sub === 'build') {
      const method: BuildMethod | undefined = flags.has('--host') ? 'host' : flags.has('--busybox') ? 'busybox' : undefined;
      const { buildRootfs, reporter } = await import('./build.js');
      const r = reporter(io.stream ?? { write: (s) => io.out(s.replace(/\n$/, '')) });
      try {
        await buildRootfs(dir, { method, onProgress: r.onProgress, onStep: r.onStep });
      } finally {
        r.end();
      }
      return 0;
    }
    const { cleanRootfs } = await import('./ensure.js');
    const removed = await cleanRootfs(dir);
    io.out(removed.length ? removed.map((p) => `removed ${p}`).join('\n') : `nothing to remove at ${dir}`);
    return 0;
  } catch (err) {
    if (err instanceof RootfsError) {
      io.err(`nslab rootfs: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
