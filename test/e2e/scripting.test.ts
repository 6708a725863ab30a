/**
 * What scripts rely on, through the built CLI against the emulator: the JSON schemas of
 * `list` and `get` (pinned key by key, as documented in the README), `--dry-run` (the plan,
 * and not one download request), `--quiet`, `--no-color`/`NO_COLOR`, and `--exec`.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { useCliWorld } from '../support/world.js';

const w = useCliWorld();

const downloadRequests = (): number => w.emulator.requests.filter((r) => r.path.includes('/download/file')).length;
const ESC = '\u001b[';

describe('--json schemas', () => {
  it('list: an array of {id, name, size, modified (ISO-8601 UTC), area}, names exactly as sent', async () => {
    const [a, b] = w.emulator.addFiles('demo', [
      { name: 'a.csv', content: 'x'.repeat(42), modified: Date.UTC(2022, 5, 7, 22, 59, 18, 397) },
      { name: 'tab\there ç.txt', content: '', modified: Date.UTC(2026, 10, 30) },
      { name: 'old.txt', content: 'old' },
    ]);
    const old = w.emulator.moveToBackup('demo', w.emulator.files('demo', 'inbox')[2]!.id);
    const [inbox, backup] = await Promise.all([
      runCli(['list', '--json'], { home: w.home.path, env: w.env }),
      runCli(['list', '--backup', '--json'], { home: w.home.path, env: w.env }),
    ]);
    expect(inbox.code, inbox.stderr).toBe(0);
    expect(inbox.stderr).toBe('');
    expect(JSON.parse(inbox.stdout)).toStrictEqual([
      { id: a!.id, name: 'a.csv', size: 42, modified: '2022-06-07T22:59:18.397Z', area: 'inbox' },
      { id: b!.id, name: 'tab\there ç.txt', size: 0, modified: '2026-11-30T00:00:00.000Z', area: 'inbox' },
    ]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout)).toStrictEqual([{ id: old.id, name: 'old.txt', size: 3, modified: new Date(old.modified).toISOString(), area: 'backup' }]);
  });

  it('list: an empty area is [] (never null or a message on stdout)', async () => {
    const run = await runCli(['list', '--json', 'no-such-*'], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toStrictEqual([]);
  });

  it('get: {downloaded, skipped, failed} with paths, sizes, reasons and errors; exit 1 when one failed', async () => {
    mkdirSync(w.out);
    writeFileSync(join(w.out, 'skip.txt'), 'mine');
    const [ok, skip, bad] = w.emulator.addFiles('demo', [
      { name: 'ok.txt', content: 'fine\n' },
      { name: 'skip.txt', content: 'theirs' },
      { name: 'bad.bin', content: 'never arrives' },
    ]);
    w.emulator.inject({ kind: 'status', status: 500, match: { endpoint: 'file', fileName: 'bad.bin' }, times: Infinity });
    const run = await runCli(['get', '--all', '--on-conflict', 'skip', '--json', '--retries', '0', '-o', w.out], { home: w.home.path, env: w.env });
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as { downloaded: unknown[]; skipped: { reason: string }[]; failed: { error: string }[] };
    expect(Object.keys(summary)).toEqual(['downloaded', 'skipped', 'failed']);
    expect(summary.downloaded).toStrictEqual([{ id: ok!.id, name: 'ok.txt', path: join(w.out, 'ok.txt'), size: 5, area: 'inbox', recovered: false }]);
    const reason = summary.skipped[0]?.reason ?? '';
    expect(reason).toMatch(/exists/);
    expect(summary.skipped).toStrictEqual([{ id: skip!.id, name: 'skip.txt', path: join(w.out, 'skip.txt'), size: 6, reason }]);
    const error = summary.failed[0]?.error ?? '';
    expect(error).toMatch(/^Failed to download bad\.bin: .*500/);
    expect(summary.failed).toStrictEqual([{ id: bad!.id, name: 'bad.bin', path: join(w.out, 'bad.bin'), size: 13, error, partialKept: false, kind: 'server' }]);
    // People still get told, on stderr.
    expect(run.stderr).toMatch(/^error: 1 of 3 files failed\.$/m);
  });
});

describe('--dry-run', () => {
  it('prints area, size, target path and conflict decision, and sends no download request', async () => {
    mkdirSync(w.out);
    writeFileSync(join(w.out, 'a.txt'), 'mine');
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'AAAA' }, { name: 'b.txt', content: 'B'.repeat(2048) }]);
    const run = await runCli(['get', '--all', '--dry-run', '-o', w.out], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      `would get a.txt [inbox, 4 B] -> ${join(w.out, 'a (1).txt')} (renamed)`,
      `would get b.txt [inbox, 2.0 KiB] -> ${join(w.out, 'b.txt')}`,
    ]);
    expect(run.stderr).toMatch(/Dry run: 2 to fetch \(2\.0 KiB\), nothing downloaded\./);
    expect(downloadRequests()).toBe(0);
    expect(w.emulator.requests.some((r) => r.path.endsWith('/download/list'))).toBe(true);
    expect(w.emulator.files('demo', 'inbox')).toHaveLength(2);
    expect(readdirSync(w.out)).toEqual(['a.txt']);
  });

  it('--json prints the plan object; skip shows as a skip; a missing -o directory is not created', async () => {
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'AAAA' }]);
    const [backupFile] = w.emulator.addFiles('demo', [{ name: 'b.txt', content: 'BB' }]);
    w.emulator.moveToBackup('demo', backupFile!.id);
    const missing = join(w.home.path, 'not-yet');
    const run = await runCli(['get', '--backup', 'b.txt', '--dry-run', '--json', '-o', missing], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toStrictEqual({
      dryRun: true,
      outputDir: missing,
      bytesToFetch: 2,
      planned: [{ id: backupFile!.id, name: 'b.txt', area: 'backup', size: 2, path: join(missing, 'b.txt'), action: 'download', conflict: 'none', recovery: false }],
    });
    expect(existsSync(missing)).toBe(false);
    expect(downloadRequests()).toBe(0);

    mkdirSync(w.out);
    writeFileSync(join(w.out, 'a.txt'), 'mine');
    const skip = await runCli(['get', 'a.txt', '--dry-run', '--json', '--on-conflict', 'skip', '-o', w.out], { home: w.home.path, env: w.env });
    expect(skip.code, skip.stderr).toBe(0);
    const plan = JSON.parse(skip.stdout) as { bytesToFetch: number; planned: { action: string; conflict: string; path: string }[] };
    expect(plan.bytesToFetch).toBe(0);
    expect(plan.planned).toMatchObject([{ action: 'skip', conflict: 'skipped', path: join(w.out, 'a.txt') }]);
    expect(downloadRequests()).toBe(0);
  });
});

describe('--quiet and colour', () => {
  it('--quiet prints nothing on success', async () => {
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
    const run = await runCli(['get', '--all', '--quiet', '-o', w.out], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('');
    expect(readFileSync(join(w.out, 'a.txt'), 'utf8')).toBe('A');
  });

  it('FORCE_COLOR colours output; --no-color and NO_COLOR take it away again, on stdout and stderr', async () => {
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
    const variants: [string, string[], Record<string, string>][] = [
      ['FORCE_COLOR', [], { FORCE_COLOR: '1' }],
      ['--no-color', ['--no-color'], { FORCE_COLOR: '1' }],
      ['NO_COLOR', [], { FORCE_COLOR: '1', NO_COLOR: '1' }],
    ];
    const runs = await Promise.all(
      variants.flatMap(([, flags, extra]) => [
        runCli(['list', ...flags], { home: w.home.path, env: { ...w.env, ...extra } }),
        runCli(['list', '--min-size', 'lots', ...flags], { home: w.home.path, env: { ...w.env, ...extra } }),
      ]),
    );
    const [colourTable, colourError, ...plain] = runs;
    expect(colourTable!.stdout).toContain(ESC);
    expect(colourError!.stderr).toContain(ESC);
    expect(colourError!.code).toBe(2);
    for (const run of plain) {
      expect(run.stdout + run.stderr).not.toContain(ESC);
      expect(run.stdout + run.stderr).toMatch(/a\.txt|error: Failed to read --min-size/);
    }
  });
});

describe('--exec', () => {
  it('runs once per downloaded file with its path in $DIRECTLINK_FILE, never as shell text', async () => {
    const names = ['plain.txt', 'with space.csv', '$(touch pwned).txt', "quote'and;semi.txt"];
    w.emulator.addFiles('demo', names.map((name) => ({ name, content: name })));
    const log = join(w.home.path, 'hook.log');
    const run = await runCli(['get', '--all', '--json', '-o', w.out, '--exec', 'printf "%s\\n" "$DIRECTLINK_FILE" >> "$HOOK_LOG"'], {
      home: w.home.path,
      env: { ...w.env, HOOK_LOG: log },
    });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { downloaded: { name: string; path: string; execStatus: number | null }[] };
    expect(summary.downloaded).toHaveLength(names.length);
    const hooked = readFileSync(log, 'utf8').trimEnd().split('\n');
    expect(hooked.sort()).toEqual(summary.downloaded.map((d) => d.path).sort());
    for (const entry of summary.downloaded) {
      expect(entry.execStatus).toBe(0);
      // The hook saw the complete file under its final name.
      expect(readFileSync(entry.path, 'utf8')).toBe(entry.name);
    }
    expect(existsSync(join(w.home.path, 'pwned'))).toBe(false);
    expect(existsSync(join(w.out, 'pwned'))).toBe(false);
  });

  it('a failing hook makes the run exit 1 and says which file and status; the file itself is kept', async () => {
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }, { name: 'b.txt', content: 'B' }]);
    const run = await runCli(['get', '--all', '-o', w.out, '--exec', 'test "$(basename "$DIRECTLINK_FILE")" != b.txt || exit 7'], { home: w.home.path, env: w.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^exec failed for b\.txt: exit 7$/m);
    expect(run.stderr).toMatch(/^2 downloaded .*, 0 skipped, 0 failed$/m);
    expect(run.stderr).toMatch(/^error: --exec failed for 1 file: b\.txt \(exit 7\)\.$/m);
    expect(readdirSync(w.out).sort()).toEqual(['a.txt', 'b.txt']);
  });
});
