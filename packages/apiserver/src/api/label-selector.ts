// Label selectors in the string form of `?labelSelector=` (k8s.io/apimachinery/pkg/labels): a comma-separated
// conjunction of requirements `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`.
import { labelValueErrors, qualifiedNameErrors } from './names.ts';
import { errors } from './status.ts';

export type LabelRequirement =
  | { readonly op: 'exists' | 'notExists'; readonly key: string }
  | { readonly op: 'in' | 'notIn'; readonly key: string; readonly values: readonly string[] };

/** Bound on requirements and set sizes, so a hostile selector cannot make matching expensive. */
export const LABEL_SELECTOR_LENGTH_MAX = 4096;

export class LabelSelector {
  constructor(readonly requirements: readonly LabelRequirement[]) {}

  /** The selector that matches everything (an empty string). */
  static readonly everything = new LabelSelector([]);

  get isEverything(): boolean {
    return this.requirements.length === 0;
  }

  /** Whether a set of labels satisfies every requirement. `!=`/`notin` match objects without the key, as in Kubernetes. */
  matches(labels: Readonly<Record<string, string>>): boolean {
    return this.requirements.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      switch (r.op) {
        case 'exists':
          return has;
        case 'notExists':
          return !has;
        case 'in':
          return has && r.values.includes(labels[r.key]!);
        case 'notIn':
          return !has || !r.values.includes(labels[r.key]!);
        default: {
          const never: never = r;
          return never;
        }
      }
    });
  }
}

/** Parses a label selector; a malformed one is a 400 BadRequest ApiError. */
export function parseLabelSelector(input: string): LabelSelector {
  if (input.length > LABEL_SELECTOR_LENGTH_MAX) throw errors.badRequest(`labelSelector is longer than ${LABEL_SELECTOR_LENGTH_MAX} characters`);
  const p = new Parser(input);
  const reqs: LabelRequirement[] = [];
  p.skipSpace();
  if (p.done()) return LabelSelector.everything;
  for (;;) {
    reqs.push(p.requirement());
    p.skipSpace();
    if (p.done()) break;
    p.expect(',');
    p.skipSpace();
  }
  return new LabelSelector(reqs);
}

class Parser {
  private pos = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.pos >= this.s.length;
  }

  skipSpace(): void {
    while (!this.done() && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  fail(what: string): never {
    throw errors.badRequest(`unable to parse requirement: ${what} at position ${this.pos} in "${this.s}"`);
  }

  expect(c: string): void {
    if (this.s[this.pos] !== c) this.fail(`expected '${c}'`);
    this.pos++;
  }

  /** A key or value: everything up to a delimiter. */
  word(): string {
    const start = this.pos;
    while (!this.done() && !/[\s,()=!]/.test(this.s[this.pos]!)) this.pos++;
    return this.s.slice(start, this.pos);
  }

  requirement(): LabelRequirement {
    if (this.s[this.pos] === '!') {
      this.pos++;
      this.skipSpace();
      const key = this.key();
      return { op: 'notExists', key };
    }
    const key = this.key();
    this.skipSpace();
    if (this.done() || this.s[this.pos] === ',') return { op: 'exists', key };
    const rest = this.s.slice(this.pos);
    if (rest.startsWith('==')) {
      this.pos += 2;
      return { op: 'in', key, values: [this.value()] };
    }
    if (rest.startsWith('!=')) {
      this.pos += 2;
      return { op: 'notIn', key, values: [this.value()] };
    }
    if (rest.startsWith('=')) {
      this.pos += 1;
      return { op: 'in', key, values: [this.value()] };
    }
    const word = this.word();
    if (word === 'in' || word === 'notin') {
      this.skipSpace();
      const values = this.set();
      return { op: word === 'in' ? 'in' : 'notIn', key, values };
    }
    return this.fail(`unsupported operator "${word || rest.slice(0, 1)}" (supported: =, ==, !=, in, notin, exists, !)`);
  }

  key(): string {
    const k = this.word();
    if (k === '') this.fail('expected a label key');
    const problems = qualifiedNameErrors(k);
    if (problems.length > 0) this.fail(`invalid label key "${k}": ${problems.join('; ')}`);
    return k;
  }

  value(): string {
    this.skipSpace();
    const v = this.word();
    const problems = labelValueErrors(v);
    if (problems.length > 0) this.fail(`invalid label value "${v}": ${problems.join('; ')}`);
    return v;
  }

  set(): string[] {
    this.expect('(');
    const values: string[] = [];
    for (;;) {
      values.push(this.value());
      this.skipSpace();
      if (this.s[this.pos] === ')') {
        this.pos++;
        return values;
      }
      this.expect(',');
    }
  }
}
