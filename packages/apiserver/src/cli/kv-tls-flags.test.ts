// --kv-cacert/--kv-cert/--kv-key: read at start-up, refused when incomplete or not PEM.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { type ApiserverFlags, kvClientTlsFromFlags } from './command.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
const base: ApiserverFlags = { port: 0, bindAddress: '127.0.0.1', storage: 'halyard', kvEndpoints: ['https://127.0.0.1:2379'], maxRequestBodyBytes: 1024, bookmarkIntervalMs: 1000 };

describe('the KV client TLS flags', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('read the CA, certificate and key; none given means no TLS options', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'halyard-kvtls-'));
    dirs.push(dir);
    for (const f of ['ca.crt', 'c.crt', 'c.key']) await writeFile(join(dir, f), `${PEM}${f}\n`);
    const tls = await kvClientTlsFromFlags({ ...base, kvCacert: join(dir, 'ca.crt'), kvCert: join(dir, 'c.crt'), kvKey: join(dir, 'c.key') });
    expect(tls?.ca?.toString()).toContain('ca.crt');
    expect(tls?.cert?.toString()).toContain('c.crt');
    expect(tls?.key?.toString()).toContain('c.key');
    expect(await kvClientTlsFromFlags(base)).toBeUndefined();
  });

  it('refuse a certificate without its key, a missing file, and a file that is not PEM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'halyard-kvtls-'));
    dirs.push(dir);
    await writeFile(join(dir, 'junk'), 'not a certificate');
    await expect(kvClientTlsFromFlags({ ...base, kvCert: join(dir, 'junk') })).rejects.toThrow(/--kv-cert and --kv-key go together/);
    await expect(kvClientTlsFromFlags({ ...base, kvCacert: join(dir, 'absent') })).rejects.toThrow(InvalidArgumentError);
    await expect(kvClientTlsFromFlags({ ...base, kvCacert: join(dir, 'junk') })).rejects.toThrow(/not a PEM file/);
  });
});
