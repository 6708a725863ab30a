/**
 * The plan `get` acts on, and the events the engine emits while acting on it.
 * The engine counts; the UI renders (ui/progress.ts consumes TransferEvent).
 */
import type { RemoteFile } from '../api/types.js';

export type ConflictPolicy = 'rename' | 'skip' | 'overwrite' | 'fail';

/** What to do with one selected file. Pure data: `--dry-run` prints it, the engine executes it. */
export interface PlannedDownload {
  readonly file: RemoteFile;
  /** Safe single path segment inside the output directory (transfer/names.ts). */
  readonly targetName: string;
  /** Absolute path: join(outputDir, targetName). */
  readonly targetPath: string;
  /**
   * `download`: fetch to targetPath (which is free, or will be replaced when `overwrite`).
   * `skip`: the target exists and the policy is `skip`; nothing is requested.
   */
  readonly action: 'download' | 'skip';
  /** How a name clash was settled: none, renamed to a free name, skipped, or overwritten. */
  readonly conflict: 'none' | 'renamed' | 'skipped' | 'overwritten';
  /** True when this finishes an interrupted transfer found in the output directory. */
  readonly recovery: boolean;
}

export interface Plan {
  readonly outputDir: string;
  readonly items: readonly PlannedDownload[];
  /** Bytes that will be requested (download items only, minus bytes already on disk). */
  readonly bytesToFetch: number;
}

/** Events the engine emits, in order per file: start, progress*, (retry, progress*)*, then done | failed. */
export type TransferEvent =
  | { readonly type: 'run-start'; readonly files: number; readonly bytes: number }
  | { readonly type: 'file-start'; readonly key: string; readonly name: string; readonly targetPath: string; readonly size: number; readonly offset: number }
  /** `bytes` is the file's cumulative byte count on disk (offset included). Emitted per chunk: reporters throttle. */
  | { readonly type: 'file-progress'; readonly key: string; readonly bytes: number }
  | { readonly type: 'file-retry'; readonly key: string; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  /** A resume restarted from zero (server ignored Range) — bytes counted so far are dropped. */
  | { readonly type: 'file-restart'; readonly key: string }
  | { readonly type: 'file-done'; readonly key: string; readonly name: string; readonly targetPath: string; readonly size: number }
  | { readonly type: 'file-skipped'; readonly key: string; readonly name: string; readonly targetPath: string; readonly reason: string }
  | { readonly type: 'file-failed'; readonly key: string; readonly name: string; readonly targetPath: string; readonly error: string; readonly partialKept: boolean }
  | { readonly type: 'log'; readonly level: 'info' | 'warn'; readonly message: string };

export type TransferListener = (event: TransferEvent) => void;

/**
 * What kind of trouble ended a file (transfer/retry.ts failureKind): when every file of a run
 * failed alike, `get` exits with that kind's code (network/server 4, auth 3) instead of 1.
 */
export type FailureKind = 'network' | 'server' | 'auth' | 'local' | 'other';

/** What a run of the engine returns; `get --json` prints it. */
export interface TransferResult {
  readonly downloaded: readonly { id: number; name: string; path: string; size: number; area: string; recovered: boolean }[];
  readonly skipped: readonly { id: number; name: string; path: string; size: number; reason: string }[];
  /** `kind` is always set by the engine (optional only so older producers still type-check). */
  readonly failed: readonly { id: number; name: string; path: string; size: number; error: string; partialKept: boolean; kind?: FailureKind }[];
}
