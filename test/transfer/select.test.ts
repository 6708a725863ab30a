import { describe, expect, it } from 'vitest';
import type { RemoteFile } from '../../src/api/types.js';
import { UsageError } from '../../src/errors.js';
import { type SelectionOptions, selectFiles, unmatchedSelectors, validatePattern } from '../../src/transfer/select.js';

const file = (id: number, name: string, size = 100, modified = 1_000_000): RemoteFile => ({
  id,
  name,
  size,
  modified,
  link: `http://127.0.0.1/download/file?k=secret${id}`,
  area: 'inbox',
});

const FILES: RemoteFile[] = [
  file(1, 'NF-2026-01-a.xml', 500, 3000),
  file(2, 'report.csv', 100, 1000),
  file(3, 'Report.CSV', 300, 5000),
  file(4, '.hidden.csv', 200, 2000),
  file(5, 'dir/like.csv', 400, 4000),
  file(6, 'f10.txt', 50, 6000),
  file(7, 'f2.txt', 50, 6000),
];

const base: SelectionOptions = { patterns: [], ignoreCase: false, ids: [], reverse: false };
const ids = (opts: Partial<SelectionOptions>, files: readonly RemoteFile[] = FILES): number[] => selectFiles(files, { ...base, ...opts }).map((f) => f.id);

describe('selectFiles: picking', () => {
  it.each<[string, Partial<SelectionOptions>, number[]]>([
    ['everything when nothing is asked', {}, [1, 2, 3, 4, 5, 6, 7]],
    ['a glob, case-sensitive, dot files included', { patterns: ['*.csv'] }, [2, 4, 5]],
    ['a glob ignoring case', { patterns: ['*.csv'], ignoreCase: true }, [2, 3, 4, 5]],
    ['? and a fixed prefix', { patterns: ['NF-2026-??-*.xml'] }, [1]],
    ['* across a slash inside a name', { patterns: ['dir*'] }, [5]],
    ['? matches a slash', { patterns: ['dir?like.csv'] }, [5]],
    ['a literal slash', { patterns: ['dir/like.csv'] }, [5]],
    ['a pattern that matches nothing', { patterns: ['*.pdf'] }, []],
    ['several patterns: any', { patterns: ['*.xml', 'f*'] }, [1, 6, 7]],
    ['ids', { ids: [3, 6] }, [3, 6]],
    ['ids or patterns', { ids: [2], patterns: ['*.xml'] }, [1, 2]],
    ['an unknown id', { ids: [99] }, []],
    ['braces', { patterns: ['{report,f2}.*'] }, [2, 7]],
    ['character class', { patterns: ['f[12]*.txt'] }, [6, 7]],
    ['a leading ! is literal, not negation', { patterns: ['!*.csv'] }, []],
  ])('%s', (_label, opts, expected) => {
    expect(ids(opts)).toEqual(expected);
  });

  it('matches names with glob-like characters literally when escaped or plain', () => {
    const files = [file(1, 'report (1).csv'), file(2, '!urgent.txt'), file(3, 'a[1].txt'), file(4, 'star*.txt'), file(5, 'starry.txt')];
    expect(ids({ patterns: ['report (1).csv'] }, files)).toEqual([1]);
    expect(ids({ patterns: ['!urgent.txt'] }, files)).toEqual([2]);
    expect(ids({ patterns: ['a\\[1\\].txt'] }, files)).toEqual([3]);
    expect(ids({ patterns: ['star\\*.txt'] }, files)).toEqual([4]);
  });
});

describe('selectFiles: filters', () => {
  it.each<[string, Partial<SelectionOptions>, number[]]>([
    ['newer than (inclusive)', { newerThan: 5000 }, [3, 6, 7]],
    ['older than (exclusive)', { olderThan: 3000 }, [2, 4]],
    ['a time window', { newerThan: 2000, olderThan: 5000 }, [1, 4, 5]],
    ['min size (inclusive)', { minSize: 300 }, [1, 3, 5]],
    ['max size (inclusive)', { maxSize: 100 }, [2, 6, 7]],
    ['filters narrow a pattern', { patterns: ['*.csv'], minSize: 200 }, [4, 5]],
    ['filters narrow ids too', { ids: [1, 2], maxSize: 100 }, [2]],
  ])('%s', (_label, opts, expected) => {
    expect(ids(opts)).toEqual(expected);
  });
});

describe('selectFiles: sort, reverse, limit', () => {
  it.each<[string, Partial<SelectionOptions>, number[]]>([
    ['listing order by default', {}, [1, 2, 3, 4, 5, 6, 7]],
    ['reverse of the listing', { reverse: true }, [7, 6, 5, 4, 3, 2, 1]],
    ['name, numbers as numbers', { sort: 'name' }, [4, 5, 7, 6, 1, 2, 3]],
    ['size: largest first, ties keep listing order', { sort: 'size' }, [1, 5, 3, 4, 2, 6, 7]],
    ['size reversed: smallest first', { sort: 'size', reverse: true }, [7, 6, 2, 4, 3, 5, 1]],
    ['modified: newest first', { sort: 'modified' }, [6, 7, 3, 5, 1, 4, 2]],
    ['limit after sort', { sort: 'modified', limit: 2 }, [6, 7]],
    ['limit with filters', { patterns: ['*.csv'], limit: 1 }, [2]],
    ['limit 0', { limit: 0 }, []],
    ['limit beyond the count', { limit: 50 }, [1, 2, 3, 4, 5, 6, 7]],
  ])('%s', (_label, opts, expected) => {
    expect(ids(opts)).toEqual(expected);
  });

  it('does not modify its input', () => {
    const copy = [...FILES];
    selectFiles(FILES, { ...base, sort: 'size', reverse: true });
    expect(FILES).toEqual(copy);
  });
});

describe('patterns', () => {
  it('rejects an empty pattern with an example', () => {
    expect(() => validatePattern('')).toThrow(UsageError);
    expect(() => validatePattern('')).toThrow(/e\.g\. '\*\.csv'/u);
    expect(() => selectFiles(FILES, { ...base, patterns: [''] })).toThrow(UsageError);
  });

  it('rejects a pattern the matcher refuses', () => {
    expect(() => validatePattern('a'.repeat(70_000))).toThrow(UsageError);
  });

  it('accepts ordinary patterns', () => {
    for (const p of ['*', '*.csv', 'NF-2026-??-*.xml', '[abc]*', '(', '[']) expect(() => validatePattern(p)).not.toThrow();
  });

  it('reports the patterns and ids that picked nothing', () => {
    expect(unmatchedSelectors(FILES, { patterns: ['*.csv', '*.pdf'], ids: [1, 42], ignoreCase: false })).toEqual({ patterns: ['*.pdf'], ids: [42] });
    expect(unmatchedSelectors(FILES, { patterns: ['REPORT.csv'], ids: [], ignoreCase: true })).toEqual({ patterns: [], ids: [] });
  });
});
