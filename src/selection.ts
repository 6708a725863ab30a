/**
 * Turns the selection flags of `list` and `get` into SelectionOptions, rejecting bad values
 * with a usage error that shows a valid example (exit 2).
 */
import { UsageError } from './errors.js';
import type { SelectionFlags } from './options.js';
import { unmatchedSelectors, validatePattern, type SelectionOptions } from './transfer/select.js';
import type { RemoteFile } from './api/types.js';
import type { IO } from './ui/io.js';
import { parseNonNegativeInt, parsePositiveInt, parseSize, parseTimeSpec } from './transfer/units.js';

/** Pure: flags + patterns + now → what to select. */
export function toSelection(patterns: readonly string[], flags: SelectionFlags, now: number): SelectionOptions {
  for (const pattern of patterns) validatePattern(pattern);
  const selection = buildSelection(patterns, flags, now);
  // Ranges that can match nothing are a typo, not a request for an empty result.
  if (selection.minSize !== undefined && selection.maxSize !== undefined && selection.minSize > selection.maxSize) {
    throw new UsageError(`--min-size ${flags.minSize} is larger than --max-size ${flags.maxSize}: no file could match.`, { hint: 'Example: --min-size 1MB --max-size 10MB' });
  }
  if (selection.newerThan !== undefined && selection.olderThan !== undefined && selection.newerThan >= selection.olderThan) {
    throw new UsageError(`--newer-than ${flags.newerThan} is not before --older-than ${flags.olderThan}: no file could match.`, { hint: 'Example: --newer-than 7d --older-than 1d (modified between 7 and 1 days ago)' });
  }
  return selection;
}

function buildSelection(patterns: readonly string[], flags: SelectionFlags, now: number): SelectionOptions {
  return {
    patterns,
    ignoreCase: flags.ignoreCase ?? false,
    ids: (flags.id ?? []).map((value) => parseNonNegativeInt('--id', value)),
    ...(flags.newerThan !== undefined ? { newerThan: parseTimeSpec(flags.newerThan, now, '--newer-than') } : {}),
    ...(flags.olderThan !== undefined ? { olderThan: parseTimeSpec(flags.olderThan, now, '--older-than') } : {}),
    ...(flags.minSize !== undefined ? { minSize: parseSize(flags.minSize, '--min-size') } : {}),
    ...(flags.maxSize !== undefined ? { maxSize: parseSize(flags.maxSize, '--max-size') } : {}),
    ...(flags.sort !== undefined ? { sort: flags.sort } : {}),
    reverse: flags.reverse ?? false,
    ...(flags.limit !== undefined ? { limit: parsePositiveInt('--limit', flags.limit) } : {}),
  };
}

/** True when the flags pick files (patterns or ids); filters alone narrow "everything". */
export function hasSelectors(selection: SelectionOptions): boolean {
  return selection.patterns.length > 0 || selection.ids.length > 0;
}

/** Warns about each pattern or id that matched no listed file (a typo should not pass silently). */
export function reportUnmatched(io: IO, files: readonly RemoteFile[], selection: SelectionOptions): void {
  const unmatched = unmatchedSelectors(files, selection);
  for (const pattern of unmatched.patterns) io.warn(`No file matches "${pattern}".`);
  for (const id of unmatched.ids) io.warn(`No file has id ${id}.`);
}
