/**
 * Which server, user and secrets a run uses: flag, then environment variable, then stored
 * profile (PRODUCT.md, "Precedence"). Pure, so it is tested as a table.
 */
import { UsageError } from '../errors.js';
import type { Profile } from './store.js';

export interface ConnectionFlags {
  readonly server?: string | undefined;
  readonly user?: string | undefined;
  readonly token?: string | undefined;
  readonly auth?: 'basic' | 'bearer' | undefined;
  readonly profile?: string | undefined;
}

export interface ResolvedConnection {
  /** The stored profile in use, if any. */
  readonly profileName: string | undefined;
  readonly server: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly token: string | undefined;
  readonly auth: 'basic' | 'bearer';
  /** Where the password came from, for messages (never the password itself). */
  readonly passwordSource: 'stdin' | 'env' | 'profile' | undefined;
  /** True when the profile's cached token may be used (same server and user). */
  readonly useStoredToken: boolean;
}

export interface ProfileLookup {
  readonly currentName: string | undefined;
  get(name: string): Profile | undefined;
}

/**
 * Resolves the connection. A stored password or token is used only when the profile's server
 * and user are the ones resolved, so a flag pointing at another server never receives a
 * secret stored for a different one.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
  profiles: ProfileLookup,
  stdinPassword?: string,
): ResolvedConnection {
  const explicitProfile = flags.profile ?? nonEmpty(env.DIRECTLINK_PROFILE);
  const profileName = explicitProfile ?? profiles.currentName;
  const profile = profileName === undefined ? undefined : profiles.get(profileName);
  if (explicitProfile !== undefined && !profile) {
    throw new UsageError(`Unknown profile "${explicitProfile}".`, { hint: 'Run `directlink login --profile NAME` to create it, or `directlink config` to see the stored ones.' });
  }
  const server = flags.server ?? nonEmpty(env.DIRECTLINK_SERVER) ?? profile?.server;
  const user = flags.user ?? nonEmpty(env.DIRECTLINK_USER) ?? profile?.user;
  const profileMatches = profile !== undefined && sameServer(profile.server, server) && profile.user === user;

  let password: string | undefined;
  let passwordSource: ResolvedConnection['passwordSource'];
  if (stdinPassword !== undefined) {
    password = stdinPassword;
    passwordSource = 'stdin';
  } else if (env.DIRECTLINK_PASSWORD !== undefined && env.DIRECTLINK_PASSWORD !== '') {
    password = env.DIRECTLINK_PASSWORD;
    passwordSource = 'env';
  } else if (profileMatches && profile.password !== undefined) {
    password = profile.password;
    passwordSource = 'profile';
  }

  const token = flags.token ?? nonEmpty(env.DIRECTLINK_TOKEN);
  const auth = flags.auth ?? (profileMatches ? profile.auth : undefined) ?? 'bearer';
  return {
    profileName: profile ? profileName : undefined,
    server,
    user,
    password,
    token,
    auth,
    passwordSource,
    useStoredToken: profileMatches && token === undefined,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function sameServer(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
