// `halyard kv endpoint status | health | hashkv`: per-member status (etcdctl's rows and table), the
// /health probe, and each member's hash of its key-value state (definitions in kv-endpoint-commands.ts).
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { type HashKvResult, type KvClient, httpUrlOf, normalizeEndpoint } from '@halyard/kv-client';
import type { StatusResult } from '@halyard/kv-client/protocol';
import type { Command } from 'commander';
import { FieldsPrinter } from './kv-fields.ts';
import { EXIT_ERROR, type GlobalFlags, idHex, type TlsPem } from './kv-flags.ts';
import type { KvCliIo } from './kv-io.ts';
import { goJson, hashKvJson, statusJson } from './kv-json.ts';
import { errorText, withClient } from './kv-run.ts';
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
    idHex(s.header.memberId),
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
export async function targets(client: KvClient, flags: GlobalFlags, cluster: boolean): Promise<string[]> {
  if (!cluster) return [...flags.endpoints];
  const { members } = await client.memberList();
  return [...new Set(members.flatMap((m) => m.clientUrls))];
}

function fields(hex: boolean, fill: (f: FieldsPrinter) => void): string {
  const f = new FieldsPrinter(hex);
  fill(f);
  return f.text();
}

export async function status(cmd: Command, io: KvCliIo, o: { cluster?: boolean }): Promise<void> {
  await withClient(cmd, io, { kind: 'endpointStatus', connect: o.cluster === true }, async (client, flags) => {
    const rows: EndpointStatus[] = [];
    let failed = false;
    for (const ep of await targets(client, flags, o.cluster === true)) {
      try {
        rows.push({ endpoint: ep, status: await client.status(ep) });
      } catch (err) {
        failed = true;
        io.stderr(`Failed to get the status of endpoint ${ep} (${errorText(err)})\n`);
      }
    }
    if (flags.writeOut === 'json') io.stdout(goJson(rows.map((r) => ({ Endpoint: r.endpoint, Status: statusJson(r.status) }))));
    else if (flags.writeOut === 'fields') io.stdout(fields(flags.hex, (f) => f.endpointStatus(rows)));
    else io.stdout(formatStatus(rows, flags.writeOut));
    if (failed) io.setExitCode(EXIT_ERROR);
  });
}

export async function hashKv(cmd: Command, io: KvCliIo, o: { cluster?: boolean; rev?: number }): Promise<void> {
  await withClient(cmd, io, { kind: 'endpointHashKv', connect: o.cluster === true }, async (client, flags) => {
    const rows: { endpoint: string; result: HashKvResult }[] = [];
    let failed = false;
    for (const ep of await targets(client, flags, o.cluster === true)) {
      try {
        rows.push({ endpoint: ep, result: await client.hashKv(ep, o.rev ?? 0) });
      } catch (err) {
        failed = true;
        io.stderr(`Failed to get the hash of endpoint ${ep} (${errorText(err)})\n`);
      }
    }
    // Simple and table as etcdctl 3.5 (endpoint, hash); json and fields also give the revision hashed, as 3.6 does.
    const cells = rows.map((r) => [r.endpoint, String(r.result.hash)]);
    if (flags.writeOut === 'json') io.stdout(goJson(rows.map((r) => ({ Endpoint: r.endpoint, HashKV: hashKvJson(r.result) }))));
    else if (flags.writeOut === 'fields') io.stdout(fields(flags.hex, (f) => f.endpointHashKv(rows.map((r) => ({ endpoint: r.endpoint, ...r.result })))));
    else if (flags.writeOut === 'table') io.stdout(formatTable(['endpoint', 'hash'], cells));
    else io.stdout(cells.map((c) => c.join(', ') + '\n').join(''));
    if (failed) io.setExitCode(EXIT_ERROR);
  });
}

export async function health(cmd: Command, io: KvCliIo, o: { cluster?: boolean }): Promise<void> {
  await withClient(cmd, io, { kind: 'endpointHealth', connect: o.cluster === true }, async (client, flags) => {
    const results = await Promise.all((await targets(client, flags, o.cluster === true)).map((ep) => probe(ep, flags.commandTimeoutMs, flags.tls)));
    if (flags.writeOut === 'json') io.stdout(goJson(results.map((r) => ({ endpoint: r.endpoint, health: r.health, took: r.took, ...(r.error !== undefined ? { error: r.error } : {}) }))));
    else if (flags.writeOut === 'fields') io.stdout(fields(flags.hex, (f) => f.endpointHealth(results)));
    else if (flags.writeOut === 'table') io.stdout(formatTable(['endpoint', 'health', 'took', 'error'], results.map((r) => [r.endpoint, String(r.health), r.took, r.error ?? ''])));
    else for (const r of results) io.stdout(r.health ? `${r.endpoint} is healthy: took = ${r.took}\n` : `${r.endpoint} is unhealthy: ${r.error ?? 'unknown'}\n`);
    if (results.some((r) => !r.health)) {
      io.stderr('Error: unhealthy cluster\n');
      io.setExitCode(EXIT_ERROR);
    }
  });
}

interface Health {
  readonly endpoint: string;
  readonly health: boolean;
  readonly took: string;
  readonly error?: string;
}

async function probe(endpoint: string, timeoutMs: number, tls: TlsPem | undefined): Promise<Health> {
  const started = performance.now();
  const took = (): string => `${(performance.now() - started).toFixed(3)}ms`;
  try {
    const { status: code, body } = await getJson(httpUrlOf(normalizeEndpoint(endpoint), '/health'), timeoutMs, tls);
    const healthy = typeof body === 'object' && body !== null ? (body as { health?: unknown }).health : undefined;
    if (code === 200 && healthy === 'true') return { endpoint, health: true, took: took() };
    return { endpoint, health: false, took: took(), error: `GET /health answered ${code} ${JSON.stringify(body)}` };
  } catch (err) {
    return { endpoint, health: false, took: took(), error: err instanceof Error ? err.message : String(err) };
  }
}

/** GET a small JSON document over http or https (with the client's CA and certificate). */
function getJson(url: string, timeoutMs: number, tls: TlsPem | undefined): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const options = {
      timeout: timeoutMs,
      ...(tls?.ca !== undefined ? { ca: Buffer.from(tls.ca) } : {}),
      ...(tls?.cert !== undefined ? { cert: Buffer.from(tls.cert) } : {}),
      ...(tls?.key !== undefined ? { key: Buffer.from(tls.key) } : {}),
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
