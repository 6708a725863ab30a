/**
 * A world for transfer tests: the emulator on loopback, the real API client, a real temp
 * directory, instant backoff, and an event log.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Area, RemoteFile } from '../../src/api/types.js';
import { createApiClient, parseServerUrl, type ApiClient } from '../../src/api/client.js';
import type { DownloadDeps } from '../../src/transfer/download.js';
import type { PlannedDownload, TransferEvent } from '../../src/transfer/types.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/server.js';

export const USER = 'demo';

export interface World {
  readonly emulator: Emulator;
  readonly client: ApiClient;
  readonly dir: string;
  readonly events: TransferEvent[];
  readonly controller: AbortController;
  /** The file as the client lists it now. */
  listed(name: string, area?: Area): Promise<RemoteFile>;
  /** A fresh download of a listed file into the temp dir. */
  item(file: RemoteFile, overrides?: Partial<PlannedDownload>): PlannedDownload;
  /** Deps with instant backoff; override anything. */
  deps(overrides?: Partial<DownloadDeps>): DownloadDeps;
  /** Emulator requests to download endpoints, as `file` / `file-backup` plus the Range header. */
  downloads(): { endpoint: string; range: string | undefined; status: number }[];
  /** Names in the temp dir, sorted. */
  names(): Promise<string[]>;
  close(): Promise<void>;
}

export async function makeWorld(options: EmulatorOptions & { clientIdleTimeoutMs?: number } = {}): Promise<World> {
  const emulator = await startEmulator(options);
  const dir = await mkdtemp(join(tmpdir(), 'directlink-transfer-'));
  const client = createApiClient({
    baseUrl: parseServerUrl(emulator.baseUrl),
    credentials: { user: USER, password: 'demo-password' },
    auth: 'bearer',
    transport: { concurrency: 4, connectTimeoutMs: 5_000, idleTimeoutMs: options.clientIdleTimeoutMs ?? 20_000, env: {} },
  });
  const events: TransferEvent[] = [];
  const controller = new AbortController();
  return {
    emulator,
    client,
    dir,
    events,
    controller,
    async listed(name, area = 'inbox') {
      const file = (await client.listAll(area)).find((f) => f.name === name);
      if (file === undefined) throw new Error(`test setup: ${name} is not listed in ${area}`);
      return file;
    },
    item(file, overrides = {}) {
      const targetName = overrides.targetName ?? file.name;
      return { file, targetName, targetPath: join(dir, targetName), action: 'download', conflict: 'none', recovery: false, ...overrides };
    },
    deps(overrides = {}) {
      return {
        api: client,
        signal: controller.signal,
        onEvent: (event) => events.push(event),
        retries: 5,
        sleep: () => Promise.resolve(),
        random: () => 0.5,
        idleTimeoutMs: 10_000,
        ...overrides,
      };
    },
    downloads() {
      return emulator.requests
        .filter((r) => r.path.endsWith('/download/file') || r.path.endsWith('/download/file/backup'))
        .map((r) => ({ endpoint: r.path.endsWith('/backup') ? 'file-backup' : 'file', range: r.headers.range as string | undefined, status: r.status }));
    },
    async names() {
      return (await readdir(dir)).sort();
    },
    async close() {
      controller.abort();
      await client.close();
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** SHA-256 hex of a file on disk, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
