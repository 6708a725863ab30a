/**
 * The emulator itself, probed with plain fetch over loopback: if these hold, every other test
 * that runs the CLI against it is talking to something shaped like the real server.
 */
import { createHash } from 'node:crypto';
import { get as httpsGet } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from './emulator/server.js';
import type { Emulator, EmulatorOptions } from './emulator/server.js';
import { addSampleFiles } from './emulator/samples.js';
import { testTls } from './emulator/tls.js';

const USER = 'demo';
const PASSWORD = 'demo-password';
const basic = (user = USER, password = PASSWORD): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface ListEntry { id: number; name: string; length: number; modified: number; linkURL: string }
interface ListAnswer { status: number; description: string; apiver: string; user: string; files: ListEntry[] | null; time: string }

let emu: Emulator;
const started: Emulator[] = [];
async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await startEmulator(options);
  started.push(emu);
  return emu;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

async function list(area: 'inbox' | 'backup' = 'inbox', page = 0, auth = basic()): Promise<ListAnswer> {
  const res = await fetch(`${emu.baseUrl}/download/list${area === 'backup' ? '/backup' : ''}?page=${page}`, {
    headers: { authorization: auth, 'content-type': 'application/json' },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as ListAnswer;
}

async function linkOf(name: string, area: 'inbox' | 'backup' = 'inbox'): Promise<string> {
  const entry = (await list(area)).files?.find((f) => f.name === name);
  if (entry === undefined) throw new Error(`no listed file ${name} in ${area}`);
  return entry.linkURL;
}

async function token(user = USER, password = PASSWORD): Promise<Response> {
  return fetch(`${emu.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: user, password }).toString(),
  });
}

const bodyReader = (res: Response): ReadableStreamDefaultReader<Uint8Array> => res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;

/** Read a body until it fails or ends; returns the bytes seen and whether it ended cleanly. */
async function drain(res: Response): Promise<{ bytes: Buffer; isComplete: boolean }> {
  const chunks: Buffer[] = [];
  const reader = bodyReader(res);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks), isComplete: true };
      chunks.push(Buffer.from(value));
    }
  } catch {
    return { bytes: Buffer.concat(chunks), isComplete: false };
  }
}

describe('listing', () => {
  it('pages 250 files as 100, 100, 50, then files:null, ordered by id', async () => {
    await start();
    const added = emu.addFiles(USER, Array.from({ length: 250 }, (_, i) => ({ name: `f${i}.txt`, content: `file ${i}` })));
    const pages = [await list('inbox', 0), await list('inbox', 1), await list('inbox', 2), await list('inbox', 3)];
    expect(pages.map((p) => p.files?.length ?? null)).toEqual([100, 100, 50, null]);
    expect(pages[3]!.files).toBeNull();
    const ids = pages.flatMap((p) => p.files ?? []).map((f) => f.id);
    expect(ids).toEqual(added.map((f) => f.id));
    expect(new Set(added.map((f) => f.modified)).size).toBe(250);
    const first = pages[0]!;
    expect(first).toMatchObject({ status: 0, description: 'handlerDownloadList:succsessfully', apiver: 'v1 (3.6.0)', user: USER });
    expect(first.time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/);
    expect(first.files![0]).toEqual({ id: 1, name: 'f0.txt', length: 6, modified: added[0]!.modified, linkURL: expect.stringMatching(/\/directlink\/v1\/download\/file\?lang=pt&k=[\w-]{20,}$/) as unknown });
    expect(first.files![0]!.linkURL.startsWith(emu.origin)).toBe(true);
  });

  it('answers an empty area with files:null, a bad page with 400, and honours pageSize', async () => {
    await start({ pageSize: 2 });
    expect((await list('backup')).files).toBeNull();
    emu.addFiles(USER, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    expect((await list('inbox', 1)).files?.map((f) => f.name)).toEqual(['c']);
    const bad = await fetch(`${emu.baseUrl}/download/list?page=x`, { headers: { authorization: basic() } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ status: 400, apiver: 'v1 (3.6.0)' });
  });

  it('refuses a missing or wrong password with the 401 envelope', async () => {
    await start();
    const variants: Record<string, string>[] = [{}, { authorization: basic(USER, 'wrong') }, { authorization: basic('nobody', 'x') }, { authorization: 'Bearer not.a.jwt' }];
    for (const headers of variants) {
      const res = await fetch(`${emu.baseUrl}/download/list?page=0`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ status: 401, description: 'Unauthorized', apiver: 'v1 (3.6.0)' });
    }
  });

  it('answers unknown paths the way Go does and wrong methods with 405', async () => {
    await start();
    const unknown = await fetch(`${emu.origin}/nope`);
    expect([unknown.status, await unknown.text()]).toEqual([404, '404 page not found\n']);
    const post = await fetch(`${emu.baseUrl}/download/list?page=0`, { method: 'POST', headers: { authorization: basic() } });
    expect(post.status).toBe(405);
  });

  it('writes linkOrigin into links and lists overridden links as given', async () => {
    await start({ linkOrigin: 'http://internal-host:8080' });
    const [a, b] = emu.addFiles(USER, [{ name: 'a', content: 'A' }, { name: 'b', content: 'B' }]);
    emu.setFileOverrides(USER, b!.id, { linkURL: 'not a url' });
    const files = (await list()).files!;
    expect(files[0]!.linkURL).toMatch(/^http:\/\/internal-host:8080\/directlink\/v1\/download\/file\?lang=pt&k=/);
    expect(files[1]!.linkURL).toBe('not a url');
    // The path and query work against the real origin, which is what a robust client does.
    const link = new URL(files[0]!.linkURL);
    const res = await fetch(`${emu.origin}${link.pathname}${link.search}`);
    expect(await res.text()).toBe('A');
    expect(emu.files(USER, 'backup').map((f) => f.id)).toEqual([a!.id]);
  });
});

describe('authentication', () => {
  it('issues HS256 JWTs that list, and refuses them once expired or revoked', async () => {
    let now = Date.UTC(2026, 2, 1);
    await start({ clock: () => now, tokenLifetimeSec: 60 });
    const res = await token();
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 60, scope: emu.baseUrl });
    const [header, payload] = body.access_token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: USER, iat: now / 1000, nbf: now / 1000, exp: now / 1000 + 60 });
    const bearer = `Bearer ${body.access_token}`;
    expect((await list('inbox', 0, bearer)).user).toBe(USER);

    now += 60_000;
    const expired = await fetch(`${emu.baseUrl}/download/list?page=0`, { headers: { authorization: bearer } });
    expect(expired.status).toBe(401);

    const fresh = `Bearer ${emu.issueToken(USER)}`;
    expect((await list('inbox', 0, fresh)).status).toBe(0);
    emu.expireAllTokens();
    expect((await fetch(`${emu.baseUrl}/auth/logout`, { headers: { authorization: fresh } })).status).toBe(401);
  });

  it('uses the OAuth error shape on the token endpoint', async () => {
    await start();
    const wrong = await token(USER, 'nope');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 401, error_description: 'Unauthorized', error_uri: emu.baseUrl });
    const grant = await fetch(`${emu.baseUrl}/oauth2/token`, { method: 'POST', body: 'grant_type=client_credentials' });
    expect(grant.status).toBe(400);
    expect((await fetch(`${emu.baseUrl}/oauth2/token`)).status).toBe(405);
  });

  it('logs in with Basic (handing out a bearer) and logs out with either, over GET or POST', async () => {
    await start();
    const login = await fetch(`${emu.baseUrl}/auth/login`, { headers: { authorization: basic() } });
    const body = (await login.json()) as { status: number; description: string; user: string; bearer: string };
    expect(body).toMatchObject({ status: 0, description: 'handlerAuthLogin:succsessfully', user: USER });
    const logout = await fetch(`${emu.baseUrl}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${body.bearer}` } });
    expect(await logout.json()).toMatchObject({ status: 0, description: 'handlerAuthLogout:succsessfully', user: USER });
    expect((await fetch(`${emu.baseUrl}/auth/logout`, { headers: { authorization: basic() } })).status).toBe(200);
  });

  it('answers a plain 404 on the token endpoint when it is switched off', async () => {
    await start({ tokenEndpoint: false });
    expect((await token()).status).toBe(404);
  });
});

describe('downloads', () => {
  it('moves a file to backup as soon as it is requested; the old link then 404s', async () => {
    await start();
    const file = emu.addFile(USER, { name: 'report.csv', content: 'a;b\n1;2\n', modified: 1654642758397 });
    const link = await linkOf('report.csv');
    const res = await fetch(link); // no Authorization: the k token is enough
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe('8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="report.csv"');
    expect(await res.text()).toBe('a;b\n1;2\n');
    expect(emu.files(USER, 'inbox')).toEqual([]);
    expect(emu.files(USER, 'backup')).toEqual([{ ...file, area: 'backup' }]);
    expect((await list()).files).toBeNull();

    const again = await fetch(link);
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ status: 404 });

    const backupLink = await linkOf('report.csv', 'backup');
    expect(backupLink).toMatch(/\/download\/file\/backup\?lang=pt&k=/);
    expect(await (await fetch(backupLink)).text()).toBe('a;b\n1;2\n');
    expect(await (await fetch(backupLink)).text()).toBe('a;b\n1;2\n');
    expect(emu.files(USER, 'backup').map((f) => f.id)).toEqual([file.id]);
  });

  it('keeps ids unique across areas and serves files added straight to backup', async () => {
    await start();
    const [a, b] = emu.addFiles(USER, [{ name: 'x' }, { name: 'x', area: 'backup', content: 'old' }]);
    expect(a!.id).not.toBe(b!.id);
    expect(await (await fetch(await linkOf('x', 'backup'))).text()).toBe('old');
    emu.removeFile(USER, b!.id);
    expect((await list('backup')).files).toBeNull();
  });

  it('refuses unknown tokens, wrong paths and expired links', async () => {
    let now = 1_000_000;
    await start({ linkValidityMs: 1000, clock: () => now });
    emu.addFile(USER, { name: 'a', content: 'A' });
    const link = await linkOf('a');
    expect((await fetch(`${emu.baseUrl}/download/file?lang=pt&k=nope`)).status).toBe(404);
    expect((await fetch(`${emu.baseUrl}/download/file?lang=pt`)).status).toBe(400);
    expect((await fetch(link.replace('/download/file?', '/download/file/backup?'))).status).toBe(404);
    now += 1000;
    expect((await fetch(link)).status).toBe(401);
    const fresh = await linkOf('a');
    expect(fresh).not.toBe(link);
    expect(await (await fetch(fresh)).text()).toBe('A');
  });

  it('serves hostile names as stored, with RFC 5987 filename* when not plain ASCII', async () => {
    await start();
    const names = ['../../x', 'CON', 'a\x1b[31mred\x1b[0m.txt', 'relatório-março.csv', 'quote"back\\slash'];
    emu.addFiles(USER, names.map((name) => ({ name, content: name })));
    expect((await list()).files?.map((f) => f.name)).toEqual(names);
    const dispositions: string[] = [];
    for (const name of names) {
      const res = await fetch(await linkOf(name));
      expect(await res.text()).toBe(name);
      dispositions.push(res.headers.get('content-disposition') ?? '');
    }
    expect(dispositions).toEqual([
      'attachment; filename="../../x"',
      'attachment; filename="CON"',
      `attachment; filename="a_[31mred_[0m.txt"; filename*=UTF-8''a%1B%5B31mred%1B%5B0m.txt`,
      `attachment; filename="relat_rio-mar_o.csv"; filename*=UTF-8''relat%C3%B3rio-mar%C3%A7o.csv`,
      'attachment; filename="quote\\"back\\\\slash"',
    ]);
  });

  it('answers Range with 206 from the offset, 416 at the end, and ignores it when switched off', async () => {
    await start();
    const file = emu.addFile(USER, { name: 'big.bin', generated: { size: 3 * 1024 * 1024 + 17, seed: 7 } });
    const whole = emu.contentOf(USER, file.id);
    expect(createHash('sha256').update(whole).digest('hex')).toBe(emu.sha256Of(USER, file.id));
    const link = await linkOf('big.bin');
    const start0 = 1024 * 1024 - 5;
    const partial = await fetch(link, { headers: { range: `bytes=${start0}-` } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(`bytes ${start0}-${file.size - 1}/${file.size}`);
    expect(partial.headers.get('content-length')).toBe(String(file.size - start0));
    expect(Buffer.from(await partial.arrayBuffer()).equals(whole.subarray(start0))).toBe(true);

    const backupLink = await linkOf('big.bin', 'backup');
    const past = await fetch(backupLink, { headers: { range: `bytes=${file.size}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${file.size}`);
    await past.arrayBuffer();

    emu.setRangeSupport(false);
    const ignored = await fetch(backupLink, { headers: { range: 'bytes=10-' } });
    expect(ignored.status).toBe(200);
    expect(ignored.headers.get('accept-ranges')).toBeNull();
    expect(createHash('sha256').update(Buffer.from(await ignored.arrayBuffer())).digest('hex')).toBe(emu.sha256Of(USER, file.id));
  });

  it('serves zero-byte files (200 empty; a range on them is 416)', async () => {
    await start();
    emu.addFile(USER, { name: 'empty' });
    const res = await fetch(await linkOf('empty'));
    expect([res.status, res.headers.get('content-length'), (await res.arrayBuffer()).byteLength]).toEqual([200, '0', 0]);
    const ranged = await fetch(await linkOf('empty', 'backup'), { headers: { range: 'bytes=0-' } });
    expect([ranged.status, ranged.headers.get('content-range')]).toEqual([416, 'bytes */0']);
    await ranged.arrayBuffer();
  });

  it('generates the same bytes for the same seed, different bytes for another', async () => {
    await start();
    const [a, b, c] = emu.addFiles(USER, [
      { name: 'a', generated: { size: 2_500_000, seed: 1 } },
      { name: 'b', generated: { size: 2_500_000, seed: 1 } },
      { name: 'c', generated: { size: 2_500_000, seed: 2 } },
    ]);
    expect(emu.sha256Of(USER, a!.id)).toBe(emu.sha256Of(USER, b!.id));
    expect(emu.sha256Of(USER, a!.id)).not.toBe(emu.sha256Of(USER, c!.id));
    // Blocks differ from one another, so an offset mistake of a whole block still shows.
    const bytes = emu.contentOf(USER, a!.id);
    expect(bytes.subarray(0, 1 << 20).equals(bytes.subarray(1 << 20, 2 << 20))).toBe(false);
  });

  it('serves HTTPS with the test certificates', async () => {
    const tls = testTls();
    await start({ https: { key: tls.key, cert: tls.cert } });
    expect(emu.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/directlink\/v1$/);
    emu.addFile(USER, { name: 'a', content: 'secure' });
    const body = await new Promise<string>((resolve, reject) => {
      httpsGet(`${emu.baseUrl}/download/list?page=0`, { ca: tls.ca, headers: { authorization: basic() } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect((JSON.parse(body) as ListAnswer).files?.[0]?.linkURL.startsWith(emu.origin)).toBe(true);
  });

  it('logs every request with its status and Host header', async () => {
    await start();
    await list();
    await fetch(`${emu.baseUrl}/download/list?page=0`);
    expect(emu.requests.map((r) => [r.method, r.path, r.query, r.status])).toEqual([
      ['GET', '/directlink/v1/download/list', { page: '0' }, 200],
      ['GET', '/directlink/v1/download/list', { page: '0' }, 401],
    ]);
    expect(emu.requests[0]!.hostHeader).toBe(new URL(emu.origin).host);
    expect(emu.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('adds the sample files', async () => {
    await start();
    const files = addSampleFiles(emu, USER);
    expect(files.map((f) => f.name)).toContain('relatório-março.csv');
    expect(files.some((f) => f.size === 0)).toBe(true);
    expect(Math.max(...files.map((f) => f.size))).toBeGreaterThanOrEqual(50_000_000);
  });
});

describe('faults', () => {
  it('answers injected statuses as JSON, an HTML proxy page or an empty body, then recovers', async () => {
    await start();
    emu.inject({ kind: 'status', status: 503, match: { endpoint: 'list' } });
    emu.inject({ kind: 'status', status: 502, body: 'html', match: { endpoint: 'list' } });
    emu.inject({ kind: 'status', status: 500, body: 'empty', match: { endpoint: 'list' } });
    emu.inject({ kind: 'status', status: 500, match: { endpoint: 'token' } });
    const url = `${emu.baseUrl}/download/list?page=0`;
    const json = await fetch(url, { headers: { authorization: basic() } });
    expect([json.status, ((await json.json()) as { status: number }).status]).toEqual([503, 503]);
    const html = await fetch(url, { headers: { authorization: basic() } });
    expect([html.status, html.headers.get('content-type')]).toEqual([502, 'text/html']);
    expect(await html.text()).toContain('<title>502 Bad Gateway</title>');
    const empty = await fetch(url, { headers: { authorization: basic() } });
    expect([empty.status, await empty.text()]).toEqual([500, '']);
    const tokenFail = await token();
    expect(await tokenFail.json()).toMatchObject({ error: 500 });
    expect((await fetch(url, { headers: { authorization: basic() } })).status).toBe(200);
    expect(emu.pendingFaults()).toEqual([]);
  });

  it('drops the connection after N bytes; the file has moved to backup all the same', async () => {
    await start();
    const file = emu.addFile(USER, { name: 'big.bin', generated: { size: 4_000_000 } });
    const link = await linkOf('big.bin');
    emu.inject({ kind: 'drop', afterBytes: 100_000 });
    const res = await fetch(link);
    expect(res.headers.get('content-length')).toBe('4000000');
    const { bytes, isComplete } = await drain(res);
    expect(isComplete).toBe(false);
    expect(bytes.length).toBe(100_000);
    expect(bytes.equals(emu.contentOf(USER, file.id).subarray(0, 100_000))).toBe(true);
    expect(emu.files(USER, 'backup').map((f) => f.id)).toEqual([file.id]);
  });

  it('stalls after N bytes until close(), which ends the connection at once', async () => {
    await start();
    emu.addFile(USER, { name: 'big.bin', generated: { size: 4_000_000 } });
    emu.inject({ kind: 'stall', afterBytes: 1000 });
    const res = await fetch(await linkOf('big.bin'));
    const reader = bodyReader(res);
    let seen = 0;
    while (seen < 1000) seen += (await reader.read()).value?.length ?? 0;
    expect(seen).toBe(1000);
    const next = reader.read();
    await emu.close();
    await expect(next).rejects.toThrow();
  });

  it('sends a short body cleanly, a long body, and a chunked body', async () => {
    await start();
    const [short, long, chunked] = emu.addFiles(USER, [
      { name: 'short', content: 'abcdefghij' },
      { name: 'long', content: 'abcdefghij' },
      { name: 'chunked', generated: { size: 1_500_000 } },
    ]);
    emu.inject({ kind: 'short-body', bytes: 4, match: { fileName: 'short' } });
    emu.inject({ kind: 'long-body', extra: 5, match: { fileName: 'long' } });
    emu.inject({ kind: 'chunked', match: { fileName: 'chunked' } });
    const links = (await list()).files!.map((f) => f.linkURL);

    const s = await fetch(links[0]!);
    expect([s.headers.get('content-length'), await s.text()]).toEqual(['4', 'abcd']);
    const l = await fetch(links[1]!);
    expect(l.headers.get('content-length')).toBe('15');
    expect((await l.text()).startsWith('abcdefghij')).toBe(true);
    const c = await fetch(links[2]!);
    expect([c.headers.get('content-length'), c.headers.get('transfer-encoding')]).toEqual([null, 'chunked']);
    expect(createHash('sha256').update(Buffer.from(await c.arrayBuffer())).digest('hex')).toBe(emu.sha256Of(USER, chunked!.id));
    expect([short, long].map((f) => emu.files(USER, 'backup').some((b) => b.id === f!.id))).toEqual([true, true]);
  });

  it('serves page 0 whatever the page while ignore-page lasts', async () => {
    await start({ pageSize: 2 });
    emu.addFiles(USER, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    emu.inject({ kind: 'ignore-page', times: 2 });
    expect((await list('inbox', 1)).files?.map((f) => f.name)).toEqual(['a', 'b']);
    expect((await list('inbox', 5)).files?.map((f) => f.name)).toEqual(['a', 'b']);
    expect((await list('inbox', 1)).files?.map((f) => f.name)).toEqual(['c']);
  });

  it('answers malformed bodies, matched by page', async () => {
    await start();
    emu.addFiles(USER, [{ name: 'a' }]);
    emu.inject({ kind: 'malformed', body: '{"status":0,"files":[{"id":"x"', match: { page: 1 } });
    emu.inject({ kind: 'malformed', body: 'oops', contentType: 'text/plain', status: 500, match: { page: 1 } });
    expect((await list('inbox', 0)).files).toHaveLength(1);
    const bad = await fetch(`${emu.baseUrl}/download/list?page=1`, { headers: { authorization: basic() } });
    expect([bad.status, await bad.text()]).toEqual([200, '{"status":0,"files":[{"id":"x"']);
    const plain = await fetch(`${emu.baseUrl}/download/list?page=1`, { headers: { authorization: basic() } });
    expect([plain.status, plain.headers.get('content-type'), await plain.text()]).toEqual([500, 'text/plain', 'oops']);
  });

  it('refuses a link as expired without moving the file', async () => {
    await start();
    emu.addFile(USER, { name: 'a', content: 'A' });
    emu.inject({ kind: 'link-expired', match: { fileName: 'a' } });
    const link = await linkOf('a');
    const refused = await fetch(link);
    expect([refused.status, ((await refused.json()) as { status: number }).status]).toEqual([401, 401]);
    expect(emu.files(USER, 'inbox')).toHaveLength(1);
    expect(await (await fetch(link)).text()).toBe('A');
  });

  it('refuses the next bearer request as expired, leaving basic requests alone', async () => {
    await start();
    emu.inject({ kind: 'token-expired' });
    await list(); // basic: the fault waits for a bearer request
    const bearer = `Bearer ${emu.issueToken(USER)}`;
    expect((await fetch(`${emu.baseUrl}/download/list?page=0`, { headers: { authorization: bearer } })).status).toBe(401);
    expect((await list('inbox', 0, bearer)).status).toBe(0);
  });

  it('applies a body fault to a listing only when asked to', async () => {
    await start();
    emu.addFiles(USER, [{ name: 'a', content: 'A' }]);
    emu.inject({ kind: 'short-body', bytes: 10, match: { endpoint: 'list' } });
    const res = await fetch(`${emu.baseUrl}/download/list?page=0`, { headers: { authorization: basic() } });
    expect(await res.text()).toHaveLength(10);
    emu.inject({ kind: 'drop', afterBytes: 0 });
    emu.clearFaults();
    expect(emu.pendingFaults()).toEqual([]);
  });
});
