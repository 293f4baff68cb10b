// Time-series charts with uPlot. Band (allowed range) and excursion spans are
// drawn as elements inside uPlot's overlay (class band-mark, excursion-mark)
// so they are visible, labelled for screen readers, and countable by tests.
import uPlot from 'uplot';
import { fmtDateTime, fmtNumber, fmtTime, t } from './i18n.js';
import { h } from './ui.js';

function sizeOf(el) {
  const w = Math.max(300, el.clientWidth || 600);
  return { width: w, height: Math.max(220, Math.min(360, Math.round(w * 0.42))) };
}

// opts: { title, unit, xs (seconds), series: [{label, values, colour, fill, width}],
//         band: {low, high} | null, spans: [{from_s, to_s, label}] }
export function timeChart(el, opts) {
  el.classList.add('chart');
  const data = [opts.xs, ...opts.series.map((s) => s.values)];
  const overlays = [];
  const place = (u) => {
    for (const o of overlays) o.remove();
    overlays.length = 0;
    if (opts.band && opts.band.low !== null && opts.band.high !== null) {
      const top = u.valToPos(opts.band.high, 'y'), bottom = u.valToPos(opts.band.low, 'y');
      const b = h('div', { class: 'band-mark', role: 'img', 'aria-label': t('cold.band', { low: fmtNumber(opts.band.low), high: fmtNumber(opts.band.high) }) });
      Object.assign(b.style, { top: Math.max(0, top) + 'px', height: Math.max(1, Math.min(u.over.clientHeight, bottom) - Math.max(0, top)) + 'px' });
      u.over.append(b);
      overlays.push(b);
    }
    for (const s of opts.spans || []) {
      const x0 = Math.max(0, u.valToPos(s.from_s, 'x'));
      const x1 = Math.min(u.over.clientWidth, u.valToPos(s.to_s ?? opts.xs[opts.xs.length - 1], 'x'));
      const m = h('div', { class: 'excursion-mark', role: 'img', title: s.label, 'aria-label': s.label },
        h('span', { class: 'excursion-flag' }, '!'));
      Object.assign(m.style, { left: x0 + 'px', width: Math.max(3, x1 - x0) + 'px' });
      u.over.append(m);
      overlays.push(m);
    }
  };
  const yRange = (u, min, max) => {
    let lo = min, hi = max;
    if (opts.band) { lo = Math.min(lo, opts.band.low); hi = Math.max(hi, opts.band.high); }
    const pad = (hi - lo) * 0.08 || 1;
    return [lo - pad, hi + pad];
  };
  const u = new uPlot({
    ...sizeOf(el),
    title: opts.title,
    scales: { x: { time: true }, y: { range: yRange } },
    axes: [
      { values: (u, ticks) => ticks.map((v) => fmtTime(v * 1000)) },
      { label: opts.unit || '', values: (u, ticks) => ticks.map((v) => fmtNumber(v)) },
    ],
    legend: { live: true },
    series: [
      { label: t('common.time'), value: (u, v) => (v === null ? '—' : fmtDateTime(v * 1000)) },
      ...opts.series.map((s) => ({ label: s.label, stroke: s.colour || '#1f5f8b', width: s.width || 2, fill: s.fill, points: { show: false },
        value: (u, v) => (v === null || v === undefined ? '—' : fmtNumber(v, 1)) })),
    ],
    hooks: { draw: [place] },
  }, data, el);
  const onResize = () => u.setSize(sizeOf(el));
  window.addEventListener('resize', onResize);
  return { u, destroy() { window.removeEventListener('resize', onResize); u.destroy(); } };
}

// Bars for per-minute counts (live session order curve).
export function barChart(el, { xs, values, label, colour }) {
  el.classList.add('chart');
  const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined;
  const u = new uPlot({
    ...sizeOf(el),
    scales: { x: { time: false }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
    axes: [{ label: t('live.minute') }, { values: (u, ticks) => ticks.map((v) => fmtNumber(v)) }],
    series: [{ label: t('live.minute') }, { label, stroke: colour || '#1f5f2a', fill: (colour || '#1f5f2a') + '99', paths: bars, points: { show: false } }],
  }, [xs, values], el);
  const onResize = () => u.setSize(sizeOf(el));
  window.addEventListener('resize', onResize);
  return {
    u,
    update(nx, nv) { u.setData([nx, nv]); },
    destroy() { window.removeEventListener('resize', onResize); u.destroy(); },
  };
}
