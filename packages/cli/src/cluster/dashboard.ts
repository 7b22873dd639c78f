// A status page for a local cluster (`halyard kv cluster up`, `halyard start`): each member's role,
// term, indexes, revision and database size, refreshed every second, with a plot of each member's
// applied index over the last minutes (plot.ts) so a stalled or lagging member is visible at a glance.

import { type Server, createServer } from 'node:http';
import { plotSvg } from './plot.ts';

export interface MemberRow {
  readonly name: string;
  readonly endpoint: string;
  readonly id: string;
  readonly role: string;
  readonly term: number | null;
  readonly raftIndex: number | null;
  readonly appliedIndex: number | null;
  readonly revision: number | null;
  readonly dbSizeBytes: number | null;
  readonly error?: string;
}

export interface DashboardSample {
  readonly atMs: number;
  readonly members: readonly MemberRow[];
}

/** Samples kept for the plot (at one a second, five minutes). */
export const DASHBOARD_SAMPLES_MAX = 300;

export class Dashboard {
  private readonly samples: DashboardSample[] = [];
  private server: Server | undefined;

  record(sample: DashboardSample): void {
    this.samples.push(sample);
    if (this.samples.length > DASHBOARD_SAMPLES_MAX) this.samples.shift();
  }

  async listen(host: string, port: number): Promise<string> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/status.json') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ samples: this.samples }));
        return;
      }
      if (req.method === 'GET' && path === '/plot.svg') {
        res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' });
        res.end(plotSvg(this.samples));
        return;
      }
      if (req.method === 'GET' && path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    const actualPort = typeof addr === 'object' && addr !== null ? addr.port : port;
    return `http://${host}:${actualPort}/`;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Halyard cluster</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #1d2330; background: #fafbfc; }
h1 { font-size: 20px; margin: 0 0 4px; } .sub { color: #5b6473; margin-bottom: 16px; }
table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px #0002; }
th, td { padding: 6px 12px; text-align: left; white-space: nowrap; border-bottom: 1px solid #e6e8eb; font-variant-numeric: tabular-nums; }
th { background: #f0f2f5; font-weight: 600; }
.leader { color: #0a7d2c; font-weight: 600; } .down { color: #b42318; } .follower { color: #1d2330; }
#plot svg { background: #fff; box-shadow: 0 1px 2px #0002; margin-top: 16px; }
</style></head><body>
<h1>Halyard cluster</h1><div class="sub" id="sub">loading…</div>
<table><thead><tr><th>member</th><th>endpoint</th><th>id</th><th>role</th><th>term</th><th>raft index</th><th>applied</th><th>revision</th><th>db size</th></tr></thead><tbody id="rows"></tbody></table>
<h2 style="font-size:16px;margin:20px 0 0">applied index over time</h2>
<div id="plot"></div>
<script>
const fmtBytes = (n) => n == null ? '–' : n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB';
const cell = (v) => v == null ? '–' : String(v);
function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]); }
function render(samples) {
  const last = samples[samples.length - 1];
  if (!last) return;
  const leader = last.members.find((m) => m.role === 'leader');
  document.getElementById('sub').textContent = (leader ? 'leader: ' + leader.name + ' (term ' + leader.term + ')' : 'no leader') + ' · updated ' + new Date(last.atMs).toLocaleTimeString();
  document.getElementById('rows').innerHTML = last.members.map((m) =>
    '<tr><td>' + esc(m.name) + '</td><td>' + esc(m.endpoint) + '</td><td>' + esc(m.id) + '</td><td class="' + (m.error ? 'down' : m.role === 'leader' ? 'leader' : 'follower') + '">' + esc(m.error ? 'unreachable' : m.role) +
    '</td><td>' + cell(m.term) + '</td><td>' + cell(m.raftIndex) + '</td><td>' + cell(m.appliedIndex) + '</td><td>' + cell(m.revision) + '</td><td>' + fmtBytes(m.dbSizeBytes) + '</td></tr>').join('');
}
async function poll() {
  try {
    const r = await fetch('/status.json', { cache: 'no-store' }); render((await r.json()).samples);
    document.getElementById('plot').innerHTML = await (await fetch('/plot.svg', { cache: 'no-store' })).text();
  }
  catch { document.getElementById('sub').textContent = 'the cluster command is not running'; }
  setTimeout(poll, 1000);
}
poll();
</script></body></html>`;
