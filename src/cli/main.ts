#!/usr/bin/env node
// nslab's entry: parse, dispatch, and the one place errors become messages and exit statuses.
// Only node:util and tiny modules are imported up front; every command loads what it needs
// when it runs, so `nslab --version` and `nslab list` never pay for marked or enquirer.
import { parseArgs } from 'node:util';
import { COMMANDS, GLOBAL_OPTIONS, commandHelp, findCommand, mainHelp, type OptionSpec } from './commands.js';
import { version } from './version.js';
import { NslabError, UsageError, closest } from '../runner/errors.js';

const SHOW_CURSOR = '\x1b[?25h';
/** Commands that run experiments, so may need a cgroup delegated by systemd (runner/delegation). */
const RUNS_LESSONS = new Set(['start', 'demo', 'verify', 'selftest', 'report']);

function toParseOptions(opts: Record<string, OptionSpec>) {
  const out: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [k, o] of Object.entries(opts)) out[k] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  return out;
}

/** The command word: the first argument that is neither an option nor an option's value. */
function findCommandWord(argv: string[]): number {
  const takesValue = new Set<string>();
  for (const spec of [GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options)])
    for (const [k, o] of Object.entries(spec))
      if (o.type === 'string') {
        takesValue.add(`--${k}`);
        if (o.short) takesValue.add(`-${o.short}`);
      }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (takesValue.has(a)) {
      i++;
      continue;
    }
    if (!a.startsWith('-') || a === '-') return i;
  }
  return -1;
}

function parseError(err: unknown, known: Record<string, OptionSpec>, command: string | undefined): never {
  const e = err as NodeJS.ErrnoException;
  const where = command ? `nslab ${command}` : 'nslab';
  const help = `Run \`${where} --help\` for the options.`;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /option '([^']+)'/.exec(e.message)?.[1] ?? '?';
    const names = [...Object.keys(known).map((k) => `--${k}`), '--version'];
    const guess = flag.startsWith('--') ? closest(flag, names) : undefined;
    throw new UsageError(`unknown option ${flag} for ${where}.${guess ? ` Did you mean ${guess}?` : ''} ${help}`);
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(-[^ ']+)/.exec(e.message)?.[1] ?? 'that option';
    const o = known[flag.replace(/^-+/, '')] ?? Object.values(known).find((x) => `-${x.short}` === flag);
    if (o?.type === 'string') throw new UsageError(`${flag} needs a value${o.arg ? ` (${flag} ${o.arg})` : ''}. ${help}`);
    throw new UsageError(`${flag} takes no value. ${help}`);
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`${where} takes no arguments here. ${help}`);
  throw new UsageError(`${e.message} ${help}`);
}

async function main(argv: string[]): Promise<number> {
  const at = findCommandWord(argv);
  const word = at >= 0 ? argv[at] : undefined;
  const spec = word === undefined ? undefined : findCommand(word);
  if (word !== undefined && !spec) {
    // '--lesons DIR list': the misspelt flag, not 'DIR', is the mistake to report.
    const flag = argv.slice(0, at).find((a) => a.startsWith('--') && !(a.slice(2).split('=')[0]! in GLOBAL_OPTIONS) && a !== '--version');
    if (flag) {
      const guess = closest(flag.split('=')[0]!, [...Object.keys(GLOBAL_OPTIONS).map((k) => `--${k}`), '--version']);
      throw new UsageError(`unknown option ${flag.split('=')[0]} for nslab.${guess ? ` Did you mean ${guess}?` : ''} Run \`nslab --help\` for the options.`);
    }
    const guess = closest(word, COMMANDS.map((c) => c.name));
    throw new UsageError(`unknown command '${word}'.${guess ? ` Did you mean \`nslab ${guess}\`?` : ''} Run \`nslab --help\` for the commands.`);
  }
  const known = { ...GLOBAL_OPTIONS, ...(spec?.options ?? {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...toParseOptions(known), version: { type: 'boolean', short: 'V' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    parseError(err, known, spec?.name);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const positionals = parsed.positionals.filter((_, i) => !(spec && i === 0));

  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (values.help) {
    process.stdout.write(spec ? commandHelp(spec) : mainHelp());
    return 0;
  }
  if (!spec && positionals.length) throw new UsageError(`Unexpected argument '${positionals[0]}'. Run \`nslab --help\` for the commands.`);
  if (spec && (positionals.length < spec.args[0] || positionals.length > spec.args[1])) {
    const many = positionals.length > spec.args[1];
    const lesson = spec.args[0] === 1 && spec.usage.includes('<lesson>');
    throw new UsageError(`${many ? `Too many arguments for nslab ${spec.name}` : `nslab ${spec.name} needs ${lesson ? 'a lesson' : 'more arguments'}`}: usage is \`${spec.usage}\`.${lesson && !many ? ' `nslab list` shows the lessons.' : ''}`);
  }

  if (spec === undefined || RUNS_LESSONS.has(spec.name)) {
    const { rerunInScope, SCOPE_MARK } = await import('../runner/delegation.js');
    if (process.env[SCOPE_MARK] && process.geteuid?.() !== 0) (await import('../sandbox/index.js')).enterDelegatedLeaf();
    else {
      const code = rerunInScope(argv);
      if (code !== null) return code;
    }
  }

  const { makeCtx } = await import('./context.js');
  const ctx = makeCtx({
    lessonsDir: (values.lessons as string | undefined) ?? (process.env.NSLAB_LESSONS || undefined),
    yes: Boolean(values.yes),
    options: values,
    args: positionals,
    version: version(),
  });

  switch (spec?.name) {
    case undefined:
      return (await import('./learn.js')).menuCommand(ctx);
    case 'list':
      return (await import('./status.js')).listCommand(ctx, { footer: false });
    case 'progress':
      return (await import('./status.js')).progressCommand(ctx);
    case 'start':
      return (await import('./learn.js')).startCommand(ctx, positionals[0]!, false);
    case 'demo':
      return (await import('./learn.js')).startCommand(ctx, positionals[0]!, true);
    case 'hint':
      return (await import('./learn.js')).hintCommand(ctx, positionals[0]);
    case 'reset':
      return (await import('./learn.js')).resetCommand(ctx, positionals[0]);
    case 'verify':
      return (await import('./instructor.js')).verifyCommand(ctx);
    case 'doctor':
      return (await import('./instructor.js')).doctorCommand(ctx);
    case 'selftest':
      return (await import('./instructor.js')).selftestCommand(ctx);
    case 'rootfs':
      return (await import('./instructor.js')).rootfsCommand(ctx);
    case 'shell':
      return (await import('./exercise.js')).shellCommand(ctx, positionals[0]!);
    case 'check':
      return (await import('./exercise.js')).checkCommand(ctx, positionals[0]);
    case 'inspect':
      return (await import('./inspect.js')).inspectCommand(ctx, positionals[0]!);
    case 'report':
      return (await import('./report.js')).reportCommand(ctx);
    case 'class':
      return (await import('./class.js')).classCommand(ctx);
    case 'new':
      return (await import('./new.js')).newCommand(ctx, positionals[0]!);
    default:
      throw new UsageError(`nslab ${String(word)} is not implemented.`);
  }
}

function report(err: unknown): number {
  const debug = process.env.NSLAB_DEBUG === '1';
  if (process.stdout.isTTY) process.stdout.write(SHOW_CURSOR);
  if (err instanceof NslabError || (err instanceof Error && err.name === 'RootfsError')) {
    process.stderr.write(`nslab: ${err.message}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return err instanceof NslabError ? err.exitCode : 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(
    debug
      ? `nslab: unexpected error: ${err instanceof Error ? err.stack : message}\n`
      : `nslab: unexpected error: ${message.split('\n')[0]}\nThis is a bug in nslab; run again with NSLAB_DEBUG=1 for the details and report them.\n`,
  );
  return 70; // EX_SOFTWARE
}

// Ctrl-C outside a prompt, or a polite kill: put the cursor back and leave through
// process.exit, so exit handlers (the removal of lesson cgroups) run. Sandboxes need no
// cleanup from here: the helper dies with us (PR_SET_PDEATHSIG) and takes its namespaces along.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.once(signal, () => {
    if (process.stdout.isTTY) process.stdout.write(SHOW_CURSOR);
    process.stderr.write('\nnslab: stopped. Everything finished so far is saved.\n');
    process.exit(code);
  });
}

// `nslab list | head`: the reader left, so there is no one to tell. Leave as other tools do
// (128 + SIGPIPE) through process.exit, which still runs the exit handlers.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(141);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = report(err);
  },
);
