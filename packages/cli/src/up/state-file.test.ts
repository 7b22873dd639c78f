import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClusterShape, portsNeeded } from './plan.ts';
import { checkResume, newState, readState, statePath, writeState } from './state-file.ts';

const shape: ClusterShape = { topology: 'stacked', kvMembers: 3, apiservers: 2, controllerReplicas: 2 };

describe('state file', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'halyard-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips, and is absent in a new folder', async () => {
    expect(await readState(dir)).toBeUndefined();
    const s = newState(shape, Array.from({ length: portsNeeded(shape) }, (_, i) => 30_000 + i), 6443, 2378);
    await writeState(dir, s);
    expect(await readState(dir)).toEqual(s);
  });

  it('rejects a file that is not ours or is damaged, with a typed error', async () => {
    for (const text of ['not json', '{"format":"other"}', JSON.stringify({ ...newState(shape, Array.from({ length: portsNeeded(shape) }, () => 1), 1, 1), componentPorts: [1, 2] })]) {
      await writeFile(statePath(dir), text);
      await expect(readState(dir)).rejects.toMatchObject({ code: 'InvalidState' });
    }
  });

  it('refuses to resume with a different shape given explicitly', () => {
    const s = newState(shape, Array.from({ length: portsNeeded(shape) }, (_, i) => 30_000 + i), 6443, 2378);
    expect(() => checkResume(s, { kvMembers: 3, topology: 'stacked' })).not.toThrow();
    expect(() => checkResume(s, { kvMembers: 5 })).toThrow(expect.objectContaining({ code: 'StateMismatch' }));
  });
});
