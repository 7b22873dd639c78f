// Member and cluster ids, derived deterministically (as etcd does) so every member computes the same ids
// from the same flags without talking to anyone. Ids stay below 2^48 so they are exact JS numbers.

import { createHash, randomBytes } from 'node:crypto';

/** Ids are 48-bit (exact in a JS number); a fresh one collides with a used one in at most a few tries. */
export const MEMBER_ID_ATTEMPTS_MAX = 16;
/** Largest member id: ids are the first 6 bytes of a SHA-256. */
export const MEMBER_ID_MAX = 2 ** 48 - 1;

function hash48(parts: readonly string[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  const id = digest.readUIntBE(0, 6);
  return id === 0 ? 1 : id;
}

export function memberIdOf(name: string, peerUrls: readonly string[], clusterToken: string): number {
  return hash48(['member', clusterToken, name, ...[...peerUrls].sort()]);
}

/** Time of the add and random bytes, as etcd's NewMember mixes in the time of a `member add`. */
function addEntropy(): string {
  return `${Date.now()}:${randomBytes(8).toString('hex')}`;
}

/**
 * The id `member add` gives a new member. An id is never reused: a removed member re-added with the same
 * name and peer URLs must not be taken for the removed one (its peers would refuse it as removed, and an
 * old process of the removed member would pass for the new one). When the derived id memberIdOf() is
 * unused, the new member gets it, so a joining member computes its own id from its flags (our stand-in
 * for etcd fetching its id from the cluster); otherwise the time of the add and randomness are mixed in,
 * as etcd does for every add, and the new member must be started with that id (`--member-id`).
 * @param used whether an id belongs to a current or a removed member
 * @param entropy injected by tests; time and random bytes otherwise
 */
export function memberAddIdOf(
  name: string,
  peerUrls: readonly string[],
  clusterToken: string,
  used: (id: number) => boolean,
  entropy: () => string = addEntropy,
): number {
  const derived = memberIdOf(name, peerUrls, clusterToken);
  if (!used(derived)) return derived;
  for (let attempt = 0; attempt < MEMBER_ID_ATTEMPTS_MAX; attempt++) {
    const id = hash48(['member', clusterToken, name, ...[...peerUrls].sort(), entropy()]);
    if (!used(id)) return id;
  }
  throw new Error(`no unused member id after ${MEMBER_ID_ATTEMPTS_MAX} attempts (is the entropy source constant?)`);
}

/**
 * The cluster id depends on the token alone, so a member joining later (with a different member list)
 * derives the same id; two clusters are told apart by their tokens, which is what etcd's token is for.
 */
export function clusterIdOf(clusterToken: string): number {
  return hash48(['cluster', clusterToken]);
}

/** etcd prints ids as hex. */
export function idToHex(id: number): string {
  return id.toString(16);
}
