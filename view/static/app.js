// beamlens live view: draws the snapshots the server streams. Everything
// drawn comes from /events; nothing is sent back.
'use strict';

const $ = (id) => document.getElementById(id);
const fmtTime = (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const palette = ['#2f80ed', '#27ae60', '#9b51e0', '#f2994a', '#eb5757', '#56ccf2'];

function text(el, v) { el.textContent = String(v); }

function drawDevice(canvas, chart) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height, pad = 4;
  ctx.clearRect(0, 0, W, H);
  const stats = (chart.stats || []).slice().sort((a, b) => a.t - b.t);
  const flagged = (chart.flagged || []).slice().sort((a, b) => a.t - b.t);
  const ts = stats.map((p) => p.t).concat(flagged.map((p) => p.t));
  const vs = stats.flatMap((p) => [p.lo, p.hi]).concat(flagged.map((p) => p.value));
  if (ts.length === 0) return;
  const t0 = Math.min(...ts), t1 = Math.max(...ts) || t0 + 1;
  const v0 = Math.min(...vs), v1 = Math.max(...vs);
  const x = (t) => pad + (W - 2 * pad) * (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0));
  const y = (v) => H - pad - (H - 2 * pad) * (v1 === v0 ? 0.5 : (v - v0) / (v1 - v0));
  if (stats.length > 0) {
    ctx.fillStyle = 'rgba(47,128,237,0.15)';
    ctx.beginPath();
    stats.forEach((p, i) => (i ? ctx.lineTo(x(p.t), y(p.hi)) : ctx.moveTo(x(p.t), y(p.hi))));
    stats.slice().reverse().forEach((p) => ctx.lineTo(x(p.t), y(p.lo)));
    ctx.closePath();
    ctx.fill();
    ctx.strokeStyle = '#2f80ed';
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    stats.forEach((p, i) => (i ? ctx.lineTo(x(p.t), y(p.mean)) : ctx.moveTo(x(p.t), y(p.mean))));
    ctx.stroke();
  }
  ctx.fillStyle = '#d9480f';
  for (const p of flagged) {
    ctx.beginPath();
    ctx.arc(x(p.t), y(p.value), 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function renderCharts(charts) {
  const box = $('charts');
  const keep = new Set(charts.map((c) => c.device));
  for (const el of Array.from(box.children)) if (!keep.has(el.dataset.device)) el.remove();
  charts.forEach((c, i) => {
    let el = box.querySelector(`[data-device="${CSS.escape(c.device)}"]`);
    if (!el) {
      el = document.createElement('div');
      el.className = 'chart';
      el.dataset.device = c.device;
      el.innerHTML = '<h3></h3><canvas width="300" height="110"></canvas>';
    }
    box.appendChild(el); // keeps the server's order
    el.querySelector('h3').textContent = '';
    const h = el.querySelector('h3');
    h.append(`${c.device} ${c.metric || ''} `);
    const n = document.createElement('span');
    n.textContent = `${c.anomalies} anomalies`;
    h.append(n);
    drawDevice(el.querySelector('canvas'), c);
    el.dataset.drawn = 'true';
  });
}

function renderThemes(snap) {
  const ol = $('top-themes');
  ol.replaceChildren(...(snap.top_themes || []).map((t) => {
    const li = document.createElement('li');
    li.dataset.theme = t.theme;
    li.textContent = `${t.theme} (${t.count})`;
    return li;
  }));
  const canvas = $('themes-chart'), ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const wins = snap.windows || [];
  canvas.dataset.alertWindows = '0';
  if (wins.length === 0) return;
  const themes = (snap.top_themes || []).map((t) => t.theme);
  const max = Math.max(1, ...wins.flatMap((w) => w.top.map((t) => t.count)));
  const bw = (canvas.width - 20) / wins.length;
  let highlighted = 0;
  wins.forEach((w, i) => {
    let y = canvas.height - 16;
    const alerted = new Set(w.alerts || []);
    for (const t of w.top) {
      const k = themes.indexOf(t.theme);
      const h = (canvas.height - 30) * t.count / max / 2;
      ctx.fillStyle = k >= 0 ? palette[k % palette.length] : '#cbd2d9';
      ctx.fillRect(10 + i * bw, y - h, Math.max(1, bw - 1), h);
      if (alerted.has(t.theme)) {
        // The alerted theme's share of the window, outlined.
        ctx.strokeStyle = '#ffb020';
        ctx.lineWidth = 2;
        ctx.strokeRect(10 + i * bw + 1, y - h + 1, Math.max(1, bw - 3), h - 2);
      }
      y -= h;
    }
    if (alerted.size > 0) {
      // A marker over the window, also for an alerted theme outside its top.
      highlighted++;
      const cx = 10 + i * bw + bw / 2;
      y = Math.max(y, 26); // below the legend
      ctx.fillStyle = '#ffb020';
      ctx.beginPath();
      ctx.moveTo(cx, y - 3);
      ctx.lineTo(cx - 5, y - 11);
      ctx.lineTo(cx + 5, y - 11);
      ctx.closePath();
      ctx.fill();
    }
  });
  canvas.dataset.alertWindows = String(highlighted);
  ctx.font = '10px sans-serif';
  themes.forEach((t, k) => {
    ctx.fillStyle = palette[k % palette.length];
    ctx.fillText(t, 10 + k * 100, 10);
  });
  ctx.fillStyle = '#616e7c';
  ctx.fillText(fmtTime(wins[0].start), 10, canvas.height - 3);
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
