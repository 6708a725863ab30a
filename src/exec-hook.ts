/**
 * `get --exec CMD`: run a shell command for each downloaded file, its path in
 * $DIRECTLINK_FILE. The path is passed through the environment, never spliced into the
 * command line, so a hostile file name can't inject shell syntax.
 */
import { spawn } from 'node:child_process';

export interface ExecHookOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Where the hook's stdout and stderr go (stderr of directlink: stdout is for data). */
  readonly output: (text: string) => void;
  readonly signal: AbortSignal;
}

/** Runs the hook and resolves with its exit status (null when killed by a signal). */
export async function runExecHook(command: string, filePath: string, options: ExecHookOptions): Promise<number | null> {
  return await new Promise((resolvePromise) => {
    const child = spawn(command, {
      shell: true,
      cwd: options.cwd,
      env: { ...options.env, DIRECTLINK_FILE: filePath },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    child.stdout.on('data', (chunk: Buffer) => options.output(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => options.output(chunk.toString('utf8')));
    child.on('error', () => resolvePromise(127));
    child.on('close', (code) => resolvePromise(code));
  });
}
