// `nslab shell`: an interactive shell in a disposable sandbox, where the learner makes the kernel
// state an exercise asks for with real tools, while nslab waits outside to judge it.
//
// The shell is the rootfs's own, so the learner types in the shell the lessons' programs run in:
// its bash (copied from this machine, with line editing and history), else its /bin/sh (dash, or
// busybox sh in a busybox rootfs), else this machine's when the rootfs's cannot run outside it.
// The util-linux tools (unshare, nsenter, pivot_root, setpriv, mount) are this machine's.
//
// The sandbox is user + mount + PID namespaces, not pivoted: the host's files and util-linux
// stay in reach, and the lab's rootfs sits at $NSLAB_ROOTFS to chroot or pivot into. A small
// init (the same sh, PID 1 of the sandbox) mounts a fresh /proc and runs the learner's shell as
// its child, so the shell itself is not the PID 1 an exercise may ask for. When the shell exits
// the init exits, and the kernel kills everything left in the PID namespace; when nslab is
// killed, the helper's death signal chain does the same. Every mount lives in the sandbox's
// mount namespace and goes with it, including the tmpfs holding the in-shell `nslab` command,
// so nothing is left on the host but the record file below, which a killed nslab cannot remove
// and which the next `nslab shell` or `nslab check` recognises as stale.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { LoadedLesson } from '../lessons/loader.js';
import type { NsKind } from '../sandbox/types.js';
import { startSandbox } from '../sandbox/index.js';
import { startTime } from '../check/inspect.js';
import { findIn, missingTool } from '../rootfs/tools.js';
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
  /** The shell and tools to use (planShell(rootfs) when absent). */
  plan?: ShellPlan;
  /** A stale record found and removed, or a shell other than planned, in one sentence. */
  notice?: (message: string) => void;
  /** Called once the sandbox runs (tests, the banner's PID line). */
  onStart?: (record: ShellRecord) => void;
  stateDir?: string;
}

/** What the learner is told is on PATH, by its own name. */
export const LEARNER_TOOLS = ['unshare', 'nsenter', 'pivot_root', 'setpriv', 'capsh'];
/** Host tools a learner needs by their util-linux/coreutils names. busybox sh runs its own
 * applets before searching PATH, so under busybox sh these become shell functions calling the
 * host's program. */
const HOST_TOOLS = ['unshare', 'nsenter', 'pivot_root', 'setpriv', 'capsh', 'getpcaps', 'chroot', 'mount', 'umount', 'findmnt', 'lsns'];
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Which shell runs, with what, and what is missing; decided before the sandbox starts. */
export interface ShellPlan {
  /** The shell program: the sandbox's init, the keeper and the learner's shell. */
  sh: string;
  /** bash reads --rcfile; busybox sh's applets shadow PATH, so host tools become functions;
   * any other sh reads $ENV. */
  kind: 'bash' | 'busybox' | 'sh';
  /** util-linux mount and coreutils chmod for the init, or null (the init explains). */
  mount: string | null;
  chmod: string | null;
  /** What the banner says about the shell and the tools, one line each. */
  about: string[];
  /** Something went differently than planned, one sentence each, for the learner. */
  notices: string[];
}

/** The shell's name: the file it is (a link's target, or a same-directory program it is a copy
 * of, since the host-programs rootfs copies /bin/sh under that name). */
function shellName(sh: string): string {
  let real: string;
  try {
    real = realpathSync(sh);
  } catch {
    return basename(sh);
  }
  const name = basename(real);
  if (name === 'busybox') return 'busybox sh';
  if (name !== 'sh') return name;
  try {
    const mine = readFileSync(real);
    for (const other of ['dash', 'bash', 'mksh', 'ksh', 'zsh']) {
      const p = join(dirname(real), other);
      try {
        if (statSync(p).size === mine.length && readFileSync(p).equals(mine)) return other;
      } catch {
        /* not there */
      }
    }
  } catch {
    /* unreadable: keep its name */
  }
  return name;
}

/** Does this shell run here, outside its rootfs (its loader and libraries from the host)? */
function runsHere(sh: string): string | null {
  const r = spawnSync(sh, ['-c', 'exit 0'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000, encoding: 'utf8' });
  if (r.status === 0) return null;
  const err = r.error as NodeJS.ErrnoException | undefined;
  return err ? (err.code ?? err.message) : r.stderr?.trim().split('\n')[0] || `exit status ${r.status ?? r.signal}`;
}

/** The rootfs's own shell when it runs outside the rootfs (bash when it has bash: line editing
 * and history, which Debian's dash lacks; else its /bin/sh), else the host's; util-linux tools
 * from the host, else the rootfs. Throws only when no shell at all can run here. */
export function planShell(rootfs: string): ShellPlan {
  const notices: string[] = [];
  const some = (xs: (string | undefined)[]): string[] => xs.filter((p): p is string => Boolean(p));
  const own = some([findIn(rootfs, 'bash'), findIn(rootfs, 'sh')]);
  const host = some([findIn('', 'bash'), findIn('', 'sh')]);
  const failed: string[] = [];
  let sh: string | undefined;
  for (const c of [...own, ...host]) {
    const why = runsHere(c);
    if (!why) {
      sh = c;
      break;
    }
    failed.push(`${c}: ${why}`);
  }
  if (!sh)
    throw new NslabError(`No shell can run here (${failed.join('; ') || `none in ${rootfs}/bin or on this machine`}); rebuild the rootfs with \`nslab rootfs clean && nslab rootfs build\`.`);
  const fromRootfs = own.includes(sh);
  if (!fromRootfs)
    notices.push(`The rootfs's shell does not run outside its rootfs here (${failed.join('; ') || `no sh in ${rootfs}/bin`}), so your shell is this machine's ${sh}; \`nslab rootfs clean && nslab rootfs build\` gives the rootfs one that does.`);
  const name = shellName(sh);
  const tool = (t: string): string | null => findIn('', t) ?? findIn(rootfs, t) ?? null;
  const present = LEARNER_TOOLS.filter((t) => findIn('', t));
  const list = (xs: string[]): string => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}` : (xs[0] ?? ''));
  const about = [
    `Your shell is ${name} (${fromRootfs ? `the rootfs's ${sh.slice(rootfs.length)}` : sh}).${present.length ? ` This machine's ${list(present)} are on PATH.` : ''}`,
    ...LEARNER_TOOLS.filter((t) => !present.includes(t)).map((t) => `Not here: ${missingTool(t)}.`),
  ];
  return { sh, kind: name === 'busybox sh' ? 'busybox' : name === 'bash' ? 'bash' : 'sh', mount: tool('mount'), chmod: tool('chmod'), about, notices };
}

function shellrc(lesson: string, plan: ShellPlan): string {
  const lines = ['# nslab shell'];
  if (plan.kind === 'busybox') {
    lines.push('# util-linux tools by their own names, not busybox applets');
    for (const t of HOST_TOOLS) {
      const p = findIn('', t);
      if (p) lines.push(`${t}() { ${quote(p)} "$@"; }`);
    }
  }
  lines.push(
    // History lives and dies with the sandbox, not in the learner's home.
    'HISTFILE="$NSLAB_TOOLS/history"',
    // Parameter expansion in PS1 is POSIX (dash has no \w); the learner is root in the sandbox's
    // user namespace unless they change that, which `id -u` sees.
    `if [ "$(id -u 2>/dev/null)" = 0 ]; then PS1='[nslab ${lesson}] $PWD # '; else PS1='[nslab ${lesson}] $PWD $ '; fi`,
    '',
  );
  return lines.join('\n');
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

// PID 1 of the sandbox, in POSIX sh (bash, dash and busybox sh run it alike). Every failure is
// explained, none is fatal except not being able to start the shell.
//
// The learner's shell runs under a keeper: a shell with job control on, which moves the
// terminal to a process group inside this PID namespace, so that the learner's shell can take
// it and, on exit, hand it back. PID 1 itself must not turn job control on: the group that had
// the terminal before is nslab's, which this namespace cannot name, and dash exits with status 2
// ("Cannot set tty process group") when it cannot hand the terminal back to it. The keeper may
// fail so on its own exit: its message is discarded, and the status it reports on fd 3 is the
// learner's shell's.
const KEEPER = `set -m 2>/dev/null; "$NSLAB_SH" "$@" 3>&- 4>&-; echo $? >&3; exec 2>/dev/null`;
const INIT = `m=$NSLAB_MOUNT rcfile=
if [ -z "$m" ]; then
  echo "nslab: $NSLAB_NO_MOUNT: this shell sees the host's /proc (ps shows the host's processes), and 'nslab check' works only from outside it" >&2
elif ! "$m" -t proc -o nosuid,nodev,noexec proc /proc 2>/dev/null; then
  echo "nslab: could not mount a fresh /proc here; ps shows the host's processes" >&2
fi
if [ -n "$m" ] && "$m" -t tmpfs -o mode=0755,size=1m nslab-shell "$NSLAB_TOOLS" 2>/dev/null; then
  printf '%s' "$NSLAB_SHIM_JS" > "$NSLAB_TOOLS/${SHIM_MARK}.mjs"
  printf '%s' "$NSLAB_SHIM_SH" > "$NSLAB_TOOLS/nslab"
  printf '%s' "$NSLAB_RC" > "$NSLAB_TOOLS/shellrc"
  if [ -z "$NSLAB_CHMOD" ] || ! "$NSLAB_CHMOD" 755 "$NSLAB_TOOLS/nslab" 2>/dev/null; then
    # Not executable: the interactive shell gets a function instead (other programs won't see it).
    printf '\\nnslab() { "$NSLAB_SH" "$NSLAB_TOOLS/nslab" "$@"; }\\n' >> "$NSLAB_TOOLS/shellrc"
  fi
  rcfile="$NSLAB_TOOLS/shellrc"
  export ENV="$rcfile"
elif [ -n "$m" ]; then
  echo "nslab: 'nslab check' works only from outside this shell here (no tmpfs for the helper command)" >&2
fi
set -- -i
if [ "$NSLAB_SH_KIND" = bash ]; then
  # bash reads --rcfile, not $ENV. Its line editor echoes what it reads from a pipe (a script
  # piped into nslab shell), so there is none then.
  [ -t 0 ] || set -- --noediting "$@"
  if [ -n "$rcfile" ]; then set -- --rcfile "$rcfile" "$@"; else set -- --norc "$@"; fi
fi
unset NSLAB_SHIM_JS NSLAB_SHIM_SH NSLAB_RC NSLAB_MOUNT NSLAB_NO_MOUNT NSLAB_CHMOD NSLAB_SH_KIND
cd "$HOME" 2>/dev/null || cd /
exec 4>&1
rc=$("$NSLAB_SH" -c '${KEEPER}' ${SHIM_MARK}-keeper "$@" 3>&1 1>&4 4>&-)
exit "\${rc:-1}"
`;

/** Runs the shell in the foreground until it exits; returns its exit status. */
export async function runShell(opts: ShellOptions): Promise<number> {
  const dir = opts.stateDir ?? stateDir();
  const id = opts.lesson.meta.id;
  const existing = findShell(id, dir);
  if (existing.state === 'live')
    throw new NslabError(`\`nslab shell ${id}\` is already running (sandbox PID ${existing.record.pid}, started ${existing.record.startedAt}); use that one, or exit it first.`);
  if (existing.state === 'stale') opts.notice?.(existing.message);

  const plan = opts.plan ?? planShell(opts.rootfs);
  for (const n of plan.notices) opts.notice?.(n);
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
    const box = await startSandbox({
      namespaces: ['user', 'mnt', 'pid', ...[...extra].filter((k) => !['user', 'mnt', 'pid'].includes(k))],
      command: [plan.sh, '-c', INIT, 'nslab-init'],
      stdio: 'inherit',
      env: {
        NSLAB_SH: plan.sh,
        NSLAB_SH_KIND: plan.kind,
        NSLAB_MOUNT: plan.mount ?? '',
        NSLAB_NO_MOUNT: plan.mount ? '' : missingTool('mount'),
        NSLAB_CHMOD: plan.chmod ?? '',
        NSLAB_ROOTFS: opts.rootfs,
        NSLAB_LESSON: id,
        NSLAB_TOOLS: tools,
        NSLAB_SHELL_SOCKET: socketName,
        NSLAB_SHELL_TOKEN: token,
        NSLAB_SHIM_JS: shimScript(),
        NSLAB_SHIM_SH: `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(join(tools, `${SHIM_MARK}.mjs`))} "$@"\n`,
        NSLAB_RC: shellrc(id, plan),
        PATH: [tools, ...SYSTEM_PATH, join(opts.rootfs, 'bin')].join(':'),
      },
    });
    record = {
      lesson: id,
      pid: box.pid,
      startTime: startTime(box.pid) ?? 0,
      nslabPid: process.pid,
      rootfs: opts.rootfs,
      about: plan.about,
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
