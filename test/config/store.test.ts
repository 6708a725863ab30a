/**
 * The profile store reads config.json itself and leaves writing to conf (loaded on the first
 * write only): both must agree on the file, its shape and its modes.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openProfileStore } from '../../src/config/store.js';
import { tempDir } from '../support/cli.js';

let root: { path: string; cleanup(): void };
let dir: string;

beforeEach(() => {
  root = tempDir();
  dir = join(root.path, 'directlink');
});
afterEach(() => root.cleanup());

const profile = { server: 'https://h.example/directlink/v1', user: 'ACME', password: 'pw' };

describe('openProfileStore', () => {
  it('names the same file conf writes', () => {
    const conf = new Conf({ cwd: dir, configName: 'config', projectName: 'directlink' });
    expect(openProfileStore(dir).path).toBe(conf.path);
  });

  it('reads a missing file as an empty store and creates nothing', () => {
    const store = openProfileStore(dir);
    expect(store.names()).toEqual([]);
    expect(store.currentName).toBeUndefined();
    expect(store.get('x')).toBeUndefined();
    expect(store.get('toString')).toBeUndefined();
    expect(store.permissionWarnings()).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses invalid JSON and a wrong shape, naming the file', () => {
    mkdirSync(dir);
    const file = join(dir, 'config.json');
    for (const text of ['{"profiles": {', '[]', '{"profiles": []}', '{"profiles": {"a": {"server": 1}}}', '{"currentProfile": 3}', '{"profiles": {"a": {"server": "s", "user": "u", "token": "t"}}}']) {
      writeFileSync(file, text);
      expect(() => openProfileStore(dir), text).toThrow(file);
    }
  });

  it('writes through conf: 0600 file in a 0700 directory, and reads see the change', async () => {
    const store = openProfileStore(dir);
    await store.save('p', profile);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(store.currentName).toBe('p');
    expect(store.get('p')).toEqual(profile);

    const token = { value: 'tok', expiresAt: 1_000 };
    await store.saveToken('p', token);
    await store.saveToken('gone', token);
    expect(store.get('p')?.token).toEqual(token);
    expect(store.names()).toEqual(['p']);

    const again = openProfileStore(dir);
    expect(again.currentName).toBe('p');
    expect(again.get('p')).toEqual({ ...profile, token });
    await again.forgetSecrets('p');
    expect(again.get('p')).toEqual({ server: profile.server, user: profile.user });
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual({ currentProfile: 'p', profiles: { p: { server: profile.server, user: profile.user } } });
  });

  it('keeps profiles written by another run since it was opened', async () => {
    const first = openProfileStore(dir);
    await openProfileStore(dir).save('other', profile);
    await first.save('mine', profile);
    expect(first.names().sort()).toEqual(['mine', 'other']);
  });

  it.skipIf(process.platform === 'win32')('warns about loose modes and tightens the file on write', async () => {
    const store = openProfileStore(dir);
    await store.save('p', profile);
    chmodSync(store.path, 0o644);
    chmodSync(dir, 0o755);
    const warnings = openProfileStore(dir).permissionWarnings();
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/config file .* \(mode 0644\); run: chmod 600/);
    await store.saveToken('p', undefined);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
  });
});
