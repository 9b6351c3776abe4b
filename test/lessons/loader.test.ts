import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, cpSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLessons, loadLesson, formatLessonError, lessonsRoot, lessonModulePath, describeImportError, type LessonError } from '../../src/lessons/loader.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '../fixtures/lessons');
const good = join(fixtures, 'good');
const broken = join(fixtures, 'broken');

const Good = suite('loader: valid lessons');

Good('loads every lesson with meta, pages and module', async () => {
  const { lessons, errors } = await loadLessons(good);
  assert.equal(errors, [], errors.map((e) => formatLessonError(e)).join('\n'));
  assert.equal(lessons.map((l) => l.meta.id), ['01-hello', '04-pivot-root']);
  const hello = lessons[0];
  assert.equal(hello.meta, {
    id: '01-hello',
    number: 1,
    slug: 'hello',
    title: 'Hello, UTS namespace',
    summary: "A new UTS namespace gets its own hostname; the host keeps its own.",
    minutes: 3,
    requires: ['userns'],
  });
  assert.is(hello.dir, join(good, '01-hello'));
  assert.is(hello.mdPath, join(good, '01-hello', 'lesson.md'));
  assert.is(hello.modulePath, join(good, '01-hello', 'lesson.ts'));
  assert.is(hello.module.experiments[0].id, 'rename');
  assert.is(typeof hello.module.experiments[0].run, 'function');
  assert.equal(lessons[1].meta.requires, ['userns', 'kernel>=5.4']);
});

Good('splits pages on <!-- page --> and places experiments within a page', async () => {
  const { lessons } = await loadLessons(good);
  const pages = lessons[0].pages;
  assert.is(pages.length, 2);
  assert.equal(pages[0].blocks.map((b) => b.kind), ['markdown']);
  assert.match((pages[0].blocks[0] as { text: string }).text, /^# Your own hostname/);
  // A code fence is kept whole in the markdown block.
  assert.match((pages[0].blocks[0] as { text: string }).text, /```\nunshare/);
  assert.equal(pages[1].blocks.map((b) => b.kind), ['markdown', 'experiment', 'markdown']);
  assert.equal(pages[1].blocks[1], { kind: 'experiment', id: 'rename' });
});

Good('a plain JavaScript lesson module is found beside lesson.md', async () => {
  assert.is(lessonModulePath(join(good, '04-pivot-root')), join(good, '04-pivot-root', 'lesson.js'));
  assert.is(lessonModulePath(join(good, '01-hello')), join(good, '01-hello', 'lesson.ts'));
});

Good("lessonsRoot is the package's lessons folder", () => {
  assert.is(lessonsRoot(), resolve(here, '../../lessons'));
});

Good.run();

const Broken = suite('loader: broken lessons');

let result: { lessons: { meta: { id: string } }[]; errors: LessonError[] };
Broken.before(async () => {
  result = await loadLessons(broken);
});

const formatted = () => result.errors.map((e) => formatLessonError(e));
const errorFor = (id: string) => result.errors.filter((e) => e.lessonId === id).map((e) => formatLessonError(e));

Broken('a broken lesson never stops the others from loading', () => {
  assert.equal(result.lessons.map((l) => l.meta.id), ['01-fine']);
  const ids = new Set(result.errors.map((e) => e.lessonId));
  for (const id of ['02-bad-yaml', '03-no-title', '04-unknown-marker', '05-answer-range', '06-throws', '07-bad-sabotage', '08-syntax-error']) {
    assert.ok(ids.has(id), `${id} reported:\n${formatted().join('\n')}`);
  }
});

Broken('bad YAML is reported at its line in lesson.md', () => {
  const [e] = errorFor('02-bad-yaml');
  assert.match(e, /^test\/fixtures\/lessons\/broken\/02-bad-yaml\/lesson\.md:[34]: frontmatter YAML: /);
});

Broken('a missing title names the field', () => {
  assert.equal(errorFor('03-no-title'), ["test/fixtures/lessons/broken/03-no-title/lesson.md:6: frontmatter field 'title' is missing"]);
});

Broken('a marker naming an unknown experiment is reported at the marker line', () => {
  const errs = errorFor('04-unknown-marker');
  assert.is(errs.length, 1, errs.join('\n'));
  assert.match(errs[0], /^test\/fixtures\/lessons\/broken\/04-unknown-marker\/lesson\.md:14: marker names experiment 'lok-around'/);
});

Broken('a prediction answer out of range is reported at the answer line of the module', () => {
  assert.equal(errorFor('05-answer-range'), [
    "test/fixtures/lessons/broken/05-answer-range/lesson.ts:12: experiment 'guess': prediction answer 2 is out of range: it is an index into choices, 0 to 1",
  ]);
});

Broken('a module that throws on import is reported at the throwing line', () => {
  const errs = errorFor('06-throws');
  assert.is(errs.length, 1);
  assert.match(errs[0], /^test\/fixtures\/lessons\/broken\/06-throws\/lesson\.ts:6: importing the lesson module threw: TypeError: /);
});

Broken('sabotage naming a missing check', () => {
  const errs = errorFor('07-bad-sabotage');
  assert.is(errs.length, 1);
  assert.match(errs[0], /lesson\.ts:13: .*sabotage #1 names check "two", which is not a check/);
});

Broken('a syntax error in the module is reported with its line', () => {
  const errs = errorFor('08-syntax-error');
  assert.is(errs.length, 1);
  assert.match(errs[0], /^test\/fixtures\/lessons\/broken\/08-syntax-error\/lesson\.ts:5: syntax error/);
});

Broken('formatLessonError falls back to the lessons folder parent outside the cwd', () => {
  const e: LessonError = { lessonId: '04-pivot-root', file: '/somewhere/else/lessons/04-pivot-root/lesson.md', line: 12, message: 'what is wrong' };
  assert.is(formatLessonError(e, '/home/me'), 'lessons/04-pivot-root/lesson.md:12: what is wrong');
  assert.is(formatLessonError({ ...e, line: 0 }, '/home/me'), 'lessons/04-pivot-root/lesson.md: what is wrong');
  assert.is(formatLessonError(e, '/somewhere'), 'else/lessons/04-pivot-root/lesson.md:12: what is wrong');
});

Broken.run();

const Tmp = suite('loader: validation details');
let tmp: string;
Tmp.before.each(() => {
  tmp = mkdtempSync(join(tmpdir(), 'nslab-loader-'));
});
Tmp.after.each(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const md = (id: string, extra = '', body = '<!-- experiment: look -->\n') =>
  `---\nid: ${id}\ntitle: T\nsummary: S\nminutes: 1\nrequires: []\n${extra}---\n${body}`;
const mod = (experiments: string) => `export default { experiments: ${experiments} };\n`;
const look = `[{ id: 'look', title: 'L', sandbox: { namespaces: ['uts'] }, run: () => ({}), checks: [{ id: 'c', expected: 'e', check: () => ({ pass: true, observed: '', evidence: [] }) }] }]`;

function lesson(id: string, mdText: string, modText: string | null, name = 'lesson.mjs') {
  const dir = join(tmp, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lesson.md'), mdText);
  if (modText !== null) writeFileSync(join(dir, name), modText);
  return dir;
}

Tmp('unknown fields, wrong types and unknown requirements', async () => {
  const dir = lesson('01-x', '---\nid: 01-x\ntitel: T\nsummary: S\nminutes: soon\nrequires: [usrns, kernel>=5.10]\n---\n<!-- experiment: look -->\n', mod(look));
  const { errors } = await loadLesson(dir);
  const msgs = errors.map((e) => `${e.line}: ${e.message}`);
  assert.ok(msgs.some((m) => /^3: unknown frontmatter field 'titel' \(did you mean 'title'\?\)/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^5: 'minutes' must be a positive number/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^6: unknown requirement 'usrns' \(did you mean 'userns'\?\)/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /title' is missing/.test(m)), msgs.join('\n'));
});

Tmp('id must match the folder, folder must be NN-slug', async () => {
  let r = await loadLesson(lesson('02-y', md('02-z'), mod(look)));
  assert.match(r.errors[0].message, /id '02-z' does not match its folder '02-y'/);
  assert.is(r.errors[0].line, 2);
  r = await loadLesson(lesson('Draft_One', md('Draft_One'), mod(look)));
  assert.match(r.errors[0].message, /must be NN-slug/);
});

Tmp('experiment placement: unplaced, placed twice, duplicate ids', async () => {
  const two = `[${look.slice(1, -1)}, ${look.slice(1, -1).replace("'look'", "'other'")}]`;
  let r = await loadLesson(lesson('03-a', md('03-a'), mod(two)));
  assert.ok(r.errors.some((e) => /experiment 'other' is never placed/.test(e.message)), r.errors.map((e) => e.message).join('\n'));
  r = await loadLesson(lesson('04-b', md('04-b', '', '<!-- experiment: look -->\n<!-- page -->\n<!-- experiment: look -->\n'), mod(look)));
  assert.equal(r.errors.map((e) => [e.line, e.message.slice(0, 31)]), [[10, "experiment 'look' is placed twi"]]);
  r = await loadLesson(lesson('05-c', md('05-c'), mod(`[${look.slice(1, -1)}, ${look.slice(1, -1)}]`)));
  assert.ok(r.errors.some((e) => /experiment id 'look' is used twice/.test(e.message)));
});

Tmp('checks: at least one, unique ids; markers inside code fences are text', async () => {
  let r = await loadLesson(lesson('06-d', md('06-d'), mod(look.replace(/checks: \[.*\] \}\]$/, 'checks: [] }]'))));
  assert.ok(r.errors.some((e) => /needs at least one check/.test(e.message)), r.errors.map((e) => e.message).join('\n'));
  const dup = look.replace(/checks: \[(.*)\] \}\]$/, 'checks: [$1, $1] }]');
  r = await loadLesson(lesson('07-e', md('07-e'), mod(dup)));
  assert.ok(r.errors.some((e) => /check id 'c' is used twice/.test(e.message)), r.errors.map((e) => e.message).join('\n'));
  r = await loadLesson(lesson('08-f', md('08-f', '', '```\n<!-- experiment: nope -->\n```\n<!-- experiment: look -->\n'), mod(look)));
  assert.equal(r.errors, []);
  assert.ok(r.lesson);
});

Tmp('a module without a default export, and a missing module', async () => {
  let r = await loadLesson(lesson('09-g', md('09-g'), 'export const experiments = [];\n'));
  assert.match(r.errors[0].message, /no default export/);
  r = await loadLesson(lesson('10-h', md('10-h'), null));
  assert.match(r.errors[0].message, /missing lesson module/);
  assert.ok(r.errors[0].file.endsWith('lesson.ts'));
});

Tmp('two lessons with the same number: the second is reported', async () => {
  lesson('04-one', md('04-one'), mod(look));
  lesson('04-two', md('04-two'), mod(look));
  const { lessons, errors } = await loadLessons(tmp);
  assert.equal(lessons.map((l) => l.meta.id), ['04-one']);
  assert.match(errors[0].message, /lesson number 4 is already used by 04-one/);
});

Tmp('folders that are not lessons are ignored; a missing folder is one error', async () => {
  mkdirSync(join(tmp, 'assets'));
  writeFileSync(join(tmp, 'README.md'), 'hi');
  cpSync(join(good, '01-hello'), join(tmp, '01-hello'), { recursive: true });
  const r = await loadLessons(tmp);
  // the copied lesson's type-only import does not resolve from /tmp, and need not
  assert.equal(r.lessons.map((l) => l.meta.id), ['01-hello'], r.errors.map((e) => formatLessonError(e)).join('\n'));
  const missing = await loadLessons(join(tmp, 'nope'));
  assert.equal(missing.lessons, []);
  assert.is(missing.errors.length, 1);
  assert.match(formatLessonError(missing.errors[0]), /no such lessons folder/);
});

Tmp('lesson.ts without the tsx loader is explained', () => {
  const err = Object.assign(new TypeError('Unknown file extension ".ts"'), { code: 'ERR_UNKNOWN_FILE_EXTENSION' });
  const d = describeImportError(err, '/x/lessons/01-a/lesson.ts');
  assert.match(d.error, /tsx loader/);
  assert.match(d.error, /lesson\.js/);
});

// The build's table of YAML parses (yaml.ts) must say exactly what the yaml package says.
Tmp("the build's YAML table holds every built-in lesson's parses, and they equal the parser's", async () => {
  const { inTable, yamlModule } = await import('../../src/lessons/yaml.js');
  const { parseFrontmatter, parseYamlPart } = await import('../../src/lessons/frontmatter.js');
  const { parseBlock } = await import('../../src/lessons/validate.js');
  const { splitPages } = await import('../../src/lessons/pages.js');
  const y = yamlModule();
  let blocks = 0;
  for (const id of readdirSync(lessonsRoot()).filter((d) => /^\d+-/.test(d))) {
    const md = readFileSync(join(lessonsRoot(), id, 'lesson.md'), 'utf8');
    const lines = md.split(/\r?\n/);
    const yamlText = lines.slice(1, lines.findIndex((l, n) => n > 0 && l.trim() === '---')).join('\n');
    assert.ok(inTable('frontmatter', yamlText), `${id}: frontmatter is in the table (run \`npm run build\`)`);
    const fm = parseFrontmatter(md);
    const fresh = parseYamlPart(y, yamlText);
    assert.equal({ data: fm.data, keyLines: fm.keyLines, errors: fm.errors }, fresh, `${id}: frontmatter`);
    for (const m of splitPages(fm.body, fm.bodyLine).markers) {
      if (!m.block) continue;
      blocks++;
      assert.ok(inTable('block', m.block.text), `${id} ${m.id}: its experiment block is in the table`);
    }
  }
  assert.ok(blocks > 10, `${blocks} experiment blocks`);
  // A text the table has never seen (an edited lesson) is parsed, and parsed right.
  const edited = 'id: 99-new\ntitle: "x: y"\nminutes: 5\n';
  assert.not.ok(inTable('frontmatter', edited));
  assert.equal(parseFrontmatter(`---\n${edited}---\nbody\n`).data, { id: '99-new', title: 'x: y', minutes: 5 });
  assert.equal(parseBlock(y, 'predict: [a, b]'), { data: { predict: ['a', 'b'] } });
});

Tmp.run();
