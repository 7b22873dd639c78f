import { afterEach, describe, expect, it } from 'vitest';
import { DASHBOARD_SAMPLES_MAX, Dashboard, type MemberRow } from './dashboard.ts';

const row = (name: string, applied: number): MemberRow => ({ name, endpoint: 'http://127.0.0.1:1', id: 'a', role: 'follower', term: 2, raftIndex: applied, appliedIndex: applied, revision: 1, dbSizeBytes: 10 });

let dash: Dashboard | undefined;
afterEach(async () => {
  await dash?.close();
  dash = undefined;
});

describe('status page', () => {
  it('serves the page and the recorded samples, keeping only the newest ones', async () => {
    dash = new Dashboard();
    for (let i = 0; i < DASHBOARD_SAMPLES_MAX + 5; i++) dash.record({ atMs: i, members: [row('m1', i)] });
    const url = await dash.listen('127.0.0.1', 0);
    const page = await (await fetch(url)).text();
    expect(page).toContain('<title>Halyard cluster</title>');
    const body = (await (await fetch(new URL('/status.json', url))).json()) as { samples: { atMs: number }[] };
    expect(body.samples.length).toBe(DASHBOARD_SAMPLES_MAX);
    expect(body.samples[0]!.atMs).toBe(5);
    expect((await fetch(new URL('/nope', url))).status).toBe(404);
  });
});
