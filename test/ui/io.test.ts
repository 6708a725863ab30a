import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { colorLevel, createIO, createTestIO, isCI } from '../../src/ui/io.js';

describe('colorLevel', () => {
  it.each([
    [{ isTTY: true, env: {} }, 1],
    [{ isTTY: false, env: {} }, 0],
    [{ isTTY: true, env: {}, color: false }, 0],
    [{ isTTY: true, env: {}, color: true }, 1],
    [{ isTTY: false, env: {}, color: true }, 0],
    [{ isTTY: true, env: { NO_COLOR: '1' } }, 0],
    [{ isTTY: true, env: { NO_COLOR: '' } }, 1],
    [{ isTTY: true, env: { NO_COLOR: '0' } }, 0],
    [{ isTTY: false, env: { FORCE_COLOR: '1' } }, 1],
    [{ isTTY: false, env: { FORCE_COLOR: '' } }, 1],
    [{ isTTY: false, env: { FORCE_COLOR: '3' } }, 3],
    [{ isTTY: true, env: { FORCE_COLOR: '0' } }, 0],
    [{ isTTY: true, env: { FORCE_COLOR: 'false' } }, 0],
    [{ isTTY: false, env: { FORCE_COLOR: '1', NO_COLOR: 'x' } }, 0],
    [{ isTTY: false, env: { FORCE_COLOR: '1' }, color: false }, 0],
    [{ isTTY: true, env: { TERM: 'dumb' } }, 0],
    [{ isTTY: true, env: { TERM: 'xterm-256color' } }, 2],
    [{ isTTY: true, env: { COLORTERM: 'truecolor' } }, 3],
  ])('%j → %d', (opts, level) => {
    expect(colorLevel(opts)).toBe(level);
  });
});

describe('isCI', () => {
  it.each([
    [{}, false],
    [{ CI: 'true' }, true],
    [{ CI: '1' }, true],
    [{ CI: 'false' }, false],
    [{ CI: '0' }, false],
    [{ CI: '' }, false],
    [{ GITHUB_ACTIONS: 'true' }, true],
    [{ BUILD_NUMBER: '12' }, true],
  ])('%j → %s', (env, expected) => {
    expect(isCI(env)).toBe(expected);
  });
});

describe('createIO', () => {
  it('writes data to stdout and people-text to stderr', () => {
    const t = createTestIO();
    t.io.out('data');
    t.io.info('hello');
    t.io.warn('careful');
    t.io.error('Failed to do it: reason', 'Run `directlink login`.');
    t.io.verbose('trace');
    expect(t.stdout()).toBe('data\n');
    expect(t.stderr()).toBe('hello\nwarning: careful\nerror: Failed to do it: reason\nRun `directlink login`.\n');
  });

  it('quiet silences info but not warnings or errors; verbose shows traces', () => {
    const quiet = createTestIO({ quiet: true });
    quiet.io.info('hello');
    quiet.io.warn('careful');
    quiet.io.error('bad');
    expect(quiet.stderr()).toBe('warning: careful\nerror: bad\n');
    const verbose = createTestIO({ verbose: true });
    verbose.io.verbose('GET /files');
    expect(verbose.stderr()).toBe('GET /files\n');
  });

  it('keeps an error one line: control characters and line breaks from the server are shown escaped', () => {
    const t = createTestIO();
    t.io.error('Failed to download "a\x1b[2Jb": gone\nsecond line');
    expect(t.stderr()).toBe('error: Failed to download "a\\x1b[2Jb": gone\\nsecond line\n');
  });

  it('colours stderr only when stderr may have colour', () => {
    const tty = createTestIO({ isStderrTTY: true });
    tty.io.warn('x');
    expect(tty.stderr()).toBe('\x1b[33mwarning:\x1b[39m x\n');
    expect(tty.io.stderrColorEnabled).toBe(true);
    expect(tty.io.colorEnabled).toBe(false);
    expect(tty.io.chalk.level).toBe(0);
    const noColor = createTestIO({ isStderrTTY: true, color: false });
    noColor.io.warn('x');
    expect(noColor.stderr()).toBe('warning: x\n');
  });

  it('is interactive only with stdin and stderr terminals outside CI', () => {
    const base = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), isStdoutTTY: false };
    expect(createIO({ ...base, env: {}, isStdinTTY: true, isStderrTTY: true }).isInteractive).toBe(true);
    expect(createIO({ ...base, env: { CI: 'true' }, isStdinTTY: true, isStderrTTY: true }).isInteractive).toBe(false);
    expect(createIO({ ...base, env: {}, isStdinTTY: false, isStderrTTY: true }).isInteractive).toBe(false);
    expect(createIO({ ...base, env: {}, isStdinTTY: true, isStderrTTY: false }).isInteractive).toBe(false);
  });

  it('takes columns from the option, then COLUMNS, then 80', () => {
    const base = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), isStdoutTTY: false, isStdinTTY: false, isStderrTTY: false };
    expect(createIO({ ...base, env: { COLUMNS: '120' }, columns: 100 }).columns).toBe(100);
    expect(createIO({ ...base, env: { COLUMNS: '120' } }).columns).toBe(120);
    expect(createIO({ ...base, env: { COLUMNS: 'wide' } }).columns).toBe(80);
  });
});
