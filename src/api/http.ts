/**
 * The HTTP transport: one undici dispatcher per run with keep-alive sized to the
 * concurrency, TLS settings (private CAs, --insecure), timeouts and proxies from the
 * environment. Only src/api/ imports undici.
 */
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { UsageError } from '../errors.js';

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
  const proxies = proxySettings(options.env);
  if (proxies.httpProxy === '' && proxies.httpsProxy === '') return new Agent(agentOptions);
  // Every setting is passed explicitly (even as ''), so undici never reads process.env itself.
  return new EnvHttpProxyAgent({
    ...agentOptions,
    ...proxies,
    requestTls: tls,
    proxyTls: { rejectUnauthorized: !options.insecure, ...(tls.ca ? { ca: tls.ca } : {}) },
  });
}

interface ProxySettings {
  readonly httpProxy: string;
  readonly httpsProxy: string;
  readonly noProxy: string;
}

/**
 * Proxy variables from an environment; the lowercase spelling wins, as in curl. A proxy
 * without a scheme (`proxy:3128`, a common habit) is taken as http://, as curl does.
 * Throws UsageError (exit 2) for a value that is not a proxy URL, without echoing its password.
 */
function proxySettings(env: TransportOptions['env']): ProxySettings {
  const pick = (lower: string, upper: string): [string, string] => (env[lower] !== undefined ? [lower, env[lower] ?? ''] : [upper, env[upper] ?? '']);
  return {
    httpProxy: normaliseProxy(...pick('http_proxy', 'HTTP_PROXY')),
    httpsProxy: normaliseProxy(...pick('https_proxy', 'HTTPS_PROXY')),
    noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
  };
}

const PROXY_SCHEMES = new Set(['http:', 'https:', 'socks:', 'socks5:']);

function normaliseProxy(variable: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') return '';
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    url = undefined;
  }
  if (url === undefined || !PROXY_SCHEMES.has(url.protocol) || url.hostname === '') {
    const shown = trimmed.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, '$1***@');
    throw new UsageError(`Invalid proxy in ${variable} ("${shown}"): expected http://[user:password@]host:port.`);
  }
  return withScheme;
}

/**
 * The proxy URL a request to `url` goes through, by the rules of undici's EnvHttpProxyAgent
 * (which createDispatcher uses): https falls back to HTTP_PROXY; NO_PROXY entries match a host
 * or its subdomains (`.example.com`, `*.example.com`), optionally with `:port`; `*` means none.
 * Loopback is not exempt by itself. Undefined: a direct connection. For messages and traces.
 */
export function proxyFor(url: URL, env: TransportOptions['env']): string | undefined {
  const { httpProxy, httpsProxy, noProxy } = proxySettings(env);
  const proxy = url.protocol === 'https:' ? httpsProxy || httpProxy : httpProxy;
  if (proxy === '') return undefined;
  if (noProxy === '*') return undefined;
  const host = url.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(url.port, 10) || (url.protocol === 'https:' ? 443 : 80);
  for (const entry of noProxy.split(/[,\s]/)) {
    if (entry === '') continue;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const name = (parsed?.[1] ?? entry).replace(/^\*?\./, '').toLowerCase();
    const entryPort = parsed?.[2] === undefined ? 0 : Number.parseInt(parsed[2], 10);
    if (entryPort !== 0 && entryPort !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return undefined;
  }
  return proxy;
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
