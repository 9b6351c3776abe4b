// Check builders for the shapes lessons judge again and again: an errno from a call, a status
// line's value, a mountinfo line's fields, two namespace links equal or not. Each returns a
// whole Check: the verdict, the observed value in a few words, the /proc or trace lines as
// evidence, and a hint computed from what was seen. Pure functions over observations: they run
// on the host, with no access to the sandbox.
import type { Check, CheckOutcome } from '../lessons/types.js';
import type { OutsideView } from '../sandbox/types.js';

type Outside = Record<string, OutsideView[]>;

/** "unshare(CLONE_NEWUSER) = -1 EINVAL (Invalid argument)" -> { ret: -1, errno: 'EINVAL' }. */
export function parseTraceResult(line: string): { ret: number; errno: string | null } | null {
  const m = / = (-?\d+|0x[0-9a-f]+)(?: (E[A-Z0-9]+))?/.exec(line);
  return m ? { ret: m[1]!.startsWith('0x') ? Number.parseInt(m[1]!, 16) : Number(m[1]), errno: m[2] ?? null } : null;
}

export interface ErrnoFacts {
  /** The call's trace line, as ctx.sys returned it. */
  trace: string;
  /** Lines shown with it. */
  evidence?: string[];
  /** Said when the call got another answer, after the computed part. */
  why?: string;
}

/** The call's trace line says it failed with `want` (an errno name), or succeeded (`want` 0). */
export function errnoIs<O>(id: string, expected: string, want: string | 0, pick: (o: O, outside: Outside) => ErrnoFacts): Check<O> {
  return {
    id,
    expected,
    check(o, outside) {
      const f = pick(o, outside);
      const r = parseTraceResult(f.trace);
      const pass = !!r && (want === 0 ? r.ret >= 0 && !r.errno : r.errno === want);
      const got = !r ? 'no result in the trace' : r.errno ? `-1 ${r.errno}` : `${r.ret} (success)`;
      return outcome(pass, got, [f.trace, ...(f.evidence ?? [])], !r ? `the call never ran: ${f.trace}` : `expected ${want === 0 ? 'success' : want}, the kernel answered ${got}${f.why ? `: ${f.why}` : ''}`);
    },
  };
}

export interface StatusFacts {
  /** Whose status this is, for the evidence: 'PID 1 (sleep)'. */
  who: string;
  /** The full text of /proc/PID/status, or the line alone. */
  status: string;
  /** The key, without the colon: 'NoNewPrivs'. */
  key: string;
  /** What the value (the text after the colon, tabs as spaces, trimmed) must be or match. */
  want: string | RegExp | ((value: string) => boolean);
  /** Lines shown after the status line. */
  evidence?: string[];
  why?: string;
  /** Said when there is no such line, instead of the usual guess (a process that could not be
   * looked at, say why). */
  missing?: string;
}

/** One line of /proc/PID/status has the wanted value. */
export function statusIs<O>(id: string, expected: string, pick: (o: O, outside: Outside) => StatusFacts): Check<O> {
  return {
    id,
    expected,
    check(o, outside) {
      const f = pick(o, outside);
      const line = f.status.split('\n').find((l) => l.startsWith(`${f.key}:`));
      const value = line?.slice(f.key.length + 1).replace(/\s+/g, ' ').trim();
      const pass = value !== undefined && (typeof f.want === 'string' ? value === f.want : f.want instanceof RegExp ? f.want.test(value) : f.want(value));
      const wanted = typeof f.want === 'function' ? 'the expected value' : String(f.want);
      return outcome(
        pass,
        value === undefined ? `no ${f.key}: line` : `${f.key}: ${value}`,
        [`${f.who}: ${line?.replace(/\t/g, ' ') ?? `(no ${f.key}: line)`}`, ...(f.evidence ?? [])],
        value === undefined
          ? `${f.who} has no ${f.key}: line in its status${f.missing ? `: ${f.missing}` : ' (an older kernel, or the process was gone)'}`
          : `${f.who} shows ${f.key}: ${value}, not ${wanted}${f.why ? `: ${f.why}` : ''}`,
      );
    },
  };
}

export interface MountFacts {
  /** The mountinfo text (or its lines) of the process that was asked. */
  mountinfo: string | string[];
  /** Whose mountinfo: 'the sandbox', 'PID 1 seen from the host'. */
  who: string;
  mountPoint: string;
  /** Absent: the mount must not be there at all. */
  want?: { propagation?: string; fsType?: string; option?: string; absentOption?: string };
  why?: string;
}

/** A mount point's line in mountinfo has these fields (or, without `want`, there is none). */
export function mountIs<O>(id: string, expected: string, pick: (o: O, outside: Outside) => MountFacts): Check<O> {
  return {
    id,
    expected,
    check(o, outside) {
      const f = pick(o, outside);
      const lines = (Array.isArray(f.mountinfo) ? f.mountinfo : f.mountinfo.split('\n')).filter(Boolean);
      // The last mount at a path is the one a lookup meets (later mounts stack on top).
      const line = lines.filter((l) => l.split(' ')[4] === f.mountPoint).pop();
      if (!f.want) return outcome(!line, line ? `mounted: ${line}` : `nothing at ${f.mountPoint}`, line ? [line] : [`no line for ${f.mountPoint} in ${f.who}'s mountinfo`], `${f.mountPoint} is still mounted in ${f.who}'s view${f.why ? `: ${f.why}` : ''}`);
      if (!line) return outcome(false, `nothing mounted at ${f.mountPoint}`, [`${lines.length} lines in ${f.who}'s mountinfo, none at ${f.mountPoint}`], `${f.who} has no mount at ${f.mountPoint}${f.why ? `: ${f.why}` : ''}`);
      const fields = line.split(' ');
      const sep = fields.indexOf('-');
      const optional = fields.slice(6, sep);
      const propagation = optional.some((x) => x.startsWith('shared:')) && optional.some((x) => x.startsWith('master:')) ? 'shared+slave' : optional.some((x) => x.startsWith('shared:')) ? 'shared' : optional.some((x) => x.startsWith('master:')) ? 'slave' : optional.includes('unbindable') ? 'unbindable' : 'private';
      const fsType = fields[sep + 1] ?? '';
      const options = (fields[5] ?? '').split(',');
      const wrong: string[] = [];
      const w = f.want;
      if (w.propagation && w.propagation !== propagation) wrong.push(`it is ${propagation}${optional.length ? ` (${optional.join(' ')})` : ''}, not ${w.propagation}`);
      if (w.fsType && w.fsType !== fsType) wrong.push(`it is ${fsType}, not ${w.fsType}`);
      if (w.option && !options.includes(w.option)) wrong.push(`its options ${fields[5]} lack ${w.option}`);
      if (w.absentOption && options.includes(w.absentOption)) wrong.push(`its options ${fields[5]} include ${w.absentOption}`);
      const seen = [w.propagation ? propagation : '', w.fsType ? fsType : '', w.option || w.absentOption ? fields[5] : ''].filter(Boolean).join(', ');
      return outcome(!wrong.length, `${f.mountPoint}: ${seen}`, [line], `${f.mountPoint} in ${f.who}'s view: ${wrong.join('; ')}${f.why ? `: ${f.why}` : ''}`);
    },
  };
}

export interface NsFacts {
  /** 'net', 'mnt', ...: for the words. */
  kind: string;
  a: { label: string; link: string | undefined };
  b: { label: string; link: string | undefined };
  why?: string;
}

/** Two namespace links ('net:[4026532201]') name different namespaces (`same` false) or the
 * same one (`same` true). */
export function nsLinks<O>(id: string, expected: string, same: boolean, pick: (o: O, outside: Outside) => NsFacts): Check<O> {
  return {
    id,
    expected,
    check(o, outside) {
      const f = pick(o, outside);
      const evidence = [`${f.a.label}: ${f.a.link ?? '(unreadable)'}`, `${f.b.label}: ${f.b.link ?? '(unreadable)'}`];
      if (!f.a.link || !f.b.link) return outcome(false, `a ${f.kind} link could not be read`, evidence, `could not read ${!f.a.link ? f.a.label : f.b.label}'s ns/${f.kind}: the process was gone, or /proc was not there`);
      const equal = f.a.link === f.b.link;
      return outcome(
        equal === same,
        equal ? `the same ${f.kind} namespace` : `different ${f.kind} namespaces`,
        evidence,
        equal ? `${f.a.label} and ${f.b.label} share one ${f.kind} namespace${f.why ? `: ${f.why}` : ''}` : `${f.a.label} and ${f.b.label} are in different ${f.kind} namespaces${f.why ? `: ${f.why}` : ''}`,
      );
    },
  };
}

function outcome(pass: boolean, observed: string, evidence: string[], hint: string): CheckOutcome {
  return pass ? { pass, observed, evidence } : { pass, observed, evidence, hint };
}
