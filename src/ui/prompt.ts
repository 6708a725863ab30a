/**
 * Questions asked at the terminal (password, text, yes/no, the file picker), behind an
 * interface so commands can be tested with a scripted Prompter. Prompts draw on stderr
 * (stdout is data) and read stdin; Ctrl-C, Esc, Ctrl-D and the abort signal become
 * InterruptedError. @inquirer/core restores the terminal (raw mode off, cursor shown)
 * whichever way a prompt ends.
 */
import { Writable } from 'node:stream';
import {
  AbortPromptError,
  CancelPromptError,
  ExitPromptError,
  createPrompt,
  isEnterKey,
  useKeypress,
  useState,
} from '@inquirer/core';
import type { ChalkInstance } from 'chalk';
import type { RemoteFile } from '../api/types.js';
import { InterruptedError } from '../errors.js';
import type { IO } from './io.js';
import { pickedLine, pickerPrompt } from './picker.js';
import { escapeForTerminal } from './render.js';

export interface PickFilesOptions {
  /** Default "Select files to download". */
  readonly message?: string;
  /** Rows shown at once (default: 15, fewer when the terminal is short). */
  readonly pageSize?: number;
  /** IANA zone for dates (tests); default local time. */
  readonly timeZone?: string;
}

export interface Prompter {
  /** Asks for a secret; typed characters show as `*`. */
  password(message: string): Promise<string>;
  /** Asks for a line of text; enter on an empty line gives `defaultValue` (or ''). */
  text(message: string, defaultValue?: string): Promise<string>;
  /** Asks yes/no; enter alone gives `defaultValue`. */
  confirm(message: string, defaultValue: boolean): Promise<boolean>;
  /** The checkbox picker; resolves to the chosen files ([] when none: the caller says "nothing selected"). */
  pickFiles(files: readonly RemoteFile[], opts?: PickFilesOptions): Promise<RemoteFile[]>;
}

interface LineConfig {
  readonly message: string;
  readonly chalk: ChalkInstance;
}

const CANCELLED = Symbol('cancelled');
type Answer<T> = T | typeof CANCELLED;

function header(config: LineConfig): string {
  return `${config.chalk.green('?')} ${config.chalk.bold(escapeForTerminal(config.message))}`;
}

const passwordPrompt = createPrompt<Answer<string>, LineConfig>((config, done) => {
  const [value, setValue] = useState('');
  const [isDone, setDone] = useState(false);
  useKeypress((key, rl) => {
    if (isDone) return;
    if (isEnterKey(key)) {
      setDone(true);
      done(value);
    } else if (key.name === 'escape') {
      setDone(true);
      done(CANCELLED);
    } else {
      setValue(rl.line);
    }
  });
  // The mask has exactly rl.line's length: the screen manager relies on it to place the cursor.
  return `${header(config)} ${isDone ? '' : '*'.repeat(value.length)}`;
});

interface TextConfig extends LineConfig {
  readonly defaultValue: string | undefined;
}

const textPrompt = createPrompt<Answer<string>, TextConfig>((config, done) => {
  const [value, setValue] = useState('');
  const [answer, setAnswer] = useState<string | undefined>(undefined);
  useKeypress((key, rl) => {
    if (answer !== undefined) return;
    if (isEnterKey(key)) {
      const result = value === '' ? (config.defaultValue ?? '') : value;
      setAnswer(result);
      done(result);
    } else if (key.name === 'escape') {
      setAnswer('');
      done(CANCELLED);
    } else {
      setValue(rl.line);
    }
  });
  const c = config.chalk;
  if (answer !== undefined) return `${header(config)} ${c.cyan(escapeForTerminal(answer))}`;
  const hint = config.defaultValue !== undefined && config.defaultValue !== '' ? ` ${c.dim(`(${escapeForTerminal(config.defaultValue)})`)}` : '';
  // Typed text is shown as typed (readline's cursor arithmetic needs its exact length).
  return `${header(config)}${hint} ${value}`;
});

interface ConfirmConfig extends LineConfig {
  readonly defaultValue: boolean;
}

const confirmPrompt = createPrompt<Answer<boolean>, ConfirmConfig>((config, done) => {
  const [value, setValue] = useState('');
  const [answer, setAnswer] = useState<boolean | undefined>(undefined);
  useKeypress((key, rl) => {
    if (answer !== undefined) return;
    if (isEnterKey(key)) {
      const result = /^y(es)?$/i.test(value.trim()) ? true : /^no?$/i.test(value.trim()) ? false : config.defaultValue;
      setAnswer(result);
      done(result);
    } else if (key.name === 'escape') {
      setAnswer(false);
      done(CANCELLED);
    } else {
      setValue(rl.line);
    }
  });
  const c = config.chalk;
  if (answer !== undefined) return `${header(config)} ${c.cyan(answer ? 'yes' : 'no')}`;
  return `${header(config)} ${c.dim(config.defaultValue ? '(Y/n)' : '(y/N)')} ${value}`;
});

function interrupted(cause?: unknown): InterruptedError {
  return new InterruptedError('Interrupted: the question was cancelled.', cause === undefined ? undefined : { cause });
}

/**
 * A writable that forwards to the real stream but is never ended by it: @inquirer/core ends
 * its output after each prompt, and stderr must outlive that. It also reports the width.
 */
function promptOutput(io: IO): Writable & { columns: number; isTTY: boolean } {
  const target = io.stderr;
  const out = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      target.write(chunk);
      callback();
    },
  });
  return Object.assign(out, { columns: io.columns, isTTY: io.isStderrTTY });
}

/**
 * Rows of files that fit the terminal beside the prompt line, selection count and key help
 * (plus a spare line so the screen never scrolls), at most 15; 15 when the height is unknown.
 */
function pageSizeFor(io: IO): number {
  const rows = (io.stderr as { rows?: unknown }).rows;
  if (typeof rows !== 'number' || !Number.isFinite(rows) || rows <= 0) return 15;
  return Math.max(3, Math.min(15, Math.floor(rows) - 4));
}

/** Prompts on the IO's terminal (stdin in, stderr out); `signal` aborts a pending question. */
export function createPrompter(io: IO, opts: { signal?: AbortSignal } = {}): Prompter {
  const chalk = io.errChalk;

  type PromptContext = { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal?: AbortSignal; clearPromptOnDone?: boolean };

  async function ask<T>(run: (context: PromptContext) => Promise<Answer<T>>, clearPromptOnDone = false): Promise<T> {
    if (opts.signal?.aborted === true) throw interrupted(opts.signal.reason);
    let answer: Answer<T>;
    try {
      answer = await run({ input: io.stdin, output: promptOutput(io), clearPromptOnDone, ...(opts.signal === undefined ? {} : { signal: opts.signal }) });
    } catch (error) {
      if (error instanceof ExitPromptError || error instanceof AbortPromptError || error instanceof CancelPromptError) {
        throw interrupted(error);
      }
      throw error;
    }
    if (answer === CANCELLED) throw interrupted();
    return answer;
  }

  return {
    password: (message) => ask((context) => passwordPrompt({ message, chalk }, context)),
    text: (message, defaultValue) => ask((context) => textPrompt({ message, chalk, defaultValue }, context)),
    confirm: (message, defaultValue) => ask((context) => confirmPrompt({ message, chalk, defaultValue }, context)),
    async pickFiles(files, pickOpts = {}) {
      if (files.length === 0) return [];
      const message = pickOpts.message ?? 'Select files to download';
      // The list is erased when the prompt ends, however it ends (Ctrl-C never reaches our
      // last render), so no page of rows is left behind; a confirmed choice leaves one line.
      const outcome = await ask(
        (context) =>
          pickerPrompt(
            {
              files,
              message,
              pageSize: pickOpts.pageSize ?? pageSizeFor(io),
              columns: io.columns,
              chalk,
              ...(pickOpts.timeZone === undefined ? {} : { timeZone: pickOpts.timeZone }),
            },
            context,
          ),
        true,
      );
      if (outcome.type === 'cancelled') throw interrupted();
      io.err(pickedLine(message, outcome.files, chalk));
      return outcome.files;
    },
  };
}
