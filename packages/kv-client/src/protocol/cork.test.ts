import { once } from 'node:events';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { corkUntilNextTick } from './cork.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** A connected loopback pair: the client socket and everything the server side receives. */
async function pair(): Promise<{ client: Socket; received: () => string }> {
  let data = '';
  const server = createServer((s) => s.on('data', (d: Buffer) => (data += d.toString())));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  closers.push(() => {
    client.destroy();
    server.close();
  });
  return { client, received: () => data };
}

const nextTick = (): Promise<void> => new Promise((r) => process.nextTick(r));

describe('corkUntilNextTick', () => {
  it('sends the writes of one turn in one system call, in order, once the turn is over', async () => {
    const { client, received } = await pair();
    const single = vi.spyOn(client as unknown as { _write: () => void }, '_write');
    const gathered = vi.spyOn(client as unknown as { _writev: (chunks: unknown[]) => void }, '_writev');
    corkUntilNextTick(client);
    client.write('a');
    corkUntilNextTick(client); // again in the same turn: still one cork, released once
    client.write('b');
    client.write('c');
    expect(single).not.toHaveBeenCalled();
    expect(gathered).not.toHaveBeenCalled();
    await nextTick();
    expect(client.writableCorked).toBe(0);
    expect(single).not.toHaveBeenCalled();
    expect(gathered).toHaveBeenCalledTimes(1);
    expect((gathered.mock.calls[0]![0] as unknown[]).length).toBe(3);
    await vi.waitFor(() => expect(received()).toBe('abc'), { timeout: 10_000 });
  });

  it('leaves a socket alone that the caller corked itself, and tolerates one destroyed before the tick', async () => {
    const { client } = await pair();
    client.cork();
    corkUntilNextTick(client);
    await nextTick();
    expect(client.writableCorked).toBe(1); // the caller's cork is the caller's to release
    client.uncork();
    corkUntilNextTick(client);
    client.write('x');
    client.destroy();
    await nextTick(); // uncorking a destroyed socket throws nothing
    expect(client.destroyed).toBe(true);
  });
});
