/**
 * Issue 3, point 4: the bearer token expiring during a long run is renewed without failing a
 * file; a token that can't be renewed ends the run with exit 3. The built CLI as a process.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, startCli } from '../support/cli.js';
import { MiB, USER, cliEnv, downloadRequests, namesIn, sha256File, waitFor } from './resilience-support.js';
import { useCliWorld } from '../support/world.js';

const w = useCliWorld('directlink-token-');

describe('the bearer token', () => {
  it('is renewed when it expires during a multi-file run, and no file fails', async () => {
    const files = w.emulator.addFiles(USER, Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.bin`, generated: { size: 256 * 1024 } })));
    // f0 stalls (a window to expire the tokens in), then must be found again in backup;
    // f3's link is refused and must be refreshed: both need listings with a renewed token.
    w.emulator.inject({ kind: 'stall', afterBytes: 1000, match: { fileName: 'f0.bin' } });
    w.emulator.inject({ kind: 'link-expired', match: { fileName: 'f3.bin' } });
    const child = startCli(['get', '-o', w.out, '--all', '-c', '1', '--timeout', '1'], { home: w.home.path, env: cliEnv(w.emulator) });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor(() => downloadRequests(w.emulator).length > 0, 'the first download request', child);
    const tokensBefore = w.emulator.requests.filter((r) => r.path.endsWith('/oauth2/token')).length;
    w.emulator.expireAllTokens();
    const run = await done;
    expect(run.code, run.stderr).toBe(0);
    for (const file of files) expect(await sha256File(join(w.out, file.name))).toBe(w.emulator.sha256Of(USER, file.id));
    // The expired token was refused, then renewed (once: one shared request), then accepted.
    const after = w.emulator.requests.slice(w.emulator.requests.findIndex((r) => /\/download\/file/.test(r.path)));
    expect(after.some((r) => /\/download\/list/.test(r.path) && r.status === 401)).toBe(true);
    expect(w.emulator.requests.filter((r) => r.path.endsWith('/oauth2/token')).length).toBe(tokensBefore + 1);
    expect(namesIn(w.out)).toEqual(files.map((f) => f.name));
  });

  it('exits 3 when the token is refused mid-run and cannot be renewed', async () => {
    w.emulator.addFile(USER, { name: 'a.bin', generated: { size: MiB } });
    w.emulator.inject({ kind: 'stall', afterBytes: 1000 });
    // A token from elsewhere and no password: nothing to renew it with.
    const env: Record<string, string> = { ...cliEnv(w.emulator), DIRECTLINK_TOKEN: w.emulator.issueToken(USER) };
    delete env.DIRECTLINK_PASSWORD;
    const child = startCli(['get', '-o', w.out, '--all', '--timeout', '1'], { home: w.home.path, env });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor(() => downloadRequests(w.emulator).length > 0, 'the first download request', child);
    w.emulator.expireAllTokens();
    const run = await done;
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/a\.bin: could not authenticate.*refused the token/);
    expect(namesIn(w.out)).toEqual(['.a.bin.directlink-part', '.a.bin.directlink-part.json']);
  });
});
