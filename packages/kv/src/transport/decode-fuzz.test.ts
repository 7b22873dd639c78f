// Whatever bytes a peer sends, decoding either yields a valid frame or throws a FrameError: never a
// TypeError, never a crash, never a half-checked value.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from '../raft/types.ts';
import { pack } from '../storage/msgpack.ts';
import { ShapeError } from '../storage/shape.ts';
import { decodeMessage } from './decode-message.ts';
import { FrameError } from './errors.ts';
import { decodeFrame, encodeFrame } from './frames.ts';

const LIMITS = { messagesPerFrameMax: 64 };

const SAMPLE: Message[] = [
  { type: 'append', from: 1, to: 2, term: 3, prevLogIndex: 4, prevLogTerm: 2, commit: 4, entries: [{ type: 'normal', index: 5, term: 3, data: Uint8Array.of(1, 2) }] },
  { type: 'vote', from: 1, to: 2, term: 3, lastLogIndex: 4, lastLogTerm: 2, transfer: false },
  { type: 'snapshot', from: 1, to: 2, term: 3, snapshot: { metadata: { index: 9, term: 3, confState: { voters: [1, 2], learners: [] } }, data: Uint8Array.of(5) } },
];

function decodesOrFrameError(bytes: Uint8Array): void {
  try {
    decodeFrame(bytes, LIMITS);
  } catch (e) {
    if (!(e instanceof FrameError)) throw e;
  }
}

/** Some generated values (bigints beyond 64 bits) cannot be encoded at all; those are not the decoder's concern. */
function tryPack(v: unknown): Uint8Array | undefined {
  try {
    return pack(v);
  } catch {
    return undefined;
  }
}

describe('frame decoding under fuzz', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => decodesOrFrameError(b)), { numRuns: 2000 });
  });

  it('valid frames with bytes flipped, cut or appended', () => {
    const valid = encodeFrame({ t: 'msgs', msgs: SAMPLE });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { maxLength: 6 }), fc.nat(valid.length), fc.uint8Array({ maxLength: 8 }), (flips, cut, tail) => {
        const b = Uint8Array.from(valid);
        for (const [at, x] of flips) b[at] = b[at]! ^ x;
        const bytes = new Uint8Array([...b.subarray(0, cut), ...tail]);
        decodesOrFrameError(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('arbitrary msgpack values as frames and as messages', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true }), (v) => {
        const packed = tryPack({ t: 'msgs', msgs: [v] });
        if (packed) decodesOrFrameError(packed);
        const bare = tryPack(v);
        if (bare) decodesOrFrameError(bare);
        try {
          decodeMessage(v);
        } catch (e) {
          expect(e).toBeInstanceOf(ShapeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
