/**
 * Matching interrupted downloads (their sidecar records) to files the server lists now.
 * The server moved each such file to its backup area when it was first requested, so the
 * backup listing is searched first; the user's area second, for a run killed before its
 * first request reached the server (directlink-api.md, "Side effect that matters most").
 */
import { truncate } from 'node:fs/promises';
import type { RemoteFile } from '../api/types.js';
import { LocalError, describeError } from '../errors.js';
import type { RecoveredDownload } from './plan.js';
import type { Unfinished } from './workdir.js';

export interface RecoveryMatch extends RecoveredDownload {
  readonly unfinished: Unfinished;
  /**
   * True when the listed file is only probably the same one (same name and size, another
   * `modified`): appending its bytes to ours could splice two files, so it starts over.
   */
  readonly restart: boolean;
}

export interface RecoveryPlan {
  readonly recovered: readonly RecoveryMatch[];
  /** Interrupted downloads whose file the server no longer lists (retention ran out). */
  readonly missing: readonly Unfinished[];
}

/**
 * Pure: pairs each unfinished download with a listed file by name and length, preferring
 * equal `modified`, then equal id. A listed file is used for one unfinished download at most.
 */
export function matchUnfinished(unfinished: readonly Unfinished[], backup: readonly RemoteFile[], inbox: readonly RemoteFile[]): RecoveryPlan {
  const used = new Set<RemoteFile>();
  const recovered: RecoveryMatch[] = [];
  const missing: Unfinished[] = [];
  for (const item of unfinished) {
    const match = bestMatch(item, backup, used) ?? bestMatch(item, inbox, used);
    if (!match) {
      missing.push(item);
      continue;
    }
    used.add(match.file);
    recovered.push({
      file: match.file,
      targetName: item.targetName,
      offset: match.exact ? Math.min(item.partBytes, match.file.size) : 0,
      unfinished: item,
      restart: !match.exact && item.partBytes > 0,
    });
  }
  return { recovered, missing };
}

function bestMatch(item: Unfinished, files: readonly RemoteFile[], used: ReadonlySet<RemoteFile>): { file: RemoteFile; exact: boolean } | undefined {
  const { record } = item;
  const candidates = files.filter((file) => !used.has(file) && file.name === record.name && file.size === record.size);
  const rank = (file: RemoteFile): number => (file.modified === record.modified ? 2 : 0) + (file.id === record.id ? 1 : 0);
  const best = candidates.sort((a, b) => rank(b) - rank(a))[0];
  return best ? { file: best, exact: best.modified === record.modified } : undefined;
}

/** Empties the temporary files of matches that must start over. Throws LocalError. */
export async function prepareRecovery(plan: RecoveryPlan): Promise<void> {
  for (const match of plan.recovered) {
    if (!match.restart) continue;
    try {
      await truncate(match.unfinished.partPath, 0);
    } catch (error) {
      throw new LocalError(`Failed to restart the partial file ${match.unfinished.partPath}: ${describeError(error)}`, { cause: error });
    }
  }
}
