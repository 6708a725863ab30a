/**
 * Hostile file names from the server, end to end: every file lands inside the output
 * directory under a distinct safe name, nothing is written anywhere else, and no raw control
 * byte reaches the terminal from `list`, `get` lines, dry runs or error messages, while
 * `--json` keeps the exact strings.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type EmulatorFile } from '../emulator/server.js';
import { BIN, childEnv, collect, runCli, type CliRun } from '../support/cli.js';
import { useCliWorld } from '../support/world.js';
import { RAW_CONTROL } from './security-support.js';

const w = useCliWorld();

const ESC = '\u001b';

/** Names a hostile or broken server might list; `abs` is an absolute path that must stay untouched. */
function hostileNames(abs: string): string[] {
  return [
    '../../escaped-up.txt',
    '..',
    '.',
    abs,
    'a\\b.txt',
    'dir/inner.txt',
    'dir_inner.txt',
    'CON',
    'con.txt',
    'NUL.tar.gz',
    `${ESC}[31mred${ESC}[0m.txt`,
    `${ESC}]0;owned title${'\u0007'}.txt`,
    `csi-${'\u009b'}2J.txt`,
    'line\nbreak.txt',
    'carriage\rreturn.txt',
    'tab\there.txt',
    'spoof-\u202etxt.exe',
    'lone-\ud800-surrogate.txt',
    `${'a'.repeat(296)}.txt`,
    `${'é'.repeat(150)}.csv`,
    'dup.txt',
    'dup.txt',
    'DUP.txt',
    'trailing-dot.',
    '.directlink.lock',
    '.x.directlink-part',
    ' ',
  ];
}

function addHostile(): { files: EmulatorFile[]; abs: string } {
  const abs = join(w.home.path, 'absolute-target.txt');
  const files = w.emulator.addFiles('demo', hostileNames(abs).map((name, i) => ({ name, content: `content #${i} of ${JSON.stringify(name)}\n` })));
  return { files, abs };
}

const sha = (buffer: Buffer): string => createHash('sha256').update(buffer).digest('hex');

function expectNoRawControl(run: CliRun): void {
  expect(run.stdout, 'stdout').not.toMatch(RAW_CONTROL);
  expect(run.stderr, 'stderr').not.toMatch(RAW_CONTROL);
  // Bidi overrides reorder what follows them on screen.
  expect(run.stdout + run.stderr).not.toContain('\u202e');
}

interface Summary {
  downloaded: { id: number; name: string; path: string; size: number }[];
  skipped: unknown[];
  failed: { id: number; name: string; error: string }[];
}

describe('get with hostile names', () => {
  it('puts every file inside the output directory, under distinct names, byte-exact', async () => {
    const { files, abs } = addHostile();
    const out = join(w.home.path, 'out');
    const run = await runCli(['get', '--all', '--json', '-o', out], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expectNoRawControl({ ...run, stdout: '' });
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.failed).toEqual([]);
    expect(summary.downloaded).toHaveLength(files.length);

    const realOut = realpathSync(out);
    const paths = summary.downloaded.map((d) => d.path);
    expect(new Set(paths).size).toBe(files.length);
    for (const entry of summary.downloaded) {
      // One segment below the output directory: no traversal, no absolute path, no subdirectory.
      expect(dirname(realpathSync(entry.path))).toBe(realOut);
      expect(Buffer.byteLength(entry.path.slice(out.length + 1))).toBeLessThanOrEqual(255);
      expect(sha(readFileSync(entry.path))).toBe(w.emulator.sha256Of('demo', entry.id));
    }
    // Exactly those files are there (no temp file, no lock), and nothing was written elsewhere.
    expect(readdirSync(out).sort()).toEqual(paths.map((p) => p.slice(out.length + 1)).sort());
    expect(existsSync(abs)).toBe(false);
    expect(readdirSync(w.home.path).sort()).toEqual(['.config', 'out'].filter((n) => existsSync(join(w.home.path, n))).sort());
    expect(existsSync(join(w.home.path, '..', 'escaped-up.txt'))).toBe(false);

    // --json keeps the exact server strings.
    expect(summary.downloaded.map((d) => d.name).sort()).toEqual(files.map((f) => f.name).sort());
  });

  it('shows names escaped in the per-file lines and the summary', async () => {
    addHostile();
    const run = await runCli(['get', '--all', '-o', join(w.home.path, 'plain')], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expectNoRawControl(run);
    expect(run.stderr).toContain('\\x1b[31mred\\x1b[0m.txt');
    expect(run.stderr).toContain('line\\nbreak.txt');
    expect(run.stderr).toContain('\\u202etxt.exe');
    // One line per file plus the summary: a name can't add lines.
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('downloaded '))).toHaveLength(hostileNames('x').length);
  });

  it('escapes names in --dry-run output and keeps them exact in --dry-run --json', async () => {
    const { files } = addHostile();
    const human = await runCli(['get', '--all', '--dry-run', '-o', join(w.home.path, 'dry')], { home: w.home.path, env: w.env });
    const json = await runCli(['get', '--all', '--dry-run', '--json', '-o', join(w.home.path, 'dry')], { home: w.home.path, env: w.env });
    expect(human.code, human.stderr).toBe(0);
    expect(json.code, json.stderr).toBe(0);
    expectNoRawControl(human);
    expect(human.stdout.trimEnd().split('\n').filter((l) => l.startsWith('would get'))).toHaveLength(files.length);
    const plan = JSON.parse(json.stdout) as { planned: { name: string; path: string }[] };
    expect(plan.planned.map((p) => p.name).sort()).toEqual(files.map((f) => f.name).sort());
    expect(new Set(plan.planned.map((p) => p.path)).size).toBe(files.length);
    // A dry run downloads nothing and creates nothing.
    expect(w.emulator.files('demo', 'inbox')).toHaveLength(files.length);
  });

  it('escapes names in failure lines and error messages; --json keeps them exact', async () => {
    const names = [`${ESC}[2J${ESC}[Hwiped.txt`, `${ESC}]8;;http://evil.example${ESC}\\link${ESC}]8;;${ESC}\\.txt`];
    w.emulator.addFiles('demo', names.map((name) => ({ name, content: 'x' })));
    w.emulator.inject({ kind: 'status', status: 500, times: Infinity, match: { endpoint: 'file' } });
    const plain = await runCli(['get', '--all', '--retries', '0', '-o', join(w.home.path, 'f1')], { home: w.home.path, env: w.env });
    expect(plain.code).toBe(4);
    expectNoRawControl(plain);
    expect(plain.stderr).toContain('failed \\x1b[2J\\x1b[Hwiped.txt: ');
    expect(plain.stderr).toContain('\\x1b]8;;http://evil.example\\x1b\\link');

    const json = await runCli(['get', '--all', '--retries', '0', '--json', '-o', join(w.home.path, 'f2')], { home: w.home.path, env: w.env });
    expect(json.code).toBe(4);
    expect(json.stderr).not.toMatch(RAW_CONTROL);
    const summary = JSON.parse(json.stdout) as Summary;
    expect(summary.failed.map((f) => f.name).sort()).toEqual([...names].sort());
  });

  // KNOWN BUG (not in this helper's files): transfer/download.ts puts the raw name into the
  // error text ("Failed to download <name>: …") and ui/progress.ts renders event.error with
  // escapeMessage, which keeps "\n" — so a name with a newline forges a line of its own.
  // Fix: render event.error (and event.reason) with escapeForTerminal in both reporters.
  it('a newline in a failing name does not forge a line of its own', async () => {
    w.emulator.addFiles('demo', [{ name: 'evil\ndownloaded passwords.txt -> /etc/passwd (1 KiB)', content: 'x' }]);
    w.emulator.inject({ kind: 'status', status: 500, times: Infinity, match: { endpoint: 'file' } });
    const run = await runCli(['get', '--all', '--retries', '0', '-o', join(w.home.path, 'nl')], { home: w.home.path, env: w.env });
    expect(run.code).toBe(4);
    expect(run.stderr).not.toMatch(/^downloaded passwords/m);
    expect(run.stderr.trimEnd().split('\n').filter((l) => l.startsWith('failed '))).toHaveLength(1);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(4);
  });
});

// util-linux `script` gives the CLI a pseudo-terminal, so the progress bars are drawn.
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasScript)('progress bars on a terminal', () => {
  it('draw hostile names escaped: the only escape sequences are our own cursor and colour codes', async () => {
    w.emulator.addFiles('demo', [`${ESC}]0;owned title${'\u0007'}.txt`, `${ESC}[31mred${ESC}[0m.txt`, 'spoof-\u202etxt.exe', 'big.bin'].map((name, i) => ({ name, generated: { size: 1_000_000 + i } })));
    const out = join(w.home.path, 'tty');
    const command = [process.execPath, BIN, 'get', '--all', '-o', out].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: childEnv(w.home.path, { ...w.env, TERM: 'xterm', COLUMNS: '100' }), stdio: ['pipe', 'pipe', 'pipe'] });
    const run = await collect(child);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const screen = run.stdout + run.stderr;
    expect(screen).toContain('\\x1b]0;owned title\\x07.txt');
    expect(screen).toContain('\\x1b[31mred\\x1b[0m.txt');
    // Remove what we draw ourselves: SGR colours, cursor moves and erases, cursor show/hide.
    // eslint-disable-next-line no-control-regex
    const ours = /\u001b\[(?:\d+(?:;\d+)*)?[mGKJAB]|\u001b\[\?25[lh]/g;
    const foreign = screen.replace(ours, '').replace(/\r\n|\r|\n/g, '');
    expect(foreign).not.toMatch(RAW_CONTROL);
    expect(foreign).not.toContain('\u202e');
    expect(readdirSync(out)).toHaveLength(4);
  });
});

describe('list with hostile names', () => {
  it('the table holds no raw control byte and shows them visibly; piped output keeps whole names', async () => {
    addHostile();
    const run = await runCli(['list'], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expectNoRawControl(run);
    expect(run.stdout).toContain('\\x1b[31mred\\x1b[0m.txt');
    expect(run.stdout).toContain('\\x1b]0;owned title\\x07.txt');
    expect(run.stdout).toContain('csi-\\x9b2J.txt');
    expect(run.stdout).toContain('line\\nbreak.txt');
    expect(run.stdout).toContain('spoof-\\u202etxt.exe');
    expect(run.stdout).toContain('a'.repeat(296));
    // Header, one row per file, footer: no name adds a line.
    const rows = run.stdout.trimEnd().split('\n');
    expect(rows.length).toBeGreaterThanOrEqual(hostileNames('x').length + 2);
    expect(rows.length).toBeLessThanOrEqual(hostileNames('x').length + 3);
  });

  it('with colours forced on, the only escape sequences are our own colours', async () => {
    addHostile();
    const run = await runCli(['list'], { home: w.home.path, env: { ...w.env, FORCE_COLOR: '1' } });
    expect(run.code, run.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex
    const withoutOurColours = run.stdout.replace(/\u001b\[\d+(;\d+)*m/g, '');
    expect(withoutOurColours).not.toMatch(RAW_CONTROL);
    expect(run.stdout).not.toContain(`${ESC}]0;`);
    expect(run.stdout).not.toContain(`${ESC}[31mred`);
  });

  it('--json keeps the exact strings', async () => {
    const { files } = addHostile();
    const run = await runCli(['list', '--json'], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    const entries = JSON.parse(run.stdout) as { id: number; name: string }[];
    expect(entries.map((e) => e.name)).toEqual(files.map((f) => f.name));
  });

  // KNOWN BUG (ui/render.ts + commands, not in this helper's files): JSON.stringify escapes
  // C0 controls but writes C1 controls (U+009B is a one-byte CSI on some terminals) and bidi
  // overrides raw, so `list --json` / `get --json` on a terminal still send them. JSON allows
  // "\u009b" with the same parsed value. Fix: one `toJsonText()` in ui/render.ts that replaces
  // [\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff] (and lone
  // surrogates) in JSON.stringify's output by \uXXXX, used for every --json output.
  it('--json writes C1 controls and bidi overrides as \\u escapes, the parsed strings exact', async () => {
    const names = ['csi-\u009b2J.txt', 'bidi-\u202etxt.exe'];
    w.emulator.addFiles('demo', names.map((name) => ({ name, content: 'x' })));
    const run = await runCli(['list', '--json'], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { name: string }[]).map((e) => e.name)).toEqual(names);
    expectNoRawControl(run);
  });

  it('escapes names echoed back in warnings (unmatched patterns)', async () => {
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
    const run = await runCli(['list', `${ESC}[31m*.nothing`], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expectNoRawControl(run);
  });
});
