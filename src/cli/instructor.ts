// The instructor's and author's commands: doctor, verify, selftest, rootfs.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LessonError, LoadedLesson } from '../lessons/loader.js';
import { parseLessonFolder } from '../lessons/ids.js';
import { ignores } from '../runner/blockers.js';
import { doctor, type DoctorLine, type DoctorReport, type Finding } from '../runner/doctor.js';
import { checkIgnores, loadWorkshop, preflight, resolveNeed, splitNeed, type Preflight } from '../runner/workshop.js';
import { NslabError, UsageError, errnoOf } from '../runner/errors.js';
import { Requirements } from '../runner/requirements.js';
import { selftestLessons } from '../runner/selftest.js';
import { defaultJobs, toJUnit, verifyExitCode, verifyLessons, type ExperimentEvent, type VerifyLesson } from '../runner/verify.js';
import { loadAll, pickLesson, type Ctx } from './context.js';

export async function doctorCommand(ctx: Ctx): Promise<number> {
  const { lessons, errors } = await loadAll(ctx);
  const need = typeof ctx.options.need === 'string' ? ctx.options.need : undefined;
  const file = typeof ctx.options.workshop === 'string' ? resolve(ctx.options.workshop) : undefined;
  if (need !== undefined && file) throw new UsageError('Choose one of --need and --workshop (a workshop file names its lessons).');
  const workshop = file ? loadWorkshop(file) : undefined;
  const ignore = [...((ctx.options.ignore as string[] | undefined) ?? []), ...(workshop?.ignore ?? [])];
  checkIgnores(ignore);
  const broken = brokenLessons(errors);
  const specs = need !== undefined ? splitNeed(need) : workshop?.lessons;
  if (specs && !specs.length) throw new UsageError('--need wants lessons, e.g. --need 01-06,08.');
  const known = [...lessons.map((l) => ({ id: l.meta.id, number: l.meta.number, slug: l.meta.slug })), ...[...broken.keys()].flatMap((id) => known1(id))];
  const needed = specs ? resolveNeed(specs, known) : undefined;
  const report = await doctor(lessons, new Requirements(), { need: needed, ignore });
  const pre = needed ? preflight(report, { needed, broken, ignore, minimum: workshop?.minimum ?? {}, name: workshop?.name, nslab: ctx.version }) : undefined;
  const ignoredFail = (c: DoctorLine) => c.status === 'fail' && c.check !== undefined && ignore.some((i) => ignores(i, c.check!));
  const code = pre ? (pre.ready ? 0 : 1) : report.checks.some((c) => c.status === 'fail' && !ignoredFail(c)) ? 1 : 0;
  if (ctx.options.json) {
    ctx.out(JSON.stringify({ nslab: ctx.version, ...report, ...(pre ? { workshop: pre } : {}) }, null, 2));
    return code;
  }
  printDoctor(ctx, report);
  if (pre) printPreflight(ctx, pre);
  else if (report.findings.some((f) => f.severity === 'error'))
    ctx.out(ctx.style.dim('\nA workshop can check just the lessons it needs: nslab doctor --need 01-06,08 (or --workshop FILE).'));
  return code;
}

function known1(id: string) {
  const f = parseLessonFolder(id);
  return f ? [{ id, number: f.number, slug: f.slug }] : [];
}

/** Lessons that exist but do not load: folder -> the loader's first complaint. */
function brokenLessons(errors: LessonError[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of errors) if (e.lessonId && !out.has(e.lessonId)) out.set(e.lessonId, `${e.message}${e.line ? ` (${e.file.split('/').slice(-2).join('/')}:${e.line})` : ''}`);
  return out;
}

function printDoctor(ctx: Ctx, r: DoctorReport): void {
  const s = ctx.style;
  const tag = { ok: s.green('ok  '), warn: s.yellow('warn'), fail: s.red('fail') } as const;
  ctx.out(s.bold(`nslab ${ctx.version} on Linux ${r.kernel} (${r.arch}), node ${r.node}, uid ${r.uid}`));
  const w = Math.max(...r.checks.map((c) => c.label.length));
  for (const c of r.checks) {
    ctx.out(`  ${tag[c.status]}  ${c.label.padEnd(w)}  ${c.detail}`);
    if (c.fix && c.status !== 'ok') ctx.out(`        ${' '.repeat(w)}  ${s.dim('fix:')} ${c.fix}${c.check ? s.dim(`  [${c.check}]`) : ''}`);
  }
  if (r.lessons.length) {
    ctx.out('');
    ctx.out(s.bold('Lessons on this machine:'));
    for (const l of r.lessons) ctx.out(`  ${l.runnable ? s.green('can run ') : s.yellow("can't run")}  ${l.id}${l.runnable ? '' : s.dim(`  ${l.reason}  [${l.blockers.join(', ')}]`)}`);
  }
}

/** kubeadm's way: one [ERROR id] / [WARNING id] per finding, then the verdict. */
function printPreflight(ctx: Ctx, p: Preflight): void {
  const s = ctx.style;
  ctx.out('');
  ctx.out(s.bold(`Workshop pre-flight${p.name ? `: ${p.name}` : ''} (${p.needed.length} lesson${p.needed.length === 1 ? '' : 's'} needed: ${p.needed.join(', ')})`));
  const show = (f: Finding, head: string) => {
    const needed = f.blocks.filter((l) => p.needed.includes(l));
    const what = f.machineWide ? 'breaks nslab itself' : needed.length ? `blocks ${needed.join(', ')}` : f.blocks.length ? `blocks only lessons not needed (${f.blocks.join(', ')})` : 'blocks no lesson';
    ctx.out(`${head} ${what}${f.ignored ? ' (ignored)' : ''}`);
    ctx.out(`    observed: ${f.observed}`);
    if (f.expected) ctx.out(`    expected: ${f.expected}`);
    ctx.out(`    fix:      ${f.fix}`);
    ctx.out(s.dim(`    see ${f.docs}`));
  };
  for (const f of p.errors) show(f, s.red(`[ERROR ${f.id}]`));
  for (const f of p.warnings) show(f, s.yellow(`[WARNING ${f.id}]`));
  const blocked = p.lessons.filter((l) => !l.runnable);
  ctx.out('');
  if (p.ready) ctx.out(s.green(`Ready: all ${p.needed.length} needed lessons can run here.`));
  else {
    const machine = p.errors.filter((f) => f.machineWide);
    if (blocked.length) ctx.out(s.red(`Not ready: ${blocked.length} of ${p.needed.length} needed lessons cannot run here: ${blocked.map((l) => `${l.id} (${l.blockers.join(', ')})`).join('; ')}.`));
    if (machine.length) ctx.out(s.red(`Not ready: ${machine.map((f) => f.id).join(', ')} breaks nslab itself.`));
    ctx.out(s.dim('Fix each [ERROR] above, or accept one with --ignore ID.'));
  }
}

async function selected(ctx: Ctx): Promise<LoadedLesson[]> {
  const { lessons } = await loadAll(ctx);
  if (!ctx.args.length) return lessons;
  const out: LoadedLesson[] = [];
  for (const a of ctx.args) {
    const l = await pickLesson(ctx, a);
    if (!out.includes(l)) out.push(l);
  }
  return out;
}

export async function verifyCommand(ctx: Ctx): Promise<number> {
  const jobs = ctx.options.jobs === undefined ? defaultJobs() : Number(ctx.options.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs wants a whole number of at least 1, not '${ctx.options.jobs}'.`);
  const lessons = await selected(ctx);
  const { errors, format } = await loadAll(ctx);
  // Named lessons: only their own load errors count; none named: every broken lesson fails.
  const broken = ctx.args.length ? [] : errors.filter((e) => e.lessonId !== '');
  const requirements = new Requirements();
  // Beside the experiments, not before them: its probes are the ones they wait for anyway.
  const environment = doctor([], requirements).then(({ lessons: _omit, ...env }) => env);
  environment.catch(() => {}); // awaited at the end, where a failure is reported
  const s = ctx.style;
  const json = Boolean(ctx.options.json);
  const status = json ? undefined : runningLine(process.stdout);
  const line = (l: VerifyLesson) => {
    if (json) return;
    status?.lessonDone();
    const tag = l.status === 'pass' ? s.green('PASS') : l.status === 'fail' ? s.red('FAIL') : s.yellow('SKIP');
    const n = l.checks.length;
    ctx.out(`${tag}  ${l.id}  ${s.dim(`${l.title}${n ? `, ${l.checks.filter((c) => c.pass).length}/${n} checks` : ''}${l.durationMs ? `, ${(l.durationMs / 1000).toFixed(1)} s` : ''}`)}`);
    if (l.status !== 'pass' && l.reason) ctx.out(`      ${l.reason}`);
    for (const c of l.checks.filter((c) => !c.pass)) {
      ctx.out(`      ${s.red('x')} ${c.experiment}/${c.id}: expected ${c.expected}; observed ${c.observed}`);
      for (const ev of c.evidence.split('\n').filter(Boolean)) ctx.out(s.dim(`          ${ev}`));
      if (c.hint) ctx.out(`          hint: ${c.hint}`);
    }
    status?.draw();
  };
  const report = await verifyLessons(lessons, broken, {
    version: ctx.version,
    requirements,
    environment,
    concurrency: jobs,
    onLesson: line,
    onExperiment: status?.event,
    formatError: format,
  }).finally(() => status?.lessonDone());
  if (typeof ctx.options.junit === 'string') {
    const file = resolve(ctx.options.junit);
    try {
      writeFileSync(file, toJUnit(report));
    } catch (err) {
      throw new NslabError(`Cannot write the JUnit report to ${file} (${errnoOf(err) ?? (err as Error).message}); choose a path in a writable directory.`);
    }
  }
  if (json) ctx.out(JSON.stringify(report, null, 2));
  else {
    ctx.out('');
    ctx.out(`${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped${report.skipped ? s.dim(' (skipped lessons cannot run on this machine: see nslab doctor)') : ''}`);
  }
  return verifyExitCode(report);
}

/** On a terminal, one line under the finished lessons saying what runs now; it is rubbed out
 * before each lesson's result is printed and drawn again after, so results stay in order and
 * nothing is interleaved. Off a terminal, nothing. */
function runningLine(stream: NodeJS.WriteStream): { event: (e: ExperimentEvent) => void; lessonDone: () => void; draw: () => void } | undefined {
  if (!stream.isTTY) return undefined;
  const running = new Map<string, ExperimentEvent[]>();
  let shown = false;
  const draw = (): void => {
    if (!running.size) return;
    const text = `running ${[...running.values()].map((es) => `${es[0]!.lesson} (${es.map((e) => e.index).join(', ')} of ${es[0]!.of})`).join(', ')}`;
    const width = (stream.columns || 80) - 1;
    stream.write(`\r${text.length > width ? `${text.slice(0, width - 1)}…` : text}\x1b[K`);
    shown = true;
  };
  return {
    event(e) {
      const list = (running.get(e.lesson) ?? []).filter((x) => x.experiment !== e.experiment);
      if (e.state === 'start') list.push(e);
      if (list.length) running.set(e.lesson, list);
      else running.delete(e.lesson);
      if (running.size) draw();
    },
    lessonDone() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
    draw,
  };
}

export async function selftestCommand(ctx: Ctx): Promise<number> {
  const lessons = await selected(ctx);
  const { errors, format } = await loadAll(ctx);
  const s = ctx.style;
  const json = Boolean(ctx.options.json);
  let bad = 0;
  if (!ctx.args.length)
    for (const e of errors.filter((e) => e.lessonId)) {
      bad++;
      if (!json) ctx.out(`${s.red('FAIL')}  ${format(e)}`);
    }
  const results = await selftestLessons(lessons, new Requirements(), (c) => {
    if (json) return;
    const tag = c.status === 'pass' ? s.green('ok  ') : c.status === 'fail' ? s.red('FAIL') : s.yellow('skip');
    ctx.out(`${tag}  ${c.lesson}/${c.experiment}  ${c.sabotage ? `sabotage: ${c.what}` : 'as written'}`);
    for (const p of c.problems) ctx.out(`        ${p}`);
  });
  for (const r of results) bad += r.cases.filter((c) => c.status === 'fail').length;
  const warnings = results.flatMap((r) => r.neverFailed.map((c) => `${r.id}/${c}`));
  if (json) ctx.out(JSON.stringify({ nslab: ctx.version, lessons: results, failures: bad }, null, 2));
  else {
    if (warnings.length) ctx.out(s.yellow(`\nwarn  no sabotage ever made these checks fail (can they?): ${warnings.join(', ')}`));
    const skipped = results.reduce((n, r) => n + r.cases.filter((c) => c.status === 'skip').length, 0);
    ctx.out(`\n${bad ? s.red(`${bad} problem(s)`) : s.green('every lesson passes as written and fails when sabotaged')}${skipped ? s.dim(`; ${skipped} run(s) skipped on this machine`) : ''}`);
  }
  return bad ? 1 : 0;
}

export async function rootfsCommand(ctx: Ctx): Promise<number> {
  const action = ctx.args[0] ?? 'info';
  if (!['info', 'build', 'clean'].includes(action)) throw new UsageError(`unknown rootfs command '${action}': use info, build or clean.`);
  const flags = ['host', 'busybox', 'json'].filter((f) => ctx.options[f]).map((f) => `--${f}`);
  const { rootfsCommand: run } = await import('../rootfs/index.js');
  // The rootfs module owns its wording and exit statuses; the CLI only routes to it.
  return run([action, ...flags], { out: (l) => ctx.out(l), err: (l) => ctx.note(l), stream: process.stdout });
}
