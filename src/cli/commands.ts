// Every command, its options and its help, in one table: the parser, `--help` and "did you
// mean" all read it, so they cannot disagree. Kept free of imports so `--version` stays cheap.

export interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  multiple?: boolean;
  /** Shown in help: '--junit FILE'. */
  arg?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  /** Longer help: what it does, exit statuses, examples. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments allowed: [min, max]. */
  args: [number, number];
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  lessons: { type: 'string', arg: 'DIR', help: 'use the lessons in DIR instead of the built-in ones (or set NSLAB_LESSONS)' },
  yes: { type: 'boolean', short: 'y', help: 'take every default: no prompts, predictions recorded as skipped' },
  help: { type: 'boolean', short: 'h', help: 'show help for nslab or for a command' },
};

const json = { type: 'boolean', help: 'print JSON (a stable shape, for scripts)' } as const;

export const COMMANDS: CommandSpec[] = [
  {
    name: 'start',
    usage: 'nslab start <lesson> [--from-start]',
    summary: 'take a lesson: read, predict, run it for real, check',
    details:
      'A lesson is named by number, slug or both: 4, 04, pivot-root, 04-pivot-root.\nA lesson left half-way continues where you stopped; --from-start begins again.\nWithout a terminal (or with --yes) predictions are recorded as skipped and the trace is printed.',
    options: { 'from-start': { type: 'boolean', help: 'begin at the first page even if the lesson was left half-way' } },
    args: [1, 1],
  },
  {
    name: 'new',
    usage: 'nslab new <NN-slug> [--lessons DIR]',
    summary: 'write a new lesson that already passes selftest, to make into your own',
    details:
      'Writes DIR/NN-slug/lesson.md and lesson.ts (DIR: --lessons, NSLAB_LESSONS, else ./lessons): one\nexperiment with its prediction, two checks, a sabotage for each and a diagram. Then:\n  npx nslab --lessons DIR verify NN && npx nslab --lessons DIR selftest NN\nThe guide is docs/authoring.md.',
    options: {},
    args: [1, 1],
  },
  { name: 'list', usage: 'nslab list [--json]', summary: 'every lesson with its status and whether it can run here', options: { json }, args: [0, 0] },
  { name: 'progress', usage: 'nslab progress [--json]', summary: 'what you have passed so far, and where it is kept', options: { json }, args: [0, 0] },
  {
    name: 'hint',
    usage: 'nslab hint [lesson]',
    summary: 'what the failing checks of a lesson saw, or what to try next',
    details: 'Without a lesson: the one you worked on last.',
    options: {},
    args: [0, 1],
  },
  {
    name: 'reset',
    usage: 'nslab reset <lesson> | --all',
    summary: "forget a lesson's progress (or all of it)",
    details: 'Asks first in a terminal; --yes answers for you. Without a terminal, --yes is required.',
    options: { all: { type: 'boolean', help: 'forget every lesson' } },
    args: [0, 1],
  },
  {
    name: 'demo',
    usage: 'nslab demo <lesson>',
    summary: 'presenter mode: big headings, a pause before each step, the trace always shown',
    details: 'Nothing is scored or recorded. Press Enter to move on at each pause.',
    options: {},
    args: [1, 1],
  },
  {
    name: 'verify',
    usage: 'nslab verify [lesson...] [--json] [--junit FILE]',
    summary: "run every (or the named) lesson's experiments and check them, without prompts",
    details:
      'Exit status: 0 when every lesson ran and passed, 1 when something failed, 3 when nothing failed\nbut something could not run on this machine (skipped, with the reason `nslab doctor` gives).',
    options: {
      json,
      junit: { type: 'string', arg: 'FILE', help: 'also write a JUnit XML report to FILE' },
      jobs: { type: 'string', short: 'j', arg: 'N', help: 'experiments run at once (default: one per core)' },
    },
    args: [0, Infinity],
  },
  {
    name: 'doctor',
    usage: 'nslab doctor [--json] [--need LESSONS | --workshop FILE] [--ignore ID...]',
    summary: 'what this machine allows, each with the fix, and which lessons can run',
    details:
      "Every problem has a stable check ID (userns.restricted-by-apparmor, cgroup.not-delegated, ...) with\nthe lessons it blocks and its fix; README.md#doctors-checks explains each.\nExit status: 1 when a line fails, else 0. With --need or --workshop (a workshop's pre-flight): 1\nexactly when a needed lesson cannot run here (or nslab itself is broken), naming each blocker.\nExamples: nslab doctor --need 01-06,08    nslab doctor --workshop workshop.yaml --ignore rootfs.outdated",
    options: {
      json,
      need: { type: 'string', arg: 'LESSONS', help: 'the lessons a workshop needs: numbers, ranges, names (01-06,08)' },
      workshop: { type: 'string', arg: 'FILE', help: 'a workshop file (YAML: lessons, minimum versions, ignore)' },
      ignore: { type: 'string', multiple: true, arg: 'ID', help: 'downgrade check ID to a warning (repeatable)' },
    },
    args: [0, 0],
  },
  {
    name: 'rootfs',
    usage: 'nslab rootfs [info|build|clean]',
    summary: 'the small root filesystem some lessons pivot into',
    details:
      'info (default): where it is and its state. build: make it now (it is otherwise built on first need).\nclean: remove it. It lives in $NSLAB_ROOTFS, else ${XDG_CACHE_HOME:-~/.cache}/nslab/rootfs.',
    options: {
      host: { type: 'boolean', help: "build: from this machine's programs and their libraries (the default)" },
      busybox: { type: 'boolean', help: 'build: from a static busybox' },
      json,
    },
    args: [0, 1],
  },
  {
    name: 'shell',
    usage: 'nslab shell <lesson>',
    summary: "do a lesson's exercise yourself in a sandbox shell; nslab checks the kernel state you make",
    details:
      "An interactive shell from the rootfs (its bash, else its /bin/sh: dash, or busybox sh in a busybox\nrootfs) in new user, mount and PID namespaces, not pivoted: the rootfs is at $NSLAB_ROOTFS and this\nmachine's util-linux tools are on PATH. Inside, `nslab check` judges your work and `nslab hint`\nhelps. Everything is torn down when the shell exits. Exit status: the shell's.",
    options: {},
    args: [1, 1],
  },
  {
    name: 'check',
    usage: 'nslab check [lesson] [--pid PID...] [--json]',
    summary: "judge a lesson's exercise from outside: the processes under its running `nslab shell`, or any PID",
    details:
      'Reads /proc/PID of each candidate from the host (namespaces, root, mountinfo, status) and reports each\ntask with the evidence and a hint. Without a lesson: the one whose shell is running. Passing is recorded.\nExit status: 0 when every exercise passes, 1 otherwise.',
    options: { json, pid: { type: 'string', multiple: true, arg: 'PID', help: 'judge this process (repeatable) instead of the shell\'s' } },
    args: [0, 1],
  },
  {
    name: 'inspect',
    usage: 'nslab inspect <PID> [--profile docker|podman|runc|runc-rootless|CONFIG.json] [--json]',
    summary: "how any process is confined, point by point, against a container runtime's defaults",
    details:
      "Reads /proc/PID from the host (never ptrace, no signal) and judges each point next to what the profile\nsets, with the /proc lines: namespaces shared with you or not, uid/gid maps, capability sets,\nno_new_privs, seccomp, the AppArmor label, cgroup and limits, masked and read-only paths, and the root.\n--profile takes docker (the default), podman, runc, runc-rootless, or the path of an OCI config.json\n(a runc bundle's own). Exit status: 0 when every point matches, 1 when one differs, 2 when the PID\ncannot be read.\nExample: sudo nslab inspect $(docker inspect -f '{{.State.Pid}}' web) --profile docker",
    options: { json, profile: { type: 'string', arg: 'NAME|FILE', help: 'docker, podman, runc, runc-rootless, or an OCI config.json (default docker)' } },
    args: [1, 1],
  },
  {
    name: 'report',
    usage: 'nslab report [--json|--md] [--out FILE] [--verify FILE] [--name NAME]',
    summary: 'one shareable file for an instructor: machine, doctor, verify results and progress',
    details:
      'Runs `nslab verify` unless --verify names a saved `nslab verify --json` output to reuse.\nMarkdown by default; --out writes the file instead of printing it. Send the --json form to\nyour instructor for `nslab class`. Without --name the report holds no user name, host name or\nhome path (they read <user>, <host> and ~); with --name it carries your name, user and host name.',
    options: {
      name: { type: 'string', arg: 'NAME', help: 'put your name in the report (and your user and host name)' },
      json,
      md: { type: 'boolean', help: 'Markdown (the default)' },
      out: { type: 'string', arg: 'FILE', help: 'write the report to FILE' },
      verify: { type: 'string', arg: 'FILE', help: 'reuse this `nslab verify --json` output instead of running verify' },
    },
    args: [0, 0],
  },
  {
    name: 'class',
    usage: 'nslab class REPORT... [--out DIR] [--json] [--need LESSONS | --workshop FILE] [--roster FILE]',
    summary: "for instructors: the students' reports in one view: who can run what, the blockers, what is missing",
    details:
      "Reads any number of `nslab report --json` files (a directory stands for its .json files): a table of\nstudents x lessons (pass, FAIL, skip, can't run, no result), the blockers counted per check ID with\ntheir fix, the failed checks, and who has sent nothing for which lessons. A file that is not a report\nis named with the reason on stderr and the others are still counted.\n--out DIR writes class.md, class.json and class.html (one self-contained page).\nExit status: 0, or 1 when some file was not counted.",
    options: {
      json,
      out: { type: 'string', arg: 'DIR', help: 'write class.md, class.json and class.html into DIR' },
      need: { type: 'string', arg: 'LESSONS', help: 'only these lessons (01-06,08); the default is every lesson a report names' },
      workshop: { type: 'string', arg: 'FILE', help: "a workshop file: its lessons, and its students as the roster" },
      roster: { type: 'string', arg: 'FILE', help: 'who should have sent a report: one name a line' },
    },
    args: [1, Infinity],
  },
  {
    name: 'selftest',
    usage: 'nslab selftest [lesson...]',
    summary: "for authors: prove each lesson passes as written and each sabotage makes its checks fail",
    details: 'Runs every experiment as written (all checks must pass), then with each `sabotage` entry\n(every listed check must FAIL, with a hint). Checks that no sabotage ever fails are listed as warnings.',
    options: { json },
    args: [0, Infinity],
  },
];

export const findCommand = (name: string): CommandSpec | undefined => COMMANDS.find((c) => c.name === name);

function optionLines(opts: Record<string, OptionSpec>): string[] {
  return Object.entries(opts).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`;
    return `  ${flag.padEnd(26)} ${o.help}`;
  });
}

export function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'nslab: learn how Linux containers work by making the kernel show it.',
    '',
    'Usage: nslab [command] [options]',
    '',
    'With no command, nslab opens a menu of lessons (or, without a terminal, lists them).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Options:',
    ...optionLines(GLOBAL_OPTIONS),
    '  -V, --version              print the version',
    '',
    'Environment: NO_COLOR (plain output), NSLAB_LESSONS (lessons folder), XDG_STATE_HOME (progress),',
    'NSLAB_DEBUG=1 (stack traces on errors).',
    '`nslab <command> --help` explains a command.',
    '',
  ].join('\n');
}

export function commandHelp(c: CommandSpec): string {
  return [
    `Usage: ${c.usage}`,
    '',
    `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`,
    ...(c.details ? ['', c.details] : []),
    '',
    'Options:',
    ...optionLines({ ...c.options, ...GLOBAL_OPTIONS }),
    '',
  ].join('\n');
}
