// `nslab report`: gathers doctor, verify (run now, or a saved JSON reused) and progress into
// one Markdown or JSON file for an instructor; anonymous unless --name is given.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { doctor } from '../runner/doctor.js';
import { NslabError, UsageError, errnoOf } from '../runner/errors.js';
import { buildReport, reportMarkdown } from '../runner/report.js';
import { Requirements } from '../runner/requirements.js';
import { verifyLessons, type VerifyReport } from '../runner/verify.js';
import { loadAll, progressStore, type Ctx } from './context.js';

function savedVerify(file: string): VerifyReport {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new NslabError(`Cannot reuse ${file} as verify results (${errnoOf(err) ?? (err as Error).message}); give the output of \`nslab verify --json\`, or leave out --verify to run it now.`);
  }
  const v = data as Partial<VerifyReport>;
  if (!v || !Array.isArray(v.lessons) || typeof v.passed !== 'number')
    throw new NslabError(`${file} is not the output of \`nslab verify --json\` (no lessons/passed fields); leave out --verify to run verify now.`);
  return v as VerifyReport;
}

export async function reportCommand(ctx: Ctx): Promise<number> {
  if (ctx.options.json && ctx.options.md) throw new UsageError('Choose one of --json and --md.');
  // Before verify runs: a wrong option must not cost the learner a whole verify first.
  const name = typeof ctx.options.name === 'string' ? ctx.options.name : undefined;
  if (name !== undefined && !name.trim()) throw new UsageError('--name wants your name as the instructor should see it, e.g. --name "Ada L".');
  const { lessons, errors, format } = await loadAll(ctx);
  const requirements = new Requirements();
  const doc = await doctor(lessons, requirements);
  let verify: (VerifyReport & { source: string }) | null;
  if (typeof ctx.options.verify === 'string') {
    const file = resolve(ctx.options.verify);
    verify = { ...savedVerify(file), source: `reused from ${file}` };
  } else {
    ctx.note(ctx.style.dim('nslab report: running verify on every lesson (reuse a saved `nslab verify --json` with --verify FILE)...'));
    const { lessons: _omit, ...environment } = doc;
    const v = await verifyLessons(lessons, errors.filter((e) => e.lessonId !== ''), { version: ctx.version, requirements, environment, formatError: format });
    verify = { ...v, source: `run now, ${new Date().toISOString()}` };
  }
  const report = buildReport({ version: ctx.version, lessons, store: progressStore(ctx), doctor: doc, verify, name });
  const text = ctx.options.json ? JSON.stringify(report, null, 2) + '\n' : reportMarkdown(report);
  if (typeof ctx.options.out === 'string') {
    const file = resolve(ctx.options.out);
    try {
      writeFileSync(file, text);
    } catch (err) {
      throw new NslabError(`Cannot write the report to ${file} (${errnoOf(err) ?? (err as Error).message}); choose a path in a writable directory.`);
    }
    ctx.out(`Report written to ${file}.`);
  } else ctx.out(text);
  return 0;
}
