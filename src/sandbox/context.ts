// The SandboxContext handed to an experiment inside the sandbox.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type * as Sys from '../sys/index.js';
import type * as Proc from '../proc/index.js';
import type { BackgroundProcess, CgroupGrant, CgroupRemoval, SandboxContext, SpawnResult } from './types.js';
import type { CgroupOp, HostReply, ToHost } from './protocol.js';
import { BIN_DIRS, findIn, missingTool, TOOLS_IN_ROOTFS } from '../rootfs/tools.js';
import { scaled } from './time.js';

// child_process brings net, dgram and the streams with it (a few ms of every sandbox's start):
// loaded on the first spawn, so experiments that never spawn don't pay for it.
let childProcessModule: typeof import('node:child_process') | undefined;
const childProcess = () => (childProcessModule ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process'));

function signalName(n: number): string | undefined {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0];
}

/** Thrown by ctx.skip(); the entry turns it into a 'skip' result. */
export class SkipSignal extends Error {
  override name = 'SkipSignal';
}

interface ContextDeps {
  sys: typeof Sys;
  proc: typeof Proc;
  rootfs: string | undefined;
  helper: string;
  send(msg: ToHost): void;
  /** Resolvers for outstanding requests to the host, keyed by id; the entry's message handler
   * calls them. */
  pending: Map<number, (reply: HostReply) => void>;
}

export interface ManagedContext extends SandboxContext {
  /** Kill and reap every background process still running. */
  cleanup(): Promise<void>;
  setPivoted(helperInside: string | undefined): void;
}

export function makeContext(deps: ContextDeps): ManagedContext {
  const { sys } = deps;
  const running = new Set<BackgroundProcess>();
  let nextId = 1;
  let helper = deps.helper;

  /** Directories of the cgroups the host made for us, by name, for the trace. */
  const granted = new Map<string, string[]>();
  const askHost = (op: CgroupOp): Promise<unknown> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      deps.pending.set(id, (reply) => {
        if (reply.error) reject(new Error(reply.error));
        else if (reply.type === 'cgroup-reply') resolve(reply.result);
      });
      deps.send({ type: 'cgroup', id, ...op });
    });
  };

  const ctx: ManagedContext = {
    sys: deps.sys,
    proc: deps.proc,
    rootfs: deps.rootfs,
    pivoted: false,
    get helper() {
      return helper;
    },
    get tools() {
      return ctx.pivoted ? TOOLS_IN_ROOTFS : `${deps.helper.slice(0, deps.helper.lastIndexOf('/'))}/nslab-tools`;
    },

    get binPath() {
      const root = ctx.pivoted ? '' : (deps.rootfs ?? '');
      return BIN_DIRS.map((d) => root + d).join(':');
    },

    findBin(name) {
      return findIn(ctx.pivoted ? '' : (deps.rootfs ?? ''), name);
    },

    bin(name) {
      const found = ctx.findBin(name);
      if (found) return found;
      sys.trace.note(`${name}: not found in ${ctx.pivoted ? 'the rootfs' : (deps.rootfs ?? 'the host')}`);
      return ctx.skip(missingTool(name, deps.rootfs));
    },

    hostBin(name) {
      if (ctx.pivoted) throw new Error(`hostBin(${JSON.stringify(name)}): the host's programs are out of reach after the pivot; declare pivot: false`);
      return findIn('', name) ?? ctx.skip(missingTool(name));
    },

    outside(label, pids = [], data) {
      const id = nextId++;
      sys.trace.note(`checkpoint "${label}": the host looks at this sandbox from outside`);
      return new Promise((resolve, reject) => {
        deps.pending.set(id, (reply) => {
          if (reply.error) reject(new Error(reply.error));
          else if (reply.type === 'checkpoint-reply') resolve({ views: reply.views, hook: reply.hook });
        });
        deps.send({ type: 'checkpoint', id, label, pids, data });
      });
    },

    async cgroup(features, opts = {}) {
      const pids = opts.pids ?? [];
      const grant = (await askHost({ op: 'create', features, pids, preferV1: !!opts.preferV1 })) as CgroupGrant;
      if (!grant.ok) {
        sys.trace.note(`no cgroup with ${features.join(', ') || 'no controller'}: ${grant.reason}`);
        return grant;
      }
      granted.set(grant.name, grant.dirs);
      sys.trace.note(grant.why);
      for (const d of grant.dirs) {
        sys.trace.note(`mkdir ${d}   # by the host, which removes it when this sandbox ends`);
        // cgroup.procs takes PIDs as the writer's PID namespace sees them: the host's, here.
        grant.moved.forEach((host, i) => sys.trace.note(`echo ${host} > ${d}/cgroup.procs   # PID ${pids[i]} in the sandbox`));
      }
      return grant;
    },

    async cgroupAdopt(name, pids) {
      const moved = (await askHost({ op: 'adopt', name, pids })) as number[];
      for (const d of granted.get(name) ?? [name])
        moved.forEach((host, i) => sys.trace.note(`echo ${host} > ${d}/cgroup.procs   # PID ${pids[i]} in the sandbox`));
      return moved;
    },

    async cgroupRemove(name) {
      const r = (await askHost({ op: 'remove', name })) as CgroupRemoval;
      for (const d of r.removed) sys.trace.note(`rmdir ${d}   # by the host${r.killed.length ? `, after killing ${r.killed.join(' ')}` : ''}`);
      for (const f of r.failed) sys.trace.note(`could not remove ${f.dir}: ${f.error}`);
      return r;
    },

    spawn(file, args = [], opts = {}) {
      return new Promise<SpawnResult>((resolve) => {
        if (opts.uid !== undefined || opts.gid !== undefined) {
          // The trace shows syscalls this process made; a child's credentials are set in the child.
          sys.trace.note(`run ${file} as uid ${opts.uid ?? process.getuid?.()} gid ${opts.gid ?? process.getgid?.()} (setpriv --reuid --regid)`);
        }
        const child = childProcess().spawn(file, args, {
          env: { ...process.env, ...opts.env },
          stdio: ['pipe', 'pipe', 'pipe'],
          uid: opts.uid,
          gid: opts.gid,
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), scaled(opts.timeoutMs ?? 10_000));
        child.on('error', (err) => {
          clearTimeout(timer);
          resolve({ code: null, signal: null, stdout, stderr: stderr + String(err.message) });
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr });
        });
        // A program that exits without reading its input must not crash the sandbox with EPIPE.
        child.stdin.on('error', () => {});
        child.stdin.end(opts.input ?? '');
      });
    },

    async background(file, args = [], opts = {}) {
      // Through the helper (no new namespaces): it sets PR_SET_PDEATHSIG, so the process dies
      // with this sandbox even when there is no PID namespace to take it down.
      const useHelper = existsSync(helper);
      const child = useHelper
        ? childProcess().spawn(helper, ['run', '--pid-fd', '3', '--', file, ...args], {
            env: { ...process.env, ...opts.env },
            stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
          })
        : childProcess().spawn(file, args, { env: { ...process.env, ...opts.env }, stdio: 'ignore' });
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        child.on('close', (code, signal) => {
          // The helper exits 128+N when its program died of signal N: report the signal, as
          // if the program were our own child.
          const bySignal = useHelper && code !== null && code > 128 ? signalName(code - 128) : undefined;
          resolve(bySignal ? { code: null, signal: bySignal } : { code, signal });
        });
        child.on('error', () => resolve({ code: null, signal: null }));
      });
      const bg: BackgroundProcess = {
        pid: useHelper ? -1 : (child.pid ?? -1),
        kill(signal = 'SIGKILL') {
          if (bg.pid > 0) {
            try {
              process.kill(bg.pid, signal);
            } catch {
              /* already gone */
            }
          }
        },
        exited,
      };
      running.add(bg);
      void exited.then(() => running.delete(bg));
      if (useHelper) {
        await new Promise<void>((resolve) => {
          let text = '';
          const pipe = child.stdio[3] as NodeJS.ReadableStream;
          pipe.setEncoding('utf8');
          pipe.on('data', (d: string) => (text += d));
          pipe.on('end', () => {
            bg.pid = Number.parseInt(text, 10) || -1;
            resolve();
          });
        });
      }
      return bg;
    },

    note(text) {
      sys.trace.note(text);
    },

    skip(reason): never {
      throw new SkipSignal(reason);
    },

    setPivoted(helperInside) {
      ctx.pivoted = true;
      if (helperInside) helper = helperInside;
    },

    async cleanup() {
      for (const bg of running) {
        bg.kill('SIGKILL');
      }
      await Promise.all([...running].map((bg) => bg.exited));
    },
  };
  return ctx;
}
