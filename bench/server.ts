/**
 * The emulator for `npm run bench`, in its own process so the measured clients never share
 * an event loop with it. Driven over the fork IPC channel by bench/run.ts: add files, report
 * the CPU time spent (to show the emulator is not the bottleneck). Dev only.
 */
import { startEmulator } from '../test/emulator/server.js';
import { BENCH_PASSWORD, BENCH_USERS, type ServerReady, type ServerReply, type ServerRequest } from './protocol.js';

const send = (message: ServerReply | ServerReady): void => {
  process.send?.(message);
};

const emulator = await startEmulator({
  users: Object.fromEntries(BENCH_USERS.map((user) => [user, BENCH_PASSWORD])),
});

async function handle(request: ServerRequest): Promise<unknown> {
  switch (request.op) {
    case 'add':
      return emulator.addFiles(request.user, [...request.files]).length;
    case 'cpu': {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1000;
    }
    case 'close':
      await emulator.close();
      setImmediate(() => process.exit(0));
      return true;
  }
}

process.on('message', (message: ServerRequest) => {
  handle(message).then(
    (value) => send({ id: message.id, ok: true, value }),
    (error: unknown) => send({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
// The parent went away (crash, Ctrl-C): never outlive it.
process.on('disconnect', () => {
  void emulator.close().finally(() => process.exit(0));
});

send({ ready: true, baseUrl: emulator.baseUrl });
