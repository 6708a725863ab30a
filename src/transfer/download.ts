/**
 * One file's byte path: journal, temporary file, Range rules, verification, fsync, atomic
 * rename, mtime (PRODUCT.md, "Downloads that never lose data"). A file under its final name
 * is always complete; every failure leaves only the temporary file and its journal.
 */
import { constants as fsConstants } from 'node:fs';
import { link, lstat, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Area, DirectLinkApi, RemoteFile } from '../api/types.js';
import { DirectlinkError, InterruptedError, LocalError, NetworkError, ServerError, describeError, isAbortError } from '../errors.js';
import { BodyError, DEFAULT_RETRIES, backoffDelay, classifyFailure, describeLocalFailure, failureKind, interrupted, isLocalFailure, sleep as realSleep, sleepOrInterrupt, type BackoffOptions, type Sleep } from './retry.js';
import type { FailureKind, PlannedDownload, TransferListener } from './types.js';
import { journalRecordFor, partPathFor, removeJournal, syncDirectory, writeJournal } from './workdir.js';

/** Finds `file` in a fresh listing of `area` (see findSameFile); undefined when it is not there. */
export type Relist = (file: RemoteFile, area: Area) => Promise<RemoteFile | undefined>;

export interface DownloadDeps {
  readonly api: DirectLinkApi;
  /** Ctrl-C: stops the transfer at once; the temporary file and journal stay for the next run. */
  readonly signal: AbortSignal;
  readonly onEvent: TransferListener;
  /** Transient failures tolerated per file (`--retries`, default 5). */
  readonly retries?: number;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly backoff?: Omit<BackoffOptions, 'random'>;
  /** Default: `api.listAll(area)` then findSameFile. */
  readonly relist?: Relist;
  /** Give up on a request when no byte arrives for this long (`--timeout`, default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Clock for the journal's `startedAt`. */
  readonly now?: () => number;
  /**
   * Called every 16 MiB received. Spent socket buffers live outside V8's heap, and V8 only
   * collects them once ~64 MiB have piled up; a young-generation collection here keeps peak
   * memory flat and low (BENCHMARKS.md). Default: `globalThis.gc` when the process exposed
   * it (cli.ts does), else nothing.
   */
  readonly reclaimMemory?: () => void;
}

export type DownloadOutcome =
  | { readonly ok: true; readonly path: string; readonly size: number }
  | { readonly ok: false; readonly error: string; readonly partialKept: boolean; readonly kind: FailureKind };

/** Why #fetchAll gave up: the sentence to report and the error behind it (for its kind). */
interface Failure {
  readonly message: string;
  readonly cause: unknown;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** Bytes buffered ahead of the disk: big writes, few syscalls, constant memory. */
const WRITE_BUFFER = 1 << 20;

/** Bytes received between two background flushes to disk. */
const FLUSH_EVERY = 32 << 20;

/** Bytes received between two calls of `reclaimMemory`. */
const RECLAIM_EVERY = 16 << 20;

/** A symlink planted under the temporary name must not redirect our writes (0 where unsupported). */
const NOFOLLOW = fsConstants.O_NOFOLLOW ?? 0;

/** The key events of one planned download carry (its target path: unique within a plan). */
export function transferKey(item: PlannedDownload): string {
  return item.targetPath;
}

/**
 * The entry of `candidates` that is `file`: the same id, name and size; or, in the other
 * area (a file moved to backup), the same name and size, preferring an equal `modified`,
 * then the closest one. Undefined when nothing fits.
 */
export function findSameFile(file: RemoteFile, candidates: readonly RemoteFile[]): RemoteFile | undefined {
  const same = candidates.filter((c) => c.name === file.name && c.size === file.size);
  const byId = same.find((c) => c.id === file.id);
  if (byId !== undefined) return byId;
  // Within one area ids are stable: the same name under another id is another upload.
  const moved = same.filter((c) => c.area !== file.area);
  let best: RemoteFile | undefined;
  for (const c of moved) {
    if (best === undefined || Math.abs(c.modified - file.modified) < Math.abs(best.modified - file.modified)) best = c;
  }
  return best;
}

/** A Relist that reads the whole area each time (links may have expired: never cached). */
export function relistWith(api: DirectLinkApi, signal: AbortSignal): Relist {
  return async (file, area) => findSameFile(file, await api.listAll(area, { signal }));
}

/**
 * Downloads one planned file to its target path, resuming what is on disk, retrying
 * transient failures with backoff, refreshing an expired link once. Never throws for a
 * failed file (returns `ok: false`); throws InterruptedError when `deps.signal` fires.
 */
export async function downloadOne(item: PlannedDownload, deps: DownloadDeps): Promise<DownloadOutcome> {
  const transfer = new Transfer(item, deps);
  return await transfer.run();
}

class Transfer {
  readonly #item: PlannedDownload;
  readonly #deps: DownloadDeps;
  readonly #key: string;
  readonly #part: string;
  readonly #size: number;
  readonly #name: string;
  /** The listing entry the next request uses; moves to the backup entry after an inbox request. */
  #current: RemoteFile;
  /** Whether a byte request may have been served (here or by an earlier run): until then, nothing on the server changed. */
  #requested: boolean;
  /**
   * The temporary file, open from #prepare to #finish: each file-system call costs ~0.1 ms of
   * CPU through libuv's thread pool, and small files are bound by their count (BENCHMARKS.md).
   */
  #handle: FileHandle | undefined;
  /** Its size as #prepare measured it, for the first attempt; later attempts measure again. */
  #measured: number | undefined;

  constructor(item: PlannedDownload, deps: DownloadDeps) {
    this.#item = item;
    this.#deps = deps;
    this.#key = transferKey(item);
    this.#part = partPathFor(item.targetPath);
    this.#size = item.file.size;
    this.#name = item.file.name;
    this.#current = item.file;
    this.#requested = item.recovery;
  }

  async run(): Promise<DownloadOutcome> {
    const { signal } = this.#deps;
    if (signal.aborted) throw interrupted(signal.reason);
    try {
      let offset: number;
      try {
        offset = await this.#prepare();
      } catch (error) {
        return await this.#fail({ message: this.#describe(error), cause: error });
      }
      this.#deps.onEvent({ type: 'file-start', key: this.#key, name: this.#name, targetPath: this.#item.targetPath, size: this.#size, offset });
      const failure = await this.#fetchAll();
      if (failure !== undefined) return await this.#fail(failure);
      try {
        await this.#finish();
      } catch (error) {
        if (signal.aborted) throw interrupted(error);
        return await this.#fail({ message: this.#describe(error), cause: error });
      }
      return { ok: true, path: this.#item.targetPath, size: this.#size };
    } catch (error) {
      if (!(error instanceof InterruptedError || signal.aborted)) throw error;
      if (!this.#requested) await this.#discard();
      throw interrupted(error);
    } finally {
      await this.#close();
    }
  }

  /** Releases the temporary file's handle, if still open (errors here change nothing on disk). */
  async #close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  /** The temporary file's handle; only called between #prepare and #finish. */
  #open(): FileHandle {
    if (this.#handle === undefined) throw new Error(`The temporary file of ${this.#name} is not open.`);
    return this.#handle;
  }

  /**
   * Journal first, then the temporary file, both before the first byte request: a local
   * problem (read-only directory, disk full) must surface before the server moves the
   * file to backup. Returns the bytes already on disk.
   */
  async #prepare(): Promise<number> {
    const { file, targetName, recovery } = this.#item;
    await writeJournal(this.#item.targetPath, journalRecordFor(file, targetName, this.#now()));
    // A fresh download starts empty; a recovery keeps what the last run wrote.
    // Kept open until #finish; every write goes to this file even if its name is replaced.
    const handle = await open(this.#part, fsConstants.O_RDWR | fsConstants.O_CREAT | NOFOLLOW | (recovery ? 0 : fsConstants.O_TRUNC), 0o644);
    this.#handle = handle;
    // A fresh file is empty: no need to measure it.
    let { size } = recovery ? await handle.stat() : { size: 0 };
    if (size > this.#size) {
      await handle.truncate(0);
      size = 0;
    }
    this.#measured = size;
    return size;
  }

  /** Attempts until the temporary file holds every byte; returns a failure sentence otherwise. */
  async #fetchAll(): Promise<Failure | undefined> {
    const deps = this.#deps;
    const retries = deps.retries ?? DEFAULT_RETRIES;
    let failures = 0;
    let linkRefreshed = false;
    let tokenRenewed = false;
    let relocate = false;
    let restart = false;
    for (;;) {
      try {
        if (relocate) {
          this.#current = await this.#locateOrFail();
          relocate = false;
        }
        if (restart) {
          await this.#restart();
          restart = false;
        }
        await this.#attempt();
        return undefined;
      } catch (error) {
        if (deps.signal.aborted || error instanceof InterruptedError) throw interrupted(error);
        if (error instanceof FinalFailure) return { message: this.#describe(error.cause), cause: error.cause };
        const verdict = classifyFailure(error);
        // After an inbox request, the file may now live only in backup: find it before retrying.
        if (this.#requested && this.#current.area === 'inbox') relocate = true;
        if (verdict === 'refresh-link' && !linkRefreshed) {
          linkRefreshed = true;
          relocate = true;
          this.#deps.onEvent({ type: 'file-retry', key: this.#key, attempt: failures + 1, delayMs: 0, reason: 'the download link was refused; listing again for a fresh link' });
          continue;
        }
        if (verdict === 'renew-token' && !tokenRenewed) {
          tokenRenewed = true;
          this.#deps.onEvent({ type: 'file-retry', key: this.#key, attempt: failures + 1, delayMs: 0, reason: 'the token was refused; renewing it' });
          continue;
        }
        if (verdict !== 'retry') return { message: this.#describe(error), cause: error };
        failures++;
        if (failures > retries) return { message: `${trimPeriod(this.#describe(error))} (gave up after ${retries} ${retries === 1 ? 'retry' : 'retries'}).`, cause: error };
        if (error instanceof BodyError && error.restart) restart = true;
        const delayMs = backoffDelay(failures, { ...deps.backoff, ...(deps.random ? { random: deps.random } : {}) });
        this.#deps.onEvent({ type: 'file-retry', key: this.#key, attempt: failures, delayMs, reason: this.#reason(error) });
        await sleepOrInterrupt(deps.sleep ?? realSleep, delayMs, deps.signal);
      }
    }
  }

  /**
   * #locate, whose failure ends the file: the listing already went through the client's retry
   * runner (the same policy), and retrying it here too would multiply the two budgets
   * ((retries + 1)² requests and their backoff waits, per file).
   */
  async #locateOrFail(): Promise<RemoteFile> {
    for (let spurious = 0; ; spurious++) {
      try {
        return await this.#locate();
      } catch (error) {
        if (this.#deps.signal.aborted || error instanceof InterruptedError) throw error;
        // An abort that is not the user's is not an answer from the server: list again (twice
        // at most). The client's shared token renewal once caused these; a guard stays.
        if (isAbortError(error) && spurious < 2) continue;
        throw new FinalFailure(error);
      }
    }
  }

  /**
   * Where the file is listed now. An inbox file still in the inbox (same id) was never
   * served; otherwise the server moved it to backup the moment the request was served
   * (directlink-api.md, "Downloading") and only the backup link can finish it.
   */
  async #locate(): Promise<RemoteFile> {
    const relist = this.#deps.relist ?? relistWith(this.#deps.api, this.#deps.signal);
    const file = this.#current;
    if (file.area === 'inbox') {
      const still = await relist(file, 'inbox');
      if (still !== undefined && still.id === file.id) return still;
    }
    const found = await relist(file, 'backup');
    if (found === undefined) {
      throw new ServerError(`Failed to download ${this.#name}: it is no longer listed in the user's area nor in the backup area.`);
    }
    if (found.area !== file.area || found.id !== file.id) {
      // Keep the journal pointing at where the bytes can be finished from.
      await writeJournal(this.#item.targetPath, journalRecordFor(found, this.#item.targetName, this.#now()));
    }
    return found;
  }

  async #restart(): Promise<void> {
    await this.#open().truncate(0);
    this.#deps.onEvent({ type: 'file-restart', key: this.#key });
  }

  /** One request: resumes from the bytes on disk, appends what arrives, checks the count. */
  async #attempt(): Promise<void> {
    // The disk, not a counter, says where to resume: writes of a failed attempt have settled.
    let offset = this.#measured ?? (await this.#open().stat()).size;
    this.#measured = undefined;
    if (offset > this.#size) {
      await this.#restart();
      offset = 0;
    }
    // Not one more request once Ctrl-C landed: it would move another file to backup.
    if (this.#deps.signal.aborted) throw interrupted(this.#deps.signal.reason);
    const watch = new IdleWatch(this.#deps.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, this.#deps.signal);
    try {
      this.#requested = true;
      const response = await this.#deps.api.openDownload(this.#current, { ...(offset > 0 ? { rangeStart: offset } : {}), signal: watch.signal });
      watch.attach(response.body);
      let start = 0;
      if (response.status === 416) {
        discard(response.body);
        // Nothing left to send: complete if we hold every byte, else our bytes are suspect.
        if (offset === this.#size) return;
        throw new BodyError(`Failed to download ${this.#name}: the server refused to resume at byte ${offset} (HTTP 416).`, { reason: 'bad-range', restart: true });
      }
      if (response.status === 206) {
        const range = response.contentRange;
        // A shorter body than the range promises is caught as a short body (and resumed);
        // a longer one by the byte limit.
        const fits = range !== undefined && range.start === offset && range.end < this.#size && (range.total === undefined || range.total === this.#size);
        if (!fits) {
          discard(response.body);
          throw new BodyError(`Failed to download ${this.#name}: the server answered the resume at byte ${offset} with another range.`, { reason: 'bad-range', restart: true });
        }
        start = offset;
      } else if (offset > 0) {
        // A 200 to a Range request: the server ignored it. Never append a whole body to a
        // partial one; start over from byte 0.
        await this.#restart();
      }
      if (response.contentLength !== undefined && start + response.contentLength > this.#size) {
        discard(response.body);
        throw new BodyError(`Failed to download ${this.#name}: the server announced ${start + response.contentLength} bytes for a file listed as ${this.#size} bytes.`, { reason: 'long-body', restart: true });
      }
      const received = await this.#stream(response.body, start, watch);
      const total = start + received;
      if (total !== this.#size || (response.contentLength !== undefined && received !== response.contentLength)) {
        throw new BodyError(`Failed to download ${this.#name}: short body: got ${total} of ${this.#size} bytes.`, { reason: 'short-body', restart: false });
      }
    } catch (error) {
      if (watch.fired && !this.#deps.signal.aborted) {
        throw new BodyError(`Failed to download ${this.#name}: no data received for ${Math.round(watch.timeoutMs / 1000)} s.`, { reason: 'idle-timeout', restart: false, cause: error });
      }
      throw error;
    } finally {
      watch.stop();
    }
  }

  /** Streams a body into the temporary file at `start`; returns the bytes written. */
  async #stream(body: Readable, start: number, watch: IdleWatch): Promise<number> {
    const limit = this.#size - start;
    const { onEvent } = this.#deps;
    const key = this.#key;
    const name = this.#name;
    const size = this.#size;
    const handle = this.#open();
    // Flushing as we go, in the background, keeps the final fsync short instead of writing
    // back the whole file at the end. Its errors fail the attempt, not only the final fsync:
    // a write-back error is reported once per descriptor, and a retry must start from bytes
    // known to be on disk.
    let flushedAt = 0;
    let flushing: Promise<void> | undefined;
    let flushError: Error | undefined;
    let received = 0;
    const reclaim = this.#deps.reclaimMemory ?? reclaimWithExposedGc;
    let reclaimedAt = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        watch.touch();
        if (received - reclaimedAt >= RECLAIM_EVERY) {
          reclaimedAt = received;
          reclaim();
        }
        if (received > limit) {
          // Not one byte past the listed size reaches the disk.
          callback(new BodyError(`Failed to download ${name}: the server sent more than the listed ${size} bytes.`, { reason: 'long-body', restart: true }));
          return;
        }
        if (flushError !== undefined) {
          callback(flushError);
          return;
        }
        if (flushing === undefined && received - flushedAt >= FLUSH_EVERY) {
          flushedAt = received;
          flushing = handle.datasync().then(
            () => { flushing = undefined; },
            (error: unknown) => { flushError = error instanceof Error ? error : new Error(String(error)); flushing = undefined; },
          );
        }
        onEvent({ type: 'file-progress', key, bytes: start + received });
        callback(null, chunk);
      },
    });
    const sink = new PositionalWriter(handle, start);
    try {
      await pipeline(body, counter, sink);
      await flushing;
      if (flushError !== undefined) throw flushError;
    } finally {
      // The next attempt measures the file: every write must have landed first.
      await closed(sink);
    }
    return received;
  }

  /** Set mtime, flush, verify, rename into place, drop the journal. */
  async #finish(): Promise<void> {
    const handle = this.#open();
    const seconds = this.#item.file.modified / 1000;
    // Set on the temporary file, so the final name appears with the server's mtime at once;
    // before the fsync, so the mtime is as durable as the bytes.
    await handle.utimes(seconds, seconds);
    await handle.sync();
    const { size } = await handle.stat();
    if (size !== this.#size) {
      throw new LocalError(`Failed to write ${this.#name}: the temporary file holds ${size} bytes instead of ${this.#size}.`);
    }
    await this.#close();
    await this.#place();
    await syncDirectory(dirname(this.#item.targetPath));
    await removeJournal(this.#item.targetPath);
  }

  /**
   * Atomic: `overwrite` replaces the target with rename(); otherwise link() refuses a name
   * that appeared since planning (nothing is overwritten unless asked). File systems without
   * hard links fall back to rename() after checking the name is still free.
   */
  async #place(): Promise<void> {
    const target = this.#item.targetPath;
    if (this.#item.conflict === 'overwritten') {
      await rename(this.#part, target);
      return;
    }
    try {
      await link(this.#part, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || !(code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EMLINK')) throw error;
      const existing = await lstat(target).then(() => true, () => false);
      if (existing) throw Object.assign(new Error(`EEXIST: ${target}`), { code: 'EEXIST' });
      await rename(this.#part, target);
      return;
    }
    await unlink(this.#part);
  }

  #now(): number {
    return (this.#deps.now ?? Date.now)();
  }

  /** Keeps the partial work for the next run, unless the file never left the inbox. */
  async #fail(failure: Failure): Promise<DownloadOutcome> {
    await this.#close();
    const error = failure.message;
    const kind = failureKind(failure.cause);
    if (!this.#requested || (await this.#neverServed())) {
      await this.#discard();
      return { ok: false, error, partialKept: false, kind };
    }
    return { ok: false, error, partialKept: true, kind };
  }

  /**
   * True when every request was refused before being served: nothing on disk, and the file
   * still listed in the inbox under its id (a served request moves it to backup). Then a
   * sidecar would only claim a partial download of a file that is still waiting.
   */
  async #neverServed(): Promise<boolean> {
    if (this.#item.recovery || this.#current.area !== 'inbox' || this.#deps.signal.aborted) return false;
    try {
      if ((await lstat(this.#part)).size > 0) return false;
      const relist = this.#deps.relist ?? relistWith(this.#deps.api, this.#deps.signal);
      return (await relist(this.#current, 'inbox'))?.id === this.#current.id;
    } catch {
      return false;
    }
  }

  /** Nothing was requested, the file is still in the inbox: leave no sidecar that claims otherwise. */
  async #discard(): Promise<void> {
    await this.#close();
    await rm(this.#part, { force: true }).catch(() => undefined);
    await removeJournal(this.#item.targetPath).catch(() => undefined);
  }

  /** A failure as one sentence naming the file. */
  #describe(error: unknown): string {
    if (error instanceof LocalError) return error.message;
    if (isLocalFailure(error)) return `Failed to write ${this.#name}: ${describeLocalFailure(error)}.`;
    return `Failed to download ${this.#name}: ${this.#reason(error)}.`;
  }

  /** The short cause of a failure, without the sentence around it: for retry events and #describe. */
  #reason(error: unknown): string {
    if (error instanceof NetworkError) {
      // "Failed to reach <origin>: connection refused." → the cause; the origin is the configured server.
      return `could not reach the server: ${trimPeriod(error.message.replace(/^Failed to reach \S+?: /, ''))}`;
    }
    // Another operation's sentence ("Failed to call /download/list: …") becomes a clause.
    if (error instanceof DirectlinkError) return trimPeriod(error.message.replace(`Failed to download ${this.#name}: `, '').replace(/^Failed to /, 'could not '));
    switch ((error as NodeJS.ErrnoException | undefined)?.code) {
      case 'ECONNRESET': case 'UND_ERR_SOCKET': case 'ERR_STREAM_PREMATURE_CLOSE': case 'UND_ERR_CLOSED':
        return 'the connection was closed during the transfer';
      case 'UND_ERR_BODY_TIMEOUT':
        return 'no data received before the timeout';
    }
    return trimPeriod(describeError(error));
  }
}

/** A failure #fetchAll reports without retrying: it already had its retries elsewhere. */
class FinalFailure extends Error {
  constructor(cause: unknown) {
    super('final failure', { cause });
  }
}

function trimPeriod(text: string): string {
  return text.replace(/\.$/, '');
}

/**
 * Aborts a request when no byte arrived for `timeoutMs` (headers included), or at once when
 * the run's signal fires. undici's own body timeout may fire first; either way a stall ends.
 */
class IdleWatch {
  readonly timeoutMs: number;
  fired = false;
  readonly #controller = new AbortController();
  readonly #outer: AbortSignal;
  readonly #timer: NodeJS.Timeout;
  #body: Readable | undefined;
  readonly #onOuterAbort = (): void => this.#abort(this.#outer.reason);

  constructor(timeoutMs: number, outer: AbortSignal) {
    this.timeoutMs = timeoutMs;
    this.#outer = outer;
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.#abort(new Error('idle timeout'));
    }, timeoutMs);
    // A signal that already fired never fires again: abort now, or the request would run on.
    if (outer.aborted) this.#onOuterAbort();
    else outer.addEventListener('abort', this.#onOuterAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  attach(body: Readable): void {
    this.#body = body;
    this.touch();
  }

  touch(): void {
    this.#timer.refresh();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#outer.removeEventListener('abort', this.#onOuterAbort);
  }

  #abort(reason: unknown): void {
    this.#controller.abort(reason);
    // The body may not listen to the request's signal once headers are in: end it ourselves.
    if (this.#body !== undefined) discard(this.#body, reason instanceof Error ? reason : new Error(String(reason)));
  }
}

/** A young-generation collection, when the process exposed V8's `gc` (cli.ts does); otherwise nothing. */
type MinorGc = (options: { type: 'minor' }) => void;
let exposedGc: MinorGc | null | undefined;

/**
 * V8's collector, exposed on first use (a context created after `--expose-gc` has `gc`), so
 * only a download past 16 MiB pays the few milliseconds, not every start-up. Null if refused.
 */
function reclaimWithExposedGc(): void {
  if (exposedGc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      exposedGc = runInNewContext('gc') as MinorGc;
    } catch {
      exposedGc = null;
    }
  }
  exposedGc?.({ type: 'minor' });
}

/** Ends a response body we won't read. undici emits an 'error' on destroy: nobody must hear it as a crash. */
function discard(body: Readable, reason?: Error): void {
  body.on('error', () => undefined);
  body.destroy(reason);
}

/**
 * Writes consecutive chunks at a position through a handle it does not own (the transfer
 * keeps it for the next attempt and #finish). 'close' comes only once every write settled.
 */
class PositionalWriter extends Writable {
  readonly #handle: FileHandle;
  #position: number;
  #writing: Promise<void> = Promise.resolve();

  constructor(handle: FileHandle, start: number) {
    // Chunks buffered while a write is in flight go out together in one writev.
    super({ highWaterMark: WRITE_BUFFER });
    this.#handle = handle;
    this.#position = start;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#write([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.#write(chunks.map((c) => c.chunk), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void this.#writing.finally(() => callback(error));
  }

  #write(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    this.#writing = this.#writeAll(buffers).then(
      () => callback(),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    let rest = buffers.filter((buffer) => buffer.length > 0);
    while (rest.length > 0) {
      const { bytesWritten } = await this.#handle.writev(rest, this.#position);
      // Never spin: a file system that accepts nothing without an error is not making progress.
      if (bytesWritten === 0) throw new Error('the file system accepted no bytes');
      this.#position += bytesWritten;
      rest = dropBytes(rest, bytesWritten);
    }
  }
}

/** `buffers` without their first `count` bytes (a short write: the disk filled up mid-way). */
function dropBytes(buffers: Buffer[], count: number): Buffer[] {
  let left = count;
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (left >= buffer.length) {
      left -= buffer.length;
      continue;
    }
    rest.push(left > 0 ? buffer.subarray(left) : buffer);
    left = 0;
  }
  return rest;
}

/** Resolves once a writable has released its file descriptor use (all writes settled). */
async function closed(stream: Writable): Promise<void> {
  if (stream.closed) return;
  await new Promise<void>((resolve) => stream.once('close', () => resolve()));
}
