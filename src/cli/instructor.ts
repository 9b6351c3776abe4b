// The instructor's and author's commands: doctor, verify, selftest, rootfs.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoadedLesson } from '../lessons/loader.js';
import { doctor, type DoctorReport } from '../runner/doctor.js';
import { NslabError, UsageError, errnoOf } from '../runner/errors.js';
import { Requirements } from '../runner/requirements.js';
import { selftestLessons } from '../runner/selftest.js';
import { toJUnit, verifyExitCode, verifyLessons, type VerifyLesson } from '../runner/verify.js';
import { loadAll, pickLesson, type Ctx } from './context.js';

export async function doctorCommand(ctx: Ctx): Promise<number> {
  const { lessons } = await loadAll(ctx);
  const report = await doctor(lessons);
  if (ctx.options.json) {
    ctx.out(JSON.stringify({ nslab: ctx.version, ...report }, null, 2));
    return report.ok ? 0 : 1;
  }
  printDoctor(ctx, report);
  return report.ok ? 0 : 1;
}

function printDoctor(ctx: Ctx, r: DoctorReport): void {
  const s = ctx.style;
  const tag = { ok: s.green('ok  '), warn: s.yellow('warn'), fail: s.red('fail') } as const;
  ctx.out(s.bold(`nslab ${ctx.version} on Linux ${r.kernel} (${r.arch}), node ${r.node}, uid ${r.uid}`));
  const w = Math.max(...r.checks.map((c) => c.label.length));
  for (const c of r.checks) {
    ctx.out(`  ${tag[c.status]}  ${c.label.padEnd(w)}  ${c.detail}`);
    if (c.fix && c.status !== 'ok') ctx.out(`        ${' '.repeat(w)}  ${s.dim('fix:')} ${c.fix}`);
  }
  if (r.lessons.length) {
    ctx.out('');
    ctx.out(s.bold('Lessons on this machine:'));
    for (const l of r.lessons) ctx.out(`  ${l.runnable ? s.green('can run ') : s.yellow("can't run")}  ${l.id}${l.runnable ? '' : s.dim(`  ${l.reason}`)}`);
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
  const jobs = ctx.options.jobs === undefined ? 2 : Number(ctx.options.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs wants a whole number of at least 1, not '${ctx.options.jobs}'.`);
  const lessons = await selected(ctx);
  const { errors, format } = await loadAll(ctx);
  // Named lessons: only their own load errors count; none named: every broken lesson fails.
  const broken = ctx.args.length ? [] : errors.filter((e) => e.lessonId !== '');
  const requirements = new Requirements();
  const { lessons: _omit, ...environment } = await doctor([], requirements);
  const s = ctx.style;
  const json = Boolean(ctx.options.json);
  const line = (l: VerifyLesson) => {
    if (json) return;
    const tag = l.status === 'pass' ? s.green('PASS') : l.status === 'fail' ? s.red('FAIL') : s.yellow('SKIP');
    const n = l.checks.length;
    ctx.out(`${tag}  ${l.id}  ${s.dim(`${l.title}${n ? `, ${l.checks.filter((c) => c.pass).length}/${n} checks` : ''}${l.durationMs ? `, ${(l.durationMs / 1000).toFixed(1)} s` : ''}`)}`);
    if (l.status !== 'pass' && l.reason) ctx.out(`      ${l.reason}`);
    for (const c of l.checks.filter((c) => !c.pass)) {
      ctx.out(`      ${s.red('x')} ${c.experiment}/${c.id}: expected ${c.expected}; observed ${c.observed}`);
      for (const ev of c.evidence.split('\n').filter(Boolean)) ctx.out(s.dim(`          ${ev}`));
      if (c.hint) ctx.out(`          hint: ${c.hint}`);
    }
  };
  const report = await verifyLessons(lessons, broken, { version: ctx.version, requirements, environment, concurrency: jobs, onLesson: line, formatError: format });
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
  return run([action, ...flags], { out: (l) => ctx.out(l), err: (l) => ctx.note(l) });
}
