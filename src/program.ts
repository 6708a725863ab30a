/**
 * Builds a fresh commander program for one run, runs it, and turns whatever it throws into
 * one exit code and one clear message (the only place that does).
 */
import { Command, CommanderError } from 'commander';
import { configCommand } from './commands/config.js';
import { getCommand } from './commands/get.js';
import { listCommand } from './commands/list.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import type { Context, Runtime } from './context.js';
import { DirectlinkError, EXIT, type ExitCode, describeError, exitCodeFor, isAbortError } from './errors.js';
import { createIO, type IO } from './ui/io.js';

/** Runs the CLI with argv (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], ctx: Context): Promise<ExitCode> {
  const runtime: Runtime = {
    io: undefined,
    ioFor(options) {
      this.io ??= createIO({
        stdin: ctx.stdin,
        stdout: ctx.stdout,
        stderr: ctx.stderr,
        env: ctx.env,
        isStdoutTTY: Boolean(ctx.stdout.isTTY),
        isStderrTTY: Boolean(ctx.stderr.isTTY),
        isStdinTTY: Boolean(ctx.stdin.isTTY),
        color: options.color !== false,
        quiet: options.quiet ?? false,
        json: options.json ?? false,
        verbose: options.verbose ?? false,
        columns: ctx.stdout.columns ?? ctx.stderr.columns ?? 80,
      });
      return this.io;
    },
  };
  const program = buildProgram(ctx, runtime);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; everything else commander rejects is a usage error.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    return reportError(error, runtime.io ?? runtime.ioFor({}), ctx);
  }
}

/** Prints one line (plus a hint) for an error and returns its exit code. Stack traces only with --verbose. */
function reportError(error: unknown, io: IO, ctx: Context): ExitCode {
  const code = exitCodeFor(error);
  if (ctx.signal.aborted && (code === EXIT.interrupted || isAbortError(error))) {
    io.error('Interrupted: partial downloads are kept; the next `directlink get` in the same directory finishes them.');
    return EXIT.interrupted;
  }
  if (error instanceof DirectlinkError) {
    io.error(error.message, error.hint);
  } else {
    io.error(`Unexpected failure: ${describeError(error)}`, 'This is a bug in directlink; please report it with the output of --verbose.');
  }
  if (error instanceof Error && error.stack) io.verbose(error.stack);
  return code;
}

function buildProgram(ctx: Context, runtime: Runtime): Command {
  const program = new Command('directlink')
    .description('Download files from STCP DirectLink servers: safe, resumable, fast.')
    .version(ctx.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ directlink login                       # store server, user and password
  $ directlink list '*.csv'                # what is waiting
  $ directlink get --all -o ~/inbox        # download everything, safely
  $ directlink get --backup 'NF-2026-*'    # fetch again from the backup area

Exit status: 0 ok, 1 some files failed, 2 usage, 3 authentication, 4 server, 5 directory busy, 130 interrupted.
Docs: README.md`,
    );
  program.exitOverride();
  program.configureOutput({
    writeOut: (text) => ctx.stdout.write(text),
    writeErr: (text) => ctx.stderr.write(text),
  });

  for (const build of [loginCommand, logoutCommand, listCommand, getCommand, configCommand]) {
    const command = build(ctx, runtime);
    command.exitOverride();
    command.showSuggestionAfterError(true);
    program.addCommand(command);
  }
  return program;
}
