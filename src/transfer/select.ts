/**
 * Which listed files a `list` or `get` is about: patterns and ids pick, filters narrow,
 * then sort and limit. Pure.
 *
 * Patterns are globs on the whole file name (`*`, `?`, `[abc]`, `{a,b}`, extglobs), dot files
 * included, case-sensitive unless `ignoreCase`. Names are not paths: `*` and `?` also match a
 * `/` inside a name. A leading `!` is literal (no negation), `\` escapes the next character.
 *
 * Sorting: `name` A→Z (numbers in names compare as numbers: `f2` before `f10`), `size`
 * largest first, `modified` newest first (as `ls -S` and `ls -t`); `reverse` flips the
 * order; ties and the unsorted default keep the server's listing order.
 */
import picomatch from 'picomatch';
import type { RemoteFile } from '../api/types.js';
import { UsageError, describeError } from '../errors.js';

export type SortKey = 'name' | 'size' | 'modified';

export interface SelectionOptions {
  /** Globs on the file name; a file matching any of them is picked. */
  readonly patterns: readonly string[];
  readonly ignoreCase: boolean;
  /** Ids to pick, besides the patterns. */
  readonly ids: readonly number[];
  /** Keep files modified at or after this epoch ms. */
  readonly newerThan?: number;
  /** Keep files modified strictly before this epoch ms. */
  readonly olderThan?: number;
  /** Keep files of at least this many bytes. */
  readonly minSize?: number;
  /** Keep files of at most this many bytes. */
  readonly maxSize?: number;
  readonly sort?: SortKey;
  readonly reverse: boolean;
  /** Keep at most this many files, after sorting. */
  readonly limit?: number;
}

// picomatch treats `/` as a path separator that `*` never crosses. File names are not paths,
// so `/` is swapped for a private-use character (in names and patterns alike) before matching.
// A name that really contains U+E000 then also matches a pattern's `/`; nobody will notice.
const SLASH_STAND_IN = '\uE000';

/** Throw UsageError unless the pattern is a usable glob (non-empty, compiles). */
export function validatePattern(pattern: string): void {
  compilePattern(pattern, false);
}

/**
 * Pick files: with no patterns and no ids every file, else those matching any pattern or id;
 * then the filters (all must hold), the sort, the limit. The input is not modified.
 */
export function selectFiles(files: readonly RemoteFile[], opts: SelectionOptions): RemoteFile[] {
  const matchers = opts.patterns.map((p) => compilePattern(p, opts.ignoreCase));
  const ids = new Set(opts.ids);
  const pickAll = matchers.length === 0 && ids.size === 0;
  const picked = files.filter((f) => (pickAll || ids.has(f.id) || matchers.some((m) => m(f.name))) && passesFilters(f, opts));
  const sorted = opts.sort === undefined ? picked : sortFiles(picked, opts.sort);
  const ordered = opts.reverse ? sorted.reverse() : sorted;
  return opts.limit === undefined ? ordered : ordered.slice(0, Math.max(0, opts.limit));
}

/**
 * The patterns and ids that picked nothing in `files` (before filters), so a command can say
 * "no file matches 'x'" instead of silently doing less than asked.
 */
export function unmatchedSelectors(files: readonly RemoteFile[], opts: Pick<SelectionOptions, 'patterns' | 'ids' | 'ignoreCase'>): { patterns: string[]; ids: number[] } {
  const listedIds = new Set(files.map((f) => f.id));
  return {
    patterns: opts.patterns.filter((p) => {
      const match = compilePattern(p, opts.ignoreCase);
      return !files.some((f) => match(f.name));
    }),
    ids: opts.ids.filter((id) => !listedIds.has(id)),
  };
}

function compilePattern(pattern: string, ignoreCase: boolean): (name: string) => boolean {
  if (pattern === '') {
    throw new UsageError('Failed to read pattern "": a pattern must not be empty, e.g. \'*.csv\' or \'NF-2026-??-*.xml\'.');
  }
  let isMatch: (name: string) => boolean;
  try {
    isMatch = picomatch(pattern.replaceAll('/', SLASH_STAND_IN), {
      dot: true,
      nocase: ignoreCase,
      nonegate: true,
      // Same meaning on every platform: `\` escapes, it is never a separator.
      windows: false,
    });
  } catch (error) {
    throw new UsageError(`Failed to read pattern ${JSON.stringify(pattern)}: ${describeError(error)}.`, { cause: error });
  }
  return (name) => isMatch(name.replaceAll('/', SLASH_STAND_IN));
}

function passesFilters(file: RemoteFile, opts: SelectionOptions): boolean {
  if (opts.newerThan !== undefined && !(file.modified >= opts.newerThan)) return false;
  if (opts.olderThan !== undefined && !(file.modified < opts.olderThan)) return false;
  if (opts.minSize !== undefined && !(file.size >= opts.minSize)) return false;
  if (opts.maxSize !== undefined && !(file.size <= opts.maxSize)) return false;
  return true;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

function sortFiles(files: RemoteFile[], key: SortKey): RemoteFile[] {
  // Array.prototype.sort is stable: equal keys keep the listing order.
  const compare: (a: RemoteFile, b: RemoteFile) => number =
    key === 'name'
      ? (a, b) => collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
      : key === 'size'
        ? (a, b) => b.size - a.size
        : (a, b) => b.modified - a.modified;
  return [...files].sort(compare);
}
