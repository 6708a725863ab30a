/**
 * `directlink get`: finish interrupted downloads, then download the chosen files.
 * Order matters because every download request moves a file on the server: all local
 * checks and the complete listing come before the first download request.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { Area, RemoteFile } from '../api/types.js';
import type { Context, Runtime } from '../context.js';
import { AuthError, InterruptedError, PartialFailureError, UsageError } from '../errors.js';
import { runExecHook } from '../exec-hook.js';
import { addConnectionOptions, addOutputOptions, addSelectionOptions, choiceOption, parseCount, type SelectionFlags } from '../options.js';
import { hasSelectors, reportUnmatched, toSelection } from '../selection.js';
import { openSession, type CommonOptions, type Session } from '../session.js';
import { matchUnfinished, prepareRecovery, type RecoveryPlan } from '../transfer/recovery.js';
import { selectFiles, type SelectionOptions } from '../transfer/select.js';
import type { ConflictPolicy, Plan, TransferResult } from '../transfer/types.js';
import { planDownloads } from '../transfer/plan.js';
import { acquireLock, checkFreeSpace, checkWritable, findUnfinished, listExistingNames, removeJournal, type Unfinished } from '../transfer/workdir.js';
import type { IO } from '../ui/io.js';
import { escapeForTerminal, formatSize, toJsonText } from '../ui/render.js';

export interface GetOptions extends CommonOptions, SelectionFlags {
  all?: boolean;
  pick?: boolean;
  backup?: boolean;
  output?: string;
  concurrency?: number;
  onConflict?: ConflictPolicy;
  dryRun?: boolean;
  spaceCheck?: boolean;
  exec?: string;
}

export function getCommand(ctx: Context, runtime: Runtime): Command {
  const command = new Command('get')
    .description('download files (finishing any interrupted downloads in the directory first)')
    .argument('[pattern...]', 'glob on the file name, e.g. "*.csv"; none on a terminal opens a picker')
    .option('-a, --all', 'download every file (after filters)')
    .option('--pick', 'choose interactively among the files the patterns and filters select')
    .option('--backup', 'download from the backup area (files already fetched once)')
    .option('-o, --output <dir>', 'where to write (default: current directory; created if missing)')
    .option('-c, --concurrency <n>', 'parallel transfers (default 4)', parseCount('--concurrency', 1, 64))
    .addOption(choiceOption('--on-conflict <policy>', 'when the target name exists: rename (to "name (1).ext"), skip, overwrite or fail', ['rename', 'skip', 'overwrite', 'fail'], 'skip').default('rename'))
    .option('--dry-run', 'show what would be fetched and where; fetch nothing')
    .option('--no-space-check', 'do not refuse when the free disk space looks too small')
    .option('--exec <command>', 'run this shell command after each downloaded file, with its path in $DIRECTLINK_FILE')
    .option('--no-progress', 'no progress bars (plain lines instead)')
    .addHelpText(
      'after',
      `
Examples:
  $ directlink get                        # pick: space, a, i, / filter, enter
  $ directlink get --all -o ~/edi/inbox --exec 'gzip -k "$DIRECTLINK_FILE"'
  $ directlink get 'NF-*.xml' --newer-than 1d --on-conflict skip --dry-run
  $ directlink get --backup --id 42 --id 43   # again, from the backup area

Partial downloads are kept as .NAME.directlink-part with a small .json record;
the next get in the same directory finishes them from the backup area first.`,
    );
  addOutputOptions(addConnectionOptions(addSelectionOptions(command)));
  return command.action(async (patterns: string[], options: GetOptions) => {
    await runGet(ctx, runtime.ioFor(options), patterns, options);
  });
}

async function runGet(ctx: Context, io: IO, patterns: string[], options: GetOptions): Promise<void> {
  // Decide everything that needs no server first: a usage error must not cost a download.
  const selection = toSelection(patterns, options, ctx.now());
  if (options.all && hasSelectors(selection)) {
    throw new UsageError('--all takes every file; it cannot be combined with patterns or --id.', { hint: 'Example: directlink get "*.csv", or directlink get --all' });
  }
  const wantsPicker = options.pick === true || (!options.all && !hasSelectors(selection));
  if (wantsPicker && !io.isInteractive) {
    throw new UsageError(
      options.pick ? '--pick needs a terminal.' : 'Nothing selected: pass a pattern, --id N or --all (there is no terminal to pick on).',
      { hint: 'Example: directlink get --all   or   directlink get "*.csv"' },
    );
  }
  if (options.output === '') throw new UsageError('-o/--output needs a directory.', { hint: 'Example: directlink get --all -o ./inbox' });
  const outputDir = resolve(ctx.cwd, options.output ?? '.');
  const area = options.backup ? 'backup' : 'inbox';

  if (options.dryRun) {
    await dryRun(ctx, io, options, { selection, outputDir, area, wantsPicker });
    return;
  }

  await checkWritable(outputDir);
  const lock = await acquireLock(outputDir, { pid: ctx.pid, now: ctx.now(), command: 'directlink get' });
  let session: Session | undefined;
  try {
    session = await openSession(ctx, io, options, { concurrency: options.concurrency ?? 4 });
    // A crash between the final rename and the record's removal leaves only the record.
    const planned = await planRun(ctx, io, session, { selection, options, outputDir, area, wantsPicker });
    for (const done of planned.completed) await removeJournal(done.targetPath);
    await prepareRecovery(planned.recovery);
    const { plan, fresh, candidates, recovery } = planned;
    if (recovery.recovered.length > 0) {
      const names = recovery.recovered.slice(0, 3).map((r) => r.file.name);
      if (recovery.recovered.length > names.length) names.push(`${recovery.recovered.length - names.length} more`);
      io.info(`Finishing ${recovery.recovered.length} interrupted download${recovery.recovered.length === 1 ? '' : 's'} first, from the backup area: ${names.join(', ')}.`);
    }
    if (plan.items.length === 0) {
      if (!options.json) io.info(fresh.length === 0 ? `No files waiting in the ${areaName(area)} area.` : candidates > 0 ? 'Nothing selected: nothing was downloaded.' : 'No files match.');
      else io.out(toJsonText({ downloaded: [], skipped: [], failed: [] }));
      return;
    }
    if (options.spaceCheck !== false) await checkFreeSpace(outputDir, plan.bytesToFetch);

    const result = await transfer(ctx, io, session, plan, options);
    printResult(io, result, options);
    // A file whose hook failed is still downloaded (complete, under its final name), but the
    // run did not do everything asked: exit 1, naming the files so a script can act on them.
    const execFailed = result.downloaded.filter((entry) => result.execStatus.has(entry.path) && result.execStatus.get(entry.path) !== 0);
    if (result.failed.length > 0 || execFailed.length > 0) {
      const parts = [];
      if (result.failed.length > 0) parts.push(`${result.failed.length} of ${plan.items.length} files failed`);
      if (execFailed.length > 0) {
        const shown = execFailed.slice(0, 3).map((entry) => `${entry.name} (${describeStatus(result.execStatus.get(entry.path) ?? null)})`);
        if (execFailed.length > shown.length) shown.push(`${execFailed.length - shown.length} more`);
        parts.push(`--exec failed for ${execFailed.length} file${execFailed.length === 1 ? '' : 's'}: ${shown.join(', ')}`);
      }
      // Every file failed alike (server down, credentials refused): exit 4 or 3, not 1.
      const { failureErrorFor } = await import('../transfer/engine.js');
      const RunFailure = execFailed.length > 0 ? PartialFailureError : failureErrorFor(result);
      const hint =
        RunFailure === AuthError
          ? 'Check the credentials (`directlink login`), then run the same command again.'
          : result.failed.length > 0
            ? 'Run the same command again: partial files are finished from the backup area.'
            : undefined;
      throw new RunFailure(`${parts.join('; ')}.`, hint === undefined ? undefined : { hint });
    }
  } finally {
    await session?.close();
    await lock.release();
  }
}

interface RunResult extends TransferResult {
  /** --exec: the hook's exit status per downloaded path (null: killed by a signal). */
  readonly execStatus: ReadonlyMap<string, number | null>;
}

function areaName(area: 'inbox' | 'backup'): string {
  return area === 'inbox' ? "user's" : 'backup';
}

interface RunPlan {
  readonly plan: Plan;
  /** The listing of the area asked for. */
  readonly fresh: readonly RemoteFile[];
  /** Files the patterns and filters selected, before the picker. */
  readonly candidates: number;
  readonly recovery: RecoveryPlan;
  /** Records of downloads that did finish (only the record is left to remove). */
  readonly completed: readonly Unfinished[];
}

/**
 * Decides what a run does, touching nothing: lists the area (and, when interrupted downloads
 * wait in the directory, both areas to find them), selects, lets a person pick, plans names.
 * The real run and --dry-run share it, so the dry run shows exactly what the run would do.
 */
async function planRun(
  ctx: Context,
  io: IO,
  session: Session,
  run: { selection: SelectionOptions; options: GetOptions; outputDir: string; area: Area; wantsPicker: boolean },
): Promise<RunPlan> {
  const { selection, options, outputDir, area } = run;
  const listings = new Map<Area, Promise<RemoteFile[]>>();
  const listing = (which: Area): Promise<RemoteFile[]> => {
    let files = listings.get(which);
    if (!files) {
      files = session.client.listAll(which, { signal: ctx.signal });
      listings.set(which, files);
    }
    return files;
  };
  const fresh = await listing(area);
  // Interrupted downloads are finished first; their files now live in the backup area.
  const unfinished = await findUnfinished(outputDir);
  for (const problem of unfinished.problems) io.warn(`Leaving ${problem.path} alone: ${problem.reason}`);
  const recovery = unfinished.unfinished.length > 0 ? matchUnfinished(unfinished.unfinished, await listing('backup'), await listing('inbox')) : { recovered: [], missing: [] };
  for (const lost of recovery.missing) {
    io.warn(`Cannot finish ${lost.record.name}: it is no longer in the backup area (the server's retention may have expired). Its partial file ${lost.partPath} is kept; delete it and its .json record once you no longer need them.`);
  }
  let chosen = selectFiles(fresh, selection);
  // A pattern that matches a file being recovered did match something.
  reportUnmatched(io, [...fresh, ...recovery.recovered.map((r) => r.file)], selection);
  const candidates = chosen.length;
  if (run.wantsPicker && candidates > 0) chosen = await pickFiles(ctx, io, chosen, area);
  // A file being recovered is not downloaded a second time as new work.
  const recovering = new Set(recovery.recovered.map((r) => `${r.file.area}:${r.file.id}`));
  chosen = chosen.filter((file) => !recovering.has(`${file.area}:${file.id}`));
  const plan = planDownloads({
    files: chosen,
    outputDir,
    policy: options.onConflict ?? 'rename',
    existingNames: await listExistingNames(outputDir),
    recovered: recovery.recovered,
  });
  return { plan, fresh, candidates, recovery, completed: unfinished.completed };
}

/**
 * The interactive picker over `files` (the patterns and filters already applied). Esc or
 * Ctrl-C in the picker is a cancel: exit 130 before any download request.
 */
async function pickFiles(ctx: Context, io: IO, files: RemoteFile[], area: 'inbox' | 'backup'): Promise<RemoteFile[]> {
  const { createPrompter } = await import('../ui/prompt.js');
  try {
    return await createPrompter(io, { signal: ctx.signal }).pickFiles(files, { message: `Select files to download from the ${areaName(area)} area` });
  } catch (error) {
    if (error instanceof InterruptedError && !ctx.signal.aborted) throw new InterruptedError('Cancelled: nothing was downloaded.', { cause: error });
    throw error;
  }
}

async function transfer(ctx: Context, io: IO, session: Session, plan: Plan, options: GetOptions): Promise<RunResult> {
  const { runTransfers } = await import('../transfer/engine.js');
  const { chooseReporterMode, createReporter } = await import('../ui/progress.js');
  const mode = chooseReporterMode(io, { progress: options.progress !== false });
  // Paths relative to the working directory read well at a terminal; a log (cron, whose
  // working directory is often /) wants them absolute.
  const reporter = createReporter(io, mode, mode === 'bars' ? { cwd: ctx.cwd } : {});
  const log = reporter.log.bind(reporter);
  // Under progress bars a hook's raw output would be drawn over by the next redraw: it goes
  // above the bars, a whole line at a time. Elsewhere it passes through untouched.
  const hookOutput = mode === 'bars' ? lineSplitter(log) : { write: (text: string) => void io.stderr.write(text), end: () => undefined };
  const exec = options.exec ? execQueue(ctx, io, log, hookOutput, options.exec) : undefined;
  const started = ctx.now();
  let result: TransferResult;
  try {
    result = await runTransfers(plan, {
      api: session.client,
      signal: ctx.signal,
      concurrency: options.concurrency ?? 4,
      retries: session.retries,
      idleTimeoutMs: session.idleTimeoutMs,
      onEvent: (event) => {
        reporter.onEvent(event);
        if (event.type === 'file-done') exec?.add(event.targetPath, event.name);
      },
    });
  } finally {
    reporter.stop();
  }
  const execStatus = exec ? await exec.settle() : new Map<string, number | null>();
  if (ctx.signal.aborted) throw new InterruptedError('Interrupted: partial downloads are kept and the next `directlink get` finishes them.');
  if (!options.json && !options.quiet) {
    const { formatSummary } = await import('../ui/progress.js');
    io.err(formatSummary(result, ctx.now() - started));
  }
  return { ...result, execStatus };
}

/** Runs --exec hooks one at a time, in the order files complete, without holding up downloads. */
function execQueue(
  ctx: Context,
  io: IO,
  log: (line: string) => void,
  hookOutput: { write(text: string): void; end(): void },
  command: string,
): { add(path: string, name: string): void; settle(): Promise<Map<string, number | null>> } {
  let chain = Promise.resolve();
  const statuses = new Map<string, number | null>();
  return {
    add(path, name) {
      chain = chain.then(async () => {
        const status = await runExecHook(command, path, { env: ctx.env, cwd: ctx.cwd, output: (text) => hookOutput.write(text), signal: ctx.signal });
        hookOutput.end();
        statuses.set(path, status);
        if (status !== 0) {
          log(`exec failed for ${escapeForTerminal(name)}: ${describeStatus(status)}`);
        } else if (io.isVerbose) {
          log(`exec ok for ${escapeForTerminal(name)}`);
        }
      });
    },
    async settle() {
      await chain;
      return statuses;
    },
  };
}

/**
 * Passes text on when `to` takes whole lines (the bars reporter's log): complete lines as
 * they arrive, the unterminated rest at end(). Stdout and stderr of a hook share it.
 */
function lineSplitter(to: (text: string) => void): { write(text: string): void; end(): void } {
  let pending = '';
  return {
    write(text) {
      const parts = (pending + text).split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) to(line);
    },
    end() {
      if (pending !== '') to(pending);
      pending = '';
    },
  };
}

function describeStatus(status: number | null): string {
  return status === null ? 'killed by a signal' : `exit ${status}`;
}

/**
 * `get --json`: the documented schema (README, "JSON output"), spelled out key by key so a
 * field added to the engine's result never leaks into what scripts parse.
 */
function printResult(io: IO, result: RunResult, options: GetOptions): void {
  if (!options.json) return;
  io.out(
    toJsonText({
      downloaded: result.downloaded.map(({ id, name, path, size, area, recovered }) => ({
        id,
        name,
        path,
        size,
        area,
        recovered,
        ...(options.exec ? { execStatus: result.execStatus.get(path) ?? null } : {}),
      })),
      skipped: result.skipped.map(({ id, name, path, size, reason }) => ({ id, name, path, size, reason })),
      failed: result.failed.map(({ id, name, path, size, error, partialKept, kind }) => ({ id, name, path, size, error, partialKept, kind: kind ?? 'other' })),
    }),
  );
}

/** --dry-run: list, select and plan exactly as a real run would, then print the plan. */
async function dryRun(ctx: Context, io: IO, options: GetOptions, run: { selection: SelectionOptions; outputDir: string; area: Area; wantsPicker: boolean }): Promise<void> {
  const { outputDir } = run;
  const session = await openSession(ctx, io, options);
  try {
    const { plan } = await planRun(ctx, io, session, { ...run, options });
    if (options.json) {
      io.out(toJsonText({
        dryRun: true,
        outputDir,
        bytesToFetch: plan.bytesToFetch,
        planned: plan.items.map((item) => ({
          id: item.file.id,
          name: item.file.name,
          area: item.file.area,
          size: item.file.size,
          path: item.targetPath,
          action: item.action,
          conflict: item.conflict,
          recovery: item.recovery,
        })),
      }));
      return;
    }
    for (const item of plan.items) {
      const verb = item.action === 'skip' ? 'would skip' : item.recovery ? 'would finish' : 'would get';
      const note = item.conflict === 'none' ? '' : ` (${item.conflict})`;
      io.out(`${verb} ${escapeForTerminal(item.file.name)} [${item.file.area}, ${formatSize(item.file.size)}] -> ${escapeForTerminal(item.targetPath)}${note}`);
    }
    io.info(`Dry run: ${plan.items.filter((i) => i.action === 'download').length} to fetch (${formatSize(plan.bytesToFetch)}), nothing downloaded.`);
  } finally {
    await session.close();
  }
}
