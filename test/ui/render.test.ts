import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RemoteFile } from '../../src/api/types.js';
import {
  displayWidth,
  escapeForTerminal,
  escapeMessage,
  formatDate,
  formatDuration,
  formatEta,
  formatSize,
  renderFileTable,
  toListJson,
  truncateToWidth,
} from '../../src/ui/render.js';

const plain = new Chalk({ level: 0 });

function file(id: number, name: string, size: number, modified: string): RemoteFile {
  return { id, name, size, modified: Date.parse(modified), link: `https://h/dl/${id}?k=secret`, area: 'inbox' };
}

// Anything a terminal would act on: C0, DEL, C1, bidi controls, separators, BOM.
// eslint-disable-next-line no-control-regex
const RAW_DANGER = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200b\u200e\u200f\ufeff]/;

describe('escapeForTerminal', () => {
  it.each([
    ['plain.csv', 'plain.csv'],
    ['\x1b[31mred', '\\x1b[31mred'],
    ['a\nb', 'a\\nb'],
    ['a\rb', 'a\\rb'],
    ['a\tb', 'a\\tb'],
    ['nul\x00', 'nul\\x00'],
    ['bell\x07', 'bell\\x07'],
    ['del\x7f', 'del\\x7f'],
    ['c1 csi \x9b2J', 'c1 csi \\x9b2J'],
    ['c1 \x80 \x9f', 'c1 \\x80 \\x9f'],
    ['invoice\u202efdp.exe', 'invoice\\u202efdp.exe'],
    ['\u2066isolate\u2069', '\\u2066isolate\\u2069'],
    ['\u202a\u202b\u202c\u202d', '\\u202a\\u202b\\u202c\\u202d'],
    ['lrm\u200e rlm\u200f alm\u061c', 'lrm\\u200e rlm\\u200f alm\\u061c'],
    ['zero\u200bwidth', 'zero\\u200bwidth'],
    ['line\u2028sep', 'line\\u2028sep'],
    ['\ufeffbom', '\\ufeffbom'],
    ['lone \ud800 surrogate', 'lone \\ud800 surrogate'],
    ['café ñ 日本語.txt', 'café ñ 日本語.txt'],
    ['emoji 👨\u200d👩\u200d👧 ok', 'emoji 👨\u200d👩\u200d👧 ok'],
    ['back\\slash', 'back\\slash'],
    ['\x1b]8;;https://evil\x07link\x1b]8;;\x07', '\\x1b]8;;https://evil\\x07link\\x1b]8;;\\x07'],
  ])('%j → %j', (input, expected) => {
    expect(escapeForTerminal(input)).toBe(expected);
  });

  it('never lets a dangerous character through, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const once = escapeForTerminal(s);
        expect(once).not.toMatch(RAW_DANGER);
        expect(escapeForTerminal(once)).toBe(once);
      }),
    );
  });

  it('escapeMessage keeps line breaks and tabs but nothing else', () => {
    expect(escapeMessage('a\tb\nc\x1b[2Jd\\t')).toBe('a\tb\nc\\x1b[2Jd\\t');
  });
});

describe('formatSize', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [1.5 * 1024 * 1024, '1.5 MiB'],
    [99.94 * 1024, '99.9 KiB'],
    [512 * 1024 * 1024, '512 MiB'],
    [1024 * 1024 - 1, '1.0 MiB'],
    [12.3 * 1024 ** 3, '12.3 GiB'],
    [2 * 1024 ** 4, '2.0 TiB'],
    [-1, '?'],
    [Number.NaN, '?'],
  ])('%d → %s', (bytes, expected) => {
    expect(formatSize(bytes)).toBe(expected);
  });
});

describe('formatDate / formatDuration / formatEta', () => {
  it('formats in the given time zone', () => {
    const ms = Date.parse('2026-12-03T14:05:59Z');
    expect(formatDate(ms, 'UTC')).toBe('2026-12-03 14:05');
    expect(formatDate(ms, 'America/Sao_Paulo')).toBe('2026-12-03 11:05');
    expect(formatDate(Date.parse('2026-01-01T00:00:00Z'), 'UTC')).toBe('2026-01-01 00:00');
    expect(formatDate(Number.NaN)).toBe('?');
  });

  it.each([
    [0, '0.0s'],
    [2300, '2.3s'],
    [59_900, '59.9s'],
    [65_000, '1m05s'],
    [3_600_000 + 2 * 60_000, '1h02m'],
  ])('duration %d → %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it.each([
    [undefined, '--:--'],
    [Number.POSITIVE_INFINITY, '--:--'],
    [0, '0:00'],
    [6.2, '0:07'],
    [750, '12:30'],
    [3723, '1:02:03'],
  ])('eta %s → %s', (seconds, expected) => {
    expect(formatEta(seconds)).toBe(expected);
  });
});

describe('displayWidth / truncateToWidth', () => {
  it.each([
    ['abc', 3],
    ['café', 4],
    ['cafe\u0301', 4],
    ['日本語', 6],
    ['한국어', 6],
    ['👍', 2],
    ['a👨\u200d👩\u200d👧b', 4],
    ['', 0],
  ])('%j is %d cells', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });

  it('cuts at the end or in the middle without splitting characters', () => {
    expect(truncateToWidth('abcdefghij', 10)).toBe('abcdefghij');
    expect(truncateToWidth('abcdefghij', 6)).toBe('abcde…');
    expect(truncateToWidth('abcdefghij', 6, 'middle')).toBe('abc…ij');
    expect(truncateToWidth('日本語のファイル', 7)).toBe('日本語…');
    expect(truncateToWidth('e\u0301e\u0301e\u0301e\u0301', 3)).toBe('e\u0301e\u0301…');
    expect(truncateToWidth('abc', 0)).toBe('');
  });

  it('never exceeds the width', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 40 }), fc.boolean(), (s, w, middle) => {
        expect(displayWidth(truncateToWidth(s, w, middle ? 'middle' : 'end'))).toBeLessThanOrEqual(w);
      }),
    );
  });
});

describe('renderFileTable', () => {
  const files = [
    file(7, 'NF-2026-12-03-000123.xml', 1536, '2026-12-03T14:05:00Z'),
    file(12, 'report\x1b[2J.csv', 5 * 1024 * 1024, '2026-11-30T08:00:00Z'),
    file(3, '日本語.txt', 0, '2026-01-01T00:00:00Z'),
  ];

  it('renders aligned columns and a footer', () => {
    expect(renderFileTable(files, { columns: 100, chalk: plain, timeZone: 'UTC' })).toBe(
      [
        'NAME                         SIZE  MODIFIED          ID',
        'NF-2026-12-03-000123.xml  1.5 KiB  2026-12-03 14:05   7',
        'report\\x1b[2J.csv         5.0 MiB  2026-11-30 08:00  12',
        '日本語.txt                    0 B  2026-01-01 00:00   3',
        '3 files, 5.0 MiB total',
      ].join('\n'),
    );
  });

  it('truncates long names so rows fit the width', () => {
    const long = [file(1, 'a-very-long-file-name-that-goes-on-and-on-and-on-2026-12-03.csv', 10, '2026-12-03T14:05:00Z')];
    const lines = renderFileTable(long, { columns: 60, chalk: plain, timeZone: 'UTC' }).split('\n');
    for (const line of lines) expect(displayWidth(line)).toBeLessThan(60);
    expect(lines[1]).toBe('a-very-long-fil…-2026-12-03.csv  10 B  2026-12-03 14:05   1');
  });

  it('keeps a minimum name width on tiny terminals, and says so when empty', () => {
    const lines = renderFileTable(files, { columns: 20, chalk: plain, timeZone: 'UTC' }).split('\n');
    expect(lines[1]).toBe('NF-20….xml  1.5 KiB  2026-12-03 14:05   7');
    expect(renderFileTable([], { columns: 80, chalk: plain })).toBe('0 files, 0 B total');
    expect(renderFileTable([files[2]!], { columns: 80, chalk: plain })).toMatch(/\n1 file, 0 B total$/);
  });

  it('uses colour only when the chalk has a level', () => {
    const coloured = renderFileTable(files, { columns: 100, chalk: new Chalk({ level: 1 }), timeZone: 'UTC' });
    expect(coloured).toContain('\x1b[1m');
    expect(renderFileTable(files, { columns: 100, chalk: plain })).not.toContain('\x1b');
  });
});

describe('toListJson', () => {
  it('keeps exact names, ISO-8601 UTC dates, and no link', () => {
    const json = toListJson([file(12, 'report\x1b[2J.csv', 42, '2026-11-30T08:00:00Z')]);
    expect(json).toEqual([{ id: 12, name: 'report\x1b[2J.csv', size: 42, modified: '2026-11-30T08:00:00.000Z', area: 'inbox' }]);
    expect(JSON.stringify(json)).toBe('[{"id":12,"name":"report\\u001b[2J.csv","size":42,"modified":"2026-11-30T08:00:00.000Z","area":"inbox"}]');
  });
});
