/**
 * `npm run demo`: start the bundled DirectLink emulator on loopback with sample files, then
 * run the real CLI against it (`list`, then `get --all` into ./demo-downloads) and check
 * the bytes on disk against the emulator's.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { addSampleFiles } from '../test/emulator/samples.js';
import { startEmulator } from '../test/emulator/server.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'directlink.js');
const downloads = join(process.cwd(), 'demo-downloads');
const user = 'demo';
const password = 'demo-password';

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  console.log(`\n$ directlink ${args.join(' ')}`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit', env });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise(code ?? 1));
  });
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const emulator = await startEmulator({ users: { [user]: password } });
const configDir = mkdtempSync(join(tmpdir(), 'directlink-demo-config-'));
let failed = false;
try {
  const files = addSampleFiles(emulator, user);
  console.log(`DirectLink emulator listening at ${emulator.baseUrl}`);
  console.log(`user "${user}", password "${password}", ${files.length} sample files`);

  // A previous demo's files would otherwise be kept and the new ones renamed "name (1)".
  rmSync(downloads, { recursive: true, force: true });
  const env = {
    ...process.env,
    DIRECTLINK_SERVER: emulator.baseUrl,
    DIRECTLINK_USER: user,
    DIRECTLINK_PASSWORD: password,
    // Keep the demo out of the real config directory.
    DIRECTLINK_CONFIG_DIR: configDir,
  };
  failed ||= (await run(['list'], env)) !== 0;
  failed ||= (await run(['get', '--all', '-o', relative(process.cwd(), downloads) || '.'], env)) !== 0;
  failed ||= (await run(['list', '--backup'], env)) !== 0;

  console.log('\nChecking the downloaded bytes against the server…');
  const onDisk = new Set(await readdir(downloads));
  for (const file of files) {
    const expected = emulator.sha256Of(user, file.id);
    const path = join(downloads, file.name);
    const ok = onDisk.has(file.name) && (await sha256(path)) === expected;
    failed ||= !ok;
    console.log(`  ${ok ? 'ok  ' : 'BAD '} ${relative(process.cwd(), path)}`);
  }
  console.log(failed ? '\nThe demo found a problem (see above).' : `\nAll ${files.length} files are in ${downloads}, byte-identical; the server moved them to its backup area.`);
} finally {
  await emulator.close();
  rmSync(configDir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
