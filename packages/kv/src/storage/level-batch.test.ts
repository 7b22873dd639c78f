import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { type BatchOp, type Db, writeBatch } from './level-batch.ts';
import { recordBatchWrites } from './test-helpers.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function openDb(): Promise<Db> {
  const dir = await mkdtemp(join(tmpdir(), 'halyard-level-batch-'));
  dirs.push(dir);
  const db: Db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  return db;
}
const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));

describe('writeBatch', () => {
  it('applies puts and deletes in order, a later operation on a key winning, as one batch', async () => {
    const db = await openDb();
    await db.put(b('gone'), b('old'));
    const ops: BatchOp[] = [
      { type: 'put', key: b('a'), value: b('1') },
      { type: 'put', key: b('a'), value: b('2') },
      { type: 'del', key: b('gone') },
      { type: 'put', key: b('back'), value: b('x') },
      { type: 'del', key: b('back') },
      { type: 'put', key: b('c'), value: b('3') },
    ];
    await writeBatch(db, ops, { sync: true });
    expect(text(await db.get(b('a')))).toBe('2');
    expect(await db.get(b('gone'))).toBeUndefined();
    expect(await db.get(b('back'))).toBeUndefined();
    expect(text(await db.get(b('c')))).toBe('3');
    await db.close();
  });

  it('passes sync through and writes nothing when building the batch fails', async () => {
    const db = await openDb();
    const { writes } = recordBatchWrites(db);
    await writeBatch(db, [{ type: 'put', key: b('k'), value: b('v') }], { sync: true });
    await writeBatch(db, [{ type: 'put', key: b('k2'), value: b('v') }]);
    expect(writes).toEqual([{ sync: true }, { sync: false }]);
    // A key LevelDB refuses (not bytes) fails the whole batch: the put before it is not written either.
    const bad = [{ type: 'put', key: b('first'), value: b('v') }, { type: 'put', key: null, value: b('v') }] as unknown as BatchOp[];
    await expect(writeBatch(db, bad)).rejects.toThrow();
    expect(await db.get(b('first'))).toBeUndefined();
    await db.close();
  });
});
