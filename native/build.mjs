// Builds native/nslab-helper with the system C compiler. Run by `npm install` (prepare) and
// `npm run build`; plain JS so it works before TypeScript is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'nslab-helper.c');
const output = join(here, 'nslab-helper');

const upToDate = existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs;
if (!upToDate) {
  const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean);
  const compiler = candidates.find((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!compiler) {
    console.error(
      'nslab: no C compiler found to build the namespace helper; install one (Debian/Ubuntu: `sudo apt-get install gcc`, Fedora: `sudo dnf install gcc`) and run `npm install` again.',
    );
    process.exit(1);
  }
  const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-o', output, source];
  // Static first: a static helper still runs after a sandbox has pivoted into a busybox rootfs
  // that has no glibc, so experiments can start nested namespaces and reaped decoys there.
  // Without libc.a (no libc6-dev/glibc-static) a dynamic helper does everything else.
  let result = spawnSync(compiler, ['-static', ...flags], { stdio: 'ignore' });
  if (result.status !== 0) result = spawnSync(compiler, flags, { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`nslab: building native/nslab-helper with ${compiler} failed (see the compiler output above).`);
    process.exit(1);
  }
}
