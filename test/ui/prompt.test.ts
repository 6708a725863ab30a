import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RemoteFile } from '../../src/api/types.js';
import { InterruptedError } from '../../src/errors.js';
import { createTestIO } from '../../src/ui/io.js';
import type { TestIO } from '../../src/ui/io.js';
import { createPrompter } from '../../src/ui/prompt.js';

const DOWN = '\x1b[B';
const ENTER = '\r';
const CTRL_C = '\x03';
const ESC = '\x1b';

function file(id: number, name: string, day: number): RemoteFile {
  return { id, name, size: 1024 * id, modified: Date.UTC(2026, 0, day), link: `https://h/d/${id}?k=s`, area: 'inbox' };
}

const files = [file(1, 'a-old.csv', 1), file(2, 'b-report.csv', 3), file(3, 'c-newest.xml', 5), file(4, 'd-report.xml', 2)];

/** Types keys one chunk at a time, letting readline handle each before the next. */
async function press(t: TestIO, ...keys: string[]): Promise<void> {
  for (const key of keys) {
    t.stdin.write(key);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** What was drawn, without cursor movement codes. */
function screen(t: TestIO): string {
  return stripVTControlCharacters(t.stderr());
}

function setup(): TestIO {
  return createTestIO({ isStdinTTY: true, isStderrTTY: true, color: false, columns: 80 });
}

describe('pickFiles', () => {
  it('toggles with space and confirms with enter (newest first)', async () => {
    const t = setup();
    const picked = createPrompter(t.io).pickFiles(files, { timeZone: 'UTC' });
    await press(t, ' ', DOWN, DOWN, ' ', ENTER);
    expect((await picked).map((f) => f.id)).toEqual([3, 4]);
    expect(screen(t)).toContain('2 of 4 selected (7.0 KiB)');
    // The list is erased; one line stays, after the cursor is shown again.
    // eslint-disable-next-line no-control-regex
    expect(t.stderr()).toMatch(/\x1b\[\?25h\? Select files to download 2 selected \(7\.0 KiB\)\n$/);
    expect(t.stdout()).toBe('');
  });

  it('filters with /, then a selects what is shown', async () => {
    const t = setup();
    const picked = createPrompter(t.io).pickFiles(files);
    await press(t, '/', 'R', 'e', 'p', 'x', '\x7f', ENTER, 'a', ENTER);
    expect((await picked).map((f) => f.id)).toEqual([2, 4]);
    expect(screen(t)).toContain('? Select files to download /Rep');
  });

  it('returns [] when nothing is selected, and for an empty list without asking', async () => {
    const t = setup();
    const picked = createPrompter(t.io).pickFiles(files);
    await press(t, ENTER);
    expect(await picked).toEqual([]);
    const quiet = setup();
    expect(await createPrompter(quiet.io).pickFiles([])).toEqual([]);
    expect(quiet.stderr()).toBe('');
  });

  it('Ctrl-C and Esc cancel with InterruptedError and restore the cursor', async () => {
    const t = setup();
    const picked = expect(createPrompter(t.io).pickFiles(files)).rejects.toBeInstanceOf(InterruptedError);
    await press(t, ' ', CTRL_C);
    await picked;
    expect(t.stderr().endsWith('\x1b[?25h')).toBe(true);

    const e = setup();
    const escaped = expect(createPrompter(e.io).pickFiles(files)).rejects.toBeInstanceOf(InterruptedError);
    // A lone ESC is reported by readline after its escape-sequence timeout.
    await press(e, ESC);
    await escaped;
    expect(screen(e)).toContain('? Select files to download cancelled');
  });

  it('Esc in filter mode only clears the filter', async () => {
    const t = setup();
    const picked = createPrompter(t.io).pickFiles(files);
    await press(t, '/', 'z', 'z');
    await press(t, ESC);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await press(t, 'a', ENTER);
    expect((await picked).map((f) => f.id)).toEqual([3, 2, 4, 1]);
  });
});

describe('password / text / confirm', () => {
  it('masks the password and returns it exactly', async () => {
    const t = setup();
    const answer = createPrompter(t.io).password('Password');
    await press(t, 's3cr', 'et ü', ENTER);
    expect(await answer).toBe('s3cret ü');
    expect(t.stderr()).not.toContain('s3cr');
    expect(screen(t)).toContain('? Password ********');
  });

  it('text gives the default on an empty line, else what was typed', async () => {
    const t = setup();
    const prompter = createPrompter(t.io);
    const first = prompter.text('Server URL', 'https://example.test/v1');
    await press(t, ENTER);
    expect(await first).toBe('https://example.test/v1');
    const second = prompter.text('User');
    await press(t, 'alice', ENTER);
    expect(await second).toBe('alice');
    expect(screen(t)).toContain('? Server URL https://example.test/v1\n');
  });

  it('confirm reads y/yes/n/no and falls back to the default', async () => {
    const t = setup();
    const prompter = createPrompter(t.io);
    for (const [typed, def, expected] of [
      ['', true, true],
      ['', false, false],
      ['y', false, true],
      ['YES', false, true],
      ['n', true, false],
      ['maybe', false, false],
    ] as const) {
      const answer = prompter.confirm('Save the password?', def);
      await press(t, typed, ENTER);
      expect(await answer).toBe(expected);
    }
  });

  it('Ctrl-D on a terminal becomes InterruptedError', async () => {
    const t = setup();
    // @inquirer/core treats readline closing (Ctrl-D) as a cancel only when stdin is a TTY.
    Object.assign(t.stdin, { isTTY: true });
    const d = expect(createPrompter(t.io).text('Name')).rejects.toBeInstanceOf(InterruptedError);
    // On a TTY the first render waits one turn of the event loop (stale keystrokes are dropped).
    await new Promise((resolve) => setImmediate(resolve));
    await press(t, '\x04');
    await d;
  });

  it('Ctrl-C and the abort signal become InterruptedError', async () => {
    const t = setup();
    const controller = new AbortController();
    const prompter = createPrompter(t.io, { signal: controller.signal });
    const a = expect(prompter.text('Name')).rejects.toBeInstanceOf(InterruptedError);
    await press(t, CTRL_C);
    await a;
    const b = expect(prompter.password('Password')).rejects.toBeInstanceOf(InterruptedError);
    controller.abort();
    await b;
    await expect(prompter.confirm('Again?', true)).rejects.toBeInstanceOf(InterruptedError);
  });
});
