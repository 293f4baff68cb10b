// Cold chain and sensors: a series chart with the commodity profile's allowed
// band shaded and excursions marked, the cold-chain report (MKT, time out of
// range, shelf life left), the alert list with acknowledge/close, farm plots
// with irrigation advice and water/air stations with their class or AQI.
//
// Conventions read from the public telemetry API: plots are series
// `soil,plot=<name> moisture` (the irrigation route's own convention);
// stations are series `water,station=<name> <item>` (GB 3838 items: ph, do,
// codmn, cod, bod5, nh3n, tp, tn) and `air,station=<name> <pollutant>`
// (HJ 633 names: pm25_24h, pm10_24h, o3_8h ...).
import { get, post } from '../api.js';
import { fmtDateTime, fmtDays, fmtDuration, fmtMm, fmtNumber, fmtTemp, locale, pick, t } from '../i18n.js';
import { timeChart } from '../chart.js';
import { badge, clear, errorBox, errorText, fill, h, note, requests, select, table } from '../ui.js';

const STAFF = new Set(['admin', 'operator']);
const RANGES = { '6h': 6 * 3600e3, '24h': 24 * 3600e3, '7d': 7 * 86400e3 };
const STATE_KIND = { open: 'bad', acknowledged: 'warn', closed: 'ok' };

export function parseKey(key) {
  const sp = key.indexOf(' ');
  const head = sp < 0 ? key : key.slice(0, sp);
  const [measurement, ...tagParts] = head.split(',');
  const tags = {};
  for (const p of tagParts) { const i = p.indexOf('='); if (i > 0) tags[p.slice(0, i)] = p.slice(i + 1); }
  return { measurement, tags, field: sp < 0 ? '' : key.slice(sp + 1) };
}

function seriesLabel(s) {
  const k = parseKey(s.key || '');
  const tags = Object.entries(k.tags).map(([a, b]) => a + '=' + b).join(' ');
  return `${s.measurement || k.measurement} ${tags} · ${s.field || k.field}`.trim();
}

// An alert's peak (the highest value of a high, the lowest of a low), as
// both its title and its Peak column show it. The server's own title is a
// snapshot taken when the alert was raised (its figures stop there, while
// the peak goes on with the excursion), so the title is made here from the
// alert's fields instead.
const isTemp = (s) => s && (s.measurement === 'cold' || /temp/.test(s.field || ''));

function peakText(a, s) {
  if (a.peak === null || a.peak === undefined) return '—';
  return isTemp(s) ? fmtTemp(a.peak) : fmtNumber(a.peak, 1);
}

function alertTitle(a, s) {
  const peak = peakText(a, s);
  const secs = a.duration_s ?? (a.end ? (Date.parse(a.end) - Date.parse(a.start)) / 1000 : null);
  if (a.kind === 'excursion_high' || a.kind === 'excursion_low') {
    const side = a.kind === 'excursion_high' ? 'high' : 'low';
    return secs === null ? t('cold.alert.title.' + side, { peak }) : t('cold.alert.title.' + side + '_for', { peak, time: fmtDuration(secs) });
  }
  if (a.kind === 'cumulative') return t('cold.alert.title.cumulative', { peak });
  return a.title;
}

export async function render(root, ctx) {
  const canAct = ctx.me && STAFF.has(ctx.me.role);
  const chartCard = h('section', { class: 'card', id: 'cold-chart-card' });
  const alertCard = h('section', { class: 'card', id: 'alerts-card' });
  const farmCard = h('section', { class: 'card', id: 'farm-card' });
  const envCard = h('section', { class: 'card', id: 'env-card' });
  root.append(h('h1', null, t('cold.title')), chartCard, alertCard, h('div', { class: 'grid2' }, farmCard, envCard));

  // Independent requests go out together (a slow rural link pays each
  // round trip once, not once per request).
  let all = [], profiles = new Map(), chart = null;
  try {
    const [series, profs] = await Promise.all([get('/telemetry/series'), get('/telemetry/profiles')]);
    all = series.series || [];
    profiles = new Map((profs.profiles || []).map((p) => [p.code, p]));
  } catch (e) { chartCard.append(errorBox(e)); return; }

  // ---- chart
  const cold = all.filter((s) => !['soil', 'water', 'air'].includes(s.measurement));
  const params = new URLSearchParams(location.search);
  const wanted = params.get('series');
  const seriesSel = select('cold-series', cold.map((s) => [s.id, seriesLabel(s)]), wanted || (cold[0] && cold[0].id));
  const rangeSel = select('cold-range', Object.keys(RANGES).map((k) => [k, t('cold.range.' + k)]), RANGES[params.get('range')] ? params.get('range') : '24h');
  const chartEl = h('div', { id: 'cold-chart' });
  const chartNote = h('div', { id: 'cold-chart-note', 'aria-live': 'polite' });
  const report = h('div', { id: 'cold-report' });
  const drawing = requests(chartEl);
  const byId = new Map(all.map((s) => [s.id, s]));
  chartCard.append(h('h2', null, t('cold.series')), chartNote);
  if (!cold.length) chartCard.append(note(t('cold.no_series')));
  else {
    chartCard.append(
      h('div', { class: 'filters' },
        h('div', { class: 'field' }, h('label', { for: 'cold-series' }, t('cold.series')), seriesSel),
        h('div', { class: 'field' }, h('label', { for: 'cold-range' }, t('cold.range')), rangeSel)),
      chartEl, report);
  }

  let wantedNow = null; // a series asked for that this chart cannot show

  // The page's choices in its address (series, range, alert state), so that
  // a series link, Back and a reload keep them.
  function remember(push) {
    const q = new URLSearchParams();
    const id = seriesSel.value || wantedNow;
    if (id) q.set('series', id);
    q.set('range', rangeSel.value);
    q.set('state', stateSel.value);
    const url = '/coldchain?' + q;
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }

  function clearChart() {
    if (chart) { chart.destroy(); chart = null; }
    clear(chartEl);
    clear(report);
    delete chartEl.dataset.series;
    delete chartEl.dataset.ready;
  }

  // The series of an alert link (or of the address): charted when it is a
  // cold-chain series, else said so (never another series' chart instead).
  function showSeries(id) {
    const s = cold.find((x) => String(x.id) === String(id));
    wantedNow = s ? null : String(id);
    if (s) {
      clear(chartNote);
      seriesSel.value = String(s.id);
      return drawChart();
    }
    drawing().done(); // a chart still coming is not shown
    clearChart();
    chartEl.classList.remove('chart'); // no empty chart-sized box
    seriesSel.selectedIndex = -1;
    const other = byId.get(Number(id));
    fill(chartNote, note(t('cold.not_charted', { series: other ? seriesLabel(other) : '#' + id })));
    return null;
  }

  async function drawChart() {
    if (!cold.length) return;
    const s = cold.find((x) => String(x.id) === seriesSel.value);
    if (!s) return;
    const req = drawing();
    const to = Date.now(), from = to - RANGES[rangeSel.value];
    clearChart();
    clear(chartNote);
    chartEl.append(h('p', null, t('common.loading')));
    const prof = s.profile ? profiles.get(s.profile) : null;
    const span = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    try {
      // The readings, the excursions and the cold-chain report at once; a
      // newer chart's request makes these stale (never shown).
      const [r, ex, c] = await Promise.all([
        get(`/telemetry/series/${s.id}/readings`, { ...span, points: 400 }),
        get('/telemetry/excursions'),
        // a report that cannot be made is said under the chart
        prof ? get(`/telemetry/series/${s.id}/cold-chain`, span).catch((e) => ({ error: e })) : null,
      ]);
      if (req.stale()) return;
      const pts = r.points || [];
      const xs = pts.map((p) => Date.parse(p.ts) / 1000);
      const mean = pts.map((p) => p.mean ?? p.value);
      const max = pts.map((p) => p.max ?? p.value);
      const min = pts.map((p) => p.min ?? p.value);
      const band = prof ? { low: prof.temp_min_c, high: prof.temp_max_c } : null;
      const spans = (ex.excursions || []).filter((a) => a.series_id === s.id)
        // An excursion spans its time out of range; a cumulative alert is a
        // moment (when the total time out of range reached the limit).
        .map((a) => ({ from_s: Date.parse(a.start) / 1000,
          to_s: a.kind === 'cumulative' ? Date.parse(a.start) / 1000 : a.end ? Date.parse(a.end) / 1000 : to / 1000,
          label: `${t('cold.excursion')}: ${t('cold.kind.' + a.kind)} · ${fmtDateTime(a.start)} · ${t('cold.alert.peak')} ${peakText(a, s)}` }))
        .filter((x) => x.to_s >= from / 1000 && x.from_s <= to / 1000);
      clear(chartEl);
      chartEl.dataset.series = String(s.id);
      chartEl.dataset.band = band ? `${band.low},${band.high}` : '';
      chartEl.dataset.excursions = String(spans.length);
      chart = timeChart(chartEl, {
        title: seriesLabel(s) + (prof ? ` · ${pick(prof)}` : ''),
        unit: isTemp(s) ? '°C' : '',
        xs,
        series: [
          { label: t('cold.mean'), values: mean, colour: '#1f5f8b', width: 2 },
          { label: t('cold.max'), values: max, colour: '#c05621', width: 1 },
          { label: t('cold.min'), values: min, colour: '#5a6b7b', width: 1 },
        ],
        band, spans,
      });
      report.append(h('p', { class: 'muted' },
        band ? t('cold.band', { low: fmtTemp(band.low, 0), high: fmtTemp(band.high, 0) }) : t('cold.no_band'),
        ' · ', t('cold.excursions', { n: spans.length })));
      if (c && c.error) report.append(errorBox(c.error));
      else if (c) {
        report.append(table([
          { label: t('cold.min_max'), render: (x) => `${fmtNumber(x.min_c, 1)} / ${fmtNumber(x.mean_c, 1)} / ${fmtTemp(x.max_c)}` },
          { label: t('cold.mkt'), num: true, render: (x) => fmtTemp(x.mkt_c) },
          { label: t('cold.out'), num: true, render: (x) => fmtDuration(x.out_of_range_s) },
          { label: t('cold.shelf'), num: true, render: (x) => (x.shelf_remaining_ref_h === null || x.shelf_remaining_ref_h === undefined ? '—' : fmtDays(x.shelf_remaining_ref_h / 24)) },
        ], [c], { caption: t('cold.report') }));
      }
      chartEl.dataset.ready = '1';
    } catch (e) {
      if (!req.stale()) clear(chartEl).append(errorBox(e));
    } finally { req.done(); }
  }
  seriesSel.addEventListener('change', () => { wantedNow = null; remember(); drawChart(); });
  rangeSel.addEventListener('change', () => { remember(); if (!wantedNow) drawChart(); });

  // ---- alerts
  const STATES = ['', 'open', 'acknowledged', 'closed'];
  const stateSel = select('alert-state', STATES.map((x) => [x, x ? t('cold.state.' + x) : t('common.all')]),
    STATES.includes(params.get('state')) ? params.get('state') : 'open');
  const alertBox = h('div', { id: 'alert-list', 'aria-live': 'polite' });
  alertCard.append(h('h2', null, t('cold.alerts')),
    h('div', { class: 'filters' }, h('div', { class: 'field' }, h('label', { for: 'alert-state' }, t('cold.alert.state')), stateSel)), alertBox);
  // An alert's series link stays on this page: the filters are kept.
  const seriesLink = (a) => h('a', { href: `/coldchain?series=${a.series_id}`, class: 'muted series-link', 'data-series': a.series_id,
    onclick: (e) => { e.preventDefault(); showSeries(a.series_id); remember(true); chartCard.scrollIntoView(); } },
  byId.get(a.series_id) ? seriesLabel(byId.get(a.series_id)) : '#' + a.series_id);
  async function loadAlerts() {
    try {
      const r = await get('/telemetry/alerts', { state: stateSel.value });
      const act = async (a, verb, btn) => {
        btn.disabled = true;
        try { await post(`/telemetry/alerts/${a.id}/${verb}`); await loadAlerts(); } catch (e) { alertBox.prepend(errorBox(e)); btn.disabled = false; }
      };
      const title = (a) => alertTitle(a, byId.get(a.series_id));
      clear(alertBox).append(table([
        { label: t('cold.alert.title'), render: (a) => h('span', null, h('span', { class: 'alert-title' }, title(a)), h('br'), seriesLink(a)) },
        { label: t('cold.alert.kind'), render: (a) => t('cold.kind.' + a.kind) },
        { label: t('cold.alert.severity'), num: true, render: (a) => String(a.severity) },
        { label: t('cold.alert.start'), render: (a) => fmtDateTime(a.start) },
        { label: t('cold.alert.peak'), num: true, render: (a) => h('span', { class: 'alert-peak' }, peakText(a, byId.get(a.series_id))) },
        { label: t('cold.alert.state'), render: (a) => h('span', { class: 'alert-state', 'data-alert': a.id }, badge(t('cold.state.' + a.state), STATE_KIND[a.state])) },
        { label: '', render: (a) => canAct ? h('span', { class: 'row' },
          a.state === 'open' ? h('button', { type: 'button', class: 'ack', 'data-alert': a.id, 'aria-label': `${t('cold.ack')}: ${title(a)}`, onclick: (e) => act(a, 'acknowledge', e.currentTarget) }, t('cold.ack')) : null,
          a.state !== 'closed' ? h('button', { type: 'button', class: 'secondary', 'aria-label': `${t('cold.close')}: ${title(a)}`, onclick: (e) => act(a, 'close', e.currentTarget) }, t('cold.close')) : null) : '' },
      ], r.alerts || []));
    } catch (e) { clear(alertBox).append(errorBox(e)); }
  }
  stateSel.addEventListener('change', () => { remember(); loadAlerts(); });

  await Promise.all([wanted ? showSeries(wanted) : drawChart(), loadAlerts(), farms(farmCard, all), stations(envCard, all)]);
  return () => { if (chart) chart.destroy(); };
}

async function lastValue(s) {
  const r = await get(`/telemetry/series/${s.id}/readings`, { from: new Date(Date.now() - 7 * 86400e3).toISOString() });
  const p = (r.points || []).at(-1);
  return p ? { value: p.value ?? p.mean, ts: p.ts } : null;
}

// Reference evapotranspiration (mm/d) the advice is asked for: above 0 and
// at most ET0_MAX (more is no weather on Earth); null when not so.
const ET0_MAX = 20;
function et0Value(text) {
  const raw = String(text).trim();
  const v = Number(raw);
  return raw !== '' && Number.isFinite(v) && v > 0 && v <= ET0_MAX ? v : null;
}

// No irrigation needed: with the days left when the server estimated them.
function noIrrigation(days) {
  return days === null || days === undefined ? t('farm.ok_unknown') : t('farm.ok', { d: fmtDays(days, 0) });
}

async function farms(card, all) {
  card.append(h('h2', null, t('farm.title')));
  const plots = [...new Set(all.filter((s) => s.measurement === 'soil').map((s) => parseKey(s.key).tags.plot).filter(Boolean))];
  if (!plots.length) { card.append(note(t('farm.none'))); return; }
  const et0 = h('input', { id: 'farm-et0', type: 'number', step: '0.1', min: '0', max: String(ET0_MAX), value: '4', 'aria-describedby': 'farm-et0-msg' });
  const msg = h('p', { id: 'farm-et0-msg', class: 'msg error', role: 'alert', hidden: true });
  const box = h('div', { id: 'farm-list' });
  const loads = requests(box);
  card.append(h('div', { class: 'filters' }, h('div', { class: 'field' }, h('label', { for: 'farm-et0' }, t('farm.et0') + ' (mm/d)'), et0)), msg, box);
  const load = async () => {
    const req = loads();
    const v = et0Value(et0.value);
    et0.setAttribute('aria-invalid', v === null ? 'true' : 'false');
    msg.textContent = v === null ? t('farm.et0_invalid', { max: fmtNumber(ET0_MAX) }) : '';
    msg.hidden = v !== null;
    if (v === null) { clear(box); req.done(); return; } // no advice on a wrong ET₀
    // Every plot's advice at once.
    const rows = await Promise.all(plots.map((plot) => post('/telemetry/irrigation', { plot, weather: { et0_mm: v },
      soil: { theta_fc: 0.3, theta_wp: 0.15, root_depth_m: 0.5, p: 0.5, kc: 1.0, efficiency: 0.8 } })
      .then((r) => ({ plot, ...r }), (e) => ({ plot, error: errorText(e) }))));
    req.done();
    if (req.stale()) return;
    clear(box).append(table([
      { label: t('farm.plot'), key: 'plot' },
      { label: t('farm.et0'), num: true, render: (r) => (r.error ? '—' : fmtMm(r.et0_mm)) },
      { label: t('farm.depletion'), num: true, render: (r) => (r.error ? '—' : fmtNumber(r.depletion_mm, 1) + ' / ' + fmtMm(r.raw_mm)) },
      { label: t('farm.advice'), render: (r) => (r.error ? r.error : r.irrigate ? badge(t('farm.irrigate', { mm: fmtMm(r.gross_mm) }), 'warn') : badge(noIrrigation(r.days_until), 'ok')) },
    ], rows));
  };
  et0.addEventListener('change', load);
  await load();
}

// A monitored item's name (GB 3838 / HJ 633 codes as the API gives them:
// nh3n, pm25_24h ...), translated; an unknown code as it is.
function itemName(code) {
  if (!code) return '';
  const k = 'env.item.' + code;
  const s = t(k);
  return s === k ? code : s;
}

async function stations(card, all) {
  card.append(h('h2', null, t('env.title')));
  const groups = new Map();
  for (const s of all) {
    if (s.measurement !== 'water' && s.measurement !== 'air') continue;
    const st = parseKey(s.key).tags.station || '?';
    const k = s.measurement + '\u0000' + st;
    if (!groups.has(k)) groups.set(k, { kind: s.measurement, station: st, series: [] });
    groups.get(k).series.push(s);
  }
  if (!groups.size) { card.append(note(t('env.none'))); return; }
  // Every station at once: its latest values together, then its class or AQI.
  const rows = await Promise.all([...groups.values()].map(async (g) => {
    const body = {};
    let ts = null;
    const last = await Promise.all(g.series.map((s) => lastValue(s).catch(() => null)));
    g.series.forEach((s, i) => {
      const v = last[i];
      if (v) { body[s.field] = v.value; ts = ts && ts > v.ts ? ts : v.ts; }
    });
    try {
      if (g.kind === 'water') {
        const r = await post('/telemetry/water-class', body);
        return { ...g, ts, result: t('env.class', { c: r.class }), worst: itemName(r.worst_item), level: r.class_number };
      }
      const r = await post('/telemetry/aqi', body);
      const cat = locale() === 'en' ? r.category_en : r.category_zh;
      return { ...g, ts, result: `${t('env.aqi')} ${fmtNumber(r.aqi)} · ${cat || ''}`, worst: (r.primary_pollutants || []).map(itemName).join(', '), level: r.level, colour: r.color };
    } catch (e) { return { ...g, ts, result: errorText(e) }; }
  }));
  card.append(h('div', { id: 'env-list' }, table([
    { label: t('env.station'), render: (r) => `${r.station} (${t('env.kind.' + r.kind)})` },
    { label: t('env.result'), render: (r) => h('span', null, r.colour ? h('span', { class: 'swatch-inline', style: `background:${r.colour}` }) : null, r.result) },
    { label: t('env.worst'), render: (r) => r.worst || '—' },
    { label: t('tracking.seen'), render: (r) => fmtDateTime(r.ts) },
  ], rows)));
}
