// Building a rootfs: one of the rootfs-scripts into DIR.building-PID, the marker written last,
// then renamed into place, so a reader only ever sees no rootfs or a finished one. A lock file
// keeps two nslab processes (parallel tests, two terminals) from building the same one.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findStaticBusybox } from './busybox.js';
import { RootfsError } from './errors.js';
import { BUILDING, MARKER, lockPath, rootfsDir, scriptsDir } from './paths.js';
import { alive, buildingDirs, rootfsStatus, type RootfsManifest } from './status.js';
import { TOOLS_IN_ROOTFS } from './tools.js';

export type BuildMethod = 'busybox' | 'host';

/** What a progress line is for. 'note': passing news (which step runs now), shown on a terminal's
 * updating line and left out of a log; 'summary': part of what the build did, kept in a log and
 * in the terminal's last line; 'done': the last line. A line without a kind is news worth a log
 * line (why this builder, a wait for another build) that a terminal shows only while it holds. */
export type ProgressKind = 'note' | 'summary' | 'done';

export interface BuildOptions {
  method?: BuildMethod;
  onProgress?: (line: string, kind?: ProgressKind) => void;
  /** One call per program copied: for an updating progress line, never for a log. */
  onStep?: (done: number, total: number, what: string) => void;
}

const LOCK_WAIT_MS = 10 * 60_000;

function explain(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

/** mkdir -p one level at a time: Node's recursive mkdir spins forever under /proc and sysfs,
 * where mkdir fails with ENOENT on a parent that exists. */
function mkdirParents(path: string): void {
  try {
    mkdirSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(path) === path) throw err;
    mkdirParents(dirname(path));
    mkdirSync(path);
  }
}

/** Take DIR.lock, waiting for a live holder; a holder that died is taken over. */
export async function acquireLock(dir: string, onProgress: (line: string) => void): Promise<() => void> {
  const lock = lockPath(dir);
  try {
    mkdirParents(dirname(dir));
  } catch (err) {
    throw new RootfsError(
      `Cannot create ${dirname(dir)} for the rootfs (${explain(err)}); set NSLAB_ROOTFS or XDG_CACHE_HOME to a directory you can write.`,
    );
  }
  const deadline = Date.now() + LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new RootfsError(
          `Cannot write the rootfs lock ${lock} (${explain(err)}); set NSLAB_ROOTFS or XDG_CACHE_HOME to a directory you can write.`,
        );
    }
    let holder = NaN;
    let age = 0;
    try {
      holder = Number(readFileSync(lock, 'utf8').trim());
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released between our open and our read
    }
    // An empty lock younger than a second is a holder that has not written its pid yet.
    const dead = Number.isInteger(holder) && holder > 0 ? !alive(holder) : age > 1000;
    if (dead) {
      try {
        unlinkSync(lock);
      } catch {
        /* someone else took it over first */
      }
      continue;
    }
    if (!told) onProgress(`waiting for process ${holder}, which is building the rootfs in ${dir}`);
    told = true;
    if (Date.now() > deadline)
      throw new RootfsError(`Process ${holder} has held ${lock} for over 10 minutes; if it is stuck, stop it or delete the lock file.`);
    await sleep(200);
  }
}

/** Which builder, and why, in words the learner sees. Host programs by default: the rootfs then
 * holds the very unshare, setpriv, ps and ip the learner types on this machine, with their
 * libraries, and needs nothing the README does not require. busybox only when asked for. */
export function chooseMethod(requested?: BuildMethod): { method: BuildMethod; why: string; busybox: string | null } {
  if (requested !== 'busybox')
    return { method: 'host', why: "copying this machine's own programs and their libraries, so the rootfs runs the tools you type on the host", busybox: null };
  const bb = findStaticBusybox();
  if (bb.path) return { method: 'busybox', why: `using busybox, as asked: ${bb.why}`, busybox: bb.path };
  throw new RootfsError(`No static busybox to build the rootfs from: ${bb.why}; install it (sudo apt-get install busybox-static) or build from host programs instead (npx nslab rootfs build).`);
}

/** Put nslab's own tools (native/nslab-tools) at TOOLS_IN_ROOTFS in the rootfs dir, replacing an
 * older copy; a rootfs from any builder, or one the user brought (NSLAB_ROOTFS), gets them. */
export function installTools(dir: string): 'installed' | 'current' {
  const source = join(dirname(scriptsDir()), 'native', 'nslab-tools');
  const target = join(dir, TOOLS_IN_ROOTFS);
  let want: Buffer;
  try {
    want = readFileSync(source);
  } catch {
    throw new RootfsError(`${source} is not built; run \`npm install\` (or \`npm run build\`) in ${dirname(scriptsDir())}, which compiles it with the system C compiler.`);
  }
  try {
    if (readFileSync(target).equals(want)) return 'current';
  } catch {
    /* absent */
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(`${target}.tmp`, want, { mode: 0o755 });
  renameSync(`${target}.tmp`, target);
  return 'installed';
}

/** Remove what interrupted builds left next to dir (their builders are dead). */
export function removeLeftovers(dir: string): string[] {
  const removed: string[] = [];
  for (const b of buildingDirs(dir)) {
    if (b.running && b.pid !== process.pid) continue;
    rmSync(b.path, { recursive: true, force: true });
    removed.push(b.path);
  }
  return removed;
}

/** Build with the lock already held. */
export async function buildLocked(dir: string, opts: BuildOptions = {}): Promise<RootfsManifest> {
  const progress = opts.onProgress ?? (() => {});
  const choice = chooseMethod(opts.method);
  progress(choice.why);
  for (const p of removeLeftovers(dir)) progress(`removed the leftover of an interrupted build: ${p}`, 'summary');

  const building = `${dir}${BUILDING}${process.pid}`;
  const script = join(scriptsDir(), choice.method === 'busybox' ? 'busybox.sh' : 'host-binaries.sh');
  const env: Record<string, string> = {};
  if (choice.busybox) env.NSLAB_BUSYBOX = choice.busybox;
  if (opts.onStep) env.NSLAB_STEPS = '1';
  progress(`running ${script} ${building}`, 'note');

  const { execa } = await import('execa');
  const child = execa('sh', [script, building], { env, all: true, reject: false, stdin: 'ignore' });
  const tail: string[] = [];
  for await (const line of child.iterable({ from: 'all' })) {
    const step = /^step (\d+)\/(\d+) (.+)$/.exec(line);
    if (step) {
      opts.onStep?.(Number(step[1]), Number(step[2]), step[3]!);
      continue;
    }
    // "built DIR.building-PID": the temporary name, which is renamed into place below.
    progress(line, line.startsWith(`built ${building}`) ? 'note' : 'summary');
    tail.push(line);
    if (tail.length > 5) tail.shift();
  }
  const result = await child;
  if (result.exitCode !== 0) {
    rmSync(building, { recursive: true, force: true });
    const last = tail.at(-1) ?? `exit status ${result.exitCode ?? result.signal}`;
    throw new RootfsError(
      `Building the rootfs with ${script} failed (${last}); install what it names, or point NSLAB_ROOTFS at a ready rootfs.`,
    );
  }

  // The script wrote its marker last; add why this builder was chosen and write it again
  // (atomically: tmp + rename) so the marker is still the last thing to appear.
  let manifest: RootfsManifest;
  try {
    manifest = JSON.parse(readFileSync(join(building, MARKER), 'utf8')) as RootfsManifest;
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    throw new RootfsError(`${script} finished without writing ${MARKER} (${explain(err)}); the script is broken, please report it.`);
  }
  manifest.reason = choice.why;
  installTools(building);
  writeFileSync(join(building, `${MARKER}.tmp`), JSON.stringify(manifest, null, 2) + '\n');
  renameSync(join(building, `${MARKER}.tmp`), join(building, MARKER));

  // rename(2) cannot replace a non-empty directory, so move the old one aside first.
  const old = `${dir}.old-${process.pid}`;
  let hadOld = false;
  try {
    renameSync(dir, old);
    hadOld = true;
    progress(`replacing the previous rootfs in ${dir}`, 'note');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  renameSync(building, dir);
  if (hadOld) rmSync(old, { recursive: true, force: true });

  const status = rootfsStatus(dir);
  if (status.state !== 'ready')
    throw new RootfsError(`The rootfs built in ${dir} is ${status.state} (${status.reason}); the builder script is broken, please report it.`);
  progress(`rootfs ready: ${dir} (${manifest.kind})`, 'done');
  return manifest;
}

export interface Reporter {
  onProgress: (line: string, kind?: ProgressKind) => void;
  onStep: (done: number, total: number, what: string) => void;
  /** The build ended (or failed): take the updating line off the screen if it is still there. */
  end: () => void;
}

/**
 * How a build looks. On a terminal: one line, rewritten in place as the build goes, that ends as
 * the 'done' line with the summary after it. Elsewhere (a log, CI, a pipe): the summary lines and
 * the 'done' line, one each, and nothing per program.
 */
export function reporter(stream: { isTTY?: boolean; columns?: number; write(s: string): unknown }, prefix = '', tty = Boolean(stream.isTTY)): Reporter {
  const summary: string[] = [];
  let shown = false;
  const fit = (text: string): string => {
    const width = (stream.columns || 80) - 1;
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  };
  const show = (text: string): void => {
    stream.write(`\r${fit(prefix + text)}\x1b[K`);
    shown = true;
  };
  const end = (): void => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return {
    onProgress(line, kind) {
      if (!tty) {
        if (kind !== 'note') stream.write(`${prefix}${line}\n`);
        return;
      }
      if (kind === 'summary') summary.push(line);
      if (kind !== 'done') return show(line);
      end();
      stream.write(`${prefix}${[line, ...summary].join('; ')}\n`);
      summary.length = 0;
    },
    onStep(done, total, what) {
      if (tty) show(`copying programs [${done}/${total}] ${what}`);
    },
    end,
  };
}

/** Build (or rebuild) the rootfs in dir. */
export async function buildRootfs(dir: string = rootfsDir(), opts: BuildOptions = {}): Promise<RootfsManifest> {
  const release = await acquireLock(dir, opts.onProgress ?? (() => {}));
  try {
    return await buildLocked(dir, opts);
  } finally {
    release();
  }
}
