// Field selectors (`?fieldSelector=`): a comma-separated conjunction of `field=value`, `field==value`,
// `field!=value` over the fields a resource supports (metadata.name and metadata.namespace everywhere, a few
// more per resource as kube-apiserver allows). An unsupported field is a 400, as in kube-apiserver.
import { errors } from './status.ts';

export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  static readonly everything = new FieldSelector([]);

  get isEverything(): boolean {
    return this.requirements.length === 0;
  }

  /** The value of `metadata.name=` when the selector pins one name (lets a list read one key). */
  get exactName(): string | undefined {
    return this.requirements.find((r) => r.field === 'metadata.name' && r.op === '=')?.value;
  }

  /** Whether an object's field values satisfy every requirement. */
  matches(fields: Readonly<Record<string, string>>): boolean {
    return this.requirements.every((r) => ((fields[r.field] ?? '') === r.value) === (r.op === '='));
  }
}

/** Parses a field selector against the fields a resource supports; bad input is a 400 ApiError. */
export function parseFieldSelector(input: string, supported: readonly string[]): FieldSelector {
  if (input.trim() === '') return FieldSelector.everything;
  const reqs = splitTerms(input).map((term): FieldRequirement => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
    if (m === null) throw errors.badRequest(`invalid selector: '${input}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    if (!supported.includes(field)) throw errors.badRequest(`field label not supported: ${field}`);
    return { field, op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!.trim()) };
  });
  return new FieldSelector(reqs);
}

/** Splits on commas not escaped with a backslash (field selector values may escape `,`, `=` and `\`). */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unescape(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}
