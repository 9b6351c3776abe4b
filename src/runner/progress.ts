// The learner's progress: one small JSON file under $XDG_STATE_HOME/nslab. It is the only
// thing nslab keeps that a person would be sad to lose, so every write is atomic (temp file,
// fsync, rename, fsync of the directory) and a file we cannot parse is moved aside, never
// overwritten.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NslabError, errnoOf } from './errors.js';

export type LessonStatus = 'new' | 'in-progress' | 'passed';

export interface PredictionRecord {
  /** The choice made, or 'skipped' when the learner took defaults (--yes, no terminal). */
  choice: number | 'skipped';
  correct: boolean | null;
  at: string;
}

export interface LessonProgress {
  status: LessonStatus;
  startedAt: string | null;
  passedAt: string | null;
  /** hints: what the failing checks said on the last run, for `nslab hint`. */
  experiments: Record<string, { passed: boolean; at: string; hints?: string[] }>;
  predictions: Record<string, PredictionRecord>;
  /** Page to resume at ('continue where you left off'). */
  page?: number;
  /** Exercise results from `nslab check` (at: when first passed, or when last failed). */
  exercises?: Record<string, { passed: boolean; at: string; lastCheckedAt?: string; hints?: string[] }>;
}

export interface ProgressFile {
  version: 1;
  /** The lesson touched last, for the menu's 'continue' entry. */
  last: string | null;
  lessons: Record<string, LessonProgress>;
}

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'nslab');
}

export const emptyProgress = (): ProgressFile => ({ version: 1, last: null, lessons: {} });

export const newLesson = (): LessonProgress => ({
  status: 'new',
  startedAt: null,
  passedAt: null,
  experiments: {},
  predictions: {},
});

/** A message the CLI prints once, e.g. that a corrupt file was moved aside. */
export type Notice = (message: string) => void;

export class ProgressStore {
  readonly dir: string;
  readonly file: string;
  private data: ProgressFile | null = null;

  constructor(dir = stateDir(), private readonly notice: Notice = (m) => process.stderr.write(m + '\n')) {
    this.dir = dir;
    this.file = join(dir, 'progress.json');
  }

  /** Reads the file once. Missing is empty; unreadable or invalid is moved aside and reported. */
  load(): ProgressFile {
    if (this.data) return this.data;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return (this.data = emptyProgress());
      throw new NslabError(
        `Cannot read your progress file ${this.file} (${errnoOf(err) ?? (err as Error).message}). Check its permissions, or point XDG_STATE_HOME at a directory you own.`,
        { cause: err },
      );
    }
    const problem = validate(text);
    if (typeof problem !== 'string') return (this.data = problem);
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(this.file, aside);
    } catch (err) {
      throw new NslabError(
        `Your progress file ${this.file} is damaged (${problem}) and could not be moved aside to ${aside} (${errnoOf(err) ?? (err as Error).message}). Move or delete it yourself, then run nslab again.`,
        { cause: err },
      );
    }
    this.notice(
      `nslab: your progress file ${this.file} was damaged (${problem}); it was kept as ${aside} and nslab starts with fresh progress.`,
    );
    return (this.data = emptyProgress());
  }

  lesson(id: string): LessonProgress {
    return this.load().lessons[id] ?? newLesson();
  }

  status(id: string): LessonStatus {
    return this.load().lessons[id]?.status ?? 'new';
  }

  /** Changes one lesson's record and saves at once, so an interrupted lesson keeps what was done. */
  update(id: string, change: (p: LessonProgress) => void): LessonProgress {
    const data = this.load();
    const p = data.lessons[id] ?? newLesson();
    change(p);
    data.lessons[id] = p;
    data.last = id;
    this.save();
    return p;
  }

  reset(id?: string): void {
    const data = this.load();
    if (id === undefined) {
      data.lessons = {};
      data.last = null;
    } else {
      delete data.lessons[id];
      if (data.last === id) data.last = null;
    }
    this.save();
  }

  /** Fails early, before a learner invests time in a lesson whose result could not be kept. */
  assertWritable(): void {
    this.write(JSON.stringify(this.load(), null, 2) + '\n');
  }

  save(): void {
    this.write(JSON.stringify(this.load(), null, 2) + '\n');
  }

  private write(text: string): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      mkdirSync(this.dir, { recursive: true });
      const fd = openSync(tmp, 'w', 0o644);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
      // The rename is durable only once the directory entry is on disk too.
      const dfd = openSync(this.dir, 'r');
      try {
        fsyncSync(dfd);
      } catch {
        // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
      } finally {
        closeSync(dfd);
      }
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // Never created; nothing to clean.
      }
      const code = errnoOf(err) ?? (err as Error).message;
      throw new NslabError(
        `Cannot save progress in ${this.dir} (${code}); your existing progress there is untouched. Make that directory writable, or set XDG_STATE_HOME to one you own.`,
        { cause: err },
      );
    }
  }
}

/** The parsed file, or what is wrong with it in a few words. */
function validate(text: string): ProgressFile | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return `not valid JSON: ${(err as Error).message}`;
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'not a JSON object';
  const obj = raw as Partial<ProgressFile>;
  if (obj.version !== 1) return `unknown format version ${JSON.stringify(obj.version)}`;
  if (!obj.lessons || typeof obj.lessons !== 'object' || Array.isArray(obj.lessons)) return '"lessons" is not an object';
  const lessons: Record<string, LessonProgress> = {};
  for (const [id, p] of Object.entries(obj.lessons)) {
    if (!p || typeof p !== 'object') return `lesson ${id} is not an object`;
    const status = (p as LessonProgress).status;
    if (status !== 'new' && status !== 'in-progress' && status !== 'passed') return `lesson ${id} has status ${JSON.stringify(status)}`;
    lessons[id] = { ...newLesson(), ...(p as LessonProgress) };
  }
  return { version: 1, last: typeof obj.last === 'string' ? obj.last : null, lessons };
}
