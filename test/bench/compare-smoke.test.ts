// `pnpm bench` in its smoke size: the side-by-side harness runs end to end against both stores (etcd when
// the Debian binary is installed, as in CI) and writes its JSON. It asserts that every workload produced
// a figure, never how fast: timing goals belong to the benchmark itself, not to a test.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ETCD = process.env['HALYARD_ETCD_BIN'] ?? '/usr/bin/etcd';

interface Figures { opsPerSecond: number; p50Ms: number; p99Ms: number; cpuUsPerOp?: { client: number; members: number[] } }
interface Results {
  putSerial: Figures; put64: Figures; getSerial: Figures; get64: Figures;
  load: { writesPerSecondByTenth: number[]; memberRssBytes: number[] };
  restartToFirstReadMs: number; failoverMs: number[];
}

describe('pnpm bench (smoke size)', () => {
  let dir = '';
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('measures every workload for Halyard (and etcd when installed) and prints the side-by-side table', async () => {
    dir = await mkdtemp(join(tmpdir(), 'halyard-bench-smoke-'));
    const out = join(dir, 'result.json');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'packages/cli/bench/compare/main.ts', '--smoke', '--keys', '200', '--ops', '50', '--out', out], { cwd: ROOT, timeout: 400_000 });
    expect(stdout).toContain('Halyard vs etcd');
    expect(stdout).toContain('halyard: CPU per put at 64 in flight: client ');
    const json = JSON.parse(await readFile(out, 'utf8')) as { results: Record<string, Results> };
    const targets = existsSync(ETCD) ? ['halyard', 'etcd'] : ['halyard'];
    expect(Object.keys(json.results).sort()).toEqual(targets.sort());
    for (const t of targets) {
      const r = json.results[t]!;
      for (const f of [r.putSerial, r.put64, r.getSerial, r.get64]) {
        expect(f.opsPerSecond).toBeGreaterThan(0);
        expect(f.p50Ms).toBeGreaterThan(0);
        expect(f.p99Ms).toBeGreaterThanOrEqual(f.p50Ms);
      }
      // CPU per operation at 64 in flight: the client's and each of the three members' (the leader did work).
      for (const f of [r.put64, r.get64]) {
        expect(f.cpuUsPerOp?.client).toBeGreaterThan(0);
        expect(f.cpuUsPerOp?.members).toHaveLength(3);
        expect(Math.max(...(f.cpuUsPerOp?.members ?? [0]))).toBeGreaterThan(0);
      }
      expect(r.load.writesPerSecondByTenth).toHaveLength(10);
      expect(r.load.memberRssBytes).toHaveLength(3);
      expect(r.load.memberRssBytes.every((b) => b > 0)).toBe(true);
      expect(r.restartToFirstReadMs).toBeGreaterThan(0);
      expect(r.failoverMs).toHaveLength(1);
    }
  }, 420_000);
});
