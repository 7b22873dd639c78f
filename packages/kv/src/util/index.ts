// Small utilities shared by the core and the tooling: the seeded PRNG every randomized part takes.
export * from './rng.ts';
