// The one place storage errors become Status errors.
import { ApiError, errors } from '../api/status.ts';
import { StorageError } from '../storage/storage.ts';

/** `requestedRevision`: the resourceVersion the client asked for, for the 410/504 messages. */
export function toApiError(err: unknown, requestedRevision?: number): ApiError {
  if (err instanceof ApiError) return err;
  if (!(err instanceof StorageError)) return errors.internal(err instanceof Error ? err.message : String(err));
  switch (err.code) {
    case 'Compacted': {
      const compact = err.revisions.compactRevision;
      const rv = requestedRevision ?? 0;
      return errors.expired(compact === undefined ? `too old resource version: ${rv}` : `too old resource version: ${rv} (${compact})`);
    }
    case 'FutureRevision': {
      const current = err.revisions.currentRevision;
      return errors.timeout(`Too large resource version: ${requestedRevision ?? '?'}, current: ${current ?? '?'}`);
    }
    case 'Unavailable':
      return errors.serviceUnavailable(`storage is unavailable: ${err.message}`);
    case 'Timeout':
      return errors.timeout(`request did not complete within the storage deadline (a write may or may not have been applied): ${err.message}`);
    case 'Internal':
      return errors.internal(err.message);
    default: {
      const never: never = err.code;
      return never;
    }
  }
}
