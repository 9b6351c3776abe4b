// The package version, read without importing anything of ours: `nslab --version` must cost
// little more than starting Node.
import { readFileSync } from 'node:fs';

export function version(): string {
  // src/cli -> ../../package.json; dist/src/cli -> ../../../package.json
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'nslab' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0-unknown';
}
