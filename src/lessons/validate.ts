// Validation of a lesson's frontmatter and module. Each problem becomes one message with the
// line it is about; nothing here throws, so one broken lesson never hides the others.
import type { LessonMeta, LessonModule, Requirement } from './types.js';
import { DIAGRAM_KINDS } from './types.js';
import type { Marker } from './pages.js';
import type { SourceLocator } from './locate.js';
import { distance } from './ids.js';
import { parsedYaml } from './yaml.js';

const BLOCK_KEYS = ['predict', 'commands'];

/** The words of an experiment given in lesson.md's ```experiment block (see pages.ts): merged
 * into a copy of the module's experiment, never both in one place. Problems point at lesson.md. */
function mergeBlock(e: Record<string, unknown>, m: Marker, problems: Problem[]): Record<string, unknown> {
  const b = m.block!;
  const add = (message: string) => problems.push({ file: 'md', line: b.line, message: `experiment '${m.id}': ${message}` });
  const parsed = parsedYaml('block', b.text, parseBlock);
  if ('error' in parsed) {
    problems.push({ file: 'md', line: b.line + (parsed.at ? parsed.at - 1 : 0), message: `experiment '${m.id}': the \`\`\`experiment block is not valid YAML: ${parsed.error}` });
    return e;
  }
  const data = parsed.data;
  if (data === null || data === undefined) return e;
  if (!isObj(data)) {
    add(`the \`\`\`experiment block must be a YAML mapping with ${BLOCK_KEYS.join(' and/or ')}`);
    return e;
  }
  const out = { ...e };
  for (const [k, v] of Object.entries(data)) {
    if (!BLOCK_KEYS.includes(k)) add(`unknown key '${k}' in the \`\`\`experiment block; known: ${BLOCK_KEYS.join(', ')}`);
    else if (e[k] !== undefined) add(`'${k}' is given both here and in the lesson module: keep one`);
    else out[k] = v;
  }
  return out;
}

/** A block's data, or its first error line and where in the block it is. */
export function parseBlock(y: typeof import('yaml'), text: string): { data: unknown } | { error: string; at?: number } {
  try {
    return { data: y.parse(text) ?? null };
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0]!, at: (err as { linePos?: { line: number }[] }).linePos?.[0]?.line };
  }
}

export interface Problem {
  file: 'md' | 'module';
  line: number;
  message: string;
}

const FIXED_REQUIREMENTS = ['userns', 'root', 'uid-range', 'cgroup2', 'cgroup', 'seccomp', 'rootfs'] as const;
const NS_KINDS = ['user', 'mnt', 'pid', 'uts', 'ipc', 'net', 'cgroup'];
const FRONTMATTER_KEYS = ['id', 'title', 'summary', 'minutes', 'requires'];

export function isRequirement(value: unknown): value is Requirement {
  return typeof value === 'string' && ((FIXED_REQUIREMENTS as readonly string[]).includes(value) || /^kernel>=\d+\.\d+$/.test(value) || /^(tool|host):[\w.+-]+$/.test(value) || /^runtime:[\w.+-]+(\|[\w.+-]+)*$/.test(value));
}

function requirementProblem(value: unknown): string {
  const known = `${FIXED_REQUIREMENTS.join(', ')}, kernel>=X.Y, tool:PROGRAM, host:PROGRAM or runtime:NAME[|NAME]`;
  if (typeof value !== 'string') return `requires: ${JSON.stringify(value)} is not a string; known: ${known}`;
  const close = FIXED_REQUIREMENTS.find((r) => distance(value, r) <= 2);
  return `unknown requirement '${value}'${close ? ` (did you mean '${close}'?)` : ''}; known: ${known}`;
}

export function validateFrontmatter(
  data: Record<string, unknown>,
  keyLines: Record<string, number>,
  folder: { id: string; number: number; slug: string },
  endLine: number,
): { meta?: LessonMeta; problems: Problem[] } {
  const problems: Problem[] = [];
  const at = (key: string) => keyLines[key] ?? endLine;
  const add = (key: string, message: string) => problems.push({ file: 'md', line: at(key), message });

  for (const key of Object.keys(data)) {
    if (FRONTMATTER_KEYS.includes(key)) continue;
    const close = FRONTMATTER_KEYS.find((k) => distance(key, k) <= 2);
    add(key, `unknown frontmatter field '${key}'${close ? ` (did you mean '${close}'?)` : ''}`);
  }
  const str = (key: string, allowEmpty = false): string | undefined => {
    const v = data[key];
    if (v === undefined || v === null) {
      add(key, `frontmatter field '${key}' is missing`);
      return undefined;
    }
    if (typeof v !== 'string' || (!allowEmpty && v.trim() === '')) {
      add(key, `frontmatter field '${key}' must be a non-empty string, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  };
  const id = str('id');
  if (id !== undefined && id !== folder.id) add('id', `id '${id}' does not match its folder '${folder.id}': they must be the same`);
  const title = str('title');
  const summary = str('summary');
  let minutes: number | undefined;
  if (data.minutes === undefined) add('minutes', "frontmatter field 'minutes' is missing");
  else if (typeof data.minutes !== 'number' || !Number.isFinite(data.minutes) || data.minutes <= 0) {
    add('minutes', `'minutes' must be a positive number, got ${JSON.stringify(data.minutes)}`);
  } else minutes = data.minutes;
  let requires: Requirement[] = [];
  if (data.requires !== undefined && data.requires !== null) {
    if (!Array.isArray(data.requires)) add('requires', `'requires' must be a list, e.g. [userns] or [], got ${JSON.stringify(data.requires)}`);
    else {
      for (const r of data.requires) if (!isRequirement(r)) add('requires', requirementProblem(r));
      requires = data.requires.filter(isRequirement);
    }
  }
  if (problems.length || id === undefined || title === undefined || summary === undefined || minutes === undefined) return { problems };
  return { meta: { id, number: folder.number, slug: folder.slug, title, summary, minutes, requires }, problems };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** Checks the module's shape against the contract in types.ts and the markers in lesson.md. */
export function validateModule(mod: unknown, markers: Marker[], src: SourceLocator | undefined, mdLastLine: number): { module?: LessonModule; problems: Problem[] } {
  const problems: Problem[] = [];
  const line = (...steps: ({ id: string } | { key: string })[]) => (src ? src.line(steps) : 1);
  const add = (l: number, message: string) => problems.push({ file: 'module', line: l, message });

  const def = isObj(mod) ? (mod as Record<string, unknown>).default : undefined;
  if (!isObj(def)) {
    add(1, 'the lesson module has no default export: write `export default { experiments: [ ... ] } satisfies LessonModule`');
    return { problems };
  }
  if (!Array.isArray(def.experiments) || def.experiments.length === 0) {
    add(line({ key: 'experiments' }), "the default export needs 'experiments': a non-empty list of experiments");
    return { problems };
  }
  const blocks = new Map(markers.filter((m) => m.block).map((m) => [m.id, m]));
  const experiments = def.experiments.map((e: unknown) => (isObj(e) && isStr(e.id) && blocks.has(e.id) ? mergeBlock(e, blocks.get(e.id)!, problems) : e));

  const seen = new Map<string, number>();
  experiments.forEach((e: unknown, i) => {
    const name = isObj(e) && isStr(e.id) ? `experiment '${e.id}'` : `experiment #${i + 1}`;
    if (!isObj(e)) return add(line({ key: 'experiments' }), `${name} is not an object`);
    if (!isStr(e.id)) return add(line({ key: 'experiments' }), `${name} has no 'id' (a non-empty string)`);
    const eid = e.id;
    const here = (...more: ({ id: string } | { key: string })[]) => line({ id: eid }, ...more);
    if (seen.has(eid)) add(here(), `experiment id '${eid}' is used twice: experiment ids must be unique`);
    seen.set(eid, i);
    if (!isStr(e.title)) add(here({ key: 'title' }), `${name} needs a 'title' (a non-empty string)`);
    if (typeof e.run !== 'function') add(here({ key: 'run' }), `${name} needs 'run': the function that runs inside the sandbox`);
    if (e.outside !== undefined && typeof e.outside !== 'function') add(here({ key: 'outside' }), `${name}: 'outside' must be a function`);
    if (!isObj(e.sandbox) || !Array.isArray(e.sandbox.namespaces)) {
      add(here({ key: 'sandbox' }), `${name} needs 'sandbox: { namespaces: [...] }' (kinds: ${NS_KINDS.join(', ')})`);
    } else {
      for (const k of e.sandbox.namespaces) {
        if (!NS_KINDS.includes(k as string)) add(here({ key: 'namespaces' }), `${name}: unknown namespace kind ${JSON.stringify(k)}; known: ${NS_KINDS.join(', ')}`);
      }
    }
    if (e.requires !== undefined) {
      if (!Array.isArray(e.requires)) add(here({ key: 'requires' }), `${name}: 'requires' must be a list`);
      else for (const r of e.requires) if (!isRequirement(r)) add(here({ key: 'requires' }), `${name}: ${requirementProblem(r)}`);
    }
    if (e.optional !== undefined && typeof e.optional !== 'boolean') add(here({ key: 'optional' }), `${name}: 'optional' must be true or false`);
    if (e.commands !== undefined && (!Array.isArray(e.commands) || !e.commands.every((c) => typeof c === 'string'))) {
      add(here({ key: 'commands' }), `${name}: 'commands' must be a list of strings`);
    }

    if (e.predict !== undefined) {
      const p = e.predict;
      const pl = (k?: string) => here({ key: 'predict' }, ...(k ? [{ key: k }] : []));
      if (!isObj(p)) add(pl(), `${name}: 'predict' must be an object { question, choices, answer, why }`);
      else {
        if (!isStr(p.question)) add(pl('question'), `${name}: the prediction needs a 'question'`);
        if (!Array.isArray(p.choices) || p.choices.length < 2 || !p.choices.every(isStr)) {
          add(pl('choices'), `${name}: the prediction needs 'choices': at least two non-empty strings`);
        } else if (typeof p.answer !== 'number' || !Number.isInteger(p.answer) || p.answer < 0 || p.answer >= p.choices.length) {
          add(pl('answer'), `${name}: prediction answer ${JSON.stringify(p.answer)} is out of range: it is an index into choices, 0 to ${p.choices.length - 1}`);
        }
        if (!isStr(p.why)) add(pl('why'), `${name}: the prediction needs 'why': the reason, shown after the run`);
      }
    }

    const checkIds = new Set<string>();
    if (!Array.isArray(e.checks) || e.checks.length === 0) {
      add(here({ key: 'checks' }), `${name} needs at least one check`);
    } else {
      e.checks.forEach((c: unknown, j) => {
        const cl = (k?: string) => here({ key: 'checks' }, ...(isObj(c) && isStr(c.id) ? [{ id: c.id }] : []), ...(k ? [{ key: k }] : []));
        if (!isObj(c) || !isStr(c.id)) return add(cl(), `${name}: check #${j + 1} has no 'id'`);
        if (checkIds.has(c.id)) add(cl(), `${name}: check id '${c.id}' is used twice: check ids must be unique`);
        checkIds.add(c.id);
        if (!isStr(c.expected)) add(cl('expected'), `${name}: check '${c.id}' needs 'expected': what should be true, in one line`);
        if (typeof c.check !== 'function') add(cl('check'), `${name}: check '${c.id}' needs 'check': a function (obs, outside) => { pass, observed, evidence, hint }`);
      });
    }

    if (e.diagrams !== undefined) {
      if (!Array.isArray(e.diagrams)) add(here({ key: 'diagrams' }), `${name}: 'diagrams' must be a list`);
      else
        for (const d of e.diagrams) {
          if (!isObj(d) || !DIAGRAM_KINDS.includes(d.kind as string)) {
            add(here({ key: 'diagrams' }), `${name}: unknown diagram ${JSON.stringify(isObj(d) ? d.kind : d)}; known: ${DIAGRAM_KINDS.join(', ')}`);
          } else if (typeof d.from !== 'function') add(here({ key: 'diagrams' }, { key: 'from' }), `${name}: diagram '${d.kind}' needs 'from': (obs) => data`);
        }
    }

    if (e.sabotage !== undefined) {
      if (!Array.isArray(e.sabotage)) add(here({ key: 'sabotage' }), `${name}: 'sabotage' must be a list of { args, fails, what }`);
      else
        e.sabotage.forEach((s: unknown, j) => {
          const sl = (k?: string) => here({ key: 'sabotage' }, ...(k ? [{ key: k }] : []));
          if (!isObj(s)) return add(sl(), `${name}: sabotage #${j + 1} is not an object`);
          if (!isStr(s.what)) add(sl('what'), `${name}: sabotage #${j + 1} needs 'what': the wrong setup it makes, in words`);
          if (!Array.isArray(s.fails) || s.fails.length === 0) add(sl('fails'), `${name}: sabotage #${j + 1} needs 'fails': the ids of the checks it must make fail`);
          else
            for (const f of s.fails) {
              if (typeof f !== 'string' || !checkIds.has(f)) {
                add(sl('fails'), `${name}: sabotage #${j + 1} names check ${JSON.stringify(f)}, which is not a check of this experiment (checks: ${[...checkIds].join(', ') || 'none'})`);
              }
            }
        });
    }
  });

  if (def.exercises !== undefined) validateExercises(def.exercises, line, add);

  // Every experiment placed exactly once in lesson.md, and every marker names one.
  const placed = new Map<string, Marker>();
  for (const m of markers) {
    if (!seen.has(m.id)) {
      const close = [...seen.keys()].find((k) => distance(k, m.id) <= 2);
      problems.push({
        file: 'md',
        line: m.line,
        message: `marker names experiment '${m.id}', which the module does not declare${close ? ` (did you mean '${close}'?)` : ''}; experiments: ${[...seen.keys()].join(', ')}`,
      });
    } else if (placed.has(m.id)) {
      problems.push({ file: 'md', line: m.line, message: `experiment '${m.id}' is placed twice (first on line ${placed.get(m.id)!.line}): place each experiment once` });
    } else placed.set(m.id, m);
  }
  for (const id of seen.keys()) {
    if (!placed.has(id)) {
      problems.push({ file: 'md', line: mdLastLine, message: `experiment '${id}' is never placed: add a line <!-- experiment: ${id} --> where it should run` });
    }
  }
  return problems.length ? { problems } : { module: { ...def, experiments } as unknown as LessonModule, problems };
}

type LineOf = (...steps: ({ id: string } | { key: string })[]) => number;

/** Exercises (`nslab shell` / `nslab check`): each needs a task, hints, checks and a solution
 * the self-test can type; near-misses name checks of their own exercise. */
function validateExercises(exercises: unknown, line: LineOf, add: (l: number, message: string) => void): void {
  if (!Array.isArray(exercises)) return add(line({ key: 'exercises' }), "'exercises' must be a list of { id, title, task, hints, checks, solution }");
  const ids = new Set<string>();
  exercises.forEach((x: unknown, i) => {
    if (!isObj(x) || !isStr(x.id)) return add(line({ key: 'exercises' }), `exercise #${i + 1} has no 'id' (a non-empty string)`);
    const xid = x.id;
    const name = `exercise '${xid}'`;
    const here = (...more: ({ id: string } | { key: string })[]) => line({ key: 'exercises' }, { id: xid }, ...more);
    if (ids.has(xid)) add(here(), `exercise id '${xid}' is used twice: exercise ids must be unique`);
    ids.add(xid);
    if (!isStr(x.title)) add(here({ key: 'title' }), `${name} needs a 'title'`);
    if (!isStr(x.task)) add(here({ key: 'task' }), `${name} needs a 'task': what the learner should make, shown in the shell's banner`);
    if (!Array.isArray(x.hints) || !x.hints.every(isStr)) add(here({ key: 'hints' }), `${name}: 'hints' must be a list of strings`);
    if (x.namespaces !== undefined && (!Array.isArray(x.namespaces) || !x.namespaces.every((k) => NS_KINDS.includes(k as string))))
      add(here({ key: 'namespaces' }), `${name}: 'namespaces' must list kinds from ${NS_KINDS.join(', ')}`);
    if (!Array.isArray(x.solution) || x.solution.length === 0 || !x.solution.every(isStr))
      add(here({ key: 'solution' }), `${name} needs 'solution': the shell lines that make a passing state (the self-test types them)`);
    const checkIds = new Set<string>();
    if (!Array.isArray(x.checks) || x.checks.length === 0) add(here({ key: 'checks' }), `${name} needs at least one check`);
    else
      x.checks.forEach((c: unknown, j) => {
        if (!isObj(c) || !isStr(c.id)) return add(here({ key: 'checks' }), `${name}: check #${j + 1} has no 'id'`);
        if (checkIds.has(c.id)) add(here({ key: 'checks' }), `${name}: check id '${c.id}' is used twice`);
        checkIds.add(c.id);
        if (!isStr(c.expected)) add(here({ key: 'checks' }), `${name}: check '${c.id}' needs 'expected'`);
        if (typeof c.check !== 'function') add(here({ key: 'checks' }), `${name}: check '${c.id}' needs 'check': a function (process, scene) => { pass, observed, evidence, hint }`);
      });
    if (x.nearMisses !== undefined) {
      if (!Array.isArray(x.nearMisses)) add(here({ key: 'nearMisses' }), `${name}: 'nearMisses' must be a list of { what, commands, fails }`);
      else
        x.nearMisses.forEach((m: unknown, j) => {
          const at = here({ key: 'nearMisses' });
          if (!isObj(m)) return add(at, `${name}: near-miss #${j + 1} is not an object`);
          if (!isStr(m.what)) add(at, `${name}: near-miss #${j + 1} needs 'what'`);
          if (!Array.isArray(m.commands) || !m.commands.every(isStr)) add(at, `${name}: near-miss #${j + 1} needs 'commands': shell lines`);
          if (!Array.isArray(m.fails) || m.fails.length === 0) add(at, `${name}: near-miss #${j + 1} needs 'fails': the checks it must fail`);
          else for (const f of m.fails) if (typeof f !== 'string' || !checkIds.has(f)) add(at, `${name}: near-miss #${j + 1} names check ${JSON.stringify(f)}, which is not a check of this exercise (checks: ${[...checkIds].join(', ')})`);
        });
    }
  });
}
