// Lesson 11: seccomp (a classic-BPF filter written in TypeScript that makes unshare fail with
// EPERM, as Docker's default profile does), what TSYNC is for in a threaded process, the
// no_new_privs rule, and how to tell whether AppArmor is active and what confinement looks like.
import { existsSync, readFileSync } from 'node:fs';
import type { LessonModule, SandboxContext } from '../../src/kit/index.js';
import { capsetWithout, errnoIs, experiment, mainTid, parseTraceResult, startThreadpool, statusLines, threadLines, threads } from '../../src/kit/index.js';

type Sys = SandboxContext['sys'];

const EPERM = 1;

const BPF_JGE = 0x30;
const X32_SYSCALL_BIT = 0x40000000;

/** Kill any x32 call, as libseccomp does: else x32's unshare (272 | bit 30) walks past `jeq #272`. */
function x32Guard(sys: Sys): [Buffer, string][] {
  const { BPF_JMP, BPF_K, BPF_RET } = sys;
  return [
    [sys.bpfJump(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1), `jge #0x40000000, 0, 1          ; an x32 call (bit 30 set)?`],
    [sys.bpfStmt(BPF_RET | BPF_K, sys.SECCOMP_RET_KILL_PROCESS), `ret #SECCOMP_RET_KILL_PROCESS   ; x32: kill`],
  ];
}

/**
 * The smallest honest filter: check the architecture (a syscall number means nothing without
 * it) and, on x86_64, the x32 bit, then return EPERM for one syscall and allow everything else.
 * What libseccomp generates for `seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 0)`.
 */
function denyFilter(sys: Sys, syscall: 'unshare' | 'setns'): { program: Buffer; listing: string[] } {
  const [nr, arch] = [sys.sysno(syscall), sys.auditArch()];
  const { BPF_LD, BPF_W, BPF_ABS, BPF_JMP, BPF_JEQ, BPF_K, BPF_RET } = sys;
  // Each instruction beside the line `seccomp-tools disasm` would print for it.
  const code: [Buffer, string][] = [
    [sys.bpfStmt(BPF_LD | BPF_W | BPF_ABS, sys.SECCOMP_DATA_ARCH), `ld  [4]                        ; seccomp_data.arch`],
    [sys.bpfJump(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0), `jeq #0x${arch.toString(16)}, 1, 0         ; this machine's AUDIT_ARCH: skip the next line`],
    [sys.bpfStmt(BPF_RET | BPF_K, sys.SECCOMP_RET_KILL_PROCESS), `ret #SECCOMP_RET_KILL_PROCESS   ; any other ABI: kill`],
    [sys.bpfStmt(BPF_LD | BPF_W | BPF_ABS, sys.SECCOMP_DATA_NR), `ld  [0]                        ; seccomp_data.nr`],
    // x32 calls pass the arch check above as AUDIT_ARCH_X86_64, numbered nr | 0x40000000 (seccomp(2)).
    ...(arch === sys.AUDIT_ARCH_X86_64 ? x32Guard(sys) : []),
    [sys.bpfJump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1), `jeq #${nr}, 0, 1                  ; ${syscall}?`],
    [sys.bpfStmt(BPF_RET | BPF_K, sys.SECCOMP_RET_ERRNO | EPERM), `ret #SECCOMP_RET_ERRNO|EPERM`],
    [sys.bpfStmt(BPF_RET | BPF_K, sys.SECCOMP_RET_ALLOW), `ret #SECCOMP_RET_ALLOW`],
  ];
  return { program: sys.filterProgram(code.map(([insn]) => insn)), listing: code.map(([, line]) => line) };
}

/** Each thread's seccomp state, from /proc/self/task/TID/status: filters belong to a task. */
function threadsSeccomp(ctx: SandboxContext) {
  return threads(ctx).map((t) => {
    const [seccomp, filters, nnp] = threadLines(ctx, t.tid, 'Seccomp', 'Seccomp_filters', 'NoNewPrivs');
    return { ...t, seccomp, filters, nnp };
  });
}
type ThreadSeccomp = ReturnType<typeof threadsSeccomp>[number];

const tline = (t: ThreadSeccomp): string => `task ${t.tid} (${t.comm}): ${t.seccomp}, ${t.filters}, ${t.nnp}`;

/** Run a snippet with the rootfs's own sh (its grep and unshare found on ctx.binPath), started
 * from Node after the filter is in place, and collect its output. */
async function sh(ctx: SandboxContext, script: string): Promise<{ code: number | null; out: string }> {
  const r = await ctx.spawn(ctx.bin('sh'), ['-c', script], { env: { PATH: ctx.binPath }, timeoutMs: 5000 });
  return { code: r.code, out: `${r.stdout}${r.stderr}`.trim() };
}

// ---------------------------------------------------------------------------------------------
// Experiment 1: a filter that makes unshare fail with EPERM.

const blockUnshare = experiment({
  id: 'block-unshare',
  title: 'a seccomp filter in TypeScript: unshare returns EPERM',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  async run(ctx, args: { wrongSyscall?: boolean; noFilter?: boolean } = {}) {
    const { sys } = ctx;
    await startThreadpool();
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
    const [seccomp, filters, nnp] = statusLines(ctx, 'self', 'Seccomp', 'Seccomp_filters', 'NoNewPrivs');
    const status = { seccomp, filters, nnp };
    const threads = threadsSeccomp(ctx);
    ctx.note('a child: sh -c "grep Seccomp /proc/self/status; unshare -u true"');
    const child = await sh(ctx, 'grep -E "^(Seccomp|NoNewPrivs)" /proc/self/status; unshare -u true && echo "unshare worked"');
    // For the picture: the program as loaded, and a call the filter lets through (glibc's getpid is a real syscall).
    const filter = { program: [...program], arch: sys.auditArch(), unshare: sys.sysno('unshare'), getpid: sys.sysno('getpid'), allowed: `getpid() = ${sys.getpid()}` };
    return { listing, filter, before, nnpTrace, seccompTrace, afterMain, afterPool, status, threads, child };
  },
  checks: (check) => [
    check('unshare-eperm', 'before the filter unshare(CLONE_NEWUTS) returns 0; after it, EPERM on the main thread and on the threadpool', (o) => ({
      pass: /= 0$/.test(o.before) && /EPERM/.test(o.afterMain) && /EPERM/.test(o.afterPool),
      observed: `before: ${o.before.split(' = ')[1]}; after: ${o.afterMain.split(' = ')[1]} (main), ${o.afterPool.split(' = ')[1]}`,
      evidence: [o.before, ...o.listing.map((l) => `  ${l}`), o.seccompTrace, o.afterMain, o.afterPool],
      hint: !/= -1/.test(o.seccompTrace) && o.seccompTrace.startsWith('seccomp')
        ? `a filter was loaded (${o.seccompTrace}) but unshare still returned ${o.afterMain.split(' = ')[1]}: the filter compares seccomp_data.nr with another syscall (${o.listing.find((l) => l.startsWith('jeq #') && !l.includes('ARCH'))?.trim()}), not unshare's number (${o.listing.length ? 'see the listing' : ''})`
        : `no filter is in place (${o.seccompTrace}), so nothing stands between unshare and the kernel's own checks, which the sandbox's root passes`,
    })),
    check('status-shows-filter', '/proc/PID/status shows NoNewPrivs: 1, Seccomp: 2 (filter mode) and Seccomp_filters: 1, on every thread', (o) => {
      const okLine = (t: { seccomp: string; filters: string; nnp: string }) => /\b2$/.test(t.seccomp) && /\b1$/.test(t.filters) && /\b1$/.test(t.nnp);
      const bad = o.threads.filter((t) => !okLine(t));
      return {
        pass: okLine(o.status) && bad.length === 0,
        observed: `${o.status.seccomp.replace(/\s+/g, ' ')}, ${o.status.filters.replace(/\s+/g, ' ')}; ${o.threads.length - bad.length} of ${o.threads.length} threads filtered`,
        evidence: [o.status.nnp, o.status.seccomp, o.status.filters, ...o.threads.slice(0, 8).map(tline)],
        hint: /\b0$/.test(o.status.seccomp)
          ? `Seccomp: 0 means no filter: ${o.seccompTrace}`
          : `${bad.length} threads are not in filter mode: ${bad.slice(0, 2).map(tline).join('; ')}`,
      };
    }),
    check('children-inherit', 'a child shell shows Seccomp: 2 and its `unshare -u true` fails: Operation not permitted', (o) => ({
      pass: /Seccomp:\s+2/.test(o.child.out) && /Operation not permitted/.test(o.child.out) && o.child.code !== 0,
      observed: `exit ${o.child.code}: ${o.child.out.split('\n').pop()}`,
      evidence: o.child.out.split('\n'),
      hint: /unshare worked/.test(o.child.out)
        ? `the child's unshare worked (${o.child.out.split('\n').find((l) => l.startsWith('Seccomp:'))}): the filter it inherited ${/Seccomp:\s+2/.test(o.child.out) ? 'does not match unshare' : 'does not exist'}`
        : `exit ${o.child.code}: ${o.child.out}`,
    })),
  ],
  sabotage: [
    { what: 'the filter matches setns instead of unshare', args: { wrongSyscall: true }, fails: ['unshare-eperm', 'children-inherit'] },
    { what: 'no filter loaded (no_new_privs only)', args: { noFilter: true }, fails: ['unshare-eperm', 'status-shows-filter', 'children-inherit'] },
  ],
  diagrams: [{ kind: 'seccomp-filter', from: ({ filter: f, ...o }) => {
    const on = / = 0$/.test(o.seccompTrace);
    const call = (label: string, nr: number, result: string, filtered = on) => ({ label, nr, result, errno: parseTraceResult(result)?.errno ?? null, filtered });
    const child = o.child.out.split('\n').pop() ?? '';
    return { program: f.program, arch: f.arch, calls: [
      call('unshare(CLONE_NEWUTS) before the filter', f.unshare, o.before, false),
      call('unshare(CLONE_NEWUTS) on the main thread', f.unshare, o.afterMain),
      call('unshare(CLONE_NEWUTS) on a threadpool thread', f.unshare, o.afterPool),
      { ...call('unshare -u true in a child shell', f.unshare, child), errno: /Operation not permitted/.test(child) ? 'EPERM' : null },
      call('getpid() on the main thread', f.getpid, f.allowed),
    ] };
  } }],
});

// ---------------------------------------------------------------------------------------------
// Experiment 2: TSYNC.

const tsync = experiment({
  id: 'tsync',
  title: 'without TSYNC, a filter covers one thread of a threaded process',
  sandbox: { namespaces: ['user', 'mnt', 'pid'] },
  async run(ctx, args: { tsyncFirst?: boolean; noTsyncSecond?: boolean } = {}) {
    const { sys } = ctx;
    await startThreadpool();
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
    return { mainTid: mainTid(), firstTrace, threadsAfterFirst, mainAfterFirst, poolAfterFirst, secondTrace, threadsAfterSecond, poolAfterSecond };
  },
  checks: (check) => [
    check('main-thread-only', 'after seccomp() without TSYNC, the main thread shows Seccomp: 2 and every other thread Seccomp: 0', (o) => {
      const main = o.threadsAfterFirst.find((t) => t.tid === o.mainTid);
      const others = o.threadsAfterFirst.filter((t) => t.tid !== o.mainTid);
      const filteredOthers = others.filter((t) => /\b2$/.test(t.seccomp));
      return {
        pass: !!main && /\b2$/.test(main.seccomp) && others.length > 0 && filteredOthers.length === 0,
        observed: `main ${main?.seccomp ?? '?'}; ${filteredOthers.length} of ${others.length} other threads filtered`,
        evidence: [o.firstTrace, ...o.threadsAfterFirst.slice(0, 8).map(tline)],
        hint: filteredOthers.length
          ? `${filteredOthers.length} other threads already have the filter: it was loaded with ${o.firstTrace.includes('TSYNC') ? 'SECCOMP_FILTER_FLAG_TSYNC' : 'some flag'} (${o.firstTrace})`
          : `the main thread is ${main?.seccomp ?? 'missing'}`,
      };
    }),
    check('threadpool-bypass', 'meanwhile unshare on the main thread is EPERM, but the same call on a threadpool thread succeeds', (o) => ({
      pass: /EPERM/.test(o.mainAfterFirst) && /= 0 \[threadpool\]$/.test(o.poolAfterFirst),
      observed: `main: ${o.mainAfterFirst.split(' = ')[1]}; pool: ${o.poolAfterFirst.split(' = ')[1]}`,
      evidence: [o.firstTrace, o.mainAfterFirst, o.poolAfterFirst],
      hint: /EPERM/.test(o.poolAfterFirst)
        ? `the pool thread was filtered too: the first filter went to every thread (${o.firstTrace})`
        : `main ${o.mainAfterFirst}; pool ${o.poolAfterFirst}`,
    })),
    check('tsync-covers-all', 'after a filter with TSYNC, every thread shows Seccomp: 2 and the threadpool\'s unshare is EPERM too', (o) => {
      const unfiltered = o.threadsAfterSecond.filter((t) => !/\b2$/.test(t.seccomp));
      return {
        pass: unfiltered.length === 0 && /EPERM/.test(o.poolAfterSecond),
        observed: `${o.threadsAfterSecond.length - unfiltered.length} of ${o.threadsAfterSecond.length} threads filtered; pool: ${o.poolAfterSecond.split(' = ')[1]}`,
        evidence: [o.secondTrace, ...o.threadsAfterSecond.slice(0, 8).map(tline), o.poolAfterSecond],
        hint: o.secondTrace.includes('TSYNC')
          ? `TSYNC was asked for (${o.secondTrace}) but ${unfiltered.length} threads are unfiltered`
          : `the second filter was loaded without TSYNC too (${o.secondTrace}), so ${unfiltered.length} threads still run unfiltered, e.g. ${unfiltered[0] ? tline(unfiltered[0]) : '?'}`,
      };
    }),
  ],
  sabotage: [
    { what: 'TSYNC on the first filter already', args: { tsyncFirst: true }, fails: ['main-thread-only', 'threadpool-bypass'] },
    { what: 'no TSYNC on the second filter either', args: { noTsyncSecond: true }, fails: ['tsync-covers-all'] },
  ],
});

// ---------------------------------------------------------------------------------------------
// Experiment 3: no_new_privs, the price of an unprivileged filter.

const nnp = experiment({
  id: 'no-new-privs',
  title: 'no_new_privs: the price of a filter without CAP_SYS_ADMIN',
  sandbox: { namespaces: ['user', 'mnt', 'pid'], rootfs: true },
  async run(ctx, args: { keepSysAdmin?: boolean; skipNnp?: boolean } = {}) {
    const { sys } = ctx;
    if (!args.keepSysAdmin) ctx.note("drop CAP_SYS_ADMIN from this thread: the sandbox's root would otherwise be allowed anyway");
    const capsetTrace = args.keepSysAdmin ? '(CAP_SYS_ADMIN kept)' : capsetWithout(sys, [sys.CAP_SYS_ADMIN], false);
    const [capEff] = threadLines(ctx, mainTid(), 'CapEff');
    const nnpBefore = sys.getNoNewPrivs().trace;
    const { program } = denyFilter(sys, 'unshare');
    const firstTrace = sys.seccomp(sys.SECCOMP_SET_MODE_FILTER, sys.SECCOMP_FILTER_FLAG_TSYNC, program).trace;
    const nnpTrace = args.skipNnp ? null : sys.setNoNewPrivs().trace;
    const [nnpLine] = threadLines(ctx, mainTid(), 'NoNewPrivs');
    const secondTrace = sys.seccomp(sys.SECCOMP_SET_MODE_FILTER, sys.SECCOMP_FILTER_FLAG_TSYNC, program).trace;
    const child = await sh(ctx, 'grep -E "^(NoNewPrivs|Seccomp)" /proc/self/status');
    return { capsetTrace, capEff, nnpBefore, firstTrace, nnpTrace, nnpLine, secondTrace, child };
  },
  checks: (check) => [
    errnoIs('eacces-without-nnp', 'without CAP_SYS_ADMIN and without no_new_privs, seccomp() fails with EACCES', 'EACCES', (o) => ({
      trace: o.firstTrace,
      evidence: [o.capsetTrace, o.capEff, o.nnpBefore],
      why: /= 0/.test(o.firstTrace) ? `the filter was accepted: the thread still held CAP_SYS_ADMIN in its user namespace (${o.capEff}, ${o.capsetTrace})` : undefined,
    })),
    check('nnp-set-and-inherited', 'PR_SET_NO_NEW_PRIVS shows as NoNewPrivs: 1, and a child started afterwards has it too', (o) => ({
      pass: /\b1$/.test(o.nnpLine) && /NoNewPrivs:\s+1/.test(o.child.out),
      observed: `${o.nnpLine.replace(/\s+/g, ' ')}; child: ${o.child.out.split('\n').find((l) => l.startsWith('NoNewPrivs'))?.replace(/\s+/g, ' ') ?? '?'}`,
      evidence: [o.nnpTrace ?? '(prctl(PR_SET_NO_NEW_PRIVS) never called)', o.nnpLine, ...o.child.out.split('\n').map((l) => `child: ${l}`)],
      hint: o.nnpTrace ? `NoNewPrivs reads ${o.nnpLine}` : 'nothing set no_new_privs: the prctl was skipped, so the bit is 0 here and in every child',
    })),
    errnoIs('filter-accepted-with-nnp', 'with no_new_privs set, the same seccomp() call returns 0', 0, (o) => ({
      trace: o.secondTrace,
      evidence: [o.nnpTrace ?? '(no PR_SET_NO_NEW_PRIVS)', o.nnpLine],
      why: `${o.nnpTrace ? 'no_new_privs was set, yet' : 'no_new_privs is still 0 and CAP_SYS_ADMIN is gone, so'} the kernel refused the filter`,
    })),
  ],
  sabotage: [
    { what: 'keep CAP_SYS_ADMIN', args: { keepSysAdmin: true }, fails: ['eacces-without-nnp'] },
    { what: 'never set no_new_privs', args: { skipNnp: true }, fails: ['nnp-set-and-inherited', 'filter-accepted-with-nnp'] },
  ],
});

// ---------------------------------------------------------------------------------------------
// Experiment 4: AppArmor: is it active, and what does confinement look like?

/** A file's text (NULs dropped), or the errno that says why it could not be read. */
function probe(path: string): { path: string; value: string | null; error: string | null } {
  try {
    return { path, value: readFileSync(path, 'utf8').replace(/\0/g, '').trim(), error: null };
  } catch (e) {
    return { path, value: null, error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}
const shown = (p: ReturnType<typeof probe>): string => `${p.path}: ${p.value ?? p.error}`;
const LABEL = /^(unconfined|\S+ \((enforce|complain|kill|unconfined|prompt)\))$/;

const apparmor = experiment({
  id: 'apparmor-label',
  // Debian and this CI machine run no AppArmor: the skip says how that was told, and the
  // seccomp experiments still carry the lesson.
  optional: true,
  requires: ['host:cat'],
  title: 'AppArmor: is it active, and which profile confines this process?',
  sandbox: { namespaces: ['user', 'mnt', 'pid'] },
  // Sabotage: read attr/exec (the label for the next execve, empty unless set) instead of current.
  async run(ctx, args: { attr?: 'exec' } = {}) {
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
    const r = await ctx.spawn(ctx.hostBin('cat'), [`/proc/self/attr/apparmor/${attr}`]);
    const child = { code: r.code, out: `${r.stdout}${r.stderr}`.replace(/\0/g, '').trim() };
    return { enabled, lsm, self, legacy, child };
  },
  checks: (check) => [
    check('apparmor-label-of-self', 'AppArmor is active (enabled = Y) and this process has a label: "unconfined" or "PROFILE (MODE)"', (o) => {
      const label = o.self.value ?? o.legacy.value ?? '';
      return {
        pass: o.enabled.value === 'Y' && LABEL.test(label),
        observed: `enabled ${o.enabled.value ?? o.enabled.error}; label "${label}"`,
        evidence: [shown(o.enabled), shown(o.lsm), shown(o.self), shown(o.legacy)],
        hint: label === ''
          ? `${o.self.path} is empty: that file is not the current label (attr/exec holds the label for the next execve, empty unless someone set one)`
          : `"${label}" is not an AppArmor label`,
      };
    }),
    check('label-inherited', 'a child (cat) reads the same label for itself: labels follow fork and execve unless a profile attaches to the new binary', (o) => {
      const label = o.self.value ?? '';
      return {
        pass: LABEL.test(o.child.out) && (o.child.out === label || label === 'unconfined'),
        observed: `sandbox "${label}", child "${o.child.out}"`,
        evidence: [shown(o.self), `child cat ${o.self.path}: ${o.child.out}`],
        hint: o.child.out === '' ? 'the child printed an empty label: it read attr/exec, not attr/current' : `the child's label "${o.child.out}" differs from "${label}"`,
      };
    }),
  ],
  sabotage: [{ what: 'read attr/exec instead of attr/current', args: { attr: 'exec' }, fails: ['apparmor-label-of-self', 'label-inherited'] }],
});

export default { experiments: [blockUnshare, tsync, nnp, apparmor] } satisfies LessonModule;
