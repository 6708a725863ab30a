/**
 * Checks and normalises what the server sends. Everything here is untrusted: a proxy may
 * answer HTML, a broken server may send the wrong shape. Each problem becomes one sentence
 * naming the endpoint and what was wrong (a ServerError, exit 4), never a stack trace.
 */
import { ServerError } from '../errors.js';
import type { Area, RemoteFile } from './types.js';

/** Parses a JSON body, explaining HTML pages and empty bodies (typical of proxies) in words. */
export function parseJsonBody(text: string, context: { endpoint: string; status: number; contentType: string | undefined }): unknown {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new ServerError(`Failed to read the answer of ${context.endpoint}: the server sent an empty body (HTTP ${context.status}).`);
  }
  try {
    return JSON.parse(trimmed) as unknown;
  } catch (error) {
    const looksHtml = trimmed.startsWith('<') || /html/i.test(context.contentType ?? '');
    const what = looksHtml ? 'an HTML page, not the DirectLink API (is a proxy or the wrong URL in the way?)' : 'a body that is not valid JSON';
    throw new ServerError(`Failed to read the answer of ${context.endpoint}: the server sent ${what} (HTTP ${context.status}).`, { cause: error });
  }
}

/**
 * The envelope's description or the OAuth error_description, if present and a string: one
 * line (line breaks become spaces, so a server can't forge lines in our messages) of at most
 * 200 characters. Other control characters stay for the UI to show escaped.
 */
export function describeEnvelope(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const text = body.description ?? body.error_description;
  if (typeof text !== 'string') return undefined;
  const line = text.replace(/[\r\n\u2028\u2029\u0085]+/g, ' ').trim();
  return line.length > 0 ? line.slice(0, 200) : undefined;
}

/** Validates a token answer from POST /oauth2/token. */
export function parseTokenAnswer(body: unknown, endpoint: string, now: number): { value: string; expiresAt: number } {
  if (!isRecord(body) || typeof body.access_token !== 'string' || body.access_token.length === 0) {
    throw new ServerError(`Failed to read the answer of ${endpoint}: no access_token in it.`);
  }
  const expiresIn = typeof body.expires_in === 'number' && Number.isFinite(body.expires_in) && body.expires_in > 0 ? body.expires_in : 3600;
  return { value: body.access_token, expiresAt: now + expiresIn * 1000 };
}

/**
 * Validates one listing page and returns its files. `files` may be an array, `null` or
 * missing: the last two mean an empty page (Go encodes an empty slice as null).
 */
export function parseListPage(body: unknown, endpoint: string, area: Area): RemoteFile[] {
  if (!isRecord(body)) {
    throw new ServerError(`Failed to list files: ${endpoint} sent JSON that is not an object.`);
  }
  if (typeof body.status === 'number' && body.status !== 0) {
    const description = describeEnvelope(body) ?? 'no description';
    throw new ServerError(`Failed to list files: ${endpoint} answered status ${body.status} (${description}).`);
  }
  const files = body.files;
  if (files === null || files === undefined) return [];
  if (!Array.isArray(files)) {
    throw new ServerError(`Failed to list files: ${endpoint} sent "files" that is not a list.`);
  }
  return files.map((entry, index) => parseFileEntry(entry, `${endpoint} files[${index}]`, area));
}

function parseFileEntry(entry: unknown, where: string, area: Area): RemoteFile {
  if (!isRecord(entry)) throw invalid(where, 'is not an object');
  const id = toInteger(entry.id);
  if (id === undefined || id < 0) throw invalid(where, `has an invalid id (${preview(entry.id)})`);
  const name = entry.name;
  if (typeof name !== 'string' || name.length === 0) throw invalid(where, `has an invalid name (${preview(name)})`);
  const size = toInteger(entry.length);
  if (size === undefined || size < 0) throw invalid(where, `has an invalid length (${preview(entry.length)})`);
  const modified = toInteger(entry.modified);
  if (modified === undefined || modified < 0) throw invalid(where, `has an invalid modified time (${preview(entry.modified)})`);
  // The link is checked when it is used, so one bad link fails one file, not the listing.
  const link = typeof entry.linkURL === 'string' ? entry.linkURL : '';
  return { id, name, size, modified, link, area };
}

function invalid(where: string, what: string): ServerError {
  return new ServerError(`Failed to list files: the entry ${where} ${what}.`);
}

/** Accepts a safe integer, or a string of digits (some gateways stringify numbers). */
function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

/** A short, JSON-quoted rendering of a bad value for an error message. */
function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
