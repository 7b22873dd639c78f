// Defines `halyard kv put | get | del | txn | compact | watch` (etcdctl's flags). Each action loads its
// implementation (kv-keys.ts) only when it runs, so `halyard kv put k v` loads nothing it does not use.
import type { Command } from 'commander';
import { hexIdArg, intArg } from './kv-flags.ts';
import { type KvIoProvider, loadCommand } from './kv-io.ts';
import type { DelFlags, GetFlags, PutFlags, WatchFlags } from './kv-keys.ts';

const impl = loadCommand((): Promise<typeof import('./kv-keys.ts')> => import('./kv-keys.ts'));

export function defineKeyCommands(kv: Command, io: KvIoProvider): void {
  kv.command('put')
    .description('put KEY VALUE; without VALUE, the bytes of standard input (exactly as given)')
    .argument('<key>')
    .argument('[value]')
    .option('--lease <id>', 'attach to this lease (hex id)', hexIdArg('--lease'))
    .option('--prev-kv', 'print the previous key-value')
    .option('--ignore-value', 'keep the current value')
    .option('--ignore-lease', 'keep the current lease')
    .action(async (key: string, value: string | undefined, o: PutFlags, cmd: Command) => (await impl()).put(cmd, await io(), key, value, o));

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
    .action(async (key: string, rangeEnd: string | undefined, o: GetFlags, cmd: Command) => (await impl()).get(cmd, await io(), key, rangeEnd, o));

  kv.command('del')
    .alias('delete')
    .description('delete KEY, or the range [KEY, RANGE_END); prints the number deleted')
    .argument('<key>')
    .argument('[range_end]')
    .option('--prefix', 'every key with the prefix KEY')
    .option('--from-key', 'every key ≥ KEY')
    .option('--prev-kv', 'print the deleted key-values')
    .action(async (key: string, rangeEnd: string | undefined, o: DelFlags, cmd: Command) => (await impl()).del(cmd, await io(), key, rangeEnd, o));

  kv.command('txn')
    .description("run a transaction read in etcdctl's txn format (compares, blank line, success ops, blank line, failure ops) from stdin or --file")
    .option('--file <path>', 'read the transaction from this file instead of stdin')
    .action(async (o: { file?: string }, cmd: Command) => (await impl()).txn(cmd, await io(), o));

  kv.command('compact')
    .description('discard history below REV')
    .argument('<rev>', 'revision', intArg('REV', 1))
    .action(async (rev: number, _o: unknown, cmd: Command) => (await impl()).compact(cmd, await io(), rev));

  kv.command('watch')
    .description('print changes to KEY (or a range) until Ctrl-C')
    .argument('<key>')
    .argument('[range_end]')
    .option('--prefix', 'every key with the prefix KEY')
    .option('--from-key', 'every key ≥ KEY')
    .option('--rev <n>', 'start at this revision (default: from now)', intArg('--rev', 1))
    .option('--prev-kv', 'print the previous key-value of each event')
    .option('--progress-notify', 'ask for periodic progress notifications (printed in json output)')
    .action(async (key: string, rangeEnd: string | undefined, o: WatchFlags, cmd: Command) => (await impl()).watch(cmd, await io(), key, rangeEnd, o));
}
