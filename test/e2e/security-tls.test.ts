/**
 * TLS as a user meets it: an HTTPS emulator whose certificate comes from a throw-away CA made
 * in the test. Verification is on by default (a clear one-line certificate error, exit 4);
 * --cacert and NODE_EXTRA_CA_CERTS make it work; --insecure works but warns on every run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { runCli, tempDir } from '../support/cli.js';
import { makeTestPki, type TestPki } from '../emulator/tls.js';

let emulator: Emulator;
let dir: { path: string; cleanup(): void };
let pki: TestPki;
let otherPki: TestPki;
let env: Record<string, string>;

beforeAll(async () => {
  dir = tempDir();
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir.path, 'pki'));
  mkdirSync(join(dir.path, 'other'));
  pki = makeTestPki(join(dir.path, 'pki'));
  otherPki = makeTestPki(join(dir.path, 'other'));
  emulator = await startEmulator({ https: { key: pki.key, cert: pki.cert } });
  emulator.addFiles('demo', [{ name: 'secure.txt', content: 'over TLS' }]);
  env = { DIRECTLINK_SERVER: emulator.baseUrl, DIRECTLINK_USER: 'demo', DIRECTLINK_PASSWORD: 'demo-password' };
});

afterAll(async () => {
  await emulator.close();
  dir.cleanup();
});

const noStack = (text: string): void => {
  expect(text).not.toMatch(/^\s+at /m);
};

describe('TLS verification', () => {
  it('is on by default: an unknown CA is a one-line certificate error, exit 4, with a hint', async () => {
    const run = await runCli(['list', '--retries', '0'], { home: dir.path, env });
    expect(run.code).toBe(4);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error: Failed to reach https:\/\/127\.0\.0\.1:\d+: the server's TLS certificate was not accepted \(/);
    expect(lines[1]).toMatch(/--cacert/);
    expect(lines.length).toBe(2);
    noStack(run.stderr);
    expect(run.stdout).toBe('');
  });

  it('is not retried: a certificate error will not go away by itself', async () => {
    const before = emulator.requests.length;
    const run = await runCli(['list'], { home: dir.path, env });
    expect(run.code).toBe(4);
    expect(run.stderr).not.toMatch(/retry/i);
    expect(emulator.requests.length).toBe(before);
  });

  it('works with --cacert FILE (PEM)', async () => {
    const run = await runCli(['list', '--json', '--cacert', pki.caFile], { home: dir.path, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect((JSON.parse(run.stdout) as { name: string }[]).map((f) => f.name)).toEqual(['secure.txt']);
  });

  it('works with NODE_EXTRA_CA_CERTS', async () => {
    const run = await runCli(['list', '--json'], { home: dir.path, env: { ...env, NODE_EXTRA_CA_CERTS: pki.caFile } });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(1);
  });

  it('keeps NODE_EXTRA_CA_CERTS trusted when --cacert adds another CA', async () => {
    const run = await runCli(['list', '--json', '--cacert', otherPki.caFile], { home: dir.path, env: { ...env, NODE_EXTRA_CA_CERTS: pki.caFile } });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(1);
  });

  it('still refuses with a --cacert of an unrelated CA', async () => {
    const run = await runCli(['list', '--retries', '0', '--cacert', otherPki.caFile], { home: dir.path, env });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/TLS certificate was not accepted/);
  });

  it('rejects a --cacert that is not PEM or is missing, as a usage error', async () => {
    const junk = join(dir.path, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    const bad = await runCli(['list', '--cacert', junk], { home: dir.path, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no PEM certificate/);
    const missing = await runCli(['list', '--cacert', join(dir.path, 'nope.pem')], { home: dir.path, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Failed to read --cacert/);
    noStack(bad.stderr + missing.stderr);
  });

  it('--insecure works and warns on every run, even with --quiet or --json', async () => {
    for (const extra of [['--quiet'], ['--json']]) {
      const run = await runCli(['list', '--insecure', ...extra], { home: dir.path, env });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/^warning: --insecure: TLS certificates are not verified/m);
    }
  });

  it('downloads over TLS with --cacert', async () => {
    const out = join(dir.path, 'out');
    const run = await runCli(['get', 'secure.txt', '-o', out, '--cacert', pki.caFile], { home: dir.path, env });
    expect(run.code, run.stderr).toBe(0);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(out, 'secure.txt'), 'utf8')).toBe('over TLS');
  });
});
