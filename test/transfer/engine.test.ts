import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { runTransfers } from '../../src/transfer/engine.js';
import { journalNameFor, partNameFor } from '../../src/transfer/names.js';
import { partPathFor } from '../../src/transfer/workdir.js';
import type { Plan, PlannedDownload, TransferEvent } from '../../src/transfer/types.js';
import type { DirectLinkApi } from '../../src/api/types.js';
import { USER, makeWorld, sha256File, type World } from './transfer-world.js';

let world: World;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.close();
});

function planOf(items: PlannedDownload[]): Plan {
  return { outputDir: world.dir, items, bytesToFetch: items.filter((i) => i.action === 'download').reduce((sum, i) => sum + i.file.size, 0) };
}

async function items(names: string[]): Promise<PlannedDownload[]> {
  const listing = await world.client.listAll('inbox');
  return names.map((name) => {
    const file = listing.find((f) => f.name === name);
    if (file === undefined) throw new Error(`test setup: ${name} not listed`);
    return world.item(file);
  });
}

/** Most files between file-start and file-done/failed at any moment. */
function maxInFlight(events: readonly TransferEvent[]): number {
  let now = 0;
  let max = 0;
  for (const e of events) {
    if (e.type === 'file-start') max = Math.max(max, ++now);
    if (e.type === 'file-done' || e.type === 'file-failed') now--;
  }
  return max;
}

describe('runTransfers', () => {
  it('downloads everything with no more than `concurrency` files in flight', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `f${i}.bin`);
    const added = names.map((name, i) => world.emulator.addFile(USER, { name, generated: { size: 256 * 1024 + i, seed: i + 1 } }));
    // The first three requests wait for each other: a pool running fewer than three at once
    // never gets past them (the test times out), and one running more is counted.
    let inFlight = 0;
    let most = 0;
    const waiting: (() => void)[] = [];
    let released = false;
    const api: DirectLinkApi = {
      ...world.client,
      listAll: (area, options) => world.client.listAll(area, options),
      openDownload: async (file, options) => {
        most = Math.max(most, ++inFlight);
        if (!released) {
          await new Promise<void>((resolve) => {
            waiting.push(resolve);
            if (waiting.length === 3) {
              released = true;
              for (const release of waiting) release();
            }
          });
        }
        const response = await world.client.openDownload(file, options);
        response.body.once('close', () => inFlight--);
        return response;
      },
    };
    const result = await runTransfers(planOf(await items(names)), { ...world.deps({ api }), concurrency: 3 });
    expect(most).toBe(3);
    expect(result.failed).toEqual([]);
    expect(result.downloaded.map((d) => d.name)).toEqual(names);
    for (const [i, file] of added.entries()) expect(await sha256File(result.downloaded[i]?.path ?? '')).toBe(world.emulator.sha256Of(USER, file.id));
    expect(maxInFlight(world.events)).toBeLessThanOrEqual(3);
    expect(world.events[0]).toEqual({ type: 'run-start', files: 8, bytes: added.reduce((sum, f) => sum + f.size, 0) });
    expect(await world.names()).toEqual([...names].sort());
  });

  it('runs interrupted downloads first and reports them as recovered', async () => {
    world.emulator.addFile(USER, { name: 'new.txt', content: 'new' });
    const old = world.emulator.addFile(USER, { name: 'old.txt', content: 'old content', area: 'backup' });
    const [fresh] = await items(['new.txt']);
    const backup = (await world.client.listAll('backup')).find((f) => f.id === old.id);
    if (fresh === undefined || backup === undefined) throw new Error('test setup');
    const recovery = world.item(backup, { recovery: true });
    await writeFile(partPathFor(recovery.targetPath), 'old');
    const result = await runTransfers(planOf([fresh, recovery]), { ...world.deps(), concurrency: 1 });
    expect(world.events.find((e) => e.type === 'file-start')).toMatchObject({ name: 'old.txt', offset: 3 });
    expect(result.downloaded).toEqual([
      { id: fresh.file.id, name: 'new.txt', path: fresh.targetPath, size: 3, area: 'inbox', recovered: false },
      { id: old.id, name: 'old.txt', path: recovery.targetPath, size: 11, area: 'backup', recovered: true },
    ]);
    expect(await readFile(recovery.targetPath, 'utf8')).toBe('old content');
  });

  it('keeps going when one file fails, and lists skipped items without requesting them', async () => {
    world.emulator.addFiles(USER, [{ name: 'ok1.txt', content: '1' }, { name: 'bad.txt', content: 'b' }, { name: 'ok2.txt', content: '2' }, { name: 'skip.txt', content: 's' }]);
    world.emulator.inject({ kind: 'status', status: 400, times: Infinity, match: { endpoint: 'file', fileName: 'bad.txt' } });
    const [ok1, bad, ok2, skip] = await items(['ok1.txt', 'bad.txt', 'ok2.txt', 'skip.txt']);
    if (!ok1 || !bad || !ok2 || !skip) throw new Error('test setup');
    const skipped: PlannedDownload = { ...skip, action: 'skip', conflict: 'skipped' };
    const result = await runTransfers(planOf([ok1, bad, ok2, skipped]), { ...world.deps(), concurrency: 2 });
    expect(result.downloaded.map((d) => d.name)).toEqual(['ok1.txt', 'ok2.txt']);
    expect(result.failed).toEqual([{ id: bad.file.id, name: 'bad.txt', path: bad.targetPath, size: 1, error: expect.stringContaining('HTTP 400') as string, partialKept: false, kind: 'server' }]);
    expect(result.skipped).toEqual([{ id: skip.file.id, name: 'skip.txt', path: skip.targetPath, size: 1, reason: 'a file with that name already exists' }]);
    expect(world.events.filter((e) => e.type === 'file-skipped')).toHaveLength(1);
    // bad.txt was refused, never served: it stays in the inbox, and no sidecar claims otherwise.
    expect(world.emulator.files(USER, 'inbox').map((f) => f.name)).toEqual(['bad.txt', 'skip.txt']);
    expect(await world.names()).toEqual(['ok1.txt', 'ok2.txt']);
  });

  it('on abort starts nothing new, lets in-flight files keep their parts, and throws InterruptedError', async () => {
    const names = ['a.bin', 'b.bin', 'c.bin', 'd.bin'];
    for (const [i, name] of names.entries()) world.emulator.addFile(USER, { name, generated: { size: 2 << 20, seed: i + 1 } });
    // Every download stalls after 64 KiB, so nothing can finish before the abort.
    world.emulator.inject({ kind: 'stall', afterBytes: 64 * 1024, times: Infinity });
    const deps = world.deps({
      onEvent: (event) => {
        world.events.push(event);
        if (event.type === 'file-progress' && world.events.filter((e) => e.type === 'file-start').length === 2) world.controller.abort();
      },
    });
    await expect(runTransfers(planOf(await items(names)), { ...deps, concurrency: 2 })).rejects.toBeInstanceOf(InterruptedError);
    expect(world.events.filter((e) => e.type === 'file-start')).toHaveLength(2);
    expect(world.events.some((e) => e.type === 'file-done' || e.type === 'file-failed')).toBe(false);
    // Files the server served (now in backup) keep their temporary file and record for the
    // next run; c and d were never requested and are untouched, on disk and on the server.
    // A request in flight when the abort landed may or may not have been served: it keeps
    // its record too (the safe side), so a and b may both have one either way.
    const served = world.emulator.files(USER, 'backup').map((f) => f.name);
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((name) => name === 'a.bin' || name === 'b.bin')).toBe(true);
    const kept = (await world.names()).filter((name) => name.endsWith('.directlink-part')).map((name) => name.slice(1, -'.directlink-part'.length));
    expect(kept).toEqual(expect.arrayContaining(served));
    expect(kept.every((name) => name === 'a.bin' || name === 'b.bin')).toBe(true);
    expect(await world.names()).toEqual(kept.flatMap((n) => [journalNameFor(n), partNameFor(n)]).sort());
  });

  it('renews an expired token when it has to list again', async () => {
    world.emulator.addFile(USER, { name: 'late.txt', content: 'late' });
    const plan = planOf(await items(['late.txt']));
    world.emulator.expireAllTokens();
    // The 503 makes the engine look for the file again: a listing with the expired token.
    world.emulator.inject({ kind: 'status', status: 503, match: { endpoint: 'file' } });
    const result = await runTransfers(plan, { ...world.deps(), concurrency: 1 });
    expect(result.downloaded.map((d) => d.name)).toEqual(['late.txt']);
    expect(world.emulator.requests.filter((r) => r.path.endsWith('/oauth2/token')).length).toBeGreaterThanOrEqual(2);
  });
});
