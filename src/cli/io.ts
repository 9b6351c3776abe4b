// The terminal side of a lesson: prompts when there is a terminal to show them on, defaults
// when there is not (or with --yes). enquirer is imported only when a prompt is really shown.
import { emitKeypressEvents } from 'node:readline';
import { Cancelled, NslabError } from '../runner/errors.js';
import type { FlowIO } from '../runner/flow.js';
import { style, type Style } from '../render/color.js';

export const SHOW_CURSOR = '\x1b[?25h';

export interface Terminal extends FlowIO {
  confirm(question: string, opts: { destructive: boolean }): Promise<boolean>;
  /** A menu: returns the value of the chosen entry. */
  menu<T>(question: string, entries: { label: string; value: T; hint?: string; disabled?: boolean | string }[]): Promise<T>;
}

export function hasTerminal(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

export function makeTerminal(opts: { yes: boolean }): Terminal {
  const s: Style = style();
  const interactive = hasTerminal() && !opts.yes;
  const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  return {
    interactive,
    style: s,
    print,
    rows: interactive ? process.stdout.rows : undefined,
    clear: () => {
      if (interactive) process.stdout.write('\x1b[H\x1b[2J');
    },
    async select(question, choices) {
      if (!interactive) return 'skipped';
      const { Select } = await enquirer();
      const answer = await run(
        new Select({
          name: 'prediction',
          message: `Predict: ${question}`,
          // enquirer answers with the choice's name and shows it once chosen: use the text.
          choices: choices.map((c) => ({ name: c })),
        }),
      );
      return Math.max(0, choices.indexOf(String(answer)));
    },
    async menu(question, entries) {
      if (!interactive) throw new NslabError('This needs a terminal to show a menu; name what you want on the command line instead (see nslab --help).');
      const { Select } = await enquirer();
      const answer = await run(
        new Select({
          name: 'menu',
          message: question,
          choices: entries.map((e) => ({ name: e.label, hint: e.hint, disabled: e.disabled })),
        }),
      );
      return (entries.find((e) => e.label === answer) ?? entries[0]!).value;
    },
    async confirm(question, { destructive }) {
      if (opts.yes) return true;
      if (!interactive) {
        if (destructive) throw new NslabError(`${question} needs confirmation and there is no terminal to ask on; add --yes to confirm.`, { exitCode: 2 });
        return true;
      }
      const { Confirm } = await enquirer();
      return Boolean(await run(new Confirm({ name: 'confirm', message: question, initial: false })));
    },
    async pause(message) {
      if (!interactive) return;
      process.stdout.write(s.dim(`${message} `));
      for (;;) {
        const key = await readKey();
        if (key === 'return' || key === 'enter' || key === 'space') break;
      }
      process.stdout.write('\n');
    },
    async traceOrContinue() {
      if (!interactive) return 'trace';
      process.stdout.write(s.dim('Press t to see the syscall trace, Enter to go on. '));
      for (;;) {
        const key = await readKey();
        if (key === 't') {
          process.stdout.write('\n');
          return 'trace';
        }
        if (key === 'return' || key === 'enter') {
          process.stdout.write('\n');
          return 'continue';
        }
      }
    },
  };
}

type PromptClass = new (opts: Record<string, unknown>) => { run(): Promise<unknown> };

async function enquirer(): Promise<{ Select: PromptClass; Confirm: PromptClass }> {
  const mod = (await import('enquirer')) as unknown as { default: { Select: PromptClass; Confirm: PromptClass } };
  return mod.default;
}

/** enquirer rejects (with an empty string) on Ctrl-C and Esc; that is the learner leaving. */
async function run(prompt: { run(): Promise<unknown> }): Promise<unknown> {
  try {
    return await prompt.run();
  } catch (err) {
    process.stdout.write(SHOW_CURSOR);
    if (err instanceof Error && err.message) throw err;
    throw new Cancelled();
  }
}

/** One key, in raw mode. Ctrl-C arrives as a key in raw mode, not as SIGINT. */
function readKey(): Promise<string> {
  const stdin = process.stdin;
  emitKeypressEvents(stdin);
  return new Promise((resolve, reject) => {
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    const done = () => {
      stdin.off('keypress', onKey);
      stdin.setRawMode(wasRaw);
      stdin.pause();
    };
    const onKey = (str: string | undefined, key: { name?: string; ctrl?: boolean } | undefined) => {
      done();
      if (key?.ctrl && (key.name === 'c' || key.name === 'd')) return reject(new Cancelled());
      if (key?.name === 'escape' || key?.name === 'q') return reject(new Cancelled());
      resolve(key?.name ?? str ?? '');
    };
    stdin.on('keypress', onKey);
  });
}
