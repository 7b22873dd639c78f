// @halyard/apiserver's public surface.
export { startApiserver, type ApiserverOptions, type RunningApiserver, BOOKMARK_INTERVAL_MS_DEFAULT, WATCH_TIMEOUT_MIN_MS_DEFAULT } from './server.ts';
export { registerApiserverCommand, runApiserver, type ApiserverFlags } from './cli/command.ts';
export { kubeconfig, writeKubeconfig, type KubeconfigSpec } from './cli/kubeconfig.ts';
export { HalyardStorage, type HalyardStorageOptions } from './storage/halyard-storage.ts';
export { EtcdStorage, type EtcdStorageOptions } from './storage/etcd-storage.ts';
export { StorageError, type Storage, type StorageErrorCode } from './storage/storage.ts';
export { parseTokenFile, TokenFileError, type TokenUser } from './auth/token-file.ts';
export { READ_ONLY_GROUP } from './auth/auth.ts';
export { ApiError, type StatusReason } from './api/status.ts';
export { BUILTIN_RESOURCES } from './registry/builtin/index.ts';
export type { ResourceDefinition } from './registry/resource.ts';
