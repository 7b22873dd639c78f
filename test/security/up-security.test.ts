// `halyard up`'s wiring (up/security.ts): KV members get peer and client mutual TLS, the apiservers a
// KV client certificate of their own (apiserver-kv-client), and the certificates are reused on restart.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { APISERVER_KV_CLIENT, clusterTls } from '../../packages/cli/src/up/security.ts';

function flag(args: readonly string[], name: string): string {
  const i = args.indexOf(name);
  expect(i).toBeGreaterThanOrEqual(0);
  return args[i + 1] as string;
}

describe('halyard up security wiring', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('wires mutual TLS for members and the apiservers, and reuses the certificates', async () => {
    const pki = join(await mkdtemp(join(tmpdir(), 'halyard-upsec-')), 'pki');
    dirs.push(pki);
    const s = await clusterTls(pki, ['apiserver-1'], ['kv-1', 'kv-2']);
    expect(s.kvScheme).toBe('https');
    expect(s.apiserverScheme).toBe('https');
    const member = s.kvMemberFlags('kv-1');
    const kvCa = flag(member, '--trusted-ca-file');
    expect(flag(member, '--peer-trusted-ca-file')).toBe(kvCa);
    expect(new X509Certificate(await readFile(flag(member, '--peer-cert-file'))).subject).toContain('CN=kv-1');
    const api = s.apiserverFlags('apiserver-1');
    expect(flag(api, '--kv-cacert')).toBe(kvCa);
    const apiClient = new X509Certificate(await readFile(flag(api, '--kv-cert')));
    expect(apiClient.subject).toContain(`CN=${APISERVER_KV_CLIENT}`);
    expect(apiClient.checkIssued(new X509Certificate(await readFile(kvCa)))).toBe(true);
    expect(flag(api, '--tls-cert-file')).toContain('apiserver-1');
    expect(s.kvClientTls?.ca.equals(await readFile(kvCa))).toBe(true);
    const again = await clusterTls(pki, ['apiserver-1'], ['kv-1', 'kv-2']);
    expect(await readFile(flag(again.apiserverFlags('apiserver-1'), '--kv-cert'))).toEqual(await readFile(flag(api, '--kv-cert')));
  });
});
