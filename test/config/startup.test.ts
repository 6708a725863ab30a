/**
 * Start-up cost: reading profiles must not load conf (ajv alone is ~160 ms of CPU), so a `list`
 * configured by env, or by a profile whose token is still valid, never imports it; writes still
 * go through conf, and a token fetched during a run is on disk when the process has exited.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { BIN, childEnv, collect, tempDir } from '../support/cli.js';

let emulator: Emulator;
let home: { path: string; cleanup(): void };

beforeAll(async () => {
  emulator = await startEmulator();
  emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => {
  home = tempDir();
});
afterEach(() => home.cleanup());

const configDir = (): string => join(home.path, '.config', 'directlink');
const configFile = (): string => join(configDir(), 'config.json');

/** Runs the built CLI with a module-load hook; returns the run and the packages/files it loaded. */
async function run(args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number | null; stdout: string; stderr: string; loaded: Set<string> }> {
  const hook = `data:text/javascript,${encodeURIComponent(
    "import { writeSync } from 'node:fs'; export async function load(url, context, next) { if (url.startsWith('file:')) writeSync(2, 'LOADED ' + url + '\\n'); return next(url, context); }",
  )}`;
  const register = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hook)});`)}`;
  const child = spawn(process.execPath, ['--import', register, BIN, ...args], { cwd: home.path, env: childEnv(home.path, env), stdio: ['pipe', 'pipe', 'pipe'] });
  const result = await collect(child, { timeoutMs: 20_000, ...(input !== undefined ? { input } : {}) });
  const root = pathToFileURL(resolve(import.meta.dirname, '../..')).href;
  const lines = result.stderr.split('\n');
  const loaded = new Set(
    lines
      .filter((line) => line.startsWith('LOADED '))
      .map((line) => line.slice('LOADED '.length).replace(root + '/', ''))
      .map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path),
  );
  return { code: result.code, stdout: result.stdout, stderr: lines.filter((line) => !line.startsWith('LOADED ')).join('\n'), loaded };
}

const login = (): ReturnType<typeof run> => run(['login', '--server', emulator.baseUrl, '--user', 'demo', '--password-stdin', '--save-password'], {}, 'demo-password\n');

describe('reading profiles does not load conf', () => {
  it('`list` configured by the environment loads neither conf nor ajv, and writes nothing', async () => {
    const list = await run(['list', '--json'], { DIRECTLINK_SERVER: emulator.baseUrl, DIRECTLINK_USER: 'demo', DIRECTLINK_PASSWORD: 'demo-password' });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toHaveLength(1);
    expect(list.loaded).toContain('dist/config/store.js');
    expect(list.loaded).not.toContain('conf');
    expect(list.loaded).not.toContain('ajv');
    expect(() => statSync(configFile())).toThrow();
  });

  it('`login` writes a 0600 file through conf; a `list` with the still-valid token does not load conf', async () => {
    const first = await login();
    expect(first.code, first.stderr).toBe(0);
    expect(first.loaded).toContain('conf');
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(statSync(configDir()).mode & 0o777).toBe(0o700);

    const list = await run(['list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toHaveLength(1);
    expect(list.loaded).not.toContain('conf');
  });

  it('a token fetched during `list` is on disk once the process has exited', async () => {
    expect((await login()).code).toBe(0);
    const stored = JSON.parse(readFileSync(configFile(), 'utf8')) as { profiles: Record<string, { token?: unknown }> };
    const [name] = Object.keys(stored.profiles);
    if (name === undefined) throw new Error('login stored no profile');
    delete stored.profiles[name]?.token;
    writeFileSync(configFile(), JSON.stringify(stored), { mode: 0o600 });

    const list = await run(['list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.loaded).toContain('conf');
    const after = JSON.parse(readFileSync(configFile(), 'utf8')) as { profiles: Record<string, { token?: { value: string; expiresAt: number } }> };
    expect(after.profiles[name]?.token?.value).toMatch(/^ey/);
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
  });
});
