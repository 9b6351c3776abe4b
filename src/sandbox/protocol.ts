// Messages between the host and the sandbox's entry, framed on fd 3 by channel.ts.
import type { CgroupFeature, ExperimentRef, OutsideView } from './types.js';

/** What the sandbox may ask of the host about cgroups; the host owns every cgroup it makes. */
export type CgroupOp =
  | { op: 'create'; features: CgroupFeature[]; pids: number[]; preferV1: boolean }
  | { op: 'adopt'; name: string; pids: number[] }
  | { op: 'remove'; name?: string };

export type ToSandbox =
  | { type: 'start'; ref: ExperimentRef; rootfs?: string; pivot: boolean; newPidNs: boolean; helper: string }
  | { type: 'checkpoint-reply'; id: number; views: OutsideView[]; hook: unknown; error?: string }
  | { type: 'cgroup-reply'; id: number; result: unknown; error?: string };

export type HostReply = Extract<ToSandbox, { type: 'checkpoint-reply' | 'cgroup-reply' }>;

export type ToHost =
  | { type: 'checkpoint'; id: number; label: string; pids: number[]; data?: unknown }
  | ({ type: 'cgroup'; id: number } & CgroupOp)
  | { type: 'done'; observations: unknown; trace: string[] }
  | { type: 'skip'; reason: string; trace: string[] }
  | { type: 'error'; message: string; stack?: string; trace: string[] };
