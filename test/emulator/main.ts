/**
 * Run the emulator standalone (`npm run emulator -- --sample`) for trying the CLI by hand.
 * Dev only; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { addSampleFiles } from './samples.js';
import { startEmulator } from './server.js';

const USAGE = `Usage: npm run emulator -- [options]

  --port N           port to listen on (default 8080; 0 for any)
  --host ADDR        address to listen on (default 127.0.0.1)
  --user NAME        user name (default demo)
  --password PASS    password (default demo-password)
  --sample           add sample files to the user's area
  --page-size N      entries per listing page (default 100)
  --no-range         ignore Range headers (always answer the whole file)
  --token-lifetime S bearer token lifetime in seconds (default 3600)
  --quiet            do not log requests
  -h, --help         show this help
`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      user: { type: 'string', default: 'demo' },
      password: { type: 'string', default: 'demo-password' },
      sample: { type: 'boolean', default: false },
      'page-size': { type: 'string', default: '100' },
      'no-range': { type: 'boolean', default: false },
      'token-lifetime': { type: 'string', default: '3600' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const number = (name: string, raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`Failed to parse --${name}: expected a non-negative integer, got ${JSON.stringify(raw)}.`);
    return value;
  };
  const emu = await startEmulator({
    host: values.host,
    port: number('port', values.port),
    users: { [values.user]: values.password },
    pageSize: number('page-size', values['page-size']),
    rangeSupport: !values['no-range'],
    tokenLifetimeSec: number('token-lifetime', values['token-lifetime']),
    log: values.quiet ? undefined : (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  if (values.sample) addSampleFiles(emu, values.user);
  process.stdout.write(
    `DirectLink emulator listening\n  server:   ${emu.baseUrl}\n  user:     ${values.user}\n  password: ${values.password}\n` +
      `  files:    ${emu.files(values.user, 'inbox').length} in the user's area\n` +
      `Try: DIRECTLINK_SERVER=${emu.baseUrl} DIRECTLINK_USER=${values.user} DIRECTLINK_PASSWORD=${values.password} directlink list\n` +
      'Ctrl-C to stop.\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await emu.close();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
