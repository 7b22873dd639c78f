// A running member: the Raft member plus its client service.
import { ClientService } from './client-service.ts';
import { type MemberConfig, MEMBER_DEFAULTS } from './config.ts';
import type { KvMember } from './member.ts';
import { startKvMember } from './start.ts';
import type { TransportLogger } from '../transport/index.ts';

export { KvMember, VERSION, toWsUrl, LEASE_CHECKPOINT_INTERVAL_MS, REMOVED_MEMBER_STOP_DELAY_ELECTIONS, STOP_WRITE_WAIT_MS, type MemberDeps, type RaftTuning } from './member.ts';
export { startKvMember } from './start.ts';
export type { ReadBarrierBugs } from './read-barrier.ts';
export { ReadyLoop, type ReadyApplier, type ReadyLoopDeps } from './ready-loop.ts';
export { bootMember, bootstrapWrite, type BootState, type DurableState } from './boot.ts';
export { ClientRequests } from './requests.ts';
export { KvStateMachine } from './state-machine.ts';
export { encodeMemberContext, decodePayload, type EntryPayload } from './payload.ts';
export type * from './seams.ts';
export { IMMEDIATE_APPLY } from './seams.ts';
export type { ClusterIds } from './config.ts';
export { ClientService } from './client-service.ts';
export { type MemberConfig, type TlsFiles, MEMBER_DEFAULTS, ConfigError, parseInitialCluster, validateConfig, clusterIds } from './config.ts';
export { memberIdOf, clusterIdOf, idToHex } from './ids.ts';
export { toWireError } from './wire-errors.ts';
export { snapshotStatus, restoreSnapshot, SnapshotFileError, type SnapshotStatus, type SnapshotMeta, type RestoreOptions, type RestoreResult } from './snapshot-file.ts';
export { hashKv, type KvHash } from './kv-hash.ts';
export { StateMachineDisk } from './state-machine-disk.ts';
export { SnapshotReceiver } from './snapshot-receiver.ts';
export { MVCC_DIR_DEFAULT, MVCC_POINTER_FILE, currentMvccDirName, mvccDirAtStart, receivedDirName } from './mvcc-dirs.ts';

export interface RunningMember {
  readonly member: KvMember;
  readonly service: ClientService;
  /** Resolves once the member has stopped and its client port is closed. */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

export type MemberFlags = Pick<MemberConfig, 'name' | 'dataDir' | 'peerUrl' | 'clientUrl' | 'initialCluster'> & Partial<MemberConfig>;

export function memberConfig(flags: MemberFlags): MemberConfig {
  return { ...MEMBER_DEFAULTS, ...flags };
}

export async function startMember(flags: MemberFlags, logger?: TransportLogger): Promise<RunningMember> {
  const member = await startKvMember(memberConfig(flags), logger);
  const service = new ClientService(member);
  try {
    await service.start();
  } catch (e) {
    await member.stop();
    throw e;
  }
  // However the member stops (a signal, removal from the cluster, a fatal error), its port closes too.
  const stopped = new Promise<void>((resolve) => member.onStopped(() => void service.close().then(resolve, resolve)));
  return {
    member,
    service,
    stopped,
    async stop() {
      await service.close();
      await member.stop();
    },
  };
}
