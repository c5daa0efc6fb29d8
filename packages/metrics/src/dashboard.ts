// The dashboard page served at `/` by serveMetrics: plain HTML, one inline
// style and one inline script, no framework and no request beyond `/events`,
// so a strict Content-Security-Policy (hashes of the two blocks) admits it.
// Internal: not part of any entry point's API.

/** The page's stylesheet; its exact text is hashed into the CSP. */
export const DASHBOARD_STYLE = String.raw`
:root { color-scheme: light dark; --bg: #f7f8fa; --card: #fff; --fg: #1f2933; --muted: #6b7280; --line: #e5e7eb; }
@media (prefers-color-scheme: dark) { :root { --bg: #111418; --card: #1a1f26; --fg: #e5e7eb; --muted: #9ca3af; --line: #2d3440; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; padding: 12px 20px; border-bottom: 1px solid var(--line); background: var(--card); }
h1 { font-size: 17px; margin: 0 12px 0 0; }
select { font: inherit; padding: 3px 6px; }
.badge { padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 12px; text-transform: uppercase; background: var(--line); }
.badge.open, .badge.live { background: #d1fae5; color: #065f46; }
.badge.paused, .badge.connecting { background: #fef3c7; color: #92400e; }
.badge.closing, .badge.closed, .badge.offline { background: #fee2e2; color: #991b1b; }
.spacer { flex: 1; }
.muted { color: var(--muted); }
main { padding: 16px 20px; max-width: 1600px; margin: 0 auto; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 12px; margin-bottom: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 900px) { .charts { grid-template-columns: 1fr; } }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
canvas { display: block; width: 100%; height: 220px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 6px; font-size: 12px; font-variant-numeric: tabular-nums; }
.legend i { display: inline-block; width: 14px; height: 0; margin-right: 5px; vertical-align: middle; }
table { width: 100%; border-collapse: collapse; margin-top: 16px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; }
`

/**
 * The page's script. It keeps about two minutes of samples per pool from the
 * `/events` stream, draws four canvas charts for the selected pool, and
 * publishes what it drew on `window.__poolkitDashboard` and on each canvas's
 * `data-points` / `data-last` attributes (for tests and curious users).
 * Its exact text is hashed into the CSP, so it takes its settings from `data-`
 * attributes of `<body>` rather than from interpolated values.
 */
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var WINDOW_MS = 120000;
  var MAX_SAMPLES = 2000;
  var DASHED = [5, 4];
  var CHARTS = [
    { id: 'throughput', unit: '/s', series: [
      { key: 'throughput', label: 'finished/s', color: '#2563eb' },
      { key: 'errors', label: 'failed/s', color: '#dc2626' }] },
    { id: 'queue', unit: '', series: [
      { key: 'queueDepth', label: 'queued', color: '#d97706' },
      { key: 'running', label: 'running', color: '#059669' }] },
    { id: 'workers', unit: '', series: [
      { key: 'busy', label: 'busy', color: '#7c3aed' },
      { key: 'total', label: 'total', color: '#9ca3af', dash: DASHED }] },
    { id: 'latency', unit: 'ms', series: [
      { key: 'runP50', label: 'run p50', color: '#0ea5e9' },
      { key: 'runP95', label: 'run p95', color: '#f59e0b' },
      { key: 'runP99', label: 'run p99', color: '#ef4444' },
      { key: 'waitP50', label: 'wait p50', color: '#0ea5e9', dash: DASHED },
      { key: 'waitP95', label: 'wait p95', color: '#f59e0b', dash: DASHED },
      { key: 'waitP99', label: 'wait p99', color: '#ef4444', dash: DASHED }] }
  ];
  // Keyed by pool name, which the user chooses ('__proto__', 'constructor'...): a Map, never a plain object.
  var histories = new Map();
  var latest = null;
  var api = { samples: 0, connected: false, pools: [], selected: null, state: null, last: null, points: {}, histories: 0 };
  window.__poolkitDashboard = api;

  function $(id) { return document.getElementById(id); }
  function fmt(v, unit) {
    if (typeof v !== 'number' || !isFinite(v)) return '-';
    var a = Math.abs(v);
    var s = a >= 1e6 ? (v / 1e6).toFixed(1) + 'M' : a >= 1e4 ? (v / 1e3).toFixed(1) + 'k'
      : a >= 100 ? String(Math.round(v)) : String(Number(v.toFixed(a >= 10 ? 1 : 2)));
    return unit ? s + ' ' + unit : s;
  }
  function sampleOf(time, p) {
    return {
      t: time,
      throughput: p.throughput['1s'],
      errors: p.throughput['1s'] * p.errorRate['1s'],
      queueDepth: p.queueDepth,
      running: p.running,
      busy: p.workers.busy,
      total: p.workers.total,
      runP50: p.run.recent.p50, runP95: p.run.recent.p95, runP99: p.run.recent.p99,
      waitP50: p.wait.recent.p50, waitP95: p.wait.recent.p95, waitP99: p.wait.recent.p99
    };
  }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var e = Math.pow(10, Math.floor(Math.log10(v)));
    var m = v / e;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
  }

  function draw(chart, points, now) {
    var canvas = $('chart-' + chart.id);
    var dpr = window.devicePixelRatio || 1;
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var css = getComputedStyle(document.body);
    var muted = css.getPropertyValue('--muted') || '#888', line = css.getPropertyValue('--line') || '#ddd';
    var left = 48, right = 8, top = 8, bottom = 20;
    var pw = w - left - right, ph = h - top - bottom;
    var max = 0;
    points.forEach(function (s) { chart.series.forEach(function (ser) { if (s[ser.key] > max) max = s[ser.key]; }); });
    max = niceMax(max);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = muted;
    ctx.strokeStyle = line;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (var i = 0; i <= 4; i++) {
      var y = top + ph - (ph * i) / 4;
      ctx.beginPath(); ctx.moveTo(left, Math.round(y) + 0.5); ctx.lineTo(left + pw, Math.round(y) + 0.5); ctx.stroke();
      ctx.fillText(fmt((max * i) / 4), left - 6, y);
    }
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left'; ctx.fillText('-2 min', left, top + ph + 5);
    ctx.textAlign = 'center'; ctx.fillText('-1 min', left + pw / 2, top + ph + 5);
    ctx.textAlign = 'right'; ctx.fillText('now', left + pw, top + ph + 5);
    var x = function (t) { return left + pw - ((now - t) / WINDOW_MS) * pw; };
    var yv = function (v) { return top + ph - (Math.max(0, v) / max) * ph; };
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    chart.series.forEach(function (ser) {
      ctx.strokeStyle = ser.color;
      ctx.setLineDash(ser.dash || []);
      ctx.beginPath();
      points.forEach(function (s, j) { if (j === 0) ctx.moveTo(x(s.t), yv(s[ser.key])); else ctx.lineTo(x(s.t), yv(s[ser.key])); });
      if (points.length === 1) ctx.lineTo(left + pw, yv(points[0][ser.key]));
      ctx.stroke();
    });
    ctx.setLineDash([]);

    var last = points[points.length - 1];
    var legend = $('legend-' + chart.id);
    legend.textContent = '';
    chart.series.forEach(function (ser) {
      var item = document.createElement('span');
      var swatch = document.createElement('i');
      swatch.style.borderTop = '3px ' + (ser.dash ? 'dotted ' : 'solid ') + ser.color;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(ser.label + ': ' + (last ? fmt(last[ser.key], chart.unit) : '-')));
      legend.appendChild(item);
    });
    var values = {};
    chart.series.forEach(function (ser) { values[ser.key] = last ? last[ser.key] : null; });
    canvas.setAttribute('data-points', String(points.length));
    canvas.setAttribute('data-last', JSON.stringify(values));
    api.points[chart.id] = points.length;
  }

  function render() {
    if (!latest) return;
    var pool = null;
    latest.pools.forEach(function (p) { if (p.pool === api.selected) pool = p; });
    var select = $('pool');
    var names = latest.pools.map(function (p) { return p.pool; });
    if (select.options.length !== names.length || names.some(function (n, i) { return select.options[i].value !== n; })) {
      select.textContent = '';
      names.forEach(function (n) { var o = document.createElement('option'); o.value = n; o.textContent = n; select.appendChild(o); });
    }
    select.value = api.selected || '';
    $('empty').hidden = !!pool;
    $('content').hidden = !pool;
    var badge = $('state');
    badge.textContent = pool ? pool.state : 'no pool';
    badge.className = 'badge ' + (pool ? pool.state : '');
    api.state = pool ? pool.state : null;
    renderTable();
    if (!pool) return;
    var t = pool.tasks;
    $('c-completed').textContent = fmt(t.completed);
    $('c-failed').textContent = fmt(t.failed + t.timedOut);
    $('c-rejected').textContent = fmt(t.rejected);
    $('c-queue').textContent = fmt(pool.queueDepth);
    $('c-workers').textContent = pool.workers.busy + ' / ' + pool.workers.total;
    $('c-util').textContent = Math.round(pool.utilization * 100) + '%';
    var points = histories.get(pool.pool) || [];
    CHARTS.forEach(function (c) { draw(c, points, latest.time); });
    api.last = points[points.length - 1] || null;
  }

  function renderTable() {
    var body = $('pools');
    body.textContent = '';
    latest.pools.forEach(function (p) {
      var tr = document.createElement('tr');
      [p.pool, p.state, fmt(p.throughput['1s']), fmt(p.throughput['60s']), fmt(p.queueDepth),
        p.workers.busy + ' / ' + p.workers.total, fmt(p.run.recent.p99, 'ms'), fmt(p.errorRate['60s'] * 100) + '%']
        .forEach(function (text) { var td = document.createElement('td'); td.textContent = text; tr.appendChild(td); });
      body.appendChild(tr);
    });
  }

  function onSnapshot(snap) {
    latest = snap;
    api.samples++;
    api.pools = snap.pools.map(function (p) { return p.pool; });
    var seen = new Set();
    snap.pools.forEach(function (p) {
      seen.add(p.pool);
      var h = histories.get(p.pool);
      if (!h) histories.set(p.pool, (h = []));
      h.push(sampleOf(snap.time, p));
      while (h.length > MAX_SAMPLES || (h.length > 0 && h[0].t < snap.time - WINDOW_MS)) h.shift();
    });
    // A pool the metrics dropped (closed, removed) takes its history with it.
    histories.forEach(function (_, name) { if (!seen.has(name)) histories.delete(name); });
    api.histories = histories.size;
    if (api.pools.indexOf(api.selected) < 0) api.selected = api.pools.length > 0 ? api.pools[0] : null;
    render();
  }

  function setConnection(cls, text) {
    var el = $('connection');
    el.className = 'badge ' + cls;
    el.textContent = text;
    api.connected = cls === 'live';
  }

  $('pool').addEventListener('change', function (e) { api.selected = e.target.value; render(); });
  window.addEventListener('resize', render);
  setConnection('connecting', 'connecting');
  var source = new EventSource(document.body.getAttribute('data-events') || 'events');
  source.onopen = function () { setConnection('live', 'live'); };
  source.onerror = function () { setConnection(source.readyState === 2 ? 'offline' : 'connecting', source.readyState === 2 ? 'offline' : 'reconnecting'); };
  source.onmessage = function (e) {
    setConnection('live', 'live');
    try { onSnapshot(JSON.parse(e.data)); } catch (err) { console.error('poolkit dashboard: bad snapshot', err); }
  };
})();
`

const CHART_TITLES: readonly (readonly [id: string, title: string])[] = [
  ['throughput', 'Throughput (tasks/s)'],
  ['queue', 'Queue depth and running tasks'],
  ['workers', 'Busy workers (of total)'],
  ['latency', 'Latency p50 / p95 / p99 (ms): run solid, wait dashed'],
]

const CARDS: readonly (readonly [id: string, label: string])[] = [
  ['c-completed', 'completed'],
  ['c-failed', 'failed or timed out'],
  ['c-rejected', 'rejected'],
  ['c-queue', 'queued now'],
  ['c-workers', 'workers busy / total'],
  ['c-util', 'utilization (10 s)'],
]

/**
 * The dashboard page.
 * @param intervalMs - the server's snapshot period, shown on the page.
 */
export function renderDashboard(intervalMs: number): string {
  const charts = CHART_TITLES.map(
    ([id, title]) =>
      `<figure><figcaption>${title}</figcaption><canvas id="chart-${id}" data-points="0" role="img" aria-label="${title}"></canvas><div class="legend" id="legend-${id}"></div></figure>`,
  ).join('\n')
  const cards = CARDS.map(([id, label]) => `<div class="card"><div class="value" id="${id}">-</div><div class="label">${label}</div></div>`).join('\n')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>poolkit metrics</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_STYLE}</style>
</head>
<body data-events="events">
<header>
<h1>poolkit metrics</h1>
<label>pool <select id="pool" aria-label="pool"></select></label>
<span id="state" class="badge">no pool</span>
<span class="spacer"></span>
<span class="muted">last 2 minutes, a snapshot every ${intervalMs} ms</span>
<span id="connection" class="badge">connecting</span>
</header>
<main>
<p id="empty" class="muted">Waiting for a snapshot with at least one pool...</p>
<div id="content" hidden>
<section class="cards">
${cards}
</section>
<section class="charts">
${charts}
</section>
<table>
<thead><tr><th>pool</th><th>state</th><th>tasks/s (1 s)</th><th>tasks/s (60 s)</th><th>queued</th><th>workers busy / total</th><th>run p99</th><th>errors (60 s)</th></tr></thead>
<tbody id="pools"></tbody>
</table>
</div>
</main>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`
}
