// The sandbox's first program: born inside the namespaces the helper made, it loads the
// experiment, optionally pivots into the rootfs, runs it and sends the observations home.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as sys from '../sys/index.js';
import * as proc from '../proc/index.js';
import { CHANNEL_FD, encode, FrameDecoder, readFrameSync, writeFrameSync } from './channel.js';
import { makeContext, SkipSignal } from './context.js';
import { enterRootfs, HELPER_INSIDE } from './pivot.js';
import type { HostReply, ToHost, ToSandbox } from './protocol.js';

const pending = new Map<number, (reply: HostReply) => void>();
let listening = false;

/** Replies only come when the experiment asked for something; the socket that waits for them
 * (and the net module under it) is made on the first request, not by every sandbox. */
function listen(): void {
  if (listening) return;
  listening = true;
  const { Socket } = createRequire(import.meta.url)('node:net') as typeof import('node:net');
  const decoder = new FrameDecoder();
  new Socket({ fd: CHANNEL_FD, readable: true, writable: false }).on('data', (chunk: Buffer) => {
    for (const msg of decoder.push(chunk) as ToSandbox[]) {
      if (msg.type === 'start') continue;
      pending.get(msg.id)?.(msg);
      pending.delete(msg.id);
    }
  });
}

function send(msg: ToHost): void {
  if (msg.type === 'checkpoint' || msg.type === 'cgroup') {
    // The reply can't arrive before the host has the request, so listening first is enough.
    listen();
  }
  writeFrameSync(encode(msg));
}

const ASYNC_OR_ESM = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE']);

/** require() where it can load the experiment's ES module (Node >= 20.19 does, synchronously):
 * it skips the asynchronous loader, a few ms of every sandbox. import() everywhere else. */
async function load(file: string, bundle?: string): Promise<unknown> {
  // A built-in lesson's one-file copy (bundles.ts), through the stub's code cache.
  const cached = (globalThis as Record<symbol, unknown>)[Symbol.for('nslab.loadCached')] as ((f: string) => unknown) | undefined;
  if (bundle && cached) return cached(bundle);
  if (typeof require === 'function') {
    try {
      return require(file) as unknown;
    } catch (err) {
      if (!ASYNC_OR_ESM.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  const url = pathToFileURL(file).href;
  // Under entry-stub.ts this file has no working import() (see there); the stub lends one.
  const borrowed = (globalThis as Record<symbol, unknown>)[Symbol.for('nslab.import')] as ((u: string) => Promise<unknown>) | undefined;
  return borrowed ? borrowed(url) : import(url);
}

async function main(start: Extract<ToSandbox, { type: 'start' }>): Promise<ToHost> {
  // Load before any pivot: after it, the host's files (this package, node_modules) are gone.
  const mod = await load(start.ref.module, start.ref.bundle);
  let fn: unknown = mod;
  for (const key of start.ref.path) fn = (fn as Record<string | number, unknown> | undefined)?.[key];
  if (typeof fn !== 'function') {
    throw new Error(`${start.ref.path.join('.')} in ${start.ref.module} is not a function`);
  }
  const ctx = makeContext({ sys, proc, rootfs: start.rootfs, helper: start.helper, send, pending });
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

function finish(reply: ToHost): never {
  let frame: Buffer;
  try {
    frame = encode(reply);
  } catch (err) {
    // Observations that cannot be cloned (a function, a handle) are an authoring error.
    frame = encode({ type: 'error', message: `observations could not be sent: ${(err as Error).message}`, trace: [] });
  }
  try {
    writeFrameSync(frame);
  } catch {
    /* the host is gone (EPIPE): nobody left to tell */
  }
  process.exit(0);
}

// The host writes 'start' as it spawns us; nothing else can happen before it arrives.
let start: ToSandbox | undefined;
try {
  start = readFrameSync() as ToSandbox;
} catch (err) {
  process.stderr.write(`nslab sandbox entry: no start message on fd ${CHANNEL_FD} (${(err as Error).message}); it runs only under nslab.\n`);
  process.exit(2);
}
if (start.type === 'start') {
  // Nothing left on the event loop while the experiment is unfinished: it awaits a promise that
  // nothing can settle. Say so, rather than exit silently or wait for the timeout.
  process.once('beforeExit', () =>
    finish({
      type: 'error',
      message: "the experiment never finished: it awaits a promise that nothing (no timer, process or socket) is left to settle",
      trace: sys.trace.take(),
    }),
  );
  main(start)
    .catch((err: unknown): ToHost => {
      const trace = sys.trace.take();
      if (err instanceof SkipSignal) return { type: 'skip', reason: err.message, trace };
      const e = err instanceof Error ? err : new Error(String(err));
      return { type: 'error', message: e.message, stack: e.stack, trace };
    })
    .then(finish);
}
