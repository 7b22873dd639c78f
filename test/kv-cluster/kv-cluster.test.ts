// The real-process tests of the KV store: clusters of `halyard kv member` processes on loopback.
//
// One test file on purpose, so vitest runs these in one worker, one after another, while other test files
// keep the second worker busy. Each test runs three or four member processes; two such tests at once on a
// loaded 2-core machine starve each other's event loops, leaders miss heartbeats, and the tests would
// measure scheduling instead of the store. Each scenario lives in its own module, named after it.

import { badInputTests } from './bad-input.ts';
import { dedupeTests } from './dedupe.ts';
import { leaderIsolationTests } from './leader-isolation.ts';
import { leaderKillTests } from './leader-kill.ts';
import { leaderPauseTests } from './leader-pause.ts';
import { membershipTests } from './membership.ts';
import { readsWritesTests } from './reads-writes.ts';
import { restartTests } from './restart.ts';
import { watchFailoverTests } from './watch-failover.ts';

readsWritesTests();
dedupeTests();
leaderKillTests();
leaderPauseTests();
leaderIsolationTests();
restartTests();
membershipTests();
watchFailoverTests();
badInputTests();
