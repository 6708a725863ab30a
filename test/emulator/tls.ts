/**
 * Test-only TLS material for HTTPS emulators: a throwaway CA and a leaf certificate for
 * `localhost`, `127.0.0.1` and `::1` (see certs/README.md). Never trust these outside tests.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Paths of the PEM files, for tests that pass `--cacert` to the CLI. */
export const TEST_TLS_PATHS = {
  ca: fileURLToPath(new URL('./certs/ca.pem', import.meta.url)),
  cert: fileURLToPath(new URL('./certs/cert.pem', import.meta.url)),
  key: fileURLToPath(new URL('./certs/key.pem', import.meta.url)),
} as const;

/** The PEM contents: pass `{ key, cert }` to startEmulator's `https`, `ca` to the client. */
export function testTls(): { ca: string; cert: string; key: string } {
  return {
    ca: readFileSync(TEST_TLS_PATHS.ca, 'utf8'),
    cert: readFileSync(TEST_TLS_PATHS.cert, 'utf8'),
    key: readFileSync(TEST_TLS_PATHS.key, 'utf8'),
  };
}
