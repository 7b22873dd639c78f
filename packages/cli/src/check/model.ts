// The sequential specification of the KV store, restricted to one component of keys (a single key, or the
// keys linked by multi-key txns), compiled for the search.
//
// The real store has one global revision shared by all keys. A component cannot see writes to other keys, so
// instead of the exact store revision the state carries `revLow`, a lower bound on it: the largest revision
// this component has observed so far. Along any real linearization the store revision never decreases and
// every effective write raises it, so a component can demand exactly that of its own operations:
//   - an effective write returning R needs R > revLow, and then revLow = R;
//   - any other operation returning revision r needs r >= revLow, and then revLow = r.
// Gaps are allowed (writes to other keys, lease expiry, writes outside the history). These are necessary
// conditions of the global model, so rejecting on them is sound; revisions.ts checks what crosses keys.
//
// A write with an unknown outcome has an unknown revision. It leaves the key's modRevision as an interval
// [modLo, modHi]: at least one more than revLow when it took effect, at most the revisions observed after it
// (an effective write R after it caps it at R - 1). A later get or successful compare pins it to one value.

import type { HistoryOp } from './history.ts';
import { assertNever, describeOp } from './ops.ts';

/** Value id of an absent key. */
const ABSENT = -1;
/** Not a value id: the operation does not write that key. */
const NOT_WRITTEN = -2;

export interface ComponentState {
  /** Interned value id per key slot, ABSENT when the key does not exist. */
  readonly values: readonly number[];
  /** modRevision of each key lies in [modLo, modHi]; equal when known. Absent keys have 0..0. */
  readonly modLo: readonly number[];
  readonly modHi: readonly number[];
  /**
   * Keys written by one unknown-outcome txn share one unknown revision: they carry the same nonzero group,
   * and pinning one pins them all. 0 for a known modRevision.
   */
  readonly modGroup: readonly number[];
  /** Lower bound on the store revision: the largest revision observed so far in this component. */
  readonly revLow: number;
}

/** The search's view of a model: a deterministic step function and a memoisation key. */
export interface SearchModel<S> {
  readonly init: S;
  /**
   * The state after operation `index` takes effect in `state`, or null when its recorded result is impossible
   * there. For an operation with an unknown outcome, the state after it takes effect; null when taking effect
   * could change nothing (then leaving it out is the same thing). When `why` is given, a rejection pushes its
   * reason there: used only to explain failures, off the hot path.
   */
  step(state: S, index: number, why?: string[]): S | null;
  /** Equal keys exactly when two states behave the same for every future operation. */
  key(state: S): string;
  describe(state: S): string;
  /**
   * The order in which the search tries candidates, lower first. Contract, which the search uses to prune:
   * if known-outcome operations A and B have priority(A) < priority(B), then once B has taken effect the
   * model rejects A in every state that follows. For unknown-outcome operations it is only a hint.
   */
  priority(index: number): number;
  /**
   * The parts of the state (for the KV: key slots) the operation reads or writes. Contract: an operation can
   * only make another acceptable if their footprints share a part (the search uses it to skip work).
   */
  footprint(index: number): readonly number[];
  /**
   * A cheap filter before trying whether operation `u` makes operation `c` acceptable. Contract: when it
   * returns false, taking `u` never turns a state in which `c` is rejected into one in which it is accepted.
   */
  mayEnable(u: number, c: number): boolean;
}

/** Priority of operations whose place cannot be guessed: after everything else. */
const PRIORITY_LAST = Number.MAX_SAFE_INTEGER;

/** One compare and one put list cover put, cas and txn; delete and get have their own forms. */
type Compiled =
  | { readonly t: 'get'; readonly slot: number; readonly value: number; readonly mod: number; readonly rev: number | null }
  | { readonly t: 'delete'; readonly slot: number; readonly deleted: number | null; readonly rev: number }
  | {
      readonly t: 'write';
      readonly compares: readonly { readonly slot: number; readonly expected: number }[];
      readonly puts: readonly { readonly slot: number; readonly value: number }[];
      /** null when the outcome is unknown. */
      readonly succeeded: boolean | null;
      readonly rev: number;
    };

export class ComponentModel implements SearchModel<ComponentState> {
  readonly init: ComponentState;
  private readonly compiled: readonly Compiled[];
  private readonly valueNames: string[] = [];
  private readonly priorities: readonly number[];
  /** Per operation, the slots it writes and what it leaves there (value id or ABSENT): for mayEnable. */
  private readonly leftSlots: readonly (readonly number[])[];
  private readonly leftValues: readonly (readonly number[])[];

  constructor(
    readonly keys: readonly string[],
    readonly ops: readonly HistoryOp[],
  ) {
    const slotOf = new Map(keys.map((k, i) => [k, i] as const));
    const valueIds = new Map<string, number>();
    const slot = (key: string): number => {
      const s = slotOf.get(key);
      if (s === undefined) throw new Error(`key ${key} is not in this component`);
      return s;
    };
    const intern = (v: string): number => {
      let id = valueIds.get(v);
      if (id === undefined) {
        id = this.valueNames.length;
        valueIds.set(v, id);
        this.valueNames.push(v);
      }
      return id;
    };
    this.compiled = ops.map((h) => compile(h, slot, intern));
    this.priorities = this.prioritize();
    this.leftSlots = this.compiled.map((c) => (c.t === 'delete' ? [c.slot] : c.t === 'write' ? c.puts.map((p) => p.slot) : []));
    this.leftValues = this.compiled.map((c) => (c.t === 'delete' ? [ABSENT] : c.t === 'write' ? c.puts.map((p) => p.value) : []));
    this.init = {
      values: keys.map(() => ABSENT),
      modLo: keys.map(() => 0),
      modHi: keys.map(() => 0),
      modGroup: keys.map(() => 0),
      revLow: 0,
    };
  }

  step(state: ComponentState, index: number, why?: string[]): ComponentState | null {
    const c = this.compiled[index];
    if (c === undefined) throw new Error(`no operation ${index}`);
    const s = new Scratch(state);
    // Reasons are built only when asked for (why given): the search calls step millions of times. A method,
    // not a local closure: creating a named closure per call showed up as the hottest line in profiles.
    const reject = this.rejecter(why);
    switch (c.t) {
      case 'get': {
        if (c.rev === null) return reject(() => 'a get with unknown outcome changes nothing');
        const have = state.values[c.slot]!;
        if (have !== c.value) {
          return reject(() => `returned ${this.valueName(c.value)} but the key holds ${this.valueName(have)}`);
        }
        if (c.value === ABSENT ? c.mod !== 0 : !s.pin(c.slot, c.mod)) {
          return reject(() => `returned modRevision ${c.mod} but the key's modRevision is ${this.modText(state, c.slot)}`);
        }
        const rev = c.rev;
        return s.observe(rev) ? s.done() : reject(() => this.revisionReason(state, rev, false));
      }
      case 'delete': {
        const present = state.values[c.slot] !== ABSENT;
        if (c.deleted === null) {
          if (!present) return reject(() => 'an unknown-outcome delete of an absent key changes nothing');
          s.unknownWrite();
          s.set(c.slot, ABSENT, 0, 0, 0);
          return s.done();
        }
        if (c.deleted > 0) {
          if (!present) return reject(() => 'deleted a key that is absent');
          if (!s.writeAt(c.rev)) return reject(() => this.revisionReason(state, c.rev, true));
          s.set(c.slot, ABSENT, 0, 0, 0);
          return s.done();
        }
        if (present) return reject(() => `deleted nothing but the key holds ${this.valueName(state.values[c.slot]!)}`);
        return s.observe(c.rev) ? s.done() : reject(() => this.revisionReason(state, c.rev, false));
      }
      case 'write': {
        if (c.succeeded === false) {
          // A failed compare only needs one compare that can be false; an interval of more than one value can
          // always differ from `expected`, so only a known modRevision can make it true.
          const canFail = c.compares.some(
            (cmp) => !(state.modLo[cmp.slot] === cmp.expected && state.modHi[cmp.slot] === cmp.expected),
          );
          if (!canFail) return reject(() => 'failed but every compare holds');
          return s.observe(c.rev) ? s.done() : reject(() => this.revisionReason(state, c.rev, false));
        }
        for (const cmp of c.compares) {
          if (!s.pin(cmp.slot, cmp.expected)) {
            return reject(() => 
              c.succeeded === null
                ? 'an unknown-outcome write whose compare fails changes nothing'
                : `succeeded but ${this.keys[cmp.slot]}'s modRevision is ${this.modText(state, cmp.slot)}, not ${cmp.expected}`,
            );
          }
        }
        if (c.puts.length === 0) {
          if (c.succeeded === null) return reject(() => 'an unknown-outcome txn without puts changes nothing');
          return s.observe(c.rev) ? s.done() : reject(() => this.revisionReason(state, c.rev, false));
        }
        if (c.succeeded === null) {
          const lo = s.unknownWrite();
          for (const p of c.puts) s.set(p.slot, p.value, lo, Infinity, index + 1);
          return s.done();
        }
        if (!s.writeAt(c.rev)) return reject(() => this.revisionReason(state, c.rev, true));
        for (const p of c.puts) s.set(p.slot, p.value, c.rev, c.rev, 0);
        return s.done();
      }
      default:
        return assertNever(c);
    }
  }

  private rejecter(why: string[] | undefined): (reason: () => string) => null {
    return why === undefined ? rejectSilently : (reason) => (why.push(reason()), null);
  }

  mayEnable(u: number, c: number): boolean {
    const wc = this.compiled[c];
    const leftSlots = this.leftSlots[u];
    const leftValues = this.leftValues[u];
    if (wc === undefined || leftSlots === undefined || leftValues === undefined) return false;
    // What u leaves in a slot: a value id, ABSENT for a delete, or NOT_WRITTEN.
    const leaves = (slot: number): number => {
      for (let i = 0; i < leftSlots.length; i++) if (leftSlots[i] === slot) return leftValues[i]!;
      return NOT_WRITTEN;
    };
    switch (wc.t) {
      case 'get':
        // Only by leaving exactly what the get returned; besides that, writes only add revision constraints.
        return wc.rev !== null && leaves(wc.slot) === wc.value;
      case 'delete': {
        const v = leaves(wc.slot);
        return wc.deleted === null || wc.deleted > 0 ? v >= 0 : v === ABSENT;
      }
      case 'write':
        for (const cmp of wc.compares) {
          const v = leaves(cmp.slot);
          if (v === NOT_WRITTEN) continue;
          if (wc.succeeded === false || (cmp.expected === 0 ? v === ABSENT : v >= 0)) return true;
        }
        return false;
      default:
        return assertNever(wc);
    }
  }

  footprint(index: number): readonly number[] {
    const c = this.compiled[index];
    if (c === undefined) return [];
    switch (c.t) {
      case 'get':
      case 'delete':
        return [c.slot];
      case 'write':
        return [...new Set([...c.compares.map((x) => x.slot), ...c.puts.map((x) => x.slot)])];
      default:
        return assertNever(c);
    }
  }

  priority(index: number): number {
    return this.priorities[index] ?? PRIORITY_LAST;
  }

  /**
   * Revisions order every linearization: a write that created R goes before anything served at R, which goes
   * before a write that created R + 1. This meets the contract because revLow never decreases and every
   * known-outcome operation needs its revision >= revLow (> for a write), while taking effect raises revLow
   * to its revision. An unknown-outcome write whose value a get saw has revealed its revision (the get's
   * modRevision); other unknown-outcome operations go last, as they are usually not needed.
   */
  private prioritize(): number[] {
    const seenMod = new Map<string, number>();
    // Revisions at which each key was modified by a known-outcome write.
    const knownMods = this.keys.map(() => new Set<number>());
    for (const c of this.compiled) {
      if (c.t === 'get' && c.rev !== null && c.value !== ABSENT) {
        const id = `${c.slot},${c.value}`;
        seenMod.set(id, Math.min(seenMod.get(id) ?? Infinity, c.mod));
      }
      if (c.t === 'write' && c.succeeded === true) for (const p of c.puts) knownMods[p.slot]!.add(c.rev);
    }
    // An unknown-outcome write whose value was read did take effect, at the revision the read showed.
    const revealedOf = (c: Compiled): number =>
      c.t === 'write' && c.succeeded === null
        ? Math.min(...c.puts.map((p) => seenMod.get(`${p.slot},${p.value}`) ?? Infinity))
        : Infinity;
    for (const c of this.compiled) {
      const revealed = revealedOf(c);
      if (c.t === 'write' && Number.isFinite(revealed)) for (const p of c.puts) knownMods[p.slot]!.add(revealed);
    }
    // A compare that succeeded (in a known-outcome operation, or in a revealed one, which did take effect)
    // on a modRevision that no known or revealed write made, was made by an unknown-outcome write to that key.
    const unexplained = this.keys.map((): { mod: number; returnTime: number }[] => []);
    this.compiled.forEach((c, i) => {
      if (c.t !== 'write' || !(c.succeeded === true || Number.isFinite(revealedOf(c)))) return;
      for (const cmp of c.compares) {
        if (cmp.expected > 0 && !knownMods[cmp.slot]!.has(cmp.expected)) {
          unexplained[cmp.slot]!.push({ mod: cmp.expected, returnTime: this.ops[i]!.returnTime ?? Infinity });
        }
      }
    });
    // A write created a revision above every revision returned before it was invoked.
    const returned = this.ops
      .filter((h) => h.returnTime !== null && h.result !== null)
      .map((h) => ({ t: h.returnTime!, rev: h.result!.revision }))
      .sort((a, b) => a.t - b.t);
    const prefixMax: number[] = [];
    for (const r of returned) prefixMax.push(Math.max(prefixMax[prefixMax.length - 1] ?? 0, r.rev));
    const floorAt = (t: number): number => {
      let lo = 0;
      let hi = returned.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (returned[mid]!.t < t) lo = mid + 1;
        else hi = mid;
      }
      return lo === 0 ? 0 : prefixMax[lo - 1]!;
    };
    // Each unexplained modRevision hints at one writer: among the unrevealed unknown-outcome writes to the
    // key that could have made it (invoked before the compare returned, floor below it), the most recently
    // invoked one not yet hinted. A hint only orders the search, so a wrong guess costs time, not verdicts.
    const hinted = new Map<number, number>();
    this.keys.forEach((_, slot) => {
      const writers = this.compiled
        .map((c, i) => ({ c, i }))
        .filter(({ c }) => c.t === 'write' && c.succeeded === null && !Number.isFinite(revealedOf(c)) && c.puts.some((p) => p.slot === slot))
        .map(({ i }) => ({ i, invokeTime: this.ops[i]!.invokeTime, floor: floorAt(this.ops[i]!.invokeTime) }));
      for (const u of [...unexplained[slot]!].sort((a, b) => a.mod - b.mod)) {
        let pick: { i: number; invokeTime: number } | undefined;
        for (const w of writers) {
          if (hinted.has(w.i) || w.floor >= u.mod || w.invokeTime > u.returnTime) continue;
          if (pick === undefined || w.invokeTime > pick.invokeTime) pick = w;
        }
        if (pick !== undefined) hinted.set(pick.i, u.mod);
      }
    });
    // Writers left without a hint of their own take the least modRevision they could have made: still a
    // better place to try them than last.
    const coarseHint = (slot: number, invokeTime: number): number => {
      const floor = floorAt(invokeTime);
      let best = Infinity;
      for (const u of unexplained[slot]!) if (u.returnTime >= invokeTime && u.mod > floor && u.mod < best) best = u.mod;
      return best;
    };
    return this.compiled.map((c, i) => {
      switch (c.t) {
        case 'get':
          return c.rev === null ? PRIORITY_LAST : 2 * c.rev + 1;
        case 'delete':
          return c.deleted === null ? PRIORITY_LAST : c.deleted > 0 ? 2 * c.rev : 2 * c.rev + 1;
        case 'write': {
          if (c.succeeded === true) return c.puts.length > 0 ? 2 * c.rev : 2 * c.rev + 1;
          if (c.succeeded === false) return 2 * c.rev + 1;
          const revealed = revealedOf(c);
          if (Number.isFinite(revealed)) return 2 * revealed;
          const hint = hinted.get(i) ?? Math.min(...c.puts.map((p) => coarseHint(p.slot, this.ops[i]!.invokeTime)));
          return Number.isFinite(hint) ? 2 * hint : PRIORITY_LAST;
        }
        default:
          return assertNever(c);
      }
    });
  }

  key(state: ComponentState): string {
    if (state.values.length === 1) {
      return `${state.values[0]},${state.modLo[0]},${state.modHi[0]},${state.revLow}`;
    }
    return `${state.values.join(',')};${state.modLo.join(',')};${state.modHi.join(',')};${state.modGroup.join(',')};${state.revLow}`;
  }

  describe(state: ComponentState): string {
    const keys = this.keys.map((k, i) => {
      const v = state.values[i]!;
      return v === ABSENT ? `${k} absent` : `${k}=${this.valueName(v)} (mod ${this.modText(state, i)})`;
    });
    return `${keys.join(', ')}; store revision ≥ ${state.revLow}`;
  }

  /** Why operation `index` cannot take effect next in `state`, or null if it can. */
  whyRejected(state: ComponentState, index: number): string | null {
    const why: string[] = [];
    return this.step(state, index, why) === null ? `${describeOp(this.ops[index]!.op)}: ${why.join('; ')}` : null;
  }

  private valueName(id: number): string {
    return id === ABSENT ? 'absent' : JSON.stringify(this.valueNames[id]);
  }

  private modText(state: ComponentState, slot: number): string {
    const lo = state.modLo[slot]!;
    const hi = state.modHi[slot]!;
    return lo === hi ? String(lo) : `unknown in [${lo}, ${hi === Infinity ? '∞' : hi}]`;
  }

  private revisionReason(state: ComponentState, rev: number, write: boolean): string {
    return write
      ? `wrote at revision ${rev}, but revision ${state.revLow} was already observed or a pinned modRevision conflicts`
      : `served at revision ${rev}, but revision ${state.revLow} was already observed or a pinned modRevision conflicts`;
  }
}

function rejectSilently(): null {
  return null;
}

function compile(h: HistoryOp, slot: (key: string) => number, intern: (v: string) => number): Compiled {
  const op = h.op;
  const r = h.result;
  switch (op.type) {
    case 'get':
      if (r === null) return { t: 'get', slot: slot(op.key), value: ABSENT, mod: 0, rev: null };
      if (r.type !== 'get') throw new Error(`#${h.id}: get with a ${r.type} result`);
      return {
        t: 'get',
        slot: slot(op.key),
        value: r.value === null ? ABSENT : intern(r.value),
        mod: r.modRevision,
        rev: r.revision,
      };
    case 'delete':
      if (r !== null && r.type !== 'delete') throw new Error(`#${h.id}: delete with a ${r.type} result`);
      return { t: 'delete', slot: slot(op.key), deleted: r === null ? null : r.deleted, rev: r?.revision ?? 0 };
    case 'put':
      return {
        t: 'write',
        compares: [],
        puts: [{ slot: slot(op.key), value: intern(op.value) }],
        succeeded: r === null ? null : true,
        rev: r?.revision ?? 0,
      };
    case 'cas':
      if (r !== null && r.type !== 'cas') throw new Error(`#${h.id}: cas with a ${r.type} result`);
      return {
        t: 'write',
        compares: [{ slot: slot(op.key), expected: op.expectedModRevision }],
        puts: [{ slot: slot(op.key), value: intern(op.value) }],
        succeeded: r === null ? null : r.succeeded,
        rev: r?.revision ?? 0,
      };
    case 'txn':
      if (r !== null && r.type !== 'txn') throw new Error(`#${h.id}: txn with a ${r.type} result`);
      return {
        t: 'write',
        compares: op.compares.map((c) => ({ slot: slot(c.key), expected: c.expectedModRevision })),
        puts: op.puts.map((p) => ({ slot: slot(p.key), value: intern(p.value) })),
        succeeded: r === null ? null : r.succeeded,
        rev: r?.revision ?? 0,
      };
    default:
      return assertNever(op);
  }
}

/** Copy-on-write edits of one state; every edit keeps modLo <= modHi or reports failure. */
class Scratch {
  private values: readonly number[] | number[];
  private modLo: readonly number[] | number[];
  private modHi: readonly number[] | number[];
  private modGroup: readonly number[] | number[];
  private revLow: number;
  private copied = false;

  constructor(private readonly base: ComponentState) {
    this.values = base.values;
    this.modLo = base.modLo;
    this.modHi = base.modHi;
    this.modGroup = base.modGroup;
    this.revLow = base.revLow;
  }

  private own(): { values: number[]; modLo: number[]; modHi: number[]; modGroup: number[] } {
    if (!this.copied) {
      this.values = this.values.slice();
      this.modLo = this.modLo.slice();
      this.modHi = this.modHi.slice();
      this.modGroup = this.modGroup.slice();
      this.copied = true;
    }
    return this as unknown as { values: number[]; modLo: number[]; modHi: number[]; modGroup: number[] };
  }

  /** Narrow a key's modRevision to exactly `mod`; false when it cannot be `mod`. */
  pin(slot: number, mod: number): boolean {
    const lo = this.modLo[slot]!;
    const hi = this.modHi[slot]!;
    if (mod < lo || mod > hi) return false;
    if (lo !== hi) {
      const o = this.own();
      const group = o.modGroup[slot]!;
      for (let i = 0; i < o.modLo.length; i++) {
        if (i === slot || (group !== 0 && o.modGroup[i] === group)) {
          o.modLo[i] = mod;
          o.modHi[i] = mod;
          o.modGroup[i] = 0;
        }
      }
    }
    // The store revision is never below any key's modRevision.
    if (mod > this.revLow) this.revLow = mod;
    return true;
  }

  /** A non-writing operation served at `rev`. */
  observe(rev: number): boolean {
    if (rev < this.revLow) return false;
    this.revLow = rev;
    return this.capOpen(rev);
  }

  /** An effective write that created revision `rev`. */
  writeAt(rev: number): boolean {
    if (rev <= this.revLow) return false;
    this.revLow = rev;
    return this.capOpen(rev - 1);
  }

  /**
   * An effective write with an unknown revision; returns the least revision it can have. It does not raise
   * revLow: the bound it adds lives in the written keys' intervals (later writes must exceed their modLo),
   * and is forgotten once they are overwritten. That gives up a little precision (docs/check.md), and in
   * exchange the states after different sets of pending unknown-outcome writes coincide, which is what keeps
   * their search from growing with every subset of them.
   */
  unknownWrite(): number {
    return this.revLow + 1;
  }

  set(slot: number, value: number, lo: number, hi: number, group: number): void {
    const o = this.own();
    o.values[slot] = value;
    o.modLo[slot] = lo;
    o.modHi[slot] = hi;
    o.modGroup[slot] = group;
  }

  /** Unknown-revision writes that came earlier have revisions no greater than what is seen now. */
  private capOpen(max: number): boolean {
    // Every edit that narrows an interval goes through here or pin, and both refuse to make it empty.
    for (let i = 0; i < this.modHi.length; i++) {
      const hi = this.modHi[i]!;
      if (hi > max) {
        if (this.modLo[i]! > max) return false;
        this.own().modHi[i] = max;
      }
    }
    return true;
  }

  done(): ComponentState {
    // The search prunes on the promise that revLow never decreases (SearchModel.priority): hold it here.
    if (this.revLow < this.base.revLow) throw new Error(`model: revLow went back from ${this.base.revLow} to ${this.revLow}`);
    if (!this.copied && this.revLow === this.base.revLow) return this.base;
    return { values: this.values, modLo: this.modLo, modHi: this.modHi, modGroup: this.modGroup, revLow: this.revLow };
  }
}
