import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RemoteFile } from '../../src/api/types.js';
import { LocalError, LockedError } from '../../src/errors.js';
import { journalNameFor, partNameFor } from '../../src/transfer/names.js';
import {
  type JournalRecord,
  acquireLock,
  checkFreeSpace,
  checkWritable,
  findUnfinished,
  journalPathFor,
  journalRecordFor,
  listExistingNames,
  partPathFor,
  readJournal,
  removeJournal,
  writeJournal,
} from '../../src/transfer/workdir.js';

const WORKDIR_MODULE = new URL('../../src/transfer/workdir.ts', import.meta.url).href;

let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'directlink-workdir-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill();
  await chmod(dir, 0o755).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

const remote = (name: string, size = 1000): RemoteFile => ({
  id: 7,
  name,
  size,
  modified: 1_700_000_000_000,
  link: 'http://127.0.0.1:1/download/file?lang=pt&k=SECRET-TOKEN',
  area: 'backup',
});

const record = (targetName: string, size = 1000): JournalRecord => journalRecordFor(remote(targetName, size), targetName, Date.UTC(2026, 11, 3, 17, 40, 1));

/** A pid that surely belongs to no process: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  if (child.pid === undefined) throw new Error('no pid');
  return child.pid;
}

/** A process that runs until killed. */
function liveProcess(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const lockJson = (pid: number, host = hostname(), startedAt = '2026-12-03T17:40:01.000Z') =>
  `${JSON.stringify({ pid, hostname: host, startedAt, command: 'get' })}\n`;

const lockOptions = (extra: Partial<Parameters<typeof acquireLock>[1]> = {}) => ({ pid: process.pid, now: Date.now(), command: 'get', ...extra });

describe('temporary paths', () => {
  it('sit beside the target', () => {
    expect(partPathFor('/out/a.csv')).toBe('/out/.a.csv.directlink-part');
    expect(journalPathFor('/out/a.csv')).toBe('/out/.a.csv.directlink-part.json');
  });
});

describe('journal', () => {
  it('round-trips, leaves no temporary file, never stores the link', async () => {
    const target = join(dir, 'a.csv');
    const wide = { ...record('a.csv'), link: remote('a.csv').link } as JournalRecord;
    await writeJournal(target, wide);
    expect(await readdir(dir)).toEqual([journalNameFor('a.csv')]);
    const text = await readFile(journalPathFor(target), 'utf8');
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain('link');
    expect(await readJournal(journalPathFor(target))).toEqual({ ok: true, record: record('a.csv') });
  });

  it('replaces an older record', async () => {
    const target = join(dir, 'a.csv');
    await writeJournal(target, record('a.csv', 1));
    await writeJournal(target, record('a.csv', 2));
    const read = await readJournal(journalPathFor(target));
    expect(read.ok && read.record.size).toBe(2);
  });

  it('fails with a LocalError when the directory is gone', async () => {
    await expect(writeJournal(join(dir, 'missing', 'a.csv'), record('a.csv'))).rejects.toThrow(LocalError);
  });

  const good = record('a.csv');
  it.each<[string, string | Buffer, RegExp]>([
    ['not JSON', '{"version":1,', /not valid JSON/u],
    ['empty', '', /not valid JSON/u],
    ['an array', '[1]', /not a JSON object/u],
    ['a newer version', JSON.stringify({ ...good, version: 2 }), /unknown version/u],
    ['a fractional id', JSON.stringify({ ...good, id: 1.5 }), /id/u],
    ['a negative size', JSON.stringify({ ...good, size: -1 }), /size/u],
    ['a bad area', JSON.stringify({ ...good, area: 'elsewhere' }), /area/u],
    ['a traversing target', JSON.stringify({ ...good, targetName: '../../etc/passwd' }), /target name is not a safe/u],
    ['another file’s target', JSON.stringify({ ...good, targetName: 'b.csv' }), /does not match/u],
    ['a bad date', JSON.stringify({ ...good, startedAt: 'yesterday' }), /start time/u],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /can't be read/u],
    ['a huge file', `{"x":"${'a'.repeat(70_000)}"}`, /too large/u],
    ['a proto trick', `{"__proto__":{"version":1},"id":1}`, /unknown version/u],
  ])('rejects %s without throwing', async (_label, content, reason) => {
    const path = join(dir, journalNameFor('a.csv'));
    await writeFile(path, content);
    const read = await readJournal(path);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.reason).toMatch(reason);
  });

  it('rejects a symlink, a directory, a FIFO and a missing file without throwing or blocking', async () => {
    const outside = join(dir, 'outside.json');
    await writeFile(outside, JSON.stringify(good));
    const link = join(dir, journalNameFor('a.csv'));
    await symlink(outside, link);
    expect(await readJournal(link)).toEqual({ ok: false, reason: 'it is a symbolic link' });
    const sub = join(dir, journalNameFor('b.csv'));
    await mkdir(sub);
    expect((await readJournal(sub)).ok).toBe(false);
    expect((await readJournal(join(dir, journalNameFor('nope.csv')))).ok).toBe(false);
    if (process.platform !== 'win32') {
      const fifo = join(dir, journalNameFor('c.csv'));
      execFileSync('mkfifo', [fifo]);
      expect(await readJournal(fifo)).toEqual({ ok: false, reason: 'it is not a regular file' });
    }
  });

  it('removes a record, and a missing one is fine', async () => {
    const target = join(dir, 'a.csv');
    await writeJournal(target, record('a.csv'));
    await removeJournal(target);
    await removeJournal(target);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('findUnfinished', () => {
  it('finds interrupted work, finished leftovers and problems, and deletes nothing', async () => {
    // Interrupted with 300 bytes on disk.
    await writeJournal(join(dir, 'big.iso'), record('big.iso', 1000));
    await writeFile(join(dir, partNameFor('big.iso')), Buffer.alloc(300));
    // Interrupted before the first byte.
    await writeJournal(join(dir, 'empty.bin'), record('empty.bin', 50));
    // Renamed into place but the record was not removed yet.
    await writeJournal(join(dir, 'done.csv'), record('done.csv', 4));
    await writeFile(join(dir, 'done.csv'), 'abcd');
    // A user file with the name of an interrupted one, but another size: still unfinished.
    await writeJournal(join(dir, 'other.txt'), record('other.txt', 10));
    await writeFile(join(dir, 'other.txt'), 'xyz');
    // Problems.
    await writeFile(join(dir, partNameFor('orphan.bin')), 'x');
    await writeFile(join(dir, journalNameFor('broken.bin')), '{oops');
    await writeFile(join(dir, `${journalNameFor('torn.bin')}.tmp`), '{"ver');
    await writeJournal(join(dir, 'weird.bin'), record('weird.bin'));
    await mkdir(join(dir, partNameFor('weird.bin')));
    // Unrelated user files.
    await writeFile(join(dir, 'notes.json'), '{}');
    const before = (await readdir(dir)).sort();

    const scan = await findUnfinished(dir);
    expect(scan.unfinished.map((u) => [u.targetName, u.partBytes])).toEqual([
      ['big.iso', 300],
      ['empty.bin', 0],
      ['other.txt', 0],
    ]);
    const big = scan.unfinished[0];
    expect(big?.targetPath).toBe(join(dir, 'big.iso'));
    expect(big?.partPath).toBe(join(dir, partNameFor('big.iso')));
    expect(big?.journalPath).toBe(join(dir, journalNameFor('big.iso')));
    expect(big?.record).toEqual(record('big.iso', 1000));
    expect(scan.completed.map((u) => u.targetName)).toEqual(['done.csv']);
    expect(scan.problems.map((p) => p.path).sort()).toEqual(
      [partNameFor('orphan.bin'), journalNameFor('broken.bin'), `${journalNameFor('torn.bin')}.tmp`, partNameFor('weird.bin')].map((n) => join(dir, n)).sort(),
    );
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('finds nothing in a missing or empty directory', async () => {
    expect(await findUnfinished(join(dir, 'nope'))).toEqual({ unfinished: [], completed: [], problems: [] });
    expect(await findUnfinished(dir)).toEqual({ unfinished: [], completed: [], problems: [] });
  });
});

describe('acquireLock', () => {
  it('creates the lock with who holds it, and release removes it', async () => {
    const lock = await acquireLock(dir, lockOptions({ now: Date.UTC(2026, 11, 3, 17, 40, 1) }));
    expect(lock.path).toBe(join(dir, '.directlink.lock'));
    const data = JSON.parse(await readFile(lock.path, 'utf8')) as Record<string, unknown>;
    expect(data).toMatchObject({ pid: process.pid, hostname: hostname(), startedAt: '2026-12-03T17:40:01.000Z', command: 'get' });
    await lock.release();
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps a second taker out while held (same process), naming pid and start time', async () => {
    const now = new Date(2026, 11, 3, 17, 40, 1).getTime();
    const lock = await acquireLock(dir, lockOptions({ now }));
    const second = acquireLock(dir, lockOptions());
    await expect(second).rejects.toThrow(LockedError);
    await expect(acquireLock(dir, lockOptions())).rejects.toThrow(`Another directlink get (pid ${process.pid}, started 2026-12-03 17:40:01) is using ${dir}.`);
    await lock.release();
    const third = await acquireLock(dir, lockOptions());
    third.releaseSync();
    expect(await readdir(dir)).toEqual([]);
  });

  it('lets exactly one of many simultaneous takers win', async () => {
    const alive = new Set<number>();
    const tries = Array.from({ length: 8 }, (_, i) => {
      alive.add(50_000 + i);
      return acquireLock(dir, { pid: 50_000 + i, now: Date.now(), command: 'get', isAlive: (pid) => alive.has(pid) });
    });
    const results = await Promise.allSettled(tries);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockedError);
  });

  it('lets exactly one of many simultaneous takers replace a stale lock', async () => {
    const stale = await deadPid();
    for (let round = 0; round < 5; round++) {
      await writeFile(join(dir, '.directlink.lock'), lockJson(stale));
      const alive = new Set<number>();
      const tries = Array.from({ length: 6 }, (_, i) => {
        alive.add(60_000 + i);
        return acquireLock(dir, { pid: 60_000 + i, now: Date.now(), command: 'get', isAlive: (pid) => alive.has(pid) });
      });
      const results = await Promise.allSettled(tries);
      const winners = results.filter((r): r is PromiseFulfilledResult<Awaited<(typeof tries)[number]>> => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      await winners[0]?.value.release();
      expect(await readdir(dir)).toEqual([]);
    }
  });

  it('is refused while another live process holds it, with the real process check', async () => {
    const child = liveProcess();
    await writeFile(join(dir, '.directlink.lock'), lockJson(child.pid ?? 0));
    await expect(acquireLock(dir, lockOptions())).rejects.toThrow(new RegExp(`^Another directlink get \\(pid ${child.pid}, started `, 'u'));
  });

  it('names the holder’s command with or without the program name', async () => {
    const child = liveProcess();
    const lockPath = join(dir, '.directlink.lock');
    await writeFile(lockPath, lockJson(child.pid ?? 0).replace('"get"', '"directlink get"'));
    await expect(acquireLock(dir, lockOptions())).rejects.toThrow(/^Another directlink get \(pid/u);
  });

  it('takes over the lock of a process that is gone', async () => {
    await writeFile(join(dir, '.directlink.lock'), lockJson(await deadPid()));
    const lock = await acquireLock(dir, lockOptions());
    expect(JSON.parse(await readFile(lock.path, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(await readdir(dir)).toEqual(['.directlink.lock']);
    await lock.release();
  });

  it('waits out a fresh unreadable lock, then takes over an old one', async () => {
    const path = join(dir, '.directlink.lock');
    await writeFile(path, '');
    await expect(acquireLock(dir, lockOptions())).rejects.toThrow(/can't be read yet/u);
    const old = new Date(Date.now() - 5 * 60_000);
    await utimes(path, old, old);
    const lock = await acquireLock(dir, lockOptions());
    await lock.release();
  });

  it('never takes over a lock from another host, and says which file to delete', async () => {
    await writeFile(join(dir, '.directlink.lock'), lockJson(await deadPid(), 'build-box-7', '2020-01-01T00:00:00.000Z'));
    const error = await acquireLock(dir, lockOptions()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as LockedError).message).toMatch(/pid \d+ on build-box-7/u);
    expect((error as LockedError).hint).toContain(join(dir, '.directlink.lock'));
  });

  it('does not take over while another takeover is in progress', async () => {
    await writeFile(join(dir, '.directlink.lock'), lockJson(await deadPid()));
    await writeFile(join(dir, '.directlink.lock.takeover'), lockJson(process.pid));
    await expect(acquireLock(dir, lockOptions())).rejects.toThrow(/replacing its stale lock/u);
  });

  it('release leaves a lock that is no longer ours', async () => {
    const lock = await acquireLock(dir, lockOptions());
    await writeFile(lock.path, lockJson(12345));
    await lock.release();
    lock.releaseSync();
    expect(await readFile(lock.path, 'utf8')).toBe(lockJson(12345));
  });

  it('excludes a real second process using the same code', async () => {
    const script = `
      import { acquireLock } from ${JSON.stringify(WORKDIR_MODULE)};
      const lock = await acquireLock(process.argv[1], { pid: process.pid, now: Date.now(), command: 'get' });
      process.stdout.write('locked\\n');
      process.stdin.resume();
      process.stdin.on('end', async () => { await lock.release(); process.stdout.write('released\\n'); });
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    const waitFor = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => (out.includes(text) ? resolve() : undefined);
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          check();
        });
        child.once('exit', () => (out.includes(text) ? resolve() : reject(new Error(`child exited without "${text}": ${out}`))));
        check();
      });
    await waitFor('locked');
    await expect(acquireLock(dir, lockOptions())).rejects.toThrow(new RegExp(`pid ${child.pid}`, 'u'));
    child.stdin?.end();
    await waitFor('released');
    const lock = await acquireLock(dir, lockOptions());
    await lock.release();
  });
});

describe('checkWritable', () => {
  it('creates a missing directory, parents included, and leaves nothing behind', async () => {
    const out = join(dir, 'a', 'b');
    await checkWritable(out);
    expect((await stat(out)).isDirectory()).toBe(true);
    expect(await readdir(out)).toEqual([]);
  });

  it('refuses a file, and a path through a file', async () => {
    const file = join(dir, 'file');
    await writeFile(file, 'x');
    await expect(checkWritable(file)).rejects.toThrow(`Failed to use output directory ${file}: `);
    await expect(checkWritable(join(file, 'sub'))).rejects.toThrow(/a part of the path is not a directory|it exists and is not a directory/u);
  });

  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)('refuses a directory it can’t write to', async () => {
    const ro = join(dir, 'ro');
    await mkdir(ro, { mode: 0o555 });
    await expect(checkWritable(ro)).rejects.toThrow(`Failed to use output directory ${ro}: permission denied.`);
  });
});

describe('checkFreeSpace and listExistingNames', () => {
  it('reports the free space and refuses a need it can’t meet', async () => {
    const { available } = await checkFreeSpace(dir, 1);
    expect(available).toBeGreaterThan(0);
    const error = await checkFreeSpace(dir, Number.MAX_SAFE_INTEGER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalError);
    expect((error as LocalError).message).toMatch(/^Failed to start the downloads into .*: they need 8\.0 PiB but only .* is free\.$/u);
    expect((error as LocalError).hint).toContain('--no-space-check');
  });

  it('lists names, and nothing for a missing directory', async () => {
    await writeFile(join(dir, 'a'), '');
    await writeFile(join(dir, '.b'), '');
    expect(await listExistingNames(dir)).toEqual(new Set(['a', '.b']));
    expect(await listExistingNames(join(dir, 'nope'))).toEqual(new Set());
  });
});
