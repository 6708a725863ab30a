/**
 * Issue 3, points 2–3: recovery first (matching in the backup area, whatever the new run
 * asks for) and the Range rules for answers that do not fit (416, a 206 at another byte).
 * The built CLI as a process against the emulator.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { runCli, tempDir } from '../support/cli.js';
import { MiB, USER, cliEnv, downloadRequests, journalOf, namesIn, partOf, sha256File, sizeOf } from './resilience-support.js';

let emulator: Emulator;
let home: { path: string; cleanup(): void };
let out: string;

beforeEach(async () => {
  emulator = await startEmulator();
  home = tempDir('directlink-recovery-');
  out = join(home.path, 'out');
});

afterEach(async () => {
  await emulator.close();
  home.cleanup();
});

const get = (args: string[], extra: Record<string, string> = {}) =>
  runCli(['get', '-o', out, ...args], { home: home.path, env: cliEnv(emulator, extra), timeoutMs: 60_000 });

describe('Range answers that do not fit', () => {
  it('never appends a 206 that starts at another byte: it starts over from zero', async () => {
    const file = emulator.addFile(USER, { name: 'big.bin', generated: { size: 4 * MiB } });
    emulator.inject({ kind: 'drop', afterBytes: MiB });
    expect((await get(['--all', '--retries', '0'])).code).toBe(4);
    const kept = sizeOf(partOf(out, 'big.bin'));
    // A proxy that answers every range from byte 0, once.
    emulator.inject({ kind: 'wrong-range', start: 0 });
    const before = downloadRequests(emulator).length;
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(out, 'big.bin'))).toBe(emulator.sha256Of(USER, file.id));
    const requests = downloadRequests(emulator).slice(before).map((r) => [r.headers.range, r.status]);
    expect(requests).toEqual([[`bytes=${kept}-`, 206], [undefined, 200]]);
  });

  it('with no retries left, reports the wrong range as a failure and keeps no final name', async () => {
    emulator.addFile(USER, { name: 'big.bin', generated: { size: 4 * MiB } });
    emulator.inject({ kind: 'drop', afterBytes: MiB });
    expect((await get(['--all', '--retries', '0'])).code).toBe(4);
    emulator.inject({ kind: 'wrong-range', start: 10 });
    const run = await get(['--all', '--retries', '0']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/big\.bin: the server answered the resume at byte \d+ with another range/);
    expect(namesIn(out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json']);
  });
});

describe('recovery', () => {
  /** Leaves `bytes` of a listed file as an interrupted download, as a killed run would. */
  const plantPart = (name: string, bytes: Buffer, record: { id: number; size: number; modified: number; area: 'inbox' | 'backup' }): void => {
    mkdirSync(out, { recursive: true });
    writeFileSync(partOf(out, name), bytes);
    writeFileSync(journalOf(out, name), `${JSON.stringify({ version: 1, name, targetName: name, startedAt: new Date().toISOString(), ...record })}\n`);
  };

  it('finishes a part file that already holds every byte when the server answers 416', async () => {
    const file = emulator.addFile(USER, { name: 'done.bin', content: Buffer.alloc(4096, 7) });
    emulator.moveToBackup(USER, file.id);
    plantPart('done.bin', emulator.contentOf(USER, file.id), { id: file.id, size: 4096, modified: file.modified, area: 'inbox' });
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(namesIn(out)).toEqual(['done.bin']);
    expect(sizeOf(join(out, 'done.bin'))).toBe(4096);
    expect(downloadRequests(emulator).map((r) => [r.headers.range, r.status])).toEqual([['bytes=4096-', 416]]);
  });

  it('picks the backup entry with the same modified time among same-name, same-size files', async () => {
    const older = emulator.addFile(USER, { name: 'daily.csv', content: 'A'.repeat(1000), modified: Date.UTC(2026, 0, 1), area: 'backup' });
    const ours = emulator.addFile(USER, { name: 'daily.csv', content: 'B'.repeat(1000), modified: Date.UTC(2026, 0, 2), area: 'backup' });
    const newer = emulator.addFile(USER, { name: 'daily.csv', content: 'C'.repeat(1000), modified: Date.UTC(2026, 0, 3), area: 'backup' });
    plantPart('daily.csv', Buffer.from('B'.repeat(400)), { id: 999, size: 1000, modified: ours.modified, area: 'inbox' });
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(out, 'daily.csv'))).toBe(emulator.sha256Of(USER, ours.id));
    expect(statSync(join(out, 'daily.csv')).mtimeMs).toBe(ours.modified);
    expect([older.id, newer.id]).not.toContain(ours.id);
    expect(downloadRequests(emulator).map((r) => r.headers.range)).toEqual(['bytes=400-']);
  });

  it('finishes interrupted work whatever the new run asks for', async () => {
    const file = emulator.addFile(USER, { name: 'big.bin', generated: { size: 2 * MiB } });
    emulator.addFile(USER, { name: 'other.txt', content: 'other' });
    emulator.inject({ kind: 'drop', afterBytes: MiB, match: { fileName: 'big.bin' } });
    expect((await get(['big.bin', '--retries', '0'])).code).toBe(4);
    const run = await get(['nothing-*.csv']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/No file matches "nothing-\*\.csv"/);
    expect(namesIn(out)).toEqual(['big.bin']);
    expect(await sha256File(join(out, 'big.bin'))).toBe(emulator.sha256Of(USER, file.id));
    // The new run's own selection matched nothing: other.txt was left waiting.
    expect(emulator.files(USER, 'inbox').map((f) => f.name)).toEqual(['other.txt']);
  });

  it('keeps the part file and says so when the backup area no longer has the file', async () => {
    const file = emulator.addFile(USER, { name: 'gone.bin', generated: { size: 2 * MiB } });
    emulator.inject({ kind: 'drop', afterBytes: MiB });
    expect((await get(['--all', '--retries', '0'])).code).toBe(4);
    // The server's retention ran out.
    emulator.removeFile(USER, file.id);
    const run = await get(['--all']);
    // Nothing this run can do about it (nor was it asked for): a warning, not a failure.
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Cannot finish gone\.bin: it is no longer in the backup area.*partial file .*\.gone\.bin\.directlink-part is kept/);
    expect(namesIn(out)).toEqual(['.gone.bin.directlink-part', '.gone.bin.directlink-part.json']);
    expect(downloadRequests(emulator)).toHaveLength(1);
  });

  it('finishes interrupted work before new work, and keeps both', async () => {
    const old = emulator.addFile(USER, { name: 'old.bin', generated: { size: MiB } });
    emulator.inject({ kind: 'drop', afterBytes: 1000 });
    expect((await get(['--all', '--retries', '0'])).code).toBe(4);
    const fresh = emulator.addFile(USER, { name: 'new.bin', content: 'new' });
    const before = downloadRequests(emulator).length;
    const run = await get(['--all', '-c', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(namesIn(out)).toEqual(['new.bin', 'old.bin']);
    expect(await sha256File(join(out, 'old.bin'))).toBe(emulator.sha256Of(USER, old.id));
    expect(await sha256File(join(out, 'new.bin'))).toBe(emulator.sha256Of(USER, fresh.id));
    // One at a time, so the order of requests is the order of the queue.
    expect(downloadRequests(emulator).slice(before).map((r) => r.path.replace(/^.*\/download\//, ''))).toEqual(['file/backup', 'file']);
  });
});
