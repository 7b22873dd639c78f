// The dashboard page: one self-contained HTML document (no build step, no CDN) that opens /events and
// redraws from each pushed view — nothing polls and the page never reloads. Every text that comes from
// the cluster (lease holders are written by clients) is escaped before it reaches the DOM.
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Halyard control plane</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #1d2733; background: #f6f7f9; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 18px 0 6px; }
  .sub { color: #5b6875; }
  table { border-collapse: collapse; background: #fff; width: 100%; }
  th, td { border-bottom: 1px solid #e3e6ea; padding: 4px 8px; text-align: left; white-space: nowrap; }
  th { background: #eef1f4; font-weight: 600; }
  .ok { color: #137333; font-weight: 600; } .bad { color: #c5221f; font-weight: 600; } .warn { color: #b06000; }
  .leader { background: #e6f4ea; }
  button { font: inherit; padding: 1px 8px; margin-right: 4px; cursor: pointer; }
  button[disabled] { cursor: progress; opacity: .6; }
  .nodes { display: flex; flex-wrap: wrap; gap: 8px; }
  .node { background: #fff; border: 1px solid #d5dae0; border-radius: 6px; padding: 8px; min-width: 200px; }
  .node h3 { margin: 0 0 4px; font-size: 14px; }
  .pill { display: inline-block; border-radius: 8px; padding: 0 6px; margin: 1px; font-size: 12px; background: #e8eaed; }
  .pill.down { background: #fce8e6; color: #c5221f; } .pill.active { background: #e6f4ea; color: #137333; }
  #status { position: fixed; right: 16px; top: 12px; }
  svg { background: #fff; border: 1px solid #d5dae0; width: 100%; height: 180px; }
  #events { font-family: ui-monospace, monospace; font-size: 12px; background: #fff; padding: 6px; max-height: 160px; overflow: auto; }
</style>
</head>
<body>
<h1>Halyard control plane</h1>
<div class="sub" id="summary">connecting…</div>
<div id="status" class="warn">connecting…</div>
<p>KV leader: <b id="kv-leader" data-testid="kv-leader">—</b> · term <span id="kv-term">—</span> · load balancer <span id="lb">—</span></p>

<h2>Nodes</h2>
<div class="nodes" id="nodes"></div>

<h2>KV members</h2>
<table id="kv"><thead><tr><th>member</th><th>node</th><th>process</th><th>role</th><th>term</th><th>commit</th><th>applied</th><th>revision</th><th>health</th><th></th></tr></thead><tbody></tbody></table>

<h2>API servers</h2>
<table id="apiservers"><thead><tr><th>apiserver</th><th>node</th><th>process</th><th>/readyz</th><th>url</th><th></th></tr></thead><tbody></tbody></table>

<h2>Leases</h2>
<table id="leases"><thead><tr><th>lease</th><th>holder</th><th>component</th><th>renewed</th><th>acquired</th><th>transitions</th><th>duration</th></tr></thead><tbody></tbody></table>

<h2>Controller replicas</h2>
<table id="controllers"><thead><tr><th>replica</th><th>node</th><th>process</th><th>state</th><th>fencing token</th><th>fenced writes</th><th>stale writes refused</th><th></th></tr></thead><tbody></tbody></table>

<h2>Timeline</h2>
<div class="sub">write throughput (KV revisions per second) and leader changes, last minutes</div>
<svg id="timeline" viewBox="0 0 1000 180" preserveAspectRatio="none"></svg>

<h2>Events</h2>
<div id="events"></div>

<script>
"use strict";
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const cell = (v) => (v === null || v === undefined ? '—' : esc(v));
const proc = (p, pid) => p === 'running' ? '<span class="ok">running</span> <span class="sub">' + esc(pid) + '</span>' : '<span class="bad">' + esc(p) + '</span>';
const buttons = (kind, name, running) =>
  (running ? '<button data-action="kill" data-kind="' + kind + '" data-name="' + esc(name) + '">kill</button>' : '') +
  '<button data-action="restart" data-kind="' + kind + '" data-name="' + esc(name) + '">' + (running ? 'restart' : 'start') + '</button>';
const ago = (iso, now) => { if (!iso) return '—'; const s = (now - Date.parse(iso)) / 1000; return isFinite(s) ? s.toFixed(1) + ' s ago' : esc(iso); };
let last;

function render(v) {
  last = v;
  const leader = v.kv.filter((m) => m.role === 'leader').sort((a, b) => (b.term ?? 0) - (a.term ?? 0))[0];
  document.getElementById('kv-leader').textContent = leader ? leader.id : 'none';
  document.getElementById('kv-term').textContent = leader ? leader.term : '—';
  document.getElementById('lb').innerHTML = esc(v.loadBalancer.kind) + ' at <code>' + esc(v.loadBalancer.url) + '</code>';
  document.getElementById('summary').innerHTML = esc(v.shape.topology) + ' topology · ' + v.shape.kvMembers + ' KV members · ' + v.shape.apiservers + ' apiservers · ' +
    v.risk.servers + ' servers, survives ' + v.risk.kvFailuresTolerated + ' KV failure(s) · ' + esc(v.risk.onNodeFailure) + ' · kubeconfig <code>' + esc(v.kubeconfig) + '</code>';

  const byId = new Map([...v.kv, ...v.apiservers, ...v.controllers].map((c) => [c.id, c]));
  document.getElementById('nodes').innerHTML = v.nodes.map((n) => {
    const comps = n.components.map((id) => {
      const c = byId.get(id); const up = c && c.process === 'running';
      const active = c && (c.role === 'leader' || c.leading === true);
      return '<span class="pill ' + (!up ? 'down' : active ? 'active' : '') + '">' + esc(id) + (active ? ' ★' : '') + '</span>';
    }).join('');
    const anyUp = n.components.some((id) => byId.get(id)?.process === 'running');
    return '<div class="node" data-node="' + esc(n.name) + '"><h3>' + esc(n.name) + ' <span class="sub">' + esc(n.role) + '</span></h3>' + comps + '<div>' + buttons('nodes', n.name, anyUp) + '</div></div>';
  }).join('');

  document.querySelector('#kv tbody').innerHTML = v.kv.map((m) =>
    '<tr data-component="' + esc(m.id) + '" class="' + (m.role === 'leader' ? 'leader' : '') + '"><td>' + esc(m.id) + '</td><td>' + esc(m.node) + '</td><td>' + proc(m.process, m.pid) + '</td><td data-field="role">' + esc(m.role) +
    '</td><td>' + cell(m.term) + '</td><td>' + cell(m.commitIndex) + '</td><td>' + cell(m.appliedIndex) + '</td><td>' + cell(m.revision) + '</td><td>' +
    (m.healthy ? '<span class="ok">healthy</span>' : '<span class="bad" title="' + esc(m.error) + '">unhealthy</span>') + '</td><td>' + buttons('components', m.id, m.process === 'running') + '</td></tr>').join('');

  document.querySelector('#apiservers tbody').innerHTML = v.apiservers.map((a) =>
    '<tr data-component="' + esc(a.id) + '"><td>' + esc(a.id) + '</td><td>' + esc(a.node) + '</td><td>' + proc(a.process, a.pid) + '</td><td>' +
    (a.ready ? '<span class="ok">ready</span>' : '<span class="bad">' + esc(a.error ?? 'not ready') + '</span>') + '</td><td><code>' + esc(a.url) + '</code></td><td>' + buttons('components', a.id, a.process === 'running') + '</td></tr>').join('');

  document.querySelector('#leases tbody').innerHTML = (v.leaseWatch ? '' : '<tr><td colspan="7" class="warn">lease watch disconnected (no apiserver answers); showing the last known leases</td></tr>') +
    v.leases.map((l) => '<tr data-lease="' + esc(l.name) + '"><td>' + esc(l.namespace) + '/' + esc(l.name) + '</td><td data-field="holder">' + esc(l.holder || '(none)') + '</td><td>' + cell(l.holderComponent) +
    '</td><td>' + ago(l.renewTime, v.atMs) + '</td><td>' + ago(l.acquireTime, v.atMs) + '</td><td>' + cell(l.transitions) + '</td><td>' + cell(l.leaseDurationSeconds) + ' s</td></tr>').join('');

  document.querySelector('#controllers tbody').innerHTML = v.controllers.map((c) =>
    '<tr data-component="' + esc(c.id) + '" class="' + (c.leading ? 'leader' : '') + '"><td>' + esc(c.id) + '</td><td>' + esc(c.node) + '</td><td>' + proc(c.process, c.pid) + '</td><td>' +
    (c.process !== 'running' ? '—' : c.leading ? '<span class="ok">active</span>' : 'standby') + '</td><td>' + cell(c.fencingToken) + '</td><td>' + cell(c.fencedWrites) + '</td><td>' +
    (c.staleWritesRefused > 0 ? '<span class="bad">' + c.staleWritesRefused + '</span>' : '0') + '</td><td>' + buttons('components', c.id, c.process === 'running') + '</td></tr>').join('');

  drawTimeline(v);
  document.getElementById('events').innerHTML = v.events.slice().reverse().map((e) => esc(new Date(e.atMs).toLocaleTimeString()) + '  ' + esc(e.text)).join('<br>');
}

function drawTimeline(v) {
  // The window grows with the run up to five minutes, so a young cluster's plot is not squeezed to the right.
  const first = v.throughput.length > 0 ? v.throughput[0].atMs : v.atMs;
  const W = 1000, H = 180, end = v.atMs, spanMs = Math.min(5 * 60 * 1000, Math.max(60 * 1000, end - first)), start = end - spanMs;
  const x = (t) => ((t - start) / spanMs) * W;
  const pts = v.throughput.filter((p) => p.atMs >= start);
  const max = Math.max(10, ...pts.map((p) => p.writesPerSecond));
  const y = (w) => H - 20 - (w / max) * (H - 40);
  let svg = '<text x="4" y="14" font-size="11" fill="#5b6875">' + max.toFixed(0) + ' writes/s</text>';
  svg += '<polyline fill="none" stroke="#1a73e8" stroke-width="1.5" points="' + pts.map((p) => x(p.atMs).toFixed(1) + ',' + y(p.writesPerSecond).toFixed(1)).join(' ') + '"/>';
  v.leaderChanges.filter((c) => c.atMs >= start).forEach((c, i) => {
    const cx = x(c.atMs).toFixed(1), color = c.what === 'kv' ? '#c5221f' : '#137333';
    svg += '<line x1="' + cx + '" x2="' + cx + '" y1="0" y2="' + H + '" stroke="' + color + '" stroke-dasharray="3,3"/>';
    // Labels on four staggered rows so changes close in time stay readable.
    svg += '<text x="' + (Number(cx) + 3) + '" y="' + (28 + (i % 4) * 14) + '" font-size="10" fill="' + color + '">' + esc(c.what.replace('halyard-', '')) + ' → ' + esc(c.to) + '</text>';
  });
  document.getElementById('timeline').innerHTML = svg;
}

document.addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-action]');
  if (!b) return;
  b.disabled = true;
  const status = document.getElementById('status');
  status.textContent = b.dataset.action + ' ' + b.dataset.name + '…';
  try {
    const res = await fetch('/api/' + b.dataset.kind + '/' + encodeURIComponent(b.dataset.name) + '/' + b.dataset.action, { method: 'POST', headers: { 'X-Halyard-Control': '1' } });
    const body = await res.json();
    status.textContent = res.ok ? b.dataset.action + ' ' + b.dataset.name + ': done' : 'failed: ' + body.error;
  } catch (err) {
    status.textContent = 'failed: ' + err;
  } finally {
    b.disabled = false;
  }
});

const source = new EventSource('/events');
source.addEventListener('view', (e) => { render(JSON.parse(e.data)); });
source.onopen = () => { const s = document.getElementById('status'); s.className = 'ok'; s.textContent = 'live'; };
source.onerror = () => { const s = document.getElementById('status'); s.className = 'bad'; s.textContent = 'disconnected — retrying'; };
</script>
</body>
</html>
`;
