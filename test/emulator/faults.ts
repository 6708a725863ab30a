/**
 * Fault injection for the emulator: a FIFO queue of faults, each applying to a number of
 * matching requests. A request gets at most one early fault (decided before it is handled)
 * and at most one body fault (decided when a 200/206 body is about to go out): in each case
 * the first queued one that matches it.
 */

/** The emulator's endpoints, as faults name them. */
export type Endpoint = 'token' | 'login' | 'logout' | 'list' | 'list-backup' | 'file' | 'file-backup';

/** Which requests a fault applies to; every given field must match. */
export interface FaultMatch {
  endpoint?: Endpoint;
  /** The name of the file a download link points at (file endpoints only). */
  fileName?: string;
  /** The `page` a listing asks for (list endpoints only). */
  page?: number;
}

interface FaultBase {
  /** How many matching requests it applies to (default 1; Infinity for all). */
  times?: number;
  match?: FaultMatch;
}

/** Answer an error status: the JSON envelope, an HTML proxy page, or an empty body. Any endpoint. */
export interface StatusFault extends FaultBase { kind: 'status'; status: number; body?: 'json' | 'html' | 'empty' }
/** Send headers with the full Content-Length, then destroy the socket after N body bytes. */
export interface DropFault extends FaultBase { kind: 'drop'; afterBytes: number }
/** Send headers and N body bytes, then nothing more until the emulator closes. */
export interface StallFault extends FaultBase { kind: 'stall'; afterBytes: number }
/** Answer with `Content-Length: bytes` and that many bytes, cleanly: a body shorter than listed. */
export interface ShortBodyFault extends FaultBase { kind: 'short-body'; bytes: number }
/** Answer the full body plus `extra` filler bytes (Content-Length counts them): longer than listed. */
export interface LongBodyFault extends FaultBase { kind: 'long-body'; extra: number }
/** Answer without Content-Length (chunked), body complete and correct. */
export interface ChunkedFault extends FaultBase { kind: 'chunked' }
/** Listings serve page 0 whatever `page` says (a server that ignores paging). */
export interface IgnorePageFault extends FaultBase { kind: 'ignore-page' }
/** Answer this raw body (bad JSON, wrong shape…); status 200 and application/json unless given. */
export interface MalformedFault extends FaultBase { kind: 'malformed'; body: string; contentType?: string; status?: number }
/** The download link is refused with the 401 envelope (an expired link). */
export interface LinkExpiredFault extends FaultBase { kind: 'link-expired' }
/** A bearer-authenticated request is refused with 401 as if its token had expired. */
export interface TokenExpiredFault extends FaultBase { kind: 'token-expired' }
/** Accept the request and never answer, not even the head, until the emulator closes. Any endpoint. */
export interface HangFault extends FaultBase { kind: 'hang' }
/**
 * Answer a download that asks for `Range: bytes=N-` with 206 and a Content-Range (and body)
 * starting at `start` (default 0) instead of N: a proxy or server that gets ranges wrong.
 * Applies only to file requests carrying a Range header.
 */
export interface WrongRangeFault extends FaultBase { kind: 'wrong-range'; start?: number }

export type Fault =
  | StatusFault | DropFault | StallFault | ShortBodyFault | LongBodyFault | ChunkedFault
  | IgnorePageFault | MalformedFault | LinkExpiredFault | TokenExpiredFault | HangFault | WrongRangeFault;

/** Faults that change how a successful body is sent (chosen when the body is about to go out). */
export type BodyFault = DropFault | StallFault | ShortBodyFault | LongBodyFault | ChunkedFault;
/** Faults decided before the request is handled. */
export type EarlyFault = Exclude<Fault, BodyFault>;

const BODY_KINDS = new Set<Fault['kind']>(['drop', 'stall', 'short-body', 'long-body', 'chunked']);

/** Everything a fault may match on, for one request. */
export interface RequestFacts {
  endpoint: Endpoint | undefined;
  fileName?: string | undefined;
  page?: number | undefined;
  isBearer: boolean;
  /** Whether the request carries a Range header. */
  hasRange?: boolean;
}

const isFileEndpoint = (e: Endpoint | undefined): boolean => e === 'file' || e === 'file-backup';
const isListEndpoint = (e: Endpoint | undefined): boolean => e === 'list' || e === 'list-backup';

/**
 * Whether a fault can apply to a request at all. Body faults default to downloads (so a
 * `drop` queued before `get` is not spent on the listing), but may target a listing explicitly.
 */
function applies(fault: Fault, facts: RequestFacts): boolean {
  const m = fault.match ?? {};
  if (m.endpoint !== undefined && m.endpoint !== facts.endpoint) return false;
  if (m.fileName !== undefined && (!isFileEndpoint(facts.endpoint) || m.fileName !== facts.fileName)) return false;
  if (m.page !== undefined && (!isListEndpoint(facts.endpoint) || m.page !== facts.page)) return false;
  switch (fault.kind) {
    case 'status':
    case 'malformed':
    case 'hang':
      return facts.endpoint !== undefined;
    case 'wrong-range':
      return isFileEndpoint(facts.endpoint) && facts.hasRange === true;
    case 'ignore-page':
      return isListEndpoint(facts.endpoint);
    case 'link-expired':
      return isFileEndpoint(facts.endpoint);
    case 'token-expired':
      return facts.isBearer && facts.endpoint !== 'token' && !isFileEndpoint(facts.endpoint);
    default:
      return m.endpoint !== undefined || isFileEndpoint(facts.endpoint);
  }
}

/** The queue; `take*` consume one application of the first matching fault. */
export class FaultQueue {
  private readonly queue: { fault: Fault; left: number }[] = [];

  push(fault: Fault): void {
    const times = fault.times ?? 1;
    if (!(times > 0)) throw new RangeError(`Failed to inject a fault: times must be positive, got ${times}.`);
    this.queue.push({ fault, left: times });
  }

  clear(): void {
    this.queue.length = 0;
  }

  /** Faults still queued, with what is left of each. */
  pending(): { fault: Fault; left: number }[] {
    return this.queue.map((entry) => ({ ...entry }));
  }

  takeEarly(facts: RequestFacts): EarlyFault | undefined {
    return this.take(facts, false) as EarlyFault | undefined;
  }

  takeBody(facts: RequestFacts): BodyFault | undefined {
    return this.take(facts, true) as BodyFault | undefined;
  }

  private take(facts: RequestFacts, body: boolean): Fault | undefined {
    const index = this.queue.findIndex((entry) => BODY_KINDS.has(entry.fault.kind) === body && applies(entry.fault, facts));
    const entry = this.queue[index];
    if (entry === undefined) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) this.queue.splice(index, 1);
    return entry.fault;
  }
}
