// Lesson ids: the folder name 'NN-slug' is the id; learners may type any of '4', '04',
// 'pivot-root' or '04-pivot-root'.
import type { LessonMeta } from './types.js';

const FOLDER = /^(\d{1,3})-([a-z0-9]+(?:-[a-z0-9]+)*)$/;

/** Splits a lesson folder name into its number and slug; undefined when it is not 'NN-slug'. */
export function parseLessonFolder(name: string): { number: number; slug: string } | undefined {
  const m = FOLDER.exec(name);
  return m ? { number: Number(m[1]), slug: m[2] } : undefined;
}

/** True when the name looks meant to be a lesson folder (starts with digits and a dash). */
export function looksLikeLessonFolder(name: string): boolean {
  return /^\d+-/.test(name);
}

type HasMeta = { meta: Pick<LessonMeta, 'id' | 'number' | 'slug'> };

export function resolveLesson<L extends HasMeta>(lessons: readonly L[], input: string): L | undefined {
  const want = input.trim().toLowerCase();
  if (want === '') return undefined;
  if (/^\d+$/.test(want)) return lessons.find((l) => l.meta.number === Number(want));
  return lessons.find((l) => l.meta.id === want) ?? lessons.find((l) => l.meta.slug === want);
}

/** The id of the lesson the learner most likely meant, for "did you mean …?"; undefined when
 * nothing is close enough to be worth suggesting. */
export function suggestLesson<L extends HasMeta>(lessons: readonly L[], input: string): string | undefined {
  const want = input.trim().toLowerCase();
  if (want === '') return undefined;
  let best: { id: string; score: number } | undefined;
  for (const l of lessons) {
    const candidates = [l.meta.id, l.meta.slug, ...l.meta.slug.split('-')];
    // A prefix or substring of the slug ('pivot' for 'pivot-root') is a strong hint.
    let score = l.meta.slug.startsWith(want) || l.meta.id.startsWith(want) ? 0 : l.meta.slug.includes(want) ? 0.5 : Infinity;
    for (const c of candidates) score = Math.min(score, distance(want, c));
    if (!best || score < best.score) best = { id: l.meta.id, score };
  }
  if (!best) return undefined;
  const limit = Math.max(1, Math.floor(want.length / 3));
  return best.score <= limit ? best.id : undefined;
}

/** Damerau-free Levenshtein distance; inputs here are a few dozen characters at most. */
export function distance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
