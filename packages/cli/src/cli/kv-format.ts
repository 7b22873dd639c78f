// Which output formats each command can print. A format is either honoured or refused before the command
// runs — never silently replaced by another (etcdctl refuses `txn -w table` with "table not supported as
// output format"; so do we, and before the transaction is sent rather than after).
import { type OutputFormat, UsageError } from './kv-flags.ts';

export type OutputKind =
  | 'get'
  | 'put'
  | 'del'
  | 'txn'
  | 'watch'
  | 'compact'
  | 'leaseGrant'
  | 'leaseRevoke'
  | 'leaseKeepAlive'
  | 'leaseTimeToLive'
  | 'leaseList'
  | 'memberList'
  | 'memberAdd'
  | 'memberRemove'
  | 'memberPromote'
  | 'endpointStatus'
  | 'endpointHealth'
  | 'endpointHashKv'
  | 'moveLeader'
  | 'snapshotSave'
  | 'snapshotStatus'
  | 'snapshotRestore'
  | 'defrag';

/** Every kind prints simple. Beyond that, as etcdctl 3.4 (printer.go, printer_fields.go, printer_table.go). */
const FORMATS: Readonly<Record<OutputKind, readonly OutputFormat[]>> = {
  // `get -w table` is ours: etcdctl refuses it. A table of key, value and revisions reads well.
  get: ['simple', 'json', 'fields', 'table'],
  put: ['simple', 'json', 'fields'],
  del: ['simple', 'json', 'fields'],
  txn: ['simple', 'json', 'fields'],
  watch: ['simple', 'json', 'fields'],
  // etcdctl prints `compacted revision N` whatever -w says; so do we.
  compact: ['simple', 'json', 'fields', 'table'],
  leaseGrant: ['simple', 'json', 'fields'],
  leaseRevoke: ['simple', 'json', 'fields'],
  leaseKeepAlive: ['simple', 'json', 'fields'],
  leaseTimeToLive: ['simple', 'json', 'fields'],
  // `lease list -w table` is ours too.
  leaseList: ['simple', 'json', 'fields', 'table'],
  memberList: ['simple', 'json', 'fields', 'table'],
  memberAdd: ['simple', 'json'],
  memberRemove: ['simple', 'json'],
  memberPromote: ['simple', 'json'],
  endpointStatus: ['simple', 'json', 'fields', 'table'],
  endpointHealth: ['simple', 'json', 'fields', 'table'],
  endpointHashKv: ['simple', 'json', 'fields', 'table'],
  moveLeader: ['simple', 'json'],
  // etcdctl prints `Snapshot saved at …` whatever -w says.
  snapshotSave: ['simple', 'json', 'fields', 'table'],
  snapshotStatus: ['simple', 'json', 'fields', 'table'],
  // Prints what it did and how to start the member, whatever -w says (etcdutl only logs).
  snapshotRestore: ['simple', 'json', 'fields', 'table'],
  defrag: ['simple', 'json', 'fields', 'table'],
};

/** Refuses `format` for `kind` with etcdctl's message (a usage error: exit 2). */
export function assertFormat(format: OutputFormat, kind: OutputKind): void {
  if (!FORMATS[kind].includes(format)) throw new UsageError(`${format} not supported as output format`);
}
