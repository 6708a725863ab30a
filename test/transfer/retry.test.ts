import { describe, expect, it } from 'vitest';
import { ApiError, AuthError, InterruptedError, LocalError, NetworkError, ServerError } from '../../src/errors.js';
import { BodyError, backoffDelay, classifyFailure, createRetryRunner, describeLocalFailure, failureKind, sleepOrInterrupt, type FailureClass } from '../../src/transfer/retry.js';
import type { FailureKind } from '../../src/transfer/types.js';

function withCode(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

const link = '/directlink/v1/download/file';
const backupLink = '/directlink/v1/download/file/backup';

const table: [string, unknown, FailureClass][] = [
  ['connection refused', new NetworkError('x', { code: 'ECONNREFUSED' }), 'retry'],
  ['connection reset', new NetworkError('x', { code: 'ECONNRESET' }), 'retry'],
  ['connect timeout', new NetworkError('x', { code: 'UND_ERR_CONNECT_TIMEOUT' }), 'retry'],
  ['headers timeout', new NetworkError('x', { code: 'UND_ERR_HEADERS_TIMEOUT' }), 'retry'],
  ['DNS hiccup', new NetworkError('x', { code: 'EAI_AGAIN' }), 'retry'],
  ['host not found', new NetworkError('x', { code: 'ENOTFOUND' }), 'fatal'],
  ['certificate refused', new NetworkError('x', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'fatal'],
  ['socket closed mid-body (raw undici)', withCode('UND_ERR_SOCKET', 'other side closed'), 'retry'],
  ['reset mid-body (raw)', withCode('ECONNRESET', 'read ECONNRESET'), 'retry'],
  ['body timeout (raw undici)', withCode('UND_ERR_BODY_TIMEOUT', 'Body Timeout Error'), 'retry'],
  ['premature close', withCode('ERR_STREAM_PREMATURE_CLOSE', 'Premature close'), 'retry'],
  ['fetch terminated', new TypeError('terminated', { cause: withCode('UND_ERR_SOCKET') }), 'retry'],
  ['fetch terminated without code', new TypeError('terminated'), 'retry'],
  ['code only on the cause', new Error('wrapped', { cause: withCode('ECONNRESET') }), 'retry'],
  ['too many open files', withCode('EMFILE'), 'retry'],
  ['short body', new BodyError('short', { reason: 'short-body', restart: false }), 'retry'],
  ['long body', new BodyError('long', { reason: 'long-body', restart: true }), 'retry'],
  ['idle timeout', new BodyError('idle', { reason: 'idle-timeout', restart: false }), 'retry'],
  ['500 on a link', new ApiError('x', { status: 500, endpoint: link }), 'retry'],
  ['502 on a listing', new ApiError('x', { status: 502, endpoint: '/download/list' }), 'retry'],
  ['503', new ApiError('x', { status: 503, endpoint: link }), 'retry'],
  ['429', new ApiError('x', { status: 429, endpoint: link }), 'retry'],
  ['408', new ApiError('x', { status: 408, endpoint: '/download/list' }), 'retry'],
  ['401 on a link', new ApiError('x', { status: 401, endpoint: link }), 'refresh-link'],
  ['403 on a backup link', new ApiError('x', { status: 403, endpoint: backupLink }), 'refresh-link'],
  ['404 on a link', new ApiError('x', { status: 404, endpoint: link }), 'refresh-link'],
  ['401 on a listing', new ApiError('x', { status: 401, endpoint: '/download/list' }), 'renew-token'],
  ['401 on the token endpoint', new ApiError('x', { status: 401, endpoint: '/oauth2/token' }), 'renew-token'],
  ['404 on a listing', new ApiError('x', { status: 404, endpoint: '/download/list' }), 'fatal'],
  ['400 on a link', new ApiError('x', { status: 400, endpoint: link }), 'fatal'],
  ['405', new ApiError('x', { status: 405, endpoint: link }), 'fatal'],
  ['416 that escaped the Range rules', new ApiError('x', { status: 416, endpoint: link }), 'fatal'],
  ['credentials refused', new AuthError('x'), 'fatal'],
  ['HTML from a proxy', new ServerError('x'), 'fatal'],
  ['disk full', withCode('ENOSPC', 'ENOSPC: no space left on device, write'), 'fatal'],
  ['quota', withCode('EDQUOT'), 'fatal'],
  ['permission denied', withCode('EACCES'), 'fatal'],
  ['read-only file system', withCode('EROFS'), 'fatal'],
  ['local error', new LocalError('x'), 'fatal'],
  ['user abort', abortError(), 'fatal'],
  ['interrupted', new InterruptedError('x'), 'fatal'],
  ['a bug', new TypeError('undefined is not a function'), 'fatal'],
  ['a thrown string', 'boom', 'fatal'],
];

describe('classifyFailure', () => {
  it.each(table)('%s → %s', (_label, error, expected) => {
    expect(classifyFailure(error)).toBe(expected);
  });
});

describe('backoffDelay', () => {
  it.each([
    [1, 1, 500],
    [2, 1, 1000],
    [3, 1, 2000],
    [7, 1, 30_000],
    [100, 1, 30_000],
    [1, 0, 0],
    [3, 0.5, 1000],
  ])('attempt %i with random %f is at most %i', (attempt, r, expected) => {
    // random() is < 1; 0.9999 stands for its top end.
    const value = backoffDelay(attempt, { random: () => (r === 1 ? 0.9999 : r) });
    expect(value).toBeLessThanOrEqual(expected);
    expect(value).toBeGreaterThanOrEqual(Math.floor(expected * (r === 1 ? 0.999 : r)));
  });

  it('honours base and max', () => {
    expect(backoffDelay(4, { baseMs: 10, maxMs: 50, random: () => 0.9999 })).toBe(49);
    expect(backoffDelay(2, { baseMs: 10, maxMs: 50, random: () => 0.5 })).toBe(10);
  });
});

describe('describeLocalFailure', () => {
  it('puts codes into plain words', () => {
    expect(describeLocalFailure(withCode('ENOSPC', 'ENOSPC: no space left on device, write'))).toBe('no space left on device');
    expect(describeLocalFailure(withCode('EACCES', "EACCES: permission denied, open '/x'"))).toBe('permission denied');
    expect(describeLocalFailure(new Error('odd'))).toBe('odd');
  });
});

describe('createRetryRunner', () => {
  const noSleep = (): Promise<void> => Promise.resolve();

  it('retries transient failures, then succeeds', async () => {
    const delays: number[] = [];
    const run = createRetryRunner({ signal: new AbortController().signal, sleep: noSleep, random: () => 0.5, onRetry: ({ delayMs }) => delays.push(delayMs) });
    let calls = 0;
    const value = await run('list', () => {
      calls++;
      if (calls < 3) return Promise.reject(new ApiError('x', { status: 500, endpoint: '/download/list' }));
      return Promise.resolve('ok');
    });
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([250, 500]);
  });

  it('gives up after the budget with the last error', async () => {
    const run = createRetryRunner({ retries: 2, signal: new AbortController().signal, sleep: noSleep });
    let calls = 0;
    const failure = new NetworkError('Failed to reach x: connection refused.', { code: 'ECONNREFUSED' });
    await expect(run('list', () => { calls++; return Promise.reject(failure); })).rejects.toBe(failure);
    expect(calls).toBe(3);
  });

  it('does not retry fatal failures', async () => {
    const run = createRetryRunner({ signal: new AbortController().signal, sleep: noSleep });
    let calls = 0;
    await expect(run('list', () => { calls++; return Promise.reject(new AuthError('no')); })).rejects.toBeInstanceOf(AuthError);
    expect(calls).toBe(1);
  });

  it('turns an abort during the wait into InterruptedError', async () => {
    const controller = new AbortController();
    const run = createRetryRunner({
      signal: controller.signal,
      sleep: (_ms, signal) => new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(abortError()), { once: true });
        controller.abort();
      }),
    });
    await expect(run('list', () => Promise.reject(new NetworkError('x', { code: 'ECONNRESET' })))).rejects.toBeInstanceOf(InterruptedError);
  });

  it('sleepOrInterrupt refuses to wait once aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleepOrInterrupt(noSleep, 10, controller.signal)).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe('failureKind (exit code of a run where every file failed alike)', () => {
  const kinds: [string, unknown, FailureKind][] = [
    ['connection refused', new NetworkError('x', { code: 'ECONNREFUSED' }), 'network'],
    ['socket closed mid-body (raw undici)', withCode('UND_ERR_SOCKET', 'other side closed'), 'network'],
    ['fetch terminated', new TypeError('terminated'), 'network'],
    ['idle timeout', new BodyError('idle', { reason: 'idle-timeout', restart: false }), 'network'],
    ['short body', new BodyError('short', { reason: 'short-body', restart: false }), 'server'],
    ['500 on a link', new ApiError('x', { status: 500, endpoint: link }), 'server'],
    ['401 on a link (refreshed already)', new ApiError('x', { status: 401, endpoint: link }), 'server'],
    ['401 on a listing', new ApiError('x', { status: 401, endpoint: '/download/list' }), 'auth'],
    ['credentials refused', new AuthError('x'), 'auth'],
    ['not listed any more', new ServerError('x'), 'server'],
    ['disk full (raw)', withCode('ENOSPC'), 'local'],
    ['not enough space', new LocalError('x'), 'local'],
    ['a bug', new TypeError('undefined is not a function'), 'other'],
  ];
  it.each(kinds)('%s → %s', (_name, error, kind) => {
    expect(failureKind(error)).toBe(kind);
  });
});
