// Messages between the host and the sandbox's entry, over Node's IPC channel ('advanced'
// serialization, so BigInt capability masks cross intact).
import type { ExperimentRef, OutsideView } from './types.js';

export type ToSandbox =
  | { type: 'start'; ref: ExperimentRef; rootfs?: string; pivot: boolean; newPidNs: boolean; helper: string }
  | { type: 'checkpoint-reply'; id: number; views: OutsideView[]; hook: unknown; error?: string };

export type ToHost =
  | { type: 'checkpoint'; id: number; label: string; pids: number[]; data?: unknown }
  | { type: 'done'; observations: unknown; trace: string[] }
  | { type: 'skip'; reason: string; trace: string[] }
  | { type: 'error'; message: string; stack?: string; trace: string[] };
