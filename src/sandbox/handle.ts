// Long-lived sandboxes: a "container" that keeps running while the host inspects it from
// outside and runs programs inside it (nsenter-style), as the debugging lesson and exercise
// mode need.
import { scaled } from './time.js';
import { spawn } from 'node:child_process';
import { effectiveNamespaces, helperPath, joinArgs, runArgs } from './helper.js';
import { outsideView } from './outside.js';
import { gone, helperComplaint, readPidPipe } from './run.js';
import type { NsKind, OutsideView, SandboxOptions, SpawnResult } from './types.js';

export interface StartOptions extends SandboxOptions {
  /** The program the sandbox runs as its first process, e.g. ['/bin/busybox', 'httpd', '-f']. */
  command: string[];
  /** 'inherit' hands the terminal to it (an interactive shell). */
  stdio?: 'pipe' | 'inherit';
}

export interface SandboxHandle {
  /** Host PID of the sandbox's first process. */
  pid: number;
  namespaces: NsKind[];
  /** Run a program inside the sandbox's namespaces (all, or the given kinds) and root. */
  exec(command: string[], opts?: { kinds?: NsKind[]; input?: string; timeoutMs?: number }): Promise<SpawnResult>;
  /** What the host sees of it right now. */
  inspect(): OutsideView;
  /** Kill it (SIGKILL to the helper; the PID namespace goes with it) and wait. */
  stop(): Promise<{ code: number | null; signal: string | null }>;
  exited: Promise<{ code: number | null; signal: string | null }>;
  output(): { stdout: string; stderr: string };
}

export async function startSandbox(opts: StartOptions): Promise<SandboxHandle> {
  const helper = helperPath();
  const namespaces = effectiveNamespaces(opts.namespaces);
  const inherit = opts.stdio === 'inherit';
  const child = spawn(helper, [...runArgs({ namespaces, hostname: opts.hostname, rootfs: opts.rootfs, uidRange: opts.uidRange }, 3), ...opts.command], {
    stdio: inherit ? ['inherit', 'inherit', 'inherit', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const pid = await readPidPipe(child, 3);
  if (pid <= 0) {
    const end = await exited;
    throw new Error(
      `the sandbox did not start: ${helperComplaint(stderr) ?? (stderr.trim() || `helper exited with ${end.code ?? end.signal}`)}`,
    );
  }

  return {
    pid,
    namespaces,
    exited,
    output: () => ({ stdout, stderr }),
    inspect: () => outsideView(pid),
    exec(command, execOpts = {}) {
      return new Promise<SpawnResult>((resolve) => {
        // Unprivileged, the sandbox's namespaces belong to its user namespace: join that first.
        const kinds = execOpts.kinds && effectiveNamespaces(execOpts.kinds);
        const p = spawn(helper, [...joinArgs(pid, kinds), ...command], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        const timer = setTimeout(() => p.kill('SIGKILL'), scaled(execOpts.timeoutMs ?? 10_000));
        p.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout: out, stderr: err });
        });
        p.stdin.on('error', () => {}); // EPIPE when the program never reads its input
        p.stdin.end(execOpts.input ?? '');
      });
    },
    async stop() {
      child.kill('SIGKILL');
      const end = await exited;
      await gone(pid);
      return end;
    },
  };
}
