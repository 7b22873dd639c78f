// The verbs on resources: list / watch / get / create / update / patch / delete, from parsed HTTP requests to
// the object store and back, with the response in the format the client negotiated.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFieldSelector, type FieldSelector } from '../api/field-selector.ts';
import { isJsonObject, type Json, type JsonObject } from '../api/json.ts';
import { parseLabelSelector } from '../api/label-selector.ts';
import { meta, type ApiObject } from '../api/object.ts';
import { errors } from '../api/status.ts';
import { patchTypeOf } from '../patch/apply-patch.ts';
import { listObject, listObjects, supportedFieldSelectors, type ListRequest } from '../registry/list.ts';
import type { ResourceDefinition } from '../registry/resource.ts';
import type { DeleteRequest, ObjectStore } from '../registry/store.ts';
import type { Storage } from '../storage/storage.ts';
import { partialObjectMetadata, parseIncludeObject, toTable, type TableOptions } from '../table/table.ts';
import type { WatchEvent } from '../watch/events.ts';
import { runWatch } from '../watch/watch-stream.ts';
import { parseJson, parseObjectBody, readBody } from './body.ts';
import { contentTypeOf, negotiate, type ResponseFormat } from './negotiate.ts';
import { checkFieldManager, parseDryRun, parseFieldValidation, type Query } from './params.ts';
import { sendJson } from './respond.ts';

export interface HandlerDeps {
  readonly store: ObjectStore;
  readonly storage: Storage;
  readonly bodyLimitBytes: number;
  readonly bookmarkIntervalMs: number;
  /** Watches without timeoutSeconds end after a random time in [min, 2·min) (kube-apiserver's min-request-timeout). */
  readonly watchTimeoutMinMs: number;
  readonly nowMs: () => number;
  /** Called when a watch starts (+1) and ends (-1), for the watcher gauge. */
  readonly onWatch: (resource: string, delta: 1 | -1) => void;
}

export interface ResourceCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly def: ResourceDefinition;
  /** '' for cluster-scoped resources and all-namespace requests. */
  readonly namespace: string;
  readonly name?: string;
  readonly query: Query;
}

function selectors(call: ResourceCall): Pick<ListRequest, 'labelSelector' | 'fieldSelector'> {
  let fieldSelector: FieldSelector = parseFieldSelector(call.query.string('fieldSelector') ?? '', supportedFieldSelectors(call.def));
  if (call.name !== undefined) fieldSelector = parseFieldSelector(`metadata.name=${call.name}`, supportedFieldSelectors(call.def));
  return { labelSelector: parseLabelSelector(call.query.string('labelSelector') ?? ''), fieldSelector };
}

function resourceVersionMatch(q: Query): ListRequest['resourceVersionMatch'] {
  const v = q.string('resourceVersionMatch');
  if (v === undefined || v === '') return undefined;
  if (v === 'NotOlderThan' || v === 'Exact') return v;
  throw errors.badRequest(`resourceVersionMatch: Unsupported value: ${JSON.stringify(v)}: supported values: "Exact", "NotOlderThan"`);
}

export async function handleList(deps: HandlerDeps, call: ResourceCall): Promise<void> {
  const format = negotiate(call.req.headers.accept);
  const includeObject = parseIncludeObject(call.query.string('includeObject'));
  const rv = call.query.string('resourceVersion');
  const cont = call.query.string('continue');
  const match = resourceVersionMatch(call.query);
  const r = await listObjects(deps.storage, call.def, {
    namespace: call.namespace,
    ...selectors(call),
    limit: call.query.integer('limit', 0),
    ...(cont !== undefined ? { continueToken: cont } : {}),
    ...(rv !== undefined ? { resourceVersion: rv } : {}),
    ...(match !== undefined ? { resourceVersionMatch: match } : {}),
  });
  const list = listObject(call.def, r);
  switch (format.kind) {
    case 'json':
      return sendJson(call.res, 200, list);
    case 'Table':
      return sendJson(call.res, 200, toTable(call.def, r.items, list['metadata'] as JsonObject, { includeObject, noHeaders: false, metaApiVersion: format.metaApiVersion }, deps.nowMs()), contentTypeOf(format));
    case 'PartialObjectMetadataList':
      return sendJson(call.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: format.metaApiVersion, metadata: list['metadata']!, items: r.items.map((o) => partialObjectMetadata(o, format.metaApiVersion)) }, contentTypeOf(format));
    case 'PartialObjectMetadata':
      throw errors.notAcceptable('you requested PartialObjectMetadata, but the requested object is a list');
  }
}

export async function handleGet(deps: HandlerDeps, call: ResourceCall): Promise<void> {
  const format = negotiate(call.req.headers.accept);
  const includeObject = parseIncludeObject(call.query.string('includeObject'));
  const obj = await deps.store.get(call.def, call.namespace, call.name!);
  switch (format.kind) {
    case 'json':
      return sendJson(call.res, 200, obj);
    case 'Table':
      return sendJson(call.res, 200, toTable(call.def, [obj], { resourceVersion: meta.resourceVersion(obj) }, { includeObject, noHeaders: false, metaApiVersion: format.metaApiVersion }, deps.nowMs()), contentTypeOf(format));
    case 'PartialObjectMetadata':
      return sendJson(call.res, 200, partialObjectMetadata(obj, format.metaApiVersion), contentTypeOf(format));
    case 'PartialObjectMetadataList':
      throw errors.notAcceptable('you requested PartialObjectMetadataList, but the requested object is not a list');
  }
}

async function objectBody(deps: HandlerDeps, call: ResourceCall): Promise<Json> {
  return parseObjectBody(await readBody(call.req, deps.bodyLimitBytes), call.req.headers['content-type']);
}

export async function handleCreate(deps: HandlerDeps, call: ResourceCall): Promise<void> {
  checkFieldManager(call.query);
  const options = { dryRun: parseDryRun(call.query), fieldValidation: parseFieldValidation(call.query) };
  const body = await objectBody(deps, call);
  const r = await deps.store.create(call.def, call.namespace, body, options);
  sendJson(call.res, 201, r.object, 'application/json', r.warnings);
}

export async function handleUpdate(deps: HandlerDeps, call: ResourceCall): Promise<void> {
  checkFieldManager(call.query);
  const options = { dryRun: parseDryRun(call.query), fieldValidation: parseFieldValidation(call.query) };
  const body = await objectBody(deps, call);
  const r = await deps.store.update(call.def, call.namespace, call.name!, body, options);
  sendJson(call.res, 200, r.object, 'application/json', r.warnings);
}

export async function handlePatch(deps: HandlerDeps, call: ResourceCall): Promise<void> {
  checkFieldManager(call.query);
  const type = patchTypeOf(call.req.headers['content-type']);
  const options = { dryRun: parseDryRun(call.query), fieldValidation: parseFieldValidation(call.query) };
  const patch = parseJson(await readBody(call.req, deps.bodyLimitBytes), 'patch');
  const r = await deps.store.patch(call.def, call.namespace, call.name!, type, patch, options);
  sendJson(call.res, 200, r.object, 'application/json', r.warnings);
}

const PROPAGATION_POLICIES: readonly string[] = ['Orphan', 'Background', 'Foreground'];

/** DeleteOptions from the body (optional) and the query, checked. */
function deleteRequest(call: ResourceCall, body: Buffer): DeleteRequest {
  let dryRun = parseDryRun(call.query);
  let preconditions: DeleteRequest['preconditions'];
  const policy = call.query.string('propagationPolicy');
  if (policy !== undefined && !PROPAGATION_POLICIES.includes(policy)) throw errors.badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(policy)}`);
  call.query.integer('gracePeriodSeconds', 0);
  if (body.length > 0) {
    const opts = parseObjectBody(body, call.req.headers['content-type'], 'DeleteOptions body');
    if (!isJsonObject(opts)) throw errors.badRequest('DeleteOptions must be a JSON object');
    const kind = opts['kind'];
    if (kind !== undefined && kind !== '' && kind !== 'DeleteOptions') throw errors.badRequest(`the body of a delete must be DeleteOptions, got kind ${JSON.stringify(kind)}`);
    const p = opts['propagationPolicy'];
    if (p !== undefined && p !== null && (typeof p !== 'string' || !PROPAGATION_POLICIES.includes(p))) throw errors.badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(p)}`);
    const grace = opts['gracePeriodSeconds'];
    if (grace !== undefined && grace !== null && (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0)) throw errors.badRequest('gracePeriodSeconds must be a non-negative integer');
    const dr = opts['dryRun'];
    if (Array.isArray(dr) && dr.length > 0) {
      if (!dr.every((v) => v === 'All')) throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(dr)}: supported values: "All"`);
      dryRun = true;
    }
    const pre = opts['preconditions'];
    if (isJsonObject(pre)) {
      const uid = pre['uid'];
      const rv = pre['resourceVersion'];
      if ((uid !== undefined && uid !== null && typeof uid !== 'string') || (rv !== undefined && rv !== null && typeof rv !== 'string')) throw errors.badRequest('preconditions.uid and preconditions.resourceVersion must be strings');
      preconditions = { ...(typeof uid === 'string' ? { uid } : {}), ...(typeof rv === 'string' ? { resourceVersion: rv } : {}) };
    }
  }
  return { dryRun, ...(preconditions !== undefined ? { preconditions } : {}) };
}

export async function handleDelete(deps: HandlerDeps, call: ResourceCall): Promise<void> {
  const body = await readBody(call.req, deps.bodyLimitBytes);
  const status = await deps.store.delete(call.def, call.namespace, call.name!, deleteRequest(call, body));
  sendJson(call.res, 200, status);
}

/** Converts a watch event's object to the negotiated format (errors and bookmarks pass through). */
function transformEvent(def: ResourceDefinition, e: WatchEvent, format: ResponseFormat, tableOptions: TableOptions, nowMs: number): JsonObject {
  if (e.type === 'ERROR' || e.type === 'BOOKMARK' || format.kind === 'json') return { type: e.type, object: e.object };
  if (format.kind === 'Table') return { type: e.type, object: toTable(def, [e.object as ApiObject], { resourceVersion: meta.resourceVersion(e.object) }, tableOptions, nowMs) };
  return { type: e.type, object: partialObjectMetadata(e.object, format.metaApiVersion) };
}

export async function handleWatch(deps: HandlerDeps, call: ResourceCall): Promise<void> {
  const format = negotiate(call.req.headers.accept);
  const includeObject = parseIncludeObject(call.query.string('includeObject'));
  const sel = selectors(call);
  const timeoutSeconds = call.query.integer('timeoutSeconds', 0);
  const timeoutMs = timeoutSeconds > 0 ? timeoutSeconds * 1000 : deps.watchTimeoutMinMs * (1 + Math.random());
  const rv = call.query.string('resourceVersion');
  const request = {
    namespace: call.namespace,
    ...sel,
    ...(rv !== undefined ? { resourceVersion: rv } : {}),
    allowWatchBookmarks: call.query.bool('allowWatchBookmarks'),
    sendInitialEvents: call.query.bool('sendInitialEvents'),
    timeoutMs,
    bookmarkIntervalMs: deps.bookmarkIntervalMs,
  };
  const abort = new AbortController();
  call.res.on('close', () => abort.abort());
  call.res.writeHead(200, { 'Content-Type': contentTypeOf(format), 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  call.res.flushHeaders();
  let headersSent = false;
  deps.onWatch(call.def.plural, 1);
  try {
    await runWatch(deps.storage, call.def, request, {
      signal: abort.signal,
      write: async (e) => {
        if (abort.signal.aborted) return;
        // Column definitions go with the first event only (kubectl reuses them for the rest).
        const out = transformEvent(call.def, e, format, { includeObject, noHeaders: headersSent, metaApiVersion: format.kind === 'json' ? 'meta.k8s.io/v1' : format.metaApiVersion }, deps.nowMs());
        if (e.type !== 'ERROR' && e.type !== 'BOOKMARK') headersSent = true;
        if (!call.res.write(`${JSON.stringify(out)}\n`)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              call.res.off('drain', done);
              call.res.off('close', done);
              resolve();
            };
            call.res.on('drain', done);
            call.res.on('close', done);
          });
        }
      },
    });
  } finally {
    deps.onWatch(call.def.plural, -1);
    call.res.end();
  }
}
