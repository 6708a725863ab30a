/**
 * Help that teaches, through the built CLI: every command's --help ends with 2–4 examples
 * whose flags all exist; a mistyped command or option gets "Did you mean …?"; --version.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

let home: { path: string; cleanup(): void };

beforeAll(() => {
  home = tempDir();
});

afterAll(() => {
  home.cleanup();
});

const version = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;

/** The `$ …` lines under "Examples:". */
function examples(help: string): string[] {
  const section = help.split(/^Examples:$/m)[1] ?? '';
  return section
    .split('\n')
    .filter((line) => /^ {2}\$ /.test(line))
    .map((line) => line.replace(/^ {2}\$ /, ''));
}

/** The long flags of the directlink part of an example (`--no-x` counts as `--x`'s negation). */
function flagsOf(example: string): string[] {
  const start = example.indexOf('directlink ');
  const command = example
    .slice(start)
    .replace(/\s+#.*$/, '')
    .split('|')[0]!
    // Quoted arguments are values, never flags.
    .replace(/'[^']*'|"[^"]*"/g, 'ARG');
  return command.split(/\s+/).filter((token) => token.startsWith('--'));
}

describe('--help', () => {
  const commands = [[], ['login'], ['logout'], ['list'], ['get'], ['config']];

  it('every command shows 2–4 examples, and every flag in them is a real option of that command', async () => {
    const runs = await Promise.all(commands.map((command) => runCli([...command, '--help'], { home: home.path })));
    runs.forEach((run, i) => {
      const name = commands[i]!.join(' ') || 'directlink';
      expect(run.code, name).toBe(0);
      expect(run.stderr, name).toBe('');
      const shown = examples(run.stdout);
      expect(shown.length, `${name}: ${shown.join('\n')}`).toBeGreaterThanOrEqual(2);
      expect(shown.length, `${name}: ${shown.join('\n')}`).toBeLessThanOrEqual(4);
      for (const example of shown) {
        expect(example, name).toContain('directlink');
        for (const flag of flagsOf(example)) {
          const known = new RegExp(`(^|[ ,])${flag.replace(/^--no-/, '--(no-)?')}\\b`, 'm');
          expect(run.stdout, `${name}: ${flag} in "${example}"`).toMatch(known);
        }
      }
    });
  });

  it('`help get` is `get --help`; the top-level help lists the commands and the exit codes', async () => {
    const [viaHelp, viaFlag, top] = await Promise.all([
      runCli(['help', 'get'], { home: home.path }),
      runCli(['get', '--help'], { home: home.path }),
      runCli(['--help'], { home: home.path }),
    ]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    for (const command of ['login', 'logout', 'list', 'get', 'config']) expect(top.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    expect(top.stdout).toMatch(/Exit status: 0 ok, 1 some files failed, 2 usage, 3 authentication, 4 server,\s+5 directory busy, 130 interrupted/);
    expect(top.stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
  });

  it('directlink alone shows the help as a usage error (exit 2), so a script calling it by mistake fails', async () => {
    const run = await runCli([], { home: home.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Usage: directlink/);
  });
});

describe('mistakes', () => {
  it('suggests the closest command or option and exits 2', async () => {
    const cases: [string[], RegExp][] = [
      [['lsit'], /unknown command 'lsit'\n\(Did you mean list\?\)/],
      [['gte', '--all'], /\(Did you mean get\?\)/],
      [['get', '--on-conflit', 'skip'], /unknown option '--on-conflit'\n\(Did you mean --on-conflict\?\)/],
      [['list', '--newr-than', '2h'], /\(Did you mean --newer-than\?\)/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args, { home: home.path })));
    runs.forEach((run, i) => {
      const [args, message] = cases[i]!;
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stdout, args.join(' ')).toBe('');
    });
    expect(runs[4]!.stderr).not.toMatch(/Did you mean/);
  });
});

describe('--version', () => {
  it('prints the package version alone on stdout, with -V too', async () => {
    const [long, short] = await Promise.all([runCli(['--version'], { home: home.path }), runCli(['-V'], { home: home.path })]);
    for (const run of [long, short]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`${version}\n`);
      expect(run.stderr).toBe('');
    }
  });
});
