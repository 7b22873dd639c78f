// Tells a TLS refusal apart from a member that is merely down. A refused handshake is a configuration
// mistake that no retry fixes (etcd's clientv3 surfaces it as "authentication handshake failed" from
// gRPC's transport instead of retrying), so the client reports it at once as a TlsError with the reason.
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { KvError } from '../protocol/errors.ts';

/** OpenSSL / Node error codes and what they mean for the user, checked against `err.code`. */
const REASONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_SIGNATURE_FAILURE)$/, "the member's certificate is not signed by a trusted CA (give the cluster CA with --cacert)"],
  [/^ERR_TLS_CERT_ALTNAME_INVALID$/, "the member's certificate is not valid for this host name"],
  [/^(CERT_HAS_EXPIRED|CERT_NOT_YET_VALID)$/, "the member's certificate is outside its validity period"],
  [/CERTIFICATE_REQUIRED$/, 'the member requires a client certificate (give --cert and --key)'],
  [/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|DECRYPT_ERROR|ACCESS_DENIED)$/, 'the member refused the client certificate (not signed by the CA it trusts)'],
  [/HANDSHAKE_FAILURE$/, 'the TLS handshake failed (a client certificate may be missing)'],
  [/(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST|UNKNOWN_PROTOCOL|RECORD_LAYER_FAILURE)$/, 'the endpoint does not speak TLS (use http:// for it, or check the port)'],
];

/** The reason a dial error is a TLS refusal, or undefined when it is not one. */
export function tlsFailureReason(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    for (const [pattern, reason] of REASONS) if (pattern.test(code)) return `${reason} [${code}]`;
  }
  // Node reports some OpenSSL failures with the generic code EPROTO and the OpenSSL reason in the message.
  const message = err.message.replace(/\s+/g, ' ').trim();
  const opensslReason = /:SSL routines:[^:]*:([^:]+)/.exec(message)?.[1];
  if (opensslReason !== undefined) {
    const asCode = opensslReason.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    for (const [pattern, reason] of REASONS) if (pattern.test(asCode)) return `${reason} [${opensslReason}]`;
  }
  if (/alert certificate required/i.test(message)) return `the member requires a client certificate (give --cert and --key) [${message}]`;
  return undefined;
}

export function tlsError(endpoint: string, reason: string): KvError {
  return new KvError('TlsError', `TLS to ${endpoint} failed: ${reason}`);
}

/** How long the http:// → TLS port probe may take: loopback or LAN, so a second is plenty. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * After an http:// dial whose socket was cut before any answer: true when the port speaks TLS. A TLS
 * server drops a plain HTTP request without a word, which otherwise looks like a member that crashed.
 */
export function speaksTls(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host, port, rejectUnauthorized: false, servername: undefined });
    const done = (v: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), PROBE_TIMEOUT_MS);
    // A server that demands a client certificate may still complete the handshake (TLS 1.3 sends the
    // refusal after it) or refuse with an alert: both prove it speaks TLS.
    s.once('secureConnect', () => done(true));
    s.once('error', (e: Error) => done(/ALERT|CERTIFICATE_REQUIRED/i.test(String((e as { code?: unknown }).code ?? e.message))));
  });
}

/** How long the https:// probe waits for a refusal after its handshake. */
const REFUSAL_WAIT_MS = 1_000;

/**
 * After an https:// dial whose socket was cut before any answer: the TLS reason when a second handshake
 * with the same credentials is refused. Under TLS 1.3 a server checks the client certificate after the
 * client has finished its handshake, so the refusal can race with the upgrade request and reach ws as a
 * bare "socket hang up"; the probe sends nothing and waits for the alert.
 */
export function tlsRefusal(host: string, port: number, options: Pick<ConnectionOptions, 'ca' | 'cert' | 'key'>): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host, port, ...options });
    const done = (v: string | undefined): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), PROBE_TIMEOUT_MS + REFUSAL_WAIT_MS);
    let secured = false;
    s.once('secureConnect', () => (secured = true));
    s.once('error', (e: Error) => done(tlsFailureReason(e)));
    // Node's TLS server verifies a TLS 1.3 client certificate after the handshake and, when it fails,
    // just closes (no alert). An HTTP server that accepted us would wait for our request instead.
    const onEnd = (): void =>
      done(secured ? (options.cert === undefined ? 'the member requires a client certificate (give --cert and --key)' : 'the member closed the connection right after the TLS handshake: it refused the client certificate (not signed by the CA it trusts)') : undefined);
    s.once('end', onEnd);
    s.once('close', onEnd);
  });
}
