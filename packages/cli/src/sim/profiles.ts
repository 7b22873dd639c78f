// Named sets of the simulator's knobs. A run is reproduced by (seed, nodes, ticks, clients, faults,
// bugs, profile), so every knob a test turns must live in a named profile the replay command can name.

export interface Tuning {
  /** One-way message delay when reordering is on (uniform in [min, max]); a fixed middle value when off. */
  readonly delayMsMin: number;
  readonly delayMsMax: number;
  readonly delayMsFixed: number;
  readonly dropProbability: number;
  readonly duplicateProbability: number;
  readonly fsyncDelayMsMin: number;
  readonly fsyncDelayMsMax: number;
  readonly faultIntervalMsMin: number;
  readonly faultIntervalMsMax: number;
  readonly downtimeMsMin: number;
  readonly downtimeMsMax: number;
  readonly pauseMsMin: number;
  readonly pauseMsMax: number;
  /** Small messages and windows make flow control, batching and partial replication happen often. */
  readonly maxSizePerMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly snapshotEveryEntries: number;
  readonly compactRetainEntries: number;
  readonly clientKeys: number;
  readonly clientThinkMsMin: number;
  readonly clientThinkMsMax: number;
  readonly readProbability: number;
  readonly casProbability: number;
  readonly forwardProbability: number;
  /** Reactive nemesis (with the partition fault): isolate a leader right after its election / a commit. */
  readonly isolateNewLeaderProbability: number;
  readonly isolateCommittingLeaderProbability: number;
}

const DEFAULT: Tuning = {
  delayMsMin: 1,
  delayMsMax: 30,
  delayMsFixed: 5,
  dropProbability: 0.05,
  duplicateProbability: 0.05,
  fsyncDelayMsMin: 1,
  fsyncDelayMsMax: 8,
  faultIntervalMsMin: 100,
  faultIntervalMsMax: 800,
  downtimeMsMin: 50,
  downtimeMsMax: 1500,
  pauseMsMin: 100,
  pauseMsMax: 1000,
  maxSizePerMsgBytes: 512,
  maxInflightMsgs: 8,
  snapshotEveryEntries: 12,
  compactRetainEntries: 3,
  clientKeys: 3,
  clientThinkMsMin: 5,
  clientThinkMsMax: 60,
  readProbability: 0.35,
  casProbability: 0.2,
  forwardProbability: 0.3,
  isolateNewLeaderProbability: 0.1,
  isolateCommittingLeaderProbability: 0.01,
};

/**
 * Faster faults, one entry per append message, hard compaction and one key: more leader changes with
 * partially replicated logs (the figure 8 shape), more snapshots, more reads racing writes on one key.
 */
const AGGRESSIVE: Tuning = {
  ...DEFAULT,
  faultIntervalMsMin: 30,
  faultIntervalMsMax: 300,
  downtimeMsMin: 20,
  downtimeMsMax: 600,
  maxSizePerMsgBytes: 1,
  maxInflightMsgs: 1,
  // Compact hard, so followers that fall behind by a few entries need InstallSnapshot.
  snapshotEveryEntries: 5,
  compactRetainEntries: 0,
  pauseMsMin: 300,
  pauseMsMax: 1500,
  clientKeys: 1,
  clientThinkMsMin: 1,
  clientThinkMsMax: 20,
  readProbability: 0.5,
  isolateNewLeaderProbability: 0.4,
  isolateCommittingLeaderProbability: 0.05,
};

export const PROFILES = { default: DEFAULT, aggressive: AGGRESSIVE } as const;
export type ProfileName = keyof typeof PROFILES;

export function parseProfile(name: string): ProfileName {
  if (!(name in PROFILES)) throw new RangeError(`unknown profile "${name}"; known: ${Object.keys(PROFILES).join(',')}`);
  return name as ProfileName;
}
