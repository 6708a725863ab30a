/**
 * Issue 3, points 1–3: the journal, recovery first, Range rules. The built CLI as a process
 * against the emulator: a transfer cut by the server leaves only the temporary file and its
 * record, and the next `get` finishes it from the backup area, byte-identical.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB, USER, downloadRequests, journalOf, namesIn, partOf, readJournalFile, sha256File, sizeOf } from './resilience-support.js';
import { useCliWorld } from '../support/world.js';

const w = useCliWorld('directlink-resume-');


const SIZE = 20 * MiB;
const CUT = Math.floor(SIZE * 0.4);

describe('a 20 MiB transfer dropped at 40%', () => {
  for (const range of [true, false]) {
    it(`leaves no final name, exits non-zero, and the next run finishes it from backup (${range ? 'Range honoured' : 'server ignores Range'})`, async () => {
      w.emulator.setRangeSupport(range);
      const file = w.emulator.addFile(USER, { name: 'big.bin', generated: { size: SIZE } });
      w.emulator.inject({ kind: 'drop', afterBytes: CUT });

      // --retries 0: the drop must really end the run, not be resumed within it.
      const first = await w.get(['--all', '--retries', '0']);
      expect(first.code, first.stderr).toBe(4);
      expect(first.stderr).toMatch(/big\.bin/);
      expect(namesIn(w.out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json']);
      // What survived is the bytes that reached the disk (the cut may lose some in flight), ready to resume.
      const kept = sizeOf(partOf(w.out, 'big.bin'));
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThanOrEqual(CUT);
      expect(readJournalFile(journalOf(w.out, 'big.bin'))).toMatchObject({ id: file.id, name: 'big.bin', size: SIZE, modified: file.modified, area: 'inbox', targetName: 'big.bin', startedAt: expect.any(String) as string });
      // The server moved it to backup the moment it served the request.
      expect(w.emulator.files(USER, 'inbox')).toEqual([]);

      const before = downloadRequests(w.emulator).length;
      const second = await w.get(['--all']);
      expect(second.code, second.stderr).toBe(0);
      expect(namesIn(w.out)).toEqual(['big.bin']);
      expect(await sha256File(join(w.out, 'big.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
      expect(statSync(join(w.out, 'big.bin')).mtimeMs).toBe(file.modified);

      const resumed = downloadRequests(w.emulator).slice(before);
      expect(resumed).toHaveLength(1);
      expect(resumed[0]?.path).toMatch(/\/download\/file\/backup$/);
      expect(resumed[0]?.headers.range).toBe(`bytes=${kept}-`);
      // 206 from the cut on; a 200 (Range ignored) was taken from byte 0 instead of appended.
      expect(resumed[0]?.status).toBe(range ? 206 : 200);
    });
  }

  it('is resumed within the same run when retries are allowed', async () => {
    const file = w.emulator.addFile(USER, { name: 'big.bin', generated: { size: SIZE } });
    w.emulator.inject({ kind: 'drop', afterBytes: CUT });
    const run = await w.get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(namesIn(w.out)).toEqual(['big.bin']);
    expect(await sha256File(join(w.out, 'big.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
    const requests = downloadRequests(w.emulator).map((r) => [r.path.replace(/^.*\/download\//, ''), r.headers.range, r.status]);
    expect(requests).toEqual([['file', undefined, 200], ['file/backup', expect.stringMatching(/^bytes=\d+-$/), 206]]);
    const resumedAt = Number(/\d+/.exec(String(requests[1]?.[1]))?.[0]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(CUT);
  });

  it('is finished by `get --backup` too, and an interrupted `get --backup` by a plain `get`', async () => {
    const file = w.emulator.addFile(USER, { name: 'again.bin', generated: { size: 2 * MiB } });
    w.emulator.moveToBackup(USER, file.id);
    w.emulator.inject({ kind: 'drop', afterBytes: MiB });
    const first = await w.get(['--backup', 'again.bin', '--retries', '0']);
    expect(first.code, first.stderr).toBe(4);
    expect(readJournalFile(journalOf(w.out, 'again.bin'))).toMatchObject({ area: 'backup', size: 2 * MiB });

    // Nothing waits in the inbox: the run only finishes what it found.
    const second = await w.get(['--all']);
    expect(second.code, second.stderr).toBe(0);
    expect(namesIn(w.out)).toEqual(['again.bin']);
    expect(await sha256File(join(w.out, 'again.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
    expect(downloadRequests(w.emulator).at(-1)?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
  });
});
