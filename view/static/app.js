// beamlens live view: draws the snapshots the server streams. Everything
// drawn comes from /events; nothing is sent back.
'use strict';

const $ = (id) => document.getElementById(id);
const fmtTime = (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const palette = ['#2f80ed', '#27ae60', '#9b51e0', '#f2994a', '#eb5757', '#56ccf2'];

function text(el, v) { el.textContent = String(v); }

// Axis labels: times in UTC (the pipelines' event times are UTC), as
// HH:MM within a day and MM-DD HH:MM beyond; values short.
function timeLabels(span) {
  return (t) => {
    const iso = new Date(t * 1000).toISOString();
    return span > 86400 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
  };
}
const valueLabel = (v) => (v == null ? '' : Math.abs(v) >= 1000 ? v.toFixed(0) : String(+v.toFixed(2)));

// axis returns a uPlot axis whose tick labels are also recorded on el
// (data-<key>-ticks): what was drawn can be read back from the DOM.
function axis(el, key, label, fmt) {
  return {
    label, labelSize: 14, size: key === 'x' ? 36 : 46, stroke: '#52606d',
    grid: { stroke: '#eef0f3', width: 1 }, ticks: { stroke: '#cbd2d9', width: 1, size: 4 },
    values: (u, splits) => {
      const out = splits.map((v) => fmt(v, u));
      el.dataset[`${key}Ticks`] = out.filter((x) => x !== '').join('|');
      el.dataset[`${key}Label`] = label;
      return out;
    },
  };
}

// deviceData aligns a device's window stats and anomalies on one time axis
// (seconds), as uPlot wants: [t, lo, hi, mean, anomaly].
function deviceData(chart) {
  const byT = new Map();
  const row = (t) => {
    const k = t / 1000;
    if (!byT.has(k)) byT.set(k, [k, null, null, null, null]);
    return byT.get(k);
  };
  for (const p of chart.stats || []) Object.assign(row(p.t), { 1: p.lo, 2: p.hi, 3: p.mean });
  for (const p of chart.flagged || []) row(p.t)[4] = p.value;
  const rows = Array.from(byT.values()).sort((a, b) => a[0] - b[0]);
  return [0, 1, 2, 3, 4].map((i) => rows.map((r) => r[i]));
}

const fullTime = (u, t) => (t == null ? '' : fmtTime(t * 1000) + ' UTC');
const fullValue = (u, v) => (v == null ? '-' : String(+v.toFixed(3)));

function deviceOpts(el, chart, width) {
  const span = () => el._span || 0;
  return {
    width, height: 170,
    scales: { x: { time: true } },
    series: [
      { label: 'time', value: fullTime },
      { label: '-2σ', stroke: 'rgba(47,128,237,0.35)', width: 1, spanGaps: true, points: { show: false }, value: fullValue },
      { label: '+2σ', stroke: 'rgba(47,128,237,0.35)', width: 1, spanGaps: true, points: { show: false }, value: fullValue },
      { label: 'mean', stroke: '#2f80ed', width: 1.5, spanGaps: true, points: { show: false }, value: fullValue },
      { label: 'anomaly', stroke: '#d9480f', fill: '#d9480f', width: 0, paths: () => null,
        points: { show: true, size: 6, stroke: '#d9480f', fill: '#d9480f' }, value: fullValue },
    ],
    bands: [{ series: [2, 1], fill: 'rgba(47,128,237,0.15)' }],
    axes: [
      axis(el, 'x', 'event time (UTC)', (v) => timeLabels(span())(v)),
      axis(el, 'y', chart.metric || 'value', valueLabel),
    ],
    legend: { live: true },
    cursor: { points: { size: 7 } },
  };
}

function drawDevice(el, chart) {
  const data = deviceData(chart);
  const box = el.querySelector('.plot');
  const width = Math.max(280, box.clientWidth || 340);
  el._span = data[0].length > 1 ? data[0][data[0].length - 1] - data[0][0] : 0;
  if (el._plot && el._metric === chart.metric) {
    el._plot.setData(data);
  } else {
    if (el._plot) el._plot.destroy();
    el._plot = new uPlot(deviceOpts(el, chart, width), data, box);
    el._metric = chart.metric;
  }
}

function renderCharts(charts) {
  const box = $('charts');
  const keep = new Set(charts.map((c) => c.device));
  for (const el of Array.from(box.children)) {
    if (!keep.has(el.dataset.device)) {
      if (el._plot) el._plot.destroy();
      el.remove();
    }
  }
  charts.forEach((c) => {
    let el = box.querySelector(`[data-device="${CSS.escape(c.device)}"]`);
    if (!el) {
      el = document.createElement('div');
      el.className = 'chart';
      el.dataset.device = c.device;
      el.innerHTML = '<h3></h3><div class="plot"></div>';
    }
    box.appendChild(el); // keeps the server's order
    const h = el.querySelector('h3');
    h.textContent = '';
    h.append(`${c.device} ${c.metric || ''} `);
    const n = document.createElement('span');
    n.textContent = `${c.anomalies} anomalies`;
    h.append(n);
    drawDevice(el, c);
    el.dataset.drawn = 'true';
  });
}

// themesData: one series per top theme, its mentions in each window (null
// where the theme is not among the window's top).
function themesData(snap, themes) {
  const wins = snap.windows || [];
  const xs = wins.map((w) => w.start / 1000);
  const ys = themes.map((th) => wins.map((w) => {
    const t = w.top.find((x) => x.theme === th);
    return t ? t.count : null;
  }));
  return [xs, ...ys];
}

function renderThemes(snap) {
  const ol = $('top-themes');
  ol.replaceChildren(...(snap.top_themes || []).map((t) => {
    const li = document.createElement('li');
    li.dataset.theme = t.theme;
    li.textContent = `${t.theme} (${t.count})`;
    return li;
  }));
  const el = $('themes-chart');
  const wins = snap.windows || [];
  const themes = (snap.top_themes || []).map((t) => t.theme);
  const alerted = wins.filter((w) => (w.alerts || []).length > 0);
  el.dataset.alertWindows = String(alerted.length);
  if (wins.length === 0) {
    if (el._plot) { el._plot.destroy(); el._plot = null; }
    return;
  }
  const data = themesData(snap, themes);
  el._span = data[0].length > 1 ? data[0][data[0].length - 1] - data[0][0] : 0;
  el._alerts = alerted.map((w) => w.start / 1000);
  const key = themes.join('\u0000');
  if (el._plot && el._key === key) {
    el._plot.setData(data);
    return;
  }
  if (el._plot) el._plot.destroy();
  el._key = key;
  const opts = {
    width: Math.max(300, el.clientWidth || 480), height: 220,
    scales: { x: { time: true } },
    series: [{ label: 'window', value: fullTime }].concat(themes.map((th, k) => ({
      label: th, stroke: palette[k % palette.length], width: 1.5, spanGaps: false,
      points: { show: true, size: 4, fill: palette[k % palette.length] }, value: (u, v) => (v == null ? '-' : String(v)),
    }))),
    axes: [
      axis(el, 'x', 'window start (UTC)', (v) => timeLabels(el._span)(v)),
      axis(el, 'y', 'mentions', valueLabel),
    ],
    hooks: {
      // A marker over each window with a trend alert.
      draw: [(u) => {
        const ctx = u.ctx;
        ctx.save();
        ctx.fillStyle = '#ffb020';
        for (const t of el._alerts || []) {
          const cx = u.valToPos(t, 'x', true), y = u.bbox.top + 2 * devicePixelRatio;
          ctx.beginPath();
          ctx.moveTo(cx, y + 9 * devicePixelRatio);
          ctx.lineTo(cx - 6 * devicePixelRatio, y);
          ctx.lineTo(cx + 6 * devicePixelRatio, y);
          ctx.closePath();
          ctx.fill();
        }
        ctx.restore();
      }],
    },
  };
  el._plot = new uPlot(opts, data, el);
}

// renderEmpty says, on a page with nothing to show, what the view follows
// and what is missing, instead of leaving blank charts.
function renderEmpty(snap) {
  const box = $('empty');
  const nothing = !snap.anomalies && !snap.stats_windows && !snap.mentions && !snap.alerts_total;
  box.hidden = !nothing;
  box.dataset.empty = String(nothing);
  if (!nothing) return;
  const p = document.createElement('div');
  const bad = snap.bad_lines ? ` (${snap.bad_lines} lines read were not beamlens records)` : '';
  p.textContent = `Nothing to show yet${bad}. The view follows:`;
  const ul = document.createElement('ul');
  for (const s of snap.sources || []) {
    const li = document.createElement('li');
    const code = document.createElement('code');
    code.textContent = s.where;
    li.append(`${s.name}: `, code, s.missing ? ' - does not exist (yet)' : ' - nothing in it yet');
    ul.appendChild(li);
  }
  const hint = document.createElement('div');
  hint.textContent = 'Point --dir at a directory beamlens demo wrote or at an --output directory of beamlens anomalies or themes, or name the streams with --anomalies, --stats, --themes and --alerts.';
  box.replaceChildren(p, ul, hint);
}

function renderAlerts(snap) {
  $('alerts').replaceChildren(...(snap.alerts || []).slice(0, 20).map((a) => {
    const li = document.createElement('li');
    li.textContent = `${a.theme}: ${a.count} in the window from ${a.window_start} (baseline ${Number(a.baseline).toFixed(1)}, score ${Number(a.score).toFixed(1)})`;
    return li;
  }));
}

function renderRecent(snap) {
  const body = $('recent').querySelector('tbody');
  body.replaceChildren(...(snap.recent || []).slice(0, 50).map((a) => {
    const tr = document.createElement('tr');
    for (const v of [fmtTime(a.t), a.device, a.metric, a.value.toFixed(2), a.score.toFixed(2), a.detector]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.appendChild(td);
    }
    return tr;
  }));
}

function render(snap) {
  const t0 = performance.now();
  text($('anomaly-count'), snap.anomalies);
  text($('device-count'), snap.devices);
  text($('stats-count'), snap.stats_windows);
  text($('mention-count'), snap.mentions);
  text($('alert-count'), snap.alerts_total);
  renderCharts(snap.charts || []);
  renderThemes(snap);
  renderAlerts(snap);
  renderRecent(snap);
  renderEmpty(snap);
  document.body.dataset.version = String(snap.version);
  document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
  document.body.dataset.rendered = 'true';
  text($('status'), `live, updated ${new Date().toLocaleTimeString()}`);
}

// ?once renders one snapshot, fetched, and does not listen: a page that
// keeps a stream open never finishes loading, which is what screenshots and
// headless browsers wait for.
if (new URLSearchParams(location.search).has('once')) {
  fetch('snapshot').then((r) => r.json()).then((snap) => {
    render(snap);
    text($('status'), 'snapshot (?once): drop ?once to follow live');
  });
} else {
  const source = new EventSource('events');
  source.onmessage = (e) => render(JSON.parse(e.data));
  source.onerror = () => text($('status'), 'disconnected, retrying...');
}
