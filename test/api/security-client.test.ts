/**
 * The API client against hostile answers, in process and over loopback: every malformed
 * listing or token answer is a ServerError (exit 4) naming the endpoint; redirects never
 * carry credentials or downgrade; the decision functions behind the warnings and messages
 * (loopback, proxy choice, redaction) as tables.
 */
import { mkdirSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient, isLoopbackHost, parseServerUrl, toTransportError, type ApiClient } from '../../src/api/client.js';
import { proxyFor, redactUrl } from '../../src/api/http.js';
import type { RemoteFile } from '../../src/api/types.js';
import { ApiError, NetworkError, ServerError, UsageError } from '../../src/errors.js';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { tempDir } from '../support/cli.js';
import { startRecorder } from '../e2e/security-support.js';
import { makeTestPki, type TestPki } from '../emulator/tls.js';

const transport = (env: Record<string, string> = {}, extraCaPem: string[] = []) => ({ concurrency: 2, connectTimeoutMs: 5000, idleTimeoutMs: 5000, env, extraCaPem });

function clientFor(baseUrl: string, options: { auth?: 'basic' | 'bearer'; extraCaPem?: string[] } = {}): ApiClient {
  return createApiClient({
    baseUrl: parseServerUrl(baseUrl),
    credentials: { user: 'demo', password: 'demo-password' },
    auth: options.auth ?? 'basic',
    transport: transport({}, options.extraCaPem),
  });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('malformed answers', () => {
  let emulator: Emulator;
  let client: ApiClient;

  beforeEach(async () => {
    emulator = await startEmulator();
    emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
    client = clientFor(emulator.baseUrl);
  });

  afterEach(async () => {
    await client.close();
    await emulator.close();
  });

  const entry = (over: Record<string, unknown>): string =>
    JSON.stringify({ status: 0, files: [{ id: 1, name: 'x', length: 1, modified: 1654642758397, linkURL: 'http://h/directlink/v1/download/file?k=t', ...over }] });

  const listing: [string, { body: string; contentType?: string; status?: number }, RegExp][] = [
    ['HTML with 200', { body: '<html>portal</html>', contentType: 'text/html' }, /^Failed to read the answer of \/download\/list: the server sent an HTML page, not the DirectLink API \(is a proxy or the wrong URL in the way\?\) \(HTTP 200\)\.$/],
    ['HTML without a content type hint', { body: '<!DOCTYPE html><p>hi' }, /the server sent an HTML page/],
    ['plain text', { body: 'OK', contentType: 'text/plain' }, /\/download\/list: the server sent a body that is not valid JSON \(HTTP 200\)\.$/],
    ['truncated JSON', { body: '{"status":0,"files":[{"id":1' }, /\/download\/list: the server sent a body that is not valid JSON/],
    ['empty body', { body: '' }, /\/download\/list: the server sent an empty body \(HTTP 200\)\.$/],
    ['whitespace body', { body: ' \n ' }, /empty body/],
    ['a JSON array', { body: '[]' }, /^Failed to list files: \/download\/list sent JSON that is not an object\.$/],
    ['JSON null', { body: 'null' }, /sent JSON that is not an object/],
    ['a JSON string', { body: '"files"' }, /sent JSON that is not an object/],
    ['files as an object', { body: '{"status":0,"files":{"id":1}}' }, /\/download\/list sent "files" that is not a list\.$/],
    ['files as a string', { body: '{"status":0,"files":"none"}' }, /"files" that is not a list/],
    ['an entry that is a number', { body: '{"status":0,"files":[42]}' }, /the entry \/download\/list files\[0\] is not an object\.$/],
    ['an entry that is null', { body: '{"status":0,"files":[null]}' }, /files\[0\] is not an object/],
    ['a null name', { body: entry({ name: null }) }, /files\[0\] has an invalid name \(null\)\.$/],
    ['an empty name', { body: entry({ name: '' }) }, /files\[0\] has an invalid name \(""\)/],
    ['a numeric name', { body: entry({ name: 7 }) }, /files\[0\] has an invalid name \(7\)/],
    ['a missing length', { body: entry({ length: undefined }) }, /files\[0\] has an invalid length \(undefined\)/],
    ['a null length', { body: entry({ length: null }) }, /invalid length \(null\)/],
    ['a negative length', { body: entry({ length: -5 }) }, /invalid length \(-5\)/],
    ['a negative length as a string', { body: entry({ length: '-5' }) }, /invalid length \("-5"\)/],
    ['a non-numeric length', { body: entry({ length: 'lots' }) }, /invalid length \("lots"\)/],
    ['a fractional length', { body: entry({ length: 1.5 }) }, /invalid length \(1\.5\)/],
    ['a length beyond 2^53', { body: entry({ length: 1e300 }) }, /invalid length \(1e\+300\)/],
    ['a boolean length', { body: entry({ length: true }) }, /invalid length \(true\)/],
    ['a missing id', { body: entry({ id: undefined }) }, /invalid id \(undefined\)/],
    ['a negative id', { body: entry({ id: -1 }) }, /invalid id \(-1\)/],
    ['an id that is an object', { body: entry({ id: { $gt: 1 } }) }, /invalid id \(\{"\$gt":1\}\)/],
    ['a missing modified', { body: entry({ modified: undefined }) }, /invalid modified time \(undefined\)/],
    ['a modified date string', { body: entry({ modified: '2026-01-01' }) }, /invalid modified time \("2026-01-01"\)/],
    ['an error envelope with HTTP 200', { body: '{"status":500,"description":"database down"}' }, /\/download\/list answered status 500 \(database down\)\.$/],
    ['a long bad value, shortened', { body: entry({ length: 'x'.repeat(5000) }) }, /invalid length \("x{30,36}\.\.\.\)\.$/],
  ];
  for (const [what, fault, message] of listing) {
    it(`listing: ${what}`, async () => {
      emulator.inject({ kind: 'malformed', ...fault, match: { endpoint: 'list', page: 0 } });
      const error = await failure(client.listAll('inbox'));
      expect(error).toBeInstanceOf(ServerError);
      expect((error as ServerError).exitCode).toBe(4);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    });
  }

  it('listing: a body far larger than any page is refused, not read into memory', async () => {
    emulator.inject({ kind: 'malformed', body: `{"status":0,"files":[],"pad":"${'x'.repeat(17 * 1024 * 1024)}"}`, match: { endpoint: 'list', page: 0 } });
    const error = await failure(client.listAll('inbox'));
    expect(error).toBeInstanceOf(ServerError);
    expect(error.message).toBe('Failed to read the answer of /download/list: the server sent more than 16 MiB, far more than any API answer.');
  });

  it('listing: an error envelope with a 4xx/5xx status names the endpoint and the status', async () => {
    emulator.inject({ kind: 'status', status: 502, body: 'html', match: { endpoint: 'list', page: 0 } });
    const error = await failure(client.listAll('inbox'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe('Failed to call /download/list: the server answered HTTP 502 (an HTML page, perhaps from a proxy).');
    expect((error as ApiError).exitCode).toBe(4);
  });

  const token: [string, { body: string; contentType?: string; status?: number }, RegExp][] = [
    ['HTML', { body: '<html>SSO</html>', contentType: 'text/html' }, /\/oauth2\/token: the server sent an HTML page/],
    ['no access_token', { body: '{"token_type":"Bearer"}' }, /^Failed to read the answer of \/oauth2\/token: no access_token in it\.$/],
    ['an empty access_token', { body: '{"access_token":""}' }, /no access_token in it/],
    ['a numeric access_token', { body: '{"access_token":12}' }, /no access_token in it/],
    ['a JSON array', { body: '[{"access_token":"x"}]' }, /no access_token in it/],
  ];
  for (const [what, fault, message] of token) {
    it(`token: ${what}`, async () => {
      const bearer = clientFor(emulator.baseUrl, { auth: 'bearer' });
      try {
        emulator.inject({ kind: 'malformed', ...fault, match: { endpoint: 'token' } });
        const error = await failure(bearer.listAll('inbox'));
        expect(error).toBeInstanceOf(ServerError);
        expect(error.message).toMatch(message);
      } finally {
        await bearer.close();
      }
    });
  }

  it('a token answer with a nonsense expires_in is used with the default lifetime', async () => {
    const bearer = clientFor(emulator.baseUrl, { auth: 'bearer' });
    try {
      const { token: valid } = await bearer.verifyCredentials();
      expect(valid).toBeDefined();
      emulator.inject({ kind: 'malformed', body: JSON.stringify({ access_token: emulator.issueToken('demo'), expires_in: 'soon' }), match: { endpoint: 'token' } });
      const fresh = clientFor(emulator.baseUrl, { auth: 'bearer' });
      try {
        const { token } = await fresh.verifyCredentials();
        expect(token!.expiresAt - Date.now()).toBeGreaterThan(3000 * 1000);
      } finally {
        await fresh.close();
      }
    } finally {
      await bearer.close();
    }
  });
});

describe('download links and redirects', () => {
  let emulator: Emulator;
  let client: ApiClient;
  const file = (link: string): RemoteFile => ({ id: 1, name: 'f.txt', size: 1, modified: 0, link, area: 'inbox' });

  beforeEach(async () => {
    emulator = await startEmulator();
    client = clientFor(emulator.baseUrl);
  });

  afterEach(async () => {
    await client.close();
    await emulator.close();
  });

  it.each([
    ['not a URL', 'not a url', /the server listed a link that is not a URL \(linkURL in \/download\/list\)\.$/],
    ['empty', '', /link that is not a URL/],
    ['another endpoint', 'http://h/directlink/v1/download/list?k=x', /link to an unexpected path \(\/directlink\/v1\/download\/list, linkURL in \/download\/list\)\.$/],
    ['a traversal', 'http://h/directlink/v1/download/file/../../auth/logout?k=x', /unexpected path \(\/directlink\/v1\/auth\/logout,/],
    ['a javascript: URL', 'javascript:alert(1)', /unexpected path/],
  ])('refuses a link that is %s, before any request', async (_what, link, message) => {
    const error = await failure(client.openDownload(file(link)));
    expect(error).toBeInstanceOf(ServerError);
    expect(error.message).toMatch(message);
    expect(emulator.requests).toHaveLength(0);
  });

  it('follows a redirect only to http(s), without Authorization', async () => {
    const target = await startRecorder({ respond: (_req, res) => (res.writeHead(200, { 'content-length': 2 }).end('ok'), true) });
    const front = await startRecorder({
      respond: (req, res) => {
        const to = (req.url ?? '').includes('k=ftp') ? 'ftp://127.0.0.1/x' : (req.url ?? '').includes('k=bad') ? 'http://[::1' : `${target.origin}/elsewhere`;
        res.writeHead(302, { location: to, 'content-length': 0 }).end();
        return true;
      },
    });
    const viaFront = clientFor(`${front.origin}/directlink/v1`);
    try {
      const ok = await viaFront.openDownload(file('http://h/directlink/v1/download/file?k=good'));
      expect(ok.status).toBe(200);
      ok.body.resume();
      expect(target.seen[0]?.headers.authorization).toBeUndefined();
      const ftp = await failure(viaFront.openDownload(file('http://h/directlink/v1/download/file?k=ftp')));
      expect(ftp.message).toMatch(/redirected to a ftp: URL; only http and https are followed/);
      const bad = await failure(viaFront.openDownload(file('http://h/directlink/v1/download/file?k=bad')));
      expect(bad.message).toMatch(/redirected to something that is not a URL/);
      expect(target.seen).toHaveLength(1);
    } finally {
      await viaFront.close();
      await front.close();
      await target.close();
    }
  });
});

describe('https redirects', () => {
  let dir: { path: string; cleanup(): void };
  let pki: TestPki;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    dir = tempDir();
    mkdirSync(join(dir.path, 'pki'));
    pki = makeTestPki(join(dir.path, 'pki'));
    server = createHttpsServer({ key: pki.key, cert: pki.cert }, (_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:9/directlink/v1/download/file?k=secret', 'content-length': 0 }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    origin = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    dir.cleanup();
  });

  it('never follows a download from https down to plain http (the target may carry the k token)', async () => {
    const { readFileSync } = await import('node:fs');
    const client = clientFor(`${origin}/directlink/v1`, { extraCaPem: [readFileSync(pki.caFile, 'utf8')] });
    try {
      const error = await failure(client.openDownload({ id: 1, name: 'f.txt', size: 1, modified: 0, link: 'https://h/directlink/v1/download/file?k=t', area: 'inbox' }));
      expect(error).toBeInstanceOf(ServerError);
      expect(error.message).toMatch(/redirected from https to plain http \(127\.0\.0\.1:9\); refusing to downgrade/);
      expect(error.message).not.toContain('secret');
    } finally {
      await client.close();
    }
  });
});

describe('decision functions', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['[::1]', true],
    ['::1', true],
    ['directlink.example', false],
    ['10.0.0.1', false],
    ['127.0.0.1.nip.io', false],
    ['localhost.evil.example', false],
    ['0.0.0.0', false],
  ])('isLoopbackHost(%s) is %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  const P = 'http://proxy:3128';
  it.each<[string, Record<string, string>, string | undefined]>([
    ['http://a.example/x', {}, undefined],
    ['http://a.example/x', { HTTP_PROXY: P }, P],
    ['http://a.example/x', { http_proxy: P, HTTP_PROXY: 'http://upper:1' }, P],
    ['https://a.example/x', { HTTPS_PROXY: P }, P],
    ['https://a.example/x', { HTTP_PROXY: P }, P],
    ['http://a.example/x', { HTTPS_PROXY: P }, undefined],
    ['https://a.example/x', { HTTPS_PROXY: P, NO_PROXY: 'a.example' }, undefined],
    ['https://b.a.example/x', { HTTPS_PROXY: P, NO_PROXY: '.a.example' }, undefined],
    ['https://b.a.example/x', { HTTPS_PROXY: P, NO_PROXY: '*.a.example' }, undefined],
    ['https://ba.example/x', { HTTPS_PROXY: P, NO_PROXY: 'a.example' }, P],
    ['https://a.example:8443/x', { HTTPS_PROXY: P, NO_PROXY: 'a.example:443' }, P],
    ['https://a.example/x', { HTTPS_PROXY: P, NO_PROXY: 'a.example:443' }, undefined],
    ['http://127.0.0.1:8080/x', { HTTP_PROXY: P }, P],
    ['http://127.0.0.1:8080/x', { HTTP_PROXY: P, no_proxy: 'localhost, 127.0.0.1' }, undefined],
    ['http://A.Example/x', { HTTP_PROXY: P, NO_PROXY: 'a.EXAMPLE' }, undefined],
    ['http://a.example/x', { HTTP_PROXY: P, NO_PROXY: '*' }, undefined],
    ['http://[::1]:80/x', { HTTP_PROXY: P, NO_PROXY: '[::1]' }, undefined],
  ])('proxyFor(%s, %j) is %s', (url, env, expected) => {
    expect(proxyFor(new URL(url), env)).toBe(expected);
  });

  it.each([
    ['not a url', 'HTTP_PROXY', /Invalid proxy in HTTP_PROXY \("not a url"\)/],
    ['ftp://proxy:21', 'HTTPS_PROXY', /Invalid proxy in HTTPS_PROXY \("ftp:\/\/proxy:21"\)/],
    ['http://me:SECRET@', 'http_proxy', /Invalid proxy in http_proxy \("http:\/\/\*\*\*@"\)/],
    ['me:SECRET@:3128', 'https_proxy', /Invalid proxy in https_proxy/],
  ])('an invalid proxy %j in %s is a usage error without its password', (value, variable, message) => {
    let error: unknown;
    try {
      createApiClient({ baseUrl: parseServerUrl('https://server.example/directlink/v1'), credentials: {}, auth: 'basic', transport: transport({ [variable]: value }) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('SECRET');
  });

  it('a proxy without a scheme is http://', () => {
    expect(proxyFor(new URL('https://a.example/'), { HTTPS_PROXY: 'proxy.example:3128' })).toBe('http://proxy.example:3128');
  });

  it.each([
    ['http://h/directlink/v1/download/file?lang=pt&k=SECRET', 'http://h/directlink/v1/download/file?lang=pt&k=***'],
    ['http://u:SECRET@proxy:3128', 'http://***:***@proxy:3128/'],
    ['http://h/x?token=SECRET&access_token=SECRET&z=SECRET&password=SECRET', 'http://h/x?token=***&access_token=***&z=***&password=***'],
    ['not a url ?k=SECRET&x=1', 'not a url ?k=***&x=1'],
  ])('redactUrl(%s)', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
    expect(redactUrl(url)).not.toContain('SECRET');
  });

  it('an invalid --server URL is echoed without its credentials', () => {
    let error: unknown;
    try {
      parseServerUrl('https://u:SECRET@ho st/x');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).not.toContain('SECRET');
  });

  it('a proxy refusing CONNECT becomes an ApiError with its status, naming the proxy without its password', () => {
    const url = new URL('https://server.example/directlink/v1/download/list');
    const env = { HTTPS_PROXY: 'http://me:SECRET@proxy.example:3128' };
    const refusedAuth = toTransportError(Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), { name: 'AbortError', code: 'UND_ERR_ABORTED' }), url, transport(env));
    expect(refusedAuth).toBeInstanceOf(ApiError);
    expect((refusedAuth as ApiError).status).toBe(407);
    expect(refusedAuth.message).toBe('Failed to reach https://server.example through the proxy http://***:***@proxy.example:3128: the proxy refused its credentials (HTTP 407).');
    const badGateway = toTransportError(new Error('Proxy response (502) !== 200 when HTTP Tunneling'), url, transport(env));
    expect((badGateway as ApiError).status).toBe(502);
    const refused = toTransportError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:3128'), { code: 'ECONNREFUSED' }), url, transport(env));
    expect(refused).toBeInstanceOf(NetworkError);
    expect(refused.message).toBe('Failed to reach https://server.example through the proxy http://***:***@proxy.example:3128: connection refused.');
    const odd = toTransportError(new Error('weird failure at http://me:SECRET@proxy.example:3128/'), url, transport(env));
    expect(odd.message).not.toContain('SECRET');
  });
});
