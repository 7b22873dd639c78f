// The fenced write an active controller replica makes each time it acts: a ConfigMap per controller
// (`kube-system/halyard-<controller>-fence`) holding the highest fencing token that wrote it, updated only
// on its resourceVersion (optimistic concurrency), and refused when a higher token already wrote — the
// fencing-token rule of Kleppmann's "How to do distributed locking", enforced by the store's
// compare-and-swap. A replica whose write is refused was deposed without knowing it: it records a stale
// marker ConfigMap so `halyard chaos` can count it, and stops acting.
import { type ConfigMap, isAlreadyExists, isConflict, isNotFound, type KubeClient, paths } from '../kube/kube-client.ts';

import { CONTROLLER_NAMESPACE, fenceName, STALE_LABEL, staleMarkerName } from './names.ts';

const FENCE_NAMESPACE = CONTROLLER_NAMESPACE;
/** Attempts of one fenced write against concurrent writers (409 Conflict) before giving up this round. */
export const FENCE_ATTEMPTS_MAX = 5;

/** The data of the fence ConfigMap. */
export interface FenceRecord {
  readonly holder: string;
  readonly token: number;
  /** Writes by this holder under this token. */
  readonly seq: number;
  readonly writtenAt: string;
}

export function parseFence(cm: ConfigMap): FenceRecord | undefined {
  const d = cm.data ?? {};
  const token = Number(d.token);
  const seq = Number(d.seq);
  if (typeof d.holder !== 'string' || !Number.isSafeInteger(token) || !Number.isSafeInteger(seq)) return undefined;
  return { holder: d.holder, token, seq, writtenAt: d.writtenAt ?? '' };
}

export type FenceOutcome = { readonly type: 'written'; readonly resourceVersion: string } | { readonly type: 'refused'; readonly by: FenceRecord } | { readonly type: 'contended' };

export class FencedWriter {
  private seq = 0;
  private seqToken = -1;

  constructor(
    private readonly kube: KubeClient,
    readonly controller: string,
    readonly identity: string,
  ) {}

  /** One fenced write under `token`; network errors propagate (the outcome of the write is then unknown). */
  async write(token: number, signal?: AbortSignal): Promise<FenceOutcome> {
    if (token !== this.seqToken) {
      this.seqToken = token;
      this.seq = 0;
    }
    const path = paths.configMap(FENCE_NAMESPACE, fenceName(this.controller));
    for (let attempt = 0; attempt < FENCE_ATTEMPTS_MAX; attempt++) {
      const record: FenceRecord = { holder: this.identity, token, seq: this.seq + 1, writtenAt: new Date().toISOString() };
      const data = { holder: record.holder, token: String(token), seq: String(record.seq), writtenAt: record.writtenAt };
      let current: ConfigMap | undefined;
      try {
        current = await this.kube.get<ConfigMap>(path, signal);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      try {
        if (current === undefined) {
          const made = await this.kube.create<ConfigMap>(paths.configMaps(FENCE_NAMESPACE), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: fenceName(this.controller), namespace: FENCE_NAMESPACE }, data }, signal);
          this.seq = record.seq;
          return { type: 'written', resourceVersion: made.metadata.resourceVersion ?? '' };
        }
        const stored = parseFence(current);
        if (stored !== undefined && stored.token > token) {
          await this.markStale(token, stored, signal);
          return { type: 'refused', by: stored };
        }
        const updated = await this.kube.update<ConfigMap>(path, { ...current, data }, signal);
        this.seq = record.seq;
        return { type: 'written', resourceVersion: updated.metadata.resourceVersion ?? '' };
      } catch (e) {
        if (isConflict(e) || isAlreadyExists(e)) continue;
        throw e;
      }
    }
    return { type: 'contended' };
  }

  private async markStale(token: number, by: FenceRecord, signal?: AbortSignal): Promise<void> {
    const name = staleMarkerName(this.controller, this.identity, token);
    try {
      await this.kube.create(
        paths.configMaps(FENCE_NAMESPACE),
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: FENCE_NAMESPACE, labels: { [STALE_LABEL]: this.controller } }, data: { identity: this.identity, token: String(token), refusedBy: by.holder, refusedByToken: String(by.token), at: new Date().toISOString() } },
        signal,
      );
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
}
