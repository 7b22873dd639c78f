// Hostile input at a running member's doors. On the client port: text frames, bytes that are not
// msgpack, msgpack that is not a request, an unknown method, bad parameters and an oversize frame each get
// a typed error, and the member (and, except where the protocol says otherwise, the same connection)
// keeps serving. On the peer port: a member of another cluster (another token, so another cluster id) is
// refused at the handshake and changes nothing. And a member that cannot open its peer port says so and
// exits.

import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KvError, bytesToString, toBytes } from '@halyard/kv-client';
import { LocalCluster } from '@halyard/cli/cluster';
import { encodeFrame, type ServerFrame } from '@halyard/kv-client/protocol';
import { MEMBER_DEFAULTS } from '@halyard/kv/server';
import { ClusterHarness, PORT_STRIDE, waitFor } from './harness.ts';
import { RawWs } from './raw-ws.ts';

let h: ClusterHarness | undefined;
let stranger: LocalCluster | undefined;
const raws: RawWs[] = [];

/** The frame after the first `from` the server sent: for a frameError, which no request id claims. */
async function nextFrame(ws: RawWs, from: number): Promise<ServerFrame> {
  await waitFor('a frame from the member', () => ws.frames.length > from || ws.isClosed, 10_000);
  const f = ws.frames[from];
  if (f === undefined) throw new Error(`connection closed (code ${ws.closeCode}) instead of a frame`);
  return f;
}

function errorCode(f: ServerFrame): string {
  if (f.type === 'error' || f.type === 'frameError') return f.error.code;
  throw new Error(`expected an error, got ${JSON.stringify(f)}`);
}

export function badInputTests(): void {
  describe('bad input to a running member', () => {
    afterEach(async (ctx) => {
      for (const r of raws.splice(0)) r.close();
      await stranger?.stopAll();
      stranger = undefined;
      await h?.close(ctx.task.result?.state === 'fail');
      h = undefined;
    });

    it('answers bad client frames with typed errors and keeps serving', async () => {
      h = await ClusterHarness.create({ size: 3 });
      await h.startAll();
      const names = h.cluster.members.map((m) => m.name);
      const leader = await h.waitForLeader(names);
      const ws = await RawWs.connect(h.url(leader.name));
      raws.push(ws);
      const ok = async (): Promise<void> => {
        const r = await ws.call('status', {});
        expect(r.type).toBe('response');
      };

      // Frames that cannot be attributed to a request: a frameError, and the connection stays usable.
      let n = ws.frames.length;
      ws.sendText('{"id":1,"method":"range"}');
      expect(errorCode(await nextFrame(ws, n))).toBe('BadFrame');
      await ok();
      n = ws.frames.length;
      ws.sendFrame(Uint8Array.from([0xc1, 0xff, 0x00, 0x13, 0x37]));
      expect(errorCode(await nextFrame(ws, n))).toBe('BadFrame');
      await ok();
      n = ws.frames.length;
      ws.sendFrame(encodeFrame([1, 2, 3]));
      expect(errorCode(await nextFrame(ws, n))).toBe('BadFrame');
      await ok();

      // Requests with an id: the error comes back on that id.
      const unknown = await ws.call('dropDatabase', {});
      expect(unknown.type === 'error' && unknown.id > 0 ? unknown.error.code : unknown).toBe('BadFrame');
      const badParams = await ws.call('put', { key: 'not bytes', value: toBytes('v') });
      expect(errorCode(badParams)).toBe('InvalidRequest');
      const badRequestId = await ws.call('put', { key: toBytes('k'), value: toBytes('v') }, { requestId: 'x'.repeat(1000) });
      expect(errorCode(badRequestId)).toBe('InvalidRequest');
      await ok();

      // Oversize: a put whose frame exceeds --max-request-bytes gets a typed TooLarge answer on its id, and
      // the connection keeps serving; through KvClient it is a TooLarge error, not retried.
      const big = new Uint8Array(MEMBER_DEFAULTS.requestSizeBytesMax + 1024);
      const tooLarge = await ws.call('put', { key: toBytes('big'), value: big }, { timeoutMs: 15_000 }).catch((e: unknown) => e);
      expect(tooLarge instanceof Error ? `${tooLarge.message} (close code ${ws.closeCode})` : errorCode(tooLarge as ServerFrame)).toBe('TooLarge');
      await ok();
      const viaClient = await h.client([h.url(leader.name)]).put('big', big).catch((e: unknown) => e);
      expect(viaClient).toBeInstanceOf(KvError);
      expect((viaClient as KvError).code).toBe('TooLarge');
      // A frame far past any limit is not even read: the member closes the WebSocket (1009, message too big;
      // the close frame may be lost to a reset while we are still sending) and keeps serving others.
      const huge = await RawWs.connect(h.url(leader.name));
      raws.push(huge);
      huge.sendFrame(new Uint8Array(4 * MEMBER_DEFAULTS.requestSizeBytesMax));
      await waitFor('the member to close the connection of the huge frame', () => huge.isClosed, 10_000);
      if (huge.closeCode !== undefined) expect(huge.closeCode).toBe(1009);
      await ok();

      // The member still serves everyone: writes through the cluster, linearizable reads on it.
      const client = h.client();
      const put = await client.put('bad/after', 'fine');
      const r = await h.client([h.url(leader.name)]).get('bad/after');
      expect(r.kvs.map((kv) => bytesToString(kv.value))).toEqual(['fine']);
      expect(r.kvs[0]!.modRevision).toBe(put.header.revision);
      expect(h.cluster.isRunning(leader.name)).toBe(true);
    });

    it('refuses a peer of another cluster (cluster id mismatch) and changes nothing', async () => {
      h = await ClusterHarness.create({ size: 3 });
      await h.startAll();
      const names = h.cluster.members.map((m) => m.name);
      const leader = await h.waitForLeader(names);
      await h.client().put('bad/peer', 'before');
      const victim = names.find((n) => n !== leader.name)!;
      const rejectedBefore = await h.metric(victim, 'halyard_peer_frames_rejected_total', { reason: 'ClusterIdMismatch' });

      // A one-process "cluster" with its own token, in our free port range after the three members, that
      // lists the victim's real peer URL as its second member: it dials the victim with its own cluster id.
      stranger = new LocalCluster({
        size: 1,
        dataDir: join(h.dataDir, 'stranger'),
        clientPortBase: h.portBase + 3 * PORT_STRIDE,
        portStride: PORT_STRIDE,
        tickMs: 50,
        clusterToken: `${h.clusterToken}-other`,
        stdio: 'pipe',
      });
      const own = stranger.members[0]!;
      await stranger.start(own.name, 'new', `${own.name}=${own.peerUrl},intruder-target=${h.spec(victim).peerUrl}`);

      await waitFor('the victim to refuse the stranger', async () => (await h!.metric(victim, 'halyard_peer_frames_rejected_total', { reason: 'ClusterIdMismatch' })) > rejectedBefore);
      // The stranger learns why: the victim's error frame names the mismatch.
      await waitFor('the stranger to hear ClusterIdMismatch', async () => {
        const res = await fetch(`${own.clientUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
        return /halyard_peer_error_frames_received_total\{[^}]*code="ClusterIdMismatch"[^}]*\} [1-9]/.test(await res.text());
      });
      // Nothing of the stranger leaked in: same members and data everywhere, still a leader.
      for (const n of names) {
        const list = await h.client([h.url(n)]).memberList();
        expect(list.members.map((m) => m.name).sort()).toEqual(names.slice().sort());
      }
      await h.waitForLeader(names);
      const r = await h.client([h.url(victim)]).get('bad/peer');
      expect(r.kvs.map((kv) => bytesToString(kv.value))).toEqual(['before']);
      // And the stranger, whose second member never answers, has no leader to serve anything with.
      const health = await fetch(`${own.clientUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      expect(health.status).toBe(503);
    });

    it('exits with an error when its peer port is taken, instead of hanging', async () => {
      h = await ClusterHarness.create({ size: 3 });
      const port = Number(new URL(h.spec('m1').peerUrl).port);
      const blocker = createServer();
      await new Promise<void>((resolve, reject) => {
        blocker.once('error', reject);
        blocker.listen(port, '127.0.0.1', () => resolve());
      });
      try {
        // With peers to dial, the member used to keep retrying them forever after its listen failed.
        await expect(h.start('m1')).rejects.toThrow(/exited with 1 before it was ready[\s\S]*EADDRINUSE/);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });
  });
}
