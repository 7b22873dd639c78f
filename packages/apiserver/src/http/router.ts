// URL routing with find-my-way. Each route carries a descriptor (the route's `store`) saying what it serves;
// dispatch, auth and error handling stay in server.ts. Paths follow kube-apiserver's layout.
import FindMyWay from 'find-my-way';

export type RouteTarget =
  /** /api/v1/<plural>[/<name>], /api/v1/namespaces/<ns>/<plural>[/<name>], and the same under /apis/<group>/<version>. */
  | { readonly kind: 'resource'; readonly shape: 'collection' | 'item'; readonly inNamespace: boolean; readonly core: boolean }
  | { readonly kind: 'apiVersions' }
  | { readonly kind: 'apiGroupList' }
  | { readonly kind: 'apiGroup' }
  | { readonly kind: 'apiResourceList'; readonly core: boolean }
  | { readonly kind: 'version' }
  | { readonly kind: 'openapiRoot' }
  | { readonly kind: 'openapiDocument'; readonly core: boolean }
  | { readonly kind: 'health'; readonly endpoint: 'livez' | 'readyz' | 'healthz'; readonly single: boolean }
  | { readonly kind: 'metrics' };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const ALL_METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface RouteMatch {
  readonly target: RouteTarget;
  readonly params: Readonly<Record<string, string | undefined>>;
}

export class Router {
  private readonly fmw = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 512 });

  constructor() {
    const noop = (): void => {};
    const get = (path: string, target: RouteTarget): void => this.fmw.on('GET', path, noop, target);
    const any = (path: string, target: RouteTarget): void => this.fmw.on(ALL_METHODS, path, noop, target);

    get('/version', { kind: 'version' });
    get('/metrics', { kind: 'metrics' });
    for (const endpoint of ['livez', 'readyz', 'healthz'] as const) {
      get(`/${endpoint}`, { kind: 'health', endpoint, single: false });
      get(`/${endpoint}/:check`, { kind: 'health', endpoint, single: true });
    }
    get('/openapi/v3', { kind: 'openapiRoot' });
    get('/openapi/v3/api/:version', { kind: 'openapiDocument', core: true });
    get('/openapi/v3/apis/:group/:version', { kind: 'openapiDocument', core: false });

    get('/api', { kind: 'apiVersions' });
    get('/api/:version', { kind: 'apiResourceList', core: true });
    get('/apis', { kind: 'apiGroupList' });
    get('/apis/:group', { kind: 'apiGroup' });
    get('/apis/:group/:version', { kind: 'apiResourceList', core: false });

    for (const core of [true, false]) {
      const base = core ? '/api/:version' : '/apis/:group/:version';
      any(`${base}/:resource`, { kind: 'resource', shape: 'collection', inNamespace: false, core });
      any(`${base}/:resource/:name`, { kind: 'resource', shape: 'item', inNamespace: false, core });
      any(`${base}/namespaces/:namespace/:resource`, { kind: 'resource', shape: 'collection', inNamespace: true, core });
      any(`${base}/namespaces/:namespace/:resource/:name`, { kind: 'resource', shape: 'item', inNamespace: true, core });
    }
  }

  /** The route of `method` at `path`; `methodNotAllowed` when the path exists for other methods only. */
  find(method: string, path: string): RouteMatch | 'notFound' | 'methodNotAllowed' {
    const m = ALL_METHODS.includes(method as HttpMethod) ? this.fmw.find(method as HttpMethod, path) : null;
    if (m !== null) return { target: m.store as RouteTarget, params: m.params };
    return ALL_METHODS.some((other) => this.fmw.find(other, path) !== null) ? 'methodNotAllowed' : 'notFound';
  }
}
