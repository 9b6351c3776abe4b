// Running one experiment in a fresh sandbox and collecting what it observed.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled } from './time.js';
import { bundleFor } from './bundles.js';
import { effectiveNamespaces, ENTRY_STUB, fromSource, helperPath, runArgs, UidRangeError } from './helper.js';
import { RunCgroups } from './cgroup-requests.js';
import { hostPidsOf, outsideView } from './outside.js';
import { CHANNEL_FD, encode, FrameDecoder } from './channel.js';
import type { ToHost, ToSandbox } from './protocol.js';
import type { ExperimentRef, OutsideHook, OutsideView, SandboxOptions, SandboxResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_TIMEOUT_MS = 15_000;

/** Whether the sandbox starts the built entry: always from dist/, and from the sources (tests)
 * where the test runner found dist/ built from them (NSLAB_TEST_DIST=1). tsx compiling the entry
 * and its forty imports afresh in every sandbox cost several times the experiment itself, and
 * the built entry is the one learners' sandboxes run. */
function builtEntry(env: NodeJS.ProcessEnv): boolean {
  return existsSync(ENTRY_STUB) && (!fromSource || env.NSLAB_TEST_DIST === '1');
}

/** How to start Node inside for an experiment in `module`, given the one-file copy it will load
 * instead (if any): the built entry where there is one, through tsx when the module itself is
 * TypeScript that no bundle replaces (a test's fixture), else the TypeScript entry through tsx. */
export function nodeCommand(module: string, bundle: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  // Resolved here, not by bare name: the sandbox's cwd may not see this package's node_modules.
  const tsx = () => ['--import', import.meta.resolve('tsx')];
  if (builtEntry(env)) {
    // The build bundles the entry and everything it imports into one CommonJS file, loaded by
    // a stub with V8's code cache: one file to read and no compiling is most of what a sandbox
    // would otherwise cost above a bare Node start.
    return [process.execPath, ...(module.endsWith('.ts') && !bundle ? tsx() : []), ENTRY_STUB];
  }
  if (!fromSource) return [process.execPath, join(here, 'entry.js')];
  return [process.execPath, ...tsx(), join(here, 'entry.ts')];
}

/** The sandbox's PID as the host sees it, written by the helper to the extra pipe. */
export function readPidPipe(child: ChildProcess, fd: number): Promise<number> {
  return new Promise((resolve) => {
    let text = '';
    const pipe = child.stdio[fd] as NodeJS.ReadableStream | null;
    if (!pipe) return resolve(-1);
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => (text += d));
    pipe.on('end', () => resolve(Number.parseInt(text, 10) || -1));
    pipe.on('error', () => resolve(-1));
  });
}

/** What a crashed Node printed, in one line: its "TypeError: ..." line where there is one (Node
 * prints the source line, a caret, the error, the frames and its version), else the last lines
 * without frames. The frames themselves only with NSLAB_DEBUG=1. */
export function crashSummary(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  if (process.env.NSLAB_DEBUG === '1') return lines.slice(-3).join(' / ');
  const error = lines.find((l) => /^(Uncaught )?([A-Z]\w*)?Error( \[\w+\])?: /.test(l));
  return error ?? lines.filter((l) => !/^\s+at \S/.test(l) && !/^Node\.js v\d/.test(l)).slice(-3).join(' / ');
}

/** The helper's own complaint (one line, "nslab-helper: ...") if it failed before exec. */
export function helperComplaint(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => l.startsWith('nslab-helper: '));
  return line?.slice('nslab-helper: '.length);
}

/** Resolves once pid has exited (or is a zombie waiting for its new parent), or after 5 s. */
export async function gone(pid: number): Promise<void> {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    let state: string | undefined;
    try {
      state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    } catch {
      return;
    }
    if (state === 'Z' || state === 'X') return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A result before anything has been observed; the run fills it in as the child reports. */
function emptyResult<O>(status: SandboxResult<O>['status']): SandboxResult<O> {
  return { status, observations: undefined, trace: [], outside: {}, exitCode: null, signal: null, stderr: '', pid: -1, durationMs: 0 };
}

function skipped<O>(reason: string, started: number): SandboxResult<O> {
  return { ...emptyResult<O>('skip'), reason, durationMs: Date.now() - started };
}

export async function runExperiment<O = unknown>(
  ref: ExperimentRef,
  opts: SandboxOptions & { outside?: OutsideHook },
): Promise<SandboxResult<O>> {
  const started = Date.now();
  const namespaces = effectiveNamespaces(opts.namespaces);
  if (opts.rootfs && !namespaces.includes('mnt')) throw new Error('a rootfs needs a mount namespace (add "mnt")');
  const helper = helperPath();
  const env = { ...process.env, ...opts.env };
  const bundle = ref.bundle ?? bundleFor(ref.module, env);
  const [node, ...nodeArgs] = nodeCommand(ref.module, bundle, env);
  let helperArgs: string[];
  try {
    helperArgs = runArgs({ namespaces, hostname: opts.hostname, uidRange: opts.uidRange }, 4);
  } catch (err) {
    if (!(err instanceof UidRangeError)) throw err;
    return skipped(`needs a user namespace with many uids: ${err.message}`, started);
  }
  const child = spawn(helper, [...helperArgs, node!, ...nodeArgs], {
    // fd 3: the message channel (a socketpair), fd 4: the helper's PID report.
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    env,
  });

  const result = emptyResult<O>('error');
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (result.stderr += d));
  const pidKnown = readPidPipe(child, 4).then((pid) => (result.pid = pid));
  let reply: ToHost | undefined;
  let timedOut = false;

  const timer = setTimeout(() => {
    timedOut = true;
    // SIGKILL to the helper: the sandbox's death signal takes the sandbox, and with it its
    // PID namespace, down too.
    child.kill('SIGKILL');
  }, scaled(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS));

  const channel = child.stdio[CHANNEL_FD] as Socket;
  // A reply to a sandbox that has just died meets EPIPE; its exit is reported by 'close'.
  channel.on('error', () => {});
  const toSandbox = (msg: ToSandbox): void => {
    if (channel.writable) channel.write(encode(msg));
  };

  const cgroups = new RunCgroups(() => result.pid);

  const decoder = new FrameDecoder();
  channel.on('data', (chunk: Buffer) => {
    let msgs: ToHost[];
    try {
      msgs = decoder.push(chunk) as ToHost[];
    } catch (err) {
      reply = { type: 'error', message: `the sandbox sent a message nslab could not read: ${(err as Error).message}`, trace: [] };
      return;
    }
    for (const msg of msgs) onMessage(msg);
  });
  function onMessage(msg: ToHost): void {
    if (msg.type === 'cgroup') {
      void (async () => {
        try {
          await pidKnown;
          toSandbox({ type: 'cgroup-reply', id: msg.id, result: await cgroups.handle(msg) });
        } catch (err) {
          toSandbox({ type: 'cgroup-reply', id: msg.id, result: undefined, error: (err as Error).message });
        }
      })();
      return;
    }
    if (msg.type !== 'checkpoint') {
      reply = msg;
      return;
    }
    void (async () => {
      try {
        await pidKnown;
        const pids = msg.pids.length ? hostPidsOf(result.pid, msg.pids) : [result.pid];
        const views: OutsideView[] = pids.map(outsideView);
        (result.outside[msg.label] ??= []).push(...views);
        const hook = opts.outside ? await opts.outside(msg.label, views, result.pid, msg.data) : undefined;
        toSandbox({ type: 'checkpoint-reply', id: msg.id, views, hook });
      } catch (err) {
        toSandbox({ type: 'checkpoint-reply', id: msg.id, views: [], hook: undefined, error: (err as Error).message });
      }
    })();
  }

  toSandbox({
    type: 'start',
    ref: { ...ref, bundle },
    rootfs: opts.rootfs,
    pivot: opts.pivot ?? true,
    newPidNs: namespaces.includes('pid'),
    helper,
  });

  let code: number | null;
  let signal: NodeJS.Signals | null;
  let cleanup: Awaited<ReturnType<RunCgroups['close']>>;
  try {
    [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.on('close', (c, s) => resolve([c, s]));
    });
    clearTimeout(timer);
    await pidKnown;
    // After a kill the sandbox dies by its death signal, a moment after the helper: wait, so
    // that when this returns nothing of the sandbox is still running.
    if (timedOut && result.pid > 0) await gone(result.pid);
  } finally {
    // However the sandbox ended, the cgroups it was given go with it (members killed first).
    cleanup = await cgroups.close();
  }
  result.exitCode = code;
  result.signal = signal;
  result.durationMs = Date.now() - started;
  if (stdout) result.stderr = `${result.stderr}${result.stderr ? '\n' : ''}[stdout] ${stdout}`;

  const rep = reply as ToHost | undefined;
  if (timedOut) {
    result.status = 'timeout';
    result.reason = `the experiment did not finish within ${scaled(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)} ms and was killed`;
  } else if (rep?.type === 'done') {
    result.status = 'ok';
    result.observations = rep.observations as O;
  } else if (rep?.type === 'skip') {
    result.status = 'skip';
    result.reason = rep.reason;
  } else if (rep?.type === 'error') {
    result.reason = rep.message;
    // The frames are for whoever debugs nslab or a lesson, not for the learner.
    if (rep.stack && process.env.NSLAB_DEBUG === '1') result.stderr += `\n${rep.stack}`;
  } else {
    result.reason =
      helperComplaint(result.stderr) ??
      `the sandbox exited (${code ?? signal}) without reporting: ${crashSummary(result.stderr) || 'no output'}`;
  }
  if (rep && rep.type !== 'checkpoint' && rep.type !== 'cgroup') result.trace = rep.trace;
  for (const dir of cleanup.removed) result.trace.push(`# the host removed ${dir}`);
  for (const f of cleanup.failed) {
    result.trace.push(`# the host could not remove ${f.dir}: ${f.error}`);
    result.stderr += `\nnslab: could not remove ${f.dir}: ${f.error}`;
  }
  return result;
}
