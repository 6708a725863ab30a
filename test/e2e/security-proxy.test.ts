/**
 * Proxies from the environment: HTTP_PROXY / HTTPS_PROXY (either case) are used, NO_PROXY
 * hosts bypass them, and proxy credentials never show in output. The proxy is a small
 * CONNECT/forwarding server on loopback started by the test; undici does not exempt loopback
 * by itself, so `localhost` vs `127.0.0.1` tells "bypassed" from "proxied".
 */
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { runCli, tempDir } from '../support/cli.js';
import { startProxy, type TestProxy } from './security-support.js';
import { makeTestPki, type TestPki } from '../emulator/tls.js';

let emulator: Emulator;
let proxy: TestProxy;
let home: { path: string; cleanup(): void };
let pki: TestPki;
let port: number;

const base = (host: string, scheme = 'http'): string => `${scheme}://${host}:${port}/directlink/v1`;
const cred = { DIRECTLINK_USER: 'demo', DIRECTLINK_PASSWORD: 'demo-password' };

beforeAll(() => {
  home = tempDir();
  mkdirSync(join(home.path, 'pki'));
  pki = makeTestPki(join(home.path, 'pki'));
});

afterAll(() => home.cleanup());

describe('plain HTTP server', () => {
  beforeEach(async () => {
    emulator = await startEmulator();
    emulator.addFiles('demo', [{ name: 'a.txt', content: 'via proxy' }]);
    port = Number(new URL(emulator.origin).port);
    proxy = await startProxy();
  });

  afterEach(async () => {
    await proxy.close();
    await emulator.close();
  });

  it('goes through HTTP_PROXY, listing and downloading', async () => {
    const out = join(home.path, 'http-proxy');
    const run = await runCli(['get', '--all', '-o', out], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1'), HTTP_PROXY: proxy.url } });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('via proxy');
    // undici tunnels even plain http through CONNECT.
    expect(proxy.seen.map((r) => r.target)).toContain(`127.0.0.1:${port}`);
  });

  it('honours lowercase http_proxy too', async () => {
    const run = await runCli(['list', '--json'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1'), http_proxy: proxy.url } });
    expect(run.code, run.stderr).toBe(0);
    expect(proxy.seen.length).toBeGreaterThan(0);
  });

  it('bypasses the proxy for a NO_PROXY host, and only for it', async () => {
    const bypassed = await runCli(['list', '--json'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('localhost'), HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' } });
    expect(bypassed.code, bypassed.stderr).toBe(0);
    expect(proxy.seen).toHaveLength(0);
    expect(emulator.requests.length).toBeGreaterThan(0);

    const proxied = await runCli(['list', '--json'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1'), HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' } });
    expect(proxied.code, proxied.stderr).toBe(0);
    expect(proxy.seen.length).toBeGreaterThan(0);
  });

  it('honours no_proxy with a port and a domain suffix', async () => {
    const byPort = await runCli(['list', '--json'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1'), HTTP_PROXY: proxy.url, no_proxy: `example.org, 127.0.0.1:${port}` } });
    expect(byPort.code, byPort.stderr).toBe(0);
    expect(proxy.seen).toHaveLength(0);
  });

  it('uses no proxy when none is set', async () => {
    const run = await runCli(['list', '--json'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1') } });
    expect(run.code, run.stderr).toBe(0);
    expect(proxy.seen).toHaveLength(0);
  });

  it('never prints proxy credentials, in --verbose traces or when the proxy refuses them', async () => {
    const secret = 'pr0xy-s3cret';
    await proxy.close();
    proxy = await startProxy({ requireAuth: `Basic ${Buffer.from(`puser:${secret}`).toString('base64')}` });
    const good = `http://puser:${secret}@127.0.0.1:${proxy.port}`;
    const ok = await runCli(['list', '--verbose'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1'), HTTP_PROXY: good } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(proxy.seen[0]?.headers['proxy-authorization']).toMatch(/^Basic /);
    expect(ok.stdout + ok.stderr).not.toContain(secret);
    expect(ok.stdout + ok.stderr).not.toContain(Buffer.from(`puser:${secret}`).toString('base64'));

    const wrong = `http://puser:wrong-${secret}@127.0.0.1:${proxy.port}`;
    // Undici reports a refused CONNECT as an AbortError: it must not pass for Ctrl-C (exit 130).
    const refused = await runCli(['list', '--retries', '0'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1'), HTTP_PROXY: wrong } });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^error: Failed to reach http:\/\/127\.0\.0\.1:\d+ through the proxy http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+: the proxy refused its credentials \(HTTP 407\)\.$/m);
    expect(refused.stderr.trim().split('\n')).toHaveLength(2);
    const traced = await runCli(['list', '--verbose', '--retries', '0'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1'), HTTP_PROXY: wrong } });
    expect(traced.code).toBe(4);
    expect(refused.stdout + refused.stderr + traced.stdout + traced.stderr).not.toContain(secret);
  });

  it('reports an unreachable proxy as the proxy, without its credentials', async () => {
    const proxyPort = proxy.port;
    await proxy.close();
    const run = await runCli(['list', '--retries', '0'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1'), HTTP_PROXY: `http://u:hunter2@127.0.0.1:${proxyPort}` } });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/proxy/i);
    expect(run.stderr).not.toContain('hunter2');
  });

  it('takes a proxy without a scheme as http://, and refuses a value that is no proxy URL (exit 2)', async () => {
    const bare = await runCli(['list', '--json'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1'), HTTPS_PROXY: 'unused:1', HTTP_PROXY: `127.0.0.1:${proxy.port}` } });
    expect(bare.code, bare.stderr).toBe(0);
    expect(proxy.seen.length).toBeGreaterThan(0);

    const bad = await runCli(['list'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('127.0.0.1'), https_proxy: 'http://me:hunter2@' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: Invalid proxy in https_proxy ("http://***@"): expected http://[user:password@]host:port.\n');
  });

  it('warns when credentials go over plain http:// to a host that is not loopback', async () => {
    // The proxy maps any name to loopback, so a real non-loopback name is testable without DNS.
    const remote = await runCli(['list', '--json'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('directlink.example'), HTTP_PROXY: proxy.url } });
    expect(remote.code, remote.stderr).toBe(0);
    expect(remote.stderr).toMatch(/^warning: Credentials are sent over plain http:\/\/ to directlink\.example:\d+/m);
    expect(proxy.seen.map((r) => r.target)).toContain(`directlink.example:${port}`);

    const local = await runCli(['list', '--json'], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('localhost') } });
    expect(local.code, local.stderr).toBe(0);
    expect(local.stderr).toBe('');
  });

  it('warns too when only a cached token would travel over plain http://', async () => {
    const profileHome = tempDir();
    try {
      const server = base('directlink.example');
      const login = await runCli(['login', '--server', server, '--user', 'demo', '--password-stdin', '--no-save-password'], { home: profileHome.path, env: { HTTP_PROXY: proxy.url }, input: 'demo-password\n' });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stderr).toMatch(/warning: Credentials are sent over plain http:\/\//);
      const list = await runCli(['list', '--json'], { home: profileHome.path, env: { HTTP_PROXY: proxy.url } });
      expect(list.code, list.stderr).toBe(0);
      expect(list.stderr).toMatch(/^warning: Credentials are sent over plain http:\/\/ to directlink\.example/m);
    } finally {
      profileHome.cleanup();
    }
  });
});

describe('HTTPS server', () => {
  beforeEach(async () => {
    emulator = await startEmulator({ https: { key: pki.key, cert: pki.cert } });
    emulator.addFiles('demo', [{ name: 'b.txt', content: 'tunnelled' }]);
    port = Number(new URL(emulator.origin).port);
    proxy = await startProxy();
  });

  afterEach(async () => {
    await proxy.close();
    await emulator.close();
  });

  it('tunnels through HTTPS_PROXY with CONNECT, certificate still verified end to end', async () => {
    const env = { ...cred, DIRECTLINK_SERVER: base('localhost', 'https'), HTTPS_PROXY: proxy.url };
    const out = join(home.path, 'https-proxy');
    const run = await runCli(['get', '--all', '-o', out, '--cacert', pki.caFile], { home: home.path, env });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(out, 'b.txt'), 'utf8')).toBe('tunnelled');
    expect(proxy.seen.every((r) => r.method === 'CONNECT')).toBe(true);
    expect(proxy.seen.map((r) => r.target)).toContain(`localhost:${port}`);

    // Through the tunnel the server's certificate is still checked.
    const unverified = await runCli(['list', '--retries', '0'], { home: home.path, env });
    expect(unverified.code).toBe(4);
    expect(unverified.stderr).toMatch(/TLS certificate was not accepted/);
  });

  it('names a certificate that does not fit the host name, through the tunnel too', async () => {
    // The proxy maps directlink.example to loopback; the certificate is for localhost only.
    const run = await runCli(['list', '--retries', '0', '--cacert', pki.caFile], { home: home.path, env: { ...cred, DIRECTLINK_SERVER: base('directlink.example', 'https'), HTTPS_PROXY: proxy.url } });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^error: Failed to reach https:\/\/directlink\.example:\d+ through the proxy http:\/\/127\.0\.0\.1:\d+: the server's TLS certificate was not accepted \(ERR_TLS_CERT_ALTNAME_INVALID\)\.$/m);
  });

  it('bypasses HTTPS_PROXY for NO_PROXY hosts', async () => {
    const run = await runCli(['list', '--json', '--cacert', pki.caFile], {
      home: home.path,
      env: { ...cred, DIRECTLINK_SERVER: base('localhost', 'https'), HTTPS_PROXY: proxy.url, NO_PROXY: '.example.com,localhost' },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(proxy.seen).toHaveLength(0);
  });
});
