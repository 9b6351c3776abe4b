// A seccomp filter as the kernel runs it: the classic-BPF program that was loaded, one column
// per syscall tried, the instructions each one went through, the action the program returned,
// and what the kernel answered. The program is run here over each call's seccomp_data (its
// number and audit arch), the same way the kernel runs it at syscall entry.
import type { SeccompView } from '../lessons/types.js';
import { padEnd, type Style } from './color.js';

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k, little-endian on the machines nslab runs on. */
export function decodeProgram(bytes: number[]): Insn[] {
  const b = Buffer.from(bytes);
  const out: Insn[] = [];
  for (let at = 0; at + 8 <= b.length; at += 8) out.push({ code: b.readUInt16LE(at), jt: b[at + 2]!, jf: b[at + 3]!, k: b.readUInt32LE(at + 4) });
  return out;
}

const FIELDS: Record<number, string> = { 0: 'nr', 4: 'arch', 8: 'instruction_pointer', 12: 'instruction_pointer (high)' };
const field = (k: number) => FIELDS[k] ?? (k >= 16 && k < 64 ? `args[${Math.floor((k - 16) / 8)}]${(k - 16) % 8 ? ' (high)' : ''}` : `[${k}]`);
const ARCHES: Record<number, string> = { 0xc000003e: 'AUDIT_ARCH_X86_64', 0xc00000b7: 'AUDIT_ARCH_AARCH64', 0x40000003: 'AUDIT_ARCH_I386', 0x40000028: 'AUDIT_ARCH_ARM' };
const ERRNOS: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 13: 'EACCES', 22: 'EINVAL', 38: 'ENOSYS', 95: 'EOPNOTSUPP' };
const ACTIONS: [number, string][] = [
  [0x80000000, 'KILL_PROCESS'],
  [0x00000000, 'KILL_THREAD'],
  [0x00030000, 'TRAP'],
  [0x00050000, 'ERRNO'],
  [0x7fc00000, 'USER_NOTIF'],
  [0x7ff00000, 'TRACE'],
  [0x7ffc0000, 'LOG'],
  [0x7fff0000, 'ALLOW'],
];

/** SECCOMP_RET_* of a return value: 'ALLOW', 'ERRNO(EPERM)', 'KILL_PROCESS'. */
export function action(k: number): { name: string; errno?: string } {
  const act = (k & 0xffff0000) >>> 0;
  const name = ACTIONS.find(([v]) => v === act)?.[1] ?? `0x${act.toString(16)}`;
  if (name !== 'ERRNO') return { name };
  const errno = ERRNOS[k & 0xffff] ?? String(k & 0xffff);
  return { name: `ERRNO(${errno})`, errno };
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** One instruction as a line of C-like text; jump targets are instruction numbers. */
export function describe(i: Insn, pc: number): string {
  const t = pc + 1 + i.jt;
  const f = pc + 1 + i.jf;
  const cond = (op: string) => `if (A ${op} ${i.k > 0xffff ? hex(i.k) : i.k}) goto ${t}; else ${f}`;
  switch (i.code) {
    case 0x20: return `A = ${field(i.k)}`;
    case 0x00: return `A = ${i.k}`;
    case 0x54: return `A &= ${hex(i.k)}`;
    case 0x15: return cond('==');
    case 0x25: return cond('>');
    case 0x35: return cond('>=');
    case 0x45: return cond('&');
    case 0x05: return `goto ${pc + 1 + i.k}`;
    case 0x06: return `return ${action(i.k).name}`;
    default: return `(opcode 0x${i.code.toString(16)})`;
  }
}

/** Runs the program over {nr, arch}: the instructions visited and the returned action, or why
 * it cannot be told from these two fields. */
export function run(prog: Insn[], nr: number, arch: number): { path: number[]; ret?: number; unknown?: string } {
  let a = 0;
  const path: number[] = [];
  for (let pc = 0; pc < prog.length && path.length <= prog.length; ) {
    const i = prog[pc]!;
    path.push(pc);
    const jump = (yes: boolean) => (pc += 1 + (yes ? i.jt : i.jf));
    switch (i.code) {
      case 0x20:
        if (i.k === 0) a = nr;
        else if (i.k === 4) a = arch;
        else return { path, unknown: `it reads ${field(i.k)}` };
        pc++;
        break;
      case 0x00: a = i.k; pc++; break;
      case 0x54: a = (a & i.k) >>> 0; pc++; break;
      case 0x15: jump(a >>> 0 === i.k); break;
      case 0x25: jump(a >>> 0 > i.k); break;
      case 0x35: jump(a >>> 0 >= i.k); break;
      case 0x45: jump(((a & i.k) >>> 0) !== 0); break;
      case 0x05: pc += 1 + i.k; break;
      case 0x06: return { path, ret: i.k };
      default: return { path, unknown: `opcode 0x${i.code.toString(16)}` };
    }
  }
  return { path, unknown: 'the program ran off its end' };
}

export function seccompFilter(v: SeccompView, s: Style, width = 78): string[] {
  const prog = decodeProgram(v.program);
  if (prog.length === 0) return [s.dim('  (no filter program)')];
  const calls = v.calls.map((c, n) => ({ ...c, key: String.fromCharCode(97 + n), run: c.filtered === false ? null : run(prog, c.nr, v.arch) }));
  const text = prog.map((i, pc) => describe(i, pc));
  const textW = Math.min(Math.max(...text.map((t) => t.length)), width - 6 - 3 * calls.length);
  const visit = s.unicode ? '•' : '*';
  const ret = s.unicode ? '◀' : '<';
  const lines = [s.dim(`  ${padEnd('#', 3)}${padEnd('instruction (A: the value loaded)', textW)}`) + s.bold(calls.map((c) => `  ${c.key}`).join(''))];
  prog.forEach((insn, pc) => {
    const cells = calls.map((c) => {
      if (!c.run?.path.includes(pc)) return '   ';
      return insn.code === 0x06 ? `  ${s.cyan(s.bold(ret))}` : `  ${s.dim(visit)}`;
    });
    const t = text[pc]!.length > textW ? text[pc]!.slice(0, textW - s.sym.ellipsis.length) + s.sym.ellipsis : text[pc]!;
    lines.push(`  ${padEnd(String(pc), 3)}${padEnd(insn.code === 0x06 ? s.bold(t) : t, textW)}${cells.join('')}`);
  });
  lines.push('');
  for (const c of calls) {
    const room = width - 5 - 'kernel: '.length - 2;
    // The errno's text in parentheses goes first when the line is too long.
    const r = c.result.length > room ? c.result.replace(/ \([^)]*\)/, '') : c.result;
    const seen = r.length > room ? r.slice(0, room - s.sym.ellipsis.length) + s.sym.ellipsis : r;
    let said: string;
    let ok = true;
    if (!c.run) said = 'no filter yet';
    else if (c.run.unknown) said = `not decided by nr and arch alone (${c.run.unknown})`;
    else {
      const act = action(c.run.ret!);
      said = act.name;
      // ALLOW hands the call to the kernel, whose answer may be anything; ERRNO must be that errno.
      ok = act.errno ? c.errno === act.errno : act.name === 'ALLOW';
      if (act.name === 'ALLOW' && c.errno) said += `; the kernel's own checks refused it`;
    }
    lines.push(`  ${s.bold(c.key)}  ${c.label} ${s.dim(`(nr ${c.nr})`)}`);
    lines.push(`     filter: ${s.cyan(said)}  ${ok ? s.green(s.sym.pass) : s.red(`${s.sym.fail} the kernel answered otherwise`)}`);
    lines.push(`     kernel: ${seen}`);
  }
  lines.push(s.dim(`  ${visit} an instruction the call went through; ${ret} the return that decided it`));
  lines.push(s.dim(`  each call's seccomp_data: its nr, and arch ${hex(v.arch)}${ARCHES[v.arch] ? ` (${ARCHES[v.arch]})` : ''}`));
  return lines;
}
