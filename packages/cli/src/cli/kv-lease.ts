// `halyard kv lease grant | revoke | keep-alive | timetolive | list`, printing as etcdctl does
// (definitions in kv-lease-commands.ts).
import type { Header, LeaseTimeToLiveResult } from '@halyard/kv-client';
import { KvError } from '@halyard/kv-client/protocol';
import type { Command } from 'commander';
import { FieldsPrinter } from './kv-fields.ts';
import { idHex, type OutputFormat } from './kv-flags.ts';
import type { KvCliIo } from './kv-io.ts';
import { goJson, leaseGrantJson, leaseKeepAliveJson, leaseListJson, leaseTimeToLiveJson, headerJson } from './kv-json.ts';
import { withClient } from './kv-run.ts';
import { formatTable } from './table.ts';

function fields(hex: boolean, fill: (f: FieldsPrinter) => void): string {
  const f = new FieldsPrinter(hex);
  fill(f);
  return f.text();
}

export async function grant(cmd: Command, io: KvCliIo, ttl: number, o: { id?: number }): Promise<void> {
  await withClient(cmd, io, { kind: 'leaseGrant' }, async (client, flags) => {
    const r = await client.leaseGrant(ttl, o.id);
    if (flags.writeOut === 'json') io.stdout(goJson(leaseGrantJson(r)));
    else if (flags.writeOut === 'fields') io.stdout(fields(flags.hex, (f) => f.leaseGrant(r)));
    else io.stdout(`lease ${idHex(r.id)} granted with TTL(${r.ttlSeconds}s)\n`);
  });
}

export async function revoke(cmd: Command, io: KvCliIo, id: number): Promise<void> {
  await withClient(cmd, io, { kind: 'leaseRevoke' }, async (client, flags) => {
    const r = await client.leaseRevoke(id);
    if (flags.writeOut === 'json') io.stdout(goJson({ header: headerJson(r.header) }));
    else if (flags.writeOut === 'fields') io.stdout(fields(flags.hex, (f) => f.leaseRevoke(r)));
    else io.stdout(`lease ${idHex(id)} revoked\n`);
  });
}

export async function keepAlive(cmd: Command, io: KvCliIo, id: number, o: { once?: boolean }): Promise<void> {
  await withClient(cmd, io, { kind: 'leaseKeepAlive' }, async (client, flags) => {
    const print = (r: { header: Header; id: number; ttlSeconds: number }): void => {
      if (flags.writeOut === 'json') io.stdout(goJson(leaseKeepAliveJson(r)));
      else if (flags.writeOut === 'fields') io.stdout(fields(flags.hex, (f) => f.leaseKeepAlive(r)));
      else io.stdout(`lease ${idHex(id)} keepalived with TTL(${r.ttlSeconds})\n`);
    };
    if (o.once === true) {
      print(await client.leaseKeepAliveOnce(id));
      return;
    }
    const keeper = client.leaseKeepAlive(id, { onRenewed: print });
    const interrupted = io.interrupted();
    const stop = (): void => keeper.stop();
    interrupted.addEventListener('abort', stop, { once: true });
    try {
      await keeper.done;
    } catch (err) {
      if (err instanceof KvError && err.code === 'LeaseNotFound') throw new KvError('LeaseNotFound', `lease ${idHex(id)} expired or revoked`);
      throw err;
    } finally {
      interrupted.removeEventListener('abort', stop);
    }
  });
}

type TimeToLive = Pick<LeaseTimeToLiveResult, 'id' | 'ttlSeconds' | 'grantedTtlSeconds' | 'keys'> & { header: Partial<Header> };

function formatTimeToLive(r: TimeToLive, format: OutputFormat, hex: boolean, keys: boolean): string {
  if (format === 'json') return goJson(leaseTimeToLiveJson(r));
  if (format === 'fields') return fields(hex, (f) => f.leaseTimeToLive(r));
  // etcdctl's test for a lease that is gone: granted 0, remaining −1.
  if (r.grantedTtlSeconds === 0 && r.ttlSeconds === -1) return `lease ${idHex(r.id)} already expired\n`;
  const attached = keys ? `, attached keys([${r.keys.map((k) => Buffer.from(k).toString('utf8')).join(' ')}])` : '';
  return `lease ${idHex(r.id)} granted with TTL(${r.grantedTtlSeconds}s), remaining(${r.ttlSeconds}s)${attached}\n`;
}

export async function timeToLive(cmd: Command, io: KvCliIo, id: number, o: { keys?: boolean }): Promise<void> {
  await withClient(cmd, io, { kind: 'leaseTimeToLive' }, async (client, flags) => {
    let r: TimeToLive;
    try {
      r = await client.leaseTimeToLive(id, { keys: o.keys === true });
    } catch (err) {
      if (!(err instanceof KvError && err.code === 'LeaseNotFound')) throw err;
      // etcd answers an unknown lease with TTL −1 rather than an error; a status call supplies the header.
      const header = flags.writeOut === 'simple' ? {} : (await client.status()).header;
      r = { header, id, ttlSeconds: -1, grantedTtlSeconds: 0, keys: [] };
    }
    io.stdout(formatTimeToLive(r, flags.writeOut, flags.hex, o.keys === true));
  });
}

export async function list(cmd: Command, io: KvCliIo): Promise<void> {
  await withClient(cmd, io, { kind: 'leaseList' }, async (client, flags) => {
    const r = await client.leases();
    if (flags.writeOut === 'json') io.stdout(goJson(leaseListJson(r)));
    else if (flags.writeOut === 'fields') io.stdout(fields(flags.hex, (f) => f.leaseList(r)));
    else if (flags.writeOut === 'table') io.stdout(formatTable(['id'], r.leases.map((l) => [idHex(l.id)])));
    else io.stdout(`found ${r.leases.length} leases\n` + r.leases.map((l) => `${idHex(l.id)}\n`).join(''));
  });
}
