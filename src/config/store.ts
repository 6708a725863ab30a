/**
 * Stored profiles (server, user, optionally the password, the cached bearer token) in the
 * user's config directory, file mode 0600 in a 0700 directory. The only module that imports conf.
 *
 * Reads parse config.json directly; conf (with ajv, ~160 ms of CPU to load) is imported only
 * on the first write, so a `list` or `get` that writes nothing never pays for it.
 */
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type Conf from 'conf';

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
  save(name: string, profile: Profile): Promise<void>;
  /** Replaces only the cached token of a profile (no-op when the profile is gone). */
  saveToken(name: string, token: StoredToken | undefined): Promise<void>;
  /** Forgets password and token, keeping server and user. */
  forgetSecrets(name: string): Promise<void>;
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

/**
 * Opens the profile store in `directory`: reads it now (a missing file is an empty store) and
 * creates the directory and file only on the first write. Throws, naming the file, when it
 * holds no valid JSON or not the expected shape.
 */
export function openProfileStore(directory: string): ProfileStore {
  // Where conf puts it: path.resolve(cwd, `${configName}.json`).
  const path = resolve(directory, 'config.json');
  let data = readStore(path);
  let writer: Promise<Conf<StoreShape>> | undefined;
  const openWriter = (): Promise<Conf<StoreShape>> =>
    (writer ??= (async () => {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      const { default: ConfClass } = await import('conf');
      return new ConfClass<StoreShape>({
        cwd: directory,
        configName: 'config',
        projectName: 'directlink',
        configFileMode: 0o600,
        defaults: { profiles: {} },
        clearInvalidConfig: false,
      });
    })());
  /** Applies `change` to the profiles as they are on disk now, then refreshes what reads see. */
  const write = async (change: (profiles: Record<string, Profile>, conf: Conf<StoreShape>) => Record<string, Profile> | undefined): Promise<void> => {
    const conf = await openWriter();
    const next = change({ ...(conf.get('profiles') ?? {}) }, conf);
    if (next === undefined) return;
    conf.set('profiles', next);
    tighten(conf.path);
    data = { ...(conf.get('currentProfile') !== undefined ? { currentProfile: conf.get('currentProfile') } : {}), profiles: { ...(conf.get('profiles') ?? {}) } };
  };
  return {
    path,
    get currentName() {
      return data.currentProfile;
    },
    get: (name) => (Object.hasOwn(data.profiles, name) ? data.profiles[name] : undefined),
    names: () => Object.keys(data.profiles),
    save: (name, profile) =>
      write((profiles, conf) => {
        conf.set('currentProfile', name);
        return { ...profiles, [name]: profile };
      }),
    saveToken: (name, token) =>
      write((profiles) => {
        const existing = profiles[name];
        if (!existing) return undefined;
        const { token: _old, ...rest } = existing;
        return { ...profiles, [name]: token ? { ...rest, token } : rest };
      }),
    forgetSecrets: (name) =>
      write((profiles) => {
        const existing = profiles[name];
        if (!existing) return undefined;
        const { password: _password, token: _token, ...rest } = existing;
        return { ...profiles, [name]: rest };
      }),
    permissionWarnings: () => permissionWarnings(directory, path),
  };
}

/** The store as on disk: a missing file is an empty store; anything unreadable throws. */
function readStore(path: string): StoreShape {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new Error(`Failed to read ${path}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`Failed to parse ${path}: ${(error as Error).message}`, { cause: error });
  }
  const problem = shapeProblem(parsed);
  if (problem) throw new Error(`Failed to read ${path}: ${problem}.`);
  const store = parsed as { currentProfile?: string; profiles?: Record<string, Profile> };
  return { ...(store.currentProfile !== undefined ? { currentProfile: store.currentProfile } : {}), profiles: store.profiles ?? {} };
}

function shapeProblem(value: unknown): string | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value)) return 'it does not hold a JSON object';
  if (value.currentProfile !== undefined && typeof value.currentProfile !== 'string') return '"currentProfile" is not a string';
  if (value.profiles === undefined) return undefined;
  if (!isObject(value.profiles)) return '"profiles" is not an object';
  for (const [name, profile] of Object.entries(value.profiles)) {
    if (!isObject(profile) || typeof profile.server !== 'string' || typeof profile.user !== 'string') return `profile "${name}" has no server and user`;
    const token = profile.token;
    if (token !== undefined && (!isObject(token) || typeof token.value !== 'string' || typeof token.expiresAt !== 'number')) return `profile "${name}" has a malformed token`;
  }
  return undefined;
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
