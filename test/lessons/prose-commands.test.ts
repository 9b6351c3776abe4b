// Every `nslab ...` command a lesson's prose tells the learner to type must be one the CLI
// knows. Each mention (in an inline code span or a code block of any lessons/*/lesson.md) is
// checked against the CLI's own table (src/cli/commands.ts: command word, the literal
// subcommands its usage lists, its flags, how many arguments, and that a lesson it names
// exists), and then run: the quick commands that change nothing for real, the others with
// --help, which the parser refuses for an unknown command or option.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, GLOBAL_OPTIONS, findCommand, type CommandSpec, type OptionSpec } from '../../src/cli/commands.js';
import { ROOT, nslab, tempHome } from '../cli/helpers.js';

export interface Mention {
  file: string;
  line: number;
  /** The words after `nslab`, as a learner would type them. */
  argv: string[];
}

const names = new Set(COMMANDS.map((c) => c.name));
// A command ends where the shell (or the sentence around it) would end it.
const CANDIDATE = /(?<![\w./$~-])nslab((?:[ \t]+[^\s#;&|()`'",]+)+)/g;
const placeholder = (t: string): boolean => /^[<[]|^[A-Z][A-Z_]*$|\$/.test(t);

/** Whether words after `nslab` are meant as a command, not prose that names nslab ("nslab does"). */
function commandLike(argv: string[], wholeSpan: boolean): boolean {
  const first = argv.find((t) => !t.startsWith('-'));
  if (!first) return argv.length > 0;
  if (names.has(first) || wholeSpan) return true;
  const i = argv.indexOf(first);
  const next = argv[i + 1];
  return /^[a-z][a-z-]*$/.test(first) && next !== undefined && (/^[\d-]/.test(next) || placeholder(next));
}

function scan(segment: string, wholeSpan: boolean, file: string, lineOf: (index: number) => number, out: Mention[]): void {
  for (const m of segment.matchAll(CANDIDATE)) {
    const argv = m[1]!.trim().split(/\s+/);
    if (commandLike(argv, wholeSpan)) out.push({ file, line: lineOf(m.index!), argv });
  }
}

/** Every nslab invocation named in a lesson.md: inline code spans in prose, and code blocks. */
export function mentions(md: string, file: string): Mention[] {
  const out: Mention[] = [];
  const lines = md.split('\n');
  let fence: string | null = null;
  let para: { start: number; text: string[] } | null = null;
  const flush = () => {
    if (!para) return;
    const text = para.text.join('\n');
    const start = para.start;
    for (const s of text.matchAll(/`([^`]+)`/g)) {
      const span = s[1]!.replace(/\n/g, ' ');
      const at = s.index! + 1;
      const line = start + text.slice(0, at).split('\n').length - 1;
      scan(span, /^(?:(?:sudo|npx)\s+)*nslab\s/.test(span), file, () => line, out);
    }
    para = null;
  };
  lines.forEach((raw, i) => {
    const n = i + 1;
    const open = raw.match(/^\s*(`{3,}|~{3,})/);
    if (fence) {
      if (open && open[1]!.startsWith(fence)) fence = null;
      else scan(raw, false, file, () => n, out);
      return;
    }
    if (open) {
      flush();
      fence = open[1]!;
      return;
    }
    if (!raw.trim()) return flush();
    if (!para) para = { start: n, text: [] };
    para.text.push(raw);
  });
  flush();
  return out;
}

function lessonIds(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^\d+-[a-z0-9-]+$/.test(e.name))
    .map((e) => e.name);
}

const resolves = (arg: string, ids: string[]): boolean =>
  ids.some((id) => {
    const [num, ...slug] = id.split('-');
    return arg === id || arg === slug.join('-') || (/^\d+$/.test(arg) && Number(arg) === Number(num));
  });

/** The literal words a command's usage offers as its first argument: `rootfs [info|build|clean]`. */
function subcommands(spec: CommandSpec): string[] | null {
  const m = spec.usage.slice(`nslab ${spec.name}`.length).match(/^\s*[[<]([a-z]+(?:\|[a-z]+)+)[\]>]/);
  return m ? m[1]!.split('|') : null;
}

function option(spec: CommandSpec, token: string): [string, OptionSpec | undefined] {
  const all = { ...spec.options, ...GLOBAL_OPTIONS };
  if (token.startsWith('--')) {
    const name = token.slice(2).split('=')[0]!;
    return [name, all[name]];
  }
  const entry = Object.entries(all).find(([, o]) => o.short === token.slice(1));
  return [token, entry?.[1]];
}

/** Why `nslab ARGV` is not a command this CLI takes, or null when it is. */
export function problem(argv: string[], ids: string[]): string | null {
  let i = 0;
  // Global options may come before the command word: `nslab --lessons DIR verify 13`.
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const t = argv[i]!;
    const o = t.startsWith('--') ? GLOBAL_OPTIONS[t.slice(2).split('=')[0]!] : Object.values(GLOBAL_OPTIONS).find((g) => g.short === t.slice(1));
    if (!o) return `unknown option ${argv[i]}`;
    i += o.type === 'string' && !argv[i]!.includes('=') ? 2 : 1;
  }
  const word = argv[i];
  if (word === undefined) return null;
  const spec = findCommand(word);
  if (!spec) return `unknown command '${word}'`;
  const rest = argv.slice(i + 1);
  const positional: string[] = [];
  for (let j = 0; j < rest.length; j++) {
    const t = rest[j]!;
    if (t.startsWith('-') && t.length > 1 && !/^-\d/.test(t)) {
      const [name, o] = option(spec, t);
      if (!o) return `unknown option ${name.startsWith('-') ? name : `--${name}`} for nslab ${word}`;
      if (o.type === 'string' && !t.includes('=')) j++;
    } else positional.push(t);
  }
  // A bare `nslab shell` in a sentence names the command; its arguments come from the context.
  if (!rest.length) return null;
  const [min, max] = spec.args;
  if (positional.length < min) return `nslab ${word} needs ${min} argument(s): ${spec.usage}`;
  if (positional.length > max) return `too many arguments for nslab ${word}: ${spec.usage}`;
  const subs = subcommands(spec);
  if (subs && positional[0] !== undefined && !placeholder(positional[0]) && !subs.includes(positional[0])) {
    return `unknown ${word} command '${positional[0]}' (the usage offers ${subs.join(', ')})`;
  }
  if (/<lesson>|\[lesson(\.\.\.)?\]/.test(spec.usage)) {
    for (const p of positional) if (!placeholder(p) && !resolves(p, ids)) return `there is no lesson '${p}'`;
  }
  return null;
}

/** Quick, prompt-free and harmless in a temp HOME: run for real. Everything else gets --help. */
function runsForReal(argv: string[]): boolean {
  const [word, sub] = argv;
  if (!names.has(word!)) return false;
  if (word === 'rootfs') return sub === undefined || sub === 'info';
  return ['list', 'progress', 'hint', 'check'].includes(word!) && argv.length > 1;
}

const USAGE = /unknown (command|option)|unknown \w+ command|needs a|Too many arguments|There is no lesson|Did you mean|Usage:/;

const LESSONS = join(ROOT, 'lessons');
const ids = lessonIds(LESSONS);
const all = ids.flatMap((id) => {
  const file = join(LESSONS, id, 'lesson.md');
  return mentions(readFileSync(file, 'utf8'), `lessons/${id}/lesson.md`);
});

const test = suite('commands named in lesson prose');
const home = tempHome();
test.after(() => home.cleanup());

test('the extractor finds commands in spans and blocks, and not prose that names nslab', () => {
  const md = [
    'Run `nslab rootfs status` first. Then nslab makes the same calls (`nslab shell`).',
    '',
    '```',
    'ROOTFS=~/.cache/nslab/rootfs    # where nslab keeps it (nslab rootfs status)',
    'mkdir x && chroot x  # (nslab does the chroot/chdir itself: a shell cannot)',
    '/bin/nslab-tools ping -c1 127.0.0.1; npx nslab strat 1',
    '```',
  ].join('\n');
  const found = mentions(md, 'x.md').map((m) => `${m.line}: ${m.argv.join(' ')}`);
  assert.equal(found, ['1: rootfs status', '1: shell', '4: rootfs status', '6: strat 1']);
});

test('the checker refuses what the CLI would refuse', () => {
  assert.match(problem(['rootfs', 'status'], ids) ?? '', "unknown rootfs command 'status'");
  assert.match(problem(['strat', '1'], ids) ?? '', "unknown command 'strat'");
  assert.match(problem(['start', '1', '--bogus'], ids) ?? '', 'unknown option --bogus');
  assert.match(problem(['shell', '99'], ids) ?? '', "no lesson '99'");
  assert.match(problem(['list', 'extra'], ids) ?? '', 'too many arguments');
  for (const ok of [['rootfs', 'info'], ['rootfs', 'build', '--busybox'], ['check', '5', '--pid', 'PID'], ['shell'], ['--lessons', 'DIR', 'verify', '13-my-lesson']]) {
    assert.is(problem(ok, [...ids, '13-my-lesson']), null, ok.join(' '));
  }
});

test('the CLI itself refuses a wrong subcommand, so running a mention is a real test', () => {
  const r = nslab(['rootfs', 'status'], { env: home.env });
  assert.is(r.code, 2);
  assert.match(r.stderr, USAGE);
});

test('the lessons name commands at all (the extractor sees them)', () => {
  assert.ok(all.length >= ids.length, `only ${all.length} nslab commands found in ${ids.length} lessons`);
  assert.ok(all.some((m) => m.argv[0] === 'shell' && m.argv.length === 2), 'the `nslab shell N` lines');
});

test('every command a lesson names is in the CLI table, with real flags, arguments and lessons', () => {
  const bad = all.map((m) => ({ m, why: problem(m.argv, ids) })).filter((x) => x.why);
  assert.equal(bad.map(({ m, why }) => `${m.file}:${m.line}: nslab ${m.argv.join(' ')}: ${why}`), []);
});

test('every command a lesson names runs without a usage error', () => {
  const seen = new Set<string>();
  const failures: string[] = [];
  for (const m of all) {
    const argv = m.argv;
    const key = argv.join(' ');
    const word = argv.find((t) => names.has(t));
    if (seen.has(key) || !word) continue;
    seen.add(key);
    const real = runsForReal(argv) && !argv.some(placeholder);
    const r = nslab(real ? argv : [...argv, '--help'], { env: home.env, timeout: 60_000 });
    const spec = findCommand(word)!;
    const ok = real ? r.code !== 2 && !USAGE.test(r.stderr) : r.code === 0 && r.stdout.includes(`Usage: ${spec.usage}`);
    if (!ok) failures.push(`${m.file}:${m.line}: nslab ${key}${real ? '' : ' --help'}: exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  }
  assert.ok(seen.size > 0);
  assert.equal(failures, []);
});

test.run();
