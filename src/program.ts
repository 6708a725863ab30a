/**
 * Builds a fresh commander program for one run, runs it, and turns whatever it throws into
 * one exit code and one clear message (the only place that does).
 */
import { Command, CommanderError, Help } from 'commander';
import type { Context, Runtime } from './context.js';
import { DirectlinkError, EXIT, type ExitCode, describeError, exitCodeFor, isAbortError } from './errors.js';
import type { IO, createIO as CreateIO } from './ui/io.js';

/** What a commands/ module exports: builds its commander command for one run. */
export type CommandBuilder = (ctx: Context, runtime: Runtime) => Command;

/** A command as the top-level help lists it, and how to load the real one. */
export interface CommandEntry {
  readonly name: string;
  readonly aliases: readonly string[];
  /** Its line in the top-level help's command list, as commander renders it for the real command. */
  readonly term: string;
  readonly description: string;
  readonly load: () => Promise<CommandBuilder>;
}

/**
 * Every command, in help order. Start-up: a run imports only the command it names, so
 * `directlink --help` loads none of them (nor chalk, picomatch, child_process…), and `get`
 * never loads `login`. The terms and descriptions are checked against the real commands by
 * test/program.test.ts.
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'login',
    aliases: [],
    term: 'login [options]',
    description: 'verify server, user and password, and store them as a profile',
    load: async () => (await import('./commands/login.js')).loginCommand,
  },
  {
    name: 'logout',
    aliases: [],
    term: 'logout [options]',
    description: 'end the session on the server and forget the stored password and token',
    load: async () => (await import('./commands/logout.js')).logoutCommand,
  },
  {
    name: 'list',
    aliases: ['ls'],
    term: 'list|ls [options] [pattern...]',
    description: 'list the files waiting for you (or, with --backup, those already fetched)',
    load: async () => (await import('./commands/list.js')).listCommand,
  },
  {
    name: 'get',
    aliases: [],
    term: 'get [options] [pattern...]',
    description: 'download files (finishing any interrupted downloads in the directory first)',
    load: async () => (await import('./commands/get.js')).getCommand,
  },
  {
    name: 'config',
    aliases: [],
    term: 'config [options]',
    description: 'show the active profile and the config file path (secrets are never shown)',
    load: async () => (await import('./commands/config.js')).configCommand,
  },
];

/**
 * The command argv asks for, as commander will dispatch it: the first argument that is not
 * an option (the top level has no option taking a value), or the one after `help`.
 * Undefined for the top-level help, --version, no command or an unknown one.
 */
export function requestedCommand(argv: readonly string[]): CommandEntry | undefined {
  const operands = argv.filter((arg) => !arg.startsWith('-'));
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  return COMMANDS.find((entry) => entry.name === name || entry.aliases.includes(name ?? ''));
}

/** Runs the CLI with argv (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], ctx: Context): Promise<ExitCode> {
  const requested = requestedCommand(argv);
  const build = await requested?.load();
  // Every command prints through an IO; the top-level help and --version need none.
  let createIO: typeof CreateIO | undefined = requested ? (await import('./ui/io.js')).createIO : undefined;
  const runtime: Runtime = {
    io: undefined,
    ioFor(options) {
      if (createIO === undefined) throw new Error('Failed to build the output: ui/io.js was not loaded before the command ran.');
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
  const program = buildProgram(ctx, runtime, requested && build ? { entry: requested, build } : undefined);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; everything else commander rejects is a usage error.
      // `directlink` alone shows the help too, but as an error: a script calling it by mistake
      // must not look successful.
      if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      return EXIT.usage;
    }
    createIO ??= (await import('./ui/io.js')).createIO;
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

function buildProgram(ctx: Context, runtime: Runtime, loaded: { entry: CommandEntry; build: CommandBuilder } | undefined): Command {
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

Exit status: 0 ok, 1 some files failed, 2 usage, 3 authentication, 4 server,
5 directory busy, 130 interrupted.
Docs: README.md`,
    );
  program.exitOverride();
  program.configureOutput({
    writeOut: (text) => ctx.stdout.write(text),
    writeErr: (text) => ctx.stderr.write(text),
  });

  // The commands not asked for are listed by name only (for the help and "Did you mean …?").
  const terms = new Map(COMMANDS.map((entry) => [entry.name, entry.term]));
  const help = new Help();
  program.configureHelp({ subcommandTerm: (command) => terms.get(command.name()) ?? help.subcommandTerm(command) });
  for (const entry of COMMANDS) {
    const command = loaded?.entry === entry ? loaded.build(ctx, runtime) : placeholder(entry);
    command.exitOverride();
    command.showSuggestionAfterError(true);
    program.addCommand(command);
  }
  return program;
}

/** Stands for a command in the top-level help; runCli loads the real one whenever argv names it. */
function placeholder(entry: CommandEntry): Command {
  return new Command(entry.name)
    .aliases([...entry.aliases])
    .description(entry.description)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new Error(`Failed to run ${entry.name}: the command was not loaded.`);
    });
}
