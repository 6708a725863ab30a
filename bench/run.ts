/**
 * `npm run bench`: directlink side by side with curl against the emulator on loopback.
 * (a) one big file vs `curl -o`, with peak RSS at several sizes; (b) 1,000 small files with
 * `get --all -c 8` vs a sequential curl loop; (c) `list --json` of 10,000 files;
 * (d) `directlink --help` vs `node -e 0`. Every figure is the median of several runs.
 * The emulator runs in its own process (bench/server.ts); both sides write to the same disk.
 * Prints the figures and saves them to bench/out/last.txt. No assertion: a miss is reported.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EmulatorFileInput } from '../test/emulator/server.js';
import { measure, median, type Measured } from './measure.js';
import { BENCH_PASSWORD, type ServerReady, type ServerReply, type ServerRequest } from './protocol.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'directlink.js');
const MiB = 1024 * 1024;
const PAGE_SIZE = 100;

const USAGE = `Usage: npm run bench -- [options]

  --runs N        repetitions of (a), (c) and (d); medians are reported (default 5)
  --many-runs N   repetitions of (b), the slow one (default 3)
  --big MiB       the big file of (a) (default 1024)
  --small MiB     the second size of (a), to show memory does not grow with size (default 100)
  --files N       small files in (b) (default 1000)
  --listed N      files listed in (c) (default 10000)
  --only LIST     run only these sections, e.g. a,d
  -h, --help      show this help
`;

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'many-runs': { type: 'string', default: '3' },
    big: { type: 'string', default: '1024' },
    small: { type: 'string', default: '100' },
    files: { type: 'string', default: '1000' },
    listed: { type: 'string', default: '10000' },
    only: { type: 'string', default: 'a,b,c,d' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
function count(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`Failed to parse --${name}: expected a positive integer, got ${JSON.stringify(raw)}.`);
  return value;
}
const RUNS = count('runs', flags.runs);
const MANY_RUNS = count('many-runs', flags['many-runs']);
const BIG = count('big', flags.big) * MiB;
const SMALL = count('small', flags.small) * MiB;
const FILES = count('files', flags.files);
const LISTED = count('listed', flags.listed);
const ONLY = new Set(flags.only.split(',').map((s) => s.trim()));

// ---- the emulator process -----------------------------------------------------------------

/** A request without its id (distributes over the union, keeping each op's fields). */
type Call = ServerRequest extends infer R ? (R extends ServerRequest ? Omit<R, 'id'> : never) : never;

interface Server {
  readonly baseUrl: string;
  call(request: Call): Promise<unknown>;
  /** CPU time the emulator process has used so far, ms. */
  cpuMs(): Promise<number>;
  addFiles(user: string, files: readonly EmulatorFileInput[]): Promise<void>;
  close(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const child = fork(join(import.meta.dirname, 'server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const baseUrl = await new Promise<string>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`Failed to start the bench emulator: it exited with ${code}.`)));
    child.on('message', (message: ServerReply | ServerReady) => {
      if ('ready' in message) {
        resolvePromise(message.baseUrl);
        return;
      }
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(new Error(message.error));
    });
  });
  const server: Server = {
    baseUrl,
    call(request) {
      const id = nextId++;
      return new Promise((resolvePromise, reject) => {
        waiting.set(id, { resolve: resolvePromise, reject });
        child.send({ ...request, id });
      });
    },
    async cpuMs() {
      return (await server.call({ op: 'cpu' })) as number;
    },
    async addFiles(user, files) {
      // IPC messages stay small: a thousand files at a time.
      for (let at = 0; at < files.length; at += 1000) await server.call({ op: 'add', user, files: files.slice(at, at + 1000) });
    },
    async close() {
      const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
      await server.call({ op: 'close' }).catch(() => undefined);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
  return server;
}

interface Listed {
  readonly id: number;
  readonly name: string;
  readonly length: number;
  readonly linkURL: string;
}

/** The whole listing of an area, read the plain way (outside any measurement). */
async function listArea(baseUrl: string, user: string, area: 'inbox' | 'backup'): Promise<Listed[]> {
  const authorization = `Basic ${Buffer.from(`${user}:${BENCH_PASSWORD}`).toString('base64')}`;
  const all: Listed[] = [];
  for (let page = 0; page < 100_000; page++) {
    const response = await fetch(`${baseUrl}/download/list${area === 'backup' ? '/backup' : ''}?page=${page}`, { headers: { authorization } });
    const body = (await response.json()) as { files: Listed[] | null };
    if (!body.files || body.files.length === 0) break;
    all.push(...body.files);
  }
  return all;
}

// ---- helpers -------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'directlink-bench-'));
const configDir = join(work, 'config');
mkdirSync(configDir);

/** The CLI's environment: credentials for one emulator user, a throw-away config directory. */
function cliEnv(server: Server, user: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: work,
    LANG: 'C.UTF-8',
    DIRECTLINK_SERVER: server.baseUrl,
    DIRECTLINK_USER: user,
    DIRECTLINK_PASSWORD: BENCH_PASSWORD,
    DIRECTLINK_CONFIG_DIR: configDir,
  };
}

function freshDir(name: string): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function check(run: Measured, what: string): Measured {
  if (run.code !== 0) throw new Error(`Failed to run ${what}: exit ${run.code}\n${run.stderr.slice(-2000)}`);
  return run;
}

const wall = (runs: readonly Measured[]): number => median(runs.map((r) => r.wallMs));
const cpu = (runs: readonly Measured[]): number => median(runs.map((r) => r.cpuMs));
const rss = (runs: readonly Measured[]): number => median(runs.map((r) => r.maxRssKiB));
const maxRss = (runs: readonly Measured[]): number => Math.max(...runs.map((r) => r.maxRssKiB));

const fmt = {
  s: (ms: number): string => (Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(2)} s`),
  ms: (ms: number): string => `${ms.toFixed(ms < 10 ? 1 : 0)} ms`,
  rate: (bytes: number, ms: number): string => `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`,
  mib: (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`,
  x: (ratio: number): string => `${ratio.toFixed(2)}×`,
  size: (bytes: number): string => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes} B`),
  load: (): string => loadavg().map((l) => l.toFixed(1)).join(' '),
};

const report: string[] = [];
function say(line: string): void {
  report.push(line);
  process.stdout.write(`${line}\n`);
}
function verdict(isMet: boolean, figure: string): string {
  return `${isMet ? 'met' : 'MISSED'} (${figure})`;
}
function table(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  for (const row of rows) say(`  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}`);
}

// ---- (a) one big file ----------------------------------------------------------------------

interface OneFile {
  readonly size: number;
  readonly dl: Measured[];
  readonly curl: Measured[];
  /** `sync FILE` right after each curl: what making curl's bytes durable costs (directlink fsyncs). */
  readonly syncMs: number[];
  readonly emulatorCpuMs: number;
}

async function oneFile(server: Server, size: number): Promise<OneFile> {
  const name = `file-${size}.bin`;
  // In the backup area: fetching it moves nothing, so every run downloads the same file.
  await server.addFiles('big', [{ name, generated: { size, seed: 7 }, area: 'backup' }]);
  const file = (await listArea(server.baseUrl, 'big', 'backup')).find((f) => f.name === name);
  if (file === undefined) throw new Error(`Failed to list ${name}.`);
  const dl: Measured[] = [];
  const curl: Measured[] = [];
  const syncMs: number[] = [];
  const cpuBefore = await server.cpuMs();
  for (let run = 0; run < RUNS; run++) {
    // Alternate who goes first, so neither side always inherits the other's dirty page cache.
    for (const side of run % 2 === 0 ? ['dl', 'curl'] : ['curl', 'dl']) {
      const dir = freshDir(`a-${side}`);
      const path = join(dir, name);
      if (side === 'dl') {
        dl.push(check(await measure(process.execPath, [BIN, 'get', '--backup', '--id', String(file.id), '-o', dir, '--quiet'], { env: cliEnv(server, 'big') }), 'directlink get'));
      } else {
        curl.push(check(await measure('curl', ['-sS', '--fail', '-o', path, file.linkURL], {}), 'curl'));
        syncMs.push(check(await measure('sync', [path], { rss: false }), 'sync FILE').wallMs);
      }
      if (statSync(path).size !== size) throw new Error(`Failed to fetch ${name} with ${side}: wrong size on disk.`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { size, dl, curl, syncMs, emulatorCpuMs: (await server.cpuMs()) - cpuBefore };
}

async function bigFile(server: Server): Promise<void> {
  say(`\n(a) one file: directlink get vs curl -o, both writing to ${tmpdir()} (${RUNS} runs each, alternating; medians)`);
  const results: OneFile[] = [];
  for (const size of [1, SMALL, BIG]) results.push(await oneFile(server, size));
  const rows: string[][] = [['size', 'directlink', 'curl -o', 'curl -o; sync FILE', 'ratio', 'CPU dl / curl', 'peak RSS dl / curl']];
  for (const r of results) {
    const dlMs = wall(r.dl);
    const curlMs = wall(r.curl);
    const durableMs = median(r.curl.map((c, i) => c.wallMs + (r.syncMs[i] ?? 0)));
    const rate = (ms: number): string => (r.size >= MiB ? ` (${fmt.rate(r.size, ms)})` : '');
    rows.push([
      fmt.size(r.size),
      `${fmt.s(dlMs)}${rate(dlMs)}`,
      `${fmt.s(curlMs)}${rate(curlMs)}`,
      `${fmt.s(durableMs)}`,
      `${fmt.x(curlMs / dlMs)} (${fmt.x(durableMs / dlMs)} durable)`,
      `${fmt.s(cpu(r.dl))} / ${fmt.s(cpu(r.curl))}`,
      `${fmt.mib(rss(r.dl))} (max ${fmt.mib(maxRss(r.dl))}) / ${fmt.mib(rss(r.curl))}`,
    ]);
  }
  table(rows);
  const [tiny, small, big] = results as [OneFile, OneFile, OneFile];
  // What directlink pays whatever the size (start-up, listing, journal, fsyncs, rename): the 1-byte run.
  const fixedMs = wall(tiny.dl);
  const streamMs = wall(big.dl) - fixedMs;
  say(`  directlink's fixed cost per run (the 1-byte file): ${fmt.s(fixedMs)}; without it, ${fmt.size(BIG)} streams at ${fmt.rate(BIG, streamMs)} (${fmt.x(wall(big.curl) / streamMs)} of curl)`);
  say(`  emulator CPU: ${fmt.s(big.emulatorCpuMs / (2 * RUNS))} per ${fmt.size(BIG)} served (its own process; curl shows what it can serve)`);
  const ratio = wall(big.curl) / wall(big.dl);
  say(`  target throughput ≥ 0.9× curl on ${fmt.size(BIG)}: ${verdict(ratio >= 0.9, fmt.x(ratio))}`);
  const peak = Math.max(maxRss(small.dl), maxRss(big.dl));
  say(`  target peak RSS < 100 MiB: ${verdict(peak < 100 * 1024, `max ${fmt.mib(peak)}`)}; ${fmt.size(SMALL)} → ${fmt.mib(rss(small.dl))}, ${fmt.size(BIG)} → ${fmt.mib(rss(big.dl))}, 1 B → ${fmt.mib(rss(tiny.dl))}`);
}

// ---- (b) many small files ------------------------------------------------------------------

async function manyFiles(server: Server): Promise<void> {
  say(`\n(b) ${FILES} files of 16 KiB: get --all -c 8 vs a sequential curl loop over the same files (${MANY_RUNS} runs; medians)`);
  const dl: Measured[] = [];
  const loop: Measured[] = [];
  let emulatorCpuMs = 0;
  for (let run = 0; run < MANY_RUNS; run++) {
    const prefix = `r${run}-`;
    const files = Array.from({ length: FILES }, (_, i) => ({ name: `${prefix}${String(i).padStart(5, '0')}.dat`, generated: { size: 16 * 1024, seed: 3 } }));
    await server.addFiles('many', files);
    const dir = freshDir('b-dl');
    const cpuBefore = await server.cpuMs();
    dl.push(check(await measure(process.execPath, [BIN, 'get', '--all', '-c', '8', '-o', dir, '--quiet'], { env: cliEnv(server, 'many'), timeoutMs: 300_000 }), 'directlink get --all'));
    emulatorCpuMs += (await server.cpuMs()) - cpuBefore;
    const got = readdirSync(dir).length;
    if (got !== FILES) throw new Error(`Failed to download every small file: ${got} of ${FILES} on disk.`);
    rmSync(dir, { recursive: true, force: true });
    // The same files, now in backup: one curl process per file, as a shell loop would.
    const moved = (await listArea(server.baseUrl, 'many', 'backup')).filter((f) => f.name.startsWith(prefix));
    const curlDir = freshDir('b-curl');
    const urls = join(work, 'urls.txt');
    writeFileSync(urls, moved.map((f) => `${f.name} ${f.linkURL}\n`).join(''));
    const script = 'cd "$1" && while read -r name url; do curl -sS --fail -o "$name" "$url" || exit 1; done < "$2"';
    loop.push(check(await measure('bash', ['-c', script, 'loop', curlDir, urls], { timeoutMs: 300_000 }), 'the curl loop'));
    if (readdirSync(curlDir).length !== FILES) throw new Error('Failed to curl every small file.');
    rmSync(curlDir, { recursive: true, force: true });
  }
  const dlMs = wall(dl);
  const loopMs = wall(loop);
  say(`  directlink ${fmt.s(dlMs)} (${fmt.ms(dlMs / FILES)} per file, CPU ${fmt.s(cpu(dl))}, peak RSS ${fmt.mib(rss(dl))}); curl loop ${fmt.s(loopMs)} (${fmt.ms(loopMs / FILES)} per file, CPU ${fmt.s(cpu(loop))})`);
  say(`  emulator CPU: ${fmt.s(emulatorCpuMs / MANY_RUNS)} per directlink run`);
  say(`  target ≥ 3× faster than the curl loop: ${verdict(loopMs / dlMs >= 3, fmt.x(loopMs / dlMs))}`);
}

// ---- (c) listing ---------------------------------------------------------------------------

async function listing(server: Server): Promise<void> {
  const pages = Math.ceil(LISTED / PAGE_SIZE) + 1;
  say(`\n(c) list --json of ${LISTED} files, ${PAGE_SIZE} per page: ${pages} page requests (${RUNS} runs each; medians)`);
  await server.addFiles(
    'listing',
    Array.from({ length: LISTED }, (_, i) => ({ name: `invoice-${String(i).padStart(6, '0')}.xml`, content: 'x' })),
  );
  const full: Measured[] = [];
  const empty: Measured[] = [];
  for (let run = 0; run < RUNS; run++) {
    const result = check(await measure(process.execPath, [BIN, 'list', '--json'], { env: cliEnv(server, 'listing'), captureStdout: true }), 'directlink list --json');
    const listed = (JSON.parse(result.stdout) as unknown[]).length;
    if (listed !== LISTED) throw new Error(`Failed to list every file: ${listed} of ${LISTED}.`);
    full.push(result);
    // The same command on an empty area: start-up, token, one page.
    empty.push(check(await measure(process.execPath, [BIN, 'list', '--json'], { env: cliEnv(server, 'empty'), captureStdout: true }), 'directlink list --json (empty)'));
  }
  const fullMs = wall(full);
  const listMs = fullMs - wall(empty);
  say(`  wall ${fmt.s(fullMs)}: ${fmt.ms(fullMs / pages)} per page; the same command on an empty area takes ${fmt.s(wall(empty))}, so the ${pages - 1} extra pages cost ${fmt.s(listMs)} (${fmt.ms(listMs / (pages - 1))} per page)`);
  say(`  CPU ${fmt.s(cpu(full))}, peak RSS ${fmt.mib(rss(full))}`);
  say(`  target < 1 s: ${verdict(fullMs < 1000, fmt.s(fullMs))}`);
}

// ---- (d) start-up --------------------------------------------------------------------------

async function startup(): Promise<void> {
  const runs = Math.max(10, RUNS * 3);
  say(`\n(d) start-up: directlink --help vs node -e 0 (${runs} runs each, interleaved; medians)`);
  const help: Measured[] = [];
  const bare: Measured[] = [];
  for (let run = 0; run < runs; run++) {
    help.push(check(await measure(process.execPath, [BIN, '--help'], { captureStdout: true, rss: false }), 'directlink --help'));
    bare.push(check(await measure(process.execPath, ['-e', '0'], { rss: false }), 'node -e 0'));
  }
  const ratio = wall(help) / wall(bare);
  say(`  directlink --help ${fmt.ms(wall(help))}, node -e 0 ${fmt.ms(wall(bare))}`);
  say(`  target < 2× node -e 0: ${verdict(ratio < 2, fmt.x(ratio))}`);
}

// ---- main ----------------------------------------------------------------------------------

const started = performance.now();
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('Failed to find dist/cli.js: run `npm run build` first (npm run bench does).');
const curlVersion = /^curl (\S+)/.exec((await measure('curl', ['--version'], { captureStdout: true, rss: false })).stdout)?.[1] ?? 'unknown';
const server = await startServer();
try {
  say(`directlink bench, ${new Date().toISOString().slice(0, 16)}Z: node ${process.version}, curl ${curlVersion}, ${cpus().length} CPUs, load average ${fmt.load()}`);
  say(`emulator at ${server.baseUrl} in its own process; peak RSS and CPU from ${existsSync('/usr/bin/time') ? 'GNU time' : '/proc VmHWM polling (no CPU figures)'}`);
  if (ONLY.has('a')) await bigFile(server);
  if (ONLY.has('b')) await manyFiles(server);
  if (ONLY.has('c')) await listing(server);
  if (ONLY.has('d')) await startup();
  say(`\nbench finished in ${fmt.s(performance.now() - started)}; load average now ${fmt.load()}`);
  mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'out', 'last.txt'), `${report.join('\n')}\n`);
} finally {
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
