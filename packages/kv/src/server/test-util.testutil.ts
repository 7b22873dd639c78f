// Helpers for tests that run real servers on loopback.
import { type Server, createServer } from 'node:net';

/**
 * Ports below Linux's ephemeral range (32768+), where outgoing connections never take them, so a port
 * found free here stays free until the test binds it (ports from the OS's port 0 do not: any outgoing
 * connection may grab one between the probe and the bind).
 */
const PORT_RANGE_MIN = 12_000;
const PORT_RANGE_MAX = 32_000;
/** Candidates tried before giving up (most are free on a test machine). */
const PORT_ATTEMPTS_MAX = 1_000;

function tryListen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** `n` distinct free ports on 127.0.0.1, chosen at random below the ephemeral range. */
export async function freePorts(n: number): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < n; attempt++) {
      if (attempt >= PORT_ATTEMPTS_MAX) throw new Error(`no ${n} free ports found in ${PORT_RANGE_MIN}..${PORT_RANGE_MAX}`);
      const port = PORT_RANGE_MIN + Math.floor(Math.random() * (PORT_RANGE_MAX - PORT_RANGE_MIN));
      if (ports.includes(port)) continue;
      const s = await tryListen(port);
      if (s === undefined) continue;
      held.push(s);
      ports.push(port);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
  return ports;
}

/** Poll `cond` until it holds; fail with `what` after `timeoutMs`. Never sleep-and-hope. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
