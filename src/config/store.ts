/**
 * Stored profiles (server, user, optionally the password, the cached bearer token) in the
 * user's config directory, file mode 0600 in a 0700 directory. The only module that imports conf.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Conf from 'conf';

export interface StoredToken {
  readonly value: string;
  readonly expiresAt: number;
}

export interface Profile {
  readonly server: string;
  readonly user: string;
  readonly password?: string;
  readonly auth?: 'bearer' | 'basic';
  readonly token?: StoredToken;
}

interface StoreShape {
  currentProfile?: string;
  profiles: Record<string, Profile>;
}

/** Profile storage; a fresh instance per run (pass the world in). */
export interface ProfileStore {
  readonly path: string;
  readonly currentName: string | undefined;
  get(name: string): Profile | undefined;
  names(): string[];
  /** Saves a profile and makes it the current one. */
  save(name: string, profile: Profile): void;
  /** Replaces only the cached token of a profile (no-op when the profile is gone). */
  saveToken(name: string, token: StoredToken | undefined): void;
  /** Forgets password and token, keeping server and user. */
  forgetSecrets(name: string): void;
  /** Warnings about loose permissions on the config file or its directory. */
  permissionWarnings(): string[];
}

/**
 * Where the config lives: $DIRECTLINK_CONFIG_DIR, else $XDG_CONFIG_HOME/directlink, else
 * ~/.config/directlink (HOME from the given env, so tests can use a temp HOME).
 */
export function configDirectory(env: Readonly<Record<string, string | undefined>>): string {
  if (env.DIRECTLINK_CONFIG_DIR) return env.DIRECTLINK_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'directlink');
  return join(env.HOME || homedir(), '.config', 'directlink');
}

/** Opens (creating if needed) the profile store in `directory`. */
export function openProfileStore(directory: string): ProfileStore {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const conf = new Conf<StoreShape>({
    cwd: directory,
    configName: 'config',
    projectName: 'directlink',
    configFileMode: 0o600,
    defaults: { profiles: {} },
    clearInvalidConfig: false,
  });
  const profiles = (): Record<string, Profile> => ({ ...(conf.get('profiles') ?? {}) });
  return {
    path: conf.path,
    get currentName() {
      return conf.get('currentProfile');
    },
    get: (name) => profiles()[name],
    names: () => Object.keys(profiles()),
    save(name, profile) {
      conf.set('profiles', { ...profiles(), [name]: profile });
      conf.set('currentProfile', name);
      tighten(conf.path);
    },
    saveToken(name, token) {
      const existing = profiles()[name];
      if (!existing) return;
      const { token: _old, ...rest } = existing;
      conf.set('profiles', { ...profiles(), [name]: token ? { ...rest, token } : rest });
      tighten(conf.path);
    },
    forgetSecrets(name) {
      const existing = profiles()[name];
      if (!existing) return;
      const { password: _password, token: _token, ...rest } = existing;
      conf.set('profiles', { ...profiles(), [name]: rest });
      tighten(conf.path);
    },
    permissionWarnings: () => permissionWarnings(directory, conf.path),
  };
}

/** The name `login` gives a profile when none is asked for: one per server and user. */
export function defaultProfileName(server: string, user: string): string {
  try {
    return `${user}@${new URL(server).host}`;
  } catch {
    return user;
  }
}

function tighten(path: string): void {
  try {
    chmodSync(path, 0o600);
  } catch {
    // The permission check at the next start reports what could not be fixed here.
  }
}

function permissionWarnings(directory: string, file: string): string[] {
  if (process.platform === 'win32') return [];
  const warnings: string[] = [];
  const check = (path: string, wanted: number, what: string): void => {
    try {
      const mode = statSync(path).mode & 0o777;
      if ((mode & ~wanted) !== 0) {
        warnings.push(`The ${what} ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod ${wanted.toString(8)} "${path}"`);
      }
    } catch {
      // Missing file: nothing stored yet.
    }
  };
  check(directory, 0o700, 'config directory');
  check(file, 0o600, 'config file');
  return warnings;
}
