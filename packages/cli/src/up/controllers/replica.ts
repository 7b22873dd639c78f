// One replica of an example controller ("controller-manager" or "scheduler" style): campaigns for its
// kind's Lease through the apiserver with @halyard/election (client-go's algorithm: 15 s / 10 s / 2 s by
// default), and while it leads makes a fenced write every work interval. It acts only while its term
// holds by its own clock (`lease.holds()` right before each write, the signal passed to the write), and
// stops acting the moment the fence says a newer token wrote — a deposed leader that did not know.
import { ApiserverLeaseLock, type ElectionLogger, LeaderElector, type LeadingLease } from '@halyard/election';
import { errorMessage } from '../errors.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { FencedWriter } from './fence.ts';
import { CONTROLLER_NAMESPACE, leaseName } from './names.ts';
import type { ReplicaStatus } from './status-server.ts';

export interface ReplicaOptions {
  readonly controller: string;
  readonly identity: string;
  readonly server: string;
  readonly token: string;
  readonly kube: KubeClient;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly workIntervalMs: number;
  readonly logger: ElectionLogger;
}

export class ControllerReplica {
  readonly status: ReplicaStatus;
  private readonly elector: LeaderElector;
  private readonly writer: FencedWriter;

  constructor(private readonly o: ReplicaOptions) {
    this.status = { identity: o.identity, controller: o.controller, leading: false, fencingToken: null, fencedWrites: 0, staleWritesRefused: 0, leader: '' };
    this.writer = new FencedWriter(o.kube, o.controller, o.identity);
    this.elector = new LeaderElector({
      lock: new ApiserverLeaseLock({ server: o.server, namespace: CONTROLLER_NAMESPACE, name: leaseName(o.controller), bearerToken: o.token }),
      identity: o.identity,
      leaseDurationMs: o.leaseDurationMs,
      renewDeadlineMs: o.renewDeadlineMs,
      retryPeriodMs: o.retryPeriodMs,
      // A replica stopped on purpose hands over at once, as kube-controller-manager's --leader-elect-release-lease… ;
      // a crashed one (kill -9) cannot, and the standby waits out the lease.
      releaseOnCancel: true,
      reCampaign: true,
      logger: o.logger,
      callbacks: {
        onStartedLeading: (signal, lease) => this.lead(signal, lease),
        onStoppedLeading: () => {
          this.status.leading = false;
          o.logger.info(`${o.identity}: stopped leading`);
        },
        onNewLeader: (identity) => {
          this.status.leader = identity;
          o.logger.info(`${o.identity}: the leader is now ${identity}`);
        },
      },
    });
  }

  /** Campaigns and leads until `signal` aborts (then releases the lease once the work has stopped). */
  run(signal: AbortSignal): Promise<void> {
    return this.elector.run(signal);
  }

  private async lead(signal: AbortSignal, lease: LeadingLease): Promise<void> {
    this.status.leading = true;
    this.status.fencingToken = lease.fencingToken;
    this.o.logger.info(`${this.o.identity}: leading with fencing token ${lease.fencingToken}`);
    while (lease.holds()) {
      try {
        const r = await this.writer.write(lease.fencingToken, signal);
        if (r.type === 'written') this.status.fencedWrites++;
        if (r.type === 'refused') {
          this.status.staleWritesRefused++;
          this.o.logger.warn(`${this.o.identity}: fenced write refused: token ${r.by.token} of ${r.by.holder} is newer than ours (${lease.fencingToken}); no longer acting`);
          return;
        }
      } catch (e) {
        if (!signal.aborted) this.o.logger.warn(`${this.o.identity}: fenced write failed: ${errorMessage(e)}`);
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const t = setTimeout(done, this.o.workIntervalMs);
        signal.addEventListener('abort', done, { once: true });
      });
    }
    this.status.leading = false;
  }
}
