/**
 * The DirectLink API client: authentication (Basic, or Bearer with a cached token renewed
 * on 401), the paged listing read ahead in a small window, and download streams whose links
 * are resolved against the configured origin. The only module that sends HTTP requests.
 */
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { ApiError, AuthError, NetworkError, ServerError, UsageError, isAbortError } from '../errors.js';
import { createDispatcher, proxyFor, redactUrl, type TransportOptions } from './http.js';
import type { Area, DirectLinkApi, DownloadResponse, OpenDownloadOptions, RemoteFile } from './types.js';
import { describeEnvelope, parseJsonBody, parseListPage, parseTokenAnswer } from './wire.js';

export interface Credentials {
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** A bearer token obtained elsewhere (`--token`); used as is until the server refuses it. */
  readonly token?: string | undefined;
}

export interface CachedToken {
  readonly value: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** Where the bearer token survives between runs (the profile store), or nowhere. */
export interface TokenCache {
  load(): CachedToken | undefined;
  save(token: CachedToken | undefined): void;
}

/** Runs an idempotent operation under the retry policy (transfer/retry.ts, injected by commands). */
export type RetryRunner = <T>(what: string, operation: () => Promise<T>) => Promise<T>;

export interface ApiClientOptions {
  /** Validated base URL, e.g. https://host/directlink/v1 (see parseServerUrl). */
  readonly baseUrl: URL;
  readonly credentials: Credentials;
  readonly auth: 'bearer' | 'basic';
  readonly transport: TransportOptions;
  readonly tokenCache?: TokenCache;
  readonly retry?: RetryRunner;
  /** `--verbose` request log; lines are already redacted. */
  readonly trace?: (line: string) => void;
  /** Warnings worth a person's attention (a server ignoring `page`, fallback to Basic). */
  readonly warn?: (message: string) => void;
  readonly now?: () => number;
  /** Listing pages requested ahead of the one being read. */
  readonly listWindow?: number;
  /** Hard cap on pages, so a server that never sends an empty page can't loop us forever. */
  readonly maxPages?: number;
  /** The whole run's stop signal (Ctrl-C): ends requests shared by several callers. */
  readonly runSignal?: AbortSignal;
}

export interface ApiClient extends DirectLinkApi {
  /** Closes pooled connections. */
  close(): Promise<void>;
}

/** Renew a cached token this long before it expires, so it never dies mid-request. */
const TOKEN_MARGIN_MS = 60_000;
const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY = 64 * 1024;
const MAX_JSON_BODY = 16 * 1024 * 1024;

/**
 * Checks a server URL from a flag, env var or profile: http(s) only, no credentials in it,
 * no query. Returns it without a trailing slash. Throws UsageError (exit 2).
 */
export function parseServerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`Invalid server URL "${raw.replace(/\/\/[^/@\s]*@/, '//***@')}": expected something like https://host/directlink/v1.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`Invalid server URL "${raw}": only http:// and https:// are supported.`);
  }
  if (url.username || url.password) {
    throw new UsageError('Invalid server URL: do not put credentials in it; use --user and --password-stdin or DIRECTLINK_PASSWORD.');
  }
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** True for loopback hosts, where plain http:// carries no risk worth a warning. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Builds a client with its own connection pool. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  return new Client(options);
}

type Method = 'GET' | 'POST';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { text(): Promise<string> };
}

class Client implements ApiClient {
  readonly #options: ApiClientOptions;
  readonly #dispatcher: Dispatcher;
  readonly #now: () => number;
  readonly #retry: RetryRunner;
  #mode: 'bearer' | 'basic';
  #token: CachedToken | undefined;
  #tokenRequest: Promise<CachedToken> | undefined;
  /** An explicit --token is tried first; once refused we renew from the password, if any. */
  #explicitTokenRefused = false;

  constructor(options: ApiClientOptions) {
    this.#options = options;
    this.#dispatcher = createDispatcher(options.transport);
    this.#now = options.now ?? Date.now;
    this.#retry = options.retry ?? ((_what, operation) => operation());
    this.#mode = options.auth;
    this.#token = options.tokenCache?.load();
    const proxy = proxyFor(options.baseUrl, options.transport.env);
    if (proxy !== undefined) options.trace?.(`proxy for ${options.baseUrl.origin}: ${redactUrl(proxy)}`);
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  // ---- listing ------------------------------------------------------------------------

  async listAll(area: Area, options?: { signal?: AbortSignal }): Promise<RemoteFile[]> {
    const all: RemoteFile[] = [];
    for await (const page of this.listPages(area, options)) all.push(...page);
    return all;
  }

  /**
   * Pages in order, read ahead `listWindow` at a time. Starts at page 0 (the vendor's other
   * paged endpoint does), de-duplicates by id (a 1-based server repeats page 0 as page 1),
   * stops at the first empty page, and stops with a warning when two pages in a row bring
   * nothing new (a server that ignores `page`) or the page cap is hit.
   */
  async *listPages(area: Area, options?: { signal?: AbortSignal }): AsyncGenerator<RemoteFile[]> {
    const path = area === 'inbox' ? '/download/list' : '/download/list/backup';
    const window = Math.max(1, this.#options.listWindow ?? 4);
    const maxPages = this.#options.maxPages ?? 10_000;
    const stop = new AbortController();
    const signal = options?.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const pending = new Map<number, Promise<RemoteFile[]>>();
    let nextToRequest = 0;
    const seen = new Set<number>();
    let pagesWithNothingNew = 0;
    try {
      for (let page = 0; page < maxPages; page++) {
        while (pending.size < window && nextToRequest < maxPages) {
          const requested = nextToRequest++;
          // #apiJson retries the request: wrapping it again here would multiply the attempts.
          const promise = this.#fetchPage(path, requested, area, signal);
          // Pages read ahead may fail after we stopped caring; never let that crash the process.
          promise.catch(() => undefined);
          pending.set(requested, promise);
        }
        const current = pending.get(page);
        pending.delete(page);
        if (!current) break;
        const files = await current;
        if (files.length === 0) return;
        const fresh = files.filter((file) => !seen.has(file.id));
        for (const file of fresh) seen.add(file.id);
        if (fresh.length === 0) {
          pagesWithNothingNew++;
          if (pagesWithNothingNew >= 2) {
            this.#options.warn?.(`The server sent the same files again for page ${page} of ${path}; it seems to ignore paging, so the listing stops here (${seen.size} files).`);
            return;
          }
          continue;
        }
        pagesWithNothingNew = 0;
        yield fresh;
      }
      this.#options.warn?.(`Stopped listing ${path} after ${maxPages} pages (${seen.size} files); the server never sent an empty page.`);
    } finally {
      stop.abort();
    }
  }

  async #fetchPage(path: string, page: number, area: Area, signal: AbortSignal): Promise<RemoteFile[]> {
    const body = await this.#apiJson('GET', path, { page: String(page) }, signal);
    return parseListPage(body, path, area);
  }

  // ---- downloads ----------------------------------------------------------------------

  async openDownload(file: RemoteFile, options?: OpenDownloadOptions): Promise<DownloadResponse> {
    let url = this.#resolveLink(file);
    const rangeStart = options?.rangeStart ?? 0;
    const headers: Record<string, string> = {};
    if (rangeStart > 0) headers.range = `bytes=${rangeStart}-`;
    // The link's `k` token authorises the download: no Authorization header is sent, so
    // credentials can't leak wherever a link or a redirect points.
    for (let hop = 0; ; hop++) {
      const response = await this.#send('GET', url, headers, undefined, options?.signal);
      if (response.status >= 300 && response.status < 400 && hop < MAX_REDIRECTS) {
        const location = header(response.headers, 'location');
        discard(response);
        if (!location) throw new ServerError(`Failed to download ${file.name}: a redirect (HTTP ${response.status}) without a Location.`);
        url = followRedirect(url, location, file.name);
        continue;
      }
      return await this.#toDownloadResponse(file, response);
    }
  }

  async #toDownloadResponse(file: RemoteFile, response: RawResponse): Promise<DownloadResponse> {
    const { status } = response;
    const contentLength = parseContentLength(header(response.headers, 'content-length'));
    if (status === 200 || status === 206 || status === 416) {
      const contentRange = parseContentRange(header(response.headers, 'content-range'));
      if (status === 416) response.body.resume();
      return { status, contentLength, contentRange, body: response.body };
    }
    const detail = await readErrorDetail(response);
    const endpoint = endpointOf(this.#resolveLink(file));
    throw new ApiError(`Failed to download ${file.name}: the server answered HTTP ${status}${detail ? ` (${detail})` : ''}.`, { status, endpoint });
  }

  /**
   * The link's path and query, put on the configured origin. Servers behind proxies write
   * their internal host and scheme into linkURL; the host the user configured is the one
   * that works. The query is kept exactly as listed (the vendor page names it `z`, links
   * use `k`: never rebuild it).
   */
  #resolveLink(file: RemoteFile): URL {
    const listing = file.area === 'inbox' ? '/download/list' : '/download/list/backup';
    let link: URL;
    try {
      link = new URL(file.link);
    } catch {
      throw new ServerError(`Failed to download ${file.name}: the server listed a link that is not a URL (linkURL in ${listing}).`);
    }
    const match = /\/download\/file(\/backup)?$/.exec(link.pathname);
    if (!match) {
      throw new ServerError(`Failed to download ${file.name}: the server listed a link to an unexpected path (${redactUrl(link.pathname)}, linkURL in ${listing}).`);
    }
    const resolved = new URL(this.#options.baseUrl.href);
    resolved.pathname = `${this.#options.baseUrl.pathname}${match[0]}`;
    resolved.search = link.search;
    return resolved;
  }

  // ---- authentication -----------------------------------------------------------------

  async verifyCredentials(options?: { signal?: AbortSignal }): Promise<{ user: string; token?: CachedToken }> {
    const user = this.#options.credentials.user ?? '';
    if (this.#mode === 'bearer' && !this.#options.credentials.token) {
      const token = await this.#retry('get a token', () => this.#renewToken(options?.signal));
      if (token) return { user, token };
    }
    // Basic, or a token given as is: /auth/login checks the credentials without side effects on files.
    const body = await this.#apiJson('GET', '/auth/login', {}, options?.signal);
    const serverUser = typeof (body as { user?: unknown }).user === 'string' ? (body as { user: string }).user : user;
    return { user: serverUser };
  }

  async logout(options?: { signal?: AbortSignal }): Promise<void> {
    try {
      await this.#apiJson('GET', '/auth/logout', {}, options?.signal);
    } catch (error) {
      if (isAbortError(error)) throw error;
      this.#options.trace?.(`logout not confirmed by the server: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #authorization(signal: AbortSignal | undefined): Promise<string> {
    const { credentials } = this.#options;
    if (this.#mode === 'bearer') {
      if (credentials.token && !this.#explicitTokenRefused) return `Bearer ${credentials.token}`;
      if (this.#token && this.#token.expiresAt - TOKEN_MARGIN_MS > this.#now()) return `Bearer ${this.#token.value}`;
      const token = await this.#renewToken(signal);
      if (token) return `Bearer ${token.value}`;
    }
    return this.#basicAuthorization();
  }

  #basicAuthorization(): string {
    const { user, password } = this.#options.credentials;
    if (!user || password === undefined) throw this.#missingCredentials();
    return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
  }

  /** Says which credential is missing, and where it can come from. */
  #missingCredentials(): AuthError {
    const { user, token } = this.#options.credentials;
    const origin = this.#options.baseUrl.origin;
    if (token) {
      return new AuthError('Failed to authenticate: the server refused the token, and no password is known to get a new one.', {
        hint: 'Get a new token, or give a password: DIRECTLINK_PASSWORD, --password-stdin or `directlink login`.',
      });
    }
    if (!user) {
      return new AuthError(`Failed to authenticate: no user is known for ${origin}.`, { hint: 'Pass --user NAME, set DIRECTLINK_USER, or run `directlink login`.' });
    }
    return new AuthError(`Failed to authenticate as ${user}: no password is known for ${origin}.`, {
      hint: 'Set DIRECTLINK_PASSWORD, pipe it with --password-stdin, or run `directlink login` (a stored password is only sent to the server it was stored for).',
    });
  }

  /** Fetches a fresh token (one request shared by concurrent callers). Undefined: fell back to Basic. */
  async #renewToken(signal: AbortSignal | undefined): Promise<CachedToken | undefined> {
    if (this.#mode !== 'bearer') return undefined;
    // Shared by every caller, so it must not die with the first caller's signal (a listing
    // that finished and cancelled its read-ahead would fail everyone else's renewal); each
    // caller stops waiting on its own signal instead.
    if (!this.#tokenRequest) {
      this.#tokenRequest = this.#requestToken(this.#options.runSignal).finally(() => {
        this.#tokenRequest = undefined;
      });
      // Every caller may have stopped waiting: its failure must not go unhandled.
      this.#tokenRequest.catch(() => undefined);
    }
    try {
      return await untilAborted(this.#tokenRequest, signal);
    } catch (error) {
      if (error instanceof FallBackToBasic) return undefined;
      throw error;
    }
  }

  async #requestToken(signal: AbortSignal | undefined): Promise<CachedToken> {
    const { user, password } = this.#options.credentials;
    if (!user || password === undefined) throw this.#missingCredentials();
    const url = this.#apiUrl('/oauth2/token', {});
    const form = new URLSearchParams({ grant_type: 'password', username: user, password }).toString();
    // Not retried here: a token is requested from inside #apiJson's retry loop (or login's),
    // and retries at two levels would multiply into minutes against a dead server.
    const response = await this.#send('POST', url, { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, form, signal);
    if (response.status === 404 || response.status === 405 || response.status === 501) {
      response.body.resume();
      // No token endpoint on this server (PRODUCT.md: fall back to basic).
      this.#mode = 'basic';
      this.#options.trace?.('no token endpoint; using Basic authentication');
      throw new FallBackToBasic();
    }
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      const detail = await readErrorDetail(response);
      throw new AuthError(`Failed to authenticate as ${user}: the server refused the user or password (HTTP ${response.status}${detail ? `, ${detail}` : ''}).`, {
        hint: 'Check the user and password, then run `directlink login` again.',
      });
    }
    if (response.status !== 200) {
      const detail = await readErrorDetail(response);
      throw new ApiError(`Failed to get a token from /oauth2/token: HTTP ${response.status}${detail ? ` (${detail})` : ''}.`, { status: response.status, endpoint: '/oauth2/token' });
    }
    const body = parseJsonBody(await readText(response, '/oauth2/token'), { endpoint: '/oauth2/token', status: 200, contentType: header(response.headers, 'content-type') });
    const token = parseTokenAnswer(body, '/oauth2/token', this.#now());
    this.#token = token;
    this.#options.tokenCache?.save(token);
    return token;
  }

  // ---- plumbing -----------------------------------------------------------------------

  /** An authenticated JSON call; renews a bearer token once on 401, retried per policy. */
  async #apiJson(method: Method, path: string, query: Record<string, string>, signal: AbortSignal | undefined): Promise<unknown> {
    const url = this.#apiUrl(path, query);
    const { response, text } = await this.#retry(`${method} ${path}`, async () => {
      const first = await this.#sendAuthorized(method, url, signal);
      let answer = first.response;
      if (answer.status === 401 && this.#mode === 'bearer') {
        await readErrorDetail(answer);
        // A 401 to a bearer token means it expired or was revoked: renew once and repeat.
        // Only if it is still the current token: with parallel requests, another caller may
        // have renewed it already, and dropping the fresh one would renew twice.
        if (this.#options.credentials.token && first.authorization === `Bearer ${this.#options.credentials.token}`) this.#explicitTokenRefused = true;
        if (this.#token && first.authorization === `Bearer ${this.#token.value}`) {
          this.#token = undefined;
          this.#options.tokenCache?.save(undefined);
        }
        answer = (await this.#sendAuthorized(method, url, signal)).response;
      }
      // Errors are thrown inside the loop, so the policy sees them: a 5xx is retried, a
      // refusal or a wrong URL is not (transfer/retry.ts).
      if (answer.status !== 200) throw await this.#answerError(answer, path, url);
      // The body is read under the retry policy too: a listing cut or stalled half-way is as
      // transient as one that never started.
      try {
        return { response: answer, text: await readText(answer, path) };
      } catch (error) {
        if (isAbortError(error) && signal?.aborted) throw error;
        if (error instanceof ServerError) throw error;
        throw toTransportError(error, url, this.#options.transport);
      }
    });
    const contentType = header(response.headers, 'content-type');
    return parseJsonBody(text, { endpoint: path, status: response.status, contentType });
  }

  /** The error for a non-200 answer to an API call, its body consumed. */
  async #answerError(response: RawResponse, path: string, url: URL): Promise<Error> {
    if (response.status === 401 || response.status === 403) {
      const detail = await readErrorDetail(response);
      const who = this.#options.credentials.user ? ` as ${this.#options.credentials.user}` : '';
      return new AuthError(`Failed to authenticate${who}: the server refused the credentials (HTTP ${response.status}${detail ? `, ${detail}` : ''}).`, {
        hint: 'Check the user and password, then run `directlink login` again.',
      });
    }
    if (response.status >= 300 && response.status < 400) {
      response.body.resume();
      const location = header(response.headers, 'location');
      const where = location ? ` to ${originOf(location, url)}` : '';
      return new ServerError(`Failed to call ${path}: the server redirected${where}; check the --server URL (credentials are not sent to redirects).`);
    }
    if (response.status === 404) {
      response.body.resume();
      // The API answers every documented path; a 404 means the configured URL is wrong, which
      // retrying later won't fix: a usage error (exit 2), not a server failure (exit 4).
      return new UsageError(`Failed to call ${path}: not found (HTTP 404) at ${this.#options.baseUrl.origin}${this.#options.baseUrl.pathname}.`, {
        hint: 'Check the server URL: it should end with the API base, e.g. https://host/directlink/v1.',
      });
    }
    const detail = await readErrorDetail(response);
    return new ApiError(`Failed to call ${path}: the server answered HTTP ${response.status}${detail ? ` (${detail})` : ''}.`, { status: response.status, endpoint: path });
  }

  async #sendAuthorized(method: Method, url: URL, signal: AbortSignal | undefined): Promise<{ response: RawResponse; authorization: string }> {
    const authorization = await this.#authorization(signal);
    // Documented as required even on GET: send it.
    const response = await this.#send(method, url, { authorization, 'content-type': 'application/json', accept: 'application/json' }, undefined, signal);
    return { response, authorization };
  }

  #apiUrl(path: string, query: Record<string, string>): URL {
    const url = new URL(this.#options.baseUrl.href);
    url.pathname = `${this.#options.baseUrl.pathname}${path}`;
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url;
  }

  async #send(method: Method, url: URL, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<RawResponse> {
    // Credentials go only to the configured origin; a foreign URL never gets Authorization.
    if (url.origin !== this.#options.baseUrl.origin && headers.authorization) {
      const { authorization: _dropped, ...rest } = headers;
      headers = rest;
    }
    const started = this.#now();
    this.#options.trace?.(`> ${method} ${redactUrl(url.href)}${headers.range ? ` (range ${headers.range})` : ''}${headers.authorization ? ` (auth ${headers.authorization.split(' ')[0]} ***)` : ''}`);
    try {
      const response = await request(url, {
        method,
        headers: { 'user-agent': 'directlink', ...headers },
        body,
        signal,
        dispatcher: this.#dispatcher,
      });
      this.#options.trace?.(`< ${response.statusCode} ${method} ${redactUrl(url.pathname)} (${this.#now() - started} ms)`);
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      // Only our own signal means "stop"; undici also names some transport failures
      // AbortError (a proxy refusing CONNECT), and those must become messages, not exit 130.
      if (signal?.aborted && isAbortError(error)) throw error;
      throw toTransportError(error, url, this.#options.transport);
    }
  }
}

class FallBackToBasic extends Error {}

/** Waits for a shared promise, but gives up (with an AbortError) when this caller's signal fires. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return await promise;
  const abortError = (): DOMException => new DOMException('This operation was aborted', 'AbortError');
  if (signal.aborted) throw abortError();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Where a download redirect leads. Only http(s), and never from https down to http: the
 * target may carry the link's `k` token in its query. No credentials are ever sent on a
 * download, so a foreign host gets the token-bearing URL and nothing else.
 */
function followRedirect(from: URL, location: string, name: string): URL {
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw new ServerError(`Failed to download ${name}: the server redirected to something that is not a URL.`);
  }
  if (to.protocol !== 'http:' && to.protocol !== 'https:') {
    throw new ServerError(`Failed to download ${name}: the server redirected to a ${to.protocol.replace(/:$/, '')}: URL; only http and https are followed.`);
  }
  if (from.protocol === 'https:' && to.protocol === 'http:') {
    throw new ServerError(`Failed to download ${name}: the server redirected from https to plain http (${to.host}); refusing to downgrade.`);
  }
  return to;
}

const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|UNABLE_TO_GET_ISSUER/;

/**
 * Turns a transport failure into a sentence naming the origin (and the proxy, redacted, when
 * one is in the way); certificate problems get a hint. A proxy refusing CONNECT becomes an
 * ApiError with the proxy's status, so the retry classifier treats a 502 from the proxy as
 * transient and a 407 (credentials refused) as final.
 */
export function toTransportError(error: unknown, url: URL, transport: TransportOptions): NetworkError | ApiError {
  const proxy = proxyFor(url, transport.env);
  const via = proxy === undefined ? '' : ` through the proxy ${redactUrl(proxy).replace(/\/$/, '')}`;
  const message = error instanceof Error ? error.message : String(error);
  const proxyStatus = /^Proxy response \((\d{3})\)/.exec(message) ?? /^Proxy Authentication Required \((407)\)/.exec(message);
  if (proxyStatus) {
    const status = Number(proxyStatus[1]);
    const reason = status === 407 ? 'the proxy refused its credentials (HTTP 407)' : `the proxy answered HTTP ${status} instead of connecting`;
    return new ApiError(`Failed to reach ${url.origin}${via}: ${reason}.`, {
      status,
      endpoint: url.pathname,
      cause: error,
      ...(status === 407 ? { hint: 'Check the user and password in HTTPS_PROXY / HTTP_PROXY (http://user:password@proxy:port).' } : {}),
    });
  }
  return toNetworkError(error, url, transport, via);
}

/** Turns a transport failure into a sentence; certificate problems get a hint. */
export function toNetworkError(error: unknown, url: URL, transport: TransportOptions, via = ''): NetworkError {
  const code = errorCode(error);
  const origin = url.origin;
  let reason: string;
  let hint: string | undefined;
  switch (code) {
    case 'ECONNREFUSED': reason = 'connection refused'; break;
    case 'ENOTFOUND': case 'EAI_AGAIN': reason = 'host not found'; break;
    case 'ECONNRESET': case 'UND_ERR_SOCKET': reason = 'the connection was closed by the other side'; break;
    case 'UND_ERR_CONNECT_TIMEOUT': reason = `no connection within ${Math.round(transport.connectTimeoutMs / 1000)} s`; break;
    case 'UND_ERR_HEADERS_TIMEOUT': case 'UND_ERR_BODY_TIMEOUT': reason = `no answer for ${Math.round(transport.idleTimeoutMs / 1000)} s`; break;
    default:
      if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
        reason = 'the server did not answer in TLS';
        hint = 'Is it a plain http:// server? Check the scheme of the server URL.';
      } else if (code && CERT_CODES.test(code)) {
        reason = `the server's TLS certificate was not accepted (${code})`;
        hint = 'If the server uses a private CA, pass --cacert FILE (PEM) or set NODE_EXTRA_CA_CERTS.';
      } else {
        // Undici's own words may quote a URL (a proxy's, with its password): redact any.
        // OpenSSL's messages run over several lines of internals: the first says it.
        reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim().replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, (found) => redactUrl(found));
      }
  }
  return new NetworkError(`Failed to reach ${origin}${via}: ${reason}.`, { cause: error, code, ...(hint ? { hint } : {}) });
}

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function header(headers: RawResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,16}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Parses `bytes 10-99/100`, or the unsatisfied form `bytes (star)/100` of a 416. */
function parseContentRange(value: string | undefined): DownloadResponse['contentRange'] {
  if (!value) return undefined;
  const full = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value.trim());
  if (full) {
    const total = full[3] === '*' ? undefined : Number(full[3]);
    return { start: Number(full[1]), end: Number(full[2]), total };
  }
  const unsatisfied = /^bytes\s+\*\/(\d+)$/i.exec(value.trim());
  if (unsatisfied) return { start: -1, end: -1, total: Number(unsatisfied[1]) };
  return undefined;
}

/**
 * The body of a JSON answer, refused past MAX_JSON_BODY: a page holds at most 100 entries
 * (a few tens of KiB), so anything near the cap is a broken or hostile server, and reading
 * it whole would only exhaust memory.
 */
async function readText(response: RawResponse, endpoint: string): Promise<string> {
  const declared = parseContentLength(header(response.headers, 'content-length'));
  const tooBig = (): ServerError => new ServerError(`Failed to read the answer of ${endpoint}: the server sent more than ${MAX_JSON_BODY / (1024 * 1024)} MiB, far more than any API answer.`);
  if (declared !== undefined && declared > MAX_JSON_BODY) {
    discard(response);
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) {
      discard(response);
      throw tooBig();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The description from an error body, if it is the JSON envelope; never throws. */
async function readErrorDetail(response: RawResponse): Promise<string | undefined> {
  try {
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ERROR_BODY) break;
      chunks.push(chunk);
    }
    discard(response);
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (text.startsWith('<')) return 'an HTML page, perhaps from a proxy';
    return describeEnvelope(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Drops a body we will not read. Destroying undici's body makes it emit an "aborted" error;
 * with nobody listening that is an uncaught exception that kills the process.
 */
function discard(response: RawResponse): void {
  response.body.on('error', () => undefined);
  response.body.destroy();
}

/** The origin a redirect points at, for a message (an origin never carries credentials). */
function originOf(location: string, base: URL): string {
  try {
    return new URL(location, base).origin;
  } catch {
    return 'an invalid URL';
  }
}

function endpointOf(url: URL): string {
  return url.pathname;
}
