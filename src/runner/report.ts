// `nslab report`: one file an instructor can read without running anything: which machine
// (nslab, kernel, distribution), what doctor said, what verify found, and how far the learner
// got, with timestamps. The JSON shape is read by scripts: add fields, never rename them.
// It is safe to share as it is: no user name, host name or home path, unless the learner gives
// --name (then the report carries that name, their user name and the host name).
import { readFileSync } from 'node:fs';
import { arch, homedir, hostname, release, userInfo } from 'node:os';
import { redactDeep, redactor } from './redact.js';
import type { LoadedLesson } from '../lessons/loader.js';
import { readTextOr } from '../proc/index.js';
import type { DoctorReport } from './doctor.js';
import type { ProgressStore } from './progress.js';
import type { VerifyReport } from './verify.js';

export interface LessonReport {
  id: string;
  title: string;
  status: string;
  startedAt: string | null;
  passedAt: string | null;
  experiments: { id: string; passed: boolean; at: string }[];
  exercises: { id: string; title: string; passed: boolean; at: string | null; lastCheckedAt: string | null }[];
  predictions: { id: string; correct: boolean | null; at: string }[];
}

/** 1: before; 2: schemaVersion, student, anonymous, machine.hostname. */
export const REPORT_SCHEMA_VERSION = 2;

export interface InstructorReport {
  /** Marks the file as an nslab report for `nslab class`. */
  kind?: 'nslab-report';
  schemaVersion?: number;
  generatedAt: string;
  nslab: string;
  /** --name: who sent it; null when anonymous. */
  student?: string | null;
  /** true: user name, host name and home paths were replaced by <user>, <host> and ~. */
  anonymous?: boolean;
  /** user is '' and hostname absent when anonymous. */
  machine: { kernel: string; kernelBuild: string; arch: string; distro: string; osRelease: Record<string, string>; node: string; user: string; uid: number; hostname?: string };
  doctor: DoctorReport;
  verify: (VerifyReport & { source: string }) | null;
  progress: { file: string; lessons: LessonReport[] };
}

export function osRelease(path = '/etc/os-release'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readTextOr(path).split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

export function buildReport(p: { version: string; lessons: LoadedLesson[]; store: ProgressStore; doctor: DoctorReport; verify: (VerifyReport & { source: string }) | null; name?: string }): InstructorReport {
  const rel = osRelease();
  let kernelBuild = '';
  try {
    kernelBuild = readFileSync('/proc/version', 'utf8').trim();
  } catch {
    // not Linux enough to say more than the release
  }
  const data = p.store.load();
  const lessons: LessonReport[] = p.lessons.map((l) => {
    const pr = data.lessons[l.meta.id];
    const ex = pr?.exercises ?? {};
    return {
      id: l.meta.id,
      title: l.meta.title,
      status: pr?.status ?? 'new',
      startedAt: pr?.startedAt ?? null,
      passedAt: pr?.passedAt ?? null,
      experiments: Object.entries(pr?.experiments ?? {}).map(([id, e]) => ({ id, passed: e.passed, at: e.at })),
      exercises: (l.module.exercises ?? []).map((x) => ({
        id: x.id,
        title: x.title,
        passed: Boolean(ex[x.id]?.passed),
        at: ex[x.id]?.at ?? null,
        lastCheckedAt: ex[x.id]?.lastCheckedAt ?? null,
      })),
      predictions: Object.entries(pr?.predictions ?? {}).map(([id, x]) => ({ id, correct: x.correct, at: x.at })),
    };
  });
  let user = String(process.getuid?.() ?? '');
  const homes = [homedir()];
  try {
    const me = userInfo();
    user = me.username;
    homes.push(me.homedir);
  } catch {
    // a uid without a passwd entry (containers)
  }
  const host = hostname();
  const named = p.name !== undefined && p.name.trim() !== '';
  const report: InstructorReport = {
    kind: 'nslab-report',
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: new Date().toISOString(),
    nslab: p.version,
    student: named ? p.name!.trim() : null,
    anonymous: !named,
    machine: {
      kernel: release(),
      kernelBuild,
      arch: arch(),
      distro: rel.PRETTY_NAME ?? ([rel.NAME, rel.VERSION].filter(Boolean).join(' ') || 'unknown (no /etc/os-release)'),
      osRelease: rel,
      node: process.version,
      user: named ? user : '',
      uid: process.getuid?.() ?? -1,
      ...(named ? { hostname: host } : {}),
    },
    doctor: p.doctor,
    verify: p.verify,
    progress: { file: p.store.file, lessons },
  };
  if (named) return report;
  // The distribution's own words are not the learner's (and 'debian' may be a host name).
  return redactDeep(report, redactor({ homes, user, host }), new Set(['osRelease', 'distro']));
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function reportMarkdown(r: InstructorReport): string {
  const m = r.machine;
  const out: string[] = [
    `# nslab report`,
    '',
    r.student
      ? `Generated ${r.generatedAt} by nslab ${r.nslab} for ${cell(r.student)} (${m.user ? `${cell(m.user)}, ` : ''}uid ${m.uid}${m.hostname ? ` on ${cell(m.hostname)}` : ''}).`
      : `Generated ${r.generatedAt} by nslab ${r.nslab} (uid ${m.uid}; no name: user name, host name and home paths are withheld).`,
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| nslab | ${r.nslab} |`,
    `| kernel | Linux ${cell(m.kernel)} (${m.arch}) |`,
    `| distribution | ${cell(m.distro)} |`,
    `| node | ${m.node} |`,
    '',
    `\`${cell(m.kernelBuild)}\``,
    '',
    '## Doctor',
    '',
    '| status | check | detail | fix |',
    '|---|---|---|---|',
    ...r.doctor.checks.map((c) => `| ${c.status} | ${cell(c.label)} | ${cell(c.detail)} | ${cell(c.status === 'ok' ? '' : (c.fix ?? ''))}${c.check && c.status !== 'ok' ? ` \`${c.check}\`` : ''} |`),
    '',
    '## Verify',
    '',
  ];
  if (!r.verify) out.push('Not run.', '');
  else {
    out.push(`${r.verify.passed} passed, ${r.verify.failed} failed, ${r.verify.skipped} skipped (${cell(r.verify.source)}).`, '', '| lesson | status | checks | reason |', '|---|---|---|---|');
    for (const l of r.verify.lessons) out.push(`| ${l.id} | ${l.status} | ${l.checks.filter((c) => c.pass).length}/${l.checks.length} | ${cell(l.reason)} |`);
    const failed = r.verify.lessons.flatMap((l) => l.checks.filter((c) => !c.pass).map((c) => ({ l, c })));
    if (failed.length) {
      out.push('', 'Failed checks:', '');
      for (const { l, c } of failed) out.push(`- ${l.id} ${c.experiment}/${c.id}: expected ${cell(c.expected)}; observed ${cell(c.observed)}${c.hint ? `; hint: ${cell(c.hint)}` : ''}`);
    }
    out.push('');
  }
  out.push('## Progress', '', `From ${r.progress.file}.`, '', '| lesson | status | started | passed | experiments passed | exercises |', '|---|---|---|---|---|---|');
  for (const l of r.progress.lessons) {
    const ex = l.exercises.length ? l.exercises.map((x) => `${x.id}: ${x.passed ? `passed ${x.at}` : x.lastCheckedAt ? `not yet (checked ${x.lastCheckedAt})` : 'not tried'}`).join('; ') : '';
    out.push(`| ${l.id} | ${l.status} | ${l.startedAt ?? ''} | ${l.passedAt ?? ''} | ${l.experiments.filter((e) => e.passed).length}/${l.experiments.length} | ${cell(ex)} |`);
  }
  out.push('');
  return out.join('\n');
}
