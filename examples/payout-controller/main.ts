// The payout controller as a service: one replica of several. Embeds the election SDK the way a
// controller-manager does (`--leader-elect`), with a health endpoint backed by elector.check(). Run a few:
//   HALYARD_ENDPOINTS=http://127.0.0.1:2379 PORT=8081 npx tsx examples/payout-controller/main.ts
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { KvClient, KvLeaseLock, LeaderElector } from '../../packages/election/src/index.ts';
import { runController } from './controller.ts';

const endpoints = (process.env['HALYARD_ENDPOINTS'] ?? 'http://127.0.0.1:2379').split(',');
const identity = process.env['IDENTITY'] ?? `${hostname()}-${process.pid}`;
const port = Number(process.env['PORT'] ?? '8081');

const kv = new KvClient({ endpoints });
const lock = new KvLeaseLock({ kv, name: 'payout-controller' });
const elector = new LeaderElector({
  lock,
  identity,
  // Kubernetes' defaults: lease 15 s, renew deadline 10 s, retry period 2 s.
  releaseOnCancel: true,
  reCampaign: true,
  logger: { info: (m) => console.log(m), warn: (m) => console.warn(m) },
  callbacks: {
    onStartedLeading: (signal, lease) => runController({ kv, lock, identity, onPaid: (id) => console.log(`paid ${id} (token ${lease.fencingToken})`) }, signal, lease),
    onStoppedLeading: () => console.log(`${identity}: standing by`),
    onNewLeader: (leader) => console.log(`leader is now ${leader}`),
  },
});

// /healthz fails when this replica believes it leads but has not renewed for leaseDuration + 20 s
// (a wedged leader that should have stepped down; the value client-go's controller-manager uses).
const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    const c = elector.check(20_000);
    res.writeHead(c.ok ? 200 : 500).end(c.ok ? 'ok' : c.reason);
  } else res.writeHead(404).end();
}).listen(port, '127.0.0.1');

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
await elector.run(stop.signal); // returns after the work stopped and the lease was released
server.close();
await kv.close();
