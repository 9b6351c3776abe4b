// The sandbox's first program: born inside the namespaces the helper made, it loads the
// experiment, optionally pivots into the rootfs, runs it and sends the observations home.
import { pathToFileURL } from 'node:url';
import * as sys from '../sys/index.js';
import * as proc from '../proc/index.js';
import { makeContext, SkipSignal } from './context.js';
import { enterRootfs, HELPER_INSIDE } from './pivot.js';
import type { HostReply, ToHost, ToSandbox } from './protocol.js';

const pending = new Map<number, (reply: HostReply) => void>();

function send(msg: ToHost): Promise<void> {
  return new Promise((resolve) => process.send!(msg, undefined, {}, () => resolve()));
}

async function main(start: Extract<ToSandbox, { type: 'start' }>): Promise<ToHost> {
  // Import before any pivot: after it, the host's files (this package, node_modules) are gone.
  const mod: unknown = await import(pathToFileURL(start.ref.module).href);
  let fn: unknown = mod;
  for (const key of start.ref.path) fn = (fn as Record<string | number, unknown> | undefined)?.[key];
  if (typeof fn !== 'function') {
    throw new Error(`${start.ref.path.join('.')} in ${start.ref.module} is not a function`);
  }
  const ctx = makeContext({ sys, proc, rootfs: start.rootfs, helper: start.helper, send: (m) => void send(m), pending });
  try {
    if (start.rootfs && start.pivot) {
      enterRootfs(sys, start.rootfs, { newPidNs: start.newPidNs, helper: start.helper });
      ctx.setPivoted(HELPER_INSIDE);
    }
    const observations = await (fn as (c: typeof ctx, a: unknown) => unknown)(ctx, start.ref.args);
    return { type: 'done', observations, trace: sys.trace.take() };
  } finally {
    await ctx.cleanup();
  }
}

process.on('message', (msg: ToSandbox) => {
  if (msg.type === 'checkpoint-reply' || msg.type === 'cgroup-reply') {
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
    return;
  }
  if (msg.type !== 'start') return;
  main(msg)
    .catch((err: unknown): ToHost => {
      const trace = sys.trace.take();
      if (err instanceof SkipSignal) return { type: 'skip', reason: err.message, trace };
      const e = err instanceof Error ? err : new Error(String(err));
      return { type: 'error', message: e.message, stack: e.stack, trace };
    })
    .then(async (reply) => {
      try {
        await send(reply);
      } catch (err) {
        // Observations that cannot be cloned (a function, a handle) are an authoring error.
        await send({ type: 'error', message: `observations could not be sent: ${(err as Error).message}`, trace: [] });
      }
      process.exit(0);
    });
});
