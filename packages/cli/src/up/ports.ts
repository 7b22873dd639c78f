// Loopback ports for a new cluster (the kernel picks them: listen on port 0) and a check, on resume, that
// the ports written in the state file are still free.
import { createServer, type Server } from 'node:net';
import { UpError } from './errors.ts';

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

function close(s: Server): Promise<void> {
  return new Promise((r) => s.close(() => r()));
}

/** `n` distinct free loopback ports; every probe listener is held until all are found so none repeats. */
export async function pickFreePorts(n: number): Promise<number[]> {
  const held: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = await listen(0);
      if (s === undefined) throw new UpError('PortInUse', 'the kernel gave no free loopback port');
      held.push(s);
    }
    return held.map((s) => {
      const a = s.address();
      if (a === null || typeof a === 'string') throw new UpError('PortInUse', 'a probe listener has no port');
      return a.port;
    });
  } finally {
    await Promise.all(held.map(close));
  }
}

/** Throws UpError('PortInUse') naming every port of `ports` that another process holds. */
export async function assertPortsFree(ports: ReadonlyMap<string, number>): Promise<void> {
  const taken: string[] = [];
  for (const [what, port] of ports) {
    const s = await listen(port);
    if (s === undefined) taken.push(`${what} (${port})`);
    else await close(s);
  }
  if (taken.length > 0) throw new UpError('PortInUse', `ports in use: ${taken.join(', ')} — is another \`halyard up\` running on this folder?`);
}
