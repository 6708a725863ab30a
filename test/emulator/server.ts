/**
 * The DirectLink emulator: a real HTTP(S) server on loopback that behaves like the API in
 * /work/shared/directlink-api.md (envelopes, paging, bearer and basic auth, move-to-backup on
 * download, optional Range), with fault injection. Dev/test only: never imported from src/.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { bytesOfContent, fillerContent, generatedContent, memoryContent, sha256OfContent } from './content.js';
import type { ContentSource } from './content.js';
import { FaultQueue } from './faults.js';
import type { BodyFault, Endpoint, Fault, RequestFacts } from './faults.js';
import { newTokenId, signJwt, verifyJwt } from './jwt.js';
import { APIVER, contentDisposition, errorEnvelope, goTime, oauthError, proxyErrorPage } from './wire.js';

export type { Endpoint, Fault, FaultMatch } from './faults.js';

/** Where every endpoint lives. */
export const BASE_PATH = '/directlink/v1';

export interface EmulatorOptions {
  /** user → password; default `{ demo: 'demo-password' }`. */
  users?: Record<string, string>;
  /** Bearer JWT lifetime in seconds, default 3600. */
  tokenLifetimeSec?: number;
  /** Entries per listing page, default 100. */
  pageSize?: number;
  /** Honour `Range: bytes=N-` (default true); see also setRangeSupport(). */
  rangeSupport?: boolean;
  /** false → `POST /oauth2/token` answers Go's plain 404 (clients fall back to basic). Default true. */
  tokenEndpoint?: boolean;
  /** Serve HTTPS with this key and certificate (see testTls() in ./tls.ts). */
  https?: { key: string | Buffer; cert: string | Buffer };
  /** Default 127.0.0.1 and 0 (an ephemeral port). */
  host?: string;
  port?: number;
  /** Origin written into linkURL (default: the real one), e.g. `http://internal-host:8080`. */
  linkOrigin?: string;
  /** Link tokens are refused (401) this long after they were issued; listing again issues fresh ones. Default: never. */
  linkValidityMs?: number;
  /** Optional human log of requests (the `k` link token is redacted). */
  log?: (line: string) => void;
  /** Wall clock in ms (default Date.now): token expiry, link validity, `modified` defaults and `time`. */
  clock?: () => number;
}

export interface EmulatorFileInput {
  name: string;
  /** Small files: kept in memory. */
  content?: Buffer | string;
  /** Big files: deterministic bytes generated on the fly (seed defaults to the file id). */
  generated?: { size: number; seed?: number };
  /** ms since the epoch; default: distinct whole seconds starting a day before the emulator started. */
  modified?: number;
  /** Default 'inbox'. */
  area?: 'inbox' | 'backup';
}

export interface EmulatorFile {
  id: number;
  name: string;
  size: number;
  modified: number;
  area: 'inbox' | 'backup';
  user: string;
}

export interface RequestLogEntry {
  method: string;
  /** The URL path, e.g. `/directlink/v1/download/list`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** The answered status; 0 until the head is sent (e.g. a request still being read). */
  status: number;
  hostHeader?: string;
  /** The raw request target (absolute-form when the client spoke to us as a proxy). */
  url: string;
  /** When it arrived, by the emulator's clock. */
  time: number;
}

export interface FileOverrides {
  /** Listed instead of the real link (foreign host, another path, not a URL…); undefined restores it. */
  linkURL?: string;
}

export interface Emulator {
  /** e.g. `http://127.0.0.1:PORT/directlink/v1`. */
  readonly baseUrl: string;
  /** e.g. `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Every request, in arrival order (live array). */
  readonly requests: RequestLogEntry[];
  addFile(user: string, input: EmulatorFileInput): EmulatorFile;
  addFiles(user: string, inputs: EmulatorFileInput[]): EmulatorFile[];
  /** Files of an area, ordered by id. */
  files(user: string, area: 'inbox' | 'backup'): EmulatorFile[];
  /** Full bytes of a file (generated files up to 256 MiB). */
  contentOf(user: string, id: number): Buffer;
  /** SHA-256 hex of a file, streamed (fine for generated GiB files). */
  sha256Of(user: string, id: number): string;
  /** Move a file to backup as a download would (simulates another client having fetched it). */
  moveToBackup(user: string, id: number): EmulatorFile;
  /** Delete a file from whichever area holds it (simulates the backup retention running out). */
  removeFile(user: string, id: number): void;
  setFileOverrides(user: string, id: number, overrides: FileOverrides): void;
  setRangeSupport(on: boolean): void;
  /** A valid bearer token for a user, as /oauth2/token would issue (lifetime defaults to tokenLifetimeSec). */
  issueToken(user: string, lifetimeSec?: number): string;
  /** Every bearer token issued so far is refused with 401 from now on. */
  expireAllTokens(): void;
  /** Queue a fault (see faults.ts). */
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Faults still queued, with how many applications each has left. */
  pendingFaults(): { fault: Fault; left: number }[];
  /** Close the server and every socket (stalled ones included). Idempotent. */
  close(): Promise<void>;
}

type Area = 'inbox' | 'backup';

interface FileRecord {
  readonly id: number;
  readonly user: string;
  readonly name: string;
  readonly modified: number;
  readonly source: ContentSource;
  area: Area;
  /** Current link token for the file in its current area. */
  link: string;
  linkOverride: string | undefined;
  sha256: string | undefined;
}

interface LinkRecord {
  readonly user: string;
  readonly id: number;
  readonly area: Area;
  readonly issued: number;
}

interface UserState {
  readonly files: Map<number, FileRecord>;
  nextId: number;
  /** Per-area listings ordered by id, rebuilt after a change. */
  sorted: Partial<Record<Area, FileRecord[]>>;
}

interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly entry: RequestLogEntry;
  readonly facts: RequestFacts;
  /** A wrong-range fault taken for this request: where its 206 starts instead of the asked byte. */
  wrongRangeStart?: number;
}

const ROUTES: Record<string, Endpoint> = {
  '/oauth2/token': 'token',
  '/auth/login': 'login',
  '/auth/logout': 'logout',
  '/download/list': 'list',
  '/download/list/backup': 'list-backup',
  '/download/file': 'file',
  '/download/file/backup': 'file-backup',
};

const METHODS: Record<Endpoint, readonly string[]> = {
  token: ['POST'],
  login: ['GET', 'POST'],
  logout: ['GET', 'POST'],
  list: ['GET'],
  'list-backup': ['GET'],
  file: ['GET'],
  'file-backup': ['GET'],
};

/** Start an emulator listening on loopback (ephemeral port unless told otherwise). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = new DirectLinkEmulator(options);
  await emulator.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return emulator;
}

class DirectLinkEmulator implements Emulator {
  readonly requests: RequestLogEntry[] = [];
  private readonly users: Record<string, string>;
  private readonly tokenLifetimeSec: number;
  private readonly pageSize: number;
  private rangeSupport: boolean;
  private readonly tokenEndpoint: boolean;
  private readonly linkValidityMs: number;
  private readonly log: ((line: string) => void) | undefined;
  private readonly clock: () => number;
  private readonly secret = randomBytes(32);
  private readonly monotonicStart = performance.now();
  private readonly issuedTokens = new Set<string>();
  private readonly state = new Map<string, UserState>();
  private readonly links = new Map<string, LinkRecord>();
  private readonly faults = new FaultQueue();
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private readonly isHttps: boolean;
  private nextModified: number;
  private linkOriginOption: string | undefined;
  private address: { origin: string; linkOrigin: string } | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: EmulatorOptions) {
    this.users = { ...(options.users ?? { demo: 'demo-password' }) };
    this.tokenLifetimeSec = options.tokenLifetimeSec ?? 3600;
    this.pageSize = options.pageSize ?? 100;
    if (!(Number.isInteger(this.pageSize) && this.pageSize > 0)) throw new RangeError(`Failed to start the emulator: pageSize must be a positive integer, got ${this.pageSize}.`);
    this.rangeSupport = options.rangeSupport ?? true;
    this.tokenEndpoint = options.tokenEndpoint ?? true;
    this.linkValidityMs = options.linkValidityMs ?? Infinity;
    this.log = options.log;
    this.clock = options.clock ?? Date.now;
    this.linkOriginOption = options.linkOrigin?.replace(/\/+$/, '');
    this.nextModified = Math.floor(this.clock() / 1000) * 1000 - 86_400_000;
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((error: unknown) => {
        this.log?.(`emulator: handler failed: ${String(error)}`);
        if (!res.headersSent) this.sendJson(res, 500, errorEnvelope(500, this.now()));
        else res.destroy();
      });
    };
    // A bigger socket buffer keeps more of a big body in flight between 'drain's.
    const serverOptions = { highWaterMark: 1 << 20, keepAliveTimeout: 5_000 };
    this.server = options.https
      ? createHttpsServer({ ...serverOptions, key: options.https.key, cert: options.https.cert }, handler)
      : createHttpServer(serverOptions, handler);
    // Tracked so close() can end stalled downloads at once instead of waiting for them.
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.isHttps = options.https !== undefined;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('Failed to start the emulator: the server has no TCP address.');
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const origin = `${this.isHttps ? 'https' : 'http'}://${hostPart}:${address.port}`;
    this.address = { origin, linkOrigin: this.linkOriginOption ?? origin };
  }

  get origin(): string {
    if (this.address === undefined) throw new Error('Failed to read the emulator origin: it is not listening.');
    return this.address.origin;
  }

  get baseUrl(): string {
    return `${this.origin}${BASE_PATH}`;
  }

  /** The base URL as the server believes it is (what linkURL, scope and error_uri carry). */
  private get advertisedBase(): string {
    return `${this.address?.linkOrigin ?? ''}${BASE_PATH}`;
  }

  // ---- test-facing API -------------------------------------------------------------------

  addFile(user: string, input: EmulatorFileInput): EmulatorFile {
    const state = this.userState(user);
    const id = state.nextId++;
    if (input.content !== undefined && input.generated !== undefined) throw new TypeError(`Failed to add file ${JSON.stringify(input.name)}: give content or generated, not both.`);
    let source: ContentSource;
    if (input.generated !== undefined) {
      const { size, seed } = input.generated;
      if (!(Number.isSafeInteger(size) && size >= 0)) throw new RangeError(`Failed to add file ${JSON.stringify(input.name)}: size must be a non-negative integer.`);
      source = generatedContent(size, seed ?? id);
    } else {
      const content = input.content ?? Buffer.alloc(0);
      source = memoryContent(typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content));
    }
    let modified = input.modified;
    if (modified === undefined) {
      modified = this.nextModified;
      this.nextModified += 1000;
    }
    const area = input.area ?? 'inbox';
    const record: FileRecord = { id, user, name: input.name, modified, source, area, link: '', linkOverride: undefined, sha256: undefined };
    record.link = this.issueLink(record);
    state.files.set(id, record);
    state.sorted = {};
    return describe(record);
  }

  addFiles(user: string, inputs: EmulatorFileInput[]): EmulatorFile[] {
    return inputs.map((input) => this.addFile(user, input));
  }

  files(user: string, area: Area): EmulatorFile[] {
    return this.listing(user, area).map(describe);
  }

  contentOf(user: string, id: number): Buffer {
    return bytesOfContent(this.record(user, id).source);
  }

  sha256Of(user: string, id: number): string {
    const record = this.record(user, id);
    record.sha256 ??= sha256OfContent(record.source);
    return record.sha256;
  }

  moveToBackup(user: string, id: number): EmulatorFile {
    const record = this.record(user, id);
    if (record.area === 'inbox') this.move(record);
    return describe(record);
  }

  removeFile(user: string, id: number): void {
    const state = this.userState(user);
    if (!state.files.delete(id)) throw new Error(`Failed to remove file ${id} of ${user}: no such file.`);
    state.sorted = {};
  }

  setFileOverrides(user: string, id: number, overrides: FileOverrides): void {
    this.record(user, id).linkOverride = overrides.linkURL;
  }

  setRangeSupport(on: boolean): void {
    this.rangeSupport = on;
  }

  issueToken(user: string, lifetimeSec = this.tokenLifetimeSec): string {
    const iat = Math.floor(this.clock() / 1000);
    const jti = newTokenId();
    this.issuedTokens.add(jti);
    return signJwt({ sub: user, exp: iat + lifetimeSec, iat, nbf: iat, jti }, this.secret);
  }

  expireAllTokens(): void {
    this.issuedTokens.clear();
  }

  inject(fault: Fault): void {
    this.faults.push(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  pendingFaults(): { fault: Fault; left: number }[] {
    return this.faults.pending();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    });
    return this.closing;
  }

  // ---- state -------------------------------------------------------------------------------

  private userState(user: string): UserState {
    let state = this.state.get(user);
    if (state === undefined) {
      state = { files: new Map(), nextId: 1, sorted: {} };
      this.state.set(user, state);
    }
    return state;
  }

  private record(user: string, id: number): FileRecord {
    const record = this.state.get(user)?.files.get(id);
    if (record === undefined) throw new Error(`Failed to find file ${id} of ${user} in the emulator: no such file.`);
    return record;
  }

  private listing(user: string, area: Area): FileRecord[] {
    const state = this.userState(user);
    let list = state.sorted[area];
    if (list === undefined) {
      list = [...state.files.values()].filter((f) => f.area === area).sort((a, b) => a.id - b.id);
      state.sorted[area] = list;
    }
    return list;
  }

  private issueLink(record: FileRecord): string {
    const token = randomBytes(24).toString('base64url');
    this.links.set(token, { user: record.user, id: record.id, area: record.area, issued: this.clock() });
    return token;
  }

  /** The server's move-to-backup: the inbox link dies, a backup link is born. */
  private move(record: FileRecord): void {
    record.area = 'backup';
    record.link = this.issueLink(record);
    this.userState(record.user).sorted = {};
  }

  private linkURL(record: FileRecord): string {
    if (record.linkOverride !== undefined) return record.linkOverride;
    const link = this.links.get(record.link);
    // An expired link is replaced on the next listing, as the doc says: list again, retry once.
    if (link === undefined || this.clock() - link.issued >= this.linkValidityMs) record.link = this.issueLink(record);
    const path = record.area === 'inbox' ? '/download/file' : '/download/file/backup';
    return `${this.advertisedBase}${path}?lang=pt&k=${record.link}`;
  }

  private now(): string {
    return goTime(this.clock(), (performance.now() - this.monotonicStart) / 1000);
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const entry: RequestLogEntry = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      status: 0,
      hostHeader: req.headers.host,
      url: req.url ?? '',
      time: this.clock(),
    };
    this.requests.push(entry);
    if (this.log !== undefined) {
      const log = this.log;
      res.on('close', () => {
        const query = url.search.replace(/([?&]k=)[^&]*/g, '$1…');
        log(`${entry.method} ${url.pathname}${query} → ${res.headersSent ? res.statusCode : 'closed'}`);
      });
    }
    const endpoint = url.pathname.startsWith(BASE_PATH) ? ROUTES[url.pathname.slice(BASE_PATH.length)] : undefined;
    const routed = endpoint === 'token' && !this.tokenEndpoint ? undefined : endpoint;
    const facts: RequestFacts = { endpoint: routed, isBearer: /^bearer /i.test(req.headers.authorization ?? ''), hasRange: req.headers.range !== undefined };
    const ex: Exchange = { req, res, url, entry, facts };

    if (routed === undefined) {
      req.resume();
      // Go's ServeMux answer for an unknown path.
      return this.sendRaw(ex, 404, '404 page not found\n', 'text/plain; charset=utf-8');
    }
    if (routed === 'list' || routed === 'list-backup') facts.page = parsePage(url.searchParams.get('page'));
    if (routed === 'file' || routed === 'file-backup') facts.fileName = this.resolveLink(url, routed)?.record?.name;

    const fault = this.faults.takeEarly(facts);
    if (fault !== undefined) {
      switch (fault.kind) {
        case 'status': {
          req.resume();
          const body = fault.body ?? 'json';
          if (body === 'html') return this.sendRaw(ex, fault.status, proxyErrorPage(fault.status), 'text/html');
          if (body === 'empty') return this.sendRaw(ex, fault.status, '', undefined);
          return this.sendJsonEx(ex, fault.status, routed === 'token' ? oauthError(fault.status, this.advertisedBase) : errorEnvelope(fault.status, this.now()));
        }
        case 'malformed':
          req.resume();
          return this.sendRaw(ex, fault.status ?? 200, fault.body, fault.contentType ?? 'application/json');
        case 'link-expired':
        case 'token-expired':
          req.resume();
          return this.sendJsonEx(ex, 401, errorEnvelope(401, this.now()));
        case 'ignore-page':
          facts.page = 0;
          break;
        case 'hang':
          req.resume();
          // Nothing, ever: close() destroys the socket, which ends this wait.
          if (!res.destroyed) await new Promise<void>((resolve) => res.once('close', () => resolve()));
          return;
        case 'wrong-range':
          ex.wrongRangeStart = fault.start ?? 0;
          break;
      }
    }

    if (!METHODS[routed].includes(entry.method)) {
      req.resume();
      return this.sendJsonEx(ex, 405, routed === 'token' ? oauthError(405, this.advertisedBase) : errorEnvelope(405, this.now()));
    }
    switch (routed) {
      case 'token':
        return this.handleToken(ex);
      case 'login':
      case 'logout':
        req.resume();
        return this.handleAuth(ex, routed);
      case 'list':
      case 'list-backup':
        req.resume();
        return this.handleList(ex, routed === 'list' ? 'inbox' : 'backup');
      case 'file':
      case 'file-backup':
        req.resume();
        return this.handleFile(ex, routed);
    }
  }

  private async handleToken(ex: Exchange): Promise<void> {
    const body = await readBody(ex.req, 64 * 1024);
    if (body === undefined) return this.sendJsonEx(ex, 400, oauthError(400, this.advertisedBase));
    const form = new URLSearchParams(body.toString('utf8'));
    if (form.get('grant_type') !== 'password') return this.sendJsonEx(ex, 400, oauthError(400, this.advertisedBase));
    const user = form.get('username') ?? '';
    const password = form.get('password');
    if (!Object.hasOwn(this.users, user) || this.users[user] !== password) return this.sendJsonEx(ex, 401, oauthError(401, this.advertisedBase));
    return this.sendJsonEx(ex, 200, { access_token: this.issueToken(user), token_type: 'Bearer', expires_in: this.tokenLifetimeSec, scope: this.advertisedBase });
  }

  private async handleAuth(ex: Exchange, endpoint: 'login' | 'logout'): Promise<void> {
    const user = this.authenticate(ex.req.headers.authorization);
    if (user === undefined) return this.sendJsonEx(ex, 401, errorEnvelope(401, this.now()));
    if (endpoint === 'login') {
      return this.sendJsonEx(ex, 200, { status: 0, description: 'handlerAuthLogin:succsessfully', apiver: APIVER, user, bearer: this.issueToken(user), time: this.now() });
    }
    return this.sendJsonEx(ex, 200, { status: 0, description: 'handlerAuthLogout:succsessfully', apiver: APIVER, user, time: this.now() });
  }

  private async handleList(ex: Exchange, area: Area): Promise<void> {
    const user = this.authenticate(ex.req.headers.authorization);
    if (user === undefined) return this.sendJsonEx(ex, 401, errorEnvelope(401, this.now()));
    const page = ex.facts.page;
    if (page === undefined) return this.sendJsonEx(ex, 400, errorEnvelope(400, this.now()));
    const slice = this.listing(user, area).slice(page * this.pageSize, (page + 1) * this.pageSize);
    const files = slice.map((f) => ({ id: f.id, name: f.name, length: f.source.size, modified: f.modified, linkURL: this.linkURL(f) }));
    // Go marshals an empty (nil) slice as null: past the last page, "files" is null.
    const envelope = { status: 0, description: 'handlerDownloadList:succsessfully', apiver: APIVER, user, files: files.length === 0 ? null : files, time: this.now() };
    return this.sendJsonEx(ex, 200, envelope);
  }

  private async handleFile(ex: Exchange, endpoint: 'file' | 'file-backup'): Promise<void> {
    if (!ex.url.searchParams.has('k')) return this.sendJsonEx(ex, 400, errorEnvelope(400, this.now()));
    const resolved = this.resolveLink(ex.url, endpoint);
    if (resolved === undefined) return this.sendJsonEx(ex, 404, errorEnvelope(404, this.now()));
    if (this.clock() - resolved.link.issued >= this.linkValidityMs) return this.sendJsonEx(ex, 401, errorEnvelope(401, this.now()));
    const record = resolved.record;
    // An inbox link of a file already moved (or a deleted file, or a link used on the wrong path): gone.
    if (record === undefined || record.area !== resolved.link.area || record.link !== resolvedToken(ex.url)) {
      return this.sendJsonEx(ex, 404, errorEnvelope(404, this.now()));
    }
    // The side effect that matters most: the file moves to backup as soon as the request is
    // served, whatever happens to the body afterwards.
    if (record.area === 'inbox') this.move(record);

    const size = record.source.size;
    const headers: OutgoingHttpHeaders = {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': contentDisposition(record.name),
      'Last-Modified': new Date(record.modified).toUTCString(),
    };
    if (this.rangeSupport) headers['Accept-Ranges'] = 'bytes';
    const range = this.rangeSupport ? parseRange(ex.req.headers.range, size) : undefined;
    if (range === 'unsatisfiable') {
      // Go's http.ServeContent answer when the range starts at or past the end.
      return this.sendRaw(ex, 416, 'invalid range: failed to overlap\n', 'text/plain; charset=utf-8', { 'Content-Range': `bytes */${size}` });
    }
    if (range !== undefined) {
      const start = ex.wrongRangeStart !== undefined ? Math.min(ex.wrongRangeStart, size - 1) : range.start;
      headers['Content-Range'] = `bytes ${start}-${range.end - 1}/${size}`;
      return this.sendBody(ex, 206, headers, record.source, start, range.end);
    }
    return this.sendBody(ex, 200, headers, record.source, 0, size);
  }

  /** The link record and file a `k` token points at, if the token exists and fits the path. */
  private resolveLink(url: URL, endpoint: 'file' | 'file-backup'): { link: LinkRecord; record: FileRecord | undefined } | undefined {
    const link = this.links.get(resolvedToken(url));
    if (link === undefined || link.area !== (endpoint === 'file' ? 'inbox' : 'backup')) return undefined;
    return { link, record: this.state.get(link.user)?.files.get(link.id) };
  }

  /** The user a Basic or Bearer Authorization header proves, or undefined. */
  private authenticate(header: string | undefined): string | undefined {
    if (header === undefined) return undefined;
    const [scheme, value = ''] = header.trim().split(/\s+/, 2) as [string, string?];
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return undefined;
      const user = decoded.slice(0, colon);
      return Object.hasOwn(this.users, user) && this.users[user] === decoded.slice(colon + 1) ? user : undefined;
    }
    if (/^bearer$/i.test(scheme)) {
      const claims = verifyJwt(value, this.secret);
      const nowSec = this.clock() / 1000;
      if (claims === undefined || !this.issuedTokens.has(claims.jti)) return undefined;
      if (nowSec >= claims.exp || nowSec + 1 < claims.nbf || !Object.hasOwn(this.users, claims.sub)) return undefined;
      return claims.sub;
    }
    return undefined;
  }

  // ---- sending -----------------------------------------------------------------------------

  private head(ex: Exchange, status: number, headers: OutgoingHttpHeaders): void {
    ex.entry.status = status;
    ex.res.writeHead(status, headers);
  }

  private sendRaw(ex: Exchange, status: number, body: string, contentType: string | undefined, extra: OutgoingHttpHeaders = {}): void {
    const bytes = Buffer.from(body, 'utf8');
    const headers: OutgoingHttpHeaders = { ...extra, 'Content-Length': bytes.length };
    if (contentType !== undefined) headers['Content-Type'] = contentType;
    this.head(ex, status, headers);
    ex.res.end(bytes);
  }

  private sendJson(res: ServerResponse, status: number, value: unknown): void {
    const bytes = Buffer.from(JSON.stringify(value));
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': bytes.length });
    res.end(bytes);
  }

  /** JSON answers; successful ones go through sendBody so body faults can target listings. */
  private async sendJsonEx(ex: Exchange, status: number, value: unknown): Promise<void> {
    const bytes = Buffer.from(JSON.stringify(value));
    if (status >= 200 && status < 300) return this.sendBody(ex, status, { 'Content-Type': 'application/json' }, memoryContent(bytes), 0, bytes.length);
    this.sendRaw(ex, status, bytes.toString('utf8'), 'application/json');
  }

  /** Send [start, end) of a source as the body, applying the first matching body fault. */
  private async sendBody(ex: Exchange, status: number, headers: OutgoingHttpHeaders, source: ContentSource, start: number, end: number): Promise<void> {
    const { res } = ex;
    const fault: BodyFault | undefined = this.faults.takeBody(ex.facts);
    let segments: { source: ContentSource; start: number; end: number }[] = [{ source, start, end }];
    let length: number | undefined = end - start;
    let cutAfter = Infinity;
    switch (fault?.kind) {
      case 'short-body':
        length = Math.max(0, Math.min(fault.bytes, end - start));
        segments = [{ source, start, end: start + length }];
        break;
      case 'long-body':
        segments.push({ source: fillerContent(fault.extra), start: 0, end: fault.extra });
        length += fault.extra;
        break;
      case 'chunked':
        length = undefined;
        break;
      case 'drop':
      case 'stall':
        cutAfter = Math.max(0, fault.afterBytes);
        break;
      case undefined:
        break;
    }
    if (length !== undefined) headers['Content-Length'] = length;
    this.head(ex, status, headers);
    // The fault's promise is "headers, then N body bytes": with N = 0 the head must still go out.
    if (fault?.kind === 'stall' || fault?.kind === 'drop') res.flushHeaders();

    // Pieces are written in corked batches of about 1 MiB (one writev each) and the next batch
    // waits for 'drain': backpressure is respected and nothing big is ever buffered.
    let sent = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0 || res.destroyed) return;
      res.cork();
      let isBelowMark = true;
      for (const chunk of batch) isBelowMark = res.write(chunk);
      res.uncork();
      batch = [];
      batchBytes = 0;
      if (!isBelowMark) await drainedOrClosed(res);
    };
    outer: for (const segment of segments) {
      for (const piece of segment.source.pieces(segment.start, segment.end)) {
        if (res.destroyed) return;
        const chunk = sent + piece.length > cutAfter ? piece.subarray(0, cutAfter - sent) : piece;
        if (chunk.length > 0) batch.push(chunk);
        batchBytes += chunk.length;
        sent += chunk.length;
        if (batchBytes >= 1 << 20) await flush();
        if (sent >= cutAfter) break outer;
      }
    }
    await flush();
    if (res.destroyed) return;
    if (fault?.kind === 'drop') {
      // Let the bytes reach the kernel first, so the client really receives N bytes, then cut.
      const socket = res.socket;
      if (socket !== null && !socket.destroyed) await flushedOrClosed(socket);
      socket?.destroy();
      return;
    }
    if (fault?.kind === 'stall') {
      // Nothing more, ever: close() destroys the socket, which ends this wait.
      if (!res.destroyed) await new Promise<void>((resolve) => res.once('close', () => resolve()));
      return;
    }
    res.end();
  }
}

function describe(record: FileRecord): EmulatorFile {
  return { id: record.id, name: record.name, size: record.source.size, modified: record.modified, area: record.area, user: record.user };
}

function resolvedToken(url: URL): string {
  return url.searchParams.get('k') ?? '';
}

/** `page` as a non-negative integer; missing means 0, anything else undefined (→ 400). */
function parsePage(raw: string | null): number | undefined {
  if (raw === null || raw === '') return 0;
  return /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
}

/**
 * A single `bytes=` range: `N-`, `N-M` or `-S`. Undefined means "ignore the header" (absent,
 * malformed or multi-range: answer 200 with the whole file).
 */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '') {
    if (last === '') return undefined;
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size : Math.min(size, Number(last) + 1) };
}

/** Resolves on 'drain' or 'close', whichever comes first. */
function drainedOrClosed(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/**
 * Resolves once everything queued on the socket so far has been handed to the kernel (or the
 * socket closed). Not 'drain': that only follows a write() that returned false, so a small
 * body below the high-water mark would wait for it forever. An empty write's callback runs
 * after every write queued before it.
 */
function flushedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.write(Buffer.alloc(0), () => resolve());
  });
}

/** The request body, or undefined when it is over the limit or the request fails. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > limit) return undefined;
      chunks.push(buffer);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks);
}
