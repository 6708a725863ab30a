/**
 * Issue 3, points 7–9: local trouble (disk full, read-only or unusable directory), the
 * checks before the first request (free space), and one run per directory (the lock). The
 * built CLI as a process; a tiny tmpfs plays the full disk when this runs as root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { BIN, childEnv, collect, runCli, startCli, tempDir } from '../support/cli.js';
import { MiB, USER, cliEnv, downloadRequests, namesIn, partOf, sha256File, sizeOf, waitFor } from './resilience-support.js';

/** Mounts a tmpfs of `size` bytes on `dir` (root only); false when this system won't. */
function mountTmpfs(dir: string, size: number, readOnly = false): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755${readOnly ? ',ro' : ''}`, 'tmpfs', dir], { stdio: 'ignore', timeout: 10_000 });
  return result.status === 0;
}

function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir], { stdio: 'ignore', timeout: 10_000 });
}

const canMount = ((): boolean => {
  const probe = mkdtempSync(join(tmpdir(), 'directlink-mount-probe-'));
  const ok = mountTmpfs(probe, MiB);
  if (ok) unmount(probe);
  rmdirSync(probe);
  return ok;
})();
const isRoot = process.getuid?.() === 0;

let emulator: Emulator;
let home: { path: string; cleanup(): void };
let out: string;
const mounts: string[] = [];

beforeEach(async () => {
  emulator = await startEmulator();
  home = tempDir('directlink-local-');
  out = join(home.path, 'out');
});

afterEach(async () => {
  await emulator.close();
  for (const dir of mounts.splice(0)) unmount(dir);
  chmodSync(home.path, 0o755);
  home.cleanup();
});

const get = (args: string[], extra: Record<string, string> = {}) =>
  runCli(['get', '-o', out, ...args], { home: home.path, env: cliEnv(emulator, extra), timeoutMs: 60_000 });

/** A tmpfs of `size` bytes at `out`. */
function tinyDisk(size: number, readOnly = false): void {
  mkdirSync(out, { recursive: true });
  if (!mountTmpfs(out, size, readOnly)) throw new Error('test setup: mount failed');
  mounts.push(out);
}

describe('one run per directory', () => {
  it('a second `get` exits 5 at once naming the holder, and sends no request', async () => {
    emulator.addFile(USER, { name: 'big.bin', generated: { size: 4 * MiB } });
    emulator.inject({ kind: 'stall', afterBytes: MiB });
    const first = startCli(['get', '-o', out, '--all', '--timeout', '60'], { home: home.path, env: cliEnv(emulator) });
    const firstDone = collect(first, { timeoutMs: 60_000 });
    await waitFor(() => sizeOf(partOf(out, 'big.bin')) > 0, 'the first run to be downloading', first);

    const requestsBefore = emulator.requests.length;
    const second = await get(['--all']);
    expect(second.code, second.stderr).toBe(5);
    expect(second.stderr).toMatch(new RegExp(`Another directlink get \\(pid ${first.pid}, started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\) is using ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    expect(emulator.requests.length).toBe(requestsBefore);

    first.kill('SIGINT');
    expect((await firstDone).code).toBe(130);
    // The holder released its lock on the way out: the directory is free again.
    expect(namesIn(out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json']);
  });

  it('two runs started at the same instant: exactly one gets the directory, the file is requested once', async () => {
    const file = emulator.addFile(USER, { name: 'big.bin', generated: { size: 2 * MiB } });
    emulator.inject({ kind: 'stall', afterBytes: 64 * 1024 });
    const args = ['get', '-o', out, '--all', '--timeout', '60'];
    const children = [startCli(args, { home: home.path, env: cliEnv(emulator) }), startCli(args, { home: home.path, env: cliEnv(emulator) })];
    const runs = children.map((child) => collect(child, { timeoutMs: 60_000 }));
    const loser = await Promise.race(runs.map(async (run, index) => ({ index, run: await run })));
    expect(loser.run.code, loser.run.stderr).toBe(5);
    const winner = children[1 - loser.index];
    expect(loser.run.stderr).toContain(`pid ${winner?.pid}`);
    await waitFor(() => sizeOf(partOf(out, 'big.bin')) > 0, 'the winner to be downloading', winner);
    winner?.kill('SIGINT');
    expect((await runs[1 - loser.index])?.code).toBe(130);
    expect(downloadRequests(emulator)).toHaveLength(1);
    const rerun = await get(['--all']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await sha256File(join(out, 'big.bin'))).toBe(emulator.sha256Of(USER, file.id));
  });

  it('takes over a stale lock left by a dead process', async () => {
    const file = emulator.addFile(USER, { name: 'a.txt', content: 'alpha' });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, '.directlink.lock'), `${JSON.stringify({ pid: Number(dead.stdout), hostname: hostname(), startedAt: new Date().toISOString(), command: 'directlink get' })}\n`);
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(out, 'a.txt'))).toBe(emulator.sha256Of(USER, file.id));
    expect(namesIn(out)).toEqual(['a.txt']);
  });

  it('never takes over a lock from another host, and says which file to delete', async () => {
    emulator.addFile(USER, { name: 'a.txt', content: 'alpha' });
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, '.directlink.lock'), `${JSON.stringify({ pid: 1, hostname: 'build-07', startedAt: new Date().toISOString(), command: 'directlink get' })}\n`);
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toMatch(/pid 1 on build-07/);
    expect(run.stderr).toContain(join(out, '.directlink.lock'));
    expect(emulator.requests).toEqual([]);
  });
});

describe('checks before the first request', () => {
  it('refuses when the planned bytes clearly exceed the free space, before any download request', async () => {
    // 1 TiB, generated lazily by the emulator: more than this disk has free.
    emulator.addFile(USER, { name: 'huge.bin', generated: { size: 2 ** 40 } });
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/Failed to start the downloads into .*: they need 1\.0 TiB but only .* is free/);
    expect(run.stderr).toMatch(/--no-space-check/);
    expect(downloadRequests(emulator)).toEqual([]);
    expect(emulator.files(USER, 'inbox')).toHaveLength(1);
    expect(namesIn(out)).toEqual([]);
  });

  it.skipIf(!canMount)('refuses on a small disk too', async () => {
    tinyDisk(2 * MiB);
    emulator.addFile(USER, { name: 'a.bin', generated: { size: 3 * MiB } });
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/they need 3\.0 MiB but only 2\.0 MiB is free/);
    expect(downloadRequests(emulator)).toEqual([]);
  });

  it.skipIf(!canMount)('counts only the bytes still missing of an interrupted file', async () => {
    tinyDisk(6 * MiB);
    const file = emulator.addFile(USER, { name: 'a.bin', generated: { size: 5 * MiB } });
    emulator.moveToBackup(USER, file.id);
    // 3 of 5 MiB already on a 6 MiB disk: 2 MiB more fit, the whole 5 MiB would not.
    writeFileSync(partOf(out, 'a.bin'), emulator.contentOf(USER, file.id).subarray(0, 3 * MiB));
    writeFileSync(join(out, '.a.bin.directlink-part.json'), `${JSON.stringify({ version: 1, id: file.id, name: 'a.bin', size: file.size, modified: file.modified, area: 'inbox', targetName: 'a.bin', startedAt: new Date().toISOString() })}\n`);
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(out, 'a.bin'))).toBe(emulator.sha256Of(USER, file.id));
    expect(downloadRequests(emulator).map((r) => r.headers.range)).toEqual([`bytes=${3 * MiB}-`]);
  });

  it('refuses an output path that is a file, before any request', async () => {
    writeFileSync(out, 'not a directory');
    emulator.addFile(USER, { name: 'a.txt', content: 'alpha' });
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/Failed to use output directory .*out/);
    expect(emulator.requests).toEqual([]);
  });

  it('refuses a read-only output directory, before any request', async () => {
    if (isRoot) {
      if (!canMount) return;
      tinyDisk(MiB, true);
    } else {
      mkdirSync(out);
      chmodSync(out, 0o555);
    }
    emulator.addFile(USER, { name: 'a.txt', content: 'alpha' });
    const run = await get(['--all']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/Failed to use output directory .*out: (the file system is read-only|permission denied)\./);
    expect(emulator.requests).toEqual([]);
    expect(emulator.files(USER, 'inbox')).toHaveLength(1);
  });
});

describe('a disk that fills up mid-file', () => {
  it.skipIf(!canMount)('a disk already full: exit 1 naming the cause, and the file is never requested', async () => {
    tinyDisk(256 * 1024);
    // Fill every block: even the few bytes of a record or a lock no longer fit.
    const filler = Buffer.alloc(4096, 1);
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(join(out, 'filler'), 'w');
    try {
      for (let i = 0; i < 1000; i++) writeSync(fd, filler);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    emulator.addFile(USER, { name: 'a.txt', content: 'alpha' });
    const run = await get(['--all', '--no-space-check']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/no space left on (the )?device/);
    expect(downloadRequests(emulator)).toEqual([]);
    expect(emulator.files(USER, 'inbox')).toHaveLength(1);
  });

  it.skipIf(!canMount)('ENOSPC: exit 1, the file and the cause named, part and record kept; the next run with room finishes it', async () => {
    tinyDisk(MiB);
    const file = emulator.addFile(USER, { name: 'big.bin', generated: { size: 3 * MiB } });
    const run = await get(['--all', '--no-space-check']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/Failed to write big\.bin: no space left on device/);
    expect(namesIn(out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json']);
    const kept = sizeOf(partOf(out, 'big.bin'));
    expect(kept).toBeGreaterThan(0);

    execFileSync('mount', ['-o', 'remount,size=8m', out]);
    const rerun = await get(['--all']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await sha256File(join(out, 'big.bin'))).toBe(emulator.sha256Of(USER, file.id));
    expect(downloadRequests(emulator).at(-1)?.headers.range).toBe(`bytes=${kept}-`);
  });

  it('a file size limit (ulimit -f): exit 1, the cause named, part and record kept', async () => {
    emulator.addFile(USER, { name: 'big.bin', generated: { size: 3 * MiB } });
    // ulimit -f counts 1024-byte blocks: writes past 1 MiB fail with EFBIG.
    const child = (await import('node:child_process')).spawn('bash', ['-c', 'ulimit -f 1024 && exec "$0" "$@"', process.execPath, BIN, 'get', '-o', out, '--all'], {
      env: childEnv(home.path, cliEnv(emulator)),
      cwd: home.path,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const run = await collect(child, { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/Failed to write big\.bin: the file is too large for this file system/);
    expect(namesIn(out)).toEqual(['.big.bin.directlink-part', '.big.bin.directlink-part.json']);
    expect(sizeOf(partOf(out, 'big.bin'))).toBeLessThanOrEqual(MiB);
  });
});
