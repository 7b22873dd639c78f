// Query parameters of resource requests, checked: a malformed value is a 400 Status, never ignored silently.
import { errors } from '../api/status.ts';
import type { FieldValidation } from '../registry/decode.ts';

export class Query {
  constructor(private readonly params: URLSearchParams) {}

  string(name: string): string | undefined {
    const v = this.params.get(name);
    return v === null ? undefined : v;
  }

  all(name: string): string[] {
    return this.params.getAll(name);
  }

  /** `true`/`1` → true, `false`/`0`/absent → false (Go's strconv.ParseBool subset kube-apiserver accepts). */
  bool(name: string): boolean {
    const v = this.params.get(name);
    if (v === null || v === '' || v === 'false' || v === '0' || v === 'False') return false;
    if (v === 'true' || v === '1' || v === 'True') return true;
    throw errors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)} (expected true or false)`);
  }

  /** A non-negative integer, or `fallback` when absent. */
  integer(name: string, fallback: number): number {
    const v = this.params.get(name);
    if (v === null || v === '') return fallback;
    if (!/^\d{1,15}$/.test(v)) throw errors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)} (expected a non-negative integer)`);
    return Number(v);
  }
}

/** `dryRun`: absent, or `All` (the only value kube-apiserver accepts). */
export function parseDryRun(q: Query): boolean {
  const values = q.all('dryRun');
  if (values.length === 0) return false;
  for (const v of values) if (v !== 'All') throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(v)}: supported values: "All"`);
  return true;
}

/** `fieldValidation`: Ignore, Warn (the default) or Strict. */
export function parseFieldValidation(q: Query): FieldValidation {
  const v = q.string('fieldValidation');
  if (v === undefined || v === '') return 'Warn';
  if (v === 'Ignore' || v === 'Warn' || v === 'Strict') return v;
  throw errors.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(v)}: supported values: "Ignore", "Strict", "Warn"`);
}

/** kube-apiserver's bound on fieldManager. */
export const FIELD_MANAGER_LENGTH_MAX = 128;

/** `fieldManager` is accepted and checked (managed fields are not tracked). */
export function checkFieldManager(q: Query): void {
  const v = q.string('fieldManager');
  if (v !== undefined && v.length > FIELD_MANAGER_LENGTH_MAX) throw errors.badRequest(`fieldManager: Too long: may not be more than ${FIELD_MANAGER_LENGTH_MAX} bytes`);
}
