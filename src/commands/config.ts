/**
 * `directlink config`: show the active profile (never a secret, only whether one is stored)
 * and where the config file is.
 */
import { Command } from 'commander';
import type { Context, Runtime } from '../context.js';
import { resolveConnection } from '../config/settings.js';
import { addOutputOptions } from '../options.js';
import { openStore, type CommonOptions } from '../session.js';
import { toJsonText } from '../ui/render.js';

export function configCommand(ctx: Context, runtime: Runtime): Command {
  const command = new Command('config')
    .description('show the active profile and the config file path (secrets are never shown)')
    .option('--profile <name>', 'show this stored profile (env DIRECTLINK_PROFILE)')
    .addHelpText(
      'after',
      `
Examples:
  $ directlink config
  $ directlink config --json | jq -r .configFile`,
    );
  addOutputOptions(command);
  return command.action(async (options: CommonOptions) => {
    const io = runtime.ioFor(options);
    const store = await openStore(ctx, io);
    const resolved = resolveConnection({ profile: options.profile }, ctx.env, store);
    const profile = resolved.profileName ? store.get(resolved.profileName) : undefined;
    const now = ctx.now();
    const token = profile?.token && profile.token.expiresAt > now ? profile.token : undefined;
    const view = {
      configFile: store.path,
      profile: resolved.profileName ?? null,
      profiles: store.names(),
      server: resolved.server ?? null,
      user: resolved.user ?? null,
      auth: resolved.auth,
      password: resolved.passwordSource ?? null,
      tokenCachedUntil: token ? new Date(token.expiresAt).toISOString() : null,
      sources: {
        server: ctx.env.DIRECTLINK_SERVER ? 'env' : profile ? 'profile' : null,
        user: ctx.env.DIRECTLINK_USER ? 'env' : profile ? 'profile' : null,
      },
    };
    if (options.json) {
      io.out(toJsonText(view));
      return;
    }
    const rows: [string, string][] = [
      ['config file', view.configFile],
      ['profile', view.profile ?? '(none; run `directlink login`)'],
      ['server', view.server ?? '(not set)'],
      ['user', view.user ?? '(not set)'],
      ['auth', view.auth],
      ['password', describePassword(view.password)],
      ['token', view.tokenCachedUntil ? `cached until ${view.tokenCachedUntil}` : 'none cached'],
    ];
    if (view.profiles.length > 1) rows.push(['other profiles', view.profiles.filter((n) => n !== view.profile).join(', ')]);
    const width = Math.max(...rows.map(([key]) => key.length));
    for (const [key, value] of rows) io.out(`${key.padEnd(width)}  ${value}`);
  });
}

function describePassword(source: string | null): string {
  switch (source) {
    case 'profile': return 'stored (hidden)';
    case 'env': return 'from DIRECTLINK_PASSWORD (hidden)';
    case 'stdin': return 'from standard input (hidden)';
    default: return 'not stored';
  }
}
