/**
 * The CLI end to end, as a user runs it: the built binary as a process, a temp HOME, the
 * emulator over loopback. Covers listing, downloading, the backup area and exit codes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { useCliWorld } from '../support/world.js';

const w = useCliWorld();

const sha = (buffer: Buffer): string => createHash('sha256').update(buffer).digest('hex');

describe('list', () => {
  it('lists 250 files over 3 pages completely, as JSON', async () => {
    w.emulator.addFiles('demo', Array.from({ length: 250 }, (_, i) => ({ name: `file-${String(i).padStart(3, '0')}.txt`, content: `content ${i}\n` })));
    const run = await runCli(['list', '--json'], { home: w.home.path, env: w.env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const entries = JSON.parse(run.stdout) as { id: number; name: string; size: number; modified: string; area: string }[];
    expect(entries).toHaveLength(250);
    expect(new Set(entries.map((e) => e.id)).size).toBe(250);
    expect(entries[0]).toMatchObject({ name: 'file-000.txt', size: 10, area: 'inbox' });
    expect(entries[0]?.modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const listRequests = w.emulator.requests.filter((r) => r.path.endsWith('/download/list'));
    expect(listRequests.map((r) => r.query.page)).toEqual(expect.arrayContaining(['0', '1', '2', '3']));
    // Listing never moves a file.
    expect(w.emulator.files('demo', 'inbox')).toHaveLength(250);
  });

  it('prints a table with a footer when not asked for JSON', async () => {
    w.emulator.addFiles('demo', [{ name: 'a.csv', content: 'x'.repeat(2048) }, { name: 'b.txt', content: 'hello' }]);
    const run = await runCli(['list', '*.csv'], { home: w.home.path, env: w.env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/NAME\s+SIZE\s+MODIFIED\s+ID/);
    expect(run.stdout).toContain('a.csv');
    expect(run.stdout).not.toContain('b.txt');
    expect(run.stdout).toMatch(/1 file, 2\.0 KiB total/);
  });
});

describe('get', () => {
  it('downloads everything byte-identical with the server mtimes, and the server moves the files to backup', async () => {
    const modified = Date.UTC(2026, 10, 30, 12, 0, 0);
    const files = w.emulator.addFiles('demo', [
      { name: 'report.csv', content: 'a;b;c\n1;2;3\n', modified },
      { name: 'empty.txt', content: '', modified: modified + 1000 },
      { name: 'relatório-março.csv', content: 'ç,ã\n', modified: modified + 2000 },
      { name: 'big.bin', generated: { size: 3 * 1024 * 1024 + 17 }, modified: modified + 3000 },
    ]);
    const out = join(w.home.path, 'inbox');
    const run = await runCli(['get', '--all', '-o', out], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('\r');
    for (const file of files) {
      const path = join(out, file.name);
      expect(sha(readFileSync(path))).toBe(w.emulator.sha256Of('demo', file.id));
      expect(statSync(path).mtimeMs).toBe(file.modified);
    }
    // Nothing but the four files is left behind (no temp files, no lock).
    expect(readdirSync(out).sort()).toEqual(files.map((f) => f.name).sort());
    expect(w.emulator.files('demo', 'inbox')).toHaveLength(0);
    expect(w.emulator.files('demo', 'backup')).toHaveLength(4);
  });

  it('lists completely before the first download request', async () => {
    w.emulator.addFiles('demo', Array.from({ length: 230 }, (_, i) => ({ name: `f${i}.txt`, content: `${i}` })));
    const run = await runCli(['get', '--all', '-o', join(w.home.path, 'out'), '-c', '8'], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(join(w.home.path, 'out'))).toHaveLength(230);
    const firstDownload = w.emulator.requests.findIndex((r) => r.path.includes('/download/file'));
    const lastList = w.emulator.requests.map((r) => r.path.endsWith('/download/list')).lastIndexOf(true);
    expect(lastList).toBeLessThan(firstDownload);
  });

  it('fetches again from the backup area with --backup PATTERN', async () => {
    const [first] = w.emulator.addFiles('demo', [{ name: 'NF-2026-11-01.xml', content: '<nf/>' }, { name: 'other.txt', content: 'no' }]);
    w.emulator.moveToBackup('demo', first!.id);
    const out = join(w.home.path, 'again');
    const run = await runCli(['get', '--backup', 'NF-*.xml', '-o', out], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(out)).toEqual(['NF-2026-11-01.xml']);
    expect(readFileSync(join(out, 'NF-2026-11-01.xml'), 'utf8')).toBe('<nf/>');
    expect(statSync(join(out, 'NF-2026-11-01.xml')).mtimeMs).toBe(first!.modified);
    expect(w.emulator.files('demo', 'inbox').map((f) => f.name)).toEqual(['other.txt']);
  });

  it('prints one JSON summary on stdout with --json', async () => {
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }, { name: 'b.txt', content: 'BB' }]);
    const out = join(w.home.path, 'j');
    const run = await runCli(['get', '--all', '--json', '-o', out], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { downloaded: { name: string; path: string; size: number }[]; skipped: unknown[]; failed: unknown[] };
    expect(summary.downloaded.map((d) => d.name).sort()).toEqual(['a.txt', 'b.txt']);
    expect(summary.downloaded.find((d) => d.name === 'b.txt')).toMatchObject({ path: join(out, 'b.txt'), size: 2 });
    expect(summary.skipped).toEqual([]);
    expect(summary.failed).toEqual([]);
  });

  it('is a usage error (exit 2) to select nothing without a terminal, and nothing is downloaded', async () => {
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
    const run = await runCli(['get'], { home: w.home.path, env: w.env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--all/);
    expect(w.emulator.requests.filter((r) => r.path.includes('/download/'))).toHaveLength(0);
  });
});

describe('errors', () => {
  it('exits 3 with one line for a wrong password', async () => {
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
    const run = await runCli(['list'], { home: w.home.path, env: { ...w.env, DIRECTLINK_PASSWORD: 'wrong' } });
    expect(run.code).toBe(3);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error: .*(refused|authenticate)/i);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(run.stderr).not.toContain('wrong');
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('exits 3 with basic auth too', async () => {
    const run = await runCli(['list', '--auth', 'basic'], { home: w.home.path, env: { ...w.env, DIRECTLINK_PASSWORD: 'wrong' } });
    expect(run.code).toBe(3);
  });

  it('exits 4 when the server is unreachable', async () => {
    const url = w.emulator.baseUrl;
    await w.emulator.close();
    const run = await runCli(['list', '--retries', '0'], { home: w.home.path, env: { ...w.env, DIRECTLINK_SERVER: url } });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/connection refused/);
  });

  it('retries an unreachable server at one level only: --retries 2 means 3 attempts per request, not 3×3×3', async () => {
    const url = w.emulator.baseUrl;
    await w.emulator.close();
    const run = await runCli(['list', '--retries', '2', '--verbose'], { home: w.home.path, env: { ...w.env, DIRECTLINK_SERVER: url } });
    expect(run.code).toBe(4);
    const attempts = run.stderr.split('\n').filter((line) => line.startsWith('> ')).length;
    // Up to 4 listing pages are requested ahead, each with its token request: 4 × 3 at most.
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(12);
  });

  it('exits 2 for an unknown option and suggests the right one', async () => {
    const run = await runCli(['list', '--bakcup'], { home: w.home.path, env: w.env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--backup/);
  });

  it('exits 2 for a bad server URL', async () => {
    const run = await runCli(['list'], { home: w.home.path, env: { ...w.env, DIRECTLINK_SERVER: 'ftp://x' } });
    expect(run.code).toBe(2);
  });
});
