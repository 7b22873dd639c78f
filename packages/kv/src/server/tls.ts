// Reading a port's TLS files at startup, with an error that names the file that is missing or unreadable.
import { readFileSync } from 'node:fs';
import { ConfigError, type TlsFiles } from './config.ts';

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

function read(path: string, what: string): Buffer {
  try {
    const b = readFileSync(path);
    if (!b.toString('utf8').includes('-----BEGIN')) throw new Error('not a PEM file');
    return b;
  } catch (e) {
    throw new ConfigError(`${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function loadTls(files: TlsFiles | undefined, port: 'peer' | 'client'): TlsMaterial | undefined {
  if (files === undefined) return undefined;
  const flag = port === 'peer' ? '--peer-' : '--';
  return {
    cert: read(files.certFile, `${flag}cert-file`),
    key: read(files.keyFile, `${flag}key-file`),
    ...(files.trustedCaFile !== undefined ? { ca: read(files.trustedCaFile, `${flag}trusted-ca-file`) } : {}),
  };
}
