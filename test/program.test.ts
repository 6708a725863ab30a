/**
 * Start-up: program.ts lists the commands from a table and imports only the one argv names.
 * The table must say what the real commands say, and `--help` must load no command module
 * and no heavy package (checked on the built CLI with a module-load hook).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Context, Runtime } from '../src/context.js';
import { COMMANDS, requestedCommand } from '../src/program.js';

const BIN = resolve(import.meta.dirname, '../bin/directlink.js');

describe('the command table', () => {
  const ctx = { env: {}, cwd: '/', now: Date.now, pid: 1, version: '0.0.0', signal: new AbortController().signal } as unknown as Context;
  const runtime = { io: undefined, ioFor: () => { throw new Error('not in this test'); } } as unknown as Runtime;

  it.each(COMMANDS.map((entry) => [entry.name, entry] as const))('%s: name, aliases, help line and description match the real command', async (_name, entry) => {
    const command = (await entry.load())(ctx, runtime);
    expect(command.name()).toBe(entry.name);
    expect(command.aliases()).toEqual(entry.aliases);
    expect(new Help().subcommandTerm(command)).toBe(entry.term);
    expect(command.description()).toBe(entry.description);
  });

  it.each([
    [['get', '--all'], 'get'],
    [['ls'], 'list'],
    [['help', 'get'], 'get'],
    [['-h', 'config'], 'config'],
    [['--', 'logout'], 'logout'],
    [['--help'], undefined],
    [['help'], undefined],
    [['--version'], undefined],
    [['lsit'], undefined],
    [[], undefined],
  ])('argv %j asks for %s', (argv, name) => {
    expect(requestedCommand(argv)?.name).toBe(name);
  });
});

describe('start-up', () => {
  /** The modules a run of the built CLI loads, as file paths and package names. */
  function loadedBy(args: string[]): string[] {
    const hook = `data:text/javascript,${encodeURIComponent(
      "import { writeSync } from 'node:fs'; export async function load(url, context, next) { if (url.startsWith('file:')) writeSync(2, 'LOADED ' + url + '\\n'); return next(url, context); }",
    )}`;
    const register = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hook)});`)}`;
    const run = spawnSync(process.execPath, ['--import', register, BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 20_000 });
    expect(run.status).toBe(0);
    const root = pathToFileURL(resolve(import.meta.dirname, '..')).href;
    return run.stderr
      .split('\n')
      .filter((line) => line.startsWith('LOADED '))
      .map((line) => line.slice('LOADED '.length).replace(root + '/', ''))
      .map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path);
  }

  it('`--help` loads commander and the CLI wiring only', () => {
    const loaded = new Set(loadedBy(['--help']));
    expect([...loaded].filter((m) => !m.startsWith('dist/') && !m.startsWith('bin/'))).toEqual(['commander']);
    expect([...loaded].filter((m) => m.startsWith('dist/')).sort()).toEqual(['dist/cli.js', 'dist/errors.js', 'dist/program.js']);
  });

  it('`get --help` loads no network, config, progress or prompt package', () => {
    const loaded = new Set(loadedBy(['get', '--help']));
    for (const heavy of ['undici', 'conf', 'cli-progress', '@inquirer/core']) expect(loaded, heavy).not.toContain(heavy);
    expect([...loaded].filter((m) => m.startsWith('dist/commands/'))).toEqual(['dist/commands/get.js']);
  });
});
