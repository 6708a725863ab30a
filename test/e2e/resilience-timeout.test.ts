/**
 * Issue 3, point 5: a stalled or silent server can't hang a cron job. `--timeout` bounds
 * every wait for a byte (head or body); the built CLI against the emulator's stall and hang.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { runCli, tempDir } from '../support/cli.js';
import { MiB, USER, cliEnv, downloadRequests, namesIn, sha256File } from './resilience-support.js';

let emulator: Emulator;
let home: { path: string; cleanup(): void };
let out: string;

beforeEach(async () => {
  emulator = await startEmulator();
  home = tempDir('directlink-timeout-');
  out = join(home.path, 'out');
});

afterEach(async () => {
  await emulator.close();
  home.cleanup();
});

const get = (args: string[], extra: Record<string, string> = {}) =>
  runCli(['get', '-o', out, ...args], { home: home.path, env: cliEnv(emulator, extra), timeoutMs: 60_000 });

const endpointOf = (path: string): string => path.replace(/^.*\/directlink\/v1\//, '');

describe('timeouts', () => {
  it('ends a stall after the headers within --timeout and resumes the file', async () => {
    const file = emulator.addFile(USER, { name: 'slow.bin', generated: { size: 2 * MiB } });
    emulator.inject({ kind: 'stall', afterBytes: 100_000 });
    const run = await get(['--all', '--timeout', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(out, 'slow.bin'))).toBe(emulator.sha256Of(USER, file.id));
    const requests = downloadRequests(emulator);
    expect(requests).toHaveLength(2);
    expect(requests[1]?.path).toMatch(/\/download\/file\/backup$/);
    expect(requests[1]?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('gives up on a server that stalls every time: exit 4, the cause named, the part kept', async () => {
    emulator.addFile(USER, { name: 'slow.bin', generated: { size: 2 * MiB } });
    emulator.inject({ kind: 'stall', afterBytes: 0, times: Infinity });
    const run = await get(['--all', '--timeout', '1', '--retries', '1']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/slow\.bin: no data received for 1 s \(gave up after 1 retry\)/);
    expect(namesIn(out)).toEqual(['.slow.bin.directlink-part', '.slow.bin.directlink-part.json']);
  });

  it('ends a download that never gets an answer (no head) within --timeout and retries it', async () => {
    const file = emulator.addFile(USER, { name: 'a.bin', generated: { size: MiB } });
    emulator.inject({ kind: 'hang', match: { endpoint: 'file' } });
    const run = await get(['--all', '--timeout', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(out, 'a.bin'))).toBe(emulator.sha256Of(USER, file.id));
    // The hung request never reached the handler, so the file never left the inbox.
    expect(downloadRequests(emulator).map((r) => [endpointOf(r.path), r.status])).toEqual([['download/file', 0], ['download/file', 200]]);
  });

  it('gives up on a listing that never answers: exit 4, no download requested', async () => {
    emulator.addFile(USER, { name: 'a.txt', content: 'A' });
    emulator.inject({ kind: 'hang', times: Infinity, match: { endpoint: 'list' } });
    const run = await get(['--all', '--timeout', '1', '--retries', '0']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/no answer for 1 s/);
    expect(downloadRequests(emulator)).toEqual([]);
  });

  it('gives up on a listing that stalls: exit 4, no download requested', async () => {
    emulator.addFile(USER, { name: 'a.txt', content: 'A' });
    emulator.inject({ kind: 'stall', afterBytes: 0, times: Infinity, match: { endpoint: 'list' } });
    const run = await get(['--all', '--timeout', '1', '--retries', '0']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/no answer for 1 s|no data received/);
    expect(downloadRequests(emulator)).toEqual([]);
  });
});
