// Every YAML parse a lesson needs goes through here. The yaml package is about 70 files and its
// parser warms up slowly: loading and parsing nslab's own lessons was a third of `nslab list`.
// The build parses the package's lessons once (`node dist/src/lessons/yaml.js`) and keeps the
// results by a hash of the text parsed; a text not in that table (an instructor's lesson, an
// edited one) is parsed as usual. A hash can't go stale, so the table needs no invalidation.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from './paths.js';

type Yaml = typeof import('yaml');
export type YamlKind = 'frontmatter' | 'block';

let yaml: Yaml | undefined;
/** The yaml package, loaded on first use only. */
export function yamlModule(): Yaml {
  return (yaml ??= createRequire(import.meta.url)('yaml') as Yaml);
}

const TABLE = () => join(packageRoot(), 'dist', 'lessons', 'yaml-parses.json');
let table: Map<string, unknown> | undefined;
let recording: Map<string, unknown> | undefined;

function prebuilt(): Map<string, unknown> {
  if (table) return table;
  try {
    table = new Map(Object.entries(JSON.parse(readFileSync(TABLE(), 'utf8')) as Record<string, unknown>));
  } catch {
    table = new Map();
  }
  return table;
}

const keyOf = (kind: YamlKind, text: string) => `${kind}:${createHash('sha1').update(text).digest('hex')}`;

/** Whether the build's table holds text's parse. */
export function inTable(kind: YamlKind, text: string): boolean {
  return prebuilt().has(keyOf(kind, text));
}

/** parse(yaml, text)'s result, from the build's table when it holds this text. parse must be a
 * pure function of the text whose result survives JSON (the table is JSON). */
export function parsedYaml<T>(kind: YamlKind, text: string, parse: (y: Yaml, text: string) => T): T {
  const key = keyOf(kind, text);
  const known = prebuilt().get(key);
  if (known !== undefined) return structuredClone(known) as T;
  const result = parse(yamlModule(), text);
  recording?.set(key, result);
  return result;
}

/** Build step: load every lesson of the package with the table off and keep each parse made. */
async function buildTable(): Promise<string> {
  table = new Map();
  recording = new Map();
  await (await import('./loader.js')).loadLessons();
  writeFileSync(TABLE(), `${JSON.stringify(Object.fromEntries(recording))}\n`);
  return `${TABLE()} (${recording.size} parses)`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildTable().catch((err: Error) => {
    console.warn(`nslab build: no table of the lessons' YAML (${err.message}); listing lessons is a little slower.`);
  });
}
