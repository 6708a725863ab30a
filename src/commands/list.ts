/**
 * `directlink list`: the files waiting in the user's area (or, with --backup, the backup
 * area) as a table for people or JSON for scripts.
 */
import { Command } from 'commander';
import type { Context, Runtime } from '../context.js';
import { addConnectionOptions, addOutputOptions, addSelectionOptions, type SelectionFlags } from '../options.js';
import { reportUnmatched, toSelection } from '../selection.js';
import { openSession, type CommonOptions } from '../session.js';
import { selectFiles } from '../transfer/select.js';
import { renderFileTable, toJsonText, toListJson } from '../ui/render.js';

export interface ListOptions extends CommonOptions, SelectionFlags {
  backup?: boolean;
}

export function listCommand(ctx: Context, runtime: Runtime): Command {
  const command = new Command('list')
    .alias('ls')
    .description('list the files waiting for you (or, with --backup, those already fetched)')
    .argument('[pattern...]', 'glob on the file name, e.g. "*.csv" or "NF-2026-??-*.xml"')
    .option('--backup', 'list the backup area (files already downloaded once)')
    .addHelpText(
      'after',
      `
Examples:
  $ directlink list
  $ directlink list '*.csv' --newer-than 2d
  $ directlink list --backup --sort modified --limit 20
  $ directlink list --json | jq -r '.[].name'`,
    );
  addOutputOptions(addConnectionOptions(addSelectionOptions(command)));
  return command.action(async (patterns: string[], options: ListOptions) => {
    const io = runtime.ioFor(options);
    const selection = toSelection(patterns, options, ctx.now());
    const session = await openSession(ctx, io, options);
    try {
      const files = await session.client.listAll(options.backup ? 'backup' : 'inbox', { signal: ctx.signal });
      const selected = selectFiles(files, selection);
      reportUnmatched(io, files, selection);
      if (options.json) {
        io.out(toJsonText(toListJson(selected)));
        return;
      }
      // Piped output keeps whole names; only a terminal gets names shortened to fit.
      const columns = io.isStdoutTTY ? io.columns : Number.MAX_SAFE_INTEGER;
      io.out(renderFileTable(selected, { columns, chalk: io.chalk }));
    } finally {
      await session.close();
    }
  });
}
