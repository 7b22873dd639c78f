// A local cluster of real member processes, and its status page.
export { LocalCluster, READY_TIMEOUT_MS_DEFAULT, type LocalClusterOptions, type LocalMemberSpec, type MemberPorts } from './local-cluster.ts';
export { Dashboard, type DashboardSample, type MemberRow } from './dashboard.ts';
