/**
 * Issue 3, point 6: Ctrl-C, SIGTERM and kill -9 in the middle of a transfer. The built CLI is
 * stopped while the server stalls a body (so the part file holds some bytes, never all), then
 * run again: the file must come out complete, byte-identical, from the backup area.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Emulator } from '../emulator/server.js';
import { collect, runCli, startCli } from '../support/cli.js';
import { MiB, USER, cliEnv, downloadRequests, journalOf, namesIn, partOf, readJournalFile, sha256File, sizeOf, waitFor } from './resilience-support.js';
import { useCliWorld } from '../support/world.js';

const w = useCliWorld('directlink-signals-');

const SIZE = 8 * MiB;
const STALL_AT = 3 * MiB;

/** Starts `get --all` on a file whose body stalls after STALL_AT bytes; resolves once bytes are on disk. */
async function startStalledGet(): Promise<{ file: ReturnType<Emulator['addFile']>; child: ReturnType<typeof startCli>; done: ReturnType<typeof collect> }> {
  const file = w.emulator.addFile(USER, { name: 'big.bin', generated: { size: SIZE } });
  w.emulator.inject({ kind: 'stall', afterBytes: STALL_AT });
  // A long --timeout: the stall must still be going on when the signal lands.
  const child = startCli(['get', '-o', w.out, '--all', '--timeout', '60'], { home: w.home.path, env: cliEnv(w.emulator) });
  const done = collect(child, { timeoutMs: 60_000 });
  await waitFor(() => sizeOf(partOf(w.out, 'big.bin')) > 0, 'bytes in the part file', child);
  return { file, child, done };
}

/** The next run finishes the file from backup with Range, byte-identical, and leaves nothing else. */
async function expectRerunFinishes(file: ReturnType<Emulator['addFile']>): Promise<void> {
  const kept = sizeOf(partOf(w.out, 'big.bin'));
  const before = downloadRequests(w.emulator).length;
  const rerun = await runCli(['get', '-o', w.out, '--all'], { home: w.home.path, env: cliEnv(w.emulator), timeoutMs: 60_000 });
  expect(rerun.code, rerun.stderr).toBe(0);
  expect(namesIn(w.out)).toEqual(['big.bin']);
  expect(await sha256File(join(w.out, 'big.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
  const resumed = downloadRequests(w.emulator).slice(before);
  expect(resumed.map((r) => [r.path.replace(/^.*\/download\//, ''), r.headers.range, r.status])).toEqual([['file/backup', `bytes=${kept}-`, 206]]);
}

describe('signals', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} mid-transfer exits 130, keeps the part file and record, releases the lock; the next run finishes it`, async () => {
      const { file, child, done } = await startStalledGet();
      child.kill(signal);
      const run = await done;
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toMatch(/Interrupted: partial downloads are kept/);
      // Not on a terminal: no cursor codes, no carriage returns.
      expect(run.stderr).not.toContain('\r');
      expect(run.stderr).not.toContain('\u001b');
      expect(namesIn(w.out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json']);
      const kept = sizeOf(partOf(w.out, 'big.bin'));
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThanOrEqual(STALL_AT);
      expect(readJournalFile(journalOf(w.out, 'big.bin'))).toMatchObject({ id: file.id, name: 'big.bin', size: SIZE, modified: file.modified });
      await expectRerunFinishes(file);
    });
  }

  it('kill -9 mid-transfer leaves nothing under the final name; the next run takes over the stale lock and finishes it', async () => {
    const { file, child, done } = await startStalledGet();
    child.kill('SIGKILL');
    const run = await done;
    expect(run.signal).toBe('SIGKILL');
    // The dead process's lock stays behind; nothing has the final name.
    expect(namesIn(w.out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json', '.directlink.lock']);
    expect(existsSync(join(w.out, 'big.bin'))).toBe(false);
    await expectRerunFinishes(file);
  });

  it('kill -9 after the request was served but before any byte: the record written first lets the next run find it in backup', async () => {
    const file = w.emulator.addFile(USER, { name: 'big.bin', generated: { size: SIZE } });
    w.emulator.inject({ kind: 'stall', afterBytes: 0 });
    const child = startCli(['get', '-o', w.out, '--all', '--timeout', '60'], { home: w.home.path, env: cliEnv(w.emulator) });
    const done = collect(child, { timeoutMs: 60_000 });
    // Served (status set, the file moved to backup), and not one body byte sent.
    await waitFor(() => downloadRequests(w.emulator).some((r) => r.status === 200), 'the download request to be served', child);
    child.kill('SIGKILL');
    await done;
    expect(w.emulator.files(USER, 'inbox')).toEqual([]);
    expect(namesIn(w.out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json', '.directlink.lock']);
    expect(sizeOf(partOf(w.out, 'big.bin'))).toBe(0);
    const rerun = await runCli(['get', '-o', w.out, '--all'], { home: w.home.path, env: cliEnv(w.emulator), timeoutMs: 60_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(namesIn(w.out)).toEqual(['big.bin']);
    expect(await sha256File(join(w.out, 'big.bin'))).toBe(w.emulator.sha256Of(USER, file.id));
    expect(downloadRequests(w.emulator).at(-1)?.path).toMatch(/\/download\/file\/backup$/);
  });

  it('SIGTERM with several transfers in flight keeps every part; files never requested stay in the inbox; the next run finishes all', async () => {
    const files = w.emulator.addFiles(USER, Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.bin`, generated: { size: 2 * MiB } })));
    w.emulator.inject({ kind: 'stall', afterBytes: 64 * 1024, times: 6 });
    const child = startCli(['get', '-o', w.out, '--all', '-c', '3', '--timeout', '60'], { home: w.home.path, env: cliEnv(w.emulator) });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor(() => ['f0.bin', 'f1.bin', 'f2.bin'].every((name) => sizeOf(partOf(w.out, name)) > 0), 'three transfers with bytes on disk', child);
    child.kill('SIGTERM');
    expect((await done).code).toBe(130);
    const parts = namesIn(w.out).filter((name) => name.endsWith('.directlink-part'));
    expect(parts).toEqual(['.f0.bin.directlink-part', '.f1.bin.directlink-part', '.f2.bin.directlink-part']);
    expect(namesIn(w.out)).toHaveLength(6);
    // Only what was requested left the inbox.
    expect(w.emulator.files(USER, 'inbox').map((f) => f.name)).toEqual(['f3.bin', 'f4.bin', 'f5.bin']);

    w.emulator.clearFaults();
    const rerun = await runCli(['get', '-o', w.out, '--all'], { home: w.home.path, env: cliEnv(w.emulator), timeoutMs: 60_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(namesIn(w.out)).toEqual(files.map((f) => f.name));
    for (const file of files) expect(await sha256File(join(w.out, file.name))).toBe(w.emulator.sha256Of(USER, file.id));
  });

  it('SIGINT while waiting to retry ends the run at once with 130', async () => {
    w.emulator.addFile(USER, { name: 'a.txt', content: 'alpha' });
    w.emulator.inject({ kind: 'status', status: 503, times: Infinity, match: { endpoint: 'file' } });
    const child = startCli(['get', '-o', w.out, '--all', '--retries', '50'], { home: w.home.path, env: cliEnv(w.emulator) });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor(() => downloadRequests(w.emulator).length >= 2, 'a retry', child);
    child.kill('SIGINT');
    const run = await done;
    expect(run.code, run.stderr).toBe(130);
    expect(namesIn(w.out).filter((name) => name === '.directlink.lock' || name === 'a.txt')).toEqual([]);
  });

  it('SIGINT while listing exits 130 before any download request, lock released', async () => {
    w.emulator.addFile(USER, { name: 'a.txt', content: 'alpha' });
    w.emulator.inject({ kind: 'hang', match: { endpoint: 'list' } });
    const child = startCli(['get', '-o', w.out, '--all', '--timeout', '60'], { home: w.home.path, env: cliEnv(w.emulator) });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor(() => w.emulator.requests.some((r) => r.path.endsWith('/download/list')), 'the listing', child);
    child.kill('SIGINT');
    const run = await done;
    expect(run.code, run.stderr).toBe(130);
    expect(downloadRequests(w.emulator)).toEqual([]);
    expect(namesIn(w.out)).toEqual([]);
  });

  it('Ctrl-C on a terminal restores the cursor and exits 130', async () => {
    const file = w.emulator.addFile(USER, { name: 'big.bin', generated: { size: SIZE } });
    w.emulator.inject({ kind: 'stall', afterBytes: STALL_AT });
    // `script` gives the CLI a pseudo-terminal, so it draws bars and hides the cursor.
    const { spawn } = await import('node:child_process');
    const { BIN, childEnv } = await import('../support/cli.js');
    const command = `exec '${process.execPath}' '${BIN}' get -o '${w.out}' --all --timeout 60`;
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: { ...childEnv(w.home.path, cliEnv(w.emulator)), TERM: 'xterm-256color', COLUMNS: '100', LINES: '30' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitFor(() => sizeOf(partOf(w.out, 'big.bin')) > 0 && screen.includes('big.bin'), 'a progress bar with bytes on disk', child);
      // Ctrl-C as the terminal sends it: a byte on the pty, turned into SIGINT for its foreground job.
      child.stdin.write('\u0003');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
    const hide = screen.lastIndexOf('\u001b[?25l');
    const show = screen.lastIndexOf('\u001b[?25h');
    expect(hide).toBeGreaterThanOrEqual(0);
    expect(show).toBeGreaterThan(hide);
    expect(screen).toMatch(/Interrupted/);
    expect(namesIn(w.out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json']);
    await expectRerunFinishes(file);
  });
});
