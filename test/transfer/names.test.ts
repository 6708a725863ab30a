import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_NAME_BYTES,
  isReservedName,
  journalNameFor,
  journalTmpNameFor,
  nameKey,
  numberedName,
  partNameFor,
  safeFileName,
  splitExtension,
  truncateUtf8,
} from '../../src/transfer/names.js';

// Pieces that hit the special cases far more often than random strings do.
const TOKENS = ['CON', 'com1', 'Lpt3', 'nul', '.', '..', '/', '\\', ' ', ':', '.directlink-part', '.json', '.directlink.lock', '.tar.gz', '🎉', 'é', '\u0000', '\u001b', '\ud800'];
const tricky = fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 80 }).map((parts) => parts.join(''));
const anyName = fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ maxLength: 300 }), tricky);
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/iu;

const bytes = (s: string): number => Buffer.byteLength(s);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

describe('safeFileName', () => {
  it.each([
    ['report.csv', 'report.csv'],
    ['../../x', '.._.._x'],
    ['/etc/x', '_etc_x'],
    ['a\\b', 'a_b'],
    ['.', '_'],
    ['..', '_'],
    ['...', '_'],
    ['', '_'],
    ['   ', '_'],
    ['CON', '_CON'],
    ['con.txt', '_con.txt'],
    ['Com1.tar.gz', '_Com1.tar.gz'],
    ['lpt9', '_lpt9'],
    ['CON .txt', '_CON .txt'],
    ['console.txt', 'console.txt'],
    ['COM10', 'COM10'],
    ['nul', '_nul'],
    ['C:foo', 'C_foo'],
    ['C:\\Windows\\x', 'C__Windows_x'],
    ['name. ', 'name'],
    ['name...', 'name'],
    ['a<b>c:d"e|f?g*h', 'a_b_c_d_e_f_g_h'],
    ['\u001b[31mred\u001b[0m', '_[31mred_[0m'],
    ['nul\u0000byte', 'nul_byte'],
    ['tab\there\nnew', 'tab_here_new'],
    ['del\u007fc1\u0085\u009b', 'del_c1__'],
    ['-rf', '-rf'],
    ['.bashrc', '.bashrc'],
    ['café ünïcödé 日本語 🎉.txt', 'café ünïcödé 日本語 🎉.txt'],
    ['\u202etxt.exe', '\u202etxt.exe'],
    ['lone\ud800surrogate', 'lone_surrogate'],
    ['.x.directlink-part', '.x.directlink_part'],
    ['.x.DIRECTLINK-PART.json', '.x.DIRECTLINK_PART.json'],
    ['.directlink.lock', '_.directlink.lock'],
    ['.directlink.lock.takeover', '_.directlink.lock.takeover'],
  ])('%j → %j', (input, expected) => {
    expect(safeFileName(input)).toBe(expected);
  });

  it('keeps Unicode as sent, without normalising it', () => {
    const nfd = 'e\u0301.txt';
    expect(safeFileName(nfd)).toBe(nfd);
    expect(safeFileName('\u00e9.txt')).toBe('\u00e9.txt');
  });

  it('cuts a 300-byte multibyte name at a code point and keeps the extension', () => {
    const name = `${'é'.repeat(75)}${'日'.repeat(50)}.csv`; // 150 + 150 + 4 bytes
    const out = safeFileName(name);
    expect(bytes(out)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(out.endsWith('.csv')).toBe(true);
    expect(name.startsWith(out.slice(0, -4))).toBe(true);
    expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
  });

  it('cuts emoji without splitting surrogate pairs', () => {
    const out = safeFileName('🎉'.repeat(100));
    expect(bytes(out)).toBe(252);
    expect(out).toBe('🎉'.repeat(63));
  });

  it('holds its guarantees for any input', () => {
    const dir = path.resolve('/tmp/out');
    fc.assert(
      fc.property(anyName, (input) => {
        const r = safeFileName(input);
        expect(r.length).toBeGreaterThan(0);
        expect(path.basename(r)).toBe(r);
        expect(path.win32.basename(r)).toBe(r);
        expect(r).not.toBe('.');
        expect(r).not.toBe('..');
        const resolved = path.resolve(dir, r);
        expect(path.dirname(resolved)).toBe(dir);
        expect(CONTROL.test(r)).toBe(false);
        expect(/[<>:"|?*\\/]/u.test(r)).toBe(false);
        expect(/[. ]$/u.test(r)).toBe(false);
        expect(bytes(r)).toBeLessThanOrEqual(MAX_NAME_BYTES);
        expect(Buffer.from(r, 'utf8').toString('utf8')).toBe(r);
        expect(isReservedName(r)).toBe(false);
        expect(WINDOWS_DEVICE.test(r.split('.')[0]?.trimEnd() ?? '')).toBe(false);
        expect(safeFileName(r)).toBe(r);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('splitExtension', () => {
  it.each([
    ['a.txt', 'a', '.txt'],
    ['a.tar.gz', 'a', '.tar.gz'],
    ['a.TAR.XZ', 'a', '.TAR.XZ'],
    ['a.b.c', 'a.b', '.c'],
    ['.bashrc', '.bashrc', ''],
    ['.bashrc.bak', '.bashrc', '.bak'],
    ['noext', 'noext', ''],
    ['Report v2.final draft', 'Report v2.final draft', ''],
    ['x.averyveryverylongextension', 'x.averyveryverylongextension', ''],
  ])('%j → %j + %j', (name, stem, ext) => {
    expect(splitExtension(name)).toEqual({ stem, ext });
  });
});

describe('numberedName', () => {
  it.each([
    ['report.csv', 1, 'report (1).csv'],
    ['report.csv', 12, 'report (12).csv'],
    ['a.tar.gz', 2, 'a (2).tar.gz'],
    ['.bashrc', 1, '.bashrc (1)'],
    ['README', 3, 'README (3)'],
  ])('%j #%i → %j', (name, n, expected) => {
    expect(numberedName(name, n)).toBe(expected);
  });

  it('stays within 255 bytes and safe', () => {
    fc.assert(
      fc.property(anyName, fc.integer({ min: 1, max: 1_000_000 }), (input, n) => {
        const r = numberedName(safeFileName(input), n);
        expect(bytes(r)).toBeLessThanOrEqual(MAX_NAME_BYTES);
        expect(safeFileName(r)).toBe(r);
        expect(r).toContain(` (${n})`);
      }),
      { numRuns: 500 },
    );
  });
});

describe('temporary names', () => {
  it('puts the target between a dot and the suffixes', () => {
    expect(partNameFor('a.csv')).toBe('.a.csv.directlink-part');
    expect(journalNameFor('a.csv')).toBe('.a.csv.directlink-part.json');
    expect(journalTmpNameFor('a.csv')).toBe('.a.csv.directlink-part.json.tmp');
  });

  it('shortens long targets with a hash so the temp names fit, distinct per target', () => {
    const a = `${'x'.repeat(250)}a`;
    const b = `${'x'.repeat(250)}b`;
    for (const n of [a, b]) {
      expect(bytes(journalTmpNameFor(n))).toBeLessThanOrEqual(MAX_NAME_BYTES);
      expect(isReservedName(partNameFor(n))).toBe(true);
    }
    expect(partNameFor(a)).not.toBe(partNameFor(b));
    expect(journalNameFor(a)).toBe(`${partNameFor(a)}.json`);
  });

  it('recognises its own names as reserved', () => {
    expect(isReservedName('.directlink.lock')).toBe(true);
    expect(isReservedName('.A.directlink-part.json')).toBe(true);
    expect(isReservedName('directlink-notes.txt')).toBe(false);
  });
});

describe('nameKey and truncateUtf8', () => {
  it('folds case and normalisation', () => {
    expect(nameKey('Report.CSV')).toBe(nameKey('report.csv'));
    expect(nameKey('e\u0301')).toBe(nameKey('\u00e9'));
    expect(nameKey('a')).not.toBe(nameKey('b'));
  });

  it('never splits a code point', () => {
    expect(truncateUtf8('aé', 2)).toBe('a');
    expect(truncateUtf8('🎉x', 3)).toBe('');
    expect(truncateUtf8('abc', 10)).toBe('abc');
  });
});
