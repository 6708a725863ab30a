/**
 * Pure text helpers for the terminal: escaping untrusted text, sizes, dates, display
 * widths, the `list` table and its JSON form. Nothing here writes anywhere.
 */
import type { ChalkInstance } from 'chalk';
import type { Area, RemoteFile } from '../api/types.js';

/**
 * Characters that must never reach a terminal raw. C0 controls (incl. ESC, which starts
 * every escape sequence), DEL, C1 controls (0x9b is a one-byte CSI on some terminals),
 * bidi embeddings/overrides/isolates and marks (they reorder what follows: "Trojan Source"
 * style name spoofing), invisible characters that hide or break text (zero-width space,
 * word joiner, BOM, invisible operators, interlinear annotations), line/paragraph
 * separators, and lone surrogates (not text at all). ZWJ/ZWNJ (U+200C/D) stay: they are
 * needed inside emoji and several scripts, and are harmless on their own.
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Shows every control character, bidi control and invisible character of untrusted text
 * as visible escape text (`\x1b`, `\n`, `\u202e`), so nothing raw reaches the terminal.
 * Idempotent; backslashes themselves are left alone.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const named = NAMED_ESCAPES[ch];
    if (named !== undefined) return named;
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** JSON characters a terminal would act on although JSON.stringify leaves them raw: C1 controls, bidi and invisible controls. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * JSON text for stdout: JSON.stringify, then C1 controls and bidi overrides written as
 * `\uXXXX` escapes, so the parsed strings are exact but nothing raw reaches a terminal.
 */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Like escapeForTerminal, but keeps line breaks and tabs: for multi-line human messages. */
export function escapeMessage(text: string): string {
  return text.split('\n').map((line) => line.split('\t').map(escapeForTerminal).join('\t')).join('\n');
}

/** Bytes in binary units (`1.5 MiB`); one implementation shared with the transfer layer's messages. */
export { formatBytes as formatSize } from '../transfer/units.js';
import { formatBytes as formatSize } from '../transfer/units.js';

/** A transfer rate: `22.6 MiB/s`; undefined or non-finite → `--`. */
export function formatRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return '--';
  return `${formatSize(bytesPerSecond)}/s`;
}

/** An elapsed time for summaries: `0.4s`, `2.3s`, `59.9s`, `1m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, '0')}s`;
  }
  const totalMinutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)}h${String(totalMinutes % 60).padStart(2, '0')}m`;
}

/** A countdown for progress bars: `0:07`, `12:30`, `1:02:03`; unknown or absurd (> 99 h) → `--:--`. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0 || seconds > 99 * 3600) return '--:--';
  const s = Math.ceil(seconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

/** `2026-12-03 14:05` in local time (or `timeZone`, an IANA name); invalid dates → `?`. */
export function formatDate(ms: number, timeZone?: string): string {
  const date = new Date(ms);
  if (!Number.isFinite(date.getTime())) return '?';
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '??';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

let graphemeSegmenter: Intl.Segmenter | undefined;

function graphemes(text: string): string[] {
  graphemeSegmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  return Array.from(graphemeSegmenter.segment(text), (s) => s.segment);
}

// East Asian Wide and Fullwidth blocks (CJK, Hangul, kana, fullwidth forms) plus the
// emoji blocks that terminals draw two cells wide.
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff],
  [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x1f300, 0x1f64f], [0x1f900, 0x1f9ff],
  [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]+$/u;
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}|\ufe0f/u;

function graphemeWidth(cluster: string): number {
  if (ZERO_WIDTH.test(cluster)) return 0;
  const code = cluster.codePointAt(0) ?? 0;
  if (WIDE_RANGES.some(([lo, hi]) => code >= lo && code <= hi)) return 2;
  if (code > 0xff && EMOJI_PRESENTATION.test(cluster)) return 2;
  return 1;
}

/** Terminal cells a string takes (ANSI-free text): combining marks 0, CJK and emoji 2, others 1. */
export function displayWidth(text: string): number {
  // Fast path: printable ASCII is one cell per character.
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let width = 0;
  for (const cluster of graphemes(text)) width += graphemeWidth(cluster);
  return width;
}

/**
 * Cuts text to at most `width` cells, marking the cut with `…`; never splits a character
 * or a combining sequence. `middle` keeps both ends (file names differ at the end: dates,
 * counters, extensions). Widths below 1 give ''.
 */
export function truncateToWidth(text: string, width: number, position: 'end' | 'middle' = 'end'): string {
  if (displayWidth(text) <= width) return text;
  if (width < 1) return '';
  const clusters = graphemes(text);
  const room = width - 1;
  if (position === 'end') return takeWidth(clusters, room) + '…';
  const tailRoom = Math.floor(room / 2);
  const head = takeWidth(clusters, room - tailRoom);
  const tail = takeWidth([...clusters].reverse(), tailRoom);
  return head + '…' + [...graphemes(tail)].reverse().join('');
}

function takeWidth(clusters: readonly string[], room: number): string {
  let used = 0;
  let out = '';
  for (const cluster of clusters) {
    const w = graphemeWidth(cluster);
    if (used + w > room) break;
    used += w;
    out += cluster;
  }
  return out;
}

/** Pads text with spaces on the right (or left) to `width` cells; longer text is returned as is. */
export function padToWidth(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const pad = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'left' ? text + pad : pad + text;
}

/** "1 file" / "3 files". */
export function pluralFiles(count: number): string {
  return `${count} ${count === 1 ? 'file' : 'files'}`;
}

export interface FileTableOptions {
  /** Terminal width; long names are truncated so a row fits. */
  readonly columns: number;
  readonly chalk: ChalkInstance;
  /** IANA time zone for MODIFIED (tests); default: local time. */
  readonly timeZone?: string;
}

const GAP = '  ';
const MIN_NAME_WIDTH = 10;

/**
 * The `list` table: NAME, SIZE (right-aligned), MODIFIED (local time), ID, then a footer
 * `N files, X total`. Names are escaped and truncated with `…` so rows fit `columns`
 * (never below 10 name cells). No trailing newline. An empty list gives just the footer.
 */
export function renderFileTable(files: readonly RemoteFile[], opts: FileTableOptions): string {
  const { chalk } = opts;
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const footer = chalk.dim(`${pluralFiles(files.length)}, ${formatSize(total)} total`);
  if (files.length === 0) return footer;

  const rows = files.map((f) => ({
    name: escapeForTerminal(f.name),
    size: formatSize(f.size),
    modified: formatDate(f.modified, opts.timeZone),
    id: String(f.id),
  }));
  const sizeWidth = Math.max(4, ...rows.map((r) => r.size.length));
  const modifiedWidth = Math.max(8, ...rows.map((r) => r.modified.length));
  const idWidth = Math.max(2, ...rows.map((r) => r.id.length));
  const fixed = sizeWidth + modifiedWidth + idWidth + 3 * GAP.length;
  const longestName = Math.max(4, ...rows.map((r) => displayWidth(r.name)));
  // One cell short of the edge: a line that fills the last column makes some terminals wrap.
  const nameWidth = Math.min(longestName, Math.max(MIN_NAME_WIDTH, opts.columns - 1 - fixed));

  const line = (name: string, size: string, modified: string, id: string): string =>
    [padToWidth(name, nameWidth), size.padStart(sizeWidth), modified.padEnd(modifiedWidth), id.padStart(idWidth)].join(GAP);
  const header = chalk.bold(line('NAME', 'SIZE', 'MODIFIED', 'ID'));
  const body = rows.map((r) => line(truncateToWidth(r.name, nameWidth, 'middle'), r.size, r.modified, r.id));
  return [header, ...body, footer].join('\n');
}

/** One entry of `list --json`: exact strings, `modified` as ISO-8601 UTC. Part of the documented schema. */
export interface ListJsonEntry {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly modified: string;
  readonly area: Area;
}

/** The `list --json` array: names exactly as sent (JSON escapes them), dates as ISO-8601 UTC. */
export function toListJson(files: readonly RemoteFile[]): ListJsonEntry[] {
  return files.map((f) => ({
    id: f.id,
    name: f.name,
    size: f.size,
    modified: new Date(f.modified).toISOString(),
    area: f.area,
  }));
}
