/**
 * Test-only TLS material for HTTPS emulators: a throw-away CA and a leaf certificate for
 * `localhost`, `127.0.0.1` and `::1`, made by the openssl command when a test asks, so no
 * private key is ever committed. Never trust these outside tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CA and a leaf for localhost, 127.0.0.1 and ::1; the CA as a PEM file for `--cacert`. */
export interface TestPki {
  readonly caFile: string;
  readonly ca: string;
  readonly key: string;
  readonly cert: string;
}

/** Generates a throw-away CA and a leaf signed by it in `dir` (P-256: fast). Throws without openssl. */
export function makeTestPki(dir: string): TestPki {
  const run = (args: string[]): void => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
    } catch (error) {
      throw new Error(`The HTTPS tests need the openssl command to make a throw-away CA: openssl ${args[0]} failed.`, { cause: error });
    }
  };
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  run(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=directlink throw-away test CA', '-out', 'ca.pem']);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key']);
  run(['req', '-new', '-key', 'leaf.key', '-subj', '/CN=localhost', '-out', 'leaf.csr']);
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'leaf.ext', '-out', 'leaf.pem']);
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  return { caFile: join(dir, 'ca.pem'), ca: read('ca.pem'), key: read('leaf.key'), cert: read('leaf.pem') };
}

let shared: Pick<TestPki, 'ca' | 'key' | 'cert'> | undefined;

/** One PKI per test process, kept in memory: pass `{ key, cert }` to startEmulator's `https`, `ca` to a client. */
export function testTls(): Pick<TestPki, 'ca' | 'key' | 'cert'> {
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), 'directlink-test-pki-'));
    try {
      const { ca, key, cert } = makeTestPki(dir);
      shared = { ca, key, cert };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return shared;
}
