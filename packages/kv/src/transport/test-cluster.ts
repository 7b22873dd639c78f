// Test fixture: PeerTransports on 127.0.0.1 with ephemeral ports, each recording what it received,
// plus a condition-waiting helper (tests wait for what they expect, never sleep-and-hope).

import { Registry, type Counter } from 'prom-client';
import type { Message, NodeId } from '../raft/types.ts';
import type { PeerTransportOptions, TransportLogger } from './options.ts';
import { PeerTransport } from './peer-transport.ts';

export const CLUSTER_ID = 'test-cluster';
const WAIT_DEADLINE_MS = 20_000;

export interface LogLine {
  readonly level: 'warn' | 'info';
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
}

export interface Member {
  readonly id: NodeId;
  readonly transport: PeerTransport;
  readonly received: Message[];
  readonly registry: Registry;
  readonly logs: LogLine[];
}

export function collectingLogger(logs: LogLine[]): TransportLogger {
  return {
    warn: (message, fields) => logs.push({ level: 'warn', message, fields }),
    info: (message, fields) => logs.push({ level: 'info', message, fields }),
  };
}

export class TestNet {
  readonly members: Member[] = [];

  async add(id: NodeId, overrides: Partial<PeerTransportOptions> = {}): Promise<Member> {
    const received: Message[] = [];
    const registry = new Registry();
    const logs: LogLine[] = [];
    const transport = new PeerTransport({
      id,
      clusterId: CLUSTER_ID,
      listen: { host: '127.0.0.1', port: 0 },
      handler: (m) => received.push(m),
      registry,
      logger: collectingLogger(logs),
      random: () => 0.5,
      ...overrides,
      limits: { backoffMsMin: 10, backoffMsMax: 200, ...overrides.limits },
    });
    await transport.start();
    const member = { id, transport, received, registry, logs };
    this.members.push(member);
    return member;
  }

  /** Tell every member every other member's URL. */
  connectAll(): void {
    for (const a of this.members) for (const b of this.members) if (a !== b) a.transport.setPeer(b.id, b.transport.url);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.members.splice(0).map((m) => m.transport.close()));
  }
}

export async function waitFor(what: string, cond: () => boolean, deadlineMs = WAIT_DEADLINE_MS): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > deadlineMs) throw new Error(`timed out after ${deadlineMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Current value of a counter for the given labels (0 if never incremented). */
export async function counterValue<L extends string>(c: Counter<L>, labels: Partial<Record<L, string>>): Promise<number> {
  const { values } = await c.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

export function heartbeat(from: NodeId, to: NodeId, context: number): Message {
  return { type: 'heartbeat', from, to, term: 1, commit: 0, context };
}
