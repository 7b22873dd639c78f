// Where a KV lease lock keeps its state: two keys under one prefix per election, so one prefix watch sees
// exactly this election and nothing else (names cannot contain '/').
//   <prefix><name>/record  the Lease spec as JSON (see record.ts), written by every acquire/renew/release
//   <prefix><name>/fence   the holder's identity, written ONLY by acquisitions and releases, so its mod
//                          revision is the current acquisition's fencing token
import { ElectionError } from '../errors.ts';

export const KEY_PREFIX_DEFAULT = '/halyard/elections/';
/** Kubernetes object names are at most 253 characters; an election name is one. */
export const ELECTION_NAME_LENGTH_MAX = 253;
const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

export interface LockKeys {
  readonly prefix: string;
  readonly record: string;
  readonly fence: string;
}

export function lockKeys(name: string, prefix = KEY_PREFIX_DEFAULT): LockKeys {
  if (typeof name !== 'string' || name.length > ELECTION_NAME_LENGTH_MAX || !NAME.test(name)) {
    throw new ElectionError('InvalidConfig', `election name must be 1..${ELECTION_NAME_LENGTH_MAX} letters, digits, '.', '_' or '-' (starting and ending with a letter or digit), got ${JSON.stringify(name)}`);
  }
  if (typeof prefix !== 'string' || prefix.length === 0) throw new ElectionError('InvalidConfig', 'key prefix must not be empty');
  const base = `${prefix}${name}/`;
  return { prefix: base, record: `${base}record`, fence: `${base}fence` };
}
