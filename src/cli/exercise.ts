// Exercise mode: `nslab shell` (do it yourself in a sandbox), `nslab check` (nslab judges the
// kernel state you made, from outside), and the in-shell `nslab` command both of them serve.
import type { LoadedLesson } from '../lessons/loader.js';
import type { ExerciseSpec } from '../lessons/types.js';
import { NslabError, UsageError } from '../runner/errors.js';
import { checkLesson, findShell, recordExercises, shellCandidates, type CheckReport, type ShellRecord } from '../runner/exercise.js';
import type { ShimReply, ShimRequest } from '../runner/shell.js';
import type { Style } from '../render/color.js';
import { loadAll, pickLesson, progressStore, type Ctx } from './context.js';

function exercisesOf(lesson: LoadedLesson): ExerciseSpec[] {
  const xs = lesson.module.exercises ?? [];
  if (!xs.length) throw new UsageError(`Lesson ${lesson.meta.id} has no exercise yet, so there is nothing to do in a shell or to check. \`nslab list\` shows the lessons.`);
  return xs;
}

function banner(ctx: Ctx, lesson: LoadedLesson, rootfs: string, about: string[]): string {
  const s = ctx.style;
  const lines: string[] = [];
  for (const x of exercisesOf(lesson)) lines.push(s.bold(x.title), ...x.task.trim().split('\n'), '');
  lines.push(
    `The lab's rootfs is at ${s.bold('$NSLAB_ROOTFS')} (${rootfs}).`,
    ...about,
    `Leave the process running (end the line with &), then type ${s.bold('nslab check')}.`,
    `${s.bold('nslab hint')} gives a hint; from another terminal: nslab check ${lesson.meta.number}.`,
    'Everything here (mounts, processes) disappears when you type exit.',
  );
  return lines.join('\n');
}

export async function shellCommand(ctx: Ctx, input: string): Promise<number> {
  const lesson = await pickLesson(ctx, input);
  exercisesOf(lesson);
  const [{ ensureRootfs }, { runShell, planShell }, { box }] = await Promise.all([import('../rootfs/index.js'), import('../runner/shell.js'), import('../render/box.js')]);
  const rootfs = await ensureRootfs();
  const plan = planShell(rootfs);
  ctx.out(box(banner(ctx, lesson, rootfs, plan.about), { kind: 'info', title: `nslab shell ${lesson.meta.id}` }));
  const hints = new Map<string, number>();
  const code = await runShell({
    lesson,
    rootfs,
    plan,
    notice: (m) => ctx.note(ctx.style.yellow(`nslab: ${m}`)),
    serve: (req, record) => serveShim(ctx, lesson, record, req, hints),
  });
  ctx.note(ctx.style.dim(`nslab: the shell for ${lesson.meta.id} exited (status ${code}); its sandbox is gone.`));
  return code;
}

function parsePids(values: string[], inside: boolean): number[] {
  const out: number[] = [];
  for (const v of values.flatMap((x) => x.split(',')).filter(Boolean)) {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--pid wants a process ID (a positive whole number), not '${v}'.${inside ? '' : ' `ps -ef` or `lsns` show them.'}`);
    out.push(n);
  }
  return out;
}

/** The lesson named, or the one whose shell is running when none is. */
async function lessonForCheck(ctx: Ctx, input: string | undefined): Promise<LoadedLesson> {
  if (input !== undefined) return pickLesson(ctx, input);
  const { lessons } = await loadAll(ctx);
  const live = lessons.filter((l) => (l.module.exercises ?? []).length && findShell(l.meta.id).state === 'live');
  if (live.length === 1) return live[0]!;
  throw new UsageError(
    live.length
      ? `Shells for ${live.map((l) => l.meta.id).join(' and ')} are running: say which lesson to check (e.g. \`nslab check ${live[0]!.meta.number}\`).`
      : 'Say which lesson to check (e.g. `nslab check 4`); no `nslab shell` is running to guess from.',
  );
}

export async function checkCommand(ctx: Ctx, input: string | undefined): Promise<number> {
  const lesson = await lessonForCheck(ctx, input);
  exercisesOf(lesson);
  const pidArgs = ctx.options.pid as string[] | undefined;
  const { rootfsDir } = await import('../rootfs/paths.js');
  let report: CheckReport;
  if (pidArgs?.length) {
    const pids = parsePids(pidArgs, false);
    const found = findShell(lesson.meta.id);
    report = judge(lesson, { source: 'pid', pids, sandboxPid: null, shellPid: null, rootfs: found.state === 'live' ? found.record.rootfs : rootfsDir() });
  } else {
    const found = findShell(lesson.meta.id);
    if (found.state === 'stale') ctx.note(ctx.style.yellow(`nslab: ${found.message}`));
    if (found.state !== 'live')
      throw new NslabError(
        `No \`nslab shell ${lesson.meta.id}\` is running to check. Start one with \`nslab shell ${lesson.meta.number}\`, or name the processes to judge with --pid PID.`,
      );
    report = judgeShell(lesson, found.record);
  }
  recordExercises(progressStore(ctx), report);
  ctx.out(ctx.options.json ? JSON.stringify(report, null, 2) : formatReport(ctx.style, report));
  return report.pass ? 0 : 1;
}

function judge(lesson: LoadedLesson, target: Parameters<typeof checkLesson>[1]): CheckReport {
  try {
    return checkLesson(lesson, target);
  } catch (err) {
    if (err instanceof Error && err.name === 'InspectError') throw new NslabError(err.message);
    throw err;
  }
}

function judgeShell(lesson: LoadedLesson, record: ShellRecord, pids?: number[]): CheckReport {
  const all = shellCandidates(record.pid);
  return judge(lesson, { source: 'shell', pids: pids ?? all, sandboxPid: record.pid, shellPid: all[0] ?? null, rootfs: record.rootfs });
}

export function formatReport(s: Style, r: CheckReport): string {
  const out: string[] = [];
  for (const x of r.exercises) {
    out.push(`${s.verdict(x.pass)}  ${s.bold(`${r.lesson}/${x.id}`)}  ${x.title}`);
    if (x.process) out.push(s.dim(`      judged: PID ${x.process.pid} (${x.process.cmdline.join(' ') || x.process.comm}), as the host numbers it`));
    for (const c of x.checks) {
      out.push(`  ${c.pass ? s.green(s.sym.pass) : s.red(s.sym.fail)} ${c.id}: ${c.expected}`);
      out.push(`      observed: ${c.observed}`);
      for (const e of c.evidence) out.push(s.dim(`        ${e}`));
      if (!c.pass && c.hint) out.push(`      ${s.yellow('hint:')} ${c.hint}`);
    }
    if (x.candidates.length > 1)
      out.push(s.dim(`      looked at ${x.candidates.length} processes: ${x.candidates.map((c) => `${c.pid} ${c.comm} (${c.passed}/${x.checks.length})`).join(', ')}`));
    out.push('');
  }
  for (const k of r.skipped) out.push(s.dim(`  not inspected: ${k.reason}`));
  const passed = r.exercises.filter((x) => x.pass).length;
  out.push(r.pass ? s.green(`All ${passed} exercise(s) of ${r.lesson} pass; recorded in your progress.`) : `${passed} of ${r.exercises.length} exercise(s) of ${r.lesson} pass.`);
  return out.join('\n');
}

const SHIM_HELP = `Inside this shell, nslab knows:
  nslab check [--json] [--pid PID...]   judge what you made (PIDs as this shell numbers them)
  nslab hint                            the next hint for the task
  nslab task                            the task again
Everything else (nslab start, verify, ...) runs from outside, in another terminal.
`;

/** The in-shell `nslab`: the outer nslab does the work, from outside the sandbox. */
export async function serveShim(ctx: Ctx, lesson: LoadedLesson, record: ShellRecord, req: ShimRequest, hints: Map<string, number>): Promise<ShimReply> {
  const { style } = await import('../render/color.js');
  const s = style({ color: ctx.style.color && req.tty, width: req.columns || undefined });
  const [cmd, ...rest] = req.argv;
  if (cmd === 'check') {
    const { parseArgs } = await import('node:util');
    let values: { json?: boolean; pid?: string[] };
    try {
      ({ values } = parseArgs({ args: rest, options: { json: { type: 'boolean' }, pid: { type: 'string', multiple: true } }, allowPositionals: true, strict: true }) as { values: { json?: boolean; pid?: string[] } });
    } catch (err) {
      return { out: `nslab check: ${(err as Error).message}\n${SHIM_HELP}`, code: 2 };
    }
    let pids: number[] | undefined;
    try {
      if (values.pid?.length) {
        const { hostPidsOf } = await import('../sandbox/index.js');
        pids = hostPidsOf(record.pid, parsePids(values.pid, true));
      }
    } catch (err) {
      return { out: `nslab check: ${(err as Error).message}\n`, code: 2 };
    }
    const report = judgeShell(lesson, record, pids);
    recordExercises(progressStore(ctx), report);
    return { out: (values.json ? JSON.stringify(report, null, 2) : formatReport(s, report)) + '\n', code: report.pass ? 0 : 1 };
  }
  if (cmd === 'hint') {
    const p = progressStore(ctx).lesson(lesson.meta.id);
    const out: string[] = [];
    for (const x of exercisesOf(lesson)) {
      if (p.exercises?.[x.id]?.passed) {
        out.push(`${x.title}: passed already.`);
        continue;
      }
      const n = hints.get(x.id) ?? 0;
      const hint = x.hints[Math.min(n, x.hints.length - 1)];
      hints.set(x.id, n + 1);
      out.push(s.bold(x.title));
      if (hint) out.push(`  hint ${Math.min(n, x.hints.length - 1) + 1}/${x.hints.length}: ${hint}`);
      const seen = p.exercises?.[x.id]?.hints ?? [];
      if (seen.length) out.push('  your last check saw:', ...seen.map((h) => `  - ${h}`));
    }
    return { out: out.join('\n') + '\n', code: 0 };
  }
  if (cmd === 'task') return { out: banner({ ...ctx, style: s }, lesson, record.rootfs, record.about ?? []) + '\n', code: 0 };
  return { out: cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h' ? SHIM_HELP : `nslab ${cmd}: not available inside the shell.\n${SHIM_HELP}`, code: cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h' ? 0 : 2 };
}
