/**
 * Runs the built CLI (bin/directlink.js → dist/) as a separate process, the way users and
 * cron run it: its own env, a temp HOME, real exit codes and output streams.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/directlink.js');

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Extra environment; HOME, PATH and a clean slate of DIRECTLINK_* are set for you. */
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Written to the child's stdin, then closed. */
  readonly input?: string;
  /** Kill the child after this long (a safety net, not an assertion). */
  readonly timeoutMs?: number;
}

/** A throw-away directory removed by the returned cleanup. */
export function tempDir(prefix = 'directlink-test-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Environment for a child: PATH from ours, nothing else of ours (no stray proxies or tokens). */
export function childEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', TZ: 'UTC' };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

/** Starts the CLI and returns the child (for kill and signal tests). */
export function startCli(args: readonly string[], options: CliOptions & { home: string }): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? options.home,
    env: childEnv(options.home, options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs the CLI to completion. */
export async function runCli(args: readonly string[], options: CliOptions & { home: string }): Promise<CliRun> {
  const child = startCli(args, options);
  return await collect(child, options);
}

/** Waits for a started child, collecting its output. */
export async function collect(child: ChildProcess, options: Pick<CliOptions, 'input' | 'timeoutMs'> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  if (options.input !== undefined) child.stdin?.end(options.input);
  else child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 25_000);
  return await new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}
