// A controller replica's own view on 127.0.0.1, for the dashboard and chaos: GET /status (leading or not,
// fencing token, counts of fenced writes and refused stale writes) and /healthz.
import { createServer, type Server } from 'node:http';

export interface ReplicaStatus {
  readonly identity: string;
  readonly controller: string;
  leading: boolean;
  fencingToken: number | null;
  fencedWrites: number;
  staleWritesRefused: number;
  leader: string;
}

export async function serveStatus(port: number, status: ReplicaStatus): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/status' || req.url === '/healthz')) {
      res.writeHead(200, { 'content-type': req.url === '/status' ? 'application/json' : 'text/plain' });
      res.end(req.url === '/status' ? JSON.stringify(status) : 'ok');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
