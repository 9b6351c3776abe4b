// User ids step by step: the Uid: line (real, effective, saved, fs) after each exec or set*uid
// call, a changed id marked, and what the row means for getting root back. An unprivileged
// process may set each of its ids only to one of its current real, effective or saved uids
// (setresuid(2)), so a 0 anywhere among them is a way back to root.
import type { UidStep } from '../lessons/types.js';
import { padEnd, visibleWidth, type Style } from './color.js';

const padStart = (t: string, w: number) => ' '.repeat(Math.max(0, w - visibleWidth(t))) + t;

const COLS = ['real', 'eff', 'saved', 'fs'];

function meaning(uid: number[]): string {
  const [r, e, sv] = uid;
  if (e === 0) return r === 0 && sv === 0 ? 'root' : `root, real ${r}`;
  return r === 0 || sv === 0 ? 'may seteuid(0)' : 'no way back to 0';
}

export function uidSteps(steps: UidStep[], s: Style, width = 78): string[] {
  if (steps.length === 0) return [s.dim('  (no steps observed)')];
  const notes = steps.map((st, i) => {
    const b = i === 0 ? undefined : steps[st.base ?? i - 1];
    return b && b.uid.join(' ') === st.uid.join(' ') ? 'unchanged' : meaning(st.uid);
  });
  const noteW = Math.max(...notes.map((n) => n.length));
  const idW = 6;
  const labelW = Math.max(10, Math.min(Math.max(...steps.map((st) => visibleWidth(st.label))), width - 4 - COLS.length * idW - 3 - noteW));
  const fit = (l: string) => (visibleWidth(l) > labelW ? l.slice(0, labelW - s.sym.ellipsis.length) + s.sym.ellipsis : l);
  const lines = [s.dim(`  ${padEnd('step', labelW)}  ${COLS.map((c) => padStart(c, idW)).join('')}`)];
  steps.forEach((st, i) => {
    const b = i === 0 ? undefined : steps[st.base ?? i - 1];
    const cells = COLS.map((_, k) => {
      const v = st.uid[k];
      const text = v === undefined || Number.isNaN(v) ? '?' : String(v);
      const changed = !!b && b.uid[k] !== v;
      // The star keeps the change visible without colour.
      return changed ? padStart(s.yellow(s.bold(`${text}*`)), idW) : padStart(`${text} `, idW);
    });
    const note = notes[i]!;
    const shown = note === 'unchanged' ? s.dim(note) : note.startsWith('no way') ? s.green(note) : note.startsWith('root') ? s.red(note) : s.yellow(note);
    lines.push(`  ${padEnd(fit(st.label), labelW)}  ${cells.join('')}   ${shown}`);
  });
  const fromFirst = steps.length > 1 && steps.every((st, i) => i === 0 || st.base === 0);
  lines.push(s.dim(`  * changed from ${fromFirst ? 'the first row' : 'the row above'}; "may seteuid(0)": real or saved is 0`));
  return lines;
}
