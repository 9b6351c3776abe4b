// Lesson 11: seccomp (a classic-BPF filter written in TypeScript that makes unshare fail with
// EPERM, as Docker's default profile does), what TSYNC is for in a threaded process, the
// no_new_privs rule, and how to tell whether AppArmor is active and what confinement looks like.
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync, readlinkSync } from 'node:fs';
import type { ExperimentSpec, LessonModule } from '../../src/lessons/types.js';
import type { SandboxContext } from '../../src/sandbox/types.js';

type Sys = SandboxContext['sys'];

const EPERM = 1;

/**
 * The smallest honest filter: check the architecture (a syscall number means nothing without
 * it), then return EPERM for one syscall and allow everything else. What libseccomp generates
 * for `seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 0)`.
 */
function denyFilter(sys: Sys, syscall: 'unshare' | 'setns'): { program: Buffer; listing: string[] } {
  const nr = sys.sysno(syscall);
  const arch = sys.auditArch();
  // What `seccomp-tools disasm` would print for the program below.
  const listing = [
    `ld  [4]                        ; seccomp_data.arch`,
    `jeq #0x${arch.toString(16)}, 1, 0         ; this machine's AUDIT_ARCH: skip the next line`,
    `ret #SECCOMP_RET_KILL_PROCESS   ; any other ABI: kill`,
    `ld  [0]                        ; seccomp_data.nr`,
    `jeq #${nr}, 0, 1                  ; ${syscall}?`,
    `ret #SECCOMP_RET_ERRNO|EPERM`,
    `ret #SECCOMP_RET_ALLOW`,
  ];
  const program = sys.filterProgram([
    sys.bpfStmt(sys.BPF_LD | sys.BPF_W | sys.BPF_ABS, sys.SECCOMP_DATA_ARCH),
    sys.bpfJump(sys.BPF_JMP | sys.BPF_JEQ | sys.BPF_K, arch, 1, 0),
    sys.bpfStmt(sys.BPF_RET | sys.BPF_K, sys.SECCOMP_RET_KILL_PROCESS),
    sys.bpfStmt(sys.BPF_LD | sys.BPF_W | sys.BPF_ABS, sys.SECCOMP_DATA_NR),
    sys.bpfJump(sys.BPF_JMP | sys.BPF_JEQ | sys.BPF_K, nr, 0, 1),
    sys.bpfStmt(sys.BPF_RET | sys.BPF_K, sys.SECCOMP_RET_ERRNO | EPERM),
    sys.bpfStmt(sys.BPF_RET | sys.BPF_K, sys.SECCOMP_RET_ALLOW),
  ]);
  return { program, listing };
}

interface ThreadSeccomp {
  tid: number;
  comm: string;
  seccomp: string;
  filters: string;
  nnp: string;
}

function threadsSeccomp(ctx: SandboxContext): ThreadSeccomp[] {
  const { proc } = ctx;
  return proc.listThreads('self').map((tid) => {
    const st = proc.readTaskStatus('self', tid);
    let comm = '?';
    try {
      comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {
      /* gone */
    }
    return { tid, comm, seccomp: st.line('Seccomp').replace(/\s+/g, ' '), filters: st.line('Seccomp_filters').replace(/\s+/g, ' '), nnp: st.line('NoNewPrivs').replace(/\s+/g, ' ') };
  });
}

const tline = (t: ThreadSeccomp): string => `task ${t.tid} (${t.comm}): ${t.seccomp}, ${t.filters}, ${t.nnp}`;

/** Where a rootfs keeps its programs: the PATH a child shell searches after the pivot. */
const ROOTFS_PATH = '/bin:/usr/bin:/sbin:/usr/sbin';

/** Run a snippet with the rootfs's own sh (its grep and unshare found on ROOTFS_PATH), started
 * from Node after the filter is in place, and collect its output. */
function sh(ctx: SandboxContext, script: string): Promise<{ code: number | null; out: string }> {
  const shell = ctx.bin('sh');
  return new Promise((resolve) => {
    const c = spawn(shell, ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: ROOTFS_PATH } });
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    c.on('close', (code) => (clearTimeout(t), resolve({ code, out: out.trim() })));
    c.on('error', (e) => (clearTimeout(t), resolve({ code: null, out: e.message })));
  });
}

// ---------------------------------------------------------------------------------------------
// Experiment 1: a filter that makes unshare fail with EPERM.

interface BlockArgs {
  /** Filter setns instead of unshare. */
  wrongSyscall?: boolean;
  /** Load no filter at all. */
  noFilter?: boolean;
}

interface BlockObs {
  listing: string[];
  before: string;
  nnpTrace: string;
  seccompTrace: string;
  afterMain: string;
  afterPool: string;
  status: { seccomp: string; filters: string; nnp: string };
  threads: ThreadSeccomp[];
  child: { code: number | null; out: string };
}

const blockUnshare: ExperimentSpec<BlockObs, BlockArgs> = {
  id: 'block-unshare',
  title: 'a seccomp filter in TypeScript: unshare returns EPERM',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  commands: [
    'grep -E "^(NoNewPrivs|Seccomp)" /proc/self/status',
    'docker run --rm alpine unshare -u true                       # unshare: Operation not permitted',
    'docker run --rm --security-opt seccomp=unconfined --cap-add SYS_ADMIN alpine unshare -u true   # works',
    'scmp_sys_resolver unshare                                    # the number the filter compares',
  ],
  predict: {
    question: 'After the filter is loaded with SECCOMP_FILTER_FLAG_TSYNC, the sandbox starts a shell that runs `unshare -u true`. What happens?',
    choices: ['It works: the filter was loaded by Node, not by the shell', 'unshare: Operation not permitted: filters are inherited across fork and execve', 'The shell is killed with SIGSYS'],
    answer: 1,
    why: 'A seccomp filter is attached to the task and copied to every child at fork, and execve keeps it. It can never be removed, only stacked on. The filter returns SECCOMP_RET_ERRNO|EPERM for unshare, so the child sees an ordinary EPERM, the same message Docker\'s default profile produces.',
  },
  async run(ctx, args = {}) {
    const { sys, proc } = ctx;
    await fsp.readFile('/proc/self/status'); // start the libuv threadpool: the threads exist now
    const before = sys.unshare(sys.CLONE_NEWUTS).trace;
    const { program, listing } = denyFilter(sys, args.wrongSyscall ? 'setns' : 'unshare');
    const nnpTrace = sys.setNoNewPrivs().trace;
    let seccompTrace = '(no filter loaded)';
    if (!args.noFilter) {
      ctx.note('load the filter on every thread (TSYNC)');
      seccompTrace = sys.seccomp(sys.SECCOMP_SET_MODE_FILTER, sys.SECCOMP_FILTER_FLAG_TSYNC, program).trace;
    }
    const afterMain = sys.unshare(sys.CLONE_NEWUTS).trace;
    const afterPool = (await sys.unshareAsync(sys.CLONE_NEWUTS)).trace;
    const st = proc.readStatus('self');
    const status = { seccomp: st.line('Seccomp'), filters: st.line('Seccomp_filters'), nnp: st.line('NoNewPrivs') };
    const threads = threadsSeccomp(ctx);
    ctx.note('a child: sh -c "grep Seccomp /proc/self/status; unshare -u true"');
    const child = await sh(ctx, 'grep -E "^(Seccomp|NoNewPrivs)" /proc/self/status; unshare -u true && echo "unshare worked"');
    return { listing, before, nnpTrace, seccompTrace, afterMain, afterPool, status, threads, child };
  },
  checks: [
    {
      id: 'unshare-eperm',
      expected: 'before the filter unshare(CLONE_NEWUTS) returns 0; after it, EPERM on the main thread and on the threadpool',
      check(o) {
        const pass = /= 0$/.test(o.before) && /EPERM/.test(o.afterMain) && /EPERM/.test(o.afterPool);
        return {
          pass,
          observed: `before: ${o.before.split(' = ')[1]}; after: ${o.afterMain.split(' = ')[1]} (main), ${o.afterPool.split(' = ')[1]}`,
          evidence: [o.before, ...o.listing.map((l) => `  ${l}`), o.seccompTrace, o.afterMain, o.afterPool],
          hint: pass
            ? undefined
            : !/= -1/.test(o.seccompTrace) && o.seccompTrace.startsWith('seccomp')
              ? `a filter was loaded (${o.seccompTrace}) but unshare still returned ${o.afterMain.split(' = ')[1]}: the filter compares seccomp_data.nr with another syscall (${o.listing.find((l) => l.startsWith('jeq #') && !l.includes('ARCH'))?.trim()}), not unshare's number (${o.listing.length ? 'see the listing' : ''})`
              : `no filter is in place (${o.seccompTrace}), so nothing stands between unshare and the kernel's own checks, which the sandbox's root passes`,
        };
      },
    },
    {
      id: 'status-shows-filter',
      expected: '/proc/PID/status shows NoNewPrivs: 1, Seccomp: 2 (filter mode) and Seccomp_filters: 1, on every thread',
      check(o) {
        const okLine = (t: { seccomp: string; filters: string; nnp: string }) => /\b2$/.test(t.seccomp) && /\b1$/.test(t.filters) && /\b1$/.test(t.nnp);
        const bad = o.threads.filter((t) => !okLine(t));
        const pass = okLine({ seccomp: o.status.seccomp, filters: o.status.filters, nnp: o.status.nnp }) && bad.length === 0;
        return {
          pass,
          observed: `${o.status.seccomp.replace(/\s+/g, ' ')}, ${o.status.filters.replace(/\s+/g, ' ')}; ${o.threads.length - bad.length} of ${o.threads.length} threads filtered`,
          evidence: [o.status.nnp, o.status.seccomp, o.status.filters, ...o.threads.slice(0, 8).map(tline)],
          hint: pass
            ? undefined
            : /\b0$/.test(o.status.seccomp)
              ? `Seccomp: 0 means no filter: ${o.seccompTrace}`
              : `${bad.length} threads are not in filter mode: ${bad.slice(0, 2).map(tline).join('; ')}`,
        };
      },
    },
    {
      id: 'children-inherit',
      expected: 'a child shell shows Seccomp: 2 and its `unshare -u true` fails: Operation not permitted',
      check(o) {
        const pass = /Seccomp:\s+2/.test(o.child.out) && /Operation not permitted/.test(o.child.out) && o.child.code !== 0;
        return {
          pass,
          observed: `exit ${o.child.code}: ${o.child.out.split('\n').pop()}`,
          evidence: o.child.out.split('\n'),
          hint: pass
            ? undefined
            : /unshare worked/.test(o.child.out)
              ? `the child's unshare worked (${o.child.out.split('\n').find((l) => l.startsWith('Seccomp:'))}): the filter it inherited ${/Seccomp:\s+2/.test(o.child.out) ? 'does not match unshare' : 'does not exist'}`
              : `exit ${o.child.code}: ${o.child.out}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'the filter matches setns instead of unshare', args: { wrongSyscall: true }, fails: ['unshare-eperm', 'children-inherit'] },
    { what: 'no filter loaded (no_new_privs only)', args: { noFilter: true }, fails: ['unshare-eperm', 'status-shows-filter', 'children-inherit'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 2: TSYNC.

interface TsyncArgs {
  tsyncFirst?: boolean;
  noTsyncSecond?: boolean;
}

interface TsyncObs {
  mainTid: number;
  firstTrace: string;
  threadsAfterFirst: ThreadSeccomp[];
  mainAfterFirst: string;
  poolAfterFirst: string;
  secondTrace: string;
  threadsAfterSecond: ThreadSeccomp[];
  poolAfterSecond: string;
}

const tsync: ExperimentSpec<TsyncObs, TsyncArgs> = {
  id: 'tsync',
  title: 'without TSYNC, a filter covers one thread of a threaded process',
  sandbox: { namespaces: ['user', 'mnt', 'pid'] },
  commands: [
    'for t in /proc/$PID/task/*; do echo "$t $(grep ^Seccomp: $t/status)"; done',
    '# runc and crun load the filter in a single-threaded process right before execve; Go programs that',
    '# filter themselves must pass SECCOMP_FILTER_FLAG_TSYNC',
  ],
  predict: {
    question: 'Node loads a filter blocking unshare with flags = 0 (no TSYNC), from its main thread. Then it calls unshare on a libuv threadpool thread. What happens?',
    choices: ['EPERM: the filter belongs to the process', 'It succeeds: the filter was attached to the main thread only', 'The whole process is killed'],
    answer: 1,
    why: "Seccomp filters, like capabilities and no_new_privs, belong to a task, and in Linux every thread is a task. seccomp() attaches to the calling thread (and to children it creates later). Threads that already exist keep what they had, unless SECCOMP_FILTER_FLAG_TSYNC asks the kernel to copy the caller's filter to all of them.",
  },
  async run(ctx, args = {}) {
    const { sys } = ctx;
    await fsp.readFile('/proc/self/status');
    // The main thread's id as this /proc numbers it (the sandbox may see the host's /proc, where
    // gettid()'s PID-namespace number would not match).
    const mainTid = Number(readlinkSync('/proc/self'));
    const { program } = denyFilter(sys, 'unshare');
    sys.setNoNewPrivs();
    ctx.note(args.tsyncFirst ? 'first filter, with TSYNC' : 'first filter, flags 0: the main thread only');
    const firstTrace = sys.seccomp(sys.SECCOMP_SET_MODE_FILTER, args.tsyncFirst ? sys.SECCOMP_FILTER_FLAG_TSYNC : 0, program).trace;
    const threadsAfterFirst = threadsSeccomp(ctx);
    const mainAfterFirst = sys.unshare(sys.CLONE_NEWUTS).trace;
    const poolAfterFirst = (await sys.unshareAsync(sys.CLONE_NEWUTS)).trace;
    ctx.note(args.noTsyncSecond ? 'second filter, flags 0 again' : 'second filter, with SECCOMP_FILTER_FLAG_TSYNC');
    const secondTrace = sys.seccomp(sys.SECCOMP_SET_MODE_FILTER, args.noTsyncSecond ? 0 : sys.SECCOMP_FILTER_FLAG_TSYNC, program).trace;
    const threadsAfterSecond = threadsSeccomp(ctx);
    const poolAfterSecond = (await sys.unshareAsync(sys.CLONE_NEWUTS)).trace;
    return { mainTid, firstTrace, threadsAfterFirst, mainAfterFirst, poolAfterFirst, secondTrace, threadsAfterSecond, poolAfterSecond };
  },
  checks: [
    {
      id: 'main-thread-only',
      expected: 'after seccomp() without TSYNC, the main thread shows Seccomp: 2 and every other thread Seccomp: 0',
      check(o) {
        const main = o.threadsAfterFirst.find((t) => t.tid === o.mainTid);
        const others = o.threadsAfterFirst.filter((t) => t.tid !== o.mainTid);
        const filteredOthers = others.filter((t) => /\b2$/.test(t.seccomp));
        const pass = !!main && /\b2$/.test(main.seccomp) && others.length > 0 && filteredOthers.length === 0;
        return {
          pass,
          observed: `main ${main?.seccomp ?? '?'}; ${filteredOthers.length} of ${others.length} other threads filtered`,
          evidence: [o.firstTrace, ...o.threadsAfterFirst.slice(0, 8).map(tline)],
          hint: pass
            ? undefined
            : filteredOthers.length
              ? `${filteredOthers.length} other threads already have the filter: it was loaded with ${o.firstTrace.includes('TSYNC') ? 'SECCOMP_FILTER_FLAG_TSYNC' : 'some flag'} (${o.firstTrace})`
              : `the main thread is ${main?.seccomp ?? 'missing'}`,
        };
      },
    },
    {
      id: 'threadpool-bypass',
      expected: 'meanwhile unshare on the main thread is EPERM, but the same call on a threadpool thread succeeds',
      check(o) {
        const pass = /EPERM/.test(o.mainAfterFirst) && /= 0 \[threadpool\]$/.test(o.poolAfterFirst);
        return {
          pass,
          observed: `main: ${o.mainAfterFirst.split(' = ')[1]}; pool: ${o.poolAfterFirst.split(' = ')[1]}`,
          evidence: [o.firstTrace, o.mainAfterFirst, o.poolAfterFirst],
          hint: pass
            ? undefined
            : /EPERM/.test(o.poolAfterFirst)
              ? `the pool thread was filtered too: the first filter went to every thread (${o.firstTrace})`
              : `main ${o.mainAfterFirst}; pool ${o.poolAfterFirst}`,
        };
      },
    },
    {
      id: 'tsync-covers-all',
      expected: 'after a filter with TSYNC, every thread shows Seccomp: 2 and the threadpool\'s unshare is EPERM too',
      check(o) {
        const unfiltered = o.threadsAfterSecond.filter((t) => !/\b2$/.test(t.seccomp));
        const pass = unfiltered.length === 0 && /EPERM/.test(o.poolAfterSecond);
        return {
          pass,
          observed: `${o.threadsAfterSecond.length - unfiltered.length} of ${o.threadsAfterSecond.length} threads filtered; pool: ${o.poolAfterSecond.split(' = ')[1]}`,
          evidence: [o.secondTrace, ...o.threadsAfterSecond.slice(0, 8).map(tline), o.poolAfterSecond],
          hint: pass
            ? undefined
            : o.secondTrace.includes('TSYNC')
              ? `TSYNC was asked for (${o.secondTrace}) but ${unfiltered.length} threads are unfiltered`
              : `the second filter was loaded without TSYNC too (${o.secondTrace}), so ${unfiltered.length} threads still run unfiltered, e.g. ${unfiltered[0] ? tline(unfiltered[0]) : '?'}`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'TSYNC on the first filter already', args: { tsyncFirst: true }, fails: ['main-thread-only', 'threadpool-bypass'] },
    { what: 'no TSYNC on the second filter either', args: { noTsyncSecond: true }, fails: ['tsync-covers-all'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 3: no_new_privs, the price of an unprivileged filter.

interface NnpArgs {
  keepSysAdmin?: boolean;
  skipNnp?: boolean;
}

interface NnpObs {
  capsetTrace: string;
  capEff: string;
  nnpBefore: string;
  firstTrace: string;
  nnpTrace: string | null;
  nnpLine: string;
  secondTrace: string;
  child: { code: number | null; out: string };
}

const nnp: ExperimentSpec<NnpObs, NnpArgs> = {
  id: 'no-new-privs',
  title: 'no_new_privs: the price of a filter without CAP_SYS_ADMIN',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  commands: [
    'setpriv --no-new-privs grep NoNewPrivs /proc/self/status     # 1, and it stays 1 in every child',
    'docker run --security-opt no-new-privileges ...               # the same bit, set by runc',
  ],
  predict: {
    question: 'A thread without CAP_SYS_ADMIN and without no_new_privs calls seccomp(SECCOMP_SET_MODE_FILTER, ...). What does the kernel answer?',
    choices: ['0: filters only restrict, so anyone may add one', 'EACCES', 'EPERM'],
    answer: 1,
    why: "A filter can make a setuid-root program fail in ways it never expected (a failed setuid() it does not check, say) and so turn it against its owner. The kernel therefore accepts a filter only from a task that holds CAP_SYS_ADMIN in its user namespace, or that has promised, with no_new_privs, never to gain privileges through execve again. Otherwise the answer is EACCES.",
  },
  async run(ctx, args = {}) {
    const { sys, proc } = ctx;
    let capsetTrace = '(CAP_SYS_ADMIN kept)';
    if (!args.keepSysAdmin) {
      const SYS_ADMIN = 1n << BigInt(sys.CAP_SYS_ADMIN);
      const now = sys.capget();
      ctx.note('drop CAP_SYS_ADMIN from this thread: the sandbox\'s root would otherwise be allowed anyway');
      capsetTrace = sys.capset({ effective: now.effective & ~SYS_ADMIN, permitted: now.permitted & ~SYS_ADMIN, inheritable: 0n }).trace;
    }
    const capEff = proc.readStatus('thread-self').line('CapEff');
    const nnpBefore = sys.getNoNewPrivs().trace;
    const { program } = denyFilter(sys, 'unshare');
    const firstTrace = sys.seccomp(sys.SECCOMP_SET_MODE_FILTER, sys.SECCOMP_FILTER_FLAG_TSYNC, program).trace;
    const nnpTrace = args.skipNnp ? null : sys.setNoNewPrivs().trace;
    const nnpLine = proc.readStatus('thread-self').line('NoNewPrivs');
    const secondTrace = sys.seccomp(sys.SECCOMP_SET_MODE_FILTER, sys.SECCOMP_FILTER_FLAG_TSYNC, program).trace;
    const child = await sh(ctx, 'grep -E "^(NoNewPrivs|Seccomp)" /proc/self/status');
    return { capsetTrace, capEff, nnpBefore, firstTrace, nnpTrace, nnpLine, secondTrace, child };
  },
  checks: [
    {
      id: 'eacces-without-nnp',
      expected: 'without CAP_SYS_ADMIN and without no_new_privs, seccomp() fails with EACCES',
      check(o) {
        const pass = /= -1 EACCES/.test(o.firstTrace);
        return {
          pass,
          observed: o.firstTrace.split(' = ')[1] ?? o.firstTrace,
          evidence: [o.capsetTrace, o.capEff.replace(/\t/g, ' '), o.nnpBefore, o.firstTrace],
          hint: pass
            ? undefined
            : /= 0/.test(o.firstTrace)
              ? `the filter was accepted: the thread still held CAP_SYS_ADMIN in its user namespace (${o.capEff.replace(/\t/g, ' ')}, ${o.capsetTrace})`
              : `expected EACCES: ${o.firstTrace}`,
        };
      },
    },
    {
      id: 'nnp-set-and-inherited',
      expected: 'PR_SET_NO_NEW_PRIVS shows as NoNewPrivs: 1, and a child started afterwards has it too',
      check(o) {
        const pass = /\b1$/.test(o.nnpLine) && /NoNewPrivs:\s+1/.test(o.child.out);
        return {
          pass,
          observed: `${o.nnpLine.replace(/\s+/g, ' ')}; child: ${o.child.out.split('\n').find((l) => l.startsWith('NoNewPrivs'))?.replace(/\s+/g, ' ') ?? '?'}`,
          evidence: [o.nnpTrace ?? '(prctl(PR_SET_NO_NEW_PRIVS) never called)', o.nnpLine, ...o.child.out.split('\n').map((l) => `child: ${l}`)],
          hint: pass ? undefined : o.nnpTrace ? `NoNewPrivs reads ${o.nnpLine}` : 'nothing set no_new_privs: the prctl was skipped, so the bit is 0 here and in every child',
        };
      },
    },
    {
      id: 'filter-accepted-with-nnp',
      expected: 'with no_new_privs set, the same seccomp() call returns 0',
      check(o) {
        const pass = /= 0$/.test(o.secondTrace);
        return {
          pass,
          observed: o.secondTrace.split(' = ')[1] ?? o.secondTrace,
          evidence: [o.nnpTrace ?? '(no PR_SET_NO_NEW_PRIVS)', o.nnpLine, o.secondTrace],
          hint: pass ? undefined : `${o.secondTrace.split(' = ')[1]}: ${o.nnpTrace ? 'no_new_privs was set, yet' : 'no_new_privs is still 0 and CAP_SYS_ADMIN is gone, so'} the kernel refused the filter`,
        };
      },
    },
  ],
  sabotage: [
    { what: 'keep CAP_SYS_ADMIN', args: { keepSysAdmin: true }, fails: ['eacces-without-nnp'] },
    { what: 'never set no_new_privs', args: { skipNnp: true }, fails: ['nnp-set-and-inherited', 'filter-accepted-with-nnp'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Experiment 4: AppArmor: is it active, and what does confinement look like?

interface AaArgs {
  /** Read attr/exec (the label for the next execve, empty unless set) instead of current. */
  attr?: 'exec';
}

interface Probe {
  path: string;
  value: string | null;
  error: string | null;
}

interface AaObs {
  enabled: Probe;
  lsm: Probe;
  self: Probe;
  legacy: Probe;
  child: { code: number | null; out: string };
}

function probe(path: string): Probe {
  try {
    return { path, value: readFileSync(path, 'utf8').replace(/\0/g, '').trim(), error: null };
  } catch (e) {
    return { path, value: null, error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}
const shown = (p: Probe): string => `${p.path}: ${p.value ?? p.error}`;
const LABEL = /^(unconfined|\S+ \((enforce|complain|kill|unconfined|prompt)\))$/;

const apparmor: ExperimentSpec<AaObs, AaArgs> = {
  id: 'apparmor-label',
  // Debian and this CI machine run no AppArmor: the skip says how that was told, and the
  // seccomp experiments still carry the lesson.
  optional: true,
  requires: ['host:cat'],
  title: 'AppArmor: is it active, and which profile confines this process?',
  sandbox: { namespaces: ['user', 'mnt', 'pid'] },
  commands: [
    'cat /sys/module/apparmor/parameters/enabled      # Y when AppArmor is active',
    'cat /sys/kernel/security/lsm                     # every active LSM, e.g. lockdown,capability,landlock,yama,apparmor',
    'cat /proc/self/attr/apparmor/current             # unconfined, or "docker-default (enforce)" in a container',
    'aa-status                                        # loaded profiles (root)',
    'docker run --rm alpine cat /proc/self/attr/current',
  ],
  predict: {
    question: 'Inside a Docker container on an Ubuntu host, what does `cat /proc/self/attr/current` print?',
    choices: ['unconfined', 'docker-default (enforce)', 'nothing: containers have no LSM label'],
    answer: 1,
    why: 'Docker asks runc to exec the container\'s first process under its docker-default profile, and an AppArmor label is inherited across fork and exec like a uid. The file shows the label and the mode: enforce denies and logs, complain only logs.',
  },
  async run(ctx, args = {}) {
    const attr = args.attr ?? 'current';
    const enabled = probe('/sys/module/apparmor/parameters/enabled');
    const lsm = probe('/sys/kernel/security/lsm');
    const self = probe(`/proc/self/attr/apparmor/${attr}`);
    const legacy = probe(`/proc/self/attr/${attr}`);
    const active = enabled.value === 'Y';
    if (!active) {
      const parts = [
        existsSync('/sys/module/apparmor') ? `/sys/module/apparmor/parameters/enabled says ${enabled.value ?? enabled.error}` : 'the kernel has no AppArmor module loaded (/sys/module/apparmor does not exist)',
        lsm.value !== null ? `active LSMs: ${lsm.value}` : `/sys/kernel/security/lsm unreadable (${lsm.error}: securityfs not mounted here)`,
        `/proc/self/attr/apparmor/current: ${self.value ?? self.error}`,
        `/proc/self/attr/current: ${legacy.value ?? legacy.error}`,
      ];
      ctx.skip(`AppArmor is not active on this machine, so there is no confinement to show: ${parts.join('; ')}`);
    }
    const child = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = spawn(ctx.hostBin('cat'), [`/proc/self/attr/apparmor/${attr}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      c.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      c.on('close', (code) => resolve({ code, out: out.replace(/\0/g, '').trim() }));
      c.on('error', (e) => resolve({ code: null, out: e.message }));
    });
    return { enabled, lsm, self, legacy, child };
  },
  checks: [
    {
      id: 'apparmor-label-of-self',
      expected: 'AppArmor is active (enabled = Y) and this process has a label: "unconfined" or "PROFILE (MODE)"',
      check(o) {
        const label = o.self.value ?? o.legacy.value ?? '';
        const pass = o.enabled.value === 'Y' && LABEL.test(label);
        return {
          pass,
          observed: `enabled ${o.enabled.value ?? o.enabled.error}; label "${label}"`,
          evidence: [shown(o.enabled), shown(o.lsm), shown(o.self), shown(o.legacy)],
          hint: pass
            ? undefined
            : label === ''
              ? `${o.self.path} is empty: that file is not the current label (attr/exec holds the label for the next execve, empty unless someone set one)`
              : `"${label}" is not an AppArmor label`,
        };
      },
    },
    {
      id: 'label-inherited',
      expected: 'a child (cat) reads the same label for itself: labels follow fork and execve unless a profile attaches to the new binary',
      check(o) {
        const label = o.self.value ?? '';
        const pass = LABEL.test(o.child.out) && (o.child.out === label || label === 'unconfined');
        return {
          pass,
          observed: `sandbox "${label}", child "${o.child.out}"`,
          evidence: [shown(o.self), `child cat ${o.self.path.replace('self', 'self')}: ${o.child.out}`],
          hint: pass ? undefined : o.child.out === '' ? 'the child printed an empty label: it read attr/exec, not attr/current' : `the child's label "${o.child.out}" differs from "${label}"`,
        };
      },
    },
  ],
  sabotage: [{ what: 'read attr/exec instead of attr/current', args: { attr: 'exec' }, fails: ['apparmor-label-of-self', 'label-inherited'] }],
};

export default { experiments: [blockUnshare, tsync, nnp, apparmor] } satisfies LessonModule;
