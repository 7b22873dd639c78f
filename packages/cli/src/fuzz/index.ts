// The cluster fuzzer: real members, a nemesis, and the linearizability checker over the history.
export { runClusterFuzz, PLANTED_BUGS, type PlantedBug, type ClusterFuzzOptions, type ClusterFuzzSummary } from './cluster-fuzz.ts';
