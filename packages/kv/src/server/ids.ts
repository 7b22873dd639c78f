// Member and cluster ids, derived deterministically (as etcd does) so every member computes the same ids
// from the same flags without talking to anyone. Ids stay below 2^48 so they are exact JS numbers.

import { createHash } from 'node:crypto';

function hash48(parts: readonly string[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  const id = digest.readUIntBE(0, 6);
  return id === 0 ? 1 : id;
}

export function memberIdOf(name: string, peerUrls: readonly string[], clusterToken: string): number {
  return hash48(['member', clusterToken, name, ...[...peerUrls].sort()]);
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
