import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Area, RemoteFile } from '../../src/api/types.js';
import { LocalError } from '../../src/errors.js';
import { isReservedName, nameKey, partNameFor, journalNameFor, safeFileName } from '../../src/transfer/names.js';
import { type PlanInput, planDownloads } from '../../src/transfer/plan.js';
import type { ConflictPolicy } from '../../src/transfer/types.js';

const OUT = '/data/out';
let nextId = 1;
const file = (name: string, size = 10, area: Area = 'inbox', id = nextId++): RemoteFile => ({
  id,
  name,
  size,
  modified: 1_700_000_000_000,
  link: `http://127.0.0.1/download/file?k=tok${id}`,
  area,
});

const plan = (files: RemoteFile[], existing: string[] = [], policy: ConflictPolicy = 'rename', extra: Partial<PlanInput> = {}) =>
  planDownloads({ files, outputDir: OUT, policy, existingNames: new Set(existing), ...extra });

const summary = (p: ReturnType<typeof plan>) => p.items.map((i) => [i.targetName, i.action, i.conflict]);

describe('planDownloads: names', () => {
  it('downloads each file under its safe name, in order', () => {
    const p = plan([file('a.csv'), file('../../etc/passwd'), file('CON')]);
    expect(summary(p)).toEqual([
      ['a.csv', 'download', 'none'],
      ['.._.._etc_passwd', 'download', 'none'],
      ['_CON', 'download', 'none'],
    ]);
    expect(p.items[1]?.targetPath).toBe(join(OUT, '.._.._etc_passwd'));
    expect(p.items.every((i) => !i.recovery)).toBe(true);
    expect(p.outputDir).toBe(OUT);
  });

  it.each<[string, string[], string[]]>([
    ['two files with one name', ['a.csv', 'a.csv'], ['a.csv', 'a (1).csv']],
    ['names that differ only in case', ['Report.csv', 'report.CSV', 'REPORT.csv'], ['Report.csv', 'report (1).CSV', 'REPORT (2).csv']],
    ['names that differ only in normalisation', ['\u00e9.txt', 'e\u0301.txt'], ['\u00e9.txt', 'e\u0301 (1).txt']],
    ['names that become equal once safe', ['a/b', 'a\\b', 'a:b'], ['a_b', 'a_b (1)', 'a_b (2)']],
    ['double extensions', ['x.tar.gz', 'x.tar.gz'], ['x.tar.gz', 'x (1).tar.gz']],
    ['dot files', ['.bashrc', '.bashrc'], ['.bashrc', '.bashrc (1)']],
    ['a listed name that looks like a numbered one', ['a (1).csv', 'a.csv', 'a.csv'], ['a (1).csv', 'a.csv', 'a (2).csv']],
  ])('%s get distinct names', (_label, names, expected) => {
    expect(plan(names.map((n) => file(n))).items.map((i) => i.targetName)).toEqual(expected);
  });

  it('never targets a bookkeeping name', () => {
    const p = plan([file('.directlink.lock'), file('.a.directlink-part'), file('.a.directlink-part.json')]);
    for (const item of p.items) expect(isReservedName(item.targetName)).toBe(false);
  });
});

describe('planDownloads: clashes with existing files', () => {
  it.each<[ConflictPolicy, string[]]>([
    ['rename', ['a (2).csv', 'download', 'renamed']],
    ['skip', ['a.csv', 'skip', 'skipped']],
    ['overwrite', ['a.csv', 'download', 'overwritten']],
  ])('%s', (policy, expected) => {
    expect(summary(plan([file('a.csv')], ['a.csv', 'a (1).csv'], policy))).toEqual([expected]);
  });

  it('fail throws a LocalError naming the file and the directory', () => {
    const run = () => plan([file('ok.csv'), file('a.csv')], ['a.csv'], 'fail');
    expect(run).toThrow(LocalError);
    expect(run).toThrow(`Failed to plan downloads: a.csv already exists in ${OUT} (--on-conflict fail).`);
  });

  it('fail does not mind files that are free', () => {
    expect(summary(plan([file('b.csv')], ['a.csv'], 'fail'))).toEqual([['b.csv', 'download', 'none']]);
  });

  it('compares with existing names case-insensitively', () => {
    expect(summary(plan([file('report.csv')], ['REPORT.CSV'], 'rename'))).toEqual([['report (1).csv', 'download', 'renamed']]);
    expect(summary(plan([file('report.csv')], ['REPORT.CSV'], 'skip'))).toEqual([['REPORT.CSV', 'skip', 'skipped']]);
  });

  it('overwrite replaces the clashing file as spelled on disk', () => {
    expect(summary(plan([file('report.csv')], ['REPORT.CSV'], 'overwrite'))).toEqual([['REPORT.CSV', 'download', 'overwritten']]);
  });

  it('a listed file never overwrites another of the same run, whatever the policy', () => {
    for (const policy of ['overwrite', 'skip', 'fail', 'rename'] as const) {
      const p = plan([file('a.csv'), file('A.csv'), file('a.csv')], [], policy);
      const keys = p.items.filter((i) => i.action === 'download').map((i) => nameKey(i.targetName));
      expect(new Set(keys).size).toBe(3);
    }
    expect(summary(plan([file('a.csv'), file('a.csv')], ['a.csv', 'a (1).csv'], 'overwrite'))).toEqual([
      ['a.csv', 'download', 'overwritten'],
      ['a (2).csv', 'download', 'renamed'],
    ]);
    expect(summary(plan([file('a.csv'), file('a.csv')], ['a.csv'], 'skip'))).toEqual([
      ['a.csv', 'skip', 'skipped'],
      ['a.csv', 'skip', 'skipped'],
    ]);
  });

  it('renames away from the temporary files of another unfinished download, whatever the policy', () => {
    for (const policy of ['overwrite', 'skip', 'fail', 'rename'] as const) {
      const existing = [partNameFor('a.csv'), journalNameFor('a.csv')];
      expect(summary(plan([file('a.csv')], existing, policy))).toEqual([['a (1).csv', 'download', 'renamed']]);
    }
  });
});

describe('planDownloads: recovery', () => {
  const backup = file('big.iso', 1000, 'backup', 500);

  it('puts recovered downloads first, keeps their names, counts only the missing bytes', () => {
    const p = plan([file('a.csv', 10), file('big.iso', 1000)], [partNameFor('big.iso'), journalNameFor('big.iso')], 'rename', {
      recovered: [{ file: backup, targetName: 'big.iso', offset: 400 }],
    });
    expect(p.items.map((i) => [i.targetName, i.action, i.conflict, i.recovery])).toEqual([
      ['big.iso', 'download', 'none', true],
      ['a.csv', 'download', 'none', false],
      ['big (1).iso', 'download', 'renamed', false],
    ]);
    expect(p.bytesToFetch).toBe(600 + 10 + 1000);
  });

  it('fetches a file once when it is both recovered and listed (get --backup)', () => {
    const p = plan([backup], [partNameFor('big.iso'), journalNameFor('big.iso')], 'rename', {
      recovered: [{ file: backup, targetName: 'big.iso', offset: 0 }],
    });
    expect(p.items.map((i) => [i.targetName, i.recovery])).toEqual([['big.iso', true]]);
    expect(p.bytesToFetch).toBe(1000);
  });

  it('a recovered name that now exists on disk follows overwrite or skip, else stops', () => {
    const existing = ['big.iso', partNameFor('big.iso'), journalNameFor('big.iso')];
    const recovered = [{ file: backup, targetName: 'big.iso', offset: 100 }];
    expect(summary(plan([], existing, 'overwrite', { recovered }))).toEqual([['big.iso', 'download', 'overwritten']]);
    const skipped = plan([], existing, 'skip', { recovered });
    expect(summary(skipped)).toEqual([['big.iso', 'skip', 'skipped']]);
    expect(skipped.bytesToFetch).toBe(0);
    expect(() => plan([], existing, 'rename', { recovered })).toThrow(LocalError);
    expect(() => plan([], existing, 'fail', { recovered })).toThrow(/can't be finished because big\.iso now exists/u);
  });

  it('skips a second recovered download of the same target', () => {
    const recovered = [
      { file: backup, targetName: 'big.iso', offset: 0 },
      { file: file('BIG.iso', 5, 'backup'), targetName: 'BIG.iso', offset: 0 },
    ];
    expect(summary(plan([], [], 'rename', { recovered }))).toEqual([
      ['big.iso', 'download', 'none'],
      ['BIG.iso', 'skip', 'skipped'],
    ]);
  });

  it('refuses an unsafe recovered name', () => {
    expect(() => plan([], [], 'rename', { recovered: [{ file: backup, targetName: '../x', offset: 0 }] })).toThrow(LocalError);
  });
});

describe('planDownloads: bytes', () => {
  it('counts downloads only; offsets never make it negative', () => {
    const p = plan([file('a', 10), file('b', 20)], ['b'], 'skip', {
      recovered: [{ file: file('c', 5, 'backup'), targetName: 'c', offset: 50 }],
    });
    expect(p.bytesToFetch).toBe(10);
  });

  it('is empty for nothing', () => {
    expect(plan([])).toEqual({ outputDir: OUT, items: [], bytesToFetch: 0 });
  });
});

describe('planDownloads: properties', () => {
  it('download targets are safe, unique (case-insensitively), off existing files except on overwrite', () => {
    const name = fc.oneof(fc.constantFrom('a.csv', 'A.CSV', 'a (1).csv', '.bashrc', 'CON', 'x.tar.gz', '', '..', 'a/b'), fc.string({ unit: 'binary', maxLength: 30 }));
    fc.assert(
      fc.property(fc.array(name, { maxLength: 25 }), fc.array(name, { maxLength: 10 }), fc.constantFrom<ConflictPolicy>('rename', 'skip', 'overwrite'), (names, existingRaw, policy) => {
        const existing = existingRaw.map(safeFileName);
        const existingKeys = new Set(existing.map(nameKey));
        const p = plan(
          names.map((n) => file(n)),
          existing,
          policy,
        );
        expect(p.items).toHaveLength(names.length);
        const downloads = p.items.filter((i) => i.action === 'download');
        const keys = downloads.map((i) => nameKey(i.targetName));
        expect(new Set(keys).size).toBe(keys.length);
        for (const item of downloads) {
          expect(safeFileName(item.targetName)).toBe(item.targetName);
          expect(item.targetPath).toBe(join(OUT, item.targetName));
          if (existingKeys.has(nameKey(item.targetName))) expect(item.conflict).toBe('overwritten');
        }
      }),
      { numRuns: 300 },
    );
  });
});
