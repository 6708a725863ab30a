/**
 * Issue 3, point 5: a stalled or silent server can't hang a cron job. `--timeout` bounds
 * every wait for a byte (head or body); the built CLI against the emulator's stall and hang.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB, USER, downloadRequests, namesIn, sha256File } from './resilience-support.js';
import { useCliWorld } from '../support/world.js';

const w = useCliWorld('directlink-timeout-');


const endpointOf = (path: string): string => path.replace(/^.*\/directlink\/v1\//, '');

describe('timeouts', () => {
  it('ends a stall after the headers within --timeout and resumes the file', async () => {
    const file = w.emulator.addFile(USER, { name: 'slow.bin', generated: { size: 2 * MiB } });
    w.emulator.inject({ kind: 'stall', afterBytes: 100_000 });
    const run = await w.get(['--all', '--timeout', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(w.out, 'slow.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
    const requests = downloadRequests(w.emulator);
    expect(requests).toHaveLength(2);
    expect(requests[1]?.path).toMatch(/\/download\/file\/backup$/);
    expect(requests[1]?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('gives up on a server that stalls every time: exit 4, the cause named, the part kept', async () => {
    w.emulator.addFile(USER, { name: 'slow.bin', generated: { size: 2 * MiB } });
    w.emulator.inject({ kind: 'stall', afterBytes: 0, times: Infinity });
    const run = await w.get(['--all', '--timeout', '1', '--retries', '1']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/slow\.bin: no data received for 1 s \(gave up after 1 retry\)/);
    expect(namesIn(w.out)).toEqual(['.slow.bin.directlink-part', '.slow.bin.directlink-part.json']);
  });

  it('ends a download that never gets an answer (no head) within --timeout and retries it', async () => {
    const file = w.emulator.addFile(USER, { name: 'a.bin', generated: { size: MiB } });
    w.emulator.inject({ kind: 'hang', match: { endpoint: 'file' } });
    const run = await w.get(['--all', '--timeout', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(w.out, 'a.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
    // The hung request never reached the handler, so the file never left the inbox.
    expect(downloadRequests(w.emulator).map((r) => [endpointOf(r.path), r.status])).toEqual([['download/file', 0], ['download/file', 200]]);
  });

  it('gives up on a listing that never answers: exit 4, no download requested', async () => {
    w.emulator.addFile(USER, { name: 'a.txt', content: 'A' });
    w.emulator.inject({ kind: 'hang', times: Infinity, match: { endpoint: 'list' } });
    const run = await w.get(['--all', '--timeout', '1', '--retries', '0']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/no answer for 1 s/);
    expect(downloadRequests(w.emulator)).toEqual([]);
  });

  it('gives up on a listing that stalls: exit 4, no download requested', async () => {
    w.emulator.addFile(USER, { name: 'a.txt', content: 'A' });
    w.emulator.inject({ kind: 'stall', afterBytes: 0, times: Infinity, match: { endpoint: 'list' } });
    const run = await w.get(['--all', '--timeout', '1', '--retries', '0']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/no answer for 1 s|no data received/);
    expect(downloadRequests(w.emulator)).toEqual([]);
  });
});
