// `nslab inspect PID`: how any process is confined, point by point, against a runtime's
// defaults. Exit 0 when every point matches, 1 when one differs, 2 when the PID cannot be read.
import { readFileSync } from 'node:fs';
import { NslabError, UsageError } from '../runner/errors.js';
import type { Ctx } from './context.js';

/** A named profile, or an OCI config.json given by path. */
async function pickProfile(name: string) {
  const { builtinProfile, profileFromOci, PROFILE_NAMES } = await import('../check/profiles.js');
  const found = builtinProfile(name);
  if (found) return found;
  if (!name.includes('/') && !name.endsWith('.json'))
    throw new UsageError(`There is no profile '${name}': say --profile ${PROFILE_NAMES.join('|')}, or give the path of an OCI config.json.`);
  let text: string;
  try {
    text = readFileSync(name, 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read the profile file ${name} (${(err as NodeJS.ErrnoException).code ?? 'error'}): give the path of an OCI config.json, or one of ${PROFILE_NAMES.join(', ')}.`);
  }
  try {
    return profileFromOci(JSON.parse(text), name);
  } catch (err) {
    throw new UsageError(`${name} is not a usable OCI config: ${(err as Error).message}.`);
  }
}

/** The kernel's refusal, in one sentence with the way out. */
function unreadable(pid: number, code: string, message: string): NslabError {
  let state = '';
  try {
    state = /^State:\s*(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
  } catch {
    // gone altogether
  }
  // A zombie keeps its PID and status, but its root and mounts are gone with its memory.
  if (state === 'Z' || state === 'X') return new NslabError(`Process ${pid} has exited (a zombie, waiting for its parent to reap it): there is nothing left to inspect.`, { exitCode: 2 });
  const text =
    code === 'EACCES' || code === 'EPERM'
      ? `You may not read process ${pid}'s /proc files: the kernel shows them only to whoever could ptrace it (its owner, not from inside another user namespace), so run nslab inspect as that user or with sudo.`
      : code === 'ENOENT' || code === 'ESRCH'
        ? `There is no process ${pid} (it may have exited): check the PID with ps.`
        : message;
  return new NslabError(text, { exitCode: 2 });
}

export async function inspectCommand(ctx: Ctx, pidArg: string): Promise<number> {
  const pid = Number(pidArg);
  if (!/^\d+$/.test(pidArg) || !Number.isSafeInteger(pid) || pid <= 0) throw new UsageError(`nslab inspect wants a process ID (a positive whole number), not '${pidArg}'. \`ps -ef\` or \`lsns\` show them.`);
  const profile = await pickProfile((ctx.options.profile as string | undefined) ?? 'docker');
  const { inspectConfinement, InspectError } = await import('../check/confinement.js');
  let report;
  try {
    report = inspectConfinement(pid, profile);
  } catch (err) {
    if (err instanceof InspectError) throw unreadable(err.pid, err.code, err.message);
    throw err;
  }
  if (ctx.options.json) ctx.out(JSON.stringify(report, null, 2));
  else {
    const { renderInspect } = await import('../render/confinement.js');
    ctx.out(renderInspect(report, { color: ctx.style.color, width: ctx.style.width }));
  }
  return report.pass ? 0 : 1;
}
