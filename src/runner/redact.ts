// Making a report safe to share: the learner's home path becomes ~, their user name <user> and
// the machine's host name <host>, wherever they occur (doctor's paths, a lesson's evidence, the
// kernel's build string). Names match as whole words only, and a name that is also a word nslab
// itself prints ("root", "nslab") is left alone: it identifies no one and would garble the rest.

const COMMON = new Set(['root', 'nslab', 'user', 'host', 'learner', 'nobody', 'lesson', 'test', 'debian', 'ubuntu', 'vagrant', 'localhost', 'linux', 'sandbox']);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Identity {
  /** Home directories to hide ($HOME and the passwd entry's, when they differ). */
  homes: string[];
  user?: string;
  host?: string;
}

export function redactor(id: Identity): (text: string) => string {
  const rules: [RegExp, string][] = [];
  // Longest first, so /home/ada/work is not half-replaced by /home/ada's rule.
  for (const h of [...new Set(id.homes.map((h) => h.replace(/\/+$/, '')))].filter((h) => h.length > 1).sort((a, b) => b.length - a.length))
    rules.push([new RegExp(`(?<![\\w.\\-/])${escape(h)}(?![\\w.\\-])`, 'g'), '~']);
  const word = (name: string | undefined, as: string) => {
    if (!name || name.length < 2 || COMMON.has(name.toLowerCase())) return;
    rules.push([new RegExp(`(?<![A-Za-z0-9])${escape(name)}(?![A-Za-z0-9])`, 'g'), as]);
  };
  word(id.user, '<user>');
  word(id.host, '<host>');
  // The short host name too: 'ada-laptop' of 'ada-laptop.example.org'.
  if (id.host?.includes('.')) word(id.host.split('.')[0], '<host>');
  return (text) => rules.reduce((t, [re, to]) => t.replace(re, to), text);
}

/** A deep copy of plain data with every string (and object key) redacted, except under `keep`. */
export function redactDeep<T>(value: T, redact: (s: string) => string, keep: ReadonlySet<string> = new Set()): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[redact(k)] = keep.has(k) ? x : walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
