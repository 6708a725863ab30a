/**
 * What every command receives: the world it runs in. Built once in cli.ts from the real
 * process, and by tests from temp directories and captured streams; no module reads
 * process globals behind the context's back.
 */
import type { Readable, Writable } from 'node:stream';
import type { CommonOptions } from './session.js';
import type { IO } from './ui/io.js';

export interface Context {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Fires on Ctrl-C / SIGTERM; long operations pass it down. */
  readonly signal: AbortSignal;
  readonly now: () => number;
  readonly pid: number;
  /** The program version, for --version and the User-Agent. */
  readonly version: string;
}

/** Lets a command hand program.ts the IO it built from its flags, so errors print through the same one. */
export interface Runtime {
  io: IO | undefined;
  /** Builds (once) the IO for these flags. */
  ioFor(options: CommonOptions): IO;
}
