/**
 * Constant memory: downloadOne asks for spent socket buffers to be reclaimed every 16 MiB
 * received (DownloadDeps.reclaimMemory), so peak RSS does not depend on the file's size.
 * No timing or RSS assertion here: `npm run bench` measures those.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadOne } from '../../src/transfer/download.js';
import { USER, makeWorld, sha256File, type World } from './transfer-world.js';

const MiB = 1 << 20;

let world: World;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.close();
});

describe('downloadOne: reclaiming memory', () => {
  it('calls reclaimMemory once per 16 MiB received, and the bytes are intact', async () => {
    const added = world.emulator.addFile(USER, { name: 'big.bin', generated: { size: 40 * MiB, seed: 11 } });
    const item = world.item(await world.listed('big.bin'));
    let calls = 0;

    const outcome = await downloadOne(item, world.deps({ reclaimMemory: () => calls++ }));

    expect(outcome).toEqual({ ok: true, path: item.targetPath, size: 40 * MiB });
    expect(calls).toBe(2);
    expect(await sha256File(item.targetPath)).toBe(world.emulator.sha256Of(USER, added.id));
  });

  it('never calls it for a file under 16 MiB', async () => {
    world.emulator.addFile(USER, { name: 'small.bin', content: 'x'.repeat(1000) });
    let calls = 0;

    await downloadOne(world.item(await world.listed('small.bin')), world.deps({ reclaimMemory: () => calls++ }));

    expect(calls).toBe(0);
  });
});
