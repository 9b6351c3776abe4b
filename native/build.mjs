// Builds nslab's native programs with the system C compiler: nslab-helper (the namespace
// helper) and nslab-tools (the few programs whose exact behaviour a lesson depends on). Run by
// `npm install` (prepare) and `npm run build`; plain JS so it works before TypeScript is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const programs = ['nslab-helper', 'nslab-tools'];

const stale = programs.filter((name) => {
  const output = join(here, name);
  return !existsSync(output) || statSync(output).mtimeMs < statSync(join(here, `${name}.c`)).mtimeMs;
});
if (stale.length) {
  const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean);
  const compiler = candidates.find((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!compiler) {
    console.error(
      'nslab: no C compiler found to build the namespace helper; install one (Debian/Ubuntu: `sudo apt-get install gcc libc6-dev`, Fedora: `sudo dnf install gcc glibc-static`) and run `npm install` again.',
    );
    process.exit(1);
  }
  for (const name of stale) {
    const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-o', join(here, name), join(here, `${name}.c`)];
    // Static first: a static program still runs after a sandbox has pivoted into a rootfs that
    // has no glibc (busybox), so experiments can start nested namespaces, decoys and the
    // lessons' own tools there. Without libc.a a dynamic build works everywhere but there.
    let result = spawnSync(compiler, ['-static', ...flags], { stdio: 'ignore' });
    if (result.status !== 0) result = spawnSync(compiler, flags, { stdio: 'inherit' });
    if (result.status !== 0) {
      console.error(`nslab: building native/${name} with ${compiler} failed (see the compiler output above).`);
      process.exit(1);
    }
  }
}
