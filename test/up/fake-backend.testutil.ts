// A stand-in apiserver for load balancer tests: answers /readyz with 200 or 503 as the test sets it, and
// any other path with its own name, so a test can see where a request went.
import { createServer, type Server } from 'node:http';

export class FakeBackend {
  ready = true;
  private server: Server | undefined;
  port = 0;

  constructor(readonly name: string) {}

  async listen(): Promise<number> {
    const server = createServer((req, res) => {
      if (req.url === '/readyz') {
        res.writeHead(this.ready ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(this.ready ? 'ok' : 'not ready');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
      res.end(this.name);
    });
    this.server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    this.port = typeof a === 'object' && a !== null ? a.port : 0;
    return this.port;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

/** GET path through host:port with a fresh connection; the body, or undefined when the request failed. */
export async function getVia(port: number, path = '/who'): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3_000), headers: { connection: 'close' } });
    return await res.text();
  } catch {
    return undefined;
  }
}

/** Polls `check` until it holds or `timeoutMs` passes; throws with `what` on timeout. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000, pollMs = 200): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
