// A namespace as a file: /proc/PID/ns/KIND opened is the handle that setns(2) joins and that
// ioctl_ns(2) asks about its relatives (NS_GET_USERNS: the user namespace that owns it;
// NS_GET_PARENT: the parent of a user or PID namespace). The answer is itself a new namespace fd,
// which /proc/self/fd/N names the way ns links do ('user:[4026532201]').
import { readlinkSync } from 'node:fs';
import type { SandboxContext } from '../sandbox/types.js';
import { must } from './context.js';

/** Open a namespace file (/proc/PID/ns/KIND) for setns or ioctl_ns: its traced result, or an
 * error naming the file when it cannot be opened. */
export function openNs(ctx: SandboxContext, path: string): ReturnType<SandboxContext['sys']['open']> {
  const { sys } = ctx;
  return must(sys.open(path, sys.O_RDONLY | sys.O_CLOEXEC), `open ${path}`);
}

export interface NsAnswer {
  /** The open, the ioctl and the readlink of its answer, as trace lines. */
  trace: string[];
  /** The namespace it answered with ('user:[4026532201]'), or null with the errno. */
  link: string | null;
  errno: string | null;
}

/** ioctl_ns(2) request `req` (sys.NS_GET_USERNS, sys.NS_GET_PARENT) on a namespace file. */
export function askNs(ctx: SandboxContext, path: string, req: number): NsAnswer {
  const { sys } = ctx;
  const fd = sys.open(path, sys.O_RDONLY | sys.O_CLOEXEC);
  if (!fd.ok) return { trace: [fd.trace], link: null, errno: fd.errno };
  const r = sys.nsIoctl(fd.ret, req);
  const link = r.ok ? readlinkSync(`/proc/self/fd/${r.ret}`) : null;
  if (r.ok) sys.close(r.ret);
  sys.close(fd.ret);
  return { trace: [fd.trace, r.trace, ...(link ? [`readlink("/proc/self/fd/${r.ret}") = "${link}"`] : [])], link, errno: r.errno };
}
