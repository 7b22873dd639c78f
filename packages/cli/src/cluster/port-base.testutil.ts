// Tests that run `halyard kv cluster up` as a real process choose its `--client-port-base` here: the one
// place that knows which six ports such a cluster takes (client and peer ports of three members, 10,000 apart).
import { createServer } from 'node:net';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A client port base whose six ports (client and peer of three members, 10,000 apart) are free on 127.0.0.1. */
export async function freeClusterPortBase(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 12_000 + 2 * Math.floor(Math.random() * 1_500);
    const ports = [0, 1, 10_000, 10_001, 20_000, 20_001].map((d) => base + d);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free port base');
}
