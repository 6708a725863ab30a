/**
 * The process entry point: the only file that reads process.argv, installs signal handlers
 * and sets the exit code. Everything else receives a Context.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { Context } from './context.js';
import { EXIT } from './errors.js';
import { runCli } from './program.js';

// undici parses HTTP with a WebAssembly build of llhttp, and V8 recompiles its hot functions
// with TurboFan in the background partway through a run: about 30 MiB of peak RSS and 0.1 to
// 0.3 s of CPU, for no measurable gain on our traffic (BENCHMARKS.md). A budget this large
// keeps the baseline (Liftoff) code. Read when undici compiles llhttp, which is later.
setFlagsFromString('--wasm-tiering-budget=2000000000');

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const controller = new AbortController();
/**
 * Other listeners may re-raise a signal they saw: conf's atomically (through when-exit) does
 * `process.kill(process.pid, signal)` from its own handler. That echo arrives a loop turn
 * after the real signal and must not count as the "second Ctrl-C" that exits at once, or
 * Ctrl-C would skip the clean stop (lock release, message, exit code path).
 */
const ECHO_WINDOW_MS = 1000;
const STOP_GRACE_MS = 10_000;
let firstSignalAt: number | undefined;
let echoesExpected = 0;
const onSignal = (name: NodeJS.Signals): void => {
  if (firstSignalAt === undefined) {
    firstSignalAt = Date.now();
    echoesExpected = process.listeners(name).filter((listener) => listener !== onSignal).length;
    controller.abort(new Error(`received ${name}`));
    // A stop must not wait on something that ignores the abort (a hung file system call,
    // say): after a grace period the journal has what the next run needs, so go.
    setTimeout(() => {
      process.stderr.write('\u001b[?25h');
      process.exit(EXIT.interrupted);
    }, STOP_GRACE_MS).unref();
    return;
  }
  if (echoesExpected > 0 && Date.now() - firstSignalAt < ECHO_WINDOW_MS) {
    echoesExpected--;
    return;
  }
  // A second Ctrl-C means "now": the journal already makes every partial file resumable.
  process.stderr.write('\u001b[?25h');
  process.exit(EXIT.interrupted);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
// A file-size limit (`ulimit -f`) must fail the write with EFBIG, which names the file and
// keeps the part for the next run, not kill the process. Node ignores SIGXFSZ, but when-exit
// (through conf's atomically) listens for it once and re-raises it; with no listener left the
// default action, a kill, applies. A listener of our own keeps it caught.
process.on('SIGXFSZ', () => undefined);

const ctx: Context = {
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
  now: Date.now,
  pid: process.pid,
  version: readVersion(),
};

// A closed pipe (`directlink list | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

const code = await runCli(process.argv.slice(2), ctx);
process.exitCode = code;
// Never let a lingering socket keep a cron job alive once the work is done.
setTimeout(() => process.exit(code), 3000).unref();
