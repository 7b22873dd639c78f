// One way every LevelDB database of a member writes a batch: through LevelDB's chained batch, not
// `db.batch(array)`. Both end in one atomic LevelDB WriteBatch; they differ in what the main thread pays
// to build it. The array form validates and re-encodes every operation in abstract-level's JavaScript
// and then reads each operation object's `type`, `key` and `value` back through N-API property lookups;
// the chained form hands each key and value straight to the native batch. Measured on our 2-core machine
// (docs/performance.md, "Where a member's CPU goes under load"): 484 → 128 µs of main-thread time per
// 64-operation batch, 122 → 59 µs per 8-operation batch — time every write of every member spent on the
// thread that also serves clients and Raft.
import type { Level } from 'level';

/** A member's LevelDB databases: byte keys, byte values (keyEncoding and valueEncoding 'view'). */
export type Db = Level<Uint8Array, Uint8Array>;

/** One operation of a batch. */
export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/**
 * Writes `ops` as one atomic LevelDB batch (fsync'd when `sync`), in order: a later operation on the same
 * key wins, as in `db.batch(array)`. Rejects as `db.batch` would; the batch is closed either way.
 */
export async function writeBatch(db: Db, ops: readonly BatchOp[], options: { readonly sync?: boolean } = {}): Promise<void> {
  const batch = db.batch();
  try {
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
  } catch (err) {
    await batch.close();
    throw err;
  }
  await batch.write({ sync: options.sync === true });
}
