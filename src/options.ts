/**
 * Flags shared by several commands, built once so every command spells and documents them
 * the same way, and the parsers that reject bad values with an example of a good one.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';

/** Adds the connection options shared by every server-facing command. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--server <url>', 'server base URL, e.g. https://host/directlink/v1 (env DIRECTLINK_SERVER)')
    .option('--user <name>', 'user name (env DIRECTLINK_USER)')
    .option('--password-stdin', 'read the password from standard input (or set DIRECTLINK_PASSWORD)')
    .option('--token <token>', 'use a bearer token obtained elsewhere (env DIRECTLINK_TOKEN)')
    .addOption(choiceOption('--auth <mode>', 'authentication: bearer (default; falls back to basic) or basic', ['bearer', 'basic'], 'basic'))
    .option('--profile <name>', 'stored profile to use (env DIRECTLINK_PROFILE)')
    .option('--retries <n>', 'retries for transient failures', parseCount('--retries', 0, 100))
    .option('--timeout <seconds>', 'give up on a connection idle this long', parsePositiveNumber('--timeout'))
    .option('--cacert <file>', 'trust the CA certificates in this PEM file too (or NODE_EXTRA_CA_CERTS)')
    .option('--insecure', 'do not verify TLS certificates (warns on every run)');
}

/** Adds the output options shared by every command. */
export function addOutputOptions(command: Command, { json = true }: { json?: boolean } = {}): Command {
  if (json) command.option('--json', 'machine-readable output on stdout');
  return command
    .option('-q, --quiet', 'print errors only')
    .option('-v, --verbose', 'log requests (secrets redacted)')
    .option('--no-color', 'no colours (also NO_COLOR)');
}

/** Commander parser for a whole number in [min, max]. */
export function parseCount(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`${flag} takes a whole number from ${min} to ${max}, e.g. ${flag} ${Math.min(max, Math.max(min, 4))}.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${flag} takes a whole number from ${min} to ${max}, e.g. ${flag} ${Math.min(max, Math.max(min, 4))}.`);
    return n;
  };
}

/** Commander parser for a number of seconds in (0, 86400]. */
export function parsePositiveNumber(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > 86_400) throw new InvalidArgumentError(`${flag} takes a number of seconds, e.g. ${flag} 30.`);
    return n;
  };
}

/** The raw selection flags shared by `list` and `get`, as commander hands them over. */
export interface SelectionFlags {
  ignoreCase?: boolean;
  id?: string[];
  newerThan?: string;
  olderThan?: string;
  minSize?: string;
  maxSize?: string;
  sort?: 'name' | 'size' | 'modified';
  reverse?: boolean;
  limit?: string;
}

/** Adds the selection and filter flags shared by `list` and `get`. */
export function addSelectionOptions(command: Command): Command {
  return command
    .option('-i, --ignore-case', 'match patterns case-insensitively')
    .option('--id <n>', 'pick a file by id (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--newer-than <when>', 'only files modified at or after this: a duration (2h, 7d) or a date (2026-11-30)')
    .option('--older-than <when>', 'only files modified before this: a duration (2h, 7d) or a date')
    .option('--min-size <size>', 'only files at least this big (e.g. 10MB, 512KiB)')
    .option('--max-size <size>', 'only files at most this big')
    .addOption(choiceOption('--sort <key>', 'sort by name (A→Z), size (largest first) or modified (newest first)', ['name', 'size', 'modified'], 'modified'))
    .option('--reverse', 'reverse the order')
    .option('--limit <n>', 'at most this many files (after sorting)');
}

/**
 * An option taking one of `choices` (listed in --help); anything else is a usage error that
 * names the choices and shows `example` in a whole command-line fragment.
 */
export function choiceOption(flags: string, description: string, choices: readonly string[], example: string): Option {
  const option = new Option(flags, description).choices(choices);
  const flag = option.long ?? flags.split(/[ ,]/)[0] ?? flags;
  return option.argParser((value: string) => {
    if (!choices.includes(value)) {
      throw new InvalidArgumentError(`${flag} takes one of ${choices.join(', ')}, e.g. ${flag} ${example}.`);
    }
    return value;
  });
}
