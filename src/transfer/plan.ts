/**
 * Decide, before any byte moves, what `get` will do with each selected file and under which
 * local name (PRODUCT.md, "Downloads that never lose data"). Pure: the caller reads the
 * directory and passes its names in; `--dry-run` prints the result, the engine executes it.
 */
import { join } from 'node:path';
import type { RemoteFile } from '../api/types.js';
import { LocalError } from '../errors.js';
import type { ConflictPolicy, Plan, PlannedDownload } from './types.js';
import { isReservedName, journalNameFor, journalTmpNameFor, nameKey, numberedName, partNameFor, safeFileName } from './names.js';

/** An interrupted download found in the output directory and matched to a listed file. */
export interface RecoveredDownload {
  /** The file as listed now (in the backup area: the server moved it there). */
  readonly file: RemoteFile;
  /** The target name recorded in the sidecar; its temporary file is partNameFor(targetName). */
  readonly targetName: string;
  /** Bytes already in the temporary file. */
  readonly offset: number;
}

export interface PlanInput {
  readonly files: readonly RemoteFile[];
  /** Absolute path of the output directory. */
  readonly outputDir: string;
  readonly policy: ConflictPolicy;
  /** Names currently in the output directory, as readdir returns them. */
  readonly existingNames: ReadonlySet<string>;
  readonly recovered?: readonly RecoveredDownload[];
}

/**
 * Plan the downloads: recovered items first (journalled names kept), then each file under
 * safeFileName(name). A name taken by an existing file is settled by the policy; a name taken
 * by another file of this run, or by leftover temporary files, is always renamed
 * (`name (1).ext`), so no file of a run overwrites another. Names compare case-insensitively.
 * `fail` throws LocalError at the first clash with an existing file.
 */
export function planDownloads(input: PlanInput): Plan {
  const { outputDir, policy } = input;
  const existing = new Map<string, string>();
  for (const name of input.existingNames) existing.set(nameKey(name), name);
  const planned = new Set<string>();
  const items: PlannedDownload[] = [];
  let bytesToFetch = 0;

  const claim = (targetName: string): void => {
    for (const name of [targetName, partNameFor(targetName), journalNameFor(targetName), journalTmpNameFor(targetName)]) {
      planned.add(nameKey(name));
    }
  };
  // Taken by this run, or on disk as a temporary file or sidecar of some other download.
  const isBusy = (targetName: string): boolean =>
    planned.has(nameKey(targetName)) ||
    [partNameFor(targetName), journalNameFor(targetName), journalTmpNameFor(targetName)].some((n) => existing.has(nameKey(n)) || planned.has(nameKey(n)));
  // Where the numbering of each wanted name goes on: numbers below it are taken for good.
  const nextNumber = new Map<string, number>();
  const freeName = (wanted: string): string => {
    const start = nextNumber.get(nameKey(wanted)) ?? 1;
    // Each n gives a distinct name, so a free one turns up within (names taken + 1) tries.
    const bound = start + existing.size + planned.size;
    for (let n = start; n <= bound; n++) {
      const candidate = numberedName(wanted, n);
      if (!existing.has(nameKey(candidate)) && !isBusy(candidate) && !isReservedName(candidate)) {
        nextNumber.set(nameKey(wanted), n + 1);
        return candidate;
      }
    }
    throw new LocalError(`Failed to plan downloads: found no free name for ${wanted}.`);
  };
  const push = (item: Omit<PlannedDownload, 'targetPath'>, offset: number): void => {
    items.push({ ...item, targetPath: join(outputDir, item.targetName) });
    if (item.action === 'download') bytesToFetch += Math.max(0, item.file.size - offset);
  };

  const recoveredIds = new Set<string>();
  for (const r of input.recovered ?? []) {
    if (safeFileName(r.targetName) !== r.targetName) {
      // Sidecars are validated when read (workdir.ts); reaching this is a bug, not bad luck.
      throw new LocalError(`Failed to plan downloads: the interrupted download ${JSON.stringify(r.targetName)} has an unusable target name.`);
    }
    recoveredIds.add(fileKey(r.file));
    if (planned.has(nameKey(r.targetName))) {
      // Two sidecars naming one target (only a hand-made directory has them): finish the
      // first, leave the other's files alone.
      push({ file: r.file, targetName: r.targetName, action: 'skip', conflict: 'skipped', recovery: true }, r.offset);
      continue;
    }
    const onDisk = existing.get(nameKey(r.targetName));
    claim(r.targetName);
    if (onDisk === undefined) {
      push({ file: r.file, targetName: r.targetName, action: 'download', conflict: 'none', recovery: true }, r.offset);
      continue;
    }
    // Someone put a file under the journalled name while the download was interrupted.
    // Renaming would orphan the temporary file (its name follows the target's), so only an
    // explicit overwrite or skip proceeds; otherwise the user decides.
    if (policy === 'overwrite') {
      push({ file: r.file, targetName: r.targetName, action: 'download', conflict: 'overwritten', recovery: true }, r.offset);
    } else if (policy === 'skip') {
      push({ file: r.file, targetName: r.targetName, action: 'skip', conflict: 'skipped', recovery: true }, r.offset);
    } else {
      throw new LocalError(
        `Failed to plan downloads: the interrupted download of ${r.targetName} can't be finished because ${r.targetName} now exists in ${outputDir}.`,
        { hint: 'Move that file away and run again, or use --on-conflict overwrite or --on-conflict skip.' },
      );
    }
  }

  for (const file of input.files) {
    // The same file listed again (a `get --backup` that also recovers it) is fetched once.
    if (recoveredIds.has(fileKey(file))) continue;
    const wanted = safeFileName(file.name);
    const clashing = existing.get(nameKey(wanted));
    // Settle a clash on the name as spelled on disk (when that spelling is itself safe).
    const onDisk = clashing === undefined ? undefined : safeFileName(clashing) === clashing ? clashing : wanted;
    if (isBusy(wanted)) {
      // Another file of this run (or an unfinished download) has this name: rename whatever the policy.
      const targetName = freeName(wanted);
      claim(targetName);
      push({ file, targetName, action: 'download', conflict: 'renamed', recovery: false }, 0);
    } else if (onDisk === undefined) {
      claim(wanted);
      push({ file, targetName: wanted, action: 'download', conflict: 'none', recovery: false }, 0);
    } else if (policy === 'skip') {
      push({ file, targetName: onDisk, action: 'skip', conflict: 'skipped', recovery: false }, 0);
    } else if (policy === 'overwrite') {
      // Replace the file that clashes, spelled as on disk: on a case-sensitive file system
      // writing `a.txt` beside `A.txt` would overwrite nothing and leave both.
      claim(onDisk);
      push({ file, targetName: onDisk, action: 'download', conflict: 'overwritten', recovery: false }, 0);
    } else if (policy === 'fail') {
      throw new LocalError(`Failed to plan downloads: ${onDisk} already exists in ${outputDir} (--on-conflict fail).`, {
        hint: 'Use --on-conflict rename, skip or overwrite, or choose another --output directory.',
      });
    } else {
      const targetName = freeName(wanted);
      claim(targetName);
      push({ file, targetName, action: 'download', conflict: 'renamed', recovery: false }, 0);
    }
  }

  return { outputDir, items, bytesToFetch };
}

function fileKey(file: RemoteFile): string {
  return `${file.area}:${file.id}`;
}
