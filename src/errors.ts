/**
 * Typed errors and the one table that maps them to exit codes (PRODUCT.md, "Exit status").
 * Code branches on these types, never on message text. Messages are full sentences
 * ("Failed to <verb> <thing>: <reason>") and never contain secrets.
 */

export type ExitCode = 0 | 1 | 2 | 3 | 4 | 5 | 130;

export const EXIT = {
  ok: 0,
  partialFailure: 1,
  usage: 2,
  auth: 3,
  unreachable: 4,
  locked: 5,
  interrupted: 130,
} as const satisfies Record<string, ExitCode>;

/** Base class: every error we throw on purpose carries its exit code and an optional hint. */
export class DirectlinkError extends Error {
  readonly exitCode: ExitCode = EXIT.partialFailure;
  /** A short suggestion shown under the message, e.g. "Run `directlink login`." */
  readonly hint: string | undefined;

  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** Bad command line or bad local input (unknown option, bad URL, bad pattern, no selection). Exit 2. */
export class UsageError extends DirectlinkError {
  override readonly exitCode = EXIT.usage;
}

/** The server refused the credentials or the token. Exit 3. */
export class AuthError extends DirectlinkError {
  override readonly exitCode = EXIT.auth;
}

/**
 * The server could not be reached, kept failing after the retry budget, or answered
 * something that is not the documented API (HTML from a proxy, wrong JSON shape). Exit 4.
 */
export class ServerError extends DirectlinkError {
  override readonly exitCode = EXIT.unreachable;
}

/**
 * A transport failure: connection refused or reset, DNS, TLS, connect or idle timeout.
 * `code` is the underlying error code (ECONNRESET, UND_ERR_CONNECT_TIMEOUT, …) for the
 * retry classifier. Exit 4 once the retry budget is spent.
 */
export class NetworkError extends ServerError {
  readonly code: string | undefined;

  constructor(message: string, options?: { cause?: unknown; hint?: string; code?: string }) {
    super(message, options);
    this.code = options?.code;
  }
}

/** Another `directlink get` holds the output directory. Exit 5. */
export class LockedError extends DirectlinkError {
  override readonly exitCode = EXIT.locked;
}

/** Ctrl-C, SIGTERM, or Esc in the picker. Partial work is kept. Exit 130. */
export class InterruptedError extends DirectlinkError {
  override readonly exitCode = EXIT.interrupted;
}

/** A local problem (disk full, permission denied, not enough free space). Exit 1. */
export class LocalError extends DirectlinkError {
  override readonly exitCode = EXIT.partialFailure;
}

/** Some files of a run failed while the others completed. Exit 1. */
export class PartialFailureError extends DirectlinkError {
  override readonly exitCode = EXIT.partialFailure;
}

/**
 * An HTTP answer that is an error per the API (JSON envelope or bare status).
 * `status` is the HTTP status; `endpoint` names the path (no query: links carry secrets).
 * Which exit code it maps to depends on the status: 401 → 3, others → 4.
 */
export class ApiError extends DirectlinkError {
  override readonly exitCode: ExitCode;
  readonly status: number;
  readonly endpoint: string;

  constructor(message: string, details: { status: number; endpoint: string; cause?: unknown; hint?: string }) {
    super(message, details);
    this.status = details.status;
    this.endpoint = details.endpoint;
    this.exitCode = details.status === 401 ? EXIT.auth : EXIT.unreachable;
  }
}

/** One place that turns anything thrown into an exit code. Unknown errors are bugs: exit 1. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof DirectlinkError) return error.exitCode;
  if (isAbortError(error)) return EXIT.interrupted;
  return EXIT.partialFailure;
}

/** True for the AbortError/`ABORT_ERR` that Node and undici throw when a signal fires. */
export function isAbortError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'AbortError' || (error as NodeJS.ErrnoException).code === 'ABORT_ERR';
}

/** The message of anything thrown, for use inside another sentence. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
