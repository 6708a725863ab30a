/**
 * What the emulator's answers look like on the wire: the JSON envelopes (with the vendor's
 * spelling), Go-style time strings, proxy error pages and Content-Disposition values.
 */
import { STATUS_CODES } from 'node:http';

/** The server version string every envelope carries. */
export const APIVER = 'v1 (3.6.0)';

/**
 * Go's `time.Time.String()`: `2022-06-13 19:37:52.366591 -0300 -03 m=+25968.26`. The server is
 * written in Go and prints its monotonic clock reading (`m=+…`) too; clients must not parse it.
 */
export function goTime(epochMs: number, monotonicSec: number): string {
  const d = new Date(epochMs);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const fraction = pad(d.getUTCMilliseconds(), 3).replace(/0+$/, '');
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction === '' ? '' : `.${fraction}`}` +
    ` +0000 UTC m=+${monotonicSec.toFixed(9)}`
  );
}

/** The error envelope: `{status, description, apiver, time}` with the HTTP status repeated. */
export function errorEnvelope(status: number, time: string): Record<string, unknown> {
  return { status, description: STATUS_CODES[status] ?? 'Error', apiver: APIVER, time };
}

/** The OAuth2 endpoint's own error shape. */
export function oauthError(status: number, errorUri: string): Record<string, unknown> {
  return { error: status, error_description: STATUS_CODES[status] ?? 'Error', error_uri: errorUri };
}

/** The kind of page an nginx reverse proxy shows when the upstream fails. */
export function proxyErrorPage(status: number): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

/**
 * `attachment; filename="…"`, plus RFC 5987 `filename*` when the name is not printable ASCII.
 * Header values can't carry control bytes, so the plain fallback replaces them with `_`; the
 * exact name (ESC bytes included) survives in `filename*`.
 */
export function contentDisposition(name: string): string {
  const isPlainAscii = /^[\x20-\x7e]*$/.test(name);
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '\\$&');
  if (isPlainAscii) return `attachment; filename="${fallback}"`;
  // encodeURIComponent throws on lone surrogates; a JS string from a test may hold one.
  const wellFormed = name.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  const encoded = encodeURIComponent(wellFormed).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
