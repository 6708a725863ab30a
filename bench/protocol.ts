/** What bench/run.ts and the emulator process it forks (bench/server.ts) say to each other. */
import type { EmulatorFileInput } from '../test/emulator/server.js';

/** A request from bench/run.ts. */
export type ServerRequest =
  | { readonly id: number; readonly op: 'add'; readonly user: string; readonly files: readonly EmulatorFileInput[] }
  | { readonly id: number; readonly op: 'cpu' }
  | { readonly id: number; readonly op: 'close' };

/** The answer to the request with the same id. */
export type ServerReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

/** The first message: where the emulator listens. */
export interface ServerReady {
  readonly ready: true;
  readonly baseUrl: string;
}

/** Users the bench may use, one per measurement, so no measurement sees another's files. */
export const BENCH_USERS = ['big', 'many', 'listing', 'empty'] as const;
export const BENCH_PASSWORD = 'bench-password';
