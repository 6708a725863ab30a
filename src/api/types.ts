/**
 * Types shared between the API client and its users (transfer engine, commands).
 * Wire shapes are normalised into these before anyone else sees them.
 */
import type { Readable } from 'node:stream';

/** Which server area a file lives in: the user's area (files waiting) or the backup area. */
export type Area = 'inbox' | 'backup';

/** One file as listed by the server, validated and normalised. */
export interface RemoteFile {
  /** Unique within one listing of one area. */
  readonly id: number;
  /** The server's name for the file, exactly as sent: untrusted text. */
  readonly name: string;
  /** Size in bytes (the listing's `length`). */
  readonly size: number;
  /** Last modification, milliseconds since the Unix epoch. */
  readonly modified: number;
  /** The listed `linkURL`, exactly as sent (absolute URL; carries a secret `k` token). */
  readonly link: string;
  readonly area: Area;
}

export interface OpenDownloadOptions {
  /** Ask for the bytes from this offset on (`Range: bytes=N-`). Omit or 0 for the whole file. */
  readonly rangeStart?: number;
  readonly signal?: AbortSignal;
}

/**
 * An open download. `status` is 200 (whole file, whatever was asked), 206 (partial, see
 * `contentRange`) or 416 (range not satisfiable: nothing more to send; `body` is empty).
 * Other statuses are thrown as ApiError, network failures as NetworkError.
 */
export interface DownloadResponse {
  readonly status: 200 | 206 | 416;
  /** Parsed `Content-Length`, undefined when the answer is chunked. */
  readonly contentLength: number | undefined;
  /** Parsed `Content-Range` of a 206 (or the total of a 416), undefined otherwise. */
  readonly contentRange: { start: number; end: number; total: number | undefined } | undefined;
  /** The body as a Node stream; the caller must consume or destroy it. */
  readonly body: Readable;
}

/** What the transfer engine and commands need from the server. Implemented by api/client.ts. */
export interface DirectLinkApi {
  /** Every file of an area, all pages read (deduplicated by id, guarded against repeating pages). */
  listAll(area: Area, options?: { signal?: AbortSignal }): Promise<RemoteFile[]>;
  /** Pages of an area as they come, in order. */
  listPages(area: Area, options?: { signal?: AbortSignal }): AsyncIterable<RemoteFile[]>;
  /** Start a download of a listed file, its link resolved against the configured origin. */
  openDownload(file: RemoteFile, options?: OpenDownloadOptions): Promise<DownloadResponse>;
  /** Check the credentials against the server (token endpoint or /auth/login); throws AuthError. */
  verifyCredentials(options?: { signal?: AbortSignal }): Promise<{ user: string; token?: { value: string; expiresAt: number } }>;
  /** Tell the server we log out (best effort: never throws for a server-side failure). */
  logout(options?: { signal?: AbortSignal }): Promise<void>;
}
