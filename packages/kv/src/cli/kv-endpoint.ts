// `halyard kv endpoint status | health`: per-member status (like etcdctl's table) and the /health probe.
import type { Command } from 'commander';
import type { KvClient } from '../client/kv-client.ts';
import { httpUrlOf, normalizeEndpoint } from '../client/endpoints.ts';
import type { StatusResult } from '../protocol/messages.ts';
import { EXIT_ERROR, withClient, type GlobalFlags } from './kv-flags.ts';
import type { KvCliIo } from './kv-io.ts';
import { memberHex, toJson } from './kv-output.ts';
import { formatTable } from './table.ts';

/** go-humanize's Bytes, which etcdctl uses for DB SIZE: SI units, one decimal below 10. */
export function humanBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  const e = Math.min(units.length - 1, Math.floor(Math.log(bytes) / Math.log(1000)));
  const value = Math.floor((bytes / 1000 ** e) * 10 + 0.5) / 10;
  return `${value < 10 ? value.toFixed(1) : String(roundHalfEven(value))} ${units[e]}`;
}

/** Go's %.0f rounds halves to even (20.5 → 20); JS toFixed rounds them up. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

export interface EndpointStatus {
  readonly endpoint: string;
  readonly status: StatusResult;
}

export function formatStatus(rows: readonly EndpointStatus[], format: 'simple' | 'table'): string {
  const cells = rows.map(({ endpoint, status: s }) => [
    endpoint,
    memberHex(s.header.memberId),
    s.version,
    humanBytes(s.dbSizeBytes),
    String(s.leader !== 0 && s.leader === s.header.memberId),
    String(s.isLearner),
    String(s.raftTerm),
    String(s.raftIndex),
    String(s.raftAppliedIndex),
    s.errors.join(', '),
  ]);
  if (format === 'table') return formatTable(['endpoint', 'id', 'version', 'db size', 'is leader', 'is learner', 'raft term', 'raft index', 'raft applied index', 'errors'], cells);
  return cells.map((c) => c.join(', ') + '\n').join('');
}

/** The endpoints to ask: the flag's, or with --cluster every member's client URLs from the member list. */
async function targets(client: KvClient, flags: GlobalFlags, cluster: boolean): Promise<string[]> {
  if (!cluster) return [...flags.endpoints];
  const { members } = await client.memberList();
  return [...new Set(members.flatMap((m) => m.clientUrls))];
}

export function registerEndpointCommands(kv: Command, io: KvCliIo): void {
  const endpoint = kv.command('endpoint').description('status and health of each endpoint');

  endpoint
    .command('status')
    .description('member id, version, db size, leadership and raft progress of each endpoint')
    .option('--cluster', 'every member in the member list instead of --endpoints')
    .action(async (o: { cluster?: boolean }, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const rows: EndpointStatus[] = [];
        let failed = false;
        for (const ep of await targets(client, flags, o.cluster === true)) {
          try {
            rows.push({ endpoint: ep, status: await client.status(ep) });
          } catch (err) {
            failed = true;
            io.stderr(`Failed to get the status of endpoint ${ep} (${err instanceof Error ? err.message : String(err)})\n`);
          }
        }
        io.stdout(flags.writeOut === 'json' ? toJson(rows.map((r) => ({ Endpoint: r.endpoint, Status: r.status }))) : formatStatus(rows, flags.writeOut));
        if (failed) io.setExitCode(EXIT_ERROR);
      }),
    );

  endpoint
    .command('health')
    .description("probe each endpoint's /health (healthy = the member has a leader)")
    .option('--cluster', 'every member in the member list instead of --endpoints')
    .action(async (o: { cluster?: boolean }, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const results = await Promise.all((await targets(client, flags, o.cluster === true)).map((ep) => probe(ep, flags.commandTimeoutMs)));
        if (flags.writeOut === 'json') io.stdout(toJson(results));
        else if (flags.writeOut === 'table') io.stdout(formatTable(['endpoint', 'health', 'took', 'error'], results.map((r) => [r.endpoint, String(r.health), r.took, r.error ?? ''])));
        else for (const r of results) io.stdout(r.health ? `${r.endpoint} is healthy: took = ${r.took}\n` : `${r.endpoint} is unhealthy: ${r.error ?? 'unknown'}\n`);
        if (results.some((r) => !r.health)) {
          io.stderr('Error: unhealthy cluster\n');
          io.setExitCode(EXIT_ERROR);
        }
      }),
    );
}

interface Health {
  readonly endpoint: string;
  readonly health: boolean;
  readonly took: string;
  readonly error?: string;
}

async function probe(endpoint: string, timeoutMs: number): Promise<Health> {
  const started = performance.now();
  const took = (): string => `${(performance.now() - started).toFixed(3)}ms`;
  try {
    const res = await fetch(httpUrlOf(normalizeEndpoint(endpoint), '/health'), { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => ({}))) as { health?: unknown };
    if (res.status === 200 && body.health === 'true') return { endpoint, health: true, took: took() };
    return { endpoint, health: false, took: took(), error: `GET /health answered ${res.status} ${JSON.stringify(body)}` };
  } catch (err) {
    return { endpoint, health: false, took: took(), error: err instanceof Error ? err.message : String(err) };
  }
}
