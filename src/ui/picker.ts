/**
 * The interactive file picker of `get` with no pattern: a paged checkbox list, newest
 * first, with a `/` filter. The state logic is pure (reducePicker, keyToAction,
 * renderPicker) and tested as plain functions; runPicker wires it to @inquirer/core.
 *
 * Keys (select mode): ↑/↓ move, PgUp/PgDn page, Home/End, space or tab toggle,
 * `a` all shown (again: none), `i` invert shown, `/` filter, enter confirm, esc/Ctrl-C/Ctrl-D cancel.
 * Filter mode: type to filter (case-insensitive substring), backspace edits (on an empty
 * filter it leaves), Ctrl-U clears, ↑/↓ still move, tab toggles, enter keeps the filter,
 * esc drops it. Letters are filter text only in filter mode, so `a`/`i` stay commands.
 */
import { createPrompt, useKeypress, useState } from '@inquirer/core';
import type { ChalkInstance } from 'chalk';
import type { RemoteFile } from '../api/types.js';
import { escapeForTerminal, formatDate, formatSize, padToWidth, truncateToWidth } from './render.js';

export interface PickerItem {
  readonly file: RemoteFile;
  /** The escaped name: what is shown, and what the filter matches. */
  readonly label: string;
  readonly search: string;
}

export interface PickerState {
  /** Newest first (then by name, then id, for a stable order). */
  readonly items: readonly PickerItem[];
  /** Indexes into `items` that match the filter, in order. */
  readonly visible: readonly number[];
  /** Selected file ids (kept while the filter hides them). */
  readonly selected: ReadonlySet<number>;
  readonly filter: string;
  readonly mode: 'select' | 'filter';
  /** Index into `visible` (0 when nothing is visible). */
  readonly cursor: number;
  /** First row of `visible` shown in the window. */
  readonly top: number;
  readonly pageSize: number;
}

export type PickerAction =
  | { readonly type: 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' }
  | { readonly type: 'toggle' | 'toggleAll' | 'invert' }
  | { readonly type: 'startFilter' | 'acceptFilter' | 'clearFilter' | 'backspace' | 'clearText' }
  | { readonly type: 'type'; readonly text: string };

/** The picker's starting state: files sorted newest first, nothing selected, no filter. */
export function initialPickerState(files: readonly RemoteFile[], pageSize = 15): PickerState {
  const items = [...files]
    .sort((a, b) => b.modified - a.modified || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || a.id - b.id)
    .map((file) => {
      const label = escapeForTerminal(file.name);
      return { file, label, search: label.toLowerCase() };
    });
  return {
    items,
    visible: items.map((_, i) => i),
    selected: new Set(),
    filter: '',
    mode: 'select',
    cursor: 0,
    top: 0,
    pageSize: Math.max(1, Math.floor(pageSize)),
  };
}

function withFilter(state: PickerState, filter: string): PickerState {
  const needle = filter.toLowerCase();
  const visible: number[] = [];
  state.items.forEach((item, i) => {
    if (needle === '' || item.search.includes(needle)) visible.push(i);
  });
  return { ...state, filter, visible, cursor: 0, top: 0 };
}

function moveTo(state: PickerState, cursor: number): PickerState {
  const last = Math.max(0, state.visible.length - 1);
  const next = Math.min(Math.max(0, cursor), last);
  let top = state.top;
  if (next < top) top = next;
  if (next >= top + state.pageSize) top = next - state.pageSize + 1;
  top = Math.min(Math.max(0, top), Math.max(0, state.visible.length - state.pageSize));
  return { ...state, cursor: next, top };
}

/** Page keys move the window and the cursor together, so a page down shows the next page. */
function scrollBy(state: PickerState, delta: number): PickerState {
  const top = Math.min(Math.max(0, state.top + delta), Math.max(0, state.visible.length - state.pageSize));
  return moveTo({ ...state, top }, state.cursor + delta);
}

function visibleIds(state: PickerState): number[] {
  return state.visible.map((i) => state.items[i]?.file.id).filter((id): id is number => id !== undefined);
}

/** Applies one action; pure. Moves clamp at the ends (no wrap-around); page keys turn the page. */
export function reducePicker(state: PickerState, action: PickerAction): PickerState {
  switch (action.type) {
    case 'up':
      return moveTo(state, state.cursor - 1);
    case 'down':
      return moveTo(state, state.cursor + 1);
    case 'pageUp':
      return scrollBy(state, -state.pageSize);
    case 'pageDown':
      return scrollBy(state, state.pageSize);
    case 'home':
      return moveTo(state, 0);
    case 'end':
      return moveTo(state, state.visible.length - 1);
    case 'toggle': {
      const index = state.visible[state.cursor];
      const id = index === undefined ? undefined : state.items[index]?.file.id;
      if (id === undefined) return state;
      const selected = new Set(state.selected);
      if (!selected.delete(id)) selected.add(id);
      return { ...state, selected };
    }
    case 'toggleAll': {
      const ids = visibleIds(state);
      const selected = new Set(state.selected);
      const areAllSelected = ids.every((id) => selected.has(id));
      for (const id of ids) {
        if (areAllSelected) selected.delete(id);
        else selected.add(id);
      }
      return { ...state, selected };
    }
    case 'invert': {
      const selected = new Set(state.selected);
      for (const id of visibleIds(state)) {
        if (!selected.delete(id)) selected.add(id);
      }
      return { ...state, selected };
    }
    case 'startFilter':
      return { ...state, mode: 'filter' };
    case 'acceptFilter':
      return { ...state, mode: 'select' };
    case 'clearFilter':
      return { ...withFilter(state, ''), mode: 'select' };
    case 'clearText':
      return withFilter(state, '');
    case 'backspace': {
      if (state.filter === '') return { ...state, mode: 'select' };
      const chars = Array.from(state.filter);
      chars.pop();
      return withFilter(state, chars.join(''));
    }
    case 'type':
      return withFilter(state, state.filter + action.text);
  }
}

/** A key as readline reports it (`sequence` is the raw text typed). */
export interface PickerKey {
  readonly name?: string | undefined;
  readonly sequence?: string | undefined;
  readonly ctrl?: boolean | undefined;
  readonly meta?: boolean | undefined;
}

export type PickerCommand = PickerAction | { readonly type: 'confirm' } | { readonly type: 'cancel' };

// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\u0000-\u001f\u007f-\u009f]+$/u;

/**
 * Maps a key to what it means in the current mode; undefined = ignored. (Ctrl-C and Ctrl-D
 * reach readline first, which makes @inquirer/core reject: prompt.ts turns that into
 * InterruptedError.)
 */
export function keyToAction(key: PickerKey, mode: PickerState['mode']): PickerCommand | undefined {
  const name = key.name ?? '';
  if (key.ctrl === true && name === 'c') return { type: 'cancel' };
  switch (name) {
    case 'up':
      return { type: 'up' };
    case 'down':
      return { type: 'down' };
    case 'pageup':
      return { type: 'pageUp' };
    case 'pagedown':
      return { type: 'pageDown' };
    case 'home':
      return { type: 'home' };
    case 'end':
      return { type: 'end' };
    case 'tab':
      return { type: 'toggle' };
    case 'escape':
      return mode === 'filter' ? { type: 'clearFilter' } : { type: 'cancel' };
    case 'return':
    case 'enter':
      return mode === 'filter' ? { type: 'acceptFilter' } : { type: 'confirm' };
    case 'backspace':
      return mode === 'filter' ? { type: 'backspace' } : undefined;
  }
  if (mode === 'filter') {
    if (key.ctrl === true && name === 'u') return { type: 'clearText' };
    const text = key.sequence ?? '';
    if (key.ctrl !== true && key.meta !== true && text !== '' && PRINTABLE.test(text)) return { type: 'type', text };
    return undefined;
  }
  if (key.ctrl === true || key.meta === true) return undefined;
  switch (key.sequence ?? name) {
    case ' ':
      return { type: 'toggle' };
    case 'a':
      return { type: 'toggleAll' };
    case 'i':
      return { type: 'invert' };
    case '/':
      return { type: 'startFilter' };
  }
  return undefined;
}

/** The chosen files, in the picker's order (newest first). */
export function selectedFiles(state: PickerState): RemoteFile[] {
  return state.items.filter((item) => state.selected.has(item.file.id)).map((item) => item.file);
}

/** `3 of 2000 selected (12.3 MiB)`. */
export function selectionLine(state: PickerState): string {
  const files = selectedFiles(state);
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  return `${files.length} of ${state.items.length} selected (${formatSize(bytes)})`;
}

export interface PickerViewOptions {
  readonly message: string;
  readonly columns: number;
  readonly chalk: ChalkInstance;
  readonly timeZone?: string;
}

const SELECT_HELP = '↑↓ move  space select  a all  i invert  / filter  enter confirm  esc cancel';
const FILTER_HELP = 'type to filter  ↑↓ move  tab select  enter done  esc clear';

/**
 * The screen as [prompt line, body]: the prompt line ends with the filter text (where the
 * terminal cursor sits); the body holds at most `pageSize` rows, the selection count and
 * the key help. Rows fit `columns` (names truncated in the middle, the date dropped when
 * narrow).
 */
export function renderPicker(state: PickerState, opts: PickerViewOptions): [string, string] {
  const c = opts.chalk;
  const head = `${c.green('?')} ${c.bold(escapeForTerminal(opts.message))}`;
  const prompt = state.mode === 'filter' || state.filter !== '' ? `${head} ${c.cyan('/')}${state.filter}` : head;

  const width = Math.max(30, opts.columns - 1);
  const sizeWidth = 9;
  const dateWidth = 16;
  // "❯ [x] " + name + "  " + size [+ "  " + date]
  let nameWidth = width - 6 - 2 - sizeWidth - 2 - dateWidth;
  const showDate = nameWidth >= 16;
  if (!showDate) nameWidth = Math.max(8, width - 6 - 2 - sizeWidth);

  const rows: string[] = [];
  const end = Math.min(state.visible.length, state.top + state.pageSize);
  for (let row = state.top; row < end; row++) {
    const item = state.items[state.visible[row] ?? -1];
    if (item === undefined) continue;
    const isCursor = row === state.cursor;
    const isSelected = state.selected.has(item.file.id);
    const pointer = isCursor ? c.cyan('❯') : ' ';
    const box = isSelected ? c.green('[x]') : '[ ]';
    const name = padToWidth(truncateToWidth(item.label, nameWidth, 'middle'), nameWidth);
    const size = formatSize(item.file.size).padStart(sizeWidth);
    const date = showDate ? `  ${c.dim(formatDate(item.file.modified, opts.timeZone))}` : '';
    rows.push(`${pointer} ${box} ${isCursor ? c.cyan(name) : name}  ${size}${date}`);
  }
  if (state.visible.length === 0) rows.push(c.dim(`  no file name contains "${escapeForTerminal(state.filter)}"`));

  let status = selectionLine(state);
  if (state.filter !== '') status += ` · ${state.visible.length} shown`;
  if (state.visible.length > state.pageSize) status += ` · ${state.top + 1}-${end} of ${state.visible.length}`;
  const help = state.mode === 'filter' ? FILTER_HELP : SELECT_HELP;
  return [prompt, [...rows, c.dim(status), c.dim(truncateToWidth(help, width))].join('\n')];
}

/** `? Select files to download 3 selected (12.3 MiB)`: what stays on screen after a choice. */
export function pickedLine(message: string, files: readonly RemoteFile[], chalk: ChalkInstance): string {
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  return `${chalk.green('?')} ${chalk.bold(escapeForTerminal(message))} ${chalk.cyan(`${files.length} selected (${formatSize(bytes)})`)}`;
}

/** What the prompt resolves to: the chosen files, or `cancelled` (the caller throws InterruptedError). */
export type PickerOutcome = { readonly type: 'picked'; readonly files: RemoteFile[] } | { readonly type: 'cancelled' };

export interface PickerConfig extends PickerViewOptions {
  readonly files: readonly RemoteFile[];
  readonly pageSize: number;
}

/** The @inquirer/core prompt; call it with `{ input, output }` streams (see prompt.ts). */
export const pickerPrompt = createPrompt<PickerOutcome, PickerConfig>((config, done) => {
  const [state, setState] = useState<PickerState>(() => initialPickerState(config.files, config.pageSize));
  const [status, setStatus] = useState<'idle' | 'done' | 'cancelled'>('idle');

  useKeypress((key, rl) => {
    // Readline keeps its own line buffer of everything typed; we never use it, and a
    // growing buffer would throw off where the screen manager puts the cursor.
    rl.clearLine(0);
    if (status !== 'idle') return;
    const command = keyToAction(key, state.mode);
    if (command === undefined) return;
    if (command.type === 'confirm') {
      setStatus('done');
      done({ type: 'picked', files: selectedFiles(state) });
    } else if (command.type === 'cancel') {
      setStatus('cancelled');
      done({ type: 'cancelled' });
    } else {
      setState(reducePicker(state, command));
    }
  });

  const c = config.chalk;
  if (status === 'done') return pickedLine(config.message, selectedFiles(state), c);
  if (status === 'cancelled') return `${c.green('?')} ${c.bold(escapeForTerminal(config.message))} ${c.dim('cancelled')}`;
  return renderPicker(state, config);
});
