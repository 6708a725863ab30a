/**
 * `directlink logout`: tell the server (best effort), then forget the stored password and
 * token of the profile. Server and user stay, so `login` can prefill them.
 */
import { Command } from 'commander';
import type { Context, Runtime } from '../context.js';
import { UsageError } from '../errors.js';
import { addConnectionOptions, addOutputOptions } from '../options.js';
import { openSession, openStore, type CommonOptions } from '../session.js';

export function logoutCommand(ctx: Context, runtime: Runtime): Command {
  const command = new Command('logout')
    .description('end the session on the server and forget the stored password and token')
    .addHelpText(
      'after',
      `
Examples:
  $ directlink logout
  $ directlink logout --profile test`,
    );
  addOutputOptions(addConnectionOptions(command), { json: false });
  return command.action(async (options: CommonOptions) => {
    const io = runtime.ioFor(options);
    const store = await openStore(ctx, io);
    const name = options.profile ?? ctx.env.DIRECTLINK_PROFILE ?? store.currentName;
    if (name === undefined) {
      throw new UsageError('Failed to log out: there is no stored profile.', { hint: 'Nothing is stored; `directlink login` creates a profile.' });
    }
    if (!store.get(name)) {
      const known = store.names();
      throw new UsageError(`Failed to log out: there is no profile "${name}".`, {
        hint: known.length > 0 ? `Stored profiles: ${known.join(', ')}.` : 'Nothing is stored; `directlink login` creates a profile.',
      });
    }
    try {
      const session = await openSession(ctx, io, { ...options, profile: name }, { store });
      try {
        await session.client.logout({ signal: ctx.signal });
      } finally {
        await session.close();
      }
    } catch (error) {
      // The server being away must not keep the secrets on disk.
      io.verbose(`logout on the server failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await store.forgetSecrets(name);
    io.info(`Logged out: the password and token of profile "${name}" are forgotten.`);
  });
}
