/**
 * Runs one command and measures it: wall time from spawn to exit, and peak RSS, taken from
 * GNU time (`/usr/bin/time -v`) when installed, else by polling VmHWM in /proc.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measured {
  readonly code: number | null;
  readonly wallMs: number;
  /** Peak resident set size of the command, KiB (0 when it could not be read). */
  readonly maxRssKiB: number;
  /** User + system CPU time of the command, ms (NaN without GNU time). */
  readonly cpuMs: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface MeasureOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Keep stdout (otherwise it is discarded as it arrives). */
  readonly captureStdout?: boolean;
  /** Measure peak RSS (default true); false runs the command bare, for start-up timing. */
  readonly rss?: boolean;
  /** Kill the command after this long (a safety net). */
  readonly timeoutMs?: number;
}

const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME);
let sequence = 0;

/** Runs `command args` to completion and measures it. */
export async function measure(command: string, args: readonly string[], options: MeasureOptions): Promise<Measured> {
  const timeFile = join(tmpdir(), `directlink-bench-time-${process.pid}-${sequence++}.txt`);
  const viaTime = hasGnuTime && options.rss !== false;
  const [file, argv] = viaTime ? [GNU_TIME, ['-v', '-o', timeFile, command, ...args]] : [command, [...args]];
  const started = performance.now();
  const child = spawn(file, argv, { env: options.env ?? process.env, stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let polledKiB = 0;
  const poll = viaTime || options.rss === false
    ? undefined
    : setInterval(() => {
        try {
          const match = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (match?.[1]) polledKiB = Math.max(polledKiB, Number(match[1]));
        } catch {
          // Gone already.
        }
      }, 10);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  });
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  if (poll) clearInterval(poll);
  let maxRssKiB = polledKiB;
  let cpuMs = Number.NaN;
  if (viaTime) {
    try {
      const text = readFileSync(timeFile, 'utf8');
      maxRssKiB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(text)?.[1] ?? 0);
      const seconds = (label: string): number => Number(new RegExp(`${label} time \\(seconds\\): ([\\d.]+)`).exec(text)?.[1] ?? Number.NaN);
      cpuMs = (seconds('User') + seconds('System')) * 1000;
    } finally {
      rmSync(timeFile, { force: true });
    }
  }
  return { code, wallMs, maxRssKiB, cpuMs, stdout, stderr };
}

/** The median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
