// Authentication by bearer token (static token file) and a deliberately simple authorization: a user is
// read-write unless one of its groups is READ_ONLY_GROUP, which allows only get, list and watch. Without a
// token file every request is the anonymous read-write user (a development setup, as kube-apiserver with
// AlwaysAllow). With one, anonymous requests are refused (401), except the health and version endpoints that
// kube-apiserver's default RBAC also opens to everyone.
import { timingSafeEqual } from 'node:crypto';
import type { TokenUser } from './token-file.ts';

/** Members of this group may only read (get, list, watch). */
export const READ_ONLY_GROUP = 'halyard:read-only';
export const ANONYMOUS_USER: TokenUser = { name: 'system:anonymous', uid: '', groups: ['system:unauthenticated'] };

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
export const READ_VERBS: ReadonlySet<Verb> = new Set<Verb>(['get', 'list', 'watch']);

/** Paths that never need a token. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/livez', '/readyz', '/healthz', '/version']);

export function isPublicPath(path: string): boolean {
  if (PUBLIC_PATHS.has(path)) return true;
  return path.startsWith('/livez/') || path.startsWith('/readyz/') || path.startsWith('/healthz/');
}

export class Authenticator {
  /** `tokens` undefined: no token file, everyone is anonymous and allowed. */
  constructor(private readonly tokens: ReadonlyMap<string, TokenUser> | undefined) {}

  get enabled(): boolean {
    return this.tokens !== undefined;
  }

  /** The user of an Authorization header; undefined when a token file is in use and the header names no user. */
  authenticate(authorization: string | undefined): TokenUser | undefined {
    if (this.tokens === undefined) return ANONYMOUS_USER;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (m === null) return undefined;
    const presented = Buffer.from(m[1]!);
    // Compare against every token in constant time per token, so timing does not reveal prefixes.
    let found: TokenUser | undefined;
    for (const [token, user] of this.tokens) {
      const t = Buffer.from(token);
      if (t.length === presented.length && timingSafeEqual(t, presented)) found = user;
    }
    return found;
  }
}

/** Whether `user` may do `verb`. */
export function authorize(user: TokenUser, verb: Verb): boolean {
  if (READ_VERBS.has(verb)) return true;
  return !user.groups.includes(READ_ONLY_GROUP);
}
