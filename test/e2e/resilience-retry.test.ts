/**
 * Issue 3, points 3–5 and the exit codes: retries, timeouts, short and long bodies, token
 * renewal and link refresh, as the built CLI does them against the emulator's faults.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { collect, runCli, startCli, tempDir } from '../support/cli.js';
import { MiB, USER, cliEnv, downloadRequests, namesIn, partOf, sha256File, sizeOf, waitFor } from './resilience-support.js';

let emulator: Emulator;
let home: { path: string; cleanup(): void };
let out: string;

beforeEach(async () => {
  emulator = await startEmulator();
  home = tempDir('directlink-retry-');
  out = join(home.path, 'out');
});

afterEach(async () => {
  await emulator.close();
  home.cleanup();
});

const get = (args: string[], extra: Record<string, string> = {}) =>
  runCli(['get', '-o', out, ...args], { home: home.path, env: cliEnv(emulator, extra), timeoutMs: 60_000 });

const endpointOf = (path: string): string => path.replace(/^.*\/directlink\/v1\//, '');

describe('retries', () => {
  it('retries two 500s, then succeeds', async () => {
    const file = emulator.addFile(USER, { name: 'a.bin', generated: { size: MiB } });
    emulator.inject({ kind: 'status', status: 500, times: 2, match: { endpoint: 'file' } });
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(out, 'a.bin'))).toBe(emulator.sha256Of(USER, file.id));
    // A 500 before the body is not "served": the file stayed in the inbox and the same link worked.
    expect(downloadRequests(emulator).map((r) => [endpointOf(r.path), r.status])).toEqual([['download/file', 500], ['download/file', 500], ['download/file', 200]]);
    expect(namesIn(out)).toEqual(['a.bin']);
  });

  it('refreshes a refused link by listing again', async () => {
    const file = emulator.addFile(USER, { name: 'a.txt', content: 'alpha' });
    emulator.inject({ kind: 'link-expired', match: { fileName: 'a.txt' } });
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    // Listings read pages ahead, so count runs of requests, not requests.
    const trail = emulator.requests.map((r) => `${endpointOf(r.path)} ${r.status}`).filter((line, i, all) => !line.startsWith('oauth2') && line !== all[i - 1]);
    expect(trail).toEqual(['download/list 200', 'download/file 401', 'download/list 200', 'download/file 200']);
    expect(await sha256File(join(out, 'a.txt'))).toBe(emulator.sha256Of(USER, file.id));
  });

  it('exits 4 when every file keeps failing on the server, leaving nothing behind for files never served', async () => {
    emulator.addFiles(USER, [{ name: 'a.txt', content: 'A' }, { name: 'b.txt', content: 'B' }]);
    emulator.inject({ kind: 'status', status: 503, times: Infinity, match: { endpoint: 'file' } });
    const run = await get(['--all', '--retries', '1', '--json']);
    expect(run.code, run.stderr).toBe(4);
    const summary = JSON.parse(run.stdout) as { downloaded: unknown[]; failed: { name: string; error: string; kind: string; partialKept: boolean }[] };
    expect(summary.downloaded).toEqual([]);
    expect(summary.failed.map((f) => [f.name, f.kind, f.partialKept])).toEqual([['a.txt', 'server', false], ['b.txt', 'server', false]]);
    expect(summary.failed[0]?.error).toMatch(/HTTP 503.*gave up after 1 retry/);
    // Never served, so still waiting in the inbox, and no record claims a partial download.
    expect(emulator.files(USER, 'inbox')).toHaveLength(2);
    expect(namesIn(out)).toEqual([]);
  });

  it('exits 1 when some files failed and others were downloaded', async () => {
    emulator.addFiles(USER, [{ name: 'good.txt', content: 'good' }, { name: 'bad.txt', content: 'bad' }]);
    emulator.inject({ kind: 'status', status: 500, times: Infinity, match: { fileName: 'bad.txt' } });
    const run = await get(['--all', '--retries', '0']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/bad\.txt/);
    expect(namesIn(out)).toEqual(['good.txt']);
  });

  it('exits 4 when the server goes away mid-transfer, keeping the part file and its record', async () => {
    emulator.addFile(USER, { name: 'big.bin', generated: { size: 4 * MiB } });
    emulator.inject({ kind: 'stall', afterBytes: 256 * 1024 });
    const child = startCli(['get', '-o', out, '--all', '--retries', '1', '--timeout', '2'], { home: home.path, env: cliEnv(emulator) });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor(() => sizeOf(partOf(out, 'big.bin')) > 0, 'bytes in the part file', child);
    await emulator.close();
    const run = await done;
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/big\.bin/);
    expect(namesIn(out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json']);
  });
});

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

  // KNOWN BUG (src/api/client.ts, not in this helper's files): #apiJson reads the JSON body
  // (readText) outside the retry runner and without toTransportError, so a listing whose body
  // stalls (UND_ERR_BODY_TIMEOUT) or is cut (UND_ERR_SOCKET) is neither retried nor turned into
  // a NetworkError: "Unexpected failure: Body Timeout Error … a bug", exit 1. Fix: read the
  // body inside the #retry closure and map its errors with toTransportError.
  // Flip `it.fails` to `it` once fixed.
  it.fails('gives up on a listing that stalls: exit 4, no download requested', async () => {
    emulator.addFile(USER, { name: 'a.txt', content: 'A' });
    emulator.inject({ kind: 'stall', afterBytes: 0, times: Infinity, match: { endpoint: 'list' } });
    const run = await get(['--all', '--timeout', '1', '--retries', '1']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/no answer for 1 s|no data received/);
    expect(downloadRequests(emulator)).toEqual([]);
  });
});

describe('bodies that break the rules', () => {
  it('reports a short body as a failure: no final name, and the next run finishes it', async () => {
    const file = emulator.addFile(USER, { name: 'short.bin', generated: { size: MiB } });
    emulator.inject({ kind: 'short-body', bytes: 1000 });
    const first = await get(['--all', '--retries', '0']);
    expect(first.code, first.stderr).toBe(4);
    expect(first.stderr).toMatch(/short\.bin: short body: got 1000 of 1048576 bytes/);
    expect(namesIn(out)).toEqual(['.short.bin.directlink-part', '.short.bin.directlink-part.json']);
    expect(sizeOf(partOf(out, 'short.bin'))).toBe(1000);

    const second = await get(['--all']);
    expect(second.code, second.stderr).toBe(0);
    expect(await sha256File(join(out, 'short.bin'))).toBe(emulator.sha256Of(USER, file.id));
    expect(downloadRequests(emulator).at(-1)?.headers.range).toBe('bytes=1000-');
  });

  it('reports a long body as a failure and never writes past the listed size', async () => {
    emulator.addFile(USER, { name: 'long.bin', generated: { size: 64 * 1024 } });
    emulator.inject({ kind: 'long-body', extra: 10 });
    const run = await get(['--all', '--retries', '0']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/long\.bin: the server announced 65546 bytes for a file listed as 65536 bytes/);
    expect(namesIn(out)).not.toContain('long.bin');
    expect(sizeOf(partOf(out, 'long.bin'))).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('the bearer token', () => {
  it('is renewed when it expires during a multi-file run, and no file fails', async () => {
    const files = emulator.addFiles(USER, Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.bin`, generated: { size: 256 * 1024 } })));
    // f0 stalls (a window to expire the tokens in), then must be found again in backup;
    // f3's link is refused and must be refreshed: both need listings with a renewed token.
    emulator.inject({ kind: 'stall', afterBytes: 1000, match: { fileName: 'f0.bin' } });
    emulator.inject({ kind: 'link-expired', match: { fileName: 'f3.bin' } });
    const child = startCli(['get', '-o', out, '--all', '-c', '1', '--timeout', '1'], { home: home.path, env: cliEnv(emulator) });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor(() => downloadRequests(emulator).length > 0, 'the first download request', child);
    const tokensBefore = emulator.requests.filter((r) => r.path.endsWith('/oauth2/token')).length;
    emulator.expireAllTokens();
    const run = await done;
    expect(run.code, run.stderr).toBe(0);
    for (const file of files) expect(await sha256File(join(out, file.name))).toBe(emulator.sha256Of(USER, file.id));
    // The expired token was refused, then renewed (once: one shared request), then accepted.
    const after = emulator.requests.slice(emulator.requests.findIndex((r) => /\/download\/file/.test(r.path)));
    expect(after.some((r) => /\/download\/list/.test(r.path) && r.status === 401)).toBe(true);
    expect(emulator.requests.filter((r) => r.path.endsWith('/oauth2/token')).length).toBe(tokensBefore + 1);
    expect(namesIn(out)).toEqual(files.map((f) => f.name));
  });

  it('exits 3 when the token is refused mid-run and cannot be renewed', async () => {
    emulator.addFile(USER, { name: 'a.bin', generated: { size: MiB } });
    emulator.inject({ kind: 'stall', afterBytes: 1000 });
    // A token from elsewhere and no password: nothing to renew it with.
    const env: Record<string, string> = { ...cliEnv(emulator), DIRECTLINK_TOKEN: emulator.issueToken(USER) };
    delete env.DIRECTLINK_PASSWORD;
    const child = startCli(['get', '-o', out, '--all', '--timeout', '1'], { home: home.path, env });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor(() => downloadRequests(emulator).length > 0, 'the first download request', child);
    emulator.expireAllTokens();
    const run = await done;
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/a\.bin: could not authenticate.*refused the token/);
    expect(namesIn(out)).toEqual(['.a.bin.directlink-part', '.a.bin.directlink-part.json']);
  });
});
