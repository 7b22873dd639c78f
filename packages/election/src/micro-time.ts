// Kubernetes MicroTime: RFC 3339 in UTC with exactly six fractional digits (metav1.MicroTime's wire format,
// e.g. "2024-05-01T12:34:56.123456Z"), which is what a Lease's acquireTime and renewTime carry.

const MICROS_PER_MS = 1000;
const MICRO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Formats epoch microseconds as MicroTime. */
export function formatMicroTime(epochMicros: number): string {
  if (!Number.isSafeInteger(epochMicros) || epochMicros < 0) throw new RangeError(`epoch microseconds must be a non-negative integer, got ${epochMicros}`);
  const ms = Math.floor(epochMicros / MICROS_PER_MS);
  const micros = epochMicros % MICROS_PER_MS;
  // toISOString gives "…SS.mmmZ"; the three digits below the millisecond go before the Z.
  return `${new Date(ms).toISOString().slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}

/** True for RFC 3339 date-times as the apiserver accepts them (any fraction length, Z or an offset). */
export function isRfc3339(text: string): boolean {
  const m = MICRO_TIME.exec(text);
  if (m === null) return false;
  const [, , month, day, hour, minute, second] = m.map(Number) as number[];
  return month! >= 1 && month! <= 12 && day! >= 1 && day! <= 31 && hour! <= 23 && minute! <= 59 && second! <= 60 && !Number.isNaN(Date.parse(text));
}
