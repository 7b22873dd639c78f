// Kubernetes `Status` error bodies (metav1.Status: kind, code, reason, message) mapped to ElectionError,
// in one place: NotFound → 'NotFound', Conflict and AlreadyExists → 'Conflict', the rest → 'Unavailable'.
import { ElectionError } from '../errors.ts';

export interface StatusBody {
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
}

export function parseStatus(text: string): StatusBody | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || (v as Record<string, unknown>)['kind'] !== 'Status') return undefined;
    const o = v as Record<string, unknown>;
    return {
      ...(typeof o['code'] === 'number' ? { code: o['code'] } : {}),
      ...(typeof o['reason'] === 'string' ? { reason: o['reason'] } : {}),
      ...(typeof o['message'] === 'string' ? { message: o['message'] } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The error for a non-2xx answer (`status` is the HTTP status; the body may or may not be a Status). */
export function statusError(where: string, status: number, body: string): ElectionError {
  const s = parseStatus(body);
  const reason = s?.reason ?? '';
  const message = `${where}: ${status}${reason !== '' ? ` ${reason}` : ''}: ${s?.message ?? body.slice(0, 200)}`;
  if (status === 404 || reason === 'NotFound') return new ElectionError('NotFound', message);
  if (status === 409 || reason === 'Conflict' || reason === 'AlreadyExists') return new ElectionError('Conflict', message);
  return new ElectionError('Unavailable', message);
}
