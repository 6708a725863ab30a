/**
 * Shared pieces of the resilience tests (issue 3, "Never lose a file"): the built CLI as a
 * process against the emulator's fault injection, and looks at the output directory.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Emulator, RequestLogEntry } from '../emulator/server.js';

export const USER = 'demo';
export const MiB = 1024 * 1024;

/** Environment pointing a child CLI at the emulator as `demo`. */
export function cliEnv(emulator: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  return { DIRECTLINK_SERVER: emulator.baseUrl, DIRECTLINK_USER: USER, DIRECTLINK_PASSWORD: 'demo-password', ...extra };
}

/** The temporary file and sidecar record `get` keeps beside a target name. */
export function partOf(dir: string, name: string): string {
  return join(dir, `.${name}.directlink-part`);
}
export function journalOf(dir: string, name: string): string {
  return join(dir, `.${name}.directlink-part.json`);
}

/** Names in a directory, sorted; empty when it does not exist. */
export function namesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** SHA-256 hex of a file on disk, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Size of a file, 0 when it is missing. */
export function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** The journal record as JSON. */
export function readJournalFile(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Requests to the download endpoints (inbox or backup link), in order. */
export function downloadRequests(emulator: Emulator): RequestLogEntry[] {
  return emulator.requests.filter((r) => /\/download\/file(\/backup)?$/.test(r.path));
}

/**
 * Polls until `condition` holds; rejects after `limitMs` (a safety net against a hung
 * test, not a timing assertion) or when the child exits first.
 */
export async function waitFor(condition: () => boolean, what: string, child?: ChildProcess, limitMs = 20_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (condition()) return;
    if (child !== undefined && child.exitCode !== null) throw new Error(`The CLI exited (${child.exitCode}) before ${what}.`);
    if (Date.now() - started > limitMs) throw new Error(`Gave up waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

