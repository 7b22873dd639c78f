// An executable sequential KV store with etcd's revision rules: the specification the checker's model
// (model.ts) abstracts. Generators run operations through it to build histories whose answer is known.

import type { Op, Result } from './history.ts';
import { assertNever } from './ops.ts';

export interface StoredKey {
  readonly value: string;
  readonly modRevision: number;
}

export class ReferenceStore {
  /** etcd starts at revision 1; the first write creates revision 2. */
  revision = 1;
  private readonly keys = new Map<string, StoredKey>();

  modRevision(key: string): number {
    return this.keys.get(key)?.modRevision ?? 0;
  }

  apply(op: Op): Result {
    switch (op.type) {
      case 'get': {
        const k = this.keys.get(op.key);
        return { type: 'get', value: k?.value ?? null, modRevision: k?.modRevision ?? 0, revision: this.revision };
      }
      case 'put':
        this.keys.set(op.key, { value: op.value, modRevision: ++this.revision });
        return { type: 'put', revision: this.revision };
      case 'delete': {
        if (!this.keys.has(op.key)) return { type: 'delete', deleted: 0, revision: this.revision };
        this.keys.delete(op.key);
        return { type: 'delete', deleted: 1, revision: ++this.revision };
      }
      case 'cas': {
        if (this.modRevision(op.key) !== op.expectedModRevision) {
          return { type: 'cas', succeeded: false, revision: this.revision };
        }
        this.keys.set(op.key, { value: op.value, modRevision: ++this.revision });
        return { type: 'cas', succeeded: true, revision: this.revision };
      }
      case 'txn': {
        if (!op.compares.every((c) => this.modRevision(c.key) === c.expectedModRevision)) {
          return { type: 'txn', succeeded: false, revision: this.revision };
        }
        // A txn without puts changes nothing, so it does not create a revision (etcd does the same).
        if (op.puts.length > 0) {
          const revision = ++this.revision;
          for (const p of op.puts) this.keys.set(p.key, { value: p.value, modRevision: revision });
        }
        return { type: 'txn', succeeded: true, revision: this.revision };
      }
      default:
        return assertNever(op);
    }
  }
}
