/**
 * Selection and filters shared by `list` and `get`, through the built CLI against the
 * emulator: globs (and -i), --id, --newer-than/--older-than (durations and ISO dates),
 * --min-size/--max-size, --sort, --reverse, --limit; and every bad value is exit 2 with an
 * example, before any request reaches the server.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type EmulatorFile } from '../emulator/server.js';
import { runCli, tempDir, type CliRun } from '../support/cli.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let emulator: Emulator;
let home: { path: string; cleanup(): void };
let env: Record<string, string>;
let files: Record<string, EmulatorFile>;

beforeAll(async () => {
  emulator = await startEmulator();
  home = tempDir();
  env = { DIRECTLINK_SERVER: emulator.baseUrl, DIRECTLINK_USER: 'demo', DIRECTLINK_PASSWORD: 'demo-password' };
  const now = Date.now();
  // Listing order (by id) is the order below; sizes and ages are chosen so that every filter
  // boundary is exercised: 10MB is decimal (10,000,000 bytes), newer-than is inclusive.
  const added = emulator.addFiles('demo', [
    { name: 'a.csv', content: 'a'.repeat(500), modified: now - 1 * HOUR },
    { name: 'B.CSV', content: 'b'.repeat(1500), modified: now - 3 * HOUR },
    { name: 'NF-01.xml', generated: { size: 10_000_000 }, modified: now - 3 * DAY },
    { name: 'NF-02.xml', generated: { size: 9_999_999 }, modified: now - 10 * DAY },
    { name: 'notes.txt', content: '', modified: Date.UTC(2025, 0, 15) },
    { name: 'f10.log', content: 'ten', modified: now - 2 * DAY },
    { name: 'f2.log', content: 'two!', modified: now - 4 * DAY },
  ]);
  files = Object.fromEntries(added.map((f) => [f.name, f]));
});

afterAll(async () => {
  await emulator.close();
  home.cleanup();
});

/** Runs `fn` over `items`, `width` at a time (two cores; each CLI spawn is a whole Node start). */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) results.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return results;
}

const listNames = (run: CliRun): string[] => (JSON.parse(run.stdout) as { name: string }[]).map((entry) => entry.name);

describe('list filters', () => {
  const id = (name: string): string => String(files[name]!.id);
  // Rows combine flags where one spawn can still tell each of them apart (a spawn is ~0.5 s).
  const cases: [string, () => string[], string[]][] = [
    ['globs are case-sensitive; ? matches one character', () => ['*.csv', 'NF-0?.xml'], ['a.csv', 'NF-01.xml', 'NF-02.xml']],
    ['-i, {a,b} and --sort name (f2 before f10)', () => ['-i', '*.CSV', '*.{log,txt}', '--sort', 'name'], ['a.csv', 'B.CSV', 'f2.log', 'f10.log', 'notes.txt']],
    ['--id is repeatable and adds to patterns', () => ['--id', id('notes.txt'), '--id', id('B.CSV'), 'f2*'], ['B.CSV', 'notes.txt', 'f2.log']],
    ['--newer-than a duration', () => ['--newer-than', '2h'], ['a.csv']],
    ['--older-than a duration', () => ['--older-than', '7d'], ['NF-02.xml', 'notes.txt']],
    ['--newer-than and --older-than as ISO dates', () => ['--newer-than', '2025-01-15', '--older-than', '2025-01-16T00:00:00Z'], ['notes.txt']],
    ['--min-size 10MB is decimal and inclusive', () => ['--min-size', '10MB'], ['NF-01.xml']],
    ['--max-size 1KiB, --sort size --reverse (smallest first), --limit', () => ['--max-size', '1KiB', '--sort', 'size', '--reverse', '--limit', '3'], ['notes.txt', 'f10.log', 'f2.log']],
    ['--sort modified: newest first', () => ['--sort', 'modified', '--limit', '2'], ['a.csv', 'B.CSV']],
  ];

  it('selects exactly the expected files, in the expected order', async () => {
    const runs = await inBatches(cases, 4, ([, args]) => runCli(['list', '--json', ...args()], { home: home.path, env }));
    runs.forEach((run, i) => {
      const [title, , expected] = cases[i]!;
      expect(run.code, `${title}: ${run.stderr}`).toBe(0);
      expect(listNames(run), title).toEqual(expected);
    });
    // Listing never moves a file.
    expect(emulator.files('demo', 'inbox')).toHaveLength(7);
  });
});

describe('get shares the selection', () => {
  it('downloads only what patterns, filters, sort and limit leave, and warns about a pattern that matched nothing', async () => {
    const out = join(home.path, 'get-selection');
    const run = await runCli(['get', '-i', '*.csv', 'NF-*', 'nothing-*', '--max-size', '2KB', '--sort', 'size', '--limit', '1', '-o', out], { home: home.path, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: No file matches "nothing-\*"/);
    expect(readdirSync(out)).toEqual(['B.CSV']);
    const fetched = emulator.requests.filter((r) => r.path.includes('/download/file'));
    expect(fetched).toHaveLength(1);
    expect(emulator.files('demo', 'backup').map((f) => f.name)).toEqual(['B.CSV']);

    const byId = await runCli(['get', '--id', String(files['f2.log']!.id), '--older-than', '1d', '-o', out], { home: home.path, env });
    expect(byId.code, byId.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['B.CSV', 'f2.log']);
  });
});

describe('bad values', () => {
  const cases: [string[], RegExp][] = [
    [['list', '--newer-than', 'yesterday'], /--newer-than "yesterday".*e\.g\. 2h, 7d.*2026-11-30/],
    [['list', '--older-than', '2026-02-30'], /--older-than "2026-02-30": no such date.*e\.g\. 2026-11-30/],
    [['list', '--min-size', '10XB'], /--min-size "10XB".*e\.g\. .*10MB/],
    [['get', '--all', '--max-size', 'big'], /--max-size "big".*e\.g\. .*10MB/],
    [['list', '--sort', 'date'], /--sort takes one of name, size, modified, e\.g\. --sort modified/],
    [['list', '--limit', '0'], /--limit "0".*e\.g\. --limit 4/],
    [['get', '--id', 'abc'], /--id "abc".*e\.g\. --id 3/],
    [['get', '--all', '--on-conflict', 'replace'], /--on-conflict takes one of rename, skip, overwrite, fail, e\.g\. --on-conflict skip/],
    [['get', '--all', '-c', '0'], /--concurrency takes a whole number from 1 to 64, e\.g\. --concurrency 4/],
    [['get', ''], /pattern "": .*must not be empty, e\.g\. '\*\.csv'/],
    [['get', '--all', '*.csv'], /--all .* cannot be combined .*\n.*Example: directlink get/],
    [['get', '--newer-than', '1d'], /Nothing selected: .*\n.*Example: directlink get --all/],
    [['list', '--min-size', '10MB', '--max-size', '1MB'], /--min-size 10MB is larger than --max-size 1MB.*\n.*Example: --min-size 1MB --max-size 10MB/],
    [['list', '--newer-than', '1d', '--older-than', '2d'], /--newer-than 1d is not before --older-than 2d.*\n.*Example: --newer-than 7d --older-than 1d/],
  ];

  it('exits 2 with a message showing a valid example, before any request', async () => {
    const before = emulator.requests.length;
    const runs = await inBatches(cases, 4, ([args]) => runCli(args, { home: home.path, env }));
    runs.forEach((run, i) => {
      const [args, message] = cases[i]!;
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stdout, args.join(' ')).toBe('');
    });
    expect(emulator.requests.length).toBe(before);
  });
});
