/**
 * login → list → config → logout as a user runs them, with the profile stored under a temp HOME.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { runCli, tempDir } from '../support/cli.js';

let emulator: Emulator;
let home: { path: string; cleanup(): void };

beforeEach(async () => {
  emulator = await startEmulator();
  emulator.addFiles('demo', [{ name: 'a.txt', content: 'A' }]);
  home = tempDir();
});

afterEach(async () => {
  await emulator.close();
  home.cleanup();
});

const configFile = (): string => join(home.path, '.config', 'directlink', 'config.json');

describe('login', () => {
  it('verifies, stores a 0600 profile, and later commands use it', async () => {
    const login = await runCli(['login', '--server', emulator.baseUrl, '--user', 'demo', '--password-stdin', '--save-password'], {
      home: home.path,
      input: 'demo-password\n',
    });
    expect(login.code, login.stderr).toBe(0);
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.path, '.config', 'directlink')).mode & 0o777).toBe(0o700);

    const list = await runCli(['list', '--json'], { home: home.path });
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(1);

    const config = await runCli(['config'], { home: home.path });
    expect(config.code).toBe(0);
    expect(config.stdout).toContain(emulator.baseUrl);
    expect(config.stdout).toContain('stored (hidden)');
    expect(config.stdout + config.stderr).not.toContain('demo-password');

    const logout = await runCli(['logout'], { home: home.path });
    expect(logout.code, logout.stderr).toBe(0);
    expect(readFileSync(configFile(), 'utf8')).not.toContain('demo-password');
    expect(emulator.requests.some((r) => r.path.endsWith('/auth/logout'))).toBe(true);
  });

  it('does not store the password without consent when there is no terminal', async () => {
    const login = await runCli(['login', '--server', emulator.baseUrl, '--user', 'demo', '--password-stdin'], { home: home.path, input: 'demo-password' });
    expect(login.code, login.stderr).toBe(0);
    expect(readFileSync(configFile(), 'utf8')).not.toContain('demo-password');
  });

  it('refuses a wrong password with exit 3 and stores nothing', async () => {
    const login = await runCli(['login', '--server', emulator.baseUrl, '--user', 'demo', '--password-stdin'], { home: home.path, input: 'nope\n' });
    expect(login.code).toBe(3);
    const stored = (() => {
      try {
        return readFileSync(configFile(), 'utf8');
      } catch {
        return '';
      }
    })();
    expect(stored).not.toContain('demo');
  });

  it('warns about a config file readable by others', async () => {
    await runCli(['login', '--server', emulator.baseUrl, '--user', 'demo', '--password-stdin'], { home: home.path, input: 'demo-password' });
    const { chmodSync } = await import('node:fs');
    chmodSync(configFile(), 0o644);
    const config = await runCli(['config'], { home: home.path });
    expect(config.stderr).toMatch(/warning: .*readable by others/);
  });
});
