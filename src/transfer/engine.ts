/**
 * The transfer engine: runs a Plan's downloads in a bounded pool, interrupted downloads
 * first, and reports each file through events. One file failing never stops the others.
 * The engine counts; the UI renders (ui/progress.ts listens to the events).
 */
import { AuthError, InterruptedError, PartialFailureError, ServerError, describeError } from '../errors.js';
import { downloadOne, relistWith, transferKey, type DownloadDeps } from './download.js';
import { interrupted } from './retry.js';
import type { FailureKind, Plan, PlannedDownload, TransferResult } from './types.js';

export interface EngineDeps extends DownloadDeps {
  /** Downloads in flight at most (`--concurrency`); at least 1. */
  readonly concurrency: number;
}

type Downloaded = TransferResult['downloaded'][number];
type Skipped = TransferResult['skipped'][number];
type Failed = TransferResult['failed'][number];

/**
 * Executes a plan. Returns what was downloaded, skipped and failed, in plan order. On abort
 * it starts nothing new, lets the transfers in flight stop (they keep their temporary
 * files), then throws InterruptedError.
 */
export async function runTransfers(plan: Plan, deps: EngineDeps): Promise<TransferResult> {
  const { onEvent, signal } = deps;
  const downloads = plan.items.filter((item) => item.action === 'download');
  // Recovery first: those files already left the inbox and wait in backup, where retention
  // will eventually delete them.
  const queue = [...downloads.filter((item) => item.recovery), ...downloads.filter((item) => !item.recovery)];
  const order = new Map<PlannedDownload, number>(plan.items.map((item, index) => [item, index]));
  const byPlanOrder = <T extends { item: PlannedDownload }>(a: T, b: T): number => (order.get(a.item) ?? 0) - (order.get(b.item) ?? 0);

  onEvent({ type: 'run-start', files: queue.length, bytes: plan.bytesToFetch });

  const skipped: { item: PlannedDownload; entry: Skipped }[] = [];
  for (const item of plan.items) {
    if (item.action !== 'skip') continue;
    const reason = 'a file with that name already exists';
    skipped.push({ item, entry: { id: item.file.id, name: item.file.name, path: item.targetPath, size: item.file.size, reason } });
    onEvent({ type: 'file-skipped', key: transferKey(item), name: item.file.name, targetPath: item.targetPath, reason });
  }

  const downloaded: { item: PlannedDownload; entry: Downloaded }[] = [];
  const failed: { item: PlannedDownload; entry: Failed }[] = [];
  const fileDeps: DownloadDeps = { ...deps, relist: deps.relist ?? relistWith(deps.api, signal) };
  let stop: InterruptedError | undefined;
  let next = 0;

  const fail = (item: PlannedDownload, error: string, partialKept: boolean, kind: FailureKind): void => {
    failed.push({ item, entry: { id: item.file.id, name: item.file.name, path: item.targetPath, size: item.file.size, error, partialKept, kind } });
    onEvent({ type: 'file-failed', key: transferKey(item), name: item.file.name, targetPath: item.targetPath, error, partialKept });
  };

  const worker = async (): Promise<void> => {
    while (stop === undefined && !signal.aborted) {
      const item = queue[next++];
      if (item === undefined) return;
      try {
        const outcome = await downloadOne(item, fileDeps);
        if (outcome.ok) {
          const { file } = item;
          downloaded.push({ item, entry: { id: file.id, name: file.name, path: outcome.path, size: outcome.size, area: file.area, recovered: item.recovery } });
          onEvent({ type: 'file-done', key: transferKey(item), name: file.name, targetPath: outcome.path, size: outcome.size });
        } else {
          fail(item, outcome.error, outcome.partialKept, outcome.kind);
        }
      } catch (error) {
        if (error instanceof InterruptedError || signal.aborted) {
          stop ??= interrupted(error);
          return;
        }
        // A bug in one transfer must not sink the others; whatever it wrote stays on disk.
        fail(item, `Failed to download ${item.file.name}: ${describeError(error)}`, true, 'other');
      }
    }
  };

  const width = Math.max(1, Math.min(Math.floor(deps.concurrency) || 1, queue.length));
  await Promise.all(Array.from({ length: width }, worker));
  if (stop !== undefined || signal.aborted) throw stop ?? interrupted(signal.reason);

  return {
    downloaded: downloaded.sort(byPlanOrder).map((d) => d.entry),
    skipped: skipped.map((s) => s.entry),
    failed: failed.sort(byPlanOrder).map((f) => f.entry),
  };
}

/**
 * The error class a run with failed files ends with (PRODUCT.md, "Exit status"): when nothing
 * was downloaded and every failure was the server's or the network's, ServerError (exit 4:
 * unreachable or failing after the retry budget); when every one was refused credentials,
 * AuthError (exit 3); otherwise PartialFailureError (exit 1).
 */
export function failureErrorFor(result: TransferResult): typeof ServerError | typeof AuthError | typeof PartialFailureError {
  if (result.downloaded.length > 0 || result.failed.length === 0) return PartialFailureError;
  if (result.failed.every((f) => f.kind === 'network' || f.kind === 'server')) return ServerError;
  if (result.failed.every((f) => f.kind === 'auth')) return AuthError;
  return PartialFailureError;
}
