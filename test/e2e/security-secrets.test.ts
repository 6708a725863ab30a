/**
 * Credentials as a careful user expects them handled: a private config file (warned about
 * when it is not), passwords only from stdin or the environment, no secret in --verbose
 * traces, errors or `config` output, and Authorization only ever sent to the configured
 * origin, whatever a listed link or a redirect points at.
 */
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { runCli, tempDir, type CliRun } from '../support/cli.js';
import { startRecorder, type TestServer } from './security-support.js';

const PASSWORD = 'demo-password';
let emulator: Emulator;
let home: { path: string; cleanup(): void };
let env: Record<string, string>;
const servers: TestServer[] = [];

beforeEach(async () => {
  emulator = await startEmulator();
  home = tempDir();
  env = { DIRECTLINK_SERVER: emulator.baseUrl, DIRECTLINK_USER: 'demo', DIRECTLINK_PASSWORD: PASSWORD };
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await emulator.close();
  home.cleanup();
});

const configDir = (): string => join(home.path, '.config', 'directlink');
const configFile = (): string => join(configDir(), 'config.json');
const all = (...runs: CliRun[]): string => runs.map((r) => r.stdout + r.stderr).join('\n');

/** Every secret the emulator saw: Authorization values (whole and decoded), bearer tokens, link tokens. */
function secretsSeen(): string[] {
  const secrets = new Set<string>([PASSWORD]);
  for (const request of emulator.requests) {
    const auth = request.headers.authorization;
    if (typeof auth === 'string') {
      const value = auth.replace(/^\S+\s+/, '');
      secrets.add(value);
      if (/^basic /i.test(auth)) secrets.add(Buffer.from(value, 'base64').toString('utf8'));
      // A JWT's signature alone is enough to be a leak.
      const signature = value.split('.')[2];
      if (signature) secrets.add(signature);
    }
    if (request.query.k) secrets.add(request.query.k);
  }
  return [...secrets];
}

function expectNoSecret(text: string, secrets: string[]): void {
  for (const secret of secrets) expect(text, `leaked ${secret.slice(0, 6)}…`).not.toContain(secret);
}

describe('the config file', () => {
  it('is 0600 in a 0700 directory, and a looser mode on either is warned about at start', async () => {
    const login = await runCli(['login', '--server', emulator.baseUrl, '--user', 'demo', '--password-stdin', '--save-password'], { home: home.path, input: `${PASSWORD}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(statSync(configDir()).mode & 0o777).toBe(0o700);
    expect(login.stderr).not.toMatch(/warning/);

    chmodSync(configFile(), 0o644);
    chmodSync(configDir(), 0o755);
    const list = await runCli(['list', '--json'], { home: home.path });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toMatch(/^warning: The config file .*config\.json is readable by others \(mode 0644\); run: chmod 600/m);
    expect(list.stderr).toMatch(/^warning: The config directory .* is readable by others \(mode 0755\); run: chmod 700/m);
    // The warning is on stderr; stdout stays clean JSON.
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('holds the password only when asked, and `config` never shows it or the token', async () => {
    await runCli(['login', '--server', emulator.baseUrl, '--user', 'demo', '--password-stdin', '--save-password'], { home: home.path, input: PASSWORD });
    const stored = JSON.parse(readFileSync(configFile(), 'utf8')) as { profiles: Record<string, { token?: { value: string } }> };
    const token = Object.values(stored.profiles)[0]?.token?.value;
    expect(token).toMatch(/^ey/);
    const human = await runCli(['config'], { home: home.path });
    const json = await runCli(['config', '--json'], { home: home.path });
    const withEnv = await runCli(['config', '--verbose'], { home: home.path, env: { DIRECTLINK_PASSWORD: 'env-s3cret', DIRECTLINK_TOKEN: 'tok-s3cret' } });
    for (const run of [human, json, withEnv]) expect(run.code, run.stderr).toBe(0);
    expect(human.stdout).toMatch(/password\s+stored \(hidden\)/);
    expectNoSecret(all(human, json, withEnv), [PASSWORD, token!, 'env-s3cret', 'tok-s3cret']);
  });
});

describe('passwords come from stdin or the environment, never argv', () => {
  it('has no password flag', async () => {
    const run = await runCli(['list', '--password', PASSWORD], { home: home.path, env: { DIRECTLINK_SERVER: emulator.baseUrl, DIRECTLINK_USER: 'demo' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option '--password'/);
  });

  it('reads --password-stdin for any server command', async () => {
    emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
    const run = await runCli(['list', '--json', '--password-stdin'], { home: home.path, env: { DIRECTLINK_SERVER: emulator.baseUrl, DIRECTLINK_USER: 'demo' }, input: `${PASSWORD}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(1);
  });
});

describe('--verbose traces and errors hold no secret', () => {
  it('bearer: token request, listing, downloads', async () => {
    emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }, { name: 'b.txt', content: 'B' }]);
    const list = await runCli(['list', '--verbose'], { home: home.path, env });
    const get = await runCli(['get', '--all', '--verbose', '-o', join(home.path, 'out')], { home: home.path, env });
    expect(list.code, list.stderr).toBe(0);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stderr).toMatch(/> GET http:\/\/127\.0\.0\.1:\d+\/directlink\/v1\/download\/file\?lang=pt&k=\*\*\*/);
    expect(list.stderr).toMatch(/\(auth Bearer \*\*\*\)/);
    const secrets = secretsSeen();
    expect(secrets.length).toBeGreaterThan(3);
    expectNoSecret(all(list, get), secrets);
  });

  it('login and logout', async () => {
    const login = await runCli(['login', '--verbose', '--server', emulator.baseUrl, '--user', 'demo', '--password-stdin', '--save-password'], { home: home.path, input: PASSWORD });
    const config = await runCli(['config', '--verbose', '--json'], { home: home.path });
    const logout = await runCli(['logout', '--verbose'], { home: home.path });
    for (const run of [login, config, logout]) expect(run.code, run.stderr).toBe(0);
    expect(login.stderr).toMatch(/> POST .*\/oauth2\/token/);
    expectNoSecret(all(login, config, logout), secretsSeen());
  });

  it('basic auth and an explicit --token', async () => {
    emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
    const basic = await runCli(['list', '--verbose', '--auth', 'basic'], { home: home.path, env });
    const token = emulator.issueToken('demo');
    const explicit = await runCli(['get', '--all', '--verbose', '-o', join(home.path, 'out')], { home: home.path, env: { ...env, DIRECTLINK_PASSWORD: '', DIRECTLINK_TOKEN: token } });
    expect(basic.code, basic.stderr).toBe(0);
    expect(explicit.code, explicit.stderr).toBe(0);
    expectNoSecret(all(basic, explicit), [...secretsSeen(), token]);
  });

  it('failed downloads and refused links name the file, never the link token', async () => {
    emulator.addFiles('demo', [{ name: 'gone.txt', content: 'G' }]);
    emulator.inject({ kind: 'status', status: 500, times: Infinity, match: { endpoint: 'file' } });
    const failed = await runCli(['get', '--all', '--retries', '0', '--verbose', '-o', join(home.path, 'out')], { home: home.path, env });
    expect(failed.code).toBe(4);
    expect(failed.stderr).toMatch(/gone\.txt/);
    emulator.clearFaults();
    emulator.addFiles('demo', [{ name: 'expired.txt', content: 'E' }]);
    emulator.inject({ kind: 'link-expired', times: Infinity });
    const expired = await runCli(['get', 'expired.txt', '--retries', '0', '--json', '-o', join(home.path, 'out2')], { home: home.path, env });
    expect(expired.code).toBe(4);
    const summary = JSON.parse(expired.stdout) as { failed: { name: string; error: string }[] };
    expect(summary.failed[0]?.name).toBe('expired.txt');
    expectNoSecret(all(failed, expired), secretsSeen());
  });

  it('a bad --server URL with credentials in it is refused without echoing them', async () => {
    const withCreds = await runCli(['list'], { home: home.path, env: { ...env, DIRECTLINK_SERVER: 'https://u:s3cret-pw@host.example/directlink/v1' } });
    const broken = await runCli(['list'], { home: home.path, env: { ...env, DIRECTLINK_SERVER: 'https://u:s3cret-pw@ho st/directlink/v1' } });
    expect(withCreds.code).toBe(2);
    expect(broken.code).toBe(2);
    expectNoSecret(all(withCreds, broken), ['s3cret-pw']);
  });
});

describe('Authorization goes only to the configured origin', () => {
  it('a listed link on a foreign host is re-based on the configured origin; the foreign host gets nothing', async () => {
    const foreign = await startRecorder({ forwardTo: emulator.origin });
    servers.push(foreign);
    const [file] = emulator.addFiles('demo', [{ name: 'moved.txt', content: 'from home' }]);
    // The real link, on a foreign origin (a server behind a proxy writes its internal name).
    const real = new URL(await listedLink(emulator, file!.id));
    emulator.setFileOverrides('demo', file!.id, { linkURL: `${foreign.origin}${real.pathname}${real.search}` });
    const get = await runCli(['get', '--all', '-o', join(home.path, 'out')], { home: home.path, env });
    expect(get.code, get.stderr).toBe(0);
    expect(readFileSync(join(home.path, 'out', 'moved.txt'), 'utf8')).toBe('from home');
    expect(foreign.seen).toHaveLength(0);
  });

  it('a download redirected to a foreign host is followed without Authorization', async () => {
    const foreign = await startRecorder({ forwardTo: emulator.origin });
    const front = await startRecorder({
      forwardTo: emulator.origin,
      respond: (req, res) => {
        if (!(req.url ?? '').startsWith('/directlink/v1/download/file')) return false;
        res.writeHead(302, { location: `${foreign.origin}${req.url ?? ''}`, 'content-length': 0 }).end();
        return true;
      },
    });
    servers.push(foreign, front);
    emulator.addFiles('demo', [{ name: 'r.txt', content: 'redirected bytes' }]);
    const frontEnv = { ...env, DIRECTLINK_SERVER: `${front.origin}/directlink/v1` };
    for (const auth of ['bearer', 'basic']) {
      emulator.addFiles('demo', [{ name: `${auth}.txt`, content: auth }]);
      const run = await runCli(['get', `${auth}.txt`, 'r.txt', '--auth', auth, '-o', join(home.path, auth)], { home: home.path, env: frontEnv });
      expect(run.code, run.stderr).toBe(0);
    }
    expect(readFileSync(join(home.path, 'bearer', 'r.txt'), 'utf8')).toBe('redirected bytes');
    expect(readFileSync(join(home.path, 'basic', 'basic.txt'), 'utf8')).toBe('basic');
    // The configured origin did get credentials (sanity), the foreign one never did.
    expect(front.seen.some((r) => typeof r.headers.authorization === 'string')).toBe(true);
    expect(foreign.seen.length).toBeGreaterThanOrEqual(3);
    for (const request of foreign.seen) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers.cookie).toBeUndefined();
    }
  });

  it('an API call redirected elsewhere is refused (exit 4) and the credentials never leave', async () => {
    const foreign = await startRecorder();
    const front = await startRecorder({
      forwardTo: emulator.origin,
      respond: (req, res) => {
        const path = req.url ?? '';
        if (!path.includes('/download/list') && !path.includes('/oauth2/token') && !path.includes('/auth/login')) return false;
        res.writeHead(path.includes('/oauth2/token') ? 307 : 302, { location: `${foreign.origin}${path}`, 'content-length': 0 }).end();
        return true;
      },
    });
    servers.push(foreign, front);
    const frontEnv = { ...env, DIRECTLINK_SERVER: `${front.origin}/directlink/v1` };
    const bearer = await runCli(['list', '--retries', '0'], { home: home.path, env: frontEnv });
    const basic = await runCli(['list', '--retries', '0', '--auth', 'basic'], { home: home.path, env: frontEnv });
    for (const run of [bearer, basic]) {
      expect(run.code).toBe(4);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(basic.stderr).toMatch(/redirected to http:\/\/127\.0\.0\.1:\d+; check the --server URL/);
    expect(foreign.seen).toHaveLength(0);
  });
});

/** The linkURL the emulator lists for a file, fetched as a client would (Basic auth). */
async function listedLink(emulator: Emulator, id: number): Promise<string> {
  const response = await fetch(`${emulator.baseUrl}/download/list?page=0`, {
    headers: { authorization: `Basic ${Buffer.from(`demo:${PASSWORD}`).toString('base64')}` },
  });
  const body = (await response.json()) as { files: { id: number; linkURL: string }[] };
  const entry = body.files.find((f) => f.id === id);
  if (!entry) throw new Error(`file ${id} is not listed`);
  return entry.linkURL;
}
