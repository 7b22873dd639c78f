// A LeaseLock on a coordination.k8s.io/v1 Lease through an apiserver's REST API (Halyard's, or a real
// Kubernetes one): GET to read, POST to create, PUT with metadata.resourceVersion to update — the
// apiserver refuses a stale resourceVersion with 409 Conflict, which is the optimistic concurrency the
// elector needs. The fencing token of an acquisition is the resourceVersion its write produced.
// Change notifications come from a list + watch on the Lease's name, as an informer does.
import { ElectionError, isElectionError } from '../errors.ts';
import type { LeaseLock, LockCallOptions, LockWriteKind, LockWriteResult, ObservedLease } from '../lock.ts';
import type { LeaseRecord } from '../record.ts';
import { LEASE_API_VERSION, leaseSpec, parseLease, tokenOf, type LeaseObject, type ParsedLease } from './lease-object.ts';
import { statusError } from './status.ts';

/** Bound on one response body (a Lease is well under a kilobyte). */
export const RESPONSE_BYTES_MAX = 1 << 20;
/** Bound on one line of a watch stream. */
export const WATCH_LINE_BYTES_MAX = 1 << 20;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export interface ApiserverLeaseLockOptions {
  /** The apiserver's base URL, e.g. `https://127.0.0.1:6443`. */
  readonly server: string;
  readonly namespace: string;
  readonly name: string;
  /** Sent as `Authorization: Bearer …` when given. */
  readonly bearerToken?: string;
  /** Default the global fetch (pass one with a TLS dispatcher for a private CA). */
  readonly fetch?: typeof fetch;
}

interface HttpAnswer {
  readonly status: number;
  readonly text: string;
}

export class ApiserverLeaseLock implements LeaseLock {
  readonly description: string;
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  /** The last Lease object seen, so an update keeps its labels, annotations and other spec fields. */
  private last: ParsedLease | undefined;

  constructor(private readonly options: ApiserverLeaseLockOptions) {
    for (const [what, v] of [['namespace', options.namespace], ['name', options.name]] as const) {
      if (typeof v !== 'string' || !NAME.test(v)) throw new ElectionError('InvalidConfig', `lease ${what} must be a DNS subdomain name, got ${JSON.stringify(v)}`);
    }
    let url: URL;
    try {
      url = new URL(options.server);
    } catch {
      throw new ElectionError('InvalidConfig', `server must be a URL, got ${JSON.stringify(options.server)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ElectionError('InvalidConfig', `server must be http(s), got ${url.protocol}`);
    this.base = `${url.origin}${url.pathname.replace(/\/$/, '')}/apis/${LEASE_API_VERSION}/namespaces/${options.namespace}/leases`;
    this.fetchFn = options.fetch ?? fetch;
    this.description = `lease ${options.namespace}/${options.name}`;
  }

  async get(options: LockCallOptions = {}): Promise<ObservedLease | undefined> {
    const r = await this.request('GET', `${this.base}/${this.options.name}`, undefined, options.signal);
    if (r.status === 404) return undefined;
    return this.observed(this.answer(r, 'get'));
  }

  async create(record: LeaseRecord, options: LockCallOptions = {}): Promise<LockWriteResult> {
    const body: LeaseObject = { apiVersion: LEASE_API_VERSION, kind: 'Lease', metadata: { name: this.options.name, namespace: this.options.namespace }, spec: leaseSpec(record) };
    const lease = this.answer(await this.request('POST', this.base, body, options.signal), 'create');
    return { version: lease.resourceVersion, fencingToken: tokenOf(lease.resourceVersion, this.description) };
  }

  async update(record: LeaseRecord, previous: ObservedLease, kind: LockWriteKind, options: LockCallOptions = {}): Promise<LockWriteResult> {
    const base = this.last?.resourceVersion === previous.version ? this.last.object : undefined;
    const body: LeaseObject = {
      apiVersion: LEASE_API_VERSION,
      kind: 'Lease',
      metadata: { ...(base?.metadata ?? {}), name: this.options.name, namespace: this.options.namespace, resourceVersion: previous.version },
      spec: leaseSpec(record, base?.spec),
    };
    const lease = this.answer(await this.request('PUT', `${this.base}/${this.options.name}`, body, options.signal), 'update');
    return kind === 'acquire' ? { version: lease.resourceVersion, fencingToken: tokenOf(lease.resourceVersion, this.description) } : { version: lease.resourceVersion };
  }

  /**
   * List (for a resourceVersion to start from) and watch the Lease by name; each ADDED/MODIFIED/DELETED
   * yields the new state. A watch that expired (410 Gone, or an ERROR event saying so) lists again.
   */
  async *watch(options: { readonly signal: AbortSignal }): AsyncGenerator<ObservedLease | undefined, void, undefined> {
    const { signal } = options;
    try {
      while (!signal.aborted) yield* this.listAndWatch(signal);
    } catch (e) {
      // Cancelling ends the stream quietly, as the KV lock's watch does.
      if (!signal.aborted) throw e;
    }
  }

  /** One list + watch; returns when the watch expired (410) or the server ended it, to be started again. */
  private async *listAndWatch(signal: AbortSignal): AsyncGenerator<ObservedLease | undefined, void, undefined> {
    const selector = `fieldSelector=${encodeURIComponent(`metadata.name=${this.options.name}`)}`;
    const list = await this.request('GET', `${this.base}?${selector}`, undefined, signal);
    if (list.status !== 200) throw statusError(`${this.description}: list`, list.status, list.text);
    const { items, resourceVersion } = this.parseList(list.text);
    yield items[0] === undefined ? undefined : this.observed(items[0]);
    const res = await this.fetchFn(`${this.base}?${selector}&watch=true&resourceVersion=${encodeURIComponent(resourceVersion)}`, { headers: this.headers(), signal });
    if (res.status === 410) return;
    if (res.status !== 200 || res.body === null) throw statusError(`${this.description}: watch`, res.status, await boundedText(res));
    for await (const line of lines(res.body, WATCH_LINE_BYTES_MAX)) {
      const event = this.parseEvent(line);
      if (event.type === 'ERROR') {
        if (event.code === 410) return;
        throw new ElectionError('Unavailable', `${this.description}: watch error: ${event.message}`);
      }
      if (event.type === 'BOOKMARK') continue;
      yield event.type === 'DELETED' ? undefined : this.observed(event.lease);
    }
  }

  private observed(lease: ParsedLease): ObservedLease {
    this.last = lease;
    return { record: lease.record, version: lease.resourceVersion };
  }

  private answer(r: HttpAnswer, what: string): ParsedLease {
    if (r.status < 200 || r.status > 299) throw statusError(`${this.description}: ${what}`, r.status, r.text);
    let v: unknown;
    try {
      v = JSON.parse(r.text);
    } catch {
      throw new ElectionError('Unavailable', `${this.description}: ${what}: the answer is not JSON`);
    }
    return parseLease(v, `${this.description}: ${what}`);
  }

  private parseList(text: string): { items: ParsedLease[]; resourceVersion: string } {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new ElectionError('Unavailable', `${this.description}: list: the answer is not JSON`);
    }
    const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    const rv = (o['metadata'] as Record<string, unknown> | undefined)?.['resourceVersion'];
    if (!Array.isArray(o['items']) || typeof rv !== 'string') throw new ElectionError('Unavailable', `${this.description}: list: not a LeaseList`);
    const items = (o['items'] as unknown[]).map((item) => parseLease({ kind: 'Lease', apiVersion: LEASE_API_VERSION, ...(item as object) }, `${this.description}: list`));
    return { items: items.filter((l) => l.object.metadata.name === this.options.name), resourceVersion: rv };
  }

  private parseEvent(line: string): { type: 'ADDED' | 'MODIFIED' | 'DELETED'; lease: ParsedLease } | { type: 'BOOKMARK' } | { type: 'ERROR'; code: number | undefined; message: string } {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new ElectionError('Unavailable', `${this.description}: watch: an event is not JSON`);
    }
    const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    const type = o['type'];
    const object = o['object'];
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED':
        return { type, lease: parseLease(object, `${this.description}: watch`) };
      case 'BOOKMARK':
        return { type };
      case 'ERROR': {
        const s = (typeof object === 'object' && object !== null ? object : {}) as Record<string, unknown>;
        return { type, code: typeof s['code'] === 'number' ? s['code'] : undefined, message: typeof s['message'] === 'string' ? s['message'] : 'unknown' };
      }
      default:
        throw new ElectionError('Unavailable', `${this.description}: watch: unknown event type ${JSON.stringify(type)}`);
    }
  }

  private headers(body = false): Record<string, string> {
    return {
      accept: 'application/json',
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(this.options.bearerToken !== undefined ? { authorization: `Bearer ${this.options.bearerToken}` } : {}),
    };
  }

  private async request(method: string, url: string, body: unknown, signal: AbortSignal | undefined): Promise<HttpAnswer> {
    let res: Response;
    try {
      res = await this.fetchFn(url, { method, headers: this.headers(body !== undefined), ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal !== undefined ? { signal } : {}) });
    } catch (e) {
      if (signal?.aborted === true) throw signal.reason;
      throw new ElectionError('Unavailable', `${this.description}: ${method} ${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    try {
      return { status: res.status, text: await boundedText(res) };
    } catch (e) {
      if (signal?.aborted === true) throw signal.reason;
      throw isElectionError(e) ? e : new ElectionError('Unavailable', `${this.description}: ${method} ${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}

async function boundedText(res: Response): Promise<string> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > RESPONSE_BYTES_MAX) throw new ElectionError('Unavailable', `response larger than ${RESPONSE_BYTES_MAX} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The lines of a chunked JSON stream (one watch event per line, as the apiserver sends them). */
async function* lines(body: ReadableStream<Uint8Array>, lineBytesMax: number): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line.length > 0) yield line;
    }
    if (buf.length > lineBytesMax) throw new ElectionError('Unavailable', `watch event larger than ${lineBytesMax} bytes`);
  }
  const rest = buf.trim();
  if (rest.length > 0) yield rest;
}
