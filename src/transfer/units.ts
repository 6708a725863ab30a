/**
 * Parsers for the values people type in options (sizes, durations, times, counts) and the
 * one byte formatter. Pure. Bad input throws UsageError whose message shows a valid example.
 *
 * Sizes: `kB MB GB TB` are decimal (1000), `KiB MiB GiB TiB` binary (1024), and the bare
 * letters `k M G T` binary too, as in curl, wget and rsync. Unit letters are case-insensitive
 * (`10mb` = `10MB`); a trailing `B` alone means bytes.
 */
import { UsageError } from '../errors.js';

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const SIZE_EXAMPLE = 'e.g. 500k, 10MB, 1.5GiB or 123 (bytes)';
const DURATION_EXAMPLE = 'e.g. 90s, 30m, 2h, 7d, 1w or 1h30m';
const TIME_EXAMPLE = 'a duration ago (e.g. 2h, 7d) or a date (e.g. 2026-11-30 or 2026-11-30T10:00:00Z)';

/** Parse a size (`10MB`, `1.5GiB`, `500k`, `123`) into whole bytes, rounded. */
export function parseSize(value: string, option = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/iu.exec(value);
  const unit = match?.[2]?.toLowerCase();
  const factor = unit === undefined ? undefined : SIZE_UNITS[unit];
  if (match?.[1] === undefined || factor === undefined) {
    throw new UsageError(`Failed to read ${option} ${quote(value)}: expected a number of bytes with an optional unit, ${SIZE_EXAMPLE}.`);
  }
  const bytes = Math.round(Number(match[1]) * factor);
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`Failed to read ${option} ${quote(value)}: the size is too large, ${SIZE_EXAMPLE}.`);
  }
  return bytes;
}

/** Parse a duration (`90s`, `30m`, `2h`, `7d`, `1w`, `500ms`, or sums like `1h30m`) into ms. */
export function parseDuration(value: string, option = 'duration'): number {
  const text = value.trim();
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gu;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(part)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? Number.NaN);
    consumed += match[0].length;
  }
  // Units are lowercase on purpose: `1M` could be read as a month.
  if (text === '' || consumed !== text.length || !Number.isFinite(total)) {
    throw new UsageError(`Failed to read ${option} ${quote(value)}: expected a number with a unit (ms, s, m, h, d, w), ${DURATION_EXAMPLE}.`);
  }
  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) {
    throw new UsageError(`Failed to read ${option} ${quote(value)}: the duration is too long, ${DURATION_EXAMPLE}.`);
  }
  return ms;
}

/**
 * Parse a point in time into epoch ms: a duration means that long before `now`; a date
 * (`2026-11-30`) means local midnight; a date-time without offset is local time, with `Z` or
 * `±hh:mm` it is exact.
 */
export function parseTimeSpec(value: string, now: number, option = 'time'): number {
  const text = value.trim();
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d|w)/u.test(text)) {
    return now - parseDuration(text, option);
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?)?$/iu.exec(text);
  if (iso === null) {
    throw new UsageError(`Failed to read ${option} ${quote(value)}: expected ${TIME_EXAMPLE}.`);
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone] = iso;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0'))] as const;
  const valid = fields[1] <= 11 && fields[2] >= 1 && fields[3] <= 23 && fields[4] <= 59 && fields[5] <= 59;
  // Date.UTC rolls Feb 30 over to March: a round trip catches impossible dates.
  const utc = Date.UTC(...fields);
  const check = new Date(utc);
  if (!valid || check.getUTCFullYear() !== fields[0] || check.getUTCMonth() !== fields[1] || check.getUTCDate() !== fields[2]) {
    throw new UsageError(`Failed to read ${option} ${quote(value)}: no such date or time; expected ${TIME_EXAMPLE}.`);
  }
  if (zone === undefined) return new Date(...fields).getTime();
  if (zone.toUpperCase() === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return utc - sign * offsetMin * 60_000;
}

/** Parse a whole number ≥ 1 given for `option` (e.g. `--concurrency`). */
export function parsePositiveInt(option: string, value: string): number {
  const n = parseWhole(value);
  if (n === undefined || n < 1) {
    throw new UsageError(`Failed to read ${option} ${quote(value)}: expected a whole number of at least 1, e.g. ${option} 4.`);
  }
  return n;
}

/** Parse a whole number ≥ 0 given for `option` (e.g. `--retries 0`). */
export function parseNonNegativeInt(option: string, value: string): number {
  const n = parseWhole(value);
  if (n === undefined) {
    throw new UsageError(`Failed to read ${option} ${quote(value)}: expected a whole number of 0 or more, e.g. ${option} 3.`);
  }
  return n;
}

const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Bytes in binary units for people: `0 B`, `1023 B`, `1.5 MiB`, `12.3 GiB`, `512 MiB` (≥ 100: no decimals). Non-finite or negative → `?`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  for (let i = 0; i < BINARY_UNITS.length; i++) {
    value /= 1024;
    const text = value < 99.95 ? value.toFixed(1) : value.toFixed(0);
    // 1023.96 KiB rounds to "1024 KiB": move on to the next unit instead.
    if (Number(text) < 1024 || i === BINARY_UNITS.length - 1) return `${text} ${BINARY_UNITS[i]}`;
  }
  return '?';
}

function parseWhole(value: string): number | undefined {
  const text = value.trim();
  if (!/^\d+$/u.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function quote(value: string): string {
  // JSON quoting escapes control characters, so a stray escape sequence never reaches a terminal.
  return JSON.stringify(value);
}
