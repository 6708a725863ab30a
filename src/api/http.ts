/**
 * The HTTP transport: one undici dispatcher per run with keep-alive sized to the
 * concurrency, TLS settings (private CAs, --insecure), timeouts and proxies from the
 * environment. Only src/api/ imports undici.
 */
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

export interface TransportOptions {
  /** Parallel transfers: the connection pool per origin is sized from it. */
  readonly concurrency: number;
  /** Give up connecting (TCP + TLS) after this long. */
  readonly connectTimeoutMs: number;
  /** Abort when no byte arrives for this long (headers or body). */
  readonly idleTimeoutMs: number;
  /** Extra trusted CAs (PEM text), added to the built-in roots rather than replacing them. */
  readonly extraCaPem?: readonly string[];
  /** Skip certificate verification (`--insecure`). */
  readonly insecure?: boolean;
  /** Environment to read HTTPS_PROXY / HTTP_PROXY / NO_PROXY from (either case). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Builds the dispatcher every request of a run goes through. Close it when the run ends. */
export function createDispatcher(options: TransportOptions): Dispatcher {
  const tls = {
    // Passing `ca` replaces Node's trust store, so the bundled roots are restated before the
    // extra bundles. `rootCertificates` lacks NODE_EXTRA_CA_CERTS: the caller passes that
    // bundle in `extraCaPem` too (session.ts).
    ...(options.extraCaPem && options.extraCaPem.length > 0 ? { ca: [...rootCertificates, ...options.extraCaPem] } : {}),
    rejectUnauthorized: !options.insecure,
  };
  const agentOptions = {
    connections: Math.max(2, options.concurrency + 2),
    keepAliveTimeout: 30_000,
    connectTimeout: options.connectTimeoutMs,
    headersTimeout: options.idleTimeoutMs,
    bodyTimeout: options.idleTimeoutMs,
    connect: { ...tls, timeout: options.connectTimeoutMs },
  };
  const env = options.env;
  const httpProxy = env.http_proxy ?? env.HTTP_PROXY ?? '';
  const httpsProxy = env.https_proxy ?? env.HTTPS_PROXY ?? '';
  if (httpProxy === '' && httpsProxy === '') return new Agent(agentOptions);
  return new EnvHttpProxyAgent({
    ...agentOptions,
    httpProxy,
    httpsProxy,
    noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
    requestTls: tls,
    proxyTls: { rejectUnauthorized: !options.insecure, ...(tls.ca ? { ca: tls.ca } : {}) },
  });
}

/** Hides secrets in a URL for logs and messages: the `k` link token and any user:password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = parsed.password ? '***' : '';
    }
    for (const key of [...parsed.searchParams.keys()]) {
      if (/^(k|z|token|access_token|password|p)$/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return url.replace(/([?&](?:k|z|token|access_token|password|p)=)[^&#]*/gi, '$1***');
  }
}
