/**
 * The one door to the terminal: streams, TTY facts, colour, quiet/json/verbose, and the
 * helpers that write human messages. stdout is data; stderr is for people.
 */
import { PassThrough, Writable as WritableStream } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { Chalk } from 'chalk';
import type { ChalkInstance } from 'chalk';
import { escapeForTerminal, escapeMessage } from './render.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface IOOptions {
  readonly stdin: NodeJS.ReadStream | Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Env;
  readonly isStdoutTTY: boolean;
  readonly isStderrTTY: boolean;
  readonly isStdinTTY: boolean;
  /** `false` from `--no-color`; `true`/undefined mean "decide from env and TTY" (commander defaults it to true). */
  readonly color?: boolean;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly verbose?: boolean;
  /** Terminal width; default `COLUMNS` from env, else 80. */
  readonly columns?: number;
}

export interface IO {
  readonly stdin: NodeJS.ReadStream | Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Env;
  readonly isStdinTTY: boolean;
  readonly isStdoutTTY: boolean;
  readonly isStderrTTY: boolean;
  /** stdin and stderr are terminals and this is not a CI run: prompts and the picker may be shown. */
  readonly isInteractive: boolean;
  /** Colour on stdout (tables). */
  readonly colorEnabled: boolean;
  /** Colour on stderr (messages, progress, prompts). */
  readonly stderrColorEnabled: boolean;
  /** Chalk for text written to stdout (level 0 when colour is off there). */
  readonly chalk: ChalkInstance;
  /** Chalk for text written to stderr. */
  readonly errChalk: ChalkInstance;
  readonly columns: number;
  readonly isQuiet: boolean;
  readonly isJson: boolean;
  readonly isVerbose: boolean;
  /** Writes data to stdout, adding a newline. Written as given: escape untrusted parts first. */
  out(text: string): void;
  /** Writes to stderr, adding a newline. Written as given: escape untrusted parts first. */
  err(text: string): void;
  /** A human message on stderr, unless --quiet. Control characters are escaped. */
  info(message: string): void;
  /** `warning: …` on stderr, always (even --quiet). Control characters are escaped. */
  warn(message: string): void;
  /** `error: …` on stderr, always, with an optional hint on the next line. Control characters are escaped. */
  error(message: string, hint?: string): void;
  /** A trace line on stderr, only with --verbose. Callers redact secrets. Control characters are escaped. */
  verbose(message: string): void;
}

/** True when env says this is a CI run (CI=anything but false/0, or a CI system's own variable). */
export function isCI(env: Env): boolean {
  const ci = env['CI'];
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') return true;
  return ['BUILD_NUMBER', 'RUN_ID', 'GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'TF_BUILD', 'JENKINS_URL', 'TEAMCITY_VERSION'].some(
    (name) => (env[name] ?? '') !== '',
  );
}

/**
 * Colour level (0 = none) for one stream. Order: `--no-color`, then `NO_COLOR` (any
 * non-empty value, no-color.org), then `FORCE_COLOR` (`0`/`false` off, `1`–`3` a level,
 * else 1), then `TERM=dumb`, then "is it a terminal".
 */
export function colorLevel(opts: { color?: boolean; env: Env; isTTY: boolean }): 0 | 1 | 2 | 3 {
  const { env } = opts;
  if (opts.color === false) return 0;
  if ((env['NO_COLOR'] ?? '') !== '') return 0;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '1' || force === '2' || force === '3') return Number(force) as 1 | 2 | 3;
    return 1;
  }
  if (env['TERM'] === 'dumb' || !opts.isTTY) return 0;
  const colorterm = env['COLORTERM'] ?? '';
  if (colorterm === 'truecolor' || colorterm === '24bit') return 3;
  if ((env['TERM'] ?? '').includes('256')) return 2;
  return 1;
}

function columnsFrom(opts: IOOptions): number {
  if (opts.columns !== undefined && Number.isFinite(opts.columns) && opts.columns > 0) return Math.floor(opts.columns);
  const fromEnv = Number.parseInt(opts.env['COLUMNS'] ?? '', 10);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 80;
}

/** Builds the IO object from the streams and facts the caller passes in (no process globals). */
export function createIO(opts: IOOptions): IO {
  const outLevel = colorLevel({ color: opts.color, env: opts.env, isTTY: opts.isStdoutTTY });
  const errLevel = colorLevel({ color: opts.color, env: opts.env, isTTY: opts.isStderrTTY });
  const chalk = new Chalk({ level: outLevel });
  const errChalk = new Chalk({ level: errLevel });
  const isQuiet = opts.quiet === true;
  const isVerbose = opts.verbose === true;
  const writeErr = (text: string): void => {
    opts.stderr.write(text + '\n');
  };

  return {
    stdin: opts.stdin,
    stdout: opts.stdout,
    stderr: opts.stderr,
    env: opts.env,
    isStdinTTY: opts.isStdinTTY,
    isStdoutTTY: opts.isStdoutTTY,
    isStderrTTY: opts.isStderrTTY,
    isInteractive: opts.isStdinTTY && opts.isStderrTTY && !isCI(opts.env),
    colorEnabled: outLevel > 0,
    stderrColorEnabled: errLevel > 0,
    chalk,
    errChalk,
    columns: columnsFrom(opts),
    isQuiet,
    isJson: opts.json === true,
    isVerbose,
    out(text) {
      opts.stdout.write(text + '\n');
    },
    err: writeErr,
    info(message) {
      if (!isQuiet) writeErr(escapeMessage(message));
    },
    warn(message) {
      // One line each: a server-provided name with a newline must not forge a line of its own.
      writeErr(`${errChalk.yellow('warning:')} ${escapeForTerminal(message)}`);
    },
    error(message, hint) {
      writeErr(`${errChalk.red('error:')} ${escapeForTerminal(message)}`);
      if (hint !== undefined && hint !== '') writeErr(errChalk.dim(escapeMessage(hint)));
    },
    verbose(message) {
      if (isVerbose) writeErr(errChalk.dim(escapeMessage(message)));
    },
  };
}

/** An IO over in-memory streams, for tests: read what was written with `stdout()` / `stderr()`. */
export interface TestIO {
  readonly io: IO;
  /** Feed keys or piped input here. */
  readonly stdin: PassThrough;
  /** The stderr stream itself (isTTY/columns set as asked), e.g. for progress bars. */
  readonly stderrStream: Writable & { isTTY?: boolean; columns?: number };
  stdout(): string;
  stderr(): string;
}

/** Builds a TestIO; TTY flags default to false, env to {}, columns to 80. Captures writes synchronously. */
export function createTestIO(opts: Partial<Omit<IOOptions, 'stdin' | 'stdout' | 'stderr'>> = {}): TestIO {
  let outText = '';
  let errText = '';
  const stdin = new PassThrough();
  const stdout = new WritableStream({
    write(chunk: Buffer | string, _encoding, callback) {
      outText += chunk.toString();
      callback();
    },
  });
  const stderr: Writable & { isTTY?: boolean; columns?: number } = new WritableStream({
    write(chunk: Buffer | string, _encoding, callback) {
      errText += chunk.toString();
      callback();
    },
  });
  const isStderrTTY = opts.isStderrTTY ?? false;
  const columns = opts.columns ?? 80;
  // cli-progress and readline look at the stream itself, not at our flags.
  if (isStderrTTY) stderr.isTTY = true;
  stderr.columns = columns;
  const io = createIO({
    env: {},
    isStdinTTY: false,
    isStdoutTTY: false,
    ...opts,
    isStderrTTY,
    columns,
    stdin,
    stdout,
    stderr,
  });
  return { io, stdin, stderrStream: stderr, stdout: () => outText, stderr: () => errText };
}
