/**
 * Retries through one classifier (STYLE.md habit 6): every failure of a transfer or an API
 * call is sorted into retry / renew-token / refresh-link / fatal here and nowhere else, and
 * retried with exponential backoff and full jitter. Sleep and randomness are injected so
 * tests never wait.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ApiError, AuthError, DirectlinkError, InterruptedError, LocalError, NetworkError, ServerError, isAbortError } from '../errors.js';
import type { FailureKind } from './types.js';

/** What to do about one failure. */
export type FailureClass = 'retry' | 'renew-token' | 'refresh-link' | 'fatal';

/** Transient failures a file may hit before it is given up on (`--retries`). */
export const DEFAULT_RETRIES = 5;

/** Why a response body could not be accepted; all are retryable. */
export type BodyFailure = 'short-body' | 'long-body' | 'idle-timeout' | 'bad-range';

/**
 * A response body that broke the download's rules: ended early, ran past the listed size,
 * went silent for the idle timeout, or answered a resume with the wrong range. `restart`
 * says the bytes already on disk can't be trusted and the next attempt starts from zero.
 */
export class BodyError extends ServerError {
  readonly reason: BodyFailure;
  readonly restart: boolean;

  constructor(message: string, details: { reason: BodyFailure; restart: boolean; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = details.reason;
    this.restart = details.restart;
  }
}

/** The path of a download link, as ApiError.endpoint carries it (inbox or backup). */
const FILE_LINK = /\/download\/file(\/backup)?$/;

/** Local file-system failures that another attempt would only repeat: fatal for the file. */
const LOCAL_FATAL = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR', 'ENOENT', 'ELOOP', 'ENAMETOOLONG', 'EEXIST', 'EIO', 'EFBIG', 'EXDEV']);

/**
 * Transport failures worth another attempt. Codes come from Node's net/tls (errno names)
 * and undici (UND_ERR_*), on the NetworkError the client throws before the response, or
 * raw on the body stream when the connection dies mid-transfer.
 */
const TRANSIENT = new Set([
  'ECONNREFUSED', // server restarting or a load balancer without a backend yet
  'ECONNRESET', // reset by the server or a middlebox
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH', // routes flap, VPNs reconnect
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN', // DNS resolver temporarily failing (ENOTFOUND, a name that does not exist, is fatal)
  'EMFILE', // too many open files: another file finishing frees descriptors
  'ENFILE',
  'UND_ERR_SOCKET', // "other side closed": the body ended before Content-Length
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT', // the idle timeout as undici enforces it
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE', // the body stream closed without ending
  'UND_ERR_ABORTED', // undici aborting a request after its socket failed (a user abort is seen first)
]);

/**
 * Sorts one failure. The caller checks its own abort signal first: a user abort is never
 * retried, and shows up here only as `fatal`.
 *
 * | failure                                                      | class        | why |
 * |--------------------------------------------------------------|--------------|-----|
 * | Ctrl-C (InterruptedError, AbortError)                        | fatal        | the user asked to stop |
 * | short body, idle timeout, wrong resume range, too many bytes | retry        | a later attempt resumes or starts over (BodyError) |
 * | connection refused/reset/closed, timeouts, premature close   | retry        | transient network trouble |
 * | HTTP 5xx, 408, 425, 429                                      | retry        | server or proxy overloaded or restarting |
 * | HTTP 401/403/404/410 on a download link                      | refresh-link | links expire (a server setting): list again, retry once |
 * | HTTP 401 on an authenticated call                            | renew-token  | bearer token expired (the client renews once itself) |
 * | other 4xx (incl. a 416 that escaped the Range rules)         | fatal        | asking again gets the same answer |
 * | AuthError (credentials refused after renewal)                | fatal        | exit 3, for every file alike |
 * | host not found, TLS certificate refused                      | fatal        | configuration, not weather |
 * | ENOSPC, EDQUOT, EACCES, EPERM, EROFS, EIO… (local disk)      | fatal        | fatal for that file; the part file is kept |
 * | EMFILE/ENFILE (too many open files)                          | retry        | other transfers finishing free descriptors |
 * | anything else (a bug, an unexpected answer)                  | fatal        | never loop on what we don't understand |
 */
export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof InterruptedError || isAbortError(error)) return 'fatal';
  if (error instanceof BodyError) return 'retry';
  if (error instanceof AuthError || error instanceof LocalError) return 'fatal';
  if (error instanceof ApiError) return classifyStatus(error.status, FILE_LINK.test(error.endpoint));
  const code = errorCode(error);
  if (code !== undefined) {
    if (TRANSIENT.has(code)) return 'retry';
    if (LOCAL_FATAL.has(code)) return 'fatal';
  }
  // undici's fetch reports a body cut short as TypeError('terminated') with the socket error as cause.
  if (error instanceof Error && error.message === 'terminated') return 'retry';
  // Host not found, certificates refused, unknown codes, bugs.
  return 'fatal';
}

/**
 * What kind of trouble a failure that ended a file was, for the run's exit code: `network`
 * (the server could not be reached or the connection broke, stalls included), `server` (it
 * answered, but with an error or a body that breaks the rules), `auth` (credentials or token
 * refused), `local` (our disk), `other` (anything we don't understand).
 */
export function failureKind(error: unknown): FailureKind {
  if (error instanceof AuthError) return 'auth';
  if (isLocalFailure(error)) return 'local';
  if (error instanceof NetworkError) return 'network';
  if (error instanceof BodyError) return error.reason === 'idle-timeout' ? 'network' : 'server';
  // A 401 on a download link is a refused link (refreshed once already), not refused credentials.
  if (error instanceof ApiError) return error.status === 401 && !FILE_LINK.test(error.endpoint) ? 'auth' : 'server';
  if (error instanceof ServerError) return 'server';
  if (error instanceof DirectlinkError || isAbortError(error)) return 'other';
  const code = errorCode(error);
  if (code !== undefined && TRANSIENT.has(code)) return 'network';
  if (error instanceof Error && error.message === 'terminated') return 'network';
  return 'other';
}

function classifyStatus(status: number, isFileLink: boolean): FailureClass {
  if (isFileLink && (status === 401 || status === 403 || status === 404 || status === 410)) return 'refresh-link';
  if (status === 401) return 'renew-token';
  if (status >= 500 || status === 408 || status === 425 || status === 429) return 'retry';
  return 'fatal';
}

/** The first string `code` along an error's cause chain (NetworkError keeps the raw one as cause). */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

/** True for local file-system failures (disk full, permissions…) as opposed to network ones. */
export function isLocalFailure(error: unknown): boolean {
  if (error instanceof LocalError) return true;
  if (error instanceof DirectlinkError) return false;
  const code = errorCode(error);
  return code !== undefined && (LOCAL_FATAL.has(code) || code === 'EMFILE' || code === 'ENFILE');
}

const LOCAL_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'a directory is in the way',
  ENOTDIR: 'a file is in the way of the directory',
  ENOENT: 'the directory no longer exists',
  ELOOP: 'the temporary file is a symbolic link',
  ENAMETOOLONG: 'the name is too long for this file system',
  EEXIST: 'a file with that name appeared meanwhile',
  EIO: 'input/output error on the disk',
  EFBIG: 'the file is too large for this file system',
  EXDEV: 'the temporary file is on another file system',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

/** A local failure's cause in plain words ("no space left on device"), else its message. */
export function describeLocalFailure(error: unknown): string {
  const code = errorCode(error);
  return (code !== undefined ? LOCAL_REASONS[code] : undefined) ?? (error instanceof Error ? error.message : String(error));
}

export interface BackoffOptions {
  /** Ceiling of the first delay. */
  readonly baseMs?: number;
  /** No delay ever exceeds this. */
  readonly maxMs?: number;
  /** Uniform in [0, 1); Math.random unless a test pins it. */
  readonly random?: () => number;
}

/**
 * Delay before retry number `attempt` (1-based): exponential with full jitter, i.e.
 * uniform in [0, min(maxMs, baseMs·2^(attempt−1))), so clients that failed together
 * don't come back together.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.floor(ceiling * Math.min(Math.max(random(), 0), 1));
}

/** Waits, or rejects with an AbortError as soon as `signal` fires. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The real clock's sleep. */
export const sleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, { signal });
};

export interface RetryPolicy {
  readonly retries?: number;
  readonly signal: AbortSignal;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly backoff?: Omit<BackoffOptions, 'random'>;
  /** Told before each wait, e.g. for a `--verbose` line. */
  readonly onRetry?: (info: { what: string; attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * A runner for idempotent operations (listing pages, the token request): retries what
 * classifyFailure calls `retry`, up to `retries` times, then rethrows the last error as is.
 * Fits api/client.ts's `RetryRunner`. Aborts end the wait at once with InterruptedError.
 */
export function createRetryRunner(policy: RetryPolicy): <T>(what: string, operation: () => Promise<T>) => Promise<T> {
  const retries = policy.retries ?? DEFAULT_RETRIES;
  const wait = policy.sleep ?? sleep;
  return async <T>(what: string, operation: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (policy.signal.aborted) throw interrupted(error);
        if (attempt > retries || classifyFailure(error) !== 'retry') throw error;
        const delayMs = backoffDelay(attempt, { ...policy.backoff, ...(policy.random ? { random: policy.random } : {}) });
        policy.onRetry?.({ what, attempt, delayMs, error });
        await sleepOrInterrupt(wait, delayMs, policy.signal);
      }
    }
  };
}

/** Sleeps via `wait`, turning an abort into InterruptedError (exit 130). */
export async function sleepOrInterrupt(wait: Sleep, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw interrupted(signal.reason);
  try {
    await wait(ms, signal);
  } catch (error) {
    if (signal.aborted || isAbortError(error)) throw interrupted(error);
    throw error;
  }
  if (signal.aborted) throw interrupted(signal.reason);
}

/** The InterruptedError for an abort, keeping what caused it. */
export function interrupted(cause: unknown): InterruptedError {
  if (cause instanceof InterruptedError) return cause;
  return new InterruptedError('Interrupted: partial downloads are kept and the next `directlink get` finishes them.', { cause });
}
