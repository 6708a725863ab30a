/**
 * The output directory on disk: its lock, the temporary files and sidecar records of
 * downloads in progress, the unfinished work a crash leaves, and the checks done before the
 * first request (PRODUCT.md, "Downloads that never lose data"). Never deletes a user's file.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, readFileSync, unlinkSync } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, rename, stat, statfs, unlink } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Area, RemoteFile } from '../api/types.js';
import { LocalError, LockedError, describeError } from '../errors.js';
import { JOURNAL_SUFFIX, JOURNAL_TMP_SUFFIX, LOCK_NAME, PART_SUFFIX, journalNameFor, journalTmpNameFor, partNameFor, safeFileName } from './names.js';
import { formatBytes } from './units.js';

/** What a sidecar records about a download in progress. Never the link: it carries a secret token. */
export interface JournalRecord {
  readonly version: 1;
  readonly id: number;
  /** The server's name, exactly as listed. */
  readonly name: string;
  readonly size: number;
  readonly modified: number;
  readonly area: Area;
  /** The final name in the output directory; the temporary file is partNameFor(targetName). */
  readonly targetName: string;
  /** When the download started, ISO-8601 UTC. */
  readonly startedAt: string;
}

/** Result of reading a sidecar: the record, or why it can't be used. */
export type JournalRead = { readonly ok: true; readonly record: JournalRecord } | { readonly ok: false; readonly reason: string };

/** An interrupted download found in the output directory. */
export interface Unfinished {
  readonly record: JournalRecord;
  readonly targetName: string;
  readonly targetPath: string;
  readonly partPath: string;
  readonly journalPath: string;
  /** Size of the temporary file, 0 when it is missing. */
  readonly partBytes: number;
}

/** What findUnfinished saw. */
export interface UnfinishedScan {
  /** Downloads to finish, sorted by target name. */
  readonly unfinished: readonly Unfinished[];
  /**
   * Sidecars whose download did finish: no temporary file, and the target exists with the
   * recorded size (a crash between the final rename and the sidecar's removal). Only the
   * sidecar is left to remove (removeJournal).
   */
  readonly completed: readonly Unfinished[];
  /** Damaged or hostile sidecars, temporary files without a sidecar: reported, left alone. */
  readonly problems: readonly { readonly path: string; readonly reason: string }[];
}

export interface LockOptions {
  readonly pid: number;
  /** Epoch ms, written as the holder's start time and used to age damaged lock files. */
  readonly now: number;
  /** What holds the lock, shown to the one kept out: "get" or "directlink get". */
  readonly command: string;
  /** Defaults to os.hostname(). */
  readonly hostname?: string;
  /** Whether a process of this host is running; defaults to `process.kill(pid, 0)` (EPERM: alive). */
  readonly isAlive?: (pid: number) => boolean;
}

/** A held lock. Releasing twice, or after someone removed the file, is harmless. */
export interface LockHandle {
  readonly path: string;
  /** Remove the lock file if it is still ours. */
  release(): Promise<void>;
  /** Same, synchronously, for exit handlers. */
  releaseSync(): void;
}

// A sidecar is a few hundred bytes; anything much larger is not ours.
const MAX_JOURNAL_BYTES = 64 * 1024;
// Created beside the lock while a stale lock is being replaced (see acquireLock).
const TAKEOVER_NAME = `${LOCK_NAME}.takeover`;
// A lock file is written right after it is created; an unreadable one younger than this may
// be mid-write, older it is the remains of a crash.
const DAMAGED_LOCK_GRACE_MS = 60_000;

/** Path of the temporary file beside a target path. */
export function partPathFor(targetPath: string): string {
  return join(dirname(targetPath), partNameFor(basename(targetPath)));
}

/** Path of the sidecar record beside a target path. */
export function journalPathFor(targetPath: string): string {
  return join(dirname(targetPath), journalNameFor(basename(targetPath)));
}

/** The sidecar record for a listed file (everything but its link). */
export function journalRecordFor(file: RemoteFile, targetName: string, startedAt: number): JournalRecord {
  return {
    version: 1,
    id: file.id,
    name: file.name,
    size: file.size,
    modified: file.modified,
    area: file.area,
    targetName,
    startedAt: new Date(startedAt).toISOString(),
  };
}

/**
 * Write the sidecar of a target atomically: temporary file, fsync, rename, so a crash leaves
 * the old record or the new one, never a torn one. Throws LocalError.
 */
export async function writeJournal(targetPath: string, record: JournalRecord): Promise<void> {
  const dir = dirname(targetPath);
  const tmpPath = join(dir, journalTmpNameFor(basename(targetPath)));
  const finalPath = journalPathFor(targetPath);
  // Only the known fields: a caller passing a wider object (a RemoteFile with its link) must
  // not get the link's secret token written to disk.
  const { version, id, name, size, modified, area, targetName, startedAt } = record;
  const clean: JournalRecord = { version, id, name, size, modified, area, targetName, startedAt };
  try {
    const handle = await open(tmpPath, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(clean)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmpPath, finalPath);
    await syncDirectory(dir);
  } catch (error) {
    await unlink(tmpPath).catch(() => undefined);
    throw new LocalError(`Failed to write the download record ${finalPath}: ${reasonFor(error)}.`, { cause: error });
  }
}

/**
 * Read and validate a sidecar. Never throws: a missing, damaged, oversized, non-regular or
 * hostile file (wrong fields, a target name that is not safe or does not match the sidecar's
 * own name) gives `{ ok: false, reason }`.
 */
export async function readJournal(journalPath: string): Promise<JournalRead> {
  let text: string;
  try {
    const bytes = await readSmallRegularFile(journalPath, MAX_JOURNAL_BYTES);
    if (typeof bytes === 'string') return { ok: false, reason: bytes };
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    return { ok: false, reason: `it can't be read (${reasonFor(error)})` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'it is not valid JSON' };
  }
  const reason = journalProblem(data);
  if (reason !== undefined) return { ok: false, reason };
  const r = data as JournalRecord;
  if (basename(journalPath) !== journalNameFor(r.targetName)) {
    return { ok: false, reason: 'its target name does not match its file name' };
  }
  const { id, name, size, modified, area, targetName, startedAt } = r;
  return { ok: true, record: { version: 1, id, name, size, modified, area, targetName, startedAt } };
}

/** Remove the sidecar of a target; a missing one is fine. Throws LocalError otherwise. */
export async function removeJournal(targetPath: string): Promise<void> {
  const path = journalPathFor(targetPath);
  try {
    await unlink(path);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return;
    throw new LocalError(`Failed to remove the download record ${path}: ${reasonFor(error)}.`, { cause: error });
  }
}

/**
 * Find the interrupted downloads in a directory by their sidecars. Damaged sidecars and
 * temporary files without one are reported in `problems`, never deleted. A missing directory
 * has nothing unfinished. Throws LocalError when the directory can't be read.
 */
export async function findUnfinished(outputDir: string): Promise<UnfinishedScan> {
  const names = await listExistingNames(outputDir);
  const unfinished: Unfinished[] = [];
  const completed: Unfinished[] = [];
  const problems: { path: string; reason: string }[] = [];
  for (const name of [...names].sort()) {
    const path = join(outputDir, name);
    if (name.endsWith(PART_SUFFIX)) {
      if (!names.has(`${name}.json`)) problems.push({ path, reason: 'a temporary file without its download record' });
      continue;
    }
    if (name.endsWith(JOURNAL_TMP_SUFFIX)) {
      problems.push({ path, reason: 'a download record that was being written when directlink stopped' });
      continue;
    }
    if (!name.endsWith(JOURNAL_SUFFIX)) continue;
    const read = await readJournal(path);
    if (!read.ok) {
      problems.push({ path, reason: `an unusable download record: ${read.reason}` });
      continue;
    }
    const { record } = read;
    const targetPath = join(outputDir, record.targetName);
    const partPath = join(outputDir, partNameFor(record.targetName));
    const part = await statOrUndefined(partPath);
    if (part !== undefined && !part.isFile()) {
      problems.push({ path: partPath, reason: 'a temporary file that is not a regular file' });
      continue;
    }
    const item: Unfinished = { record, targetName: record.targetName, targetPath, partPath, journalPath: path, partBytes: part?.size ?? 0 };
    const target = part === undefined ? await statOrUndefined(targetPath) : undefined;
    if (target?.isFile() === true && target.size === record.size) completed.push(item);
    else unfinished.push(item);
  }
  return { unfinished, completed, problems };
}

/**
 * Take the output directory's lock (`.directlink.lock`, created exclusively, holding
 * `{pid, hostname, startedAt, command}`). A live holder gives LockedError naming it. A lock
 * whose process is gone (same host), or an unreadable one older than a minute, is replaced.
 * A lock from another host is never taken over: directlink can't tell whether that process
 * still runs, and the message says which file to delete.
 */
export async function acquireLock(outputDir: string, options: LockOptions): Promise<LockHandle> {
  const lockPath = join(outputDir, LOCK_NAME);
  const host = options.hostname ?? osHostname();
  const content = `${JSON.stringify({
    pid: options.pid,
    hostname: host,
    startedAt: new Date(options.now).toISOString(),
    command: options.command,
    nonce: randomBytes(8).toString('hex'),
  })}\n`;
  const world: LockWorld = { outputDir, lockPath, host, now: options.now, isAlive: options.isAlive ?? isProcessAlive };

  // A holder that exits between our failed create and our look at its file leaves no file:
  // try again. Bounded, so a busy directory ends in LockedError, not a loop.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createExclusive(lockPath, content, outputDir)) return lockHandle(lockPath, content);
    const holder = await inspectLock(world);
    if (holder.state === 'alive') throw lockedError(world, holder);
    if (holder.state === 'stale' && (await takeOverStaleLock(world, content))) return lockHandle(lockPath, content);
  }
  const holder = await inspectLock(world);
  throw lockedError(world, { info: holder.state === 'alive' ? holder.info : undefined });
}

/**
 * Make sure the output directory exists (created like `mkdir -p`), is a directory and can
 * take new files (a probe file is created and removed). Throws LocalError
 * "Failed to use output directory <dir>: <reason>".
 */
export async function checkWritable(outputDir: string): Promise<void> {
  const fail = (reason: string, cause?: unknown): LocalError =>
    new LocalError(`Failed to use output directory ${outputDir}: ${reason}.`, cause === undefined ? undefined : { cause });
  try {
    await makeDirectories(outputDir);
  } catch (error) {
    throw fail(reasonFor(error), error);
  }
  // stat, not lstat: the output directory may well be a symlink to elsewhere, the user's choice.
  const stats = await stat(outputDir).catch((error: unknown) => {
    throw fail(reasonFor(error), error);
  });
  if (!stats.isDirectory()) throw fail('it is not a directory');
  const probe = join(outputDir, `${LOCK_NAME}.probe-${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(probe, 'wx');
    await handle.close();
  } catch (error) {
    throw fail(reasonFor(error), error);
  }
  await unlink(probe).catch(() => undefined);
}

/**
 * `mkdir -p`, one level at a time. Node's recursive mkdir loops forever on some pseudo file
 * systems (`-o /proc/x`: ENOENT for the child, EEXIST for the parent, again and again).
 */
async function makeDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    const exists = await stat(current).then(
      () => true,
      (error: unknown) => {
        if (codeOf(error) === 'ENOENT') return false;
        throw error;
      },
    );
    if (exists || dirname(current) === current) break;
    missing.unshift(current);
  }
  for (const level of missing) {
    await mkdir(level).catch((error: unknown) => {
      // Another process creating the same directory at the same time is fine.
      if (codeOf(error) !== 'EEXIST') throw error;
    });
  }
}

/**
 * Free space for unprivileged users in the directory's file system. Throws LocalError when
 * `bytesNeeded` is more than that; `available` is undefined when the system can't tell
 * (then nothing is checked).
 */
export async function checkFreeSpace(outputDir: string, bytesNeeded: number): Promise<{ available: number | undefined }> {
  let available: number;
  try {
    const stats = await statfs(outputDir);
    available = stats.bavail * stats.bsize;
  } catch {
    return { available: undefined };
  }
  if (bytesNeeded > available) {
    throw new LocalError(
      `Failed to start the downloads into ${outputDir}: they need ${formatBytes(bytesNeeded)} but only ${formatBytes(available)} is free.`,
      { hint: 'Free some space or choose another --output directory; --no-space-check skips this check.' },
    );
  }
  return { available };
}

/** Names in the output directory as readdir gives them; empty when it does not exist yet. */
export async function listExistingNames(outputDir: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(outputDir));
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return new Set();
    throw new LocalError(`Failed to read output directory ${outputDir}: ${reasonFor(error)}.`, { cause: error });
  }
}

interface LockWorld {
  readonly outputDir: string;
  readonly lockPath: string;
  readonly host: string;
  readonly now: number;
  readonly isAlive: (pid: number) => boolean;
}

interface LockInfo {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  readonly command: string;
}

type LockState =
  | { readonly state: 'gone' }
  | { readonly state: 'alive'; readonly info: LockInfo | undefined }
  | { readonly state: 'stale' };

async function inspectLock(world: LockWorld): Promise<LockState> {
  let stats;
  try {
    stats = await lstat(world.lockPath);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return { state: 'gone' };
    throw new LocalError(`Failed to lock output directory ${world.outputDir}: ${reasonFor(error)}.`, { cause: error });
  }
  let info: LockInfo | undefined;
  try {
    const bytes = await readSmallRegularFile(world.lockPath, 4096);
    info = typeof bytes === 'string' ? undefined : parseLockInfo(bytes.toString('utf8'));
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return { state: 'gone' };
    info = undefined;
  }
  if (info === undefined) {
    return world.now - stats.mtimeMs > DAMAGED_LOCK_GRACE_MS ? { state: 'stale' } : { state: 'alive', info: undefined };
  }
  if (info.hostname !== world.host) return { state: 'alive', info };
  return world.isAlive(info.pid) ? { state: 'alive', info } : { state: 'stale' };
}

async function takeOverStaleLock(world: LockWorld, content: string): Promise<boolean> {
  // Renaming or deleting a stale lock races with others doing the same: one could remove the
  // fresh lock another has just created, and both would run. So the replacement happens under
  // a second exclusive file, and the lock is judged again once that is held. Only holders of
  // that file ever remove someone else's lock, so the judged file is the one removed.
  const takeoverPath = join(world.outputDir, TAKEOVER_NAME);
  if (!(await createExclusive(takeoverPath, content, world.outputDir))) {
    throw new LockedError(`Failed to lock output directory ${world.outputDir}: another directlink is replacing its stale lock right now.`, {
      hint: `Run again in a moment. If no directlink is running, delete ${takeoverPath}.`,
    });
  }
  try {
    const again = await inspectLock(world);
    if (again.state === 'alive') throw lockedError(world, again);
    if (again.state === 'stale') {
      await unlink(world.lockPath).catch((error: unknown) => {
        if (codeOf(error) !== 'ENOENT') throw new LocalError(`Failed to remove the stale lock ${world.lockPath}: ${reasonFor(error)}.`, { cause: error });
      });
    }
    return await createExclusive(world.lockPath, content, world.outputDir);
  } finally {
    await unlink(takeoverPath).catch(() => undefined);
  }
}

function lockedError(world: LockWorld, holder: { readonly info: LockInfo | undefined }): LockedError {
  const { info } = holder;
  if (info === undefined) {
    return new LockedError(`Another directlink is using ${world.outputDir}: its lock file can't be read yet.`, {
      hint: `If no directlink is running, delete ${world.lockPath}.`,
    });
  }
  const started = formatLocalTime(Date.parse(info.startedAt));
  const foreign = info.hostname !== world.host;
  const who = foreign ? `pid ${info.pid} on ${printable(info.hostname)}` : `pid ${info.pid}`;
  const command = printable(info.command);
  const what = command.startsWith('directlink') ? command : `directlink ${command}`;
  return new LockedError(`Another ${what} (${who}, started ${started}) is using ${world.outputDir}.`, {
    hint: foreign
      ? `If no directlink runs on ${printable(info.hostname)} any more, delete ${world.lockPath}.`
      : 'Wait for it to finish, or choose another --output directory.',
  });
}

function lockHandle(lockPath: string, content: string): LockHandle {
  return {
    path: lockPath,
    async release() {
      try {
        if ((await readFile(lockPath, 'utf8')) === content) await unlink(lockPath);
      } catch (error) {
        if (codeOf(error) !== 'ENOENT') throw new LocalError(`Failed to remove the lock ${lockPath}: ${reasonFor(error)}.`, { cause: error });
      }
    },
    releaseSync() {
      try {
        if (readFileSync(lockPath, 'utf8') === content) unlinkSync(lockPath);
      } catch {
        // Exit handlers can't report anything; a lock left behind is stale and gets replaced.
      }
    },
  };
}

async function createExclusive(path: string, content: string, outputDir: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false;
    throw new LocalError(`Failed to lock output directory ${outputDir}: ${reasonFor(error)}.`, { cause: error });
  }
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw new LocalError(`Failed to lock output directory ${outputDir}: ${reasonFor(error)}.`, { cause: error });
  }
  return true;
}

function parseLockInfo(text: string): LockInfo | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(data)) return undefined;
  const { pid, hostname, startedAt, command } = data;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (typeof hostname !== 'string' || typeof startedAt !== 'string' || !Number.isFinite(Date.parse(startedAt))) return undefined;
  return { pid, hostname, startedAt, command: typeof command === 'string' && command !== '' ? command : 'process' };
}

function journalProblem(data: unknown): string | undefined {
  if (!isObject(data)) return 'it is not a JSON object';
  if (data.version !== 1) return `it has an unknown version (${JSON.stringify(data.version) ?? 'none'})`;
  if (typeof data.id !== 'number' || !Number.isSafeInteger(data.id)) return 'its id is not a whole number';
  if (typeof data.name !== 'string' || data.name === '') return 'its name is missing';
  if (typeof data.size !== 'number' || !Number.isSafeInteger(data.size) || data.size < 0) return 'its size is not a byte count';
  if (typeof data.modified !== 'number' || !Number.isFinite(data.modified)) return 'its modification time is not a number';
  if (data.area !== 'inbox' && data.area !== 'backup') return 'its area is neither inbox nor backup';
  if (typeof data.targetName !== 'string' || safeFileName(data.targetName) !== data.targetName) return 'its target name is not a safe file name';
  if (typeof data.startedAt !== 'string' || !Number.isFinite(Date.parse(data.startedAt))) return 'its start time is not a date';
  return undefined;
}

/** Bytes of a regular file of at most `limit` bytes, or a reason string why not. */
async function readSmallRegularFile(path: string, limit: number): Promise<Buffer | string> {
  // No following symlinks and no blocking on a FIFO: the directory's content is not trusted.
  const flags = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);
  let handle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    if (codeOf(error) === 'ELOOP') return 'it is a symbolic link';
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return 'it is not a regular file';
    if (stats.size > limit) return 'it is too large';
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit) return 'it is too large';
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

async function statOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw new LocalError(`Failed to read ${path}: ${reasonFor(error)}.`, { cause: error });
  }
}

/** Makes a rename in `dir` durable; best effort (Windows and some network file systems refuse). */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Durability of the directory entry is a bonus, not a requirement.
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return codeOf(error) === 'EPERM';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function reasonFor(error: unknown): string {
  switch (codeOf(error)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ENOENT':
      return 'no such file or directory';
    case 'EEXIST':
      return 'it exists and is not a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'the disk quota is exceeded';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return describeError(error);
  }
}

function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function printable(text: string): string {
  // The lock file is not trusted: no control characters into a message, and not too long.
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/gu, '?');
  return clean.length > 80 ? `${clean.slice(0, 79)}…` : clean;
}
