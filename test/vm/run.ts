// `npm run test:vm`: boots real Debian VMs under QEMU and runs nslab in them as a learner on a
// fresh machine would (test/vm/guest.sh), then prints the matrix of lesson results per
// scenario and user, the other assertions, and as its last line "N passed, N failed".
//   npm run test:vm [-- SCENARIO...]      (or NSLAB_VM="SCENARIO..."; default: all)
// A scenario is named in full (bookworm-plain) or by a prefix (bookworm, trixie) or kind
// (plain, busybox, apparmor, provision); `--list` lists them. Needs root, qemu-system-x86,
// qemu-utils, mmdebstrap and e2fsprogs. Images, the npm cache and logs live under
// ${NSLAB_VM_CACHE:-/var/cache/nslab-vm}; every boot's console, results and guest outputs are
// kept in logs/<run>/, which it prints.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { judge, parseLines, renderMarkdown, renderText, SCENARIOS, selectScenarios, type BootResult, type GuestLine, type Scenario } from './matrix.js';

const repo = resolve(import.meta.dirname, '..', '..');
const here = import.meta.dirname;
const cache = process.env.NSLAB_VM_CACHE || '/var/cache/nslab-vm';
const mirror = process.env.NSLAB_VM_MIRROR || 'http://deb.debian.org/debian';
// The lesson-content tests each boot runs in the guest, as vagrant, after its first scenario.
// (A test/lessons-content/ file is an end-to-end run of a lesson with native-sized timeouts: it
// takes ~10 minutes under emulation and times out, so none of those here.)
const LESSON_TESTS = (process.env.NSLAB_VM_TESTS ?? 'test/lessons/loader.test.ts test/lessons/ids.test.ts test/runner/requirements.test.ts').trim();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stamp = () => new Date().toISOString().slice(11, 19);
const log = (msg: string) => console.log(`[vm ${stamp()}] ${msg}`);
const mins = (s: number) => (s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

function die(sentence: string): never {
  console.error(sentence);
  process.exit(2);
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function preflight(): void {
  if (process.geteuid?.() !== 0) die('The VM test builds disk images and boots VMs: run it as root (sudo npm run test:vm).');
  const missing = [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['qemu-img', 'qemu-utils'],
    ['mmdebstrap', 'mmdebstrap'],
    ['mkfs.ext4', 'e2fsprogs'],
    ['debugfs', 'e2fsprogs'],
    ['git', 'git'],
  ].filter(([cmd]) => !have(cmd!));
  if (missing.length) {
    const pkgs = [...new Set(missing.map(([, p]) => p))].join(' ');
    die(`The VM test needs ${missing.map(([c]) => c).join(', ')}: install them with \`apt-get install --no-install-recommends ${pkgs}\` and run it again.`);
  }
}

const sha = (...parts: (string | Buffer)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
};

/** Runs a command to completion with its output appended to a log file; throws when it fails. */
function runLogged(cmd: string, args: string[], logFile: string, opts: { cwd?: string; timeoutMs: number }): Promise<void> {
  return new Promise((done, fail) => {
    const fd = openSync(logFile, 'a');
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done();
      else fail(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}); see ${logFile}`));
    });
  });
}

/** The host's side of the guest's calibration (test/vm/calibrate.sh: `node -e 0` and 200
 * execs of /bin/true): the guest divides its own times by these to scale its timeouts. */
function hostCalibration(): Calibration {
  const r = spawnSync('bash', [join(here, 'calibrate.sh')], { encoding: 'utf8' });
  const m = /CAL_NODE=([\d.]+) CAL_EXEC=([\d.]+)/.exec(r.stdout);
  if (!m) die(`test/vm/calibrate.sh printed no calibration: ${r.stderr.trim() || r.stdout.trim()}`);
  return { node: Number(m[1]), exec: Number(m[2]) };
}
interface Calibration {
  node: number;
  exec: number;
}

// ---------------------------------------------------------------------------------------------
// Cached inputs: the base image per suite, the npm cache per lockfile, busybox-static per suite.

interface Image {
  dir: string;
  built: boolean;
  seconds: number;
}

async function image(suite: string, logDir: string): Promise<Image> {
  const script = readFileSync(join(here, 'image.sh'));
  const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const key = sha(suite, script, process.version, npmVersion, mirror);
  const dir = join(cache, 'images', `${suite}-${key}`);
  if (existsSync(join(dir, 'image.json'))) return { dir, built: false, seconds: 0 };
  // Older images of this suite (another key) only take space.
  mkdirSync(join(cache, 'images'), { recursive: true });
  for (const e of readdirSync(join(cache, 'images'))) if (e.startsWith(`${suite}-`) && e !== `${suite}-${key}`) rmSync(join(cache, 'images', e), { recursive: true, force: true });
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const logFile = join(logDir, `image-${suite}.log`);
  log(`building the ${suite} image (mmdebstrap from ${mirror}; about 2-5 min), log: ${logFile}`);
  const t = Date.now();
  try {
    await runLogged('bash', [join(here, 'image.sh'), suite, tmp], logFile, { timeoutMs: 60 * 60_000 });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  renameSync(tmp, dir);
  const seconds = (Date.now() - t) / 1000;
  log(`${suite} image built in ${mins(seconds)}`);
  return { dir, built: true, seconds };
}

/** The npm cache a registry would have given `npm install` from this lockfile. */
async function npmCache(logDir: string): Promise<string> {
  const lock = readFileSync(join(repo, 'package-lock.json'));
  const dir = join(cache, 'npm', sha(lock, readFileSync(join(repo, 'package.json'))));
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(join(cache, 'npm'), { recursive: true });
  for (const e of readdirSync(join(cache, 'npm'))) if (join(cache, 'npm', e) !== dir) rmSync(join(cache, 'npm', e), { recursive: true, force: true });
  const work = `${dir}.work`;
  rmSync(work, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  copyFileSync(join(repo, 'package.json'), join(work, 'package.json'));
  copyFileSync(join(repo, 'package-lock.json'), join(work, 'package-lock.json'));
  log('filling the npm cache from package-lock.json (npm ci --ignore-scripts)');
  try {
    await runLogged('npm', ['ci', '--cache', dir, '--ignore-scripts', '--no-audit', '--no-fund'], join(logDir, 'npm-cache.log'), { cwd: work, timeoutMs: 20 * 60_000 });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  rmSync(join(dir, '_logs'), { recursive: true, force: true });
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

/** busybox-static's .deb for the suite, fetched on the host through a throwaway apt config. */
async function busyboxDeb(suite: string, logDir: string): Promise<string> {
  const dir = join(cache, 'debs', suite);
  const have = existsSync(dir) ? readdirSync(dir).filter((f) => /^busybox-static_.*\.deb$/.test(f)) : [];
  if (have.length) return join(dir, have[0]!);
  const apt = join(cache, 'debs', `${suite}.apt`);
  rmSync(apt, { recursive: true, force: true });
  for (const d of ['lists/partial', 'archives/partial', 'parts', 'dl']) mkdirSync(join(apt, d), { recursive: true });
  writeFileSync(join(apt, 'sources.list'), `deb ${mirror} ${suite} main\n`);
  const opts = [
    `-oDir::Etc::SourceList=${join(apt, 'sources.list')}`,
    `-oDir::Etc::SourceParts=${join(apt, 'parts')}`,
    `-oDir::State::Lists=${join(apt, 'lists')}`,
    `-oDir::Cache=${apt}`,
    `-oDir::Cache::Archives=${join(apt, 'archives')}`,
    '-oAPT::Sandbox::User=root',
    '-q',
  ];
  const logFile = join(logDir, `busybox-${suite}.log`);
  log(`fetching busybox-static for ${suite} (apt-get download)`);
  try {
    await runLogged('apt-get', [...opts, 'update'], logFile, { timeoutMs: 10 * 60_000 });
    await runLogged('apt-get', [...opts, 'download', 'busybox-static'], logFile, { cwd: join(apt, 'dl'), timeoutMs: 10 * 60_000 });
    const deb = readdirSync(join(apt, 'dl')).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download busybox-static gave no .deb; see ${logFile}`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(apt, 'dl', deb), join(dir, deb));
    return join(dir, deb);
  } finally {
    rmSync(apt, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The project disk: the working tree as a learner's clone would have it, plus this boot's config.

/** The working tree's files (tracked and untracked, not ignored: uncommitted work included),
 * without anything a build makes: no node_modules, dist or native binaries. */
function workingTree(): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr}`);
  return r.stdout
    .split('\0')
    .filter(Boolean)
    .filter((f) => !/^(node_modules|dist)\//.test(f) && !/(^|\/)\.nslab-test-/.test(f))
    .filter((f) => {
      const p = join(repo, f);
      let st;
      try {
        st = statSync(p);
      } catch {
        return false; // deleted in the working tree
      }
      if (!st.isFile()) return false;
      // A compiled program (native/nslab-helper and friends) is the VM's to build.
      const fd = openSync(p, 'r');
      const magic = Buffer.alloc(4);
      readSync(fd, magic, 0, 4, 0);
      closeSync(fd);
      return !magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    });
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A copy of the working tree taken once per run, so every boot tests the same files even
 * while someone keeps editing the checkout. */
function snapshotTree(dir: string): number {
  const files = workingTree();
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(repo, f), join(dir, f));
    if (statSync(join(repo, f)).mode & 0o111) spawnSync('chmod', ['+x', join(dir, f)]);
  }
  return files.length;
}

async function projectDisk(run: string, tree: string, boot: string, scenarios: Scenario[], npm: string, deb: string | undefined, host: Calibration, logDir: string): Promise<string> {
  const stage = join(run, 'stage');
  mkdirSync(stage, { recursive: true });
  if (spawnSync('cp', ['-a', tree, join(stage, 'repo')]).status !== 0) throw new Error(`cannot copy ${tree}`);
  // Hard links: the cache is on the same file system and mkfs only reads it.
  const cp = spawnSync('cp', ['-al', npm, join(stage, 'npm-cache')]);
  if (cp.status !== 0) cpSync(npm, join(stage, 'npm-cache'), { recursive: true });
  rmSync(join(stage, 'npm-cache', '.complete'), { force: true });
  mkdirSync(join(stage, 'debs'));
  if (deb) copyFileSync(deb, join(stage, 'debs', deb.split('/').pop()!));
  mkdirSync(join(stage, 'out'));
  const config = {
    BOOT: boot,
    SCENARIOS: scenarios.map((s) => s.name).join(' '),
    HOST_NODE_SECONDS: host.node.toFixed(4),
    HOST_EXEC_SECONDS: host.exec.toFixed(4),
    LESSON_TESTS,
    HUMAN_VERIFY: process.env.NSLAB_VM_HUMAN_VERIFY ?? '',
  };
  writeFileSync(join(stage, 'config.sh'), Object.entries(config).map(([k, v]) => `${k}=${shq(v)}\n`).join(''));
  writeFileSync(join(stage, 'config.json'), JSON.stringify(config, null, 2));
  const img = join(run, 'project.img');
  await runLogged('mkfs.ext4', ['-q', '-L', 'nslab-vm', '-d', stage, img, '4G'], join(logDir, 'mkfs.log'), { timeoutMs: 10 * 60_000 });
  rmSync(stage, { recursive: true, force: true });
  return img;
}

// ---------------------------------------------------------------------------------------------
// One boot.

const running = new Set<ChildProcess>();
const runDirs = new Set<string>();

function cleanupAll(): void {
  for (const child of running) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const d of runDirs) rmSync(d, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(sig, () => {
    console.log(`\n[vm] ${sig}: stopping the VM and removing its disks`);
    cleanupAll();
    process.exit(130);
  });
process.on('exit', cleanupAll);

interface BootTimes {
  wall: number;
  toGuest?: number;
  steps: { name: string; seconds: number }[];
  factor?: number;
  guestNode?: number;
}

async function boot(name: string, tree: string, scenarios: Scenario[], img: Image, npm: string, deb: string | undefined, host: Calibration, logRoot: string): Promise<{ result: BootResult; times: BootTimes }> {
  const logDir = join(logRoot, name);
  mkdirSync(logDir, { recursive: true });
  const run = join(cache, 'runs', `${process.pid}-${name}`);
  rmSync(run, { recursive: true, force: true });
  mkdirSync(run, { recursive: true });
  runDirs.add(run);
  const started = Date.now();
  const times: BootTimes = { wall: 0, steps: [] };
  const result: BootResult = { boot: name, scenarios, lines: [] };
  try {
    const disk = await projectDisk(run, tree, name, scenarios, npm, deb, host, logDir);
    const overlay = join(run, 'root.qcow2');
    const q = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', join(img.dir, 'base.img'), '-F', 'raw', overlay], { encoding: 'utf8' });
    if (q.status !== 0) throw new Error(`qemu-img create failed: ${q.stderr}`);
    const consoleLog = join(logDir, 'console.log');
    const resultsFile = join(logDir, 'results.jsonl');
    writeFileSync(resultsFile, '');
    const qemu = [
      'qemu-system-x86_64',
      ...['-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', '4096'],
      // No network: a learner's README install works offline from the npm cache. `vagrant up`
      // (provision.sh) installs Debian packages, as a Vagrant box with its NAT network does:
      // QEMU's user-mode NAT, through this host's own resolver and the Debian registry.
      ...(scenarios.some((s) => s.kind === 'provision') ? ['-nic', 'user,model=virtio-net-pci'] : ['-nic', 'none']),
      ...['-display', 'none', '-monitor', 'none', '-no-reboot'],
      ...['-kernel', join(img.dir, 'vmlinuz'), '-initrd', join(img.dir, 'initrd.img')],
      ...['-append', 'root=/dev/vda rw console=ttyS0 panic=10 systemd.show_status=1'],
      ...['-drive', `file=${overlay},format=qcow2,if=virtio`, '-drive', `file=${disk},format=raw,if=virtio`],
      ...['-object', 'rng-random,filename=/dev/urandom,id=rng0', '-device', 'virtio-rng-pci,rng=rng0'],
      ...['-serial', `file:${consoleLog}`, '-serial', `file:${resultsFile}`],
    ];
    // setpriv: qemu dies with this process even when it is SIGKILLed.
    const argv = have('setpriv') ? ['setpriv', '--pdeathsig', 'KILL', ...qemu] : qemu;
    writeFileSync(join(logDir, 'qemu.cmd'), `${argv.map(shq).join(' ')}\n`);
    log(`${name}: booting ${img.dir.split('/').pop()} (scenarios: ${scenarios.map((s) => s.name).join(', ')})`);
    const stderr = openSync(join(logDir, 'qemu.stderr'), 'w');
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', stderr] });
    closeSync(stderr);
    running.add(child);
    let exited: { code: number | null; signal: string | null } | undefined;
    child.on('exit', (code, signal) => (exited = { code, signal }));

    // Before the guest speaks: a boot takes under a minute under TCG here; allow 15 minutes.
    // Then the guest announces each step with its (scaled) timeout, and between steps it is
    // silent for at most a few node starts: allow 120 s times its slowdown, 10 minutes at least.
    let deadline = Date.now() + 900_000;
    let silence = 600_000;
    let seen = 0;
    let done = false;
    let doneAt = 0;
    while (!exited) {
      await sleep(2000);
      const { lines } = parseLines(readFileSync(resultsFile, 'utf8'));
      for (const l of lines.slice(seen)) {
        if (l.t === 'calibration') silence = Math.max(600_000, 120_000 * l.factor);
        deadline = Math.max(deadline, Date.now() + silence);
        onLine(name, l, result, times, started);
        if (l.t === 'step') deadline = Math.max(deadline, Date.now() + (l.timeout + 600) * 1000);
        if (l.t === 'done') {
          done = true;
          doneAt = Date.now();
        }
      }
      seen = lines.length;
      if (done && Date.now() - doneAt > silence) {
        log(`${name}: the guest finished but did not power off; stopping qemu`);
        child.kill('SIGKILL');
      } else if (!done && Date.now() > deadline) {
        result.problem = `killed after its deadline (${mins((Date.now() - started) / 1000)} into the boot)`;
        log(`${name}: ${result.problem}${result.lastStep ? `, during: ${result.lastStep}` : ''}`);
        child.kill('SIGKILL');
      }
      if (exited) break;
    }
    running.delete(child);
    const final = parseLines(readFileSync(resultsFile, 'utf8'));
    for (const l of final.lines.slice(seen)) onLine(name, l, result, times, started);
    result.lines = final.lines;
    if (!result.problem && !final.lines.some((l) => l.t === 'done'))
      result.problem = `qemu exited (${exited?.signal ?? `status ${exited?.code}`}) before the guest finished; see ${consoleLog} and ${join(logDir, 'qemu.stderr')}`;
    // The guest's outputs, read off its disk without mounting it.
    spawnSync('e2fsck', ['-fy', disk], { stdio: 'ignore' });
    const rd = spawnSync('debugfs', ['-R', `rdump /out ${logDir}`, disk], { encoding: 'utf8' });
    if (rd.status !== 0) log(`${name}: could not copy the guest's outputs: ${rd.stderr.trim()}`);
  } catch (e) {
    result.problem = `the boot could not run: ${(e as Error).message}`;
    log(`${name}: ${result.problem}`);
  } finally {
    rmSync(run, { recursive: true, force: true });
    runDirs.delete(run);
  }
  times.wall = (Date.now() - started) / 1000;
  log(`${name}: boot over after ${mins(times.wall)}`);
  return { result, times };
}

function onLine(name: string, l: GuestLine, result: BootResult, times: BootTimes, started: number): void {
  const at = mins((Date.now() - started) / 1000);
  switch (l.t) {
    case 'hello':
      times.toGuest = l.uptime;
      log(`${name} +${at}: guest up (${l.os}, Linux ${l.kernel}), ${l.uptime.toFixed(0)} s after the kernel started`);
      break;
    case 'calibration':
      times.factor = l.factor;
      times.guestNode = l.nodeSeconds;
      log(`${name} +${at}: node -e 0 ${l.nodeSeconds}s here, ${l.hostNodeSeconds}s on the host; 100 execs ${l.execSeconds}s here, ${l.hostExecSeconds}s on the host: guest timeouts x${l.factor}`);
      break;
    case 'step':
      result.lastStep = l.name;
      log(`${name} +${at}: ${l.name} ...`);
      break;
    case 'time':
      times.steps.push({ name: l.name, seconds: l.seconds });
      break;
    case 'assert':
      if (l.name !== 'residue' || !l.ok) log(`${name} +${at}: ${l.ok ? 'ok  ' : 'FAIL'} ${l.scenario}${l.user === '-' ? '' : ` ${l.user}`}: ${l.name}${l.ok ? '' : `: ${l.detail.slice(0, 300)}`}`);
      break;
    case 'lessons': {
      const n = (s: string) => l.lessons.filter((x) => x.status === s).length;
      log(`${name} +${at}: ${l.scenario} ${l.user}: verify ${n('pass')} pass, ${n('fail')} fail, ${n('skip')} skip (exit ${l.verifyRc}, ${l.verifySeconds}s)${l.verifyError ? `: ${l.verifyError.slice(0, 200)}` : ''}`);
      break;
    }
    case 'doctorline':
      log(`${name} +${at}: doctor on ${l.pattern}: ${l.lines.map((x) => `${x.id} ${x.status}`).join(', ') || 'no such line'}`);
      break;
    case 'note':
      log(`${name} +${at}: ${l.scenario}: ${l.text}`);
      break;
    case 'done':
      log(`${name} +${at}: guest done`);
      break;
  }
}

// ---------------------------------------------------------------------------------------------

function lessonIds(): string[] {
  return readdirSync(join(repo, 'lessons'))
    .filter((d) => /^\d\d-/.test(d) && existsSync(join(repo, 'lessons', d, 'lesson.md')))
    .sort();
}

/** Log dirs of older runs beyond the newest few, and run dirs a killed run left. */
function tidy(): void {
  const logs = join(cache, 'logs');
  if (existsSync(logs)) {
    const old = readdirSync(logs).sort().slice(0, -10);
    for (const d of old) rmSync(join(logs, d), { recursive: true, force: true });
  }
  const runs = join(cache, 'runs');
  if (existsSync(runs))
    for (const d of readdirSync(runs)) {
      const pid = Number(d.split('-')[0]);
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = pid !== process.pid;
      } catch {
        /* not running */
      }
      if (!alive) rmSync(join(runs, d), { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(20)} ${s.what}`);
    return;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log('usage: npm run test:vm [-- SCENARIO...]  (or NSLAB_VM="SCENARIO ..."); --list shows the scenarios');
    return;
  }
  const words = args.length ? args : (process.env.NSLAB_VM ?? '').split(/[\s,]+/).filter(Boolean);
  const { selected, unknown } = selectScenarios(words);
  if (unknown.length) die(`No VM scenario is called ${unknown.join(', ')}: \`npm run test:vm -- --list\` lists them.`);
  preflight();

  const wallStart = Date.now();
  mkdirSync(cache, { recursive: true });
  tidy();
  const runId = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const logRoot = join(cache, 'logs', runId);
  mkdirSync(logRoot, { recursive: true });
  log(`scenarios: ${selected.map((s) => s.name).join(', ')}`);
  log(`logs: ${logRoot}`);

  const host = hostCalibration();
  const boots = new Map<string, Scenario[]>();
  for (const s of selected) boots.set(s.boot, [...(boots.get(s.boot) ?? []), s]);

  const results = new Map<string, BootResult>();
  const timings: Record<string, unknown> = { host, images: {}, boots: {} };
  // The tree every boot gets, copied once now.
  const tree = join(cache, 'runs', `${process.pid}-tree`);
  runDirs.add(tree);
  rmSync(tree, { recursive: true, force: true });
  log(`working tree: ${snapshotTree(tree)} files copied (tracked and untracked, no build output)`);
  let npm: string | undefined;
  try {
    npm = await npmCache(logRoot);
  } catch (e) {
    log(`npm cache: ${(e as Error).message}`);
  }
  // Each suite's image and busybox-static .deb are made once, by the first boot that needs them.
  const images = new Map<string, Promise<Image | Error>>();
  const debs = new Map<string, Promise<string | undefined>>();
  const once = <T,>(m: Map<string, Promise<T>>, k: string, make: () => Promise<T>): Promise<T> => {
    if (!m.has(k)) m.set(k, make());
    return m.get(k)!;
  };
  async function job(name: string, scenarios: Scenario[]): Promise<void> {
    const suite = scenarios[0]!.suite;
    const img = await once(images, suite, () =>
      image(suite, logRoot).catch((e: Error) => {
        log(`${suite} image: ${e.message}`);
        return e;
      }),
    );
    if (img instanceof Error || !npm) {
      results.set(name, { boot: name, scenarios, lines: [], problem: img instanceof Error ? `no ${suite} image: ${img.message}` : 'no npm cache' });
      return;
    }
    if (img.built) (timings.images as Record<string, number>)[suite] = img.seconds;
    const deb = scenarios.some((s) => s.kind === 'busybox')
      ? await once(debs, suite, () =>
          busyboxDeb(suite, logRoot).catch((e: Error) => {
            log(`busybox-static for ${suite}: ${e.message}`);
            return undefined;
          }),
        )
      : undefined;
    const { result, times } = await boot(name, tree, scenarios, img, npm, deb, host, logRoot);
    results.set(name, result);
    (timings.boots as Record<string, BootTimes>)[name] = times;
  }
  // A guest keeps about one of its two vCPUs busy, so two VMs at a time use this 2-core machine
  // fully; the longest boot (trixie, three scenarios) starts first.
  const jobs = Math.max(1, Number(process.env.NSLAB_VM_JOBS) || 2);
  const queue = [...boots.entries()].sort((a, b) => b[1].length - a[1].length);
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await job(...next);
    }),
  );
  rmSync(tree, { recursive: true, force: true });
  runDirs.delete(tree);
  const ordered = [...boots.keys()].map((b) => results.get(b)!);

  const ids = lessonIds();
  const j = judge(ordered, ids);
  const total = (Date.now() - wallStart) / 1000;
  timings.totalSeconds = total;
  const title = `nslab VM test, ${runId} (${selected.map((s) => s.name).join(', ')})`;
  const mdText = renderMarkdown(j, ids, title);
  writeFileSync(join(logRoot, 'matrix.md'), mdText);
  writeFileSync(join(logRoot, 'summary.json'), JSON.stringify({ rows: j.rows.map((r) => ({ ...r, cells: Object.fromEntries(r.cells) })), checks: j.checks, notes: j.notes, passed: j.passed, failed: j.failed, timings }, null, 2));

  console.log('');
  console.log(renderText(j, ids));
  console.log('');
  for (const r of j.rows) {
    for (const [id, c] of r.cells) if (!c.ok) console.log(`  ${r.label} ${r.user} ${id}: ${c.cell}${c.reason ? `: ${c.reason.slice(0, 240)}` : ''}`);
    if (!r.agree.ok) console.log(`  ${r.label} ${r.user}: doctor and verify disagree: ${r.agree.detail.slice(0, 400)}`);
    if (!r.residue.ok) console.log(`  ${r.label} ${r.user}: residue: ${r.residue.detail.slice(0, 400)}`);
    for (const n of r.notes) console.log(`  ${r.label} ${r.user}: ${n.slice(0, 400)}`);
  }
  for (const c of j.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.scenario}${c.user === '-' ? '' : ` ${c.user}`}: ${c.name}${c.ok ? '' : `: ${c.detail.slice(0, 400)}`}`);
  for (const n of j.notes) console.log(`note ${n}`);
  console.log('');
  for (const [suite, s] of Object.entries(timings.images as Record<string, number>)) console.log(`time: ${suite} image built in ${mins(s)}`);
  for (const [name, t] of Object.entries(timings.boots as Record<string, BootTimes>)) {
    const steps = t.steps.map((s) => `${s.name} ${mins(s.seconds)}`).join('; ');
    console.log(`time: ${name}: ${mins(t.wall)} in all, guest up after ${t.toGuest?.toFixed(0) ?? '?'} s, x${t.factor ?? '?'} slower than the host; ${steps}`);
  }
  console.log(`time: ${mins(total)} in all`);
  console.log(`logs and matrix.md: ${logRoot}`);
  console.log(`${j.passed} passed, ${j.failed} failed`);
  process.exitCode = j.failed ? 1 : 0;
}

await main();
