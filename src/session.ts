/**
 * What the server-facing commands share: options common to all of them, and turning those
 * options plus the environment and the stored profile into a ready API client. Sits between
 * commands and the layers below, so commands never import each other.
 */
import { readFile } from 'node:fs/promises';
import type { ApiClient, TokenCache } from './api/client.js';
import type { Context } from './context.js';
import { resolveConnection, type ResolvedConnection } from './config/settings.js';
import type { ProfileStore } from './config/store.js';
import { UsageError, describeError } from './errors.js';
import { DEFAULT_RETRIES, createRetryRunner } from './transfer/retry.js';
import type { IO } from './ui/io.js';

/** Options every server-facing command takes (see program.ts for the flags). */
export interface CommonOptions {
  server?: string;
  user?: string;
  token?: string;
  auth?: 'basic' | 'bearer';
  profile?: string;
  passwordStdin?: boolean;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
  progress?: boolean;
  retries?: number;
  timeout?: number;
  cacert?: string;
  insecure?: boolean;
}

export const DEFAULT_TIMEOUT_SECONDS = 30;
export const CONNECT_TIMEOUT_MS = 15_000;

export interface Session {
  readonly client: ApiClient;
  readonly connection: ResolvedConnection;
  readonly baseUrl: URL;
  readonly store: ProfileStore;
  readonly retries: number;
  readonly idleTimeoutMs: number;
  close(): Promise<void>;
}

/** Opens the profile store, warning about loose permissions on it. Loads conf lazily. */
export async function openStore(ctx: Context, io: IO): Promise<ProfileStore> {
  const { configDirectory, openProfileStore } = await import('./config/store.js');
  let store: ProfileStore;
  try {
    store = openProfileStore(configDirectory(ctx.env));
  } catch (error) {
    const path = `${configDirectory(ctx.env)}/config.json`;
    throw new UsageError(`Failed to open the config file ${path}: ${describeError(error)}`, {
      cause: error,
      hint: 'Fix or delete that file (then run `directlink login` again).',
    });
  }
  for (const warning of store.permissionWarnings()) io.warn(warning);
  return store;
}

/** Reads a password piped on standard input (first line, without its newline). */
export async function readPasswordFromStdin(ctx: Context): Promise<string> {
  if (ctx.stdin.isTTY) {
    throw new UsageError('--password-stdin reads a piped password, but standard input is a terminal.', {
      hint: 'Example: printf %s "$PASSWORD" | directlink login --password-stdin',
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.stdin as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') throw new UsageError('--password-stdin: standard input held no password.');
  return password;
}

/** Resolves connection settings and builds the client, with the warnings a careful tool gives. */
export async function openSession(ctx: Context, io: IO, options: CommonOptions, extra?: { concurrency?: number; store?: ProfileStore; password?: string }): Promise<Session> {
  const store = extra?.store ?? (await openStore(ctx, io));
  const stdinPassword = extra?.password ?? (options.passwordStdin ? await readPasswordFromStdin(ctx) : undefined);
  const connection = resolveConnection(options, ctx.env, store, stdinPassword);
  if (!connection.server) {
    throw new UsageError('No server is configured.', {
      hint: 'Pass --server URL, set DIRECTLINK_SERVER, or run `directlink login` first.',
    });
  }
  const { parseServerUrl, isLoopbackHost, createApiClient } = await import('./api/client.js');
  const baseUrl = parseServerUrl(connection.server);

  const extraCaPem = options.cacert ? [...(await readNodeExtraCa(ctx.env)), await readCaBundle(options.cacert)] : [];
  const retries = options.retries ?? DEFAULT_RETRIES;
  const idleTimeoutMs = Math.round((options.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000);
  const profileName = connection.profileName;
  // The client caches a token synchronously; the write (which loads conf) runs in the
  // background, in order, and close() waits for it. Failing to cache a token never fails the run.
  let tokenWrites: Promise<void> = Promise.resolve();
  const tokenCache: TokenCache | undefined =
    connection.useStoredToken && profileName !== undefined
      ? {
          load: () => store.get(profileName)?.token,
          save: (token) => {
            tokenWrites = tokenWrites
              .then(() => store.saveToken(profileName, token))
              .catch((error: unknown) => io.verbose(`could not cache the token in ${store.path}: ${describeError(error)}`));
          },
        }
      : undefined;
  warnAboutTransport(io, baseUrl, options, connection.password !== undefined || connection.token !== undefined || tokenCache?.load() !== undefined, isLoopbackHost);

  const client = createApiClient({
    baseUrl,
    credentials: { user: connection.user, password: connection.password, token: connection.token },
    auth: connection.auth,
    transport: {
      concurrency: extra?.concurrency ?? 4,
      // A short --timeout also shortens the wait for a connection (never lengthens it).
      connectTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, idleTimeoutMs),
      idleTimeoutMs,
      extraCaPem,
      insecure: options.insecure ?? false,
      env: ctx.env,
    },
    ...(tokenCache ? { tokenCache } : {}),
    retry: createRetryRunner({
      retries,
      signal: ctx.signal,
      onRetry: ({ what, attempt, delayMs, error }) => io.verbose(`retry ${what}: attempt ${attempt + 1} in ${(delayMs / 1000).toFixed(1)}s (${describeError(error)})`),
    }),
    runSignal: ctx.signal,
    trace: (line) => io.verbose(line),
    warn: (message) => io.warn(message),
    now: ctx.now,
  });
  const close = async (): Promise<void> => {
    try {
      await client.close();
    } finally {
      await tokenWrites;
    }
  };
  return { client, connection, baseUrl, store, retries, idleTimeoutMs, close };
}

/** `sendsSecrets`: a password, a given token or a cached one (a bearer token is a credential too). */
function warnAboutTransport(io: IO, baseUrl: URL, options: CommonOptions, sendsSecrets: boolean, isLoopbackHost: (host: string) => boolean): void {
  // Certificates only exist on https://; on plain http the flag changes nothing to warn about.
  if (options.insecure && baseUrl.protocol === 'https:') {
    io.warn('--insecure: TLS certificates are not verified; anyone on the network path can read and change this transfer.');
  }
  if (baseUrl.protocol === 'http:' && sendsSecrets && !isLoopbackHost(baseUrl.hostname)) {
    io.warn(`Credentials are sent over plain http:// to ${baseUrl.host}; use https:// if the server offers it.`);
  }
}

/**
 * The NODE_EXTRA_CA_CERTS bundle, for when --cacert replaces the trust store: Node adds that
 * bundle to its default store only, and `tls.rootCertificates` (restated by http.ts) does not
 * hold it, so without this a --cacert would silently drop the CAs the environment trusts.
 * Unreadable: nothing (Node itself already warned about it at start).
 */
async function readNodeExtraCa(env: Context['env']): Promise<string[]> {
  const path = env.NODE_EXTRA_CA_CERTS;
  if (!path) return [];
  try {
    const text = await readFile(path, 'utf8');
    return text.includes('-----BEGIN CERTIFICATE-----') ? [text] : [];
  } catch {
    return [];
  }
}

async function readCaBundle(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Failed to read --cacert ${path}: ${describeError(error)}`, { cause: error });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(`Failed to read --cacert ${path}: it holds no PEM certificate (-----BEGIN CERTIFICATE-----).`);
  }
  return text;
}
