// A deliberately minimal WebSocket client (RFC 6455) over a plain TCP socket, for what KvClient must not
// do: send garbage and oversize frames, text frames, unknown methods; and queue requests to a member that
// is SIGSTOPped (no keep-alive pings, so the connection outlives the pause). `ws` is not a dependency of
// the repository root (pnpm does not hoist it from @halyard/kv), and this is all the tests need.

import { createHash, randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import { decodeFrame, encodeFrame, type ServerFrame } from '@halyard/kv-client/protocol';

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Largest server frame we accept: a range over this test's keys is far below it. */
const INCOMING_FRAME_BYTES_MAX = 64 * 1024 * 1024;
export const CALL_TIMEOUT_MS_DEFAULT = 20_000;

export class RawWs {
  /** Every decoded frame the server sent, in order (responses, errors, frameErrors). */
  readonly frames: ServerFrame[] = [];
  /** The close code the server sent, once it closed the connection (1009 = message too big). */
  closeCode: number | undefined;
  private buf = Buffer.alloc(0);
  private seq = 0;
  private readonly waiters = new Map<number, (f: ServerFrame) => void>();
  private readonly anyWaiters = new Set<() => void>();
  private ended = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    const end = (): void => {
      this.ended = true;
      this.notify();
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  static async connect(httpUrl: string, timeoutMs = 10_000): Promise<RawWs> {
    const u = new URL(httpUrl);
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    const rest = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`WebSocket handshake with ${httpUrl} timed out`));
      }, timeoutMs);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        clearTimeout(timer);
        const text = head.subarray(0, end).toString('latin1');
        if (!/^HTTP\/1\.1 101/.test(text) || !text.includes(accept)) {
          socket.destroy();
          reject(new Error(`WebSocket handshake refused: ${text.split('\r\n')[0]}`));
          return;
        }
        resolve(head.subarray(end + 4));
      };
      socket.on('data', onData);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.write(`GET / HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    const ws = new RawWs(socket);
    if (rest.length > 0) {
      ws.buf = Buffer.from(rest);
      ws.parse();
    }
    return ws;
  }

  get isClosed(): boolean {
    return this.ended || this.closeCode !== undefined;
  }

  /** Send one frame as is (masked, as a client must). */
  sendFrame(payload: Uint8Array, opcode: number = OPCODE_BINARY): void {
    const len = payload.byteLength;
    const header = len < 126 ? Buffer.alloc(2) : len < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    if (len < 126) header[1] = 0x80 | len;
    else if (len < 65_536) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(len, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    const mask = randomBytes(4);
    const body = Buffer.from(payload);
    for (let i = 0; i < body.length; i++) body[i]! ^= mask[i % 4]!;
    this.socket.write(Buffer.concat([header, mask, body]));
  }

  sendText(text: string): void {
    this.sendFrame(Buffer.from(text, 'utf8'), OPCODE_TEXT);
  }

  /** Send a request frame; resolves with the response or error frame carrying its id. */
  call(method: string, params: unknown, opts: { requestId?: string; timeoutMs?: number } = {}): Promise<ServerFrame> {
    const id = ++this.seq;
    const answer = this.waitFor(id, opts.timeoutMs ?? CALL_TIMEOUT_MS_DEFAULT, method);
    this.sendFrame(encodeFrame({ id, method, params, ...(opts.requestId !== undefined ? { requestId: opts.requestId } : {}) }));
    return answer;
  }

  /** Resolves at the next frame or close after now (or after `timeoutMs`, with whatever there is). */
  nextEvent(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.anyWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.anyWaiters.add(done);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private waitFor(id: number, timeoutMs: number, what: string): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`no answer to ${what} #${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(id, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
  }

  private notify(): void {
    for (const w of [...this.anyWaiters]) w();
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length < 2) return;
      const opcode = this.buf[0]! & 0x0f;
      let len = this.buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (len > INCOMING_FRAME_BYTES_MAX) throw new Error(`server frame of ${len} bytes`);
      if (this.buf.length < off + len) return;
      const payload = this.buf.subarray(off, off + len);
      this.buf = this.buf.subarray(off + len);
      if (opcode === OPCODE_CLOSE) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.socket.end();
      } else if (opcode === OPCODE_PING) {
        this.sendFrame(payload, OPCODE_PONG);
      } else if (opcode === OPCODE_BINARY) {
        const f = decodeFrame(payload, Number.POSITIVE_INFINITY) as ServerFrame;
        this.frames.push(f);
        if (f.type === 'response' || f.type === 'error') {
          const w = this.waiters.get(f.id);
          this.waiters.delete(f.id);
          w?.(f);
        }
      }
      this.notify();
    }
  }
}
