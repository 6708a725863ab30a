/**
 * Issue 3, points 3–4 and the exit codes: retries with backoff, link refresh, short and long
 * bodies, and many faults in one concurrent run, as the built CLI does them against the
 * emulator's faults.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, startCli } from '../support/cli.js';
import { MiB, USER, cliEnv, downloadRequests, namesIn, partOf, sha256File, sizeOf, waitFor } from './resilience-support.js';
import { useCliWorld } from '../support/world.js';

const w = useCliWorld('directlink-retry-');


const endpointOf = (path: string): string => path.replace(/^.*\/directlink\/v1\//, '');

describe('retries', () => {
  it('retries two 500s, then succeeds', async () => {
    const file = w.emulator.addFile(USER, { name: 'a.bin', generated: { size: MiB } });
    w.emulator.inject({ kind: 'status', status: 500, times: 2, match: { endpoint: 'file' } });
    const run = await w.get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(w.out, 'a.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
    // A 500 before the body is not "served": the file stayed in the inbox and the same link worked.
    expect(downloadRequests(w.emulator).map((r) => [endpointOf(r.path), r.status])).toEqual([['download/file', 500], ['download/file', 500], ['download/file', 200]]);
    expect(namesIn(w.out)).toEqual(['a.bin']);
  });

  it('refreshes a refused link by listing again', async () => {
    const file = w.emulator.addFile(USER, { name: 'a.txt', content: 'alpha' });
    w.emulator.inject({ kind: 'link-expired', match: { fileName: 'a.txt' } });
    const run = await w.get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    // Listings read pages ahead, so count runs of requests, not requests.
    const trail = w.emulator.requests.map((r) => `${endpointOf(r.path)} ${r.status}`).filter((line, i, all) => !line.startsWith('oauth2') && line !== all[i - 1]);
    expect(trail).toEqual(['download/list 200', 'download/file 401', 'download/list 200', 'download/file 200']);
    expect(await sha256File(join(w.out, 'a.txt'))).toBe(w.emulator.sha256Of(USER, file.id));
  });

  it('exits 4 when every file keeps failing on the server, leaving nothing behind for files never served', async () => {
    w.emulator.addFiles(USER, [{ name: 'a.txt', content: 'A' }, { name: 'b.txt', content: 'B' }]);
    w.emulator.inject({ kind: 'status', status: 503, times: Infinity, match: { endpoint: 'file' } });
    const run = await w.get(['--all', '--retries', '1', '--json']);
    expect(run.code, run.stderr).toBe(4);
    const summary = JSON.parse(run.stdout) as { downloaded: unknown[]; failed: { name: string; error: string; kind: string; partialKept: boolean }[] };
    expect(summary.downloaded).toEqual([]);
    expect(summary.failed.map((f) => [f.name, f.kind, f.partialKept])).toEqual([['a.txt', 'server', false], ['b.txt', 'server', false]]);
    expect(summary.failed[0]?.error).toMatch(/HTTP 503.*gave up after 1 retry/);
    // Never served, so still waiting in the inbox, and no record claims a partial download.
    expect(w.emulator.files(USER, 'inbox')).toHaveLength(2);
    expect(namesIn(w.out)).toEqual([]);
  });

  it('exits 1 when some files failed and others were downloaded', async () => {
    w.emulator.addFiles(USER, [{ name: 'good.txt', content: 'good' }, { name: 'bad.txt', content: 'bad' }]);
    w.emulator.inject({ kind: 'status', status: 500, times: Infinity, match: { fileName: 'bad.txt' } });
    const run = await w.get(['--all', '--retries', '0']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/bad\.txt/);
    expect(namesIn(w.out)).toEqual(['good.txt']);
  });

  it('exits 4 when the server goes away mid-transfer, keeping the part file and its record', async () => {
    w.emulator.addFile(USER, { name: 'big.bin', generated: { size: 4 * MiB } });
    w.emulator.inject({ kind: 'stall', afterBytes: 256 * 1024 });
    const child = startCli(['get', '-o', w.out, '--all', '--retries', '1', '--timeout', '2'], { home: w.home.path, env: cliEnv(w.emulator) });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor(() => sizeOf(partOf(w.out, 'big.bin')) > 0, 'bytes in the part file', child);
    await w.emulator.close();
    const run = await done;
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/big\.bin/);
    expect(namesIn(w.out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json']);
  });
});

describe('one retry budget', () => {
  it('does not retry a failed relisting again on top of the listing\'s own retries', async () => {
    w.emulator.addFile(USER, { name: 'a.bin', generated: { size: MiB } });
    w.emulator.inject({ kind: 'stall', afterBytes: 1000 });
    const child = startCli(['get', '-o', w.out, '--all', '--retries', '2', '--timeout', '1'], { home: w.home.path, env: cliEnv(w.emulator) });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor(() => downloadRequests(w.emulator).length > 0, 'the download request', child);
    // From now on every listing fails: the stalled file can't be found again to resume it.
    const listsBefore = w.emulator.requests.filter((r) => /\/download\/list/.test(r.path)).length;
    w.emulator.inject({ kind: 'status', status: 500, times: Infinity, match: { endpoint: 'list' } });
    const run = await done;
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/a\.bin: could not call \/download\/list: the server answered HTTP 500/);
    // One relisting: at most its read-ahead window (4 pages) × (1 + 2 retries), not that again per outer retry.
    const relists = w.emulator.requests.filter((r) => /\/download\/list/.test(r.path)).length - listsBefore;
    expect(relists).toBeGreaterThan(0);
    expect(relists).toBeLessThanOrEqual(4 * 3);
    expect(namesIn(w.out)).toEqual(['.a.bin.directlink-part', '.a.bin.directlink-part.json']);
  });
});

describe('many faults in one run', () => {
  it('finishes every file of a concurrent run hit by drops, a stall, a 500, a refused link and a short body', async () => {
    const files = w.emulator.addFiles(USER, Array.from({ length: 8 }, (_, i) => ({ name: `f${i}.bin`, generated: { size: MiB + i * 4099 } })));
    w.emulator.inject({ kind: 'drop', afterBytes: 300_000, match: { fileName: 'f0.bin' } });
    w.emulator.inject({ kind: 'drop', afterBytes: 0, match: { fileName: 'f1.bin' } });
    w.emulator.inject({ kind: 'stall', afterBytes: 500_000, match: { fileName: 'f2.bin' } });
    w.emulator.inject({ kind: 'status', status: 502, body: 'html', match: { fileName: 'f3.bin' } });
    w.emulator.inject({ kind: 'link-expired', match: { fileName: 'f4.bin' } });
    w.emulator.inject({ kind: 'short-body', bytes: 12_345, match: { fileName: 'f5.bin' } });
    w.emulator.inject({ kind: 'drop', afterBytes: 700_000, times: 2, match: { fileName: 'f6.bin' } });
    const run = await w.get(['--all', '-c', '4', '--timeout', '1', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { downloaded: { name: string }[]; failed: unknown[] };
    expect(summary.failed).toEqual([]);
    expect(summary.downloaded.map((d) => d.name)).toEqual(files.map((f) => f.name));
    for (const file of files) expect(await sha256File(join(w.out, file.name))).toBe(w.emulator.sha256Of(USER, file.id));
    expect(namesIn(w.out)).toEqual(files.map((f) => f.name));
    expect(w.emulator.pendingFaults()).toEqual([]);
  });
});

describe('bodies that break the rules', () => {
  it('reports a short body as a failure: no final name, and the next run finishes it', async () => {
    const file = w.emulator.addFile(USER, { name: 'short.bin', generated: { size: MiB } });
    w.emulator.inject({ kind: 'short-body', bytes: 1000 });
    const first = await w.get(['--all', '--retries', '0']);
    expect(first.code, first.stderr).toBe(4);
    expect(first.stderr).toMatch(/short\.bin: short body: got 1000 of 1048576 bytes/);
    expect(namesIn(w.out)).toEqual(['.short.bin.directlink-part', '.short.bin.directlink-part.json']);
    expect(sizeOf(partOf(w.out, 'short.bin'))).toBe(1000);

    const second = await w.get(['--all']);
    expect(second.code, second.stderr).toBe(0);
    expect(await sha256File(join(w.out, 'short.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
    expect(downloadRequests(w.emulator).at(-1)?.headers.range).toBe('bytes=1000-');
  });

  it('reports a long body as a failure and never writes past the listed size', async () => {
    w.emulator.addFile(USER, { name: 'long.bin', generated: { size: 64 * 1024 } });
    w.emulator.inject({ kind: 'long-body', extra: 10 });
    const run = await w.get(['--all', '--retries', '0']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/long\.bin: the server announced 65546 bytes for a file listed as 65536 bytes/);
    expect(namesIn(w.out)).not.toContain('long.bin');
    expect(sizeOf(partOf(w.out, 'long.bin'))).toBeLessThanOrEqual(64 * 1024);
  });
});
