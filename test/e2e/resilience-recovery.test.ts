/**
 * Issue 3, points 2–3: recovery first (matching in the backup area, whatever the new run
 * asks for) and the Range rules for answers that do not fit (416, a 206 at another byte).
 * The built CLI as a process against the w.emulator.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB, USER, downloadRequests, journalOf, namesIn, partOf, sha256File, sizeOf } from './resilience-support.js';
import { useCliWorld } from '../support/world.js';

const w = useCliWorld('directlink-recovery-');


describe('Range answers that do not fit', () => {
  it('never appends a 206 that starts at another byte: it starts over from zero', async () => {
    const file = w.emulator.addFile(USER, { name: 'big.bin', generated: { size: 4 * MiB } });
    w.emulator.inject({ kind: 'drop', afterBytes: MiB });
    expect((await w.get(['--all', '--retries', '0'])).code).toBe(4);
    const kept = sizeOf(partOf(w.out, 'big.bin'));
    // A proxy that answers every range from byte 0, once.
    w.emulator.inject({ kind: 'wrong-range', start: 0 });
    const before = downloadRequests(w.emulator).length;
    const run = await w.get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(w.out, 'big.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
    const requests = downloadRequests(w.emulator).slice(before).map((r) => [r.headers.range, r.status]);
    expect(requests).toEqual([[`bytes=${kept}-`, 206], [undefined, 200]]);
  });

  it('with no retries left, reports the wrong range as a failure and keeps no final name', async () => {
    w.emulator.addFile(USER, { name: 'big.bin', generated: { size: 4 * MiB } });
    w.emulator.inject({ kind: 'drop', afterBytes: MiB });
    expect((await w.get(['--all', '--retries', '0'])).code).toBe(4);
    w.emulator.inject({ kind: 'wrong-range', start: 10 });
    const run = await w.get(['--all', '--retries', '0']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/big\.bin: the server answered the resume at byte \d+ with another range/);
    expect(namesIn(w.out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json']);
  });
});

describe('recovery', () => {
  /** Leaves `bytes` of a listed file as an interrupted download, as a killed run would. */
  const plantPart = (name: string, bytes: Buffer, record: { id: number; size: number; modified: number; area: 'inbox' | 'backup' }): void => {
    mkdirSync(w.out, { recursive: true });
    writeFileSync(partOf(w.out, name), bytes);
    writeFileSync(journalOf(w.out, name), `${JSON.stringify({ version: 1, name, targetName: name, startedAt: new Date().toISOString(), ...record })}\n`);
  };

  it('finishes a part file that already holds every byte when the server answers 416', async () => {
    const file = w.emulator.addFile(USER, { name: 'done.bin', content: Buffer.alloc(4096, 7) });
    w.emulator.moveToBackup(USER, file.id);
    plantPart('done.bin', w.emulator.contentOf(USER, file.id), { id: file.id, size: 4096, modified: file.modified, area: 'inbox' });
    const run = await w.get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(namesIn(w.out)).toEqual(['done.bin']);
    expect(sizeOf(join(w.out, 'done.bin'))).toBe(4096);
    expect(downloadRequests(w.emulator).map((r) => [r.headers.range, r.status])).toEqual([['bytes=4096-', 416]]);
  });

  it('picks the backup entry with the same modified time among same-name, same-size files', async () => {
    const older = w.emulator.addFile(USER, { name: 'daily.csv', content: 'A'.repeat(1000), modified: Date.UTC(2026, 0, 1), area: 'backup' });
    const ours = w.emulator.addFile(USER, { name: 'daily.csv', content: 'B'.repeat(1000), modified: Date.UTC(2026, 0, 2), area: 'backup' });
    const newer = w.emulator.addFile(USER, { name: 'daily.csv', content: 'C'.repeat(1000), modified: Date.UTC(2026, 0, 3), area: 'backup' });
    plantPart('daily.csv', Buffer.from('B'.repeat(400)), { id: 999, size: 1000, modified: ours.modified, area: 'inbox' });
    const run = await w.get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(w.out, 'daily.csv'))).toBe(w.emulator.sha256Of(USER, ours.id));
    expect(statSync(join(w.out, 'daily.csv')).mtimeMs).toBe(ours.modified);
    expect([older.id, newer.id]).not.toContain(ours.id);
    expect(downloadRequests(w.emulator).map((r) => r.headers.range)).toEqual(['bytes=400-']);
  });

  it('finishes interrupted work whatever the new run asks for', async () => {
    const file = w.emulator.addFile(USER, { name: 'big.bin', generated: { size: 2 * MiB } });
    w.emulator.addFile(USER, { name: 'other.txt', content: 'other' });
    w.emulator.inject({ kind: 'drop', afterBytes: MiB, match: { fileName: 'big.bin' } });
    expect((await w.get(['big.bin', '--retries', '0'])).code).toBe(4);
    const run = await w.get(['nothing-*.csv']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/No file matches "nothing-\*\.csv"/);
    expect(namesIn(w.out)).toEqual(['big.bin']);
    expect(await sha256File(join(w.out, 'big.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
    // The new run's own selection matched nothing: other.txt was left waiting.
    expect(w.emulator.files(USER, 'inbox').map((f) => f.name)).toEqual(['other.txt']);
  });

  it('keeps the part file and says so when the backup area no longer has the file', async () => {
    const file = w.emulator.addFile(USER, { name: 'gone.bin', generated: { size: 2 * MiB } });
    w.emulator.inject({ kind: 'drop', afterBytes: MiB });
    expect((await w.get(['--all', '--retries', '0'])).code).toBe(4);
    // The server's retention ran out.
    w.emulator.removeFile(USER, file.id);
    const run = await w.get(['--all']);
    // Nothing this run can do about it (nor was it asked for): a warning, not a failure.
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Cannot finish gone\.bin: it is no longer in the backup area.*partial file .*\.gone\.bin\.directlink-part is kept/);
    expect(namesIn(w.out)).toEqual(['.gone.bin.directlink-part', '.gone.bin.directlink-part.json']);
    expect(downloadRequests(w.emulator)).toHaveLength(1);
  });

  it('finishes interrupted work before new work, and keeps both', async () => {
    const old = w.emulator.addFile(USER, { name: 'old.bin', generated: { size: MiB } });
    w.emulator.inject({ kind: 'drop', afterBytes: 1000 });
    expect((await w.get(['--all', '--retries', '0'])).code).toBe(4);
    const fresh = w.emulator.addFile(USER, { name: 'new.bin', content: 'new' });
    const before = downloadRequests(w.emulator).length;
    const run = await w.get(['--all', '-c', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(namesIn(w.out)).toEqual(['new.bin', 'old.bin']);
    expect(await sha256File(join(w.out, 'old.bin'))).toBe(w.emulator.sha256Of(USER, old.id));
    expect(await sha256File(join(w.out, 'new.bin'))).toBe(w.emulator.sha256Of(USER, fresh.id));
    // One at a time, so the order of requests is the order of the queue.
    expect(downloadRequests(w.emulator).slice(before).map((r) => r.path.replace(/^.*\/download\//, ''))).toEqual(['file/backup', 'file']);
  });
});
