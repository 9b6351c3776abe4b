// Capability sets through execve: the caller's sets (P), the file's (F), the new program's sets
// computed by the rules of capabilities(7), and the new program's sets as /proc showed them.
// When the last two columns agree, the rules are what the kernel did.
import type { CapExec, CapSets } from '../lessons/types.js';
import { decodeCaps } from '../proc/caps.js';
import { padEnd, type Style } from './color.js';

const SETS = ['inheritable', 'permitted', 'effective', 'bounding', 'ambient'] as const;

/** capabilities(7), "Transformation of capabilities during execve()", for a caller that is not
 * root (or root with SECBIT_NOROOT): root's F would count as all ones. */
export function capsAfterExec(p: CapSets, f: CapExec['file']): CapSets {
  const fp = f?.permitted ?? 0n;
  const fi = f?.inheritable ?? 0n;
  // Any security.capability attribute makes the file privileged (so does a setuid bit).
  const privileged = !!f;
  const ambient = privileged ? 0n : p.ambient;
  const permitted = (p.inheritable & fi) | (fp & p.bounding) | ambient;
  return { inheritable: p.inheritable, permitted, effective: f?.effective ? permitted : ambient, bounding: p.bounding, ambient };
}

export const hex = (m: bigint) => `0x${m.toString(16)}`;

/** 'CAP_NET_RAW', a few names, or a count: short enough for one line. */
function names(m: bigint): string {
  const n = decodeCaps(m, 63);
  return n.length === 0 ? '(none)' : n.length <= 3 ? n.join(', ') : `${n.length} capabilities`;
}

const FORMULA = [
  "P'(ambient)     = (file is privileged) ? 0 : P(ambient)",
  "P'(permitted)   = (P(inheritable) & F(inheritable)) |",
  "                  (F(permitted) & P(bounding)) | P'(ambient)",
  "P'(effective)   = F(effective) ? P'(permitted) : P'(ambient)",
  "P'(inheritable) = P(inheritable);  P'(bounding) = P(bounding)",
];

export function capExec(execs: CapExec[], s: Style): string[] {
  if (execs.length === 0) return [s.dim('  (no execve observed)')];
  const lines = [s.dim("  execve computes the new sets P' from the caller's P and the file's F:"), ...FORMULA.map((l) => `    ${s.cyan(l)}`)];
  lines.push(s.dim('  (capabilities(7), for a caller other than root, or root under SECBIT_NOROOT)'));
  for (const e of execs) {
    const want = capsAfterExec(e.before, e.file);
    const fileCell = (k: (typeof SETS)[number]): string => {
      if (!e.file) return '-';
      if (k === 'effective') return e.file.effective ? 'set' : 'clear';
      return k === 'permitted' || k === 'inheritable' ? hex(e.file[k]) : '';
    };
    const cols = SETS.map((k) => ({
      set: k,
      // P(permitted) and P(effective) take no part in the rules.
      p: k === 'permitted' || k === 'effective' ? 'unused' : hex(e.before[k]),
      used: k !== 'permitted' && k !== 'effective',
      f: fileCell(k),
      want: hex(want[k]),
      seen: e.after ? hex(e.after[k]) : '?',
      ok: !e.after || want[k] === e.after[k],
    }));
    const w = {
      set: 11,
      p: Math.max(10, ...cols.map((c) => c.p.length)),
      f: Math.max(e.file ? 8 : 9, ...cols.map((c) => c.f.length)),
      want: Math.max(11, ...cols.map((c) => c.want.length)),
      seen: Math.max(9, ...cols.map((c) => c.seen.length)),
    };
    lines.push('', `  ${s.bold(e.label)}: ${e.program}`);
    lines.push(s.dim(`  ${padEnd('set', w.set)}  ${padEnd('P caller', w.p)}  ${padEnd(e.file ? 'F file' : 'F (none)', w.f)}  ${padEnd("P' by rule", w.want)}  ${padEnd("P' seen", w.seen)}`));
    for (const c of cols) {
      const mark = !e.after ? '' : c.ok ? s.green(s.sym.pass) : s.red(s.sym.fail);
      const p = c.used ? c.p : s.dim(c.p);
      lines.push(`  ${padEnd(c.set, w.set)}  ${padEnd(p, w.p)}  ${padEnd(c.f, w.f)}  ${padEnd(c.want, w.want)}  ${padEnd(c.ok ? c.seen : s.red(c.seen), w.seen)}  ${mark}`.trimEnd());
    }
    if (e.after) lines.push(s.dim(`  the new program's effective set: ${names(e.after.effective)}; permitted: ${names(e.after.permitted)}`));
    else lines.push(s.dim(`  ? it exited before /proc was read; by the rules, effective: ${names(want.effective)}`));
    if (cols.some((c) => !c.ok)) lines.push(s.red(`  ${s.sym.fail} not what the rules give for this F: the kernel set F aside (a nosuid`), s.red('    mount, no_new_privs), or the caller was root'));
  }
  return lines;
}
