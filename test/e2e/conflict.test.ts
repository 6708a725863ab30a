/**
 * `get --on-conflict rename|skip|overwrite|fail` through the built CLI against the emulator:
 * what ends up on disk, what the summary says, and which files the server moved to backup.
 */
import { linkSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { useCliWorld } from '../support/world.js';

const w = useCliWorld();

beforeEach(() => {
  mkdirSync(w.out);
});

const downloadRequests = (): number => w.emulator.requests.filter((r) => r.path.includes('/download/file')).length;
const inbox = (): string[] => w.emulator.files('demo', 'inbox').map((f) => f.name);

describe('--on-conflict', () => {
  it('rename (the default) picks the next free "name (n).ext", also between two listed files of one name', async () => {
    writeFileSync(join(w.out, 'report.csv'), 'mine\n');
    writeFileSync(join(w.out, 'report (1).csv'), 'mine too\n');
    w.emulator.addFiles('demo', [
      { name: 'report.csv', content: 'server report\n' },
      { name: 'data.txt', content: 'first\n' },
      { name: 'data.txt', content: 'second\n' },
    ]);
    const run = await runCli(['get', 'report.csv', 'data.txt', '--json', '-o', w.out], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { downloaded: { name: string; path: string }[] };
    expect(summary.downloaded.map((d) => d.path).sort()).toEqual([join(w.out, 'data (1).txt'), join(w.out, 'data.txt'), join(w.out, 'report (2).csv')]);
    expect(readFileSync(join(w.out, 'report.csv'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(w.out, 'report (1).csv'), 'utf8')).toBe('mine too\n');
    expect(readFileSync(join(w.out, 'report (2).csv'), 'utf8')).toBe('server report\n');
    const both = [readFileSync(join(w.out, 'data.txt'), 'utf8'), readFileSync(join(w.out, 'data (1).txt'), 'utf8')].sort();
    expect(both).toEqual(['first\n', 'second\n']);
  });

  it('skip leaves the local file and the server file alone, and counts as success in the summary', async () => {
    writeFileSync(join(w.out, 'a.txt'), 'local\n');
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'server a\n' }, { name: 'b.txt', content: 'server b\n' }]);
    const run = await runCli(['get', '--all', '--on-conflict', 'skip', '-o', w.out], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^skipped a\.txt: a file with that name already exists$/m);
    expect(run.stderr).toMatch(/^1 downloaded .*, 1 skipped, 0 failed$/m);
    expect(run.stderr).not.toMatch(/error|warning/i);
    expect(readFileSync(join(w.out, 'a.txt'), 'utf8')).toBe('local\n');
    expect(readFileSync(join(w.out, 'b.txt'), 'utf8')).toBe('server b\n');
    // The skipped file was never requested, so the server still holds it for the next run.
    expect(downloadRequests()).toBe(1);
    expect(inbox()).toEqual(['a.txt']);
  });

  it('overwrite replaces the file atomically: a new inode by rename, never rewritten in place', async () => {
    const target = join(w.out, 'a.txt');
    writeFileSync(target, 'old content that is longer than the new one\n');
    linkSync(target, join(w.home.path, 'old-a.txt'));
    const inodeBefore = statSync(target).ino;
    const [file] = w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'new\n', modified: Date.UTC(2026, 0, 2, 3, 4, 5) }]);
    const run = await runCli(['get', 'a.txt', '--on-conflict', 'overwrite', '-o', w.out], { home: w.home.path, env: w.env });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(statSync(target).ino).not.toBe(inodeBefore);
    expect(statSync(target).mtimeMs).toBe(file!.modified);
    // The old inode, still reachable through the hard link, was never written to.
    expect(readFileSync(join(w.home.path, 'old-a.txt'), 'utf8')).toBe('old content that is longer than the new one\n');
    expect(readdirSync(w.out)).toEqual(['a.txt']);
  });

  it('fail stops before any download request, so no file is moved to backup; without a clash it downloads', async () => {
    writeFileSync(join(w.out, 'b.txt'), 'local b\n');
    w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }, { name: 'b.txt', content: 'B' }, { name: 'c.txt', content: 'C' }]);
    const run = await runCli(['get', '--all', '--on-conflict', 'fail', '-o', w.out], { home: w.home.path, env: w.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/b\.txt already exists in .* \(--on-conflict fail\)/);
    expect(run.stderr).toMatch(/--on-conflict rename, skip or overwrite/);
    expect(downloadRequests()).toBe(0);
    expect(inbox()).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(readdirSync(w.out)).toEqual(['b.txt']);
    expect(readFileSync(join(w.out, 'b.txt'), 'utf8')).toBe('local b\n');

    const clean = await runCli(['get', 'a.txt', 'c.txt', '--on-conflict', 'fail', '-o', w.out], { home: w.home.path, env: w.env });
    expect(clean.code, clean.stderr).toBe(0);
    expect(readdirSync(w.out).sort()).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(inbox()).toEqual(['b.txt']);
  });
});
