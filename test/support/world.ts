/**
 * The fresh world most process-level tests start from: an emulator on loopback, a temp HOME,
 * an output directory path in it, the environment that points the CLI at the emulator, and
 * a `get` runner. Registers its own setup and teardown.
 */
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/server.js';
import { runCli, tempDir, type CliRun } from './cli.js';

export interface CliWorld {
  emulator: Emulator;
  home: { path: string; cleanup(): void };
  /** `<home>/out`, not created. */
  out: string;
  /** DIRECTLINK_SERVER, _USER and _PASSWORD for the emulator's default user. */
  env: Record<string, string>;
  /** Runs `directlink get -o <out> ...args` against the emulator, as cron would. */
  get(args: string[], extra?: Record<string, string>): Promise<CliRun>;
}

/** Registers the per-test setup and teardown; the returned object is refilled before each test. */
export function useCliWorld(prefix?: string): CliWorld {
  const world = {} as CliWorld;
  beforeEach(async () => {
    world.emulator = await startEmulator();
    world.home = tempDir(prefix);
    world.out = join(world.home.path, 'out');
    world.env = { DIRECTLINK_SERVER: world.emulator.baseUrl, DIRECTLINK_USER: 'demo', DIRECTLINK_PASSWORD: 'demo-password' };
    world.get = (args, extra = {}) => runCli(['get', '-o', world.out, ...args], { home: world.home.path, env: { ...world.env, ...extra }, timeoutMs: 60_000 });
  });
  afterEach(async () => {
    await world.emulator.close();
    world.home.cleanup();
  });
  return world;
}
