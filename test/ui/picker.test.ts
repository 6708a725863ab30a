import { stripVTControlCharacters } from 'node:util';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { RemoteFile } from '../../src/api/types.js';
import { displayWidth } from '../../src/ui/render.js';
import {
  initialPickerState,
  keyToAction,
  reducePicker,
  renderPicker,
  selectedFiles,
  selectionLine,
} from '../../src/ui/picker.js';
import type { PickerAction, PickerState } from '../../src/ui/picker.js';

const plain = new Chalk({ level: 0 });
const DAY = 86_400_000;

function file(id: number, name: string, size: number, daysAfterEpoch2026: number): RemoteFile {
  return { id, name, size, modified: Date.UTC(2026, 0, 1) + daysAfterEpoch2026 * DAY, link: `https://h/d/${id}?k=s`, area: 'inbox' };
}

const files = [
  file(1, 'old.csv', 100, 0),
  file(2, 'report-b.CSV', 200, 5),
  file(3, 'newest.xml', 300, 9),
  file(4, 'report-a.csv', 400, 5),
  file(5, 'notes.txt', 500, 2),
];

function apply(state: PickerState, ...actions: PickerAction['type'][]): PickerState {
  return actions.reduce((s, type) => reducePicker(s, { type } as PickerAction), state);
}

const ids = (state: PickerState): number[] => selectedFiles(state).map((f) => f.id);
const visibleIds = (state: PickerState): number[] => state.visible.map((i) => state.items[i]!.file.id);

describe('picker state', () => {
  it('sorts newest first, ties by name', () => {
    expect(visibleIds(initialPickerState(files))).toEqual([3, 4, 2, 5, 1]);
  });

  it('moves, clamps at the ends and pages', () => {
    const s = initialPickerState(files, 2);
    expect(apply(s, 'up').cursor).toBe(0);
    expect(apply(s, 'down', 'down')).toMatchObject({ cursor: 2, top: 1 });
    expect(apply(s, 'end')).toMatchObject({ cursor: 4, top: 3 });
    expect(apply(s, 'end', 'down').cursor).toBe(4);
    expect(apply(s, 'pageDown')).toMatchObject({ cursor: 2, top: 2 });
    expect(apply(s, 'pageDown', 'pageDown')).toMatchObject({ cursor: 4, top: 3 });
    expect(apply(s, 'end', 'pageUp')).toMatchObject({ cursor: 2, top: 1 });
    expect(apply(s, 'down', 'pageUp')).toMatchObject({ cursor: 0, top: 0 });
    expect(apply(s, 'end', 'home')).toMatchObject({ cursor: 0, top: 0 });
  });

  it('toggles, selects all shown (twice: none) and inverts', () => {
    const s = initialPickerState(files);
    expect(ids(apply(s, 'toggle'))).toEqual([3]);
    expect(ids(apply(s, 'toggle', 'toggle'))).toEqual([]);
    expect(ids(apply(s, 'down', 'toggle', 'toggleAll'))).toEqual([3, 4, 2, 5, 1]);
    expect(ids(apply(s, 'toggleAll', 'toggleAll'))).toEqual([]);
    expect(ids(apply(s, 'toggle', 'invert'))).toEqual([4, 2, 5, 1]);
  });

  it('filters by case-insensitive substring; a/i act on what is shown; selection survives the filter', () => {
    let s = apply(initialPickerState(files), 'toggle', 'startFilter');
    expect(s.mode).toBe('filter');
    for (const ch of 'REPORT') s = reducePicker(s, { type: 'type', text: ch });
    expect(visibleIds(s)).toEqual([4, 2]);
    expect(s.cursor).toBe(0);
    s = apply(s, 'acceptFilter', 'toggleAll');
    expect(s.mode).toBe('select');
    expect(ids(s)).toEqual([3, 4, 2]);
    s = apply(s, 'invert');
    expect(ids(s)).toEqual([3]);
    s = apply(s, 'startFilter', 'backspace', 'backspace');
    expect(s.filter).toBe('repo'.toUpperCase());
    s = apply(s, 'clearFilter');
    expect(s).toMatchObject({ filter: '', mode: 'select' });
    expect(visibleIds(s)).toEqual([3, 4, 2, 5, 1]);
    expect(ids(s)).toEqual([3]);
  });

  it('leaves filter mode on backspace with an empty filter; Ctrl-U clears the text', () => {
    const s = apply(initialPickerState(files), 'startFilter');
    expect(apply(s, 'backspace').mode).toBe('select');
    const typed = reducePicker(s, { type: 'type', text: 'zzz' });
    expect(typed.visible).toEqual([]);
    expect(apply(typed, 'toggle', 'toggleAll', 'invert', 'down').selected.size).toBe(0);
    expect(apply(typed, 'clearText')).toMatchObject({ filter: '', mode: 'filter' });
  });

  it('counts the selection', () => {
    const s = apply(initialPickerState(files), 'toggle', 'down', 'toggle');
    expect(selectionLine(s)).toBe('2 of 5 selected (700 B)');
  });
});

describe('keyToAction', () => {
  const key = (name: string | undefined, sequence: string, extra: { ctrl?: boolean; meta?: boolean } = {}) => ({ name, sequence, ...extra });
  it.each([
    ['select', key('a', 'a'), { type: 'toggleAll' }],
    ['select', key('i', 'i'), { type: 'invert' }],
    ['select', key('space', ' '), { type: 'toggle' }],
    ['select', key('tab', '\t'), { type: 'toggle' }],
    ['select', key(undefined, '/'), { type: 'startFilter' }],
    ['select', key('return', '\r'), { type: 'confirm' }],
    ['select', key('escape', '\x1b'), { type: 'cancel' }],
    ['select', key('c', '\x03', { ctrl: true }), { type: 'cancel' }],
    ['filter', key('c', '\x03', { ctrl: true }), { type: 'cancel' }],
    ['select', key('up', '\x1b[A'), { type: 'up' }],
    ['select', key('pagedown', '\x1b[6~'), { type: 'pageDown' }],
    ['select', key('x', 'x'), undefined],
    ['select', key('backspace', '\x7f'), undefined],
    ['filter', key('a', 'a'), { type: 'type', text: 'a' }],
    ['filter', key('a', 'A'), { type: 'type', text: 'A' }],
    ['filter', key('space', ' '), { type: 'type', text: ' ' }],
    ['filter', key(undefined, 'é'), { type: 'type', text: 'é' }],
    ['filter', key(undefined, '/'), { type: 'type', text: '/' }],
    ['filter', key('backspace', '\x7f'), { type: 'backspace' }],
    ['filter', key('u', '\x15', { ctrl: true }), { type: 'clearText' }],
    ['filter', key('return', '\r'), { type: 'acceptFilter' }],
    ['filter', key('escape', '\x1b'), { type: 'clearFilter' }],
    ['filter', key('down', '\x1b[B'), { type: 'down' }],
    ['filter', key('tab', '\t'), { type: 'toggle' }],
    ['filter', key('f1', '\x1bOP'), undefined],
  ] as const)('%s %j → %j', (mode, k, expected) => {
    expect(keyToAction(k, mode)).toEqual(expected);
  });
});

describe('renderPicker', () => {
  const many = Array.from({ length: 2000 }, (_, i) => file(i + 1, `NF-2026-${String(i).padStart(5, '0')}-\x1b[31mred\u202e.xml`, 1024 * (i + 1), i % 300));

  it('shows a page of rows, the count and the help; every line fits 80 columns; names escaped', () => {
    let s = initialPickerState(many, 15);
    s = apply(s, 'toggle', 'down', 'toggle', 'down', 'toggle');
    const [prompt, body] = renderPicker(s, { message: 'Select files to download', columns: 80, chalk: plain, timeZone: 'UTC' });
    expect(prompt).toBe('? Select files to download');
    const lines = body.split('\n');
    expect(lines).toHaveLength(15 + 2);
    for (const line of [prompt, ...lines]) expect(displayWidth(line)).toBeLessThan(80);
    expect(body).not.toContain('\x1b');
    expect(body).not.toContain('\u202e');
    expect(lines[2]).toMatch(/^❯ \[x\] NF-2026-\d{5}-\\x1b\[31mred\\u202e\.xml +\d+ KiB {2}2026-10-27 00:00$/);
    expect(lines[0]).toMatch(/^ {2}\[x\] /);
    expect(lines[3]).toMatch(/^ {2}\[ \] /);
    expect(lines[15]).toMatch(/^3 of 2000 selected \(\d+\.\d MiB\) · 1-15 of 2000$/);
    expect(lines[16]).toBe('↑↓ move  space select  a all  i invert  / filter  enter confirm  esc cancel');
  });

  it('shows the filter on the prompt line, the filter help, and an empty result', () => {
    let s = apply(initialPickerState(files), 'startFilter');
    s = reducePicker(s, { type: 'type', text: 'nothing-like-this' });
    const [prompt, body] = renderPicker(s, { message: 'Pick', columns: 80, chalk: plain });
    expect(prompt).toBe('? Pick /nothing-like-this');
    expect(body.split('\n')).toEqual([
      '  no file name contains "nothing-like-this"',
      '0 of 5 selected (0 B) · 0 shown',
      'type to filter  ↑↓ move  tab select  enter done  esc clear',
    ]);
  });

  it('drops the date column on narrow terminals', () => {
    const [, body] = renderPicker(initialPickerState(files), { message: 'Pick', columns: 40, chalk: plain, timeZone: 'UTC' });
    const lines = body.split('\n');
    expect(lines[0]).toBe('❯ [ ] newest.xml                  300 B');
    for (const line of lines) expect(displayWidth(stripVTControlCharacters(line))).toBeLessThan(40);
  });
});
