import { describe, expect, it } from 'vitest';
import { tlsFailureReason } from './tls-errors.ts';

function err(message: string, code?: string): Error {
  return Object.assign(new Error(message), code !== undefined ? { code } : {});
}

describe('tlsFailureReason', () => {
  it('names the reason of each TLS refusal', () => {
    expect(tlsFailureReason(err('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'))).toMatch(/not signed by a trusted CA/);
    expect(tlsFailureReason(err('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'))).toMatch(/not signed by a trusted CA/);
    expect(tlsFailureReason(err("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'))).toMatch(/not valid for this host name/);
    expect(tlsFailureReason(err('certificate has expired', 'CERT_HAS_EXPIRED'))).toMatch(/validity period/);
    expect(tlsFailureReason(err('alert certificate required', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'))).toMatch(/requires a client certificate/);
    expect(tlsFailureReason(err('alert unknown ca', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'))).toMatch(/refused the client certificate/);
    expect(tlsFailureReason(err('write EPROTO 80DC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl3_record.c:350:', 'EPROTO'))).toMatch(/does not speak TLS/);
  });

  it('leaves errors that are not about TLS alone (they are retried as lost connections)', () => {
    expect(tlsFailureReason(err('connect ECONNREFUSED 127.0.0.1:2379', 'ECONNREFUSED'))).toBeUndefined();
    expect(tlsFailureReason(err('socket hang up', 'ECONNRESET'))).toBeUndefined();
    expect(tlsFailureReason(err('Opening handshake has timed out'))).toBeUndefined();
  });
});
