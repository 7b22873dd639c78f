// The put trace's arithmetic on hand-made stamps: which member is the leader, which follower completed
// the quorum, and what each step costs measured from what it waits for.

import { describe, expect, it } from 'vitest';
import type { WriteTraceDump } from '../../packages/kv/src/server/write-trace.ts';
import { analysePuts } from '../../packages/cli/bench/put-trace/analyse.ts';

const US = 1000;

describe('analysePuts', () => {
  it('matches a put to the leader entry it caused and measures each step from what it waits for', () => {
    const leader: WriteTraceDump = {
      memberId: 1,
      entries: [
        // An entry no client put caused (a lease revoke): left out.
        { index: 4, stagesNs: { proposed: 50 * US } },
        {
          index: 5,
          stagesNs: {
            clientRecv: 100 * US,
            proposed: 110 * US,
            appendSent: 130 * US,
            persistStart: 140 * US,
            persistEnd: 400 * US,
            ackRecv: 600 * US,
            applyStart: 650 * US,
            applied: 660 * US,
            replySent: 700 * US,
          },
        },
      ],
    };
    const slow: WriteTraceDump = { memberId: 2, entries: [{ index: 5, stagesNs: { appendRecv: 200 * US, persistStart: 210 * US, persistEnd: 900 * US, ackSent: 950 * US } }] };
    const fast: WriteTraceDump = { memberId: 3, entries: [{ index: 5, stagesNs: { appendRecv: 180 * US, persistStart: 190 * US, persistEnd: 500 * US, ackSent: 550 * US } }] };
    const r = analysePuts([{ sendNs: 0, recvNs: 800 * US }], [slow, leader, fast]);
    expect(r.matched).toBe(1);
    const row = (label: string) => r.rows.find((x) => x.stage === label)!;
    // The quorum's follower is the one whose acknowledgement left first (member 3).
    expect(row('follower: persist done (fsync)').atUsP50).toBe(500);
    expect(row('follower: append received').stepUsP50).toBe(50);
    // Commit waits for the later of the leader's own fsync (400) and the acknowledgement (600).
    expect(row('leader: committed, apply starts').stepUsP50).toBe(50);
    expect(row('client: reply received').stepUsP50).toBe(100);
    expect(r.totalUsP50).toBe(800);
  });

  it('leaves out a put whose request the leader never stamped', () => {
    const r = analysePuts([{ sendNs: 0, recvNs: 10 }], [{ memberId: 1, entries: [{ index: 1, stagesNs: { clientRecv: 50 } }] }]);
    expect(r.matched).toBe(0);
    expect(r.puts).toBe(1);
  });
});
