// One WebSocket to one member's client port. Multiplexes requests by frame id and routes watch frames to
// their watcher by watch id. Knows nothing about leaders or retries: it reports failures precisely
// (ConnectionLostError says whether a request had been sent) and the caller decides.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type WebSocketClass from 'ws';
import { KvError, type WireError } from '../protocol/errors.ts';
import { corkUntilNextTick } from '../protocol/cork.ts';
import { decodeFrame, encodeFrame } from '../protocol/frame.ts';
import type { Method, Methods, ServerFrame } from '../protocol/messages.ts';
import { wsUrlOf } from './endpoints.ts';
import { ConnectionLostError, NotAMemberError } from './retry.ts';
import { assertRequestSize } from './request-size.ts';
import { speaksTls, tlsError, tlsFailureReason, tlsRefusal } from './tls-errors.ts';

// ws is CommonJS. Required as such rather than imported through its ESM wrapper, which makes Node run its
// CommonJS export scanner (cjs-module-lexer) over each of ws's files: a visible share of the start-up
// of a short-lived process such as one `halyard kv put`.
const WebSocket = createRequire(import.meta.url)('ws') as typeof WebSocketClass;
type WebSocket = WebSocketClass;

/** Requests in flight on one connection; beyond it a request fails at once instead of queueing. */
export const PENDING_REQUESTS_MAX = 10_000;

/**
 * Largest frame accepted from a member. Far above the request limit (1.5 MiB): a range answer may
 * legitimately hold many keys, and etcd's clients accept large responses too.
 */
export const RESPONSE_SIZE_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Watch frames held while a watchCreate is in flight and their watch id is not yet known, in case a
 * member sends a watch's first events before its reply. Beyond it the connection is dropped (its watches
 * resume by revision, losing nothing) rather than holding more.
 */
export const EARLY_WATCH_FRAMES_MAX = 4096;

export interface ConnectionOptions {
  readonly dialTimeoutMs: number;
  /** How often an idle connection is pinged; a member that stops answering (SIGSTOP, partition) is detected. */
  readonly keepAliveIntervalMs: number;
  /** No pong (or any frame) for this long → the connection is declared dead and closed. */
  readonly keepAliveTimeoutMs: number;
  /** Default RESPONSE_SIZE_BYTES_MAX. */
  readonly responseSizeBytesMax?: number;
  /** Largest request frame sent; a larger one fails with TooLarge before it leaves (see request-size.ts). */
  readonly requestSizeBytesMax: number;
  /** For https:// endpoints: the CA to trust, and a client certificate when members require one. */
  readonly tls?: ClientTls;
}

/** PEM contents (not paths) of what the client trusts and presents over TLS. */
export interface ClientTls {
  readonly ca?: Uint8Array | string;
  readonly cert?: Uint8Array | string;
  readonly key?: Uint8Array | string;
}

/** RFC 6455 §7.4.1: the endpoint closes because a message is too big for it to process. */
export const CLOSE_MESSAGE_TOO_BIG = 1009;

export type WatchFrame = Extract<ServerFrame, { type: 'watch' }>;
export type WatchFrameHandler = (frame: WatchFrame) => void;

interface Pending {
  readonly method: Method;
  /** Size of the request frame, to single out the request a member refused with close code 1009. */
  readonly frameBytes: number;
  resolve(result: unknown): void;
  reject(err: unknown): void;
  /** Runs synchronously when the result arrives, before any later frame is dispatched (watch registration). */
  readonly onResult?: (result: unknown) => void;
}

export class Connection {
  private nextFrameId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly watchHandlers = new Map<number, WatchFrameHandler>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private watchCreatesInFlight = 0;
  private earlyWatchFrames: WatchFrame[] = [];
  private lastHeardAtMs = Date.now();
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private closedReason: string | undefined;

  private constructor(
    readonly endpoint: string,
    private readonly ws: WebSocket,
    private readonly options: ConnectionOptions,
    private readonly socket: Socket | undefined,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.lastHeardAtMs = Date.now()));
    ws.on('close', (code: number, reason: Buffer) => this.onClosed(`closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`, code === CLOSE_MESSAGE_TOO_BIG ? 'requestTooLarge' : undefined));
    // ws reports a frame from the member above maxPayload as an error (then closes with 1009 itself).
    ws.on('error', (err: Error) => this.onClosed(err.message, (err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'responseTooLarge' : undefined));
    this.keepAliveTimer = setInterval(() => this.checkAlive(), options.keepAliveIntervalMs);
    this.keepAliveTimer.unref();
  }

  /**
   * Dials `endpoint` (normalized); rejects with a ConnectionLostError when it cannot (within
   * dialTimeoutMs), a NotAMemberError when something that is not a member answers the upgrade, or the
   * signal's reason.
   */
  static open(endpoint: string, options: ConnectionOptions, signal?: AbortSignal): Promise<Connection> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) return reject(signal.reason);
      const tlsOptions = {
        ...(options.tls?.ca !== undefined ? { ca: Buffer.from(options.tls.ca) } : {}),
        ...(options.tls?.cert !== undefined ? { cert: Buffer.from(options.tls.cert) } : {}),
        ...(options.tls?.key !== undefined ? { key: Buffer.from(options.tls.key) } : {}),
      };
      const ws = new WebSocket(wsUrlOf(endpoint), {
        handshakeTimeout: options.dialTimeoutMs,
        maxPayload: options.responseSizeBytesMax ?? RESPONSE_SIZE_BYTES_MAX,
        perMessageDeflate: false,
        ...tlsOptions,
      });
      // An HTTP answer other than 101 means no member listens there (another service, a proxy's error page):
      // remembered here, reported by onError once ws has aborted the handshake.
      let refusedWith: { status: number; statusText: string } | undefined;
      // The TCP socket under ws, to cork (protocol/cork.ts); ws gives it with the upgrade response.
      let socket: Socket | undefined;
      ws.once('upgrade', (res: { socket: Socket }) => {
        socket = res.socket;
      });
      const onUnexpectedResponse = (_req: unknown, res: { statusCode?: number; statusMessage?: string }): void => {
        refusedWith = { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '' };
        ws.terminate();
      };
      const cleanup = (): void => {
        ws.off('open', onOpen);
        ws.off('error', onError);
        ws.off('close', onClose);
        ws.off('unexpected-response', onUnexpectedResponse);
        // ws may still report the aborted handshake; with no listener that would be an uncaught error.
        ws.on('error', () => {});
        signal?.removeEventListener('abort', onAbort);
      };
      const onOpen = (): void => {
        cleanup();
        resolve(new Connection(endpoint, ws, options, socket));
      };
      const onError = (err: Error): void => {
        cleanup();
        ws.terminate();
        if (refusedWith !== undefined) return reject(new NotAMemberError(endpoint, refusedWith.status, refusedWith.statusText));
        const tlsReason = tlsFailureReason(err);
        if (tlsReason !== undefined) return reject(tlsError(endpoint, tlsReason));
        const lost = new ConnectionLostError(endpoint, false, `dial failed: ${err.message}`);
        if (!isCutBeforeAnswer(err)) return reject(lost);
        const url = new URL(endpoint);
        const host = url.hostname.replace(/^\[|\]$/g, '');
        if (endpoint.startsWith('http://')) {
          void speaksTls(host, Number(url.port || 80)).then((tls) => reject(tls ? tlsError(endpoint, 'the endpoint speaks TLS; use https:// (and --cacert/--cert/--key)') : lost));
        } else {
          void tlsRefusal(host, Number(url.port || 443), tlsOptions).then((reason) => reject(reason !== undefined ? tlsError(endpoint, reason) : lost));
        }
      };
      const onClose = (): void => onError(new Error('closed during the handshake'));
      const onAbort = (): void => {
        cleanup();
        ws.terminate();
        reject(signal?.reason);
      };
      ws.on('open', onOpen);
      ws.on('error', onError);
      ws.on('close', onClose);
      ws.on('unexpected-response', onUnexpectedResponse);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  /**
   * Sends one request. Rejects with the member's KvError, a ConnectionLostError, or the signal's reason
   * (the request is then forgotten here; a late response is ignored).
   */
  request<M extends Method>(method: M, params: Methods[M]['params'], requestId: string | undefined, signal?: AbortSignal, onResult?: (result: Methods[M]['result']) => void): Promise<Methods[M]['result']> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) return reject(signal.reason);
      if (this.closedReason !== undefined) return reject(new ConnectionLostError(this.endpoint, false, this.closedReason));
      // Closing but not yet closed: ws would drop the frame silently; it provably never left.
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new ConnectionLostError(this.endpoint, false, 'closing'));
      if (this.pending.size >= PENDING_REQUESTS_MAX) {
        return reject(new KvError('Unavailable', `more than ${PENDING_REQUESTS_MAX} requests in flight to ${this.endpoint}`));
      }
      const id = this.nextFrameId++;
      const frame = encodeFrame({ id, method, params, ...(requestId !== undefined ? { requestId } : {}) });
      try {
        assertRequestSize(method, frame.byteLength, this.options.requestSizeBytesMax);
      } catch (err) {
        return reject(err);
      }
      const isWatchCreate = method === 'watchCreate';
      if (isWatchCreate) this.watchCreatesInFlight++;
      const settled = (): void => {
        signal?.removeEventListener('abort', onAbort);
        if (isWatchCreate && --this.watchCreatesInFlight === 0) this.earlyWatchFrames = [];
      };
      const onAbort = (): void => {
        this.pending.delete(id);
        settled();
        reject(signal?.reason);
      };
      this.pending.set(id, {
        method,
        frameBytes: frame.byteLength,
        resolve: (result) => {
          settled();
          resolve(result as Methods[M]['result']);
        },
        reject: (err) => {
          settled();
          reject(err);
        },
        ...(onResult !== undefined ? { onResult: onResult as (result: unknown) => void } : {}),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.socket !== undefined) corkUntilNextTick(this.socket);
      this.ws.send(frame, { binary: true });
    });
  }

  /** Watch frames for `watchId` go to `handler` until `removeWatch`. */
  addWatch(watchId: number, handler: WatchFrameHandler): void {
    this.watchHandlers.set(watchId, handler);
    const early = this.earlyWatchFrames.filter((f) => f.watchId === watchId);
    if (early.length === 0) return;
    this.earlyWatchFrames = this.earlyWatchFrames.filter((f) => f.watchId !== watchId);
    for (const f of early) handler(f);
  }

  removeWatch(watchId: number): void {
    this.watchHandlers.delete(watchId);
  }

  /** Called once with the reason when the connection ends (at once if it already has). */
  onClose(listener: (reason: string) => void): () => void {
    if (this.closedReason !== undefined) {
      listener(this.closedReason);
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(reason = 'closed by the client'): void {
    this.ws.terminate();
    this.onClosed(reason);
  }

  private checkAlive(): void {
    if (Date.now() - this.lastHeardAtMs > this.options.keepAliveTimeoutMs) {
      this.close(`no answer to keep-alive pings for ${this.options.keepAliveTimeoutMs} ms`);
      return;
    }
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.lastHeardAtMs = Date.now();
    let frame: ServerFrame;
    try {
      if (!isBinary) throw new KvError('BadFrame', 'text frame from the server');
      frame = decodeFrame(data, Number.POSITIVE_INFINITY) as ServerFrame;
      if (typeof frame !== 'object' || frame === null || typeof frame.type !== 'string') throw new KvError('BadFrame', 'server frame is not a map with a type');
    } catch (err) {
      // A member that speaks garbage cannot be trusted with the requests in flight: drop the connection.
      this.close(`undecodable frame from the server: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    switch (frame.type) {
      case 'response': {
        const p = this.pending.get(frame.id);
        if (p === undefined) return;
        this.pending.delete(frame.id);
        p.onResult?.(frame.result);
        p.resolve(frame.result);
        return;
      }
      case 'error': {
        const p = this.pending.get(frame.id);
        if (p === undefined) return;
        this.pending.delete(frame.id);
        p.reject(KvError.fromWire(frame.error));
        return;
      }
      case 'frameError':
        this.close(`the server could not read a frame: ${describe(frame.error)}`);
        return;
      case 'watch': {
        const handler = this.watchHandlers.get(frame.watchId);
        if (handler !== undefined) handler(frame);
        else if (this.watchCreatesInFlight > 0) this.holdEarlyWatchFrame(frame);
        // Otherwise: a frame of a watch already canceled here; dropping it is right.
        return;
      }
      default: {
        const unknownFrame: never = frame;
        this.close(`unknown frame type ${JSON.stringify((unknownFrame as { type: unknown }).type)}`);
      }
    }
  }

  private holdEarlyWatchFrame(frame: WatchFrame): void {
    if (this.earlyWatchFrames.length >= EARLY_WATCH_FRAMES_MAX) {
      this.close(`more than ${EARLY_WATCH_FRAMES_MAX} watch frames before their watchCreate reply`);
      return;
    }
    this.earlyWatchFrames.push(frame);
  }

  /**
   * `tooLarge` says a frame broke a size limit (WebSocket close 1009): `requestTooLarge` when the member
   * refused one of ours — the largest request in flight is the one, it fails with TooLarge and is not
   * retried (it would only be refused again), the others fail over as usual; `responseTooLarge` when a
   * member's answer exceeded responseSizeBytesMax — which request it answered is unknowable, so every
   * request in flight fails with TooLarge.
   */
  private onClosed(reason: string, tooLarge?: 'requestTooLarge' | 'responseTooLarge'): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    const pending = [...this.pending.values()];
    this.pending.clear();
    const culprit = tooLarge === 'requestTooLarge' ? pending.reduce<Pending | undefined>((big, p) => (big === undefined || p.frameBytes > big.frameBytes ? p : big), undefined) : undefined;
    for (const p of pending) {
      if (tooLarge === 'responseTooLarge') {
        p.reject(new KvError('TooLarge', `a response from ${this.endpoint} exceeded the client's limit of ${this.options.responseSizeBytesMax ?? RESPONSE_SIZE_BYTES_MAX} bytes (responseSizeBytesMax)`));
      } else if (p === culprit) {
        p.reject(new KvError('TooLarge', `${this.endpoint} refused a ${p.method} request of ${p.frameBytes} bytes as too large (WebSocket close 1009); its --max-request-bytes is lower than this client's requestSizeBytesMax`));
      } else {
        p.reject(new ConnectionLostError(this.endpoint, true, reason));
      }
    }
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const l of listeners) l(reason);
  }
}

/** A connection closed before the server said anything: what a TLS server does to a plain HTTP request. */
function isCutBeforeAnswer(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ECONNRESET' || /socket hang up|closed during the handshake/.test(err.message);
}

function describe(err: WireError): string {
  return `${err.code}: ${err.message}`;
}
