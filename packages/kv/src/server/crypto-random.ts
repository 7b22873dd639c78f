// Production randomness: seeds and ids from the operating system's CSPRNG.

import { randomBytes, randomInt } from 'node:crypto';
import { SeededRng } from '../util/rng.ts';
import type { MemberRandom } from './seams.ts';

export const cryptoRandom: MemberRandom = {
  // The core stays deterministic given this seed; only the seed is random.
  raftRng: () => new SeededRng(randomInt(2 ** 31)),
  // 48 random bits: a restarted member never reuses its earlier request ids.
  requestIdPrefix: () => randomBytes(6).toString('hex'),
};
