/**
 * Answers that are not the documented API: a proxy's HTML page, bodies that are not JSON,
 * JSON of the wrong shape, missing, null, negative or non-numeric fields, links that are
 * not URLs or point elsewhere. Each gives one line naming the endpoint and what was wrong,
 * exit 4 for the listing or the token (a bad link fails only its file, exit 1), and never a
 * stack trace.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../support/cli.js';
import { useCliWorld } from '../support/world.js';
import { RAW_CONTROL } from './security-support.js';

const w = useCliWorld();

beforeEach(() => {
  w.emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
});

/** Exactly one `error:` line, no stack, nothing on stdout. */
function expectOneLine(run: CliRun, pattern: RegExp): void {
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/Unexpected failure|bug in directlink/);
  expect(run.stdout).toBe('');
}

const file = (over: Record<string, unknown>): string =>
  JSON.stringify({ status: 0, description: 'handlerDownloadList:succsessfully', files: [{ id: 1, name: 'x', length: 1, modified: 1654642758397, linkURL: 'http://h/directlink/v1/download/file?k=t', ...over }] });

describe('the listing', () => {
  it('an HTML 502 from a proxy: one line, exit 4, even after retries', async () => {
    // Page 0 only: the listing reads a few pages ahead, and they must not share the fault.
    w.emulator.inject({ kind: 'status', status: 502, body: 'html', match: { endpoint: 'list', page: 0 } });
    const once = await runCli(['list', '--retries', '0'], { home: w.home.path, env: w.env });
    expect(once.code).toBe(4);
    expectOneLine(once, /^error: Failed to call \/download\/list: the server answered HTTP 502 \(an HTML page, perhaps from a proxy\)\.$/);

    w.emulator.inject({ kind: 'status', status: 502, body: 'html', times: 2, match: { endpoint: 'list', page: 0 } });
    const retried = await runCli(['list', '--retries', '1', '--json'], { home: w.home.path, env: w.env });
    expect(retried.code).toBe(4);
    expectOneLine(retried, /HTTP 502 \(an HTML page/);
    expect(w.emulator.pendingFaults()).toEqual([]);
  });

  // The full table of shapes is in test/api/security-client.test.ts (in-process, fast);
  // these prove the same words and exit code reach a person through the built CLI.
  const cases: [string, { body: string; contentType?: string; status?: number }, RegExp][] = [
    ['an HTML page with status 200', { body: '<html><body>Login to the portal</body></html>', contentType: 'text/html' }, /\/download\/list: the server sent an HTML page, not the DirectLink API/],
    ['a body that is not JSON', { body: 'OK', contentType: 'text/plain' }, /\/download\/list: the server sent a body that is not valid JSON \(HTTP 200\)/],
    ['a JSON array', { body: '[]' }, /\/download\/list sent JSON that is not an object/],
    ['a null name', { body: file({ name: null }) }, /\/download\/list files\[0\] has an invalid name \(null\)/],
    ['a non-numeric length', { body: file({ length: 'lots' }) }, /\/download\/list files\[0\] has an invalid length \("lots"\)/],
  ];
  for (const [what, fault, message] of cases) {
    it(`${what}: one line naming the endpoint, exit 4`, async () => {
      w.emulator.inject({ kind: 'malformed', ...fault, match: { endpoint: 'list', page: 0 } });
      const run = await runCli(['list', '--retries', '0'], { home: w.home.path, env: w.env });
      expect(run.code, run.stderr).toBe(4);
      expectOneLine(run, message);
    });
  }

  it('a hostile description is shown escaped and cut short', async () => {
    const description = `\u001b]0;pwned\u0007\u001b[2J\nerror: forged line\r\n${'x'.repeat(500)}`;
    w.emulator.inject({ kind: 'malformed', status: 500, body: JSON.stringify({ status: 500, description }), match: { endpoint: 'list', page: 0 } });
    const run = await runCli(['list', '--retries', '0'], { home: w.home.path, env: w.env });
    expect(run.code).toBe(4);
    expect(run.stderr).not.toMatch(RAW_CONTROL);
    expect(run.stderr).toContain('\\x1b]0;pwned\\x07\\x1b[2J error: forged line x');
    expect(run.stderr.length).toBeLessThan(400);
    expectOneLine(run, /Failed to call \/download\/list: the server answered HTTP 500/);
  });

  it('get stops before any download when the listing is malformed', async () => {
    w.emulator.inject({ kind: 'malformed', body: file({ length: -1 }), match: { endpoint: 'list', page: 0 } });
    const run = await runCli(['get', '--all', '--retries', '0', '-o', join(w.home.path, 'out')], { home: w.home.path, env: w.env });
    expect(run.code).toBe(4);
    expectOneLine(run, /has an invalid length \(-1\)/);
    expect(w.emulator.requests.filter((r) => r.path.includes('/download/file'))).toHaveLength(0);
  });
});

describe('the token endpoint', () => {
  it('an HTML 200 instead of a token: one line, exit 4', async () => {
    w.emulator.inject({ kind: 'malformed', body: '<!doctype html><title>SSO</title>', contentType: 'text/html', match: { endpoint: 'token' } });
    const run = await runCli(['list', '--retries', '0'], { home: w.home.path, env: w.env });
    expect(run.code).toBe(4);
    expectOneLine(run, /\/oauth2\/token: the server sent an HTML page/);
  });

  it('an HTML 502 from a proxy in front of it: one line, exit 4', async () => {
    w.emulator.inject({ kind: 'status', status: 502, body: 'html', match: { endpoint: 'token' } });
    const run = await runCli(['list', '--retries', '0'], { home: w.home.path, env: w.env });
    expect(run.code).toBe(4);
    expectOneLine(run, /\/oauth2\/token: HTTP 502 \(an HTML page, perhaps from a proxy\)/);
  });
});

describe('download links', () => {
  it('a link that is not a URL, or points at another path, fails only that file (exit 1)', async () => {
    const [notUrl, otherPath, missing] = w.emulator.addFiles('demo', [
      { name: 'not-a-url.txt', content: 'N' },
      { name: 'other-path.txt', content: 'O' },
      { name: 'no-link.txt', content: 'M' },
    ]);
    w.emulator.setFileOverrides('demo', notUrl!.id, { linkURL: 'not a url at all' });
    w.emulator.setFileOverrides('demo', otherPath!.id, { linkURL: `${w.emulator.origin}/directlink/v1/auth/logout?k=x` });
    w.emulator.setFileOverrides('demo', missing!.id, { linkURL: '' });
    const out = join(w.home.path, 'out');
    const run = await runCli(['get', '--all', '--retries', '0', '--json', '-o', out], { home: w.home.path, env: w.env });
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as { downloaded: { name: string }[]; failed: { name: string; error: string }[] };
    expect(summary.downloaded.map((d) => d.name)).toEqual(['a.txt']);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('A');
    const errors = Object.fromEntries(summary.failed.map((f) => [f.name, f.error]));
    expect(errors['not-a-url.txt']).toMatch(/link that is not a URL \(linkURL in \/download\/list\)/);
    expect(errors['other-path.txt']).toMatch(/link to an unexpected path \(\/directlink\/v1\/auth\/logout, linkURL in \/download\/list\)/);
    expect(errors['no-link.txt']).toMatch(/link that is not a URL/);
    // Nothing was requested for the bad links: no request to /auth/logout, one download.
    expect(w.emulator.requests.filter((r) => r.path.endsWith('/auth/logout'))).toHaveLength(0);
    expect(w.emulator.requests.filter((r) => r.path.includes('/download/file'))).toHaveLength(1);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('an HTML 502 instead of the bytes: the file is marked failed with one line, exit 4 as every file failed for the server', async () => {
    w.emulator.inject({ kind: 'status', status: 502, body: 'html', match: { endpoint: 'file' } });
    const run = await runCli(['get', '--all', '--retries', '0', '-o', join(w.home.path, 'out')], { home: w.home.path, env: w.env });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^failed a\.txt: .*HTTP 502 \(an HTML page, perhaps from a proxy\)/m);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
