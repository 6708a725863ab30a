/**
 * Reporters that turn engine events (TransferEvent) into what people see: progress bars on
 * a terminal, plain lines for logs (no `\r`, no cursor movement), or nothing. The engine
 * counts; this file only measures rates and renders.
 */
import { createRequire } from 'node:module';
import { isAbsolute, relative } from 'node:path';
import { Writable } from 'node:stream';
import type cliProgress from 'cli-progress';
import type { TransferEvent, TransferResult } from '../transfer/types.js';
import { isCI } from './io.js';
import type { IO } from './io.js';
import {
  displayWidth,
  escapeForTerminal,
  escapeMessage,
  formatDuration,
  formatEta,
  formatRate,
  formatSize,
  padToWidth,
  truncateToWidth,
} from './render.js';

export type ReporterMode = 'bars' | 'lines' | 'silent';

export interface Reporter {
  /** Feed every engine event here; cheap per call (progress events arrive per chunk). */
  onEvent(event: TransferEvent): void;
  /** A human line (escaped); with bars it prints above them. */
  log(message: string): void;
  /** Removes bars and restores the cursor; idempotent. Call it in a `finally`. */
  stop(): void;
}

export interface ReporterOptions {
  /** Monotonic clock in ms for rates (default `performance.now`). */
  readonly now?: () => number;
  /** Paths under this directory are shown relative to it. */
  readonly cwd?: string;
}

/** silent for --json/--quiet; bars when stderr is a terminal (not CI, not TERM=dumb) and progress is wanted; lines otherwise. */
export function chooseReporterMode(io: IO, opts: { progress?: boolean } = {}): ReporterMode {
  if (io.isJson || io.isQuiet) return 'silent';
  if (opts.progress !== false && io.isStderrTTY && io.env['TERM'] !== 'dumb' && !isCI(io.env)) return 'bars';
  return 'lines';
}

/** Builds the reporter for a mode; see Reporter. */
export function createReporter(io: IO, mode: ReporterMode, opts: ReporterOptions = {}): Reporter {
  const now = opts.now ?? (() => performance.now());
  switch (mode) {
    case 'bars':
      return new BarsReporter(io, now, opts.cwd);
    case 'lines':
      return new LinesReporter(io, opts.cwd);
    case 'silent':
      return new SilentReporter(io);
  }
}

/** `3 downloaded (52.1 MiB in 2.3s, 22.6 MiB/s), 1 skipped, 0 failed`: the line `get` prints at the end. */
export function formatSummary(result: TransferResult, elapsedMs: number): string {
  const count = result.downloaded.length;
  const bytes = result.downloaded.reduce((sum, d) => sum + d.size, 0);
  let text = `${count} downloaded`;
  if (count > 0) {
    const rate = elapsedMs > 0 ? `, ${formatRate((bytes * 1000) / elapsedMs)}` : '';
    text += ` (${formatSize(bytes)} in ${formatDuration(elapsedMs)}${rate})`;
  }
  return `${text}, ${result.skipped.length} skipped, ${result.failed.length} failed`;
}

// ---------------------------------------------------------------------------------------
// Measuring

const RATE_WINDOW_MS = 5000;
const RATE_SAMPLE_GAP_MS = 100;
const RATE_MIN_SPAN_MS = 300;

/** Rate of a monotonic counter over a sliding window, sampled at most every 100 ms. */
export class RateMeter {
  private readonly samples: { t: number; v: number }[] = [];

  /** Records the counter's value at time t (ms). */
  add(t: number, value: number): void {
    const last = this.samples.at(-1);
    if (last === undefined || t - last.t >= RATE_SAMPLE_GAP_MS) this.samples.push({ t, v: value });
    // Keep one sample older than the window as the anchor, so a stall decays to 0.
    while (this.samples.length > 2 && (this.samples[1]?.t ?? t) <= t - RATE_WINDOW_MS) this.samples.shift();
  }

  /** Units per second between the window's oldest sample and `value` now; undefined until 300 ms of data. */
  rate(t: number, value: number): number | undefined {
    while (this.samples.length > 1 && (this.samples[1]?.t ?? t) <= t - RATE_WINDOW_MS) this.samples.shift();
    const anchor = this.samples[0];
    if (anchor === undefined || t - anchor.t < RATE_MIN_SPAN_MS) return undefined;
    return Math.max(0, ((value - anchor.v) * 1000) / (t - anchor.t));
  }
}

export interface ProgressSnapshot {
  /** Bytes done (for a file: on disk, offset included; overall: fetched this run). */
  readonly bytes: number;
  readonly total: number;
  /** 0..1, undefined when the total is 0 and nothing has finished. */
  readonly fraction: number | undefined;
  readonly rate: number | undefined;
  readonly etaSeconds: number | undefined;
}

interface FileTrack {
  readonly name: string;
  readonly size: number;
  /** Bytes on disk before this run's transfer began (resume offset); 0 after a restart. */
  base: number;
  bytes: number;
  /** Bytes received for this file this run, never decreasing (restarts do not undo them). */
  received: number;
  readonly meter: RateMeter;
}

/**
 * Byte and file accounting fed by TransferEvent: overall and per-file progress, rates over
 * a 5 s window, ETAs. Robust to `file-restart` (bytes back to 0), to bytes that go
 * backwards without one, to sizes of 0, and to events for unknown keys.
 */
export class TransferStats {
  filesTotal = 0;
  filesFinished = 0;
  private totalBytes = 0;
  private finishedBytes = 0;
  private received = 0;
  private sawRunStart = false;
  private readonly overallMeter = new RateMeter();
  private readonly files = new Map<string, FileTrack>();

  constructor(private readonly now: () => number) {}

  /** Applies one event. */
  apply(event: TransferEvent): void {
    const t = this.now();
    switch (event.type) {
      case 'run-start':
        this.sawRunStart = true;
        this.filesTotal = event.files;
        this.totalBytes = event.bytes;
        this.overallMeter.add(t, this.received);
        return;
      case 'file-start': {
        const offset = Math.min(Math.max(0, event.offset), Math.max(0, event.size));
        if (!this.sawRunStart) {
          this.filesTotal += 1;
          this.totalBytes += Math.max(0, event.size - offset);
        }
        const track: FileTrack = { name: event.name, size: Math.max(0, event.size), base: offset, bytes: offset, received: 0, meter: new RateMeter() };
        track.meter.add(t, 0);
        this.files.set(event.key, track);
        this.overallMeter.add(t, this.received);
        return;
      }
      case 'file-progress': {
        const track = this.files.get(event.key);
        if (track === undefined) return;
        const bytes = Math.max(0, event.bytes);
        if (bytes < track.base) {
          // Went below where it started without a restart event: the lost part must be fetched again.
          this.totalBytes += track.base - bytes;
          track.base = bytes;
        }
        const delta = bytes - track.bytes;
        if (delta > 0) {
          track.received += delta;
          this.received += delta;
        }
        track.bytes = bytes;
        track.meter.add(t, track.received);
        this.overallMeter.add(t, this.received);
        return;
      }
      case 'file-restart': {
        const track = this.files.get(event.key);
        if (track === undefined) return;
        // The server ignored Range: the resumed offset must be fetched too.
        this.totalBytes += track.base;
        track.base = 0;
        track.bytes = 0;
        return;
      }
      case 'file-done': {
        const track = this.files.get(event.key);
        this.filesFinished += 1;
        if (track === undefined) return;
        this.finishedBytes += Math.max(0, track.size - track.base);
        this.files.delete(event.key);
        return;
      }
      case 'file-failed':
      case 'file-skipped': {
        const track = this.files.get(event.key);
        this.filesFinished += 1;
        if (track === undefined) return;
        // What was fetched stays counted; what never will be leaves the total.
        this.finishedBytes += track.bytes - track.base;
        this.totalBytes -= Math.max(0, track.size - track.bytes);
        this.files.delete(event.key);
        return;
      }
      case 'file-retry':
      case 'log':
        return;
    }
  }

  /** The whole run so far. */
  overall(): ProgressSnapshot {
    const t = this.now();
    let bytes = this.finishedBytes;
    for (const track of this.files.values()) bytes += track.bytes - track.base;
    bytes = Math.max(0, bytes);
    const total = Math.max(this.totalBytes, bytes);
    const isComplete = this.filesTotal > 0 && this.filesFinished >= this.filesTotal;
    const fraction = total > 0 ? bytes / total : isComplete ? 1 : undefined;
    const rate = this.overallMeter.rate(t, this.received);
    return { bytes, total, fraction, rate, etaSeconds: eta(total - bytes, rate) };
  }

  /** One active file, undefined once it finished or if unknown. */
  file(key: string): (ProgressSnapshot & { readonly name: string }) | undefined {
    const track = this.files.get(key);
    if (track === undefined) return undefined;
    const t = this.now();
    const total = Math.max(track.size, track.bytes);
    const rate = track.meter.rate(t, track.received);
    return {
      name: track.name,
      bytes: track.bytes,
      total,
      fraction: total > 0 ? track.bytes / total : undefined,
      rate,
      etaSeconds: eta(total - track.bytes, rate),
    };
  }
}

function eta(remaining: number, rate: number | undefined): number | undefined {
  if (remaining <= 0) return 0;
  if (rate === undefined || rate <= 0) return undefined;
  return remaining / rate;
}

// ---------------------------------------------------------------------------------------
// Rendering

function formatPercent(fraction: number | undefined): string {
  if (fraction === undefined) return '  -%';
  return `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`.padStart(4);
}

function displayPath(path: string, cwd: string | undefined): string {
  if (cwd !== undefined) {
    const rel = relative(cwd, path);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return escapeForTerminal(rel);
  }
  return escapeForTerminal(path);
}

function retryText(name: string, attempt: number, delayMs: number, reason: string): string {
  return `${escapeForTerminal(name)}: attempt ${attempt} in ${(Math.max(0, delayMs) / 1000).toFixed(1)}s (${escapeForTerminal(reason)})`;
}

const RESTART_TEXT = 'the server ignored the resume request, starting over from the beginning';

/** One plain line per finished/failed/skipped file, retries and restarts; never `\r` or cursor codes. */
class LinesReporter implements Reporter {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly io: IO,
    private readonly cwd: string | undefined,
  ) {}

  onEvent(event: TransferEvent): void {
    const c = this.io.errChalk;
    switch (event.type) {
      case 'file-start':
        this.names.set(event.key, event.name);
        return;
      case 'file-retry':
        this.io.err(`${c.yellow('retry')} ${retryText(this.names.get(event.key) ?? event.key, event.attempt, event.delayMs, event.reason)}`);
        return;
      case 'file-restart':
        this.io.err(`${c.yellow('restart')} ${escapeForTerminal(this.names.get(event.key) ?? event.key)}: ${RESTART_TEXT}`);
        return;
      case 'file-done':
        this.names.delete(event.key);
        this.io.err(`${c.green('downloaded')} ${escapeForTerminal(event.name)} -> ${displayPath(event.targetPath, this.cwd)} (${formatSize(event.size)})`);
        return;
      case 'file-failed':
        this.names.delete(event.key);
        this.io.err(`${c.red('failed')} ${escapeForTerminal(event.name)}: ${escapeForTerminal(event.error)}${event.partialKept ? ' (partial file kept for the next run)' : ''}`);
        return;
      case 'file-skipped':
        this.names.delete(event.key);
        this.io.err(`${c.dim('skipped')} ${escapeForTerminal(event.name)}: ${escapeForTerminal(event.reason)}`);
        return;
      case 'log':
        if (event.level === 'warn') this.io.warn(event.message);
        else this.log(event.message);
        return;
      case 'run-start':
      case 'file-progress':
        return;
    }
  }

  log(message: string): void {
    this.io.err(escapeMessage(message));
  }

  stop(): void {}
}

/** Nothing but warnings (io.warn) and log lines (io.info, which --quiet silences). */
class SilentReporter implements Reporter {
  constructor(private readonly io: IO) {}

  onEvent(event: TransferEvent): void {
    if (event.type !== 'log') return;
    if (event.level === 'warn') this.io.warn(event.message);
    else this.io.info(event.message);
  }

  log(message: string): void {
    this.io.info(message);
  }

  stop(): void {}
}

const SHOW_CURSOR = '\x1b[?25h';
const ERASE_TO_EOL = '\x1b[K';

/**
 * What cli-progress writes to: stderr, seen as a very wide terminal. cli-progress either
 * turns the terminal's line wrap off (then long log lines above the bars are cut at the
 * edge) or cuts every line to `columns` characters counting colour codes (then coloured
 * bars lose their end). Our lines are already fitted to the real width, so we keep wrap
 * on and let nothing be cut.
 */
function barStream(target: Writable): Writable & { isTTY: true; columns: number } {
  const out = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      target.write(chunk);
      callback();
    },
  });
  return Object.assign(out, { isTTY: true as const, columns: 100_000 });
}

/**
 * cli-progress MultiBar on stderr: an overall bar, then one bar per active file. Events
 * only update TransferStats; cli-progress redraws from it on its own 10 fps timer, so a
 * chunk never costs a terminal write.
 */
class BarsReporter implements Reporter {
  private readonly stats: TransferStats;
  private multibar: cliProgress.MultiBar | undefined;
  private overallBar: cliProgress.SingleBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly names = new Map<string, string>();
  private isStopped = false;

  constructor(
    private readonly io: IO,
    now: () => number,
    private readonly cwd: string | undefined,
  ) {
    this.stats = new TransferStats(now);
  }

  onEvent(event: TransferEvent): void {
    if (this.isStopped) return;
    this.stats.apply(event);
    const c = this.io.errChalk;
    switch (event.type) {
      case 'run-start':
        this.ensureOverallBar();
        return;
      case 'file-start': {
        this.ensureOverallBar();
        this.names.set(event.key, event.name);
        const key = event.key;
        const name = escapeForTerminal(event.name);
        this.removeBar(key);
        const bar = this.ensureMultibar().create(1, 0, { render: () => this.fileLine(key, name) });
        this.bars.set(key, bar);
        return;
      }
      case 'file-retry':
        this.log(`${c.yellow('retry')} ${retryText(this.names.get(event.key) ?? event.key, event.attempt, event.delayMs, event.reason)}`, false);
        return;
      case 'file-restart':
        this.log(`${c.yellow('restart')} ${escapeForTerminal(this.names.get(event.key) ?? event.key)}: ${RESTART_TEXT}`, false);
        return;
      case 'file-done':
        this.log(`${c.green('✓')} ${escapeForTerminal(event.name)} → ${displayPath(event.targetPath, this.cwd)} (${formatSize(event.size)})`, false);
        this.finishFile(event.key);
        return;
      case 'file-failed':
        this.log(`${c.red('✗')} ${escapeForTerminal(event.name)}: ${escapeForTerminal(event.error)}${event.partialKept ? c.dim(' (partial file kept for the next run)') : ''}`, false);
        this.finishFile(event.key);
        return;
      case 'file-skipped':
        this.log(`${c.dim('-')} ${escapeForTerminal(event.name)}: ${c.dim(`skipped (${escapeForTerminal(event.reason)})`)}`, false);
        this.finishFile(event.key);
        return;
      case 'log':
        this.log(event.level === 'warn' ? `${c.yellow('warning:')} ${escapeForTerminal(event.message)}` : escapeForTerminal(event.message), false);
        return;
      case 'file-progress':
        return;
    }
  }

  log(message: string, escape = true): void {
    const text = escape ? escapeMessage(message) : message;
    if (this.multibar !== undefined && !this.isStopped) {
      // Printed above the bars on the next redraw. cli-progress clears only the first row it
      // writes on: erase the rest of each row, or a wrapped line leaves bits of an old bar.
      this.multibar.log(text.replaceAll('\n', ERASE_TO_EOL + '\n') + ERASE_TO_EOL + '\n');
    } else {
      this.io.err(text);
    }
  }

  stop(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    const multibar = this.multibar;
    if (multibar === undefined) return;
    try {
      // Flush buffered log lines (cli-progress only prints them on a redraw), then clear the bars.
      multibar.update();
      multibar.stop();
    } catch {
      this.io.stderr.write(SHOW_CURSOR);
    }
  }

  private ensureMultibar(): cliProgress.MultiBar {
    if (this.multibar !== undefined) return this.multibar;
    // Loaded with the first bar: plain-line and silent runs (cron, --json) skip its start-up cost.
    const { MultiBar } = createRequire(import.meta.url)('cli-progress') as typeof cliProgress;
    this.multibar = new MultiBar({
      stream: barStream(this.io.stderr),
      fps: 10,
      hideCursor: true,
      linewrap: true,
      clearOnComplete: true,
      // Signals are the CLI's business (it aborts the run, then we are stopped in a finally).
      gracefulExit: false,
      format: (_options, _params, payload: unknown) => {
        const render = (payload as { render?: unknown }).render;
        return typeof render === 'function' ? (render as () => string)() : '';
      },
    });
    return this.multibar;
  }

  private ensureOverallBar(): void {
    if (this.overallBar !== undefined) return;
    this.overallBar = this.ensureMultibar().create(1, 0, { render: () => this.overallLine() });
  }

  private finishFile(key: string): void {
    this.names.delete(key);
    this.removeBar(key);
  }

  private removeBar(key: string): void {
    const bar = this.bars.get(key);
    if (bar === undefined) return;
    this.bars.delete(key);
    // remove() redraws at once, which also prints the log lines queued just before.
    this.multibar?.remove(bar);
  }

  private fileLine(key: string, name: string): string {
    const snap = this.stats.file(key);
    if (snap === undefined) return '';
    return this.composeLine(name, snap, false);
  }

  private overallLine(): string {
    const label = `${Math.min(this.stats.filesFinished, this.stats.filesTotal)}/${this.stats.filesTotal} files`;
    return this.composeLine(label, this.stats.overall(), true);
  }

  /** `name  ████░░░░  12.3 MiB/50.0 MiB   24%  5.2 MiB/s  0:07`, fitted to the terminal width. */
  private composeLine(label: string, snap: ProgressSnapshot, isOverall: boolean): string {
    const c = this.io.errChalk;
    const width = Math.max(20, this.io.columns - 1);
    const sizeText = `${formatSize(snap.bytes)}/${formatSize(snap.total)}`.padStart(19);
    const tail = [formatPercent(snap.fraction), formatRate(snap.rate).padStart(11), formatEta(snap.etaSeconds).padStart(7)].join('  ');
    let right = `${sizeText}  ${tail}`;
    if (width - displayWidth(right) - 2 < 16) right = tail;
    const available = Math.max(0, width - displayWidth(right) - 2);
    // The same label width on every line, so the bars line up.
    let labelWidth = Math.max(8, Math.floor(available * 0.6));
    let barWidth = available - labelWidth - 2;
    if (barWidth < 5) {
      labelWidth = available;
      barWidth = 0;
    }
    const shownLabel = padToWidth(truncateToWidth(label, labelWidth, 'middle'), labelWidth);
    const filled = Math.round((snap.fraction ?? 0) * barWidth);
    const bar = barWidth > 0 ? `  ${c.cyan('█'.repeat(filled))}${c.dim('░'.repeat(barWidth - filled))}` : '';
    return `${isOverall ? c.bold(shownLabel) : shownLabel}${bar}  ${right}`;
  }
}
