/**
 * Test-only servers for the security tests: a small forwarding/CONNECT proxy, a recording "foreign host", and a front server that
 * forwards to the emulator but may answer some requests itself (redirects). All bound to
 * loopback, all closed by their `close()`, every socket tracked so nothing lingers.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';

/** ESC, CSI (0x9b) and the other C0/C1 controls except the newline that ends lines. */
// eslint-disable-next-line no-control-regex
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** One request a test server saw. */
export interface SeenRequest {
  readonly method: string;
  /** The request target: absolute-form for a forwarding proxy, host:port for CONNECT. */
  readonly target: string;
  readonly headers: IncomingMessage['headers'];
}

interface Tracked {
  readonly server: Server;
  readonly sockets: Set<Socket>;
}

function track(server: Server): Tracked {
  const sockets = new Set<Socket>();
  const add = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  server.on('connection', add);
  return { server, sockets };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('test server has no TCP address');
  return address.port;
}

function closer(tracked: Tracked, extra: Set<Socket> = new Set()): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      tracked.server.close(() => resolve());
      tracked.server.closeAllConnections();
      for (const socket of [...tracked.sockets, ...extra]) socket.destroy();
    });
}

export interface TestProxy {
  /** `http://127.0.0.1:PORT` (add credentials yourself for the auth variant). */
  readonly url: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A minimal HTTP proxy on loopback: CONNECT tunnels (what undici uses for every request) and
 * absolute-form forwarding. With `requireAuth`, answers 407 unless Proxy-Authorization is
 * exactly that value. Only loopback targets are allowed, so a test can never reach out.
 */
export async function startProxy(options: { requireAuth?: string } = {}): Promise<TestProxy> {
  const seen: SeenRequest[] = [];
  const tunnels = new Set<Socket>();
  const isLoopback = (host: string): boolean => host === '127.0.0.1' || host === 'localhost' || host === '::1';
  const authorised = (req: IncomingMessage): boolean => options.requireAuth === undefined || req.headers['proxy-authorization'] === options.requireAuth;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', target: req.url ?? '', headers: { ...req.headers } });
    if (!authorised(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"', 'content-length': 0 }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-length': 0 }).end();
      return;
    }
    // Any host name the client used reaches the emulator on loopback: that is how a test
    // gets a non-loopback *name* (directlink.example) without touching DNS.
    const upstream = httpRequest(
      { host: '127.0.0.1', port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers: { ...req.headers, 'proxy-authorization': undefined, 'proxy-connection': undefined } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push({ method: 'CONNECT', target: req.url ?? '', headers: { ...req.headers } });
    tunnels.add(client);
    client.on('close', () => tunnels.delete(client));
    client.on('error', () => client.destroy());
    if (!authorised(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const match = /^(.+):(\d+)$/.exec(req.url ?? '');
    const host = match?.[1]?.replace(/^\[|\]$/g, '') ?? '';
    const port = Number(match?.[2] ?? 0);
    // Names that are not loopback are mapped to loopback (see above); nothing leaves the machine.
    const upstream = netConnect({ host: isLoopback(host) ? host : '127.0.0.1', port });
    tunnels.add(upstream);
    upstream.on('close', () => tunnels.delete(upstream));
    upstream.on('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  const tracked = track(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, seen, close: closer(tracked, tunnels) };
}

export interface TestServer {
  readonly origin: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A server on loopback that records every request and lets `respond` answer it; when
 * `respond` returns false the request is forwarded to `forwardTo` (an emulator origin), so
 * it can stand in front of the emulator, or act as a "foreign host" that serves real bytes.
 */
export async function startRecorder(options: {
  forwardTo?: string;
  respond?: (req: IncomingMessage, res: ServerResponse) => boolean;
} = {}): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', target: req.url ?? '', headers: { ...req.headers } });
    if (options.respond?.(req, res) === true) return;
    if (options.forwardTo === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': 10 }).end('not here\r\n');
      return;
    }
    const upstream = new URL(options.forwardTo);
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  const tracked = track(server);
  const port = await listen(server);
  return { origin: `http://127.0.0.1:${port}`, seen, close: closer(tracked) };
}
