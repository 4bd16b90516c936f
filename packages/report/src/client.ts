/**
 * The page script (plain ES2017, run by the browser): reads the JSON island, draws each plot with
 * Chart.js, then publishes the test contract `window.tesseraPlots` and `document.body.dataset.ready`.
 * It is inlined verbatim; its SHA-256 goes into the page's Content-Security-Policy.
 * @module
 */

/**
 * Source of the page script. It expects `window.Chart` and `<script id="tessera-data" type="application/json">`.
 * @example
 * ```ts
 * `<script>${CLIENT_SCRIPT}</script>`;
 * ```
 */
export const CLIENT_SCRIPT = `(function () {
  'use strict';
  var plots = {};
  var charts = [];
  function finish() {
    window.tesseraPlots = plots;
    document.body.dataset.ready = '1';
  }
  function hatch(color) {
    var c = document.createElement('canvas');
    c.width = 8; c.height = 8;
    var g = c.getContext('2d');
    g.fillStyle = color + '33'; g.fillRect(0, 0, 8, 8);
    g.strokeStyle = color; g.lineWidth = 1.5;
    g.beginPath(); g.moveTo(-1, 9); g.lineTo(9, -1); g.moveTo(-1, 1); g.lineTo(1, -1); g.moveTo(7, 9); g.lineTo(9, 7); g.stroke();
    return g.createPattern(c, 'repeat');
  }
  function fmt(v, digits) {
    if (v === null || v === undefined) return '\\u2014';
    if (typeof v !== 'number') return String(v);
    return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  }
  function axis(spec, a, stacked) {
    var s = { title: { display: !!a.title, text: a.title, font: { weight: '600' } }, grid: { color: '#e5e7eb' }, border: { color: '#9ca3af' }, ticks: { color: '#374151' }, stacked: !!stacked };
    if (a.type) s.type = a.type;
    if (a.type === 'category' && spec.type === 'line') s.offset = true;
    ['min', 'max', 'suggestedMin', 'suggestedMax'].forEach(function (k) { if (typeof a[k] === 'number') s[k] = a[k]; });
    if (a.integer) s.ticks.precision = 0;
    if (a.ticks) {
      var ticks = a.ticks;
      s.afterBuildTicks = function (scale) { scale.ticks = ticks.map(function (v) { return { value: v }; }); };
    }
    if (a.infinity || a.type === 'logarithmic') {
      var inf = a.infinity;
      s.ticks.autoSkip = false;
      s.ticks.maxRotation = 0;
      s.ticks.callback = function (v) {
        if (inf && Math.abs(v - inf.at) <= 1e-9 * inf.at) return inf.label;
        return Number(v.toPrecision(6)).toString();
      };
    }
    return s;
  }
  function config(spec) {
    var isBar = spec.type === 'bar';
    var datasets = spec.datasets.map(function (d) {
      var bar = d.kind ? d.kind === 'bar' : isBar;
      var o = {
        label: d.label, data: d.data, borderColor: d.color,
        backgroundColor: d.hatch ? hatch(d.color) : (bar ? d.color : d.color),
        borderWidth: bar ? (d.hatch ? 1 : 0) : 2,
        pointRadius: bar ? 0 : 3.5, pointHoverRadius: 6, pointStyle: d.pointStyle || 'circle',
        tension: 0, spanGaps: false, order: d.dashed ? 10 : 1
      };
      if (d.kind) o.type = d.kind;
      if (bar) { o.stack = 'stack'; o.maxBarThickness = 46; o.borderRadius = 0; }
      if (d.dashed) { o.borderDash = [7, 5]; o.borderWidth = 1.75; o.pointRadius = 0; o.pointHoverRadius = 0; o.pointHitRadius = 0; o.pointStyle = 'line'; }
      return o;
    });
    var x = axis(spec, spec.x, spec.stacked);
    var y = axis(spec, spec.y, spec.stacked);
    if (spec.horizontal) { x.stacked = !!spec.stacked; y.stacked = !!spec.stacked; }
    return {
      type: spec.type,
      data: { labels: spec.labels ? spec.labels.slice() : undefined, datasets: datasets },
      plugins: [shadePlugin],
      options: {
        tesseraShade: spec.shade || [],
        animation: false, responsive: true, maintainAspectRatio: false,
        indexAxis: spec.horizontal ? 'y' : 'x',
        interaction: { mode: 'nearest', intersect: false, axis: spec.horizontal ? 'y' : 'x' },
        scales: { x: x, y: y },
        plugins: {
          legend: { position: 'bottom', labels: { usePointStyle: true, boxWidth: 8, boxHeight: 8, padding: 14, color: '#1f2328' } },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length) return '';
                var i = items[0].dataIndex;
                if (spec.titles && spec.titles[i] !== undefined) return spec.titles[i];
                return items[0].label;
              },
              label: function (ctx) {
                var d = spec.datasets[ctx.datasetIndex];
                var raw = ctx.raw;
                var v = raw !== null && typeof raw === 'object' ? raw.y : raw;
                return ' ' + d.label + ': ' + fmt(v, typeof d.digits === 'number' ? d.digits : 3);
              },
              afterLabel: function (ctx) {
                var n = spec.datasets[ctx.datasetIndex].notes;
                return n && n[ctx.dataIndex] ? n[ctx.dataIndex] : '';
              }
            }
          }
        }
      }
    };
  }
  var shadePlugin = {
    id: 'tesseraShade',
    beforeDatasetsDraw: function (chart) {
      var idx = chart.config.options.tesseraShade;
      if (!idx || !idx.length) return;
      var x = chart.scales.x, area = chart.chartArea, g = chart.ctx;
      var step = x.ticks.length > 1 ? Math.abs(x.getPixelForValue(1) - x.getPixelForValue(0)) : area.right - area.left;
      g.save();
      g.fillStyle = 'rgba(213, 94, 0, 0.10)';
      idx.forEach(function (i) {
        var cx = x.getPixelForValue(i);
        var left = Math.max(area.left, cx - step / 2), right = Math.min(area.right, cx + step / 2);
        g.fillRect(left, area.top, right - left, area.bottom - area.top);
      });
      g.restore();
    }
  };
  function count(chart) {
    var n = 0;
    chart.data.datasets.forEach(function (d) {
      d.data.forEach(function (v) { if (v !== null && v !== undefined && (typeof v !== 'object' || (v.y !== null && v.y !== undefined))) n++; });
    });
    return n;
  }
  try {
    var island = document.getElementById('tessera-data');
    var data = JSON.parse(island.textContent);
    var figures = document.querySelectorAll('figure[data-plot]');
    for (var i = 0; i < figures.length; i++) if (figures[i].getAttribute('data-render') === 'text') plots[figures[i].getAttribute('data-plot')] = 0;
    var Chart = window.Chart;
    if (typeof Chart !== 'function') throw new Error('Chart.js did not load');
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = '#374151';
    data.plots.forEach(function (spec) {
      var fig = document.querySelector('figure[data-plot="' + spec.id + '"]');
      var canvas = fig && fig.querySelector('canvas');
      if (!canvas) { console.error('tessera report: no canvas for plot ' + spec.id); return; }
      try {
        var chart = new Chart(canvas, config(spec));
        charts.push(chart);
        plots[spec.id] = count(chart);
      } catch (e) {
        console.error('tessera report: plot ' + spec.id + ' failed: ' + (e && e.message));
      }
    });
    var resize = function () { charts.forEach(function (c) { c.resize(); }); };
    window.addEventListener('beforeprint', resize);
    window.addEventListener('afterprint', resize);
  } catch (e) {
    console.error('tessera report: ' + (e && e.message));
  }
  if (window.requestAnimationFrame) window.requestAnimationFrame(finish); else finish();
})();`;
