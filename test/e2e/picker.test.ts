/**
 * The interactive picker of `get`, driven like a person drives it: the built CLI runs in a
 * real pseudo-terminal (a detached tmux session, 80×30), keys go in with `send-keys`, the
 * screen comes back with `capture-pane`. Each test has its own tmux server (`-L`), killed
 * in afterEach; every wait polls with a deadline.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { BIN, tempDir } from '../support/cli.js';

const run = promisify(execFile);
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

const quote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** One tmux server on its own socket, running one command in an 80×30 window. */
class Terminal {
  private static count = 0;
  readonly socket = `directlink-picker-${process.pid}-${++Terminal.count}`;
  lastScreen = '';

  private async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { timeout: 5000 });
    return stdout;
  }

  async start(script: string): Promise<void> {
    await this.tmux('new-session', '-d', '-s', 'dl', '-x', '80', '-y', '30', `sh ${quote(script)}`);
  }

  /** Keys by tmux name (`Down`, `Space`, `Enter`, `Escape`, `C-c`, `NPage`, `a`). */
  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', 'dl', ...keys);
  }

  /** Literal text, as typed. */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', 'dl', '-l', text);
  }

  /** The screen, wrapped lines joined (-J) so a line wider than the terminal shows as such. */
  async screen(): Promise<string> {
    this.lastScreen = await this.tmux('capture-pane', '-p', '-J', '-t', 'dl');
    return this.lastScreen;
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
  }
}

/** Polls `check` every 50 ms until it holds, for at most `timeoutMs`. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, describeState: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last screen:\n${describeState()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let emulator: Emulator;
let home: { path: string; cleanup(): void };
let out: string;
let terminal: Terminal;

beforeEach(async () => {
  emulator = await startEmulator();
  home = tempDir();
  out = join(home.path, 'out');
  terminal = new Terminal();
});

afterEach(async () => {
  await terminal.kill();
  await emulator.close();
  home.cleanup();
});

/**
 * Starts `directlink ARGS` in the terminal with a clean environment (no CI variables, so the
 * terminal counts as interactive). stdout goes to a file; stdin and stderr are the terminal.
 */
async function startCli(args: string[]): Promise<{ screenShows(text: string | RegExp): Promise<void>; exitCode(): Promise<number>; stdout(): string }> {
  const exitFile = join(home.path, 'exit-code');
  const stdoutFile = join(home.path, 'stdout');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home.path,
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    TERM: 'xterm-256color',
    DIRECTLINK_SERVER: emulator.baseUrl,
    DIRECTLINK_USER: 'demo',
    DIRECTLINK_PASSWORD: 'demo-password',
  };
  const script = join(home.path, 'run.sh');
  writeFileSync(
    script,
    [
      `cd ${quote(home.path)}`,
      `env -i ${Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`).join(' ')} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')} > ${quote(stdoutFile)}`,
      `echo $? > ${quote(exitFile)}.tmp && mv ${quote(exitFile)}.tmp ${quote(exitFile)}`,
      // Keep the window open so its last screen can still be read.
      'exec sleep 120',
      '',
    ].join('\n'),
  );
  await terminal.start(script);
  return {
    async screenShows(text) {
      const matches = (screen: string): boolean => (typeof text === 'string' ? screen.includes(text) : text.test(screen));
      await waitFor(`${String(text)} on screen`, async () => matches(await terminal.screen()), () => terminal.lastScreen);
    },
    async exitCode() {
      await waitFor('the CLI to exit', () => existsSync(exitFile), () => terminal.lastScreen);
      await terminal.screen();
      return Number(readFileSync(exitFile, 'utf8').trim());
    },
    stdout: () => readFileSync(stdoutFile, 'utf8'),
  };
}

const downloadRequests = (): number => emulator.requests.filter((r) => r.path.includes('/download/file')).length;
const inbox = (): string[] => emulator.files('demo', 'inbox').map((f) => f.name);
const MINUTE = 60_000;
const BASE = Date.UTC(2026, 10, 30, 12, 0, 0);

describe.skipIf(!hasTmux)('get picker in a pseudo-terminal', () => {
  it('shows name, size and date newest first; space toggles; enter downloads exactly the two chosen files', async () => {
    emulator.addFiles('demo', [
      { name: 'oldest.txt', content: 'o', modified: BASE },
      { name: 'report.csv', content: 'r'.repeat(2048), modified: BASE + 1 * MINUTE },
      { name: 'middle.txt', content: 'm', modified: BASE + 2 * MINUTE },
      { name: 'NF-2026.xml', content: '<nf/>', modified: BASE + 3 * MINUTE },
      { name: 'newest.bin', content: 'n'.repeat(10), modified: BASE + 4 * MINUTE },
    ]);
    const cli = await startCli(['get', '-o', out]);
    await cli.screenShows('0 of 5 selected');
    const rows = terminal.lastScreen.split('\n').filter((line) => /\[[ x]\]/.test(line));
    expect(rows.map((line) => /\] (\S+)/.exec(line)?.[1])).toEqual(['newest.bin', 'NF-2026.xml', 'middle.txt', 'report.csv', 'oldest.txt']);
    expect(rows[3]).toMatch(/report\.csv\s+2\.0 KiB\s+2026-11-30 12:01$/);
    expect(terminal.lastScreen).toMatch(/space select {2}a all {2}i invert {2}\/ filter {2}enter confirm {2}esc cancel/);

    // Row 2 (NF-2026.xml) and row 4 (report.csv).
    await terminal.keys('Down', 'Space', 'Down', 'Down', 'Space');
    await cli.screenShows('2 of 5 selected (2.0 KiB)');
    await terminal.keys('Enter');
    expect(await cli.exitCode()).toBe(0);
    expect(terminal.lastScreen).toMatch(/Select files to download from the user's area 2 selected/);
    expect(readdirSync(out).sort()).toEqual(['NF-2026.xml', 'report.csv']);
    expect(readFileSync(join(out, 'report.csv'), 'utf8')).toBe('r'.repeat(2048));
    expect(downloadRequests()).toBe(2);
    expect(inbox().sort()).toEqual(['middle.txt', 'newest.bin', 'oldest.txt']);
  });

  it('Esc cancels: exit 130, not one download request, nothing left in the directory; --pick pre-filters by pattern', async () => {
    emulator.addFiles('demo', [
      { name: 'a.csv', content: 'a' },
      { name: 'b.txt', content: 'b' },
      { name: 'c.csv', content: 'c' },
    ]);
    const cli = await startCli(['get', '--pick', '*.csv', '-o', out]);
    await cli.screenShows('0 of 2 selected');
    expect(terminal.lastScreen).not.toContain('b.txt');
    await terminal.keys('a');
    await cli.screenShows('2 of 2 selected');
    await terminal.keys('Escape');
    expect(await cli.exitCode()).toBe(130);
    expect(terminal.lastScreen).toContain('Cancelled: nothing was downloaded.');
    expect(downloadRequests()).toBe(0);
    expect(inbox()).toEqual(['a.csv', 'b.txt', 'c.csv']);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('Ctrl-C cancels too: exit 130 and nothing downloaded', async () => {
    emulator.addFiles('demo', [{ name: 'a.txt', content: 'a' }, { name: 'b.txt', content: 'b' }]);
    mkdirSync(out);
    const cli = await startCli(['get', '-o', out]);
    await cli.screenShows('0 of 2 selected');
    await terminal.keys('Space');
    await cli.screenShows('1 of 2 selected');
    await terminal.keys('C-c');
    expect(await cli.exitCode()).toBe(130);
    expect(downloadRequests()).toBe(0);
    expect(inbox()).toEqual(['a.txt', 'b.txt']);
    expect(readdirSync(out)).toEqual([]);
  });

  it('pages 2,000 files within 80 columns; a selects all, i inverts, / filters by typing', async () => {
    emulator.addFiles(
      'demo',
      Array.from({ length: 2000 }, (_, i) => ({ name: `file-${String(i).padStart(4, '0')}-${'x'.repeat(40 + (i % 50))}.dat`, content: String(i), modified: BASE + i * MINUTE })),
    );
    const cli = await startCli(['get', '--dry-run', '--json', '-o', out]);
    await cli.screenShows('0 of 2000 selected (0 B) · 1-15 of 2000');
    const lines = terminal.lastScreen.split('\n');
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(80);
    // Newest first: the last file added is on top; long names are shortened in the middle.
    expect(lines.find((line) => line.startsWith('❯'))).toMatch(/^❯ \[ \] file-1999-x+…x+\.dat\s+4 B {2}2026-12-01 21:19$/);

    await terminal.keys('NPage');
    await cli.screenShows('· 16-30 of 2000');
    await terminal.keys('a');
    await cli.screenShows('2000 of 2000 selected');
    await terminal.keys('i');
    await cli.screenShows('0 of 2000 selected');

    await terminal.keys('/');
    await terminal.type('file-000');
    await cli.screenShows('0 of 2000 selected (0 B) · 10 shown');
    await terminal.keys('Enter', 'a');
    await cli.screenShows('10 of 2000 selected');
    // Drop the filter (the selection stays), then take the top row too: file-1999.
    await terminal.keys('/', 'C-u', 'Enter');
    await cli.screenShows('10 of 2000 selected (10 B) · 1-15 of 2000');
    await terminal.keys('Space');
    await cli.screenShows('11 of 2000 selected');
    await terminal.keys('Enter');
    expect(await cli.exitCode()).toBe(0);
    const plan = JSON.parse(cli.stdout()) as { planned: { name: string }[] };
    expect(plan.planned.map((p) => p.name.slice(0, 9)).sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `file-000${i}`), 'file-1999']);
    expect(downloadRequests()).toBe(0);
  });
});
