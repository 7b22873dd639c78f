// `halyard kv put | get | del | txn | compact | watch`: what each does once its line is parsed
// (kv-key-commands.ts defines the commands; this file loads only when one of them runs).
import { KvError } from '@halyard/kv-client/protocol';
import type { Command } from 'commander';
import { argBytes } from './kv-bytes.ts';
import { UsageError } from './kv-flags.ts';
import type { KvCliIo } from './kv-io.ts';
import { formatDelete, formatGet, formatPut, formatTxn, formatWatchBatch } from './kv-output.ts';
import { reportError, withClient, withInput } from './kv-run.ts';
import { parseTxn, rangeSelector } from './kv-txn-parse.ts';

const SORT_TARGETS = { KEY: 'key', CREATE: 'createRevision', MODIFY: 'modRevision', VALUE: 'value', VERSION: 'version' } as const;

export interface PutFlags {
  lease?: number;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

/** etcdctl's words for a put without a value, so scripts matching on them keep working. */
export const PUT_NEEDS_VALUE = 'put command needs 1 argument and input from stdin or 2 arguments';

export async function put(cmd: Command, io: KvCliIo, key: string, value: string | undefined, o: PutFlags): Promise<void> {
  await withInput(
    cmd,
    io,
    { kind: 'put' },
    async (flags) => {
      if (value !== undefined && o.ignoreValue === true) throw new UsageError("put command needs only 1 argument when 'ignore-value' is set");
      if (value !== undefined) return argBytes(value, flags.hex);
      if (o.ignoreValue === true) return new Uint8Array(0);
      // Exactly the bytes given, trailing newline and invalid UTF-8 included, as etcdctl stores them; an
      // empty stdin is not an empty value but a missing one (etcdctl refuses it the same way).
      const stdin = await io.readStdin();
      if (stdin.byteLength === 0) throw new UsageError(PUT_NEEDS_VALUE);
      return stdin;
    },
    async (client, flags, bytes) => {
      const result = await client.put(argBytes(key, flags.hex), bytes, { ...(o.lease !== undefined ? { lease: o.lease } : {}), prevKv: o.prevKv === true, ignoreValue: o.ignoreValue === true, ignoreLease: o.ignoreLease === true });
      io.stdout(formatPut(result, flags));
    },
  );
}

export interface GetFlags {
  prefix?: boolean;
  fromKey?: boolean;
  limit?: number;
  rev?: number;
  keysOnly?: boolean;
  countOnly?: boolean;
  printValueOnly?: boolean;
  order?: string;
  sortBy?: string;
  consistency: string;
  serializable?: boolean;
}

export async function get(cmd: Command, io: KvCliIo, key: string, rangeEnd: string | undefined, o: GetFlags): Promise<void> {
  await withInput(
    cmd,
    io,
    { kind: 'get' },
    async (flags) => {
      if (o.consistency !== 'l' && o.consistency !== 's') throw new UsageError(`--consistency must be l or s, got ${JSON.stringify(o.consistency)}`);
      if (o.printValueOnly === true && flags.writeOut !== 'simple') throw new UsageError('print-value-only is only for `--write-out=simple`');
      const order = o.order?.toUpperCase();
      if (order !== undefined && order !== 'ASCEND' && order !== 'DESCEND') throw new UsageError('--order must be ASCEND or DESCEND');
      const sortBy = o.sortBy?.toUpperCase();
      if (sortBy !== undefined && !(sortBy in SORT_TARGETS)) throw new UsageError('--sort-by must be KEY, CREATE, MODIFY, VALUE or VERSION');
      const range = rangeSelector(rangeEnd, o.prefix === true, o.fromKey === true);
      return {
        ...(range.rangeEnd !== undefined ? { rangeEnd: argBytes(range.rangeEnd, flags.hex) } : {}),
        ...(range.prefix === true ? { prefix: true } : {}),
        ...(range.fromKey === true ? { fromKey: true } : {}),
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
        ...(o.rev !== undefined ? { revision: o.rev } : {}),
        ...(order !== undefined ? { sortOrder: order === 'ASCEND' ? ('ascend' as const) : ('descend' as const) } : sortBy !== undefined ? { sortOrder: 'ascend' as const } : {}),
        ...(sortBy !== undefined ? { sortTarget: SORT_TARGETS[sortBy as keyof typeof SORT_TARGETS] } : {}),
        keysOnly: o.keysOnly === true,
        countOnly: o.countOnly === true,
        serializable: o.serializable === true || o.consistency === 's',
      };
    },
    async (client, flags, options) => {
      const result = await client.get(argBytes(key, flags.hex), options);
      io.stdout(formatGet(result, flags, { valueOnly: o.printValueOnly === true, countOnly: o.countOnly === true }));
    },
  );
}

export interface DelFlags {
  prefix?: boolean;
  fromKey?: boolean;
  prevKv?: boolean;
}

export async function del(cmd: Command, io: KvCliIo, key: string, rangeEnd: string | undefined, o: DelFlags): Promise<void> {
  await withInput(
    cmd,
    io,
    { kind: 'del' },
    async (flags) => {
      const range = rangeSelector(rangeEnd, o.prefix === true, o.fromKey === true);
      return { ...range, ...(range.rangeEnd !== undefined ? { rangeEnd: argBytes(range.rangeEnd, flags.hex) } : {}) };
    },
    async (client, flags, range) => {
      const result = await client.delete(argBytes(key, flags.hex), { ...range, prevKv: o.prevKv === true });
      io.stdout(formatDelete(result, flags));
    },
  );
}

export async function txn(cmd: Command, io: KvCliIo, o: { file?: string }): Promise<void> {
  await withInput(
    cmd,
    io,
    { kind: 'txn' },
    async () => parseTxn(o.file !== undefined ? await io.readFile(o.file) : Buffer.from(await io.readStdin()).toString('utf8')),
    async (client, flags, input) => {
      const result = await client.txn(input);
      io.stdout(formatTxn(result, flags));
    },
  );
}

export async function compact(cmd: Command, io: KvCliIo, rev: number): Promise<void> {
  await withClient(cmd, io, { kind: 'compact' }, async (client) => {
    await client.compact(rev);
    // etcdctl prints this line whatever -w says.
    io.stdout(`compacted revision ${rev}\n`);
  });
}

export interface WatchFlags {
  prefix?: boolean;
  fromKey?: boolean;
  rev?: number;
  prevKv?: boolean;
  progressNotify?: boolean;
}

export async function watch(cmd: Command, io: KvCliIo, key: string, rangeEnd: string | undefined, o: WatchFlags): Promise<void> {
  await withClient(cmd, io, { kind: 'watch' }, async (client, flags) => {
    const range = rangeSelector(rangeEnd, o.prefix === true, o.fromKey === true);
    const interrupted = io.interrupted();
    const watcher = client.watch(argBytes(key, flags.hex), {
      ...range,
      ...(range.rangeEnd !== undefined ? { rangeEnd: argBytes(range.rangeEnd, flags.hex) } : {}),
      ...(o.rev !== undefined ? { startRevision: o.rev } : {}),
      prevKv: o.prevKv === true,
      progressNotify: o.progressNotify === true,
    });
    const onInterrupt = (): void => void watcher.cancel();
    interrupted.addEventListener('abort', onInterrupt, { once: true });
    try {
      for await (const batch of watcher) {
        if (batch.progress && flags.writeOut !== 'json') continue;
        io.stdout(formatWatchBatch(batch, flags));
      }
    } catch (err) {
      if (err instanceof KvError) reportError(io, err);
      else throw err;
    } finally {
      interrupted.removeEventListener('abort', onInterrupt);
    }
  });
}
