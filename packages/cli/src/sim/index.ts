// The deterministic simulator: a seed replays the same run exactly.
export { runSimulation, replayArgs, replayCommand, type SimOptions, type SimResult, type SimStats } from './simulator.ts';
