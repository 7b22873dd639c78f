// What the elector reports for monitoring. The elector depends on this interface only; prom-metrics.ts
// implements it with prom-client for services that use it, so prom-client is never forced on anyone.

export interface ElectionMetrics {
  /** This instance started (true) or stopped (false) leading the election `name`. */
  leading(name: string, isLeader: boolean): void;
  /** This instance observed the holder of `name` change (to anyone, itself included). */
  holderChanged(name: string): void;
  /** One renewal attempt of `name` finished after `seconds`. */
  renewed(name: string, seconds: number, outcome: 'success' | 'failure'): void;
}

export const noMetrics: ElectionMetrics = {
  leading: () => {},
  holderChanged: () => {},
  renewed: () => {},
};
