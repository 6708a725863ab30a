import { describe, expect, it } from 'vitest';
import type { TransferEvent, TransferResult } from '../../src/transfer/types.js';
import { createTestIO } from '../../src/ui/io.js';
import { RateMeter, TransferStats, chooseReporterMode, createReporter, formatSummary } from '../../src/ui/progress.js';

const MiB = 1024 * 1024;

function clock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const run: TransferEvent[] = [
  { type: 'run-start', files: 3, bytes: 3000 },
  { type: 'file-start', key: 'a', name: 'a.csv', targetPath: '/out/a.csv', size: 1000, offset: 0 },
  { type: 'file-progress', key: 'a', bytes: 500 },
  { type: 'file-retry', key: 'a', attempt: 2, delayMs: 1234, reason: 'connection reset' },
  { type: 'file-restart', key: 'a' },
  { type: 'file-progress', key: 'a', bytes: 1000 },
  { type: 'file-done', key: 'a', name: 'a.csv', targetPath: '/out/a.csv', size: 1000 },
  { type: 'file-start', key: 'b', name: 'evil\x1b]0;pwned\x07\r.txt', targetPath: '/out/evil.txt', size: 1000, offset: 0 },
  { type: 'file-failed', key: 'b', name: 'evil\x1b]0;pwned\x07\r.txt', targetPath: '/out/evil.txt', error: 'Failed to download "evil": \x1b[2Jgone', partialKept: true },
  { type: 'file-skipped', key: 'c', name: 'c.csv', targetPath: '/elsewhere/c.csv', reason: 'exists' },
  { type: 'log', level: 'warn', message: 'TLS verification is off' },
  { type: 'log', level: 'info', message: 'resuming 1 file' },
];

describe('lines reporter', () => {
  it('prints one plain line per outcome, retries and restarts', () => {
    const t = createTestIO();
    const reporter = createReporter(t.io, 'lines', { cwd: '/out' });
    for (const event of run) reporter.onEvent(event);
    reporter.log('done soon');
    reporter.stop();
    expect(t.stderr()).toBe(
      [
        'retry a.csv: attempt 2 in 1.2s (connection reset)',
        'restart a.csv: the server ignored the resume request, starting over from the beginning',
        'downloaded a.csv -> a.csv (1000 B)',
        'failed evil\\x1b]0;pwned\\x07\\r.txt: Failed to download "evil": \\x1b[2Jgone (partial file kept for the next run)',
        'skipped c.csv: exists',
        'warning: TLS verification is off',
        'resuming 1 file',
        'done soon',
        '',
      ].join('\n'),
    );
    expect(t.stdout()).toBe('');
  });

  it('never writes \\r or ESC when colour is off, even on a terminal', () => {
    for (const opts of [{}, { isStderrTTY: true, color: false }, { isStderrTTY: true, env: { NO_COLOR: '1' } }]) {
      const t = createTestIO(opts);
      const reporter = createReporter(t.io, 'lines');
      for (const event of run) reporter.onEvent(event);
      reporter.stop();
      // eslint-disable-next-line no-control-regex
      expect(t.stderr()).not.toMatch(/[\r\x1b\x07]/);
    }
  });

  it('colours the verbs when stderr has colour', () => {
    const t = createTestIO({ isStderrTTY: true });
    const reporter = createReporter(t.io, 'lines');
    for (const event of run) reporter.onEvent(event);
    expect(t.stderr()).toContain('\x1b[32mdownloaded\x1b[39m a.csv');
    expect(t.stderr()).not.toContain('\r');
  });
});

describe('silent reporter', () => {
  it('prints only warnings, and info unless quiet', () => {
    const t = createTestIO({ json: true });
    const reporter = createReporter(t.io, 'silent');
    for (const event of run) reporter.onEvent(event);
    reporter.stop();
    expect(t.stderr()).toBe('warning: TLS verification is off\nresuming 1 file\n');
    const q = createTestIO({ quiet: true });
    const quiet = createReporter(q.io, 'silent');
    for (const event of run) quiet.onEvent(event);
    quiet.log('hello');
    expect(q.stderr()).toBe('warning: TLS verification is off\n');
  });
});

describe('bars reporter', () => {
  it('prints outcomes as lines, escapes names, and restores the cursor on stop', () => {
    const t = createTestIO({ isStderrTTY: true, color: false });
    const c = clock();
    const reporter = createReporter(t.io, 'bars', { cwd: '/out', now: c.now });
    for (const event of run) reporter.onEvent(event);
    reporter.log('a line above the bars');
    reporter.stop();
    reporter.stop();
    const out = t.stderr();
    expect(out).toContain('✓ a.csv → a.csv (1000 B)');
    expect(out).toContain('✗ evil\\x1b]0;pwned\\x07\\r.txt: Failed to download "evil": \\x1b[2Jgone');
    expect(out).toContain('retry a.csv: attempt 2 in 1.2s (connection reset)');
    expect(out).toContain('a line above the bars');
    expect(out).not.toContain('\x1b]0;pwned');
    expect(out).not.toContain('\x07');
    // Cursor hidden while bars run, shown after stop; line wrap is never turned off.
    expect(out.lastIndexOf('\x1b[?25h')).toBeGreaterThan(out.lastIndexOf('\x1b[?25l'));
    expect(out).not.toContain('\x1b[?7l');
    expect(out).not.toContain('\x1b[3');
  });

  it('does not write per chunk: redraws come from the 10 fps timer', () => {
    const t = createTestIO({ isStderrTTY: true, color: false });
    const reporter = createReporter(t.io, 'bars');
    try {
      reporter.onEvent({ type: 'run-start', files: 1, bytes: 100 * MiB });
      reporter.onEvent({ type: 'file-start', key: 'k', name: 'big.bin', targetPath: '/out/big.bin', size: 100 * MiB, offset: 0 });
      const before = t.stderr().length;
      for (let i = 1; i <= 10_000; i++) reporter.onEvent({ type: 'file-progress', key: 'k', bytes: i * 1024 });
      expect(t.stderr().length).toBe(before);
    } finally {
      reporter.stop();
    }
  });

  it('renders file and overall bars that fit the width', async () => {
    const t = createTestIO({ isStderrTTY: true, color: false, columns: 80 });
    const c = clock();
    const reporter = createReporter(t.io, 'bars', { now: c.now });
    try {
      reporter.onEvent({ type: 'run-start', files: 2, bytes: 20 * MiB });
      reporter.onEvent({ type: 'file-start', key: 'k', name: 'x'.repeat(100) + '.bin', targetPath: '/o/x.bin', size: 10 * MiB, offset: 0 });
      c.advance(1000);
      reporter.onEvent({ type: 'file-progress', key: 'k', bytes: 5 * MiB });
      // Let cli-progress's timer draw once (it ticks every 100 ms).
      await new Promise((resolve) => setTimeout(resolve, 250));
      const frame = t.stderr();
      expect(frame).toMatch(/x+…x*\.bin +█+░+ +5\.0 MiB\/10\.0 MiB +50% +5\.0 MiB\/s +0:01/);
      expect(frame).toMatch(/0\/2 files +█+░+ +5\.0 MiB\/20\.0 MiB +25% +5\.0 MiB\/s +0:03/);
      // Bars never reach the last column (that would wrap on some terminals).
      // eslint-disable-next-line no-control-regex
      const lines = frame.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '\n').split('\n');
      for (const line of lines) expect([...line].length).toBeLessThan(80);
    } finally {
      reporter.stop();
    }
  });

  it('stop without any event writes nothing', () => {
    const t = createTestIO({ isStderrTTY: true });
    const reporter = createReporter(t.io, 'bars');
    reporter.stop();
    expect(t.stderr()).toBe('');
  });
});

describe('chooseReporterMode', () => {
  it.each([
    [{ isStderrTTY: true }, {}, 'bars'],
    [{ isStderrTTY: true }, { progress: false }, 'lines'],
    [{ isStderrTTY: false }, {}, 'lines'],
    [{ isStderrTTY: true, env: { CI: 'true' } }, {}, 'lines'],
    [{ isStderrTTY: true, env: { TERM: 'dumb' } }, {}, 'lines'],
    [{ isStderrTTY: true, json: true }, {}, 'silent'],
    [{ isStderrTTY: true, quiet: true }, {}, 'silent'],
  ] as const)('%j %j → %s', (ioOpts, opts, mode) => {
    expect(chooseReporterMode(createTestIO(ioOpts).io, opts)).toBe(mode);
  });
});

describe('formatSummary', () => {
  const entry = (size: number) => ({ id: 1, name: 'n', path: '/p', size, area: 'inbox', recovered: false });
  it.each<[TransferResult, number, string]>([
    [{ downloaded: [], skipped: [], failed: [] }, 10, '0 downloaded, 0 skipped, 0 failed'],
    [
      {
        downloaded: [entry(20 * MiB), entry(20 * MiB), entry(12.1 * MiB)],
        skipped: [{ id: 2, name: 's', path: '/s', size: 1, reason: 'exists' }],
        failed: [],
      },
      2310,
      '3 downloaded (52.1 MiB in 2.3s, 22.6 MiB/s), 1 skipped, 0 failed',
    ],
    [{ downloaded: [entry(0)], skipped: [], failed: [] }, 0, '1 downloaded (0 B in 0.0s), 0 skipped, 0 failed'],
    [
      { downloaded: [entry(1024)], skipped: [], failed: [{ id: 3, name: 'f', path: '/f', size: 9, error: 'x', partialKept: true }] },
      65_000,
      '1 downloaded (1.0 KiB in 1m05s, 16 B/s), 0 skipped, 1 failed',
    ],
  ])('%#', (result, elapsed, expected) => {
    expect(formatSummary(result, elapsed)).toBe(expected);
  });
});

describe('RateMeter', () => {
  it('measures over a sliding window and decays to 0 when stalled', () => {
    const m = new RateMeter();
    m.add(0, 0);
    expect(m.rate(100, 100)).toBeUndefined();
    for (let t = 100; t <= 2000; t += 100) m.add(t, t * 1000);
    expect(m.rate(2000, 2_000_000)).toBeCloseTo(1_000_000);
    // Faster for the last seconds: the old samples leave the window.
    for (let t = 2100; t <= 9000; t += 100) m.add(t, 2_000_000 + (t - 2000) * 2000);
    expect(m.rate(9000, 2_000_000 + 7000 * 2000)).toBeCloseTo(2_000_000, -3);
    // Nothing for 10 s.
    expect(m.rate(19_000, 2_000_000 + 7000 * 2000)).toBe(0);
  });
});

describe('TransferStats', () => {
  it('tracks bytes, files, rate and ETA', () => {
    const c = clock(0);
    const s = new TransferStats(c.now);
    s.apply({ type: 'run-start', files: 2, bytes: 2000 });
    s.apply({ type: 'file-start', key: 'a', name: 'a', targetPath: '/a', size: 1000, offset: 0 });
    c.advance(1000);
    s.apply({ type: 'file-progress', key: 'a', bytes: 500 });
    expect(s.file('a')).toMatchObject({ bytes: 500, total: 1000, fraction: 0.5, rate: 500, etaSeconds: 1 });
    expect(s.overall()).toMatchObject({ bytes: 500, total: 2000, fraction: 0.25, rate: 500, etaSeconds: 3 });
    s.apply({ type: 'file-done', key: 'a', name: 'a', targetPath: '/a', size: 1000 });
    expect(s.file('a')).toBeUndefined();
    expect(s.overall()).toMatchObject({ bytes: 1000, total: 2000 });
    expect(s.filesFinished).toBe(1);
  });

  it('survives a restart: bytes go back to 0 and the resumed part joins the total', () => {
    const c = clock(0);
    const s = new TransferStats(c.now);
    s.apply({ type: 'run-start', files: 1, bytes: 600 });
    s.apply({ type: 'file-start', key: 'a', name: 'a', targetPath: '/a', size: 1000, offset: 400 });
    expect(s.file('a')).toMatchObject({ bytes: 400, fraction: 0.4 });
    c.advance(500);
    s.apply({ type: 'file-progress', key: 'a', bytes: 700 });
    s.apply({ type: 'file-restart', key: 'a' });
    expect(s.file('a')).toMatchObject({ bytes: 0, fraction: 0 });
    expect(s.overall()).toMatchObject({ bytes: 0, total: 1000 });
    c.advance(500);
    s.apply({ type: 'file-progress', key: 'a', bytes: 200 });
    // The rate counts every byte received, including the ones thrown away.
    expect(s.file('a')?.rate).toBe(500);
    s.apply({ type: 'file-done', key: 'a', name: 'a', targetPath: '/a', size: 1000 });
    expect(s.overall()).toMatchObject({ bytes: 1000, total: 1000, fraction: 1, etaSeconds: 0 });
  });

  it('handles empty files, failures, unknown keys and a missing run-start', () => {
    const c = clock(0);
    const s = new TransferStats(c.now);
    s.apply({ type: 'file-progress', key: 'ghost', bytes: 5 });
    s.apply({ type: 'file-start', key: 'z', name: 'z', targetPath: '/z', size: 0, offset: 0 });
    expect(s.file('z')).toMatchObject({ bytes: 0, total: 0, fraction: undefined, etaSeconds: 0 });
    expect(s.overall().fraction).toBeUndefined();
    s.apply({ type: 'file-done', key: 'z', name: 'z', targetPath: '/z', size: 0 });
    expect(s.overall()).toMatchObject({ bytes: 0, total: 0, fraction: 1 });
    s.apply({ type: 'file-start', key: 'f', name: 'f', targetPath: '/f', size: 100, offset: 0 });
    s.apply({ type: 'file-progress', key: 'f', bytes: 30 });
    s.apply({ type: 'file-failed', key: 'f', name: 'f', targetPath: '/f', error: 'x', partialKept: true });
    expect(s.overall()).toMatchObject({ bytes: 30, total: 30, fraction: 1 });
    expect([s.filesFinished, s.filesTotal]).toEqual([2, 2]);
  });
});
