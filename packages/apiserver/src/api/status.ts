// metav1.Status errors. Every failure the apiserver reports is an ApiError carrying the HTTP code, the
// machine-readable reason and the message kube-apiserver uses for the same situation (the texts follow
// k8s.io/apimachinery/pkg/api/errors so clients that match on them — kubectl, client-go — behave the same).
import type { JsonObject } from './json.ts';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'Expired'
  | 'Gone'
  | 'Timeout'
  | 'ServiceUnavailable'
  | 'InternalError';

/** A field-level cause (metav1.StatusCause), as `Invalid` errors list them. */
export interface StatusCause {
  readonly reason?: string;
  readonly message: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

/** The group/resource pair kube-apiserver prints as `configmaps` or `leases.coordination.k8s.io`. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

export function groupResourceString(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

/** A group/kind pair, printed as `ConfigMap` or `Lease.coordination.k8s.io` in Invalid messages. */
export function groupKindString(group: string, kind: string): string {
  return group === '' ? kind : `${kind}.${group}`;
}

/** An error with a metav1.Status form. `reason` is the stable code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  /** The metav1.Status body. */
  toStatus(): JsonObject {
    const status: JsonObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason };
    if (this.details !== undefined) status['details'] = detailsJson(this.details);
    status['code'] = this.code;
    return status;
  }
}

function detailsJson(d: StatusDetails): JsonObject {
  const out: JsonObject = {};
  if (d.name !== undefined) out['name'] = d.name;
  if (d.group !== undefined && d.group !== '') out['group'] = d.group;
  if (d.kind !== undefined) out['kind'] = d.kind;
  if (d.uid !== undefined) out['uid'] = d.uid;
  if (d.causes !== undefined) {
    out['causes'] = d.causes.map((c) => {
      const j: JsonObject = {};
      if (c.reason !== undefined) j['reason'] = c.reason;
      j['message'] = c.message;
      if (c.field !== undefined) j['field'] = c.field;
      return j;
    });
  }
  if (d.retryAfterSeconds !== undefined) out['retryAfterSeconds'] = d.retryAfterSeconds;
  return out;
}

/** The Status a successful delete returns (kube-apiserver's for resources without graceful deletion). */
export function successStatus(details: StatusDetails): JsonObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: detailsJson(details) };
}

// ---------------------------------------------------------------------------- constructors (one per reason)

export const errors = {
  notFound(gr: GroupResource, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${groupResourceString(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.resource });
  },
  /** A path that names no resource: kube-apiserver's generic 404, which kubectl reads as "no such resource type". */
  pathNotFound(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  alreadyExists(gr: GroupResource, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${groupResourceString(gr)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource });
  },
  conflict(gr: GroupResource, name: string, why: string): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${groupResourceString(gr)} "${name}": ${why}`, { name, group: gr.group, kind: gr.resource });
  },
  /** The optimistic-concurrency conflict: a write carried a resourceVersion that is no longer current. */
  staleResourceVersion(gr: GroupResource, name: string): ApiError {
    return errors.conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
  },
  invalid(group: string, kind: string, name: string, causes: readonly FieldError[]): ApiError {
    const rendered = causes.map(renderFieldError);
    const summary = rendered.length === 1 ? rendered[0]! : `[${rendered.join(', ')}]`;
    const message = causes.length === 0 ? `${groupKindString(group, kind)} "${name}" is invalid` : `${groupKindString(group, kind)} "${name}" is invalid: ${summary}`;
    return new ApiError(422, 'Invalid', message, {
      name,
      group,
      kind,
      causes: causes.map((c, i) => ({ reason: c.type, message: fieldErrorBody(c, rendered[i]!), field: c.field })),
    });
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  forbidden(user: string, verb: string, gr: GroupResource | undefined, name: string, namespace: string): ApiError {
    const what = gr === undefined ? '' : `resource "${gr.resource}" in API group "${gr.group}"`;
    const where = namespace === '' ? (gr === undefined ? '' : ' at the cluster scope') : ` in the namespace "${namespace}"`;
    const why = `User "${user}" cannot ${verb} ${what}${where}`;
    if (gr === undefined) return new ApiError(403, 'Forbidden', `forbidden: ${why}`, {});
    const prefix = name === '' ? `${groupResourceString(gr)} is forbidden` : `${groupResourceString(gr)} "${name}" is forbidden`;
    const details: StatusDetails = name === '' ? { group: gr.group, kind: gr.resource } : { name, group: gr.group, kind: gr.resource };
    return new ApiError(403, 'Forbidden', `${prefix}: ${why}`, details);
  },
  /** A refusal that is not about the user's rights (e.g. deleting a system namespace). */
  forbiddenBecause(gr: GroupResource, name: string, why: string): ApiError {
    return new ApiError(403, 'Forbidden', `${groupResourceString(gr)} "${name}" is forbidden: ${why}`, { name, group: gr.group, kind: gr.resource });
  },
  methodNotSupported(gr: GroupResource, action: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${groupResourceString(gr)}"`, { group: gr.group, kind: gr.resource });
  },
  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },
  unsupportedMediaType(contentType: string): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json (got ${contentType})`);
  },
  tooLarge(limitBytes: number): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`);
  },
  /** A resourceVersion older than the storage keeps history for (compacted): clients re-list. */
  expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  serviceUnavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  },
  timeout(message: string): ApiError {
    return new ApiError(504, 'Timeout', `Timeout: ${message}`, { retryAfterSeconds: 1 });
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  },
};

// ---------------------------------------------------------------------------------------- field errors

/** field.ErrorType values, as they appear in Status causes. */
export type FieldErrorType = 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueDuplicate' | 'FieldValueTypeInvalid';

/** One validation failure on one field (field.Error). */
export interface FieldError {
  readonly type: FieldErrorType;
  /** JSON path as kube-apiserver prints it: `metadata.name`, `data[key]`, `spec.leaseDurationSeconds`. */
  readonly field: string;
  readonly value?: unknown;
  readonly detail?: string;
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueRequired: 'Required value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueTypeInvalid: 'Invalid value',
};

function fieldErrorBody(e: FieldError, rendered: string): string {
  return rendered.slice(e.field.length + 2);
}

/** `field: Invalid value: "x": detail`, the form field.Error.Error() prints. */
export function renderFieldError(e: FieldError): string {
  let s = `${e.field}: ${typeText[e.type]}`;
  const withValue = e.type === 'FieldValueInvalid' || e.type === 'FieldValueNotSupported' || e.type === 'FieldValueDuplicate' || e.type === 'FieldValueTypeInvalid';
  if (withValue && e.value !== undefined) s += `: ${typeof e.value === 'string' ? JSON.stringify(e.value) : JSON.stringify(e.value) ?? String(e.value)}`;
  if (e.detail !== undefined && e.detail !== '') s += `: ${e.detail}`;
  return s;
}

export const fieldError = {
  invalid: (field: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, value, detail }),
  required: (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail }),
  notSupported: (field: string, value: unknown, valid: readonly string[]): FieldError => ({ type: 'FieldValueNotSupported', field, value, detail: `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail }),
  tooLong: (field: string, maxLength: number): FieldError => ({ type: 'FieldValueTooLong', field, detail: `must have at most ${maxLength} bytes` }),
  typeInvalid: (field: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, value, detail }),
};
