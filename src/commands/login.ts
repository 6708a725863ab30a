/**
 * `directlink login`: ask for (or read) server, user and password, verify them against the
 * server, then store the profile (the password only with consent).
 */
import { Command } from 'commander';
import type { Context, Runtime } from '../context.js';
import { UsageError } from '../errors.js';
import { addConnectionOptions, addOutputOptions } from '../options.js';
import { openSession, openStore, readPasswordFromStdin, type CommonOptions } from '../session.js';

export interface LoginOptions extends CommonOptions {
  /** commander's `--no-save-password` / `--save-password` (undefined: ask on a terminal). */
  savePassword?: boolean;
}

export function loginCommand(ctx: Context, runtime: Runtime): Command {
  const command = new Command('login')
    .description('verify server, user and password, and store them as a profile')
    .option('--save-password', 'store the password without asking (the default answer on a terminal)')
    .option('--no-save-password', 'do not store the password; only server, user and a short-lived token')
    .addHelpText(
      'after',
      `
Examples:
  $ directlink login                  # asks for everything on a terminal
  $ directlink login --server https://edi.bank.example/directlink/v1 --user ACME
  $ printf %s "$PW" | directlink login --user ACME --password-stdin
  $ directlink login --profile test --server http://localhost:8080/directlink/v1`,
    );
  addOutputOptions(addConnectionOptions(command), { json: false });
  return command.action(async (options: LoginOptions) => {
    await runLogin(ctx, runtime.ioFor(options), options);
  });
}

async function runLogin(ctx: Context, io: ReturnType<Runtime['ioFor']>, options: LoginOptions): Promise<void> {
  const store = await openStore(ctx, io);
  const existing = options.profile ? store.get(options.profile) : undefined;
  let server = options.server ?? ctx.env.DIRECTLINK_SERVER ?? existing?.server;
  let user = options.user ?? ctx.env.DIRECTLINK_USER ?? existing?.user;
  let password = options.passwordStdin ? await readPasswordFromStdin(ctx) : ctx.env.DIRECTLINK_PASSWORD || undefined;

  const prompter = io.isInteractive ? (await import('../ui/prompt.js')).createPrompter(io, { signal: ctx.signal }) : undefined;
  if (!server) {
    if (!prompter) throw missing('server', '--server URL or DIRECTLINK_SERVER');
    server = (await prompter.text('Server URL (e.g. https://host/directlink/v1):')).trim();
  }
  if (!user) {
    if (!prompter) throw missing('user', '--user NAME or DIRECTLINK_USER');
    user = (await prompter.text('User:')).trim();
  }
  if (password === undefined && !options.token) {
    if (!prompter) throw missing('password', '--password-stdin or DIRECTLINK_PASSWORD');
    password = await prompter.password(`Password for ${user}:`);
  }
  if (!server || !user) throw new UsageError('Failed to log in: server and user must not be empty.');

  const { parseServerUrl } = await import('../api/client.js');
  const serverUrl = parseServerUrl(server).href.replace(/\/+$/, '');
  const { defaultProfileName } = await import('../config/store.js');
  const profileName = options.profile ?? defaultProfileName(serverUrl, user);

  // Verify with exactly what was given: no stored secret of another profile takes part.
  const session = await openSession(
    ctx,
    io,
    { ...options, server: serverUrl, user, profile: undefined, passwordStdin: false },
    { store: emptyLookupStore(store), ...(password !== undefined ? { password } : {}) },
  );
  let verified: Awaited<ReturnType<typeof session.client.verifyCredentials>>;
  try {
    verified = await session.client.verifyCredentials({ signal: ctx.signal });
  } finally {
    await session.close();
  }

  let savePassword = options.savePassword;
  if (password === undefined) savePassword = false;
  if (savePassword === undefined) {
    savePassword = prompter ? await prompter.confirm('Store the password in the config file (mode 0600)?', true) : false;
  }
  await store.save(profileName, {
    server: serverUrl,
    user,
    ...(options.auth ? { auth: options.auth } : {}),
    ...(savePassword && password !== undefined ? { password } : {}),
    ...(verified.token ? { token: verified.token } : {}),
  });
  io.info(`Logged in to ${serverUrl} as ${user}; profile "${profileName}" saved in ${store.path} and used by default from now on.`);
  if (!savePassword) {
    io.info('The password was not stored: set DIRECTLINK_PASSWORD or run login again when the token expires.');
  }
}

function missing(what: string, how: string): UsageError {
  return new UsageError(`Failed to log in: no ${what} given and no terminal to ask on.`, { hint: `Pass ${how}.` });
}

/** A view of the store that hides stored profiles, so login verifies only what it was given. */
function emptyLookupStore(store: Awaited<ReturnType<typeof openStore>>): Awaited<ReturnType<typeof openStore>> {
  return {
    ...store,
    path: store.path,
    currentName: undefined,
    get: () => undefined,
    names: () => [],
    save: (name, profile) => store.save(name, profile),
    saveToken: () => Promise.resolve(),
    forgetSecrets: (name) => store.forgetSecrets(name),
    permissionWarnings: () => [],
  };
}
