// `@halyard/kv/config`: a member's configuration — its type, defaults, flag parsing and validation —
// without loading the server (LevelDB, prom-client, the transport). The `halyard` CLI defines the flags
// of `kv member run` from it on every start, and loads the server only to run one.
export { type MemberConfig, type TlsFiles, MEMBER_DEFAULTS, ConfigError, parseInitialCluster, validateConfig, clusterIds } from '../server/config.ts';
export { memberIdOf, clusterIdOf, idToHex } from '../server/ids.ts';
