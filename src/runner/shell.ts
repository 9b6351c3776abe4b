// `nslab shell`: an interactive busybox sh in a disposable sandbox, where the learner makes the
// kernel state an exercise asks for with real tools, while nslab waits outside to judge it.
//
// The sandbox is user + mount + PID namespaces, not pivoted: the host's files and util-linux
// stay in reach, and the lab's rootfs sits at $NSLAB_ROOTFS to chroot or pivot into. A small
// init (busybox sh, PID 1 of the sandbox) mounts a fresh /proc and runs the learner's shell as
// its child, so the shell itself is not the PID 1 an exercise may ask for. When the shell exits
// the init exits, and the kernel kills everything left in the PID namespace; when nslab is
// killed, the helper's death signal chain does the same. Every mount lives in the sandbox's
// mount namespace and goes with it, including the tmpfs holding the in-shell `nslab` command,
// so nothing is left on the host but the record file below, which a killed nslab cannot remove
// and which the next `nslab shell` or `nslab check` recognises as stale.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { LoadedLesson } from '../lessons/loader.js';
import type { NsKind } from '../sandbox/types.js';
import { startSandbox } from '../sandbox/index.js';
import { startTime } from '../check/inspect.js';
import { NslabError } from './errors.js';
import { SHIM_MARK, findShell, removeShellRecord, writeShellRecord, type ShellRecord } from './exercise.js';
import { stateDir } from './progress.js';

/** A request from the in-shell `nslab` command, and what to print for it. */
export interface ShimRequest {
  argv: string[];
  columns: number;
  tty: boolean;
}
export interface ShimReply {
  out: string;
  code: number;
}

export interface ShellOptions {
  lesson: LoadedLesson;
  rootfs: string;
  /** Answers `nslab ...` typed inside the shell; the record says where the sandbox is. */
  serve: (req: ShimRequest, record: ShellRecord) => Promise<ShimReply>;
  /** A stale record found and removed, in one sentence. */
  notice?: (message: string) => void;
  /** Called once the sandbox runs (tests, the banner's PID line). */
  onStart?: (record: ShellRecord) => void;
  stateDir?: string;
}

/** Host tools a learner needs by their util-linux/coreutils names. busybox sh runs its own
 * applets before searching PATH, so these become shell functions calling the host's binary. */
const HOST_TOOLS = ['unshare', 'nsenter', 'pivot_root', 'setpriv', 'capsh', 'getpcaps', 'chroot', 'mount', 'umount', 'findmnt', 'lsns'];
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function shellrc(lesson: string): string {
  return [
    '# nslab shell: util-linux tools by their own names, not busybox applets',
    `for _t in ${HOST_TOOLS.join(' ')}; do`,
    `  for _d in ${SYSTEM_PATH.join(' ')}; do`,
    '    if [ -x "$_d/$_t" ]; then eval "$_t() { $_d/$_t \\"\\$@\\"; }"; break; fi',
    '  done',
    'done',
    'unset _t _d',
    `PS1='[nslab ${lesson}] \\w \\$ '`,
    '',
  ].join('\n');
}

function shimScript(): string {
  // Runs inside the sandbox with the host's node; talks to the outer nslab over an abstract
  // unix socket (scoped to the network namespace, so no file is left behind), with a token
  // only this shell's environment holds.
  return `import { connect } from 'node:net';
const name = process.env.NSLAB_SHELL_SOCKET, token = process.env.NSLAB_SHELL_TOKEN, lesson = process.env.NSLAB_LESSON || '';
const fail = (m) => { process.stderr.write('nslab: ' + m + '\\n'); process.exit(1); };
if (!name || !token) fail('this process has lost its link to the nslab that runs this shell; check from outside with: nslab check ' + lesson);
const sock = connect('\\0' + name);
let buf = '';
sock.setEncoding('utf8');
sock.on('connect', () => sock.write(JSON.stringify({ token, argv: process.argv.slice(2), columns: process.stdout.columns || 0, tty: Boolean(process.stdout.isTTY) }) + '\\n'));
sock.on('data', (d) => (buf += d));
sock.on('error', (e) => fail('cannot reach the nslab that runs this shell (' + e.code + '); from outside run: nslab check ' + lesson));
sock.on('close', () => {
  let r;
  try { r = JSON.parse(buf); } catch { fail('nslab closed the connection without an answer'); }
  process.stdout.write(r.out);
  process.exitCode = r.code;
});
`;
}

// PID 1 of the sandbox. Written for busybox sh; every failure is explained, none is fatal
// except not being able to start the shell.
const INIT = `bb=$NSLAB_BB
$bb mount -t proc -o nosuid,nodev,noexec proc /proc 2>/dev/null || echo "nslab: could not mount a fresh /proc here; ps shows the host's processes" >&2
if $bb mount -t tmpfs -o mode=0755,size=1m nslab-shell "$NSLAB_TOOLS" 2>/dev/null; then
  printf '%s' "$NSLAB_SHIM_JS" > "$NSLAB_TOOLS/${SHIM_MARK}.mjs"
  printf '%s' "$NSLAB_SHIM_SH" > "$NSLAB_TOOLS/nslab"
  $bb chmod 755 "$NSLAB_TOOLS/nslab"
  printf '%s' "$NSLAB_RC" > "$NSLAB_TOOLS/shellrc"
  export ENV="$NSLAB_TOOLS/shellrc"
else
  echo "nslab: 'nslab check' works only from outside this shell here (no tmpfs for the helper command)" >&2
fi
unset NSLAB_SHIM_JS NSLAB_SHIM_SH NSLAB_RC NSLAB_BB
cd "$HOME" 2>/dev/null || cd /
$bb sh -i
exit $?
`;

/** Runs the shell in the foreground until it exits; returns its exit status. */
export async function runShell(opts: ShellOptions): Promise<number> {
  const dir = opts.stateDir ?? stateDir();
  const id = opts.lesson.meta.id;
  const existing = findShell(id, dir);
  if (existing.state === 'live')
    throw new NslabError(`\`nslab shell ${id}\` is already running (sandbox PID ${existing.record.pid}, started ${existing.record.startedAt}); use that one, or exit it first.`);
  if (existing.state === 'stale') opts.notice?.(existing.message);

  const tools = join(dir, 'shell-tools');
  mkdirSync(tools, { recursive: true, mode: 0o755 });
  const exercises = opts.lesson.module.exercises ?? [];
  const extra = new Set<NsKind>(exercises.flatMap((x) => x.namespaces ?? []));
  if (extra.has('net')) throw new NslabError(`lesson ${id} asks for a network namespace for its shell, which would cut the in-shell \`nslab\` command off from nslab; check from outside instead.`);

  const socketName = `nslab-shell-${process.pid}-${randomBytes(6).toString('hex')}`;
  const token = randomBytes(16).toString('hex');
  let record: ShellRecord | undefined;
  const server = await listen(socketName, token, async (req) => {
    if (!record) return { out: 'nslab: the sandbox is still starting; try again.\n', code: 1 };
    return opts.serve(req, record);
  });

  // Ctrl-C and Ctrl-\ belong to the learner's shell (job control gives it the terminal, but not
  // every terminal has job control): they must not tear the sandbox down from out here.
  const saved = (['SIGINT', 'SIGQUIT'] as const).map((sig) => [sig, process.listeners(sig)] as const);
  const ignore = (): void => {};
  for (const [sig] of saved) {
    process.removeAllListeners(sig);
    process.on(sig, ignore);
  }
  try {
    const bb = join(opts.rootfs, 'bin', 'busybox');
    const box = await startSandbox({
      namespaces: ['user', 'mnt', 'pid', ...[...extra].filter((k) => !['user', 'mnt', 'pid'].includes(k))],
      command: [bb, 'sh', '-c', INIT, 'nslab-init'],
      stdio: 'inherit',
      env: {
        NSLAB_BB: bb,
        NSLAB_ROOTFS: opts.rootfs,
        NSLAB_LESSON: id,
        NSLAB_TOOLS: tools,
        NSLAB_SHELL_SOCKET: socketName,
        NSLAB_SHELL_TOKEN: token,
        NSLAB_SHIM_JS: shimScript(),
        NSLAB_SHIM_SH: `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(join(tools, `${SHIM_MARK}.mjs`))} "$@"\n`,
        NSLAB_RC: shellrc(id),
        PATH: [tools, ...SYSTEM_PATH, join(opts.rootfs, 'bin')].join(':'),
      },
    });
    record = {
      lesson: id,
      pid: box.pid,
      startTime: startTime(box.pid) ?? 0,
      nslabPid: process.pid,
      rootfs: opts.rootfs,
      startedAt: new Date().toISOString(),
    };
    writeShellRecord(record, dir);
    try {
      opts.onStart?.(record);
      const end = await box.exited;
      return end.code ?? 128 + 9;
    } finally {
      removeShellRecord(id, box.pid, dir);
    }
  } finally {
    server.close();
    for (const [sig, listeners] of saved) {
      process.off(sig, ignore);
      for (const l of listeners) process.on(sig, l as () => void);
    }
  }
}

function listen(name: string, token: string, handle: (req: ShimRequest) => Promise<ShimReply>): Promise<Server> {
  const server = createServer((conn: Socket) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('error', () => {});
    conn.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > 65536) conn.destroy();
        return;
      }
      conn.removeAllListeners('data');
      let req: ShimRequest & { token?: string };
      try {
        req = JSON.parse(buf.slice(0, nl));
      } catch {
        return void conn.destroy();
      }
      // Abstract sockets have no file permissions: the token stands in for them.
      if (req.token !== token || !Array.isArray(req.argv)) return void conn.destroy();
      handle({ argv: req.argv.map(String), columns: Number(req.columns) || 0, tty: Boolean(req.tty) }).then(
        (reply) => conn.end(JSON.stringify(reply)),
        (err: unknown) => conn.end(JSON.stringify({ out: `nslab: ${(err as Error).message}\n`, code: 1 })),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(`\0${name}`, () => {
      server.off('error', reject);
      // The shell must be able to exit even while a connection lingers.
      server.unref();
      resolve(server);
    });
  });
}
