// `halyard kv put | get | del | txn | compact | watch`: the key-value commands, as etcdctl's.
import type { Command } from 'commander';
import { KvError } from '@halyard/kv-client/protocol';
import { intArg, hexIdArg, withClient, UsageError, reportError } from './kv-flags.ts';
import type { KvCliIo } from './kv-io.ts';
import { formatDelete, formatGet, formatPut, formatTxn, formatWatchBatch } from './kv-output.ts';
import { parseTxn, rangeSelector } from './kv-txn-parse.ts';

const SORT_TARGETS = { KEY: 'key', CREATE: 'createRevision', MODIFY: 'modRevision', VALUE: 'value', VERSION: 'version' } as const;

export function registerKeyCommands(kv: Command, io: KvCliIo): void {
  kv.command('put')
    .description('put KEY VALUE (VALUE from stdin when omitted)')
    .argument('<key>')
    .argument('[value]')
    .option('--lease <id>', 'attach to this lease (hex id)', hexIdArg('--lease'))
    .option('--prev-kv', 'print the previous key-value')
    .option('--ignore-value', 'keep the current value')
    .option('--ignore-lease', 'keep the current lease')
    .action(async (key: string, value: string | undefined, o: { lease?: number; prevKv?: boolean; ignoreValue?: boolean; ignoreLease?: boolean }, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        if (value !== undefined && o.ignoreValue === true) throw new UsageError('VALUE and --ignore-value exclude each other');
        const v = value ?? (o.ignoreValue === true ? '' : stripFinalNewline(await io.readStdin()));
        const result = await client.put(key, v, { ...(o.lease !== undefined ? { lease: o.lease } : {}), prevKv: o.prevKv === true, ignoreValue: o.ignoreValue === true, ignoreLease: o.ignoreLease === true });
        io.stdout(formatPut(result, flags.writeOut));
      }),
    );

  kv.command('get')
    .description('get KEY, or the range [KEY, RANGE_END)')
    .argument('<key>')
    .argument('[range_end]')
    .option('--prefix', 'every key with the prefix KEY')
    .option('--from-key', 'every key ≥ KEY')
    .option('--limit <n>', 'at most n keys', intArg('--limit', 0))
    .option('--rev <n>', 'read at this revision', intArg('--rev', 0))
    .option('--keys-only', 'keys without values')
    .option('--count-only', 'only the number of keys')
    .option('--print-value-only', 'values without keys (simple output)')
    .option('--order <order>', 'ASCEND or DESCEND')
    .option('--sort-by <target>', 'KEY, CREATE, MODIFY, VALUE or VERSION')
    .option('--consistency <l|s>', 'l = linearizable (default), s = serializable', 'l')
    .option('--serializable', 'same as --consistency s')
    .action(
      async (
        key: string,
        rangeEnd: string | undefined,
        o: { prefix?: boolean; fromKey?: boolean; limit?: number; rev?: number; keysOnly?: boolean; countOnly?: boolean; printValueOnly?: boolean; order?: string; sortBy?: string; consistency: string; serializable?: boolean },
        cmd: Command,
      ) =>
        withClient(cmd, io, async (client, flags) => {
          if (o.consistency !== 'l' && o.consistency !== 's') throw new UsageError(`--consistency must be l or s, got ${JSON.stringify(o.consistency)}`);
          const order = o.order?.toUpperCase();
          if (order !== undefined && order !== 'ASCEND' && order !== 'DESCEND') throw new UsageError('--order must be ASCEND or DESCEND');
          const sortBy = o.sortBy?.toUpperCase();
          if (sortBy !== undefined && !(sortBy in SORT_TARGETS)) throw new UsageError('--sort-by must be KEY, CREATE, MODIFY, VALUE or VERSION');
          const result = await client.get(key, {
            ...rangeSelector(rangeEnd, o.prefix === true, o.fromKey === true),
            ...(o.limit !== undefined ? { limit: o.limit } : {}),
            ...(o.rev !== undefined ? { revision: o.rev } : {}),
            ...(order !== undefined ? { sortOrder: order === 'ASCEND' ? 'ascend' : 'descend' } : sortBy !== undefined ? { sortOrder: 'ascend' } : {}),
            ...(sortBy !== undefined ? { sortTarget: SORT_TARGETS[sortBy as keyof typeof SORT_TARGETS] } : {}),
            keysOnly: o.keysOnly === true,
            countOnly: o.countOnly === true,
            serializable: o.serializable === true || o.consistency === 's',
          });
          io.stdout(formatGet(result, flags.writeOut, { valueOnly: o.printValueOnly === true, countOnly: o.countOnly === true }));
        }),
    );

  kv.command('del')
    .alias('delete')
    .description('delete KEY, or the range [KEY, RANGE_END); prints the number deleted')
    .argument('<key>')
    .argument('[range_end]')
    .option('--prefix', 'every key with the prefix KEY')
    .option('--from-key', 'every key ≥ KEY')
    .option('--prev-kv', 'print the deleted key-values')
    .action(async (key: string, rangeEnd: string | undefined, o: { prefix?: boolean; fromKey?: boolean; prevKv?: boolean }, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const result = await client.delete(key, { ...rangeSelector(rangeEnd, o.prefix === true, o.fromKey === true), prevKv: o.prevKv === true });
        io.stdout(formatDelete(result, flags.writeOut));
      }),
    );

  kv.command('txn')
    .description("run a transaction read in etcdctl's txn format (compares, blank line, success ops, blank line, failure ops) from stdin or --file")
    .option('--file <path>', 'read the transaction from this file instead of stdin')
    .action(async (o: { file?: string }, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const text = o.file !== undefined ? await io.readFile(o.file) : await io.readStdin();
        const result = await client.txn(parseTxn(text));
        io.stdout(formatTxn(result, flags.writeOut));
      }),
    );

  kv.command('compact')
    .description('discard history below REV')
    .argument('<rev>', 'revision', intArg('REV', 1))
    .action(async (rev: number, _o: unknown, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const result = await client.compact(rev);
        io.stdout(flags.writeOut === 'json' ? JSON.stringify(result) + '\n' : `compacted revision ${rev}\n`);
      }),
    );

  kv.command('watch')
    .description('print changes to KEY (or a range) until Ctrl-C')
    .argument('<key>')
    .argument('[range_end]')
    .option('--prefix', 'every key with the prefix KEY')
    .option('--from-key', 'every key ≥ KEY')
    .option('--rev <n>', 'start at this revision (default: from now)', intArg('--rev', 1))
    .option('--prev-kv', 'print the previous key-value of each event')
    .option('--progress-notify', 'ask for periodic progress notifications (printed in json output)')
    .action(async (key: string, rangeEnd: string | undefined, o: { prefix?: boolean; fromKey?: boolean; rev?: number; prevKv?: boolean; progressNotify?: boolean }, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const interrupted = io.interrupted();
        const watcher = client.watch(key, {
          ...rangeSelector(rangeEnd, o.prefix === true, o.fromKey === true),
          ...(o.rev !== undefined ? { startRevision: o.rev } : {}),
          prevKv: o.prevKv === true,
          progressNotify: o.progressNotify === true,
        });
        const onInterrupt = (): void => void watcher.cancel();
        interrupted.addEventListener('abort', onInterrupt, { once: true });
        try {
          for await (const batch of watcher) {
            if (batch.progress && flags.writeOut !== 'json') continue;
            io.stdout(formatWatchBatch(batch, flags.writeOut));
          }
        } catch (err) {
          if (err instanceof KvError) reportError(io, err);
          else throw err;
        } finally {
          interrupted.removeEventListener('abort', onInterrupt);
        }
      }),
    );
}

/** `echo value | halyard kv put k` should store "value", not "value\n"; only the one final newline goes. */
function stripFinalNewline(text: string): string {
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}
