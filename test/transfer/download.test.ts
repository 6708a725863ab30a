import { execFile } from 'node:child_process';
import { lstat, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { downloadOne, findSameFile, relistWith, type Relist } from '../../src/transfer/download.js';
import { partNameFor, journalNameFor } from '../../src/transfer/names.js';
import { readJournal, partPathFor, journalPathFor } from '../../src/transfer/workdir.js';
import type { RemoteFile } from '../../src/api/types.js';
import { USER, makeWorld, sha256File, type World } from './transfer-world.js';

const MiB = 1 << 20;

let world: World;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.close();
});

function types(): string[] {
  return world.events.map((e) => e.type).filter((t) => t !== 'file-progress');
}

describe('downloadOne: resume after a dropped connection', () => {
  for (const rangeSupport of [true, false]) {
    it(`finishes a 20 MiB file from the backup area, byte-identical (Range ${rangeSupport ? 'on' : 'off'})`, async () => {
      world.emulator.setRangeSupport(rangeSupport);
      const added = world.emulator.addFile(USER, { name: 'big.bin', generated: { size: 20 * MiB, seed: 7 }, modified: Date.UTC(2024, 0, 2, 3, 4, 5) });
      world.emulator.inject({ kind: 'drop', afterBytes: 8 * MiB });
      const item = world.item(await world.listed('big.bin'));

      const outcome = await downloadOne(item, world.deps());

      expect(outcome).toEqual({ ok: true, path: item.targetPath, size: 20 * MiB });
      expect(await sha256File(item.targetPath)).toBe(world.emulator.sha256Of(USER, added.id));
      expect((await stat(item.targetPath)).mtimeMs).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
      expect(await world.names()).toEqual(['big.bin']);
      const downloads = world.downloads();
      expect(downloads[0]).toMatchObject({ endpoint: 'file', range: undefined });
      // Every retry after the first request goes to the backup area: the inbox link is gone.
      expect(downloads.slice(1).every((d) => d.endpoint === 'file-backup')).toBe(true);
      if (rangeSupport) {
        expect(downloads[1]?.range).toMatch(/^bytes=\d+-$/);
        const resumedAt = Number(/bytes=(\d+)-/.exec(downloads[1]?.range ?? '')?.[1]);
        expect(resumedAt).toBeGreaterThan(0);
        expect(resumedAt).toBeLessThanOrEqual(8 * MiB);
        expect(types()).not.toContain('file-restart');
      } else {
        expect(types()).toContain('file-restart');
      }
      expect(types()).toContain('file-retry');
    });
  }
});

describe('downloadOne: big files', () => {
  it('streams a file larger than the background flush interval intact', async () => {
    const added = world.emulator.addFile(USER, { name: 'huge.bin', generated: { size: 70 * MiB + 3, seed: 11 } });
    const item = world.item(await world.listed('huge.bin'));
    expect(await downloadOne(item, world.deps())).toEqual({ ok: true, path: item.targetPath, size: 70 * MiB + 3 });
    expect(await sha256File(item.targetPath)).toBe(world.emulator.sha256Of(USER, added.id));
  });
});

describe('downloadOne: retries and failures', () => {
  it('retries two 500s, then succeeds', async () => {
    world.emulator.addFile(USER, { name: 'a.txt', content: 'hello' });
    world.emulator.inject({ kind: 'status', status: 500, times: 2, match: { endpoint: 'file' } });
    const item = world.item(await world.listed('a.txt'));
    const outcome = await downloadOne(item, world.deps());
    expect(outcome.ok).toBe(true);
    expect(await readFile(item.targetPath, 'utf8')).toBe('hello');
    const retries = world.events.filter((e) => e.type === 'file-retry');
    expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
    expect(retries[0]?.reason).toContain('HTTP 500');
  });

  it('ends a stall after the headers within the idle timeout and retries it', async () => {
    const added = world.emulator.addFile(USER, { name: 'stall.bin', generated: { size: 3 * MiB, seed: 3 } });
    world.emulator.inject({ kind: 'stall', afterBytes: 1000 });
    const item = world.item(await world.listed('stall.bin'));
    const outcome = await downloadOne(item, world.deps({ idleTimeoutMs: 300 }));
    expect(outcome.ok).toBe(true);
    expect(await sha256File(item.targetPath)).toBe(world.emulator.sha256Of(USER, added.id));
    const retry = world.events.find((e) => e.type === 'file-retry');
    expect(retry?.type === 'file-retry' && retry.reason).toContain('no data received');
  });

  it("retries a stall ended by the client's own body timeout", async () => {
    await world.close();
    world = await makeWorld({ clientIdleTimeoutMs: 300 });
    const added = world.emulator.addFile(USER, { name: 'stall2.bin', generated: { size: MiB, seed: 4 } });
    world.emulator.inject({ kind: 'stall', afterBytes: 5000 });
    const item = world.item(await world.listed('stall2.bin'));
    expect((await downloadOne(item, world.deps({ idleTimeoutMs: 60_000 }))).ok).toBe(true);
    expect(await sha256File(item.targetPath)).toBe(world.emulator.sha256Of(USER, added.id));
    expect(world.events.filter((e) => e.type === 'file-retry')).toHaveLength(1);
  });

  it('treats a short body as a failure: no final file, part and journal kept', async () => {
    world.emulator.addFile(USER, { name: 'report.csv', content: 'x'.repeat(1000) });
    // Every answer, resumed or not, stops 100 bytes in.
    world.emulator.inject({ kind: 'short-body', bytes: 100, times: Infinity });
    const item = world.item(await world.listed('report.csv'));
    const outcome = await downloadOne(item, world.deps({ retries: 2 }));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.partialKept).toBe(true);
    expect(outcome.error).toMatch(/^Failed to download report\.csv: short body: got \d+ of 1000 bytes \(gave up after 2 retries\)\.$/);
    expect(await world.names()).toEqual([journalNameFor('report.csv'), partNameFor('report.csv')].sort());
    const journal = await readJournal(journalPathFor(item.targetPath));
    expect(journal.ok && journal.record).toMatchObject({ name: 'report.csv', size: 1000, area: 'backup', targetName: 'report.csv' });
  });

  it('resumes a short body once the server behaves', async () => {
    const added = world.emulator.addFile(USER, { name: 'short.bin', generated: { size: 300_000, seed: 5 } });
    world.emulator.inject({ kind: 'short-body', bytes: 100_000 });
    const item = world.item(await world.listed('short.bin'));
    expect((await downloadOne(item, world.deps())).ok).toBe(true);
    expect(await sha256File(item.targetPath)).toBe(world.emulator.sha256Of(USER, added.id));
    expect(world.downloads()[1]).toMatchObject({ endpoint: 'file-backup', range: 'bytes=100000-' });
  });

  it('treats a long body as a failure and never writes past the listed size', async () => {
    world.emulator.addFile(USER, { name: 'long.txt', content: 'y'.repeat(500) });
    world.emulator.inject({ kind: 'long-body', extra: 10, times: Infinity });
    const item = world.item(await world.listed('long.txt'));
    const outcome = await downloadOne(item, world.deps({ retries: 1 }));
    expect(outcome).toMatchObject({ ok: false, partialKept: true });
    expect(!outcome.ok && outcome.error).toContain('510 bytes for a file listed as 500 bytes');
    expect(await world.names()).not.toContain('long.txt');
    expect((await stat(partPathFor(item.targetPath))).size).toBeLessThanOrEqual(500);
  });

  it('recovers from a single long body by starting over', async () => {
    world.emulator.addFile(USER, { name: 'long.txt', content: 'y'.repeat(500) });
    world.emulator.inject({ kind: 'long-body', extra: 10 });
    const item = world.item(await world.listed('long.txt'));
    expect((await downloadOne(item, world.deps())).ok).toBe(true);
    expect(await readFile(item.targetPath, 'utf8')).toBe('y'.repeat(500));
  });

  it('refreshes an expired link by listing again', async () => {
    world.emulator.addFile(USER, { name: 'old.txt', content: 'still here' });
    world.emulator.inject({ kind: 'link-expired' });
    const item = world.item(await world.listed('old.txt'));
    const listsBefore = world.emulator.requests.filter((r) => r.path.endsWith('/download/list')).length;
    const outcome = await downloadOne(item, world.deps());
    expect(outcome.ok).toBe(true);
    expect(await readFile(item.targetPath, 'utf8')).toBe('still here');
    expect(world.emulator.requests.filter((r) => r.path.endsWith('/download/list')).length).toBeGreaterThan(listsBefore);
    // The refused link was never served, so the file was fetched from the inbox with a fresh link.
    expect(world.downloads().map((d) => [d.endpoint, d.status])).toEqual([['file', 401], ['file', 200]]);
  });

  it('gives up when a refreshed link is refused again', async () => {
    world.emulator.addFile(USER, { name: 'gone.txt', content: 'zzz' });
    world.emulator.inject({ kind: 'link-expired', times: 2 });
    const item = world.item(await world.listed('gone.txt'));
    const outcome = await downloadOne(item, world.deps());
    expect(outcome).toMatchObject({ ok: false });
    expect(!outcome.ok && outcome.error).toContain('HTTP 401');
  });

  it('leaves nothing behind when the server refuses a file it never served', async () => {
    world.emulator.addFile(USER, { name: 'bad.txt', content: 'abc' });
    world.emulator.inject({ kind: 'status', status: 400, times: Infinity, match: { endpoint: 'file' } });
    const item = world.item(await world.listed('bad.txt'));
    const outcome = await downloadOne(item, world.deps());
    expect(outcome).toMatchObject({ ok: false, partialKept: false });
    expect(world.downloads()).toHaveLength(1);
    expect(await world.names()).toEqual([]);
    expect(world.emulator.files(USER, 'inbox').map((f) => f.name)).toEqual(['bad.txt']);
  });

  it('keeps the part and a journal pointing at the backup area when a served file fails for good', async () => {
    world.emulator.addFile(USER, { name: 'cut.bin', generated: { size: MiB, seed: 8 } });
    world.emulator.inject({ kind: 'drop', afterBytes: 300_000 });
    world.emulator.inject({ kind: 'status', status: 400, times: Infinity, match: { endpoint: 'file-backup' } });
    const item = world.item(await world.listed('cut.bin'));
    const outcome = await downloadOne(item, world.deps());
    expect(outcome).toMatchObject({ ok: false, partialKept: true });
    expect(!outcome.ok && outcome.error).toContain('HTTP 400');
    expect(await world.names()).toEqual([journalNameFor('cut.bin'), partNameFor('cut.bin')].sort());
    expect((await stat(partPathFor(item.targetPath))).size).toBeGreaterThan(0);
    const journal = await readJournal(journalPathFor(item.targetPath));
    expect(journal.ok && journal.record.area).toBe('backup');
  });

  // The client shares one token renewal among callers, tied to the signal of the caller that
  // started it: a finished listing cancelling its read-ahead pages can abort it under another.
  it('lists again when a relisting is aborted by something other than the user', async () => {
    world.emulator.addFile(USER, { name: 'a.bin', generated: { size: 64 * 1024 } });
    world.emulator.inject({ kind: 'drop', afterBytes: 1000 });
    const item = world.item(await world.listed('a.bin'));
    const real = relistWith(world.client, world.controller.signal);
    let calls = 0;
    const relist: Relist = async (file, area) => {
      if (calls++ === 0) throw new DOMException('This operation was aborted', 'AbortError');
      return await real(file, area);
    };
    const outcome = await downloadOne(item, world.deps({ relist }));
    expect(outcome).toEqual({ ok: true, path: item.targetPath, size: 64 * 1024 });
    expect(calls).toBeGreaterThan(1);
  });

  it('does not retry a relisting that failed under the client\'s own retry policy', async () => {
    world.emulator.addFile(USER, { name: 'a.bin', generated: { size: 64 * 1024 } });
    // A stall keeps every byte sent so far: the part is not empty, so no other check lists.
    world.emulator.inject({ kind: 'stall', afterBytes: 20_000 });
    const item = world.item(await world.listed('a.bin'));
    let calls = 0;
    const relist: Relist = () => {
      calls++;
      return Promise.reject(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    };
    const outcome = await downloadOne(item, world.deps({ relist, retries: 5, idleTimeoutMs: 300 }));
    expect(outcome).toMatchObject({ ok: false, partialKept: true, kind: 'network' });
    expect(calls).toBe(1);
  });
});

describe('downloadOne: files on disk', () => {
  it('downloads a zero-byte file and sets its mtime', async () => {
    world.emulator.addFile(USER, { name: 'empty', content: '', modified: 1_700_000_000_000 });
    const item = world.item(await world.listed('empty'));
    expect(await downloadOne(item, world.deps())).toEqual({ ok: true, path: item.targetPath, size: 0 });
    const info = await stat(item.targetPath);
    expect(info.size).toBe(0);
    expect(info.mtimeMs).toBe(1_700_000_000_000);
    expect(await world.names()).toEqual(['empty']);
  });

  it('finishes an interrupted download from the backup area with Range', async () => {
    const added = world.emulator.addFile(USER, { name: 'half.bin', generated: { size: 2 * MiB, seed: 9 }, area: 'backup' });
    const item = world.item(await world.listed('half.bin', 'backup'), { recovery: true });
    await writeFile(partPathFor(item.targetPath), world.emulator.contentOf(USER, added.id).subarray(0, 123_456));
    expect((await downloadOne(item, world.deps())).ok).toBe(true);
    expect(await sha256File(item.targetPath)).toBe(world.emulator.sha256Of(USER, added.id));
    expect(world.downloads()).toEqual([{ endpoint: 'file-backup', range: 'bytes=123456-', status: 206 }]);
    expect(world.events.find((e) => e.type === 'file-start')).toMatchObject({ offset: 123_456 });
  });

  it('finishes a complete temporary file on a 416 without fetching it again', async () => {
    const added = world.emulator.addFile(USER, { name: 'done.bin', generated: { size: 4096, seed: 1 }, area: 'backup' });
    const item = world.item(await world.listed('done.bin', 'backup'), { recovery: true });
    await writeFile(partPathFor(item.targetPath), world.emulator.contentOf(USER, added.id));
    expect((await downloadOne(item, world.deps())).ok).toBe(true);
    expect(world.downloads()).toEqual([{ endpoint: 'file-backup', range: 'bytes=4096-', status: 416 }]);
    expect(await world.names()).toEqual(['done.bin']);
  });

  it('replaces the target only when the plan says overwrite', async () => {
    world.emulator.addFile(USER, { name: 'same.txt', content: 'new' });
    world.emulator.addFile(USER, { name: 'other.txt', content: 'new' });
    const overwrite = world.item(await world.listed('same.txt'), { conflict: 'overwritten' });
    const keep = world.item(await world.listed('other.txt'));
    await writeFile(overwrite.targetPath, 'old');
    // A file that appears under the planned name after planning is never overwritten.
    await writeFile(keep.targetPath, 'someone else');
    expect((await downloadOne(overwrite, world.deps())).ok).toBe(true);
    const refused = await downloadOne(keep, world.deps());
    expect(await readFile(overwrite.targetPath, 'utf8')).toBe('new');
    expect(await readFile(keep.targetPath, 'utf8')).toBe('someone else');
    expect(refused).toMatchObject({ ok: false, partialKept: true });
    expect(!refused.ok && refused.error).toBe('Failed to write other.txt: a file with that name appeared meanwhile.');
  });

  it('refuses to write through a symlink planted under the temporary name', async () => {
    world.emulator.addFile(USER, { name: 'x.txt', content: 'data' });
    const item = world.item(await world.listed('x.txt'));
    const victim = join(world.dir, 'victim');
    await writeFile(victim, 'precious');
    await symlink(victim, partPathFor(item.targetPath));
    const outcome = await downloadOne(item, world.deps());
    expect(outcome).toEqual({ ok: false, error: 'Failed to write x.txt: the temporary file is a symbolic link.', partialKept: false, kind: 'local' });
    expect(await readFile(victim, 'utf8')).toBe('precious');
    // Nothing was requested, so the file is still waiting in the inbox.
    expect(world.downloads()).toEqual([]);
    await expect(lstat(partPathFor(item.targetPath))).rejects.toThrow();
    await expect(readlink(partPathFor(item.targetPath))).rejects.toThrow();
  });

  // `ulimit -f` makes writes past 256 KiB fail (EFBIG) in a child process: a disk that fills up mid-file.
  it.skipIf(process.platform === 'win32')('keeps the part and names the cause when the disk refuses more bytes', async () => {
    const child = fileURLToPath(new URL('./fixtures/download-child.ts', import.meta.url));
    const { stdout } = await promisify(execFile)('bash', ['-c', 'ulimit -f 256 && exec node --import tsx "$0" "$1" "$2"', child, world.dir, String(MiB)]);
    const { outcome, backup } = JSON.parse(stdout) as { outcome: unknown; backup: string[] };
    expect(outcome).toEqual({ ok: false, error: 'Failed to write big.bin: the file is too large for this file system.', partialKept: true, kind: 'local' });
    expect(await world.names()).toEqual([journalNameFor('big.bin'), partNameFor('big.bin')].sort());
    expect((await stat(join(world.dir, partNameFor('big.bin')))).size).toBeLessThanOrEqual(256 * 1024);
    // The server moved it to backup when it was requested: the next run finishes it from there.
    expect(backup).toEqual(['big.bin']);
  });

  it('honours an abort that lands before the request goes out', async () => {
    world.emulator.addFile(USER, { name: 'never.bin', content: 'x' });
    world.emulator.inject({ kind: 'stall', afterBytes: 0, times: Infinity });
    const item = world.item(await world.listed('never.bin'));
    // With an hour of idle timeout, only the abort can end this.
    const deps = world.deps({
      idleTimeoutMs: 3_600_000,
      onEvent: (event) => {
        if (event.type === 'file-start') world.controller.abort();
      },
    });
    await expect(downloadOne(item, deps)).rejects.toBeInstanceOf(InterruptedError);
  });

  it('stops at once on abort, keeping the part file and journal', async () => {
    const added = world.emulator.addFile(USER, { name: 'slow.bin', generated: { size: 8 * MiB, seed: 2 } });
    world.emulator.inject({ kind: 'stall', afterBytes: 2 * MiB });
    const item = world.item(await world.listed('slow.bin'));
    const deps = world.deps({
      onEvent: (event) => {
        world.events.push(event);
        if (event.type === 'file-progress' && event.bytes >= 2 * MiB) world.controller.abort();
      },
    });
    await expect(downloadOne(item, deps)).rejects.toBeInstanceOf(InterruptedError);
    expect(await world.names()).toEqual([journalNameFor('slow.bin'), partNameFor('slow.bin')].sort());
    // Whatever reached the disk is an exact prefix of the file (buffered bytes may be dropped).
    const part = await readFile(partPathFor(item.targetPath));
    expect(part.length).toBeGreaterThan(0);
    expect(part.length).toBeLessThanOrEqual(2 * MiB);
    expect(part.equals(world.emulator.contentOf(USER, added.id).subarray(0, part.length))).toBe(true);
  });
});

describe('findSameFile', () => {
  const file = (over: Partial<RemoteFile>): RemoteFile => ({ id: 1, name: 'a', size: 10, modified: 1000, link: 'x', area: 'inbox', ...over });
  it.each<[string, RemoteFile[], number | undefined]>([
    ['same id', [file({ id: 1, area: 'backup' })], 1],
    ['moved under another id, equal modified wins', [file({ id: 7, area: 'backup', modified: 5 }), file({ id: 8, area: 'backup', modified: 1000 })], 8],
    ['moved, closest modified', [file({ id: 7, area: 'backup', modified: 5 }), file({ id: 8, area: 'backup', modified: 900 })], 8],
    ['other size', [file({ id: 1, size: 11, area: 'backup' })], undefined],
    ['other name', [file({ id: 1, name: 'b', area: 'backup' })], undefined],
    ['same area, another id is another upload', [file({ id: 2 })], undefined],
  ])('%s', (_label, candidates, expected) => {
    expect(findSameFile(file({}), candidates)?.id).toBe(expected);
  });
});
