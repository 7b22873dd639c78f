// The HTTP(S) front: one request pipeline — authenticate, route, authorize, dispatch, map every error to a
// Status, record metrics — over the handlers of resource-handlers.ts and the static documents.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { ANONYMOUS_USER, authorize, isPublicPath, type Authenticator, type Verb } from '../auth/auth.ts';
import type { TokenUser } from '../auth/token-file.ts';
import { ApiError, errors } from '../api/status.ts';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions } from '../discovery/discovery.ts';
import { openApiDocument, openApiRoot } from '../discovery/openapi.ts';
import { versionInfo } from '../discovery/version.ts';
import { runHealthChecks, type HealthCheck } from '../health/health.ts';
import type { ApiserverMetrics } from '../metrics/metrics.ts';
import type { ResourceRegistry } from '../registry/registry.ts';
import { groupResourceOf } from '../registry/resource.ts';
import { toApiError } from '../registry/storage-errors.ts';
import { Query } from './params.ts';
import { handleCreate, handleDelete, handleGet, handleList, handlePatch, handleUpdate, handleWatch, type HandlerDeps, type ResourceCall } from './resource-handlers.ts';
import { sendError, sendJson, sendText } from './respond.ts';
import { Router, type RouteMatch } from './router.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface HttpDeps extends HandlerDeps {
  readonly registry: ResourceRegistry;
  readonly authenticator: Authenticator;
  readonly metrics: ApiserverMetrics;
  readonly livez: readonly HealthCheck[];
  readonly readyz: readonly HealthCheck[];
  readonly logger: Logger;
}

export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** What one request was, for metrics (kube-apiserver's verb names). */
interface RequestInfo {
  verb: string;
  resource: string;
}

export function createApiServer(deps: HttpDeps, tls?: TlsFiles): Server {
  const router = new Router();
  const handler = (req: IncomingMessage, res: ServerResponse): void => void handle(deps, router, req, res);
  return tls === undefined ? createHttpServer(handler) : createHttpsServer({ cert: tls.cert, key: tls.key }, handler);
}

async function handle(deps: HttpDeps, router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const info: RequestInfo = { verb: req.method ?? 'GET', resource: '' };
  res.on('finish', () => {
    deps.metrics.requests.inc({ verb: info.verb, resource: info.resource, code: String(res.statusCode) });
    if (info.verb !== 'WATCH') deps.metrics.latency.observe({ verb: info.verb, resource: info.resource }, (performance.now() - started) / 1000);
  });
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    let user: TokenUser = ANONYMOUS_USER;
    if (deps.authenticator.enabled && !isPublicPath(path)) {
      const u = deps.authenticator.authenticate(req.headers.authorization);
      if (u === undefined) throw errors.unauthorized();
      user = u;
    }
    const match = router.find(req.method ?? 'GET', path);
    if (match === 'notFound') throw errors.pathNotFound();
    if (match === 'methodNotAllowed') throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {});
    const query = new Query(url.searchParams);
    if (match.target.kind === 'resource') {
      await dispatchResource(deps, match, req, res, query, user, info);
    } else {
      await serveStatic(deps, match, req, res, query);
    }
  } catch (err) {
    const apiErr = toApiError(err);
    if (apiErr.code >= 500) deps.logger.error(`${req.method} ${req.url}: ${apiErr.message}`);
    // A body the client is still sending is drained so the connection can carry the error response.
    if (!req.complete) req.resume();
    sendError(res, apiErr);
  }
}

async function serveStatic(deps: HttpDeps, match: RouteMatch, req: IncomingMessage, res: ServerResponse, query: Query): Promise<void> {
  const t = match.target;
  const p = match.params;
  switch (t.kind) {
    case 'version':
      return sendJson(res, 200, versionInfo());
    case 'metrics':
      return sendText(res, 200, await deps.metrics.text(), deps.metrics.contentType);
    case 'health': {
      const checks = t.endpoint === 'livez' ? deps.livez : deps.readyz;
      const r = await runHealthChecks(t.endpoint, checks, query.string('verbose') !== undefined, t.single ? p['check'] : undefined);
      return sendText(res, r.status, r.body);
    }
    case 'apiVersions':
      return sendJson(res, 200, apiVersions(req.headers.host ?? 'localhost'));
    case 'apiGroupList':
      return sendJson(res, 200, apiGroupList(deps.registry));
    case 'apiGroup': {
      const doc = apiGroupDocument(deps.registry, p['group'] ?? '');
      if (doc === undefined) throw errors.pathNotFound();
      return sendJson(res, 200, doc);
    }
    case 'apiResourceList': {
      const doc = apiResourceList(deps.registry, { group: t.core ? '' : (p['group'] ?? ''), version: p['version'] ?? '' });
      if (doc === undefined) throw errors.pathNotFound();
      return sendJson(res, 200, doc);
    }
    case 'openapiRoot':
      return sendJson(res, 200, openApiRoot(deps.registry));
    case 'openapiDocument': {
      const doc = openApiDocument(deps.registry, { group: t.core ? '' : (p['group'] ?? ''), version: p['version'] ?? '' });
      if (doc === undefined) throw errors.pathNotFound();
      return sendJson(res, 200, doc);
    }
    case 'resource':
      throw errors.internal('resource route in serveStatic');
    default: {
      const never: never = t;
      return never;
    }
  }
}

async function dispatchResource(deps: HttpDeps, match: RouteMatch, req: IncomingMessage, res: ServerResponse, query: Query, user: TokenUser, info: RequestInfo): Promise<void> {
  const t = match.target;
  if (t.kind !== 'resource') throw errors.internal('not a resource route');
  const p = match.params;
  const def = deps.registry.find(t.core ? '' : (p['group'] ?? ''), p['version'] ?? '', p['resource'] ?? '');
  if (def === undefined) throw errors.pathNotFound();
  // A namespaced resource needs the namespace form for items; a cluster-scoped one never has it.
  if (t.inNamespace && !def.namespaced) throw errors.pathNotFound();
  if (!t.inNamespace && def.namespaced && t.shape === 'item') throw errors.pathNotFound();
  info.resource = def.plural;
  const namespace = t.inNamespace ? (p['namespace'] ?? '') : '';
  const call: ResourceCall = { req, res, def, namespace, ...(t.shape === 'item' ? { name: p['name'] ?? '' } : {}), query };
  const method = req.method ?? 'GET';
  const watching = method === 'GET' && query.bool('watch');
  let verb: Verb;
  let run: () => Promise<void>;
  if (t.shape === 'collection') {
    if (method === 'GET') [verb, run] = watching ? ['watch', () => handleWatch(deps, call)] : ['list', () => handleList(deps, call)];
    else if (method === 'POST') [verb, run] = ['create', () => handleCreate(deps, call)];
    else throw errors.methodNotSupported(groupResourceOf(def), method === 'DELETE' ? 'deletecollection' : method.toLowerCase());
    if (method === 'POST' && def.namespaced && !t.inNamespace) throw errors.pathNotFound();
  } else {
    if (method === 'GET') [verb, run] = watching ? ['watch', () => handleWatch(deps, call)] : ['get', () => handleGet(deps, call)];
    else if (method === 'PUT') [verb, run] = ['update', () => handleUpdate(deps, call)];
    else if (method === 'PATCH') [verb, run] = ['patch', () => handlePatch(deps, call)];
    else if (method === 'DELETE') [verb, run] = ['delete', () => handleDelete(deps, call)];
    else throw errors.methodNotSupported(groupResourceOf(def), 'create on a named object');
  }
  info.verb = verb === 'create' ? 'POST' : verb === 'update' ? 'PUT' : verb.toUpperCase();
  if (!authorize(user, verb)) throw errors.forbidden(user.name, verb, groupResourceOf(def), call.name ?? '', namespace);
  await run();
}
