/**
 * Safe local names for untrusted server file names (PRODUCT.md, "Downloads that never lose data").
 * Pure: no file system. A target name is always one path segment that every common file
 * system accepts, never one of the names directlink uses for its own bookkeeping.
 */
import { createHash } from 'node:crypto';

/** Most file systems (ext4, APFS, NTFS in UTF-16 units, …) cap one name at 255 bytes. */
export const MAX_NAME_BYTES = 255;

/** Suffix of the temporary file a download writes before its final rename. */
export const PART_SUFFIX = '.directlink-part';
/** Suffix of the sidecar record beside a temporary file. */
export const JOURNAL_SUFFIX = `${PART_SUFFIX}.json`;
/** Suffix of the sidecar being written (renamed over the sidecar once complete). */
export const JOURNAL_TMP_SUFFIX = `${JOURNAL_SUFFIX}.tmp`;
/** The lock file that keeps a second `get` out of an output directory. */
export const LOCK_NAME = '.directlink.lock';

// Windows refuses these characters in a name (besides the separators handled with the controls).
const WINDOWS_REFUSED = new Set(['<', '>', ':', '"', '|', '?', '*']);
// Windows device names, refused with any extension and in any case ("con.txt", "Com1.tar.gz").
// The superscript digits are on Microsoft's list too.
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;
// Extensions that read as one (renaming `a.tar.gz` gives `a (1).tar.gz`, not `a.tar (1).gz`).
const DOUBLE_EXTENSIONS = /\.tar\.(gz|bz2|xz|zst|lz|lz4|lzma|lzo|z|br|sz)$/i;
// Longer "extensions" are really part of the name (`Report v2.final draft`).
const MAX_EXTENSION_CHARS = 16;
// The sidecar's name adds this much to the target's: "." + name + ".directlink-part.json.tmp".
const TEMP_OVERHEAD_BYTES = 1 + Buffer.byteLength(JOURNAL_TMP_SUFFIX);
const HASH_CHARS = 8;

/**
 * Turn an untrusted server name into one safe path segment: separators, NUL, control
 * characters (C0, DEL, C1), lone surrogates and the characters Windows refuses become `_`;
 * trailing dots and spaces are dropped; `.`, `..` and empty become `_`; Windows device names
 * get a `_` prefix; bookkeeping names are defused; the result is at most 255 bytes of UTF-8,
 * cut at a code point and keeping the extension. Other Unicode is kept as sent.
 */
export function safeFileName(name: string): string {
  let out = '';
  for (const ch of name) {
    out += isUnsafeChar(ch) ? '_' : ch;
  }
  out = defuseReserved(out);
  out = stripTrailingDotsAndSpaces(out);
  if (out === '') return '_';
  if (isWindowsDeviceName(out)) out = `_${out}`;
  if (Buffer.byteLength(out) > MAX_NAME_BYTES) {
    const { stem, ext } = splitExtension(out);
    out = stripTrailingDotsAndSpaces(truncateUtf8(stem, MAX_NAME_BYTES - Buffer.byteLength(ext))) + ext;
    // A stem made only of dots/spaces would vanish here; the `_` keeps the name non-empty.
    if (out === ext) out = `_${ext}`;
  }
  return out;
}

/**
 * True when the name is one directlink writes for itself: a temporary file, a sidecar,
 * the lock (or its helpers). safeFileName never returns such a name. Case-insensitive.
 */
export function isReservedName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith(LOCK_NAME) || lower.includes(PART_SUFFIX);
}

/**
 * Key under which two names denote the same file on a case- or normalisation-insensitive
 * file system (APFS, HFS+, NTFS). It folds more than any of them does: a false clash only
 * costs a rename, a missed one would overwrite a file.
 */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * Split a name into stem and extension for renaming and truncation: known double extensions
 * (`.tar.gz`), else the last `.xyz` of at most 16 characters without spaces; a leading dot
 * alone (`.bashrc`) is not an extension.
 */
export function splitExtension(name: string): { stem: string; ext: string } {
  const double = DOUBLE_EXTENSIONS.exec(name);
  if (double !== null && double.index > 0) {
    return { stem: name.slice(0, double.index), ext: name.slice(double.index) };
  }
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return { stem: name, ext: '' };
  const ext = name.slice(dot);
  if (ext.length < 2 || [...ext].length > MAX_EXTENSION_CHARS + 1 || /\s/u.test(ext)) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext };
}

/**
 * The `n`th alternative of a safe name: `name (n).ext` (`.bashrc (n)`, `a (n).tar.gz`),
 * with the stem shortened when needed to stay within 255 bytes.
 */
export function numberedName(safeName: string, n: number): string {
  const { stem, ext } = splitExtension(safeName);
  const tail = ` (${n})${ext}`;
  const room = MAX_NAME_BYTES - Buffer.byteLength(tail);
  let head = stripTrailingDotsAndSpaces(truncateUtf8(stem, room));
  if (head === '') head = '_';
  return head + tail;
}

/** Name of the temporary file for a target name (a hashed short form for very long names). */
export function partNameFor(targetName: string): string {
  return `.${tempBase(targetName)}${PART_SUFFIX}`;
}

/** Name of the sidecar record for a target name. */
export function journalNameFor(targetName: string): string {
  return `.${tempBase(targetName)}${JOURNAL_SUFFIX}`;
}

/** Name of the sidecar while it is being written. */
export function journalTmpNameFor(targetName: string): string {
  return `.${tempBase(targetName)}${JOURNAL_TMP_SUFFIX}`;
}

/** Cut a string to at most `maxBytes` of UTF-8 without splitting a code point. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > maxBytes) break;
    out += ch;
    bytes += size;
  }
  return out;
}

function tempBase(targetName: string): string {
  if (Buffer.byteLength(targetName) + TEMP_OVERHEAD_BYTES <= MAX_NAME_BYTES) return targetName;
  // Too long for the prefix and suffix: keep a readable head and make it unique with a hash
  // of the exact name (two long names that differ only at the end still get two temp files).
  const hash = createHash('sha256').update(targetName, 'utf8').digest('hex').slice(0, HASH_CHARS);
  const room = MAX_NAME_BYTES - TEMP_OVERHEAD_BYTES - 1 - HASH_CHARS;
  return `${truncateUtf8(targetName, room)}~${hash}`;
}

function isUnsafeChar(ch: string): boolean {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true; // C0, DEL, C1 (NUL included)
  if (code >= 0xd800 && code <= 0xdfff) return true; // lone surrogate: not encodable as UTF-8
  return ch === '/' || ch === '\\' || WINDOWS_REFUSED.has(ch);
}

function stripTrailingDotsAndSpaces(name: string): string {
  // Windows drops trailing dots and spaces, so `name. ` would silently become `name`.
  return name.replace(/[. ]+$/u, '');
}

function isWindowsDeviceName(name: string): boolean {
  // Windows checks the part before the first dot, ignoring trailing spaces: "CON .txt" too.
  const dot = name.indexOf('.');
  const base = (dot === -1 ? name : name.slice(0, dot)).replace(/ +$/u, '');
  return WINDOWS_DEVICE.test(base);
}

function defuseReserved(name: string): string {
  // A listed file must never be mistaken for a temporary file, a sidecar or the lock.
  let out = name.replace(/\.directlink-part/giu, (m) => `${m.slice(0, 11)}_${m.slice(12)}`);
  if (out.toLowerCase().startsWith(LOCK_NAME)) out = `_${out}`;
  return out;
}
