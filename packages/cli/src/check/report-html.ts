// A self-contained HTML timeline of a history, for a person to open in a browser after a failed check:
// one lane per client, each operation a bar from invocation to return, the operations named by the
// violation highlighted, the op and its result in each bar's hover title. No external assets, so the file
// can be attached to a bug report as it is.

import { writeFile } from 'node:fs/promises';
import type { CheckResult } from './check.ts';
import type { History, HistoryOp } from './history.ts';
import { describeOp, describeResult, keysOf } from './ops.ts';

export interface HtmlReportOptions {
  readonly title?: string;
}

/** Bars narrower than this share of the timeline are widened so they stay visible and hoverable. */
const BAR_WIDTH_PERCENT_MIN = 0.05;

export async function writeHtmlReport(
  history: History,
  result: CheckResult,
  path: string,
  options: HtmlReportOptions = {},
): Promise<void> {
  await writeFile(path, renderHtml(history, result, options), 'utf8');
}

export function renderHtml(history: History, result: CheckResult, options: HtmlReportOptions = {}): string {
  const title = options.title ?? 'Halyard linearizability check';
  const offending = new Set(result.outcome === 'not-linearizable' ? result.offendingOpIds : []);
  const blocked = new Set(result.outcome === 'not-linearizable' ? result.components.map((c) => c.blockedOpId) : []);
  const prefixLast = new Set(
    result.outcome === 'not-linearizable' ? result.components.flatMap((c) => c.longestPrefix.slice(-3)) : [],
  );
  const failingKeys = new Set(result.outcome === 'not-linearizable' ? result.components.flatMap((c) => c.keys) : []);
  for (const id of offending) {
    const h = history.find((o) => o.id === id);
    if (h !== undefined) for (const k of keysOf(h.op)) failingKeys.add(k);
  }

  const times = history.flatMap((h) => (h.returnTime === null ? [h.invokeTime] : [h.invokeTime, h.returnTime]));
  // reduce, not Math.min(...times): spreading a long history overflows the argument stack.
  const t0 = times.length > 0 ? times.reduce((a, b) => Math.min(a, b)) : 0;
  const t1 = times.length > 0 ? times.reduce((a, b) => Math.max(a, b)) : 1;
  const span = t1 > t0 ? t1 - t0 : 1;
  const pct = (t: number): number => ((t - t0) / span) * 100;

  const clients = [...new Set(history.map((h) => h.clientId))].sort((a, b) => a - b);
  const lanes = clients.map((clientId) => {
    const ops = history.filter((h) => h.clientId === clientId).sort((a, b) => a.invokeTime - b.invokeTime);
    const bars = ops.map((h, i) => {
      // An unknown outcome has no end; draw it up to the client's next call so lanes stay readable.
      const end = h.returnTime ?? ops[i + 1]?.invokeTime ?? t1;
      const left = pct(h.invokeTime);
      const width = Math.max(BAR_WIDTH_PERCENT_MIN, pct(end) - left);
      const classes = ['op', h.op.type];
      if (h.result === null) classes.push('unknown');
      if (offending.has(h.id)) classes.push('bad');
      if (blocked.has(h.id)) classes.push('blocked');
      if (prefixLast.has(h.id)) classes.push('prefix');
      const keys = keysOf(h.op);
      if (keys.some((k) => failingKeys.has(k))) classes.push('related');
      return (
        `<div class="${classes.join(' ')}" style="left:${left.toFixed(4)}%;width:${width.toFixed(4)}%" ` +
        `data-keys="${esc(JSON.stringify(keys))}" title="${esc(tooltip(h))}">${esc(label(h))}</div>`
      );
    });
    return `<div class="lane"><div class="lane-label">client ${clientId}</div><div class="track">${bars.join('')}</div></div>`;
  });

  const ticks = Array.from({ length: 11 }, (_, i) => {
    const t = t0 + (span * i) / 10;
    // Round ticks to the scale of the span: 5340.9 on a span of 60,000 is noise.
    const label = span >= 100 ? String(Math.round(t)) : formatTime(t);
    return `<div class="tick" style="left:${i * 10}%">${esc(label)}</div>`;
  }).join('');

  const byId = new Map(history.map((h) => [h.id, h]));
  const offendingRows = [...offending]
    .map((id) => byId.get(id))
    .filter((h): h is HistoryOp => h !== undefined)
    .sort((a, b) => a.invokeTime - b.invokeTime)
    .map(
      (h) =>
        `<tr class="${blocked.has(h.id) ? 'blocked-row' : ''}"><td>#${h.id}</td><td>${h.clientId}</td>` +
        `<td>${esc(formatTime(h.invokeTime))}</td><td>${h.returnTime === null ? '∞' : esc(formatTime(h.returnTime))}</td>` +
        `<td>${esc(describeOp(h.op))}</td><td>${esc(describeResult(h.result))}</td></tr>`,
    )
    .join('');

  const verdict =
    result.outcome === 'linearizable'
      ? 'linearizable'
      : result.outcome === 'unknown'
        ? `unknown: ${result.reason}`
        : 'NOT linearizable';
  const details =
    result.outcome === 'not-linearizable'
      ? result.summary
      : result.outcome === 'unknown'
        ? [result.reason, ...result.undecided.map((u) => `undecided: keys ${u.keys.join(', ')} (${u.opCount} ops): ${u.reason}`)].join('\n')
        : '';
  const s = result.stats;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px}
.verdict{font-weight:bold;font-size:15px}.verdict.not-linearizable{color:#b00}.verdict.linearizable{color:#070}.verdict.unknown{color:#a60}
pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:40vh;white-space:pre-wrap}
.controls{margin:8px 0;display:flex;gap:16px;align-items:center}
.scroll{overflow-x:auto;border:1px solid #ccc}
.timeline{position:relative;min-width:100%}
.axis{position:relative;height:18px;margin-left:90px;border-bottom:1px solid #999}
.tick{position:absolute;top:0;font-size:10px;color:#666;transform:translateX(-50%);white-space:nowrap}
.lane{display:flex;height:22px;border-bottom:1px solid #eee}
.lane-label{width:90px;flex:none;font-size:11px;color:#555;padding-top:3px;position:sticky;left:0;background:#fff;z-index:2}
.track{position:relative;flex:1}
.op{position:absolute;top:3px;height:16px;font-size:10px;overflow:hidden;white-space:nowrap;border-radius:2px;
 background:#9ec5e8;border:1px solid #5b8db8;box-sizing:border-box;padding:0 2px;cursor:default}
.op.put,.op.cas,.op.txn,.op.delete{background:#b9e0a5;border-color:#6a9f50}
.op.unknown{background:repeating-linear-gradient(45deg,#ddd,#ddd 4px,#f4f4f4 4px,#f4f4f4 8px);border-style:dashed;border-color:#888}
.op.prefix{outline:2px solid #e0a800}
.op.bad{background:#f4a3a3;border-color:#b00;z-index:1}
.op.blocked{background:#d22;color:#fff;border:2px solid #600;z-index:1}
.dim .op:not(.related){opacity:.12}
.hidden{display:none}
table{border-collapse:collapse;margin-top:8px}td,th{border:1px solid #ddd;padding:2px 6px;font-size:12px;text-align:left}
.blocked-row{background:#fdd}
.legend span{display:inline-block;padding:0 6px;margin-right:6px;border:1px solid #888;font-size:11px}
</style></head><body>
<h1>${esc(title)}</h1>
<div class="verdict ${result.outcome}">${esc(verdict)}</div>
<div>${s.operations} operations, ${clients.length} clients; searched as ${s.components} component(s) of keys (largest ${s.largestComponentOps} ops); ${s.statesExplored} states explored in ${s.elapsedMs.toFixed(0)} ms</div>
${details === '' ? '' : `<pre>${esc(details)}</pre>`}
<div class="legend"><span style="background:#9ec5e8">read</span><span style="background:#b9e0a5">write</span><span style="background:#eee;border-style:dashed">unknown outcome</span><span style="background:#f4a3a3">offending</span><span style="background:#d22;color:#fff">blocked: had to take effect before returning, could not</span><span style="outline:2px solid #e0a800">last ops of the longest linearizable prefix</span></div>
<div class="controls">
<label>zoom <input id="zoom" type="range" min="1" max="200" value="1"></label>
<label><input id="dim" type="checkbox"${failingKeys.size > 0 ? ' checked' : ''}> dim ops on keys not involved in the violation</label>
<label>key filter <input id="key" type="text" placeholder="show only this key"></label>
</div>
<div class="scroll"><div class="timeline${failingKeys.size > 0 ? ' dim' : ''}" id="timeline">
<div class="axis">${ticks}</div>
${lanes.join('\n')}
</div></div>
${offendingRows === '' ? '' : `<h2 style="font-size:15px">Offending operations</h2><table><tr><th>id</th><th>client</th><th>invoke</th><th>return</th><th>op</th><th>result</th></tr>${offendingRows}</table>`}
<script>
(function(){
  var tl=document.getElementById('timeline');
  document.getElementById('zoom').addEventListener('input',function(e){tl.style.width=(100*Number(e.target.value))+'%';});
  document.getElementById('dim').addEventListener('change',function(e){tl.classList.toggle('dim',e.target.checked);});
  document.getElementById('key').addEventListener('input',function(e){
    var k=e.target.value;
    tl.querySelectorAll('.op').forEach(function(el){
      var keys=JSON.parse(el.getAttribute('data-keys'));
      el.classList.toggle('hidden',k!==''&&keys.indexOf(k)<0);
    });
  });
})();
</script>
</body></html>
`;
}

function label(h: HistoryOp): string {
  const op = h.op;
  const r = h.result;
  switch (op.type) {
    case 'get':
      return r?.type === 'get' ? `get ${op.key}→${r.value ?? '∅'}@${r.modRevision}` : `get ${op.key}→?`;
    case 'put':
      return `put ${op.key}=${op.value}${r === null ? ' ?' : `@${r.revision}`}`;
    case 'delete':
      return `del ${op.key}${r?.type === 'delete' ? `→${r.deleted}@${r.revision}` : ' ?'}`;
    case 'cas':
      return `cas ${op.key}@${op.expectedModRevision}=${op.value}${r?.type === 'cas' ? (r.succeeded ? ' ✓' : ' ✗') : ' ?'}`;
    case 'txn':
      return `txn ${op.puts.map((p) => p.key).join(',')}${r?.type === 'txn' ? (r.succeeded ? ' ✓' : ' ✗') : ' ?'}`;
  }
}

function tooltip(h: HistoryOp): string {
  const end = h.returnTime === null ? '∞ (unknown outcome)' : formatTime(h.returnTime);
  return `#${h.id} client ${h.clientId}\n${describeOp(h.op)}\n→ ${describeResult(h.result)}\n[${formatTime(h.invokeTime)} … ${end}]`;
}

function formatTime(t: number): string {
  return Number.isInteger(t) ? String(t) : t.toFixed(3);
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
