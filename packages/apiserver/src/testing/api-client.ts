// A small HTTP client for tests: JSON requests against an apiserver, and a watch reader that collects the
// newline-delimited events of a watch stream. Test-only (the production clients are kubectl and client-go).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { JsonObject } from '../api/json.ts';

export interface ApiResponse {
  readonly status: number;
  readonly body: JsonObject;
  readonly headers: IncomingMessage['headers'];
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly rawBody?: Buffer | string;
  readonly contentType?: string;
  readonly accept?: string;
  readonly token?: string;
  readonly timeoutMs?: number;
}

/** One request; the body is parsed as JSON when it is JSON, else returned as `{ text }`. */
export function apiRequest(baseUrl: string, method: string, path: string, o: RequestOptions = {}): Promise<ApiResponse> {
  const url = new URL(path, baseUrl);
  const payload = o.rawBody !== undefined ? Buffer.from(o.rawBody) : o.body !== undefined ? Buffer.from(JSON.stringify(o.body)) : undefined;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        headers: {
          ...(payload !== undefined ? { 'Content-Type': o.contentType ?? 'application/json', 'Content-Length': payload.length } : {}),
          ...(o.accept !== undefined ? { Accept: o.accept } : {}),
          ...(o.token !== undefined ? { Authorization: `Bearer ${o.token}` } : {}),
        },
        timeout: o.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: JsonObject;
          try {
            body = JSON.parse(text) as JsonObject;
          } catch {
            body = { text };
          }
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface WatchEventJson {
  readonly type: string;
  readonly object: JsonObject;
}

/** An open watch: events arrive in `events`; `waitFor` polls them against a deadline. */
export class WatchReader {
  readonly events: WatchEventJson[] = [];
  status = 0;
  ended = false;
  private res: IncomingMessage | undefined;
  private readonly req;
  readonly opened: Promise<void>;

  constructor(baseUrl: string, path: string, token?: string) {
    let opened!: () => void;
    let failed!: (e: Error) => void;
    this.opened = new Promise((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    this.req = httpRequest(new URL(path, baseUrl), { method: 'GET', headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } }, (res) => {
      this.res = res;
      this.status = res.statusCode ?? 0;
      opened();
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim() !== '') this.events.push(JSON.parse(line) as WatchEventJson);
        }
      });
      res.on('end', () => (this.ended = true));
      res.on('error', () => (this.ended = true));
    });
    this.req.on('error', (e) => {
      this.ended = true;
      failed(e);
    });
    this.req.end();
  }

  /** Waits until `cond(events)` holds; fails naming `what` after `timeoutMs`. */
  async waitFor(what: string, cond: (events: readonly WatchEventJson[]) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond(this.events)) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.events.length} events (ended: ${this.ended})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): void {
    this.req.destroy();
    this.res?.destroy();
  }
}
