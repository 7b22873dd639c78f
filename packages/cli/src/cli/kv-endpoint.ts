// `halyard kv endpoint status | health`: per-member status (like etcdctl's table) and the /health probe.
import type { Command } from 'commander';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { type ClientTls, type KvClient, httpUrlOf, normalizeEndpoint } from '@halyard/kv-client';
import type { StatusResult } from '@halyard/kv-client/protocol';
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
        const results = await Promise.all((await targets(client, flags, o.cluster === true)).map((ep) => probe(ep, flags.commandTimeoutMs, flags.tls)));
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

async function probe(endpoint: string, timeoutMs: number, tls: ClientTls | undefined): Promise<Health> {
  const started = performance.now();
  const took = (): string => `${(performance.now() - started).toFixed(3)}ms`;
  try {
    const { status, body } = await getJson(httpUrlOf(normalizeEndpoint(endpoint), '/health'), timeoutMs, tls);
    const health = typeof body === 'object' && body !== null ? (body as { health?: unknown }).health : undefined;
    if (status === 200 && health === 'true') return { endpoint, health: true, took: took() };
    return { endpoint, health: false, took: took(), error: `GET /health answered ${status} ${JSON.stringify(body)}` };
  } catch (err) {
    return { endpoint, health: false, took: took(), error: err instanceof Error ? err.message : String(err) };
  }
}

/** GET a small JSON document over http or https (with the client's CA and certificate). */
function getJson(url: string, timeoutMs: number, tls: ClientTls | undefined): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const pem = (v: Uint8Array | string): Buffer => Buffer.from(v);
    const options = {
      timeout: timeoutMs,
      ...(tls?.ca !== undefined ? { ca: pem(tls.ca) } : {}),
      ...(tls?.cert !== undefined ? { cert: pem(tls.cert) } : {}),
      ...(tls?.key !== undefined ? { key: pem(tls.key) } : {}),
    };
    const req = (url.startsWith('https:') ? httpsGet : httpGet)(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > 64 * 1024) req.destroy(new Error('GET /health: answer too large'));
      });
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: reported as text */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET /health: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
