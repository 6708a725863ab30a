import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { formatBytes, parseDuration, parseNonNegativeInt, parsePositiveInt, parseSize, parseTimeSpec } from '../../src/transfer/units.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('parseSize', () => {
  it.each([
    ['123', 123],
    ['0', 0],
    ['123B', 123],
    ['500k', 500 * KiB],
    ['500K', 500 * KiB],
    ['10MB', 10_000_000],
    ['10mb', 10_000_000],
    ['1kB', 1000],
    ['2GB', 2_000_000_000],
    ['1TB', 1e12],
    ['1.5GiB', 1.5 * GiB],
    ['1.5gib', 1.5 * GiB],
    ['3MiB', 3 * MiB],
    ['2M', 2 * MiB],
    ['1G', GiB],
    ['1T', 1024 ** 4],
    [' 10 MB ', 10_000_000],
    ['.5k', 512],
    ['1.0001k', 1024],
  ])('%j → %i bytes', (input, expected) => {
    expect(parseSize(input)).toBe(expected);
  });

  it.each(['', 'MB', '-1', '10XB', '1,5MB', '10 M B', 'abc', '1e3', '99999999999TB'])('rejects %j with an example', (input) => {
    expect(() => parseSize(input, '--max-size')).toThrow(UsageError);
    expect(() => parseSize(input, '--max-size')).toThrow(/--max-size .*e\.g\. 500k, 10MB, 1\.5GiB/u);
  });

  it('escapes control characters of the input in its message', () => {
    expect(() => parseSize('\u001b[31m')).toThrow(/"\\u001b\[31m"/u);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['1h30m', 5_400_000],
    ['1d12h', 129_600_000],
    [' 2h ', 7_200_000],
  ])('%j → %i ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each(['', '2', 'h', '2H', '1M', '2 h', '2hours', '-2h', '1h-30m', 'h2'])('rejects %j with an example', (input) => {
    expect(() => parseDuration(input, '--newer-than')).toThrow(UsageError);
    expect(() => parseDuration(input, '--newer-than')).toThrow(/--newer-than .*e\.g\. 90s, 30m, 2h/u);
  });
});

describe('parseTimeSpec', () => {
  const now = Date.UTC(2026, 11, 3, 17, 40, 1);

  it.each([
    ['2h', now - 7_200_000],
    ['7d', now - 7 * 86_400_000],
    ['2026-11-30T10:00:00Z', Date.UTC(2026, 10, 30, 10, 0, 0)],
    ['2026-11-30T10:00Z', Date.UTC(2026, 10, 30, 10, 0, 0)],
    ['2026-11-30T10:00:00.250Z', Date.UTC(2026, 10, 30, 10, 0, 0, 250)],
    ['2026-11-30T10:00:00+02:00', Date.UTC(2026, 10, 30, 8, 0, 0)],
    ['2026-11-30T10:00:00-0330', Date.UTC(2026, 10, 30, 13, 30, 0)],
    ['2026-11-30 10:00:00z', Date.UTC(2026, 10, 30, 10, 0, 0)],
    ['2024-02-29', new Date(2024, 1, 29).getTime()],
  ])('%j', (input, expected) => {
    expect(parseTimeSpec(input, now)).toBe(expected);
  });

  it('reads a date alone as local midnight and a date-time without offset as local time', () => {
    expect(parseTimeSpec('2026-11-30', now)).toBe(new Date(2026, 10, 30).getTime());
    expect(parseTimeSpec('2026-11-30T10:05', now)).toBe(new Date(2026, 10, 30, 10, 5).getTime());
  });

  it.each(['', 'yesterday', '2026-13-01', '2026-02-30', '2025-02-29', '2026-11-30T24:00', '2026-11-30T10:60', '30/11/2026', '1700000000000', '2026-11-30X'])(
    'rejects %j with an example',
    (input) => {
      expect(() => parseTimeSpec(input, now, '--older-than')).toThrow(UsageError);
      expect(() => parseTimeSpec(input, now, '--older-than')).toThrow(/--older-than .*2026-11-30/u);
    },
  );
});

describe('parsePositiveInt and parseNonNegativeInt', () => {
  it.each([
    ['1', 1],
    ['4', 4],
    [' 16 ', 16],
    ['007', 7],
  ])('%j → %i', (input, expected) => {
    expect(parsePositiveInt('--concurrency', input)).toBe(expected);
  });

  it.each(['0', '-1', '1.5', 'four', '', '1e3', '99999999999999999999'])('positive rejects %j', (input) => {
    expect(() => parsePositiveInt('--concurrency', input)).toThrow(UsageError);
    expect(() => parsePositiveInt('--concurrency', input)).toThrow(/--concurrency .*e\.g\. --concurrency 4/u);
  });

  it('non-negative takes 0 and rejects the rest', () => {
    expect(parseNonNegativeInt('--retries', '0')).toBe(0);
    expect(parseNonNegativeInt('--retries', '5')).toBe(5);
    expect(() => parseNonNegativeInt('--retries', '-1')).toThrow(/e\.g\. --retries 3/u);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [42, '42 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1.5 * MiB, '1.5 MiB'],
    [150 * MiB, '150 MiB'],
    [1023.97 * KiB, '1.0 MiB'],
    [-1, '?'],
  ])('%d → %j', (n, expected) => {
    expect(formatBytes(n)).toBe(expected);
  });
});
