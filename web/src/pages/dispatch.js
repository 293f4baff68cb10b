// Dispatch: run a plan for a date and depot (POST /plans, a solver job), draw
// each route on the map in its own colour with numbered stops, the per-route
// and plan KPI tables, a side-by-side comparison with a baseline plan of the
// same date, approval, printable route sheets (one page per route; with the
// proof-of-delivery QR codes on request), and the consignments still waiting
// for a pickup by the date (overdue ones of earlier dates too) with where
// their goods are.
//
// Stops and parcels are named by places.js from their fields (node, address,
// order lines, consignment description, weight, storage, urgency), in the
// page's language: never by the server's English labels ("order 219: ...
// +2"). The sheets need no request of their own but the QR codes' (the JSON
// sheets give each code's modules; the page draws them).
import { get, post } from '../api.js';
import { fmtDateTime, fmtDistance, fmtDuration, fmtMinutes, fmtMoney, fmtNumber, fmtPercent, fmtPoints, fmtSeconds, fmtTime, fmtWeight, t, tn, today } from '../i18n.js';
import { L, ROUTE_COLOURS, createMap, drawNetwork, fitTo, numberedStop } from '../map.js';
import { geoPlaces } from '../places.js';
import { badge, clear, errorBox, fill, h, note, select, table } from '../ui.js';

const STAFF = new Set(['admin', 'operator']);
const LOWER_BETTER = new Set(['distance_m', 'driving_s', 'duration_s', 'cost_fen', 'co2_g', 'lateness_s', 'chilled_transit_min']);
const STATUS_KIND = { draft: 'info', approved: 'ok', superseded: 'warn' };

function metricValue(k, v) {
  if (v === null || v === undefined) return '—';
  if (k === 'distance_m') return fmtDistance(v);
  if (k.endsWith('_s')) return fmtDuration(v);
  if (k === 'cost_fen') return fmtMoney(v);
  if (k === 'co2_g') return fmtWeight(v);
  if (k === 'load_permille') return fmtPercent(v / 1000);
  if (k === 'chilled_transit_min') return fmtMinutes(v);
  return fmtNumber(v);
}

// Routes that carry more than their vehicle takes (weight or volume, at the
// fullest point of the route): such a plan cannot be run as it stands.
function overloads(plan) {
  const out = [];
  (plan.routes || []).forEach((r, i) => {
    const v = r.vehicle || {};
    const g = Math.max(0, ...r.stops.map((s) => s.load_g || 0));
    const ml = Math.max(0, ...r.stops.map((s) => s.load_ml || 0));
    const share = Math.max(v.capacity_g ? g / v.capacity_g : 0, v.capacity_ml ? ml / v.capacity_ml : 0);
    if (share > 1) out.push({ i, plate: v.plate, share });
  });
  // A plan without its routes: its load factor alone.
  if (!out.length && plan.kpis && plan.kpis.load_permille > 1000) out.push({ i: null, plate: '', share: plan.kpis.load_permille / 1000 });
  return out;
}

function overloadText(list) {
  return list.map((o) => (o.i === null ? fmtPercent(o.share) : t('dispatch.overload_route', { route: t('dispatch.route', { n: o.i + 1 }), plate: o.plate, share: fmtPercent(o.share) }))).join('; ');
}

const overBadge = () => badge(t('dispatch.overloaded'), 'bad');

// A load factor above 100 % is marked overloaded.
function shownValue(k, v) {
  const text = metricValue(k, v);
  return k === 'load_permille' && v > 1000 ? h('span', null, text, ' ', overBadge()) : text;
}

const METRICS = ['routes', 'stops', 'orders_served', 'orders_unassigned', 'consignments_served', 'villages_served',
  'distance_m', 'driving_s', 'duration_s', 'cost_fen', 'co2_g', 'load_permille', 'lateness_s', 'chilled_transit_min'];

async function waitForPlan(res) {
  // 201: the plan; 202: a job to poll until it names the plan.
  if (res && res.routes) return res;
  const jobId = res && (res.job_id || res.id);
  for (let i = 0; i < 120; i++) {
    const j = await get(`/jobs/${jobId}`, { wait: 10 });
    if (j.state === 'done') return get(`/plans/${j.result.plan_id}`);
    if (j.state === 'failed' || j.state === 'cancelled') throw new Error(t('dispatch.job_' + j.state) + (j.message ? ` (${j.message})` : ''));
  }
  throw new Error(t('dispatch.job_timeout'));
}

// A QR code drawn from its modules (rows of '1' dark / '0' light, as the JSON
// sheets give them) as an SVG with a quiet zone of 2 modules: built here, no
// server markup in the page.
const SVG = 'http://www.w3.org/2000/svg';
function qrSvg(rows) {
  const n = rows.length, m = 2;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${n + 2 * m} ${n + 2 * m}`);
  svg.setAttribute('width', '120');
  svg.setAttribute('height', '120');
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', '#fff');
  let d = '';
  rows.forEach((row, y) => { for (let x = 0; x < row.length; x++) if (row[x] === '1') d += `M${x + m} ${y + m}h1v1h-1z`; });
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('fill', '#000');
  path.setAttribute('d', d);
  svg.append(bg, path);
  return svg;
}

export async function render(root, ctx) {
  const staff = ctx.me && STAFF.has(ctx.me.role);
  // The date and plan shown (kept over a language switch, Back and Forward).
  const kept = (ctx.state && ctx.state.dispatch) || {};
  const keep = (patch) => { if (root.isConnected) ctx.keep({ dispatch: { ...((history.state || {}).dispatch || {}), ...patch } }); };
  // A plan is run for today or later, by the county's calendar (not the
  // browser's): the date picker starts at today, and a past date typed in is
  // refused with a message before anything is sent.
  const date = h('input', { id: 'dispatch-date', type: 'date', value: kept.date || new URLSearchParams(location.search).get('date') || today(),
    min: today(), required: true, 'aria-describedby': 'dispatch-date-msg' });
  const dateMsg = h('p', { id: 'dispatch-date-msg', class: 'msg error', role: 'alert', hidden: true });
  const dateOk = () => {
    const min = today();
    date.min = min;
    const ok = /^\d{4}-\d{2}-\d{2}$/.test(date.value) && date.value >= min;
    date.setAttribute('aria-invalid', ok ? 'false' : 'true');
    dateMsg.textContent = ok ? '' : t('dispatch.date_past', { today: min });
    dateMsg.hidden = ok;
    return ok;
  };
  const depot = h('select', { id: 'dispatch-depot' });
  const limit = select('dispatch-limit', [2, 5, 15, 60].map((n) => [String(n), fmtSeconds(n)]), '5');
  // Disabled until the depots and the map are there (staff only).
  const run = h('button', { type: 'submit', id: 'dispatch-run', disabled: true }, t('dispatch.run'));
  const status = h('p', { id: 'dispatch-status', 'aria-live': 'polite', class: 'muted' });
  const plansBox = h('div', { id: 'plans-list' });
  const mapEl = h('div', { id: 'dispatch-map' });
  const planBox = h('div', { id: 'plan-detail' });
  const compareBox = h('section', { class: 'card', id: 'plan-compare' });
  const sheets = h('div', { class: 'sheets', id: 'route-sheets' });
  const waitingBox = h('section', { class: 'card no-print', id: 'open-consignments' });
  // novalidate: the date is checked here, with a message in the page's language.
  const form = h('form', { class: 'filters no-print', novalidate: true, onsubmit: (e) => { e.preventDefault(); if (!run.disabled && dateOk()) runPlan(); } },
    h('div', { class: 'field' }, h('label', { for: 'dispatch-date' }, t('dispatch.date')), date),
    h('div', { class: 'field' }, h('label', { for: 'dispatch-depot' }, t('dispatch.depot')), depot),
    h('div', { class: 'field' }, h('label', { for: 'dispatch-limit' }, t('dispatch.time_limit')), limit),
    run);
  root.append(h('h1', null, t('dispatch.title')),
    h('section', { class: 'card no-print' }, form, dateMsg, status, plansBox),
    h('div', { class: 'grid2 no-print' }, h('section', { class: 'card' }, mapEl), h('section', { class: 'card' }, planBox)),
    compareBox, waitingBox, sheets);

  // Depots: the nodes the county's vehicles start from.
  const [vehicles, geo] = await Promise.all([get('/vehicles'), get('/network.geojson')]);
  const places = geoPlaces(geo, ctx.county);
  const depotIds = [...new Set((vehicles.items || []).filter((v) => v.active).map((v) => v.depot_node_id))];
  const nodeName = new Map((geo.features || []).filter((f) => f.properties.layer === 'node').map((f) => [f.properties.id, f.properties.name]));
  for (const id of depotIds) depot.append(h('option', { value: id }, places.node(id, nodeName.get(id))));

  const map = createMap(mapEl, { label: t('dispatch.map') });
  drawNetwork(map, geo, { showLinks: false, places });
  mapEl.querySelectorAll('path.mk-village').forEach((p) => p.classList.add('faded'));
  let routeLayer = L.layerGroup().addTo(map);
  let current = null;
  run.disabled = !staff || !depot.value;

  // Consignments still waiting for a pickup by the date: open ones of the
  // date and earlier (what its dispatch takes), earlier ones overdue, with
  // where their goods are (at their origin, or back at a depot).
  async function loadWaiting() {
    const day = date.value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) { clear(waitingBox); delete waitingBox.dataset.count; return; }
    try {
      const items = (await get('/consignments', { status: 'open', until: day })).items || [];
      if (date.value !== day) return;
      const where = (c) => (c.location === 'node' && c.at_node_id ? t('consignment.at_node', { node: places.node(c.at_node_id) })
        : t('consignment.at_origin', { place: places.stop({ node_id: c.from_node_id, village_id: c.village_id, items: [{ consignment_id: c.id }] }) }));
      clear(waitingBox).append(h('h2', null, tn('dispatch.waiting', items.length)), table([
        { label: '#', render: (c) => String(c.id) },
        { label: t('consignment.goods'), render: (c) => [c.description || t('item.consignment', { id: '#' + c.id }), fmtWeight(c.weight_g),
          c.storage !== 'ambient' ? t('storage.' + c.storage) : null].filter(Boolean).join(' · ') },
        { label: t('dispatch.date'), render: (c) => h('span', null, c.date, c.date < day ? [' ', badge(t('consignment.overdue'), 'warn')] : null) },
        { label: t('consignment.where'), render: where },
      ], items, { caption: t('dispatch.waiting_caption', { date: day }), empty: t('dispatch.waiting_none') }));
      waitingBox.dataset.count = String(items.length);
    } catch (e) { clear(waitingBox).append(errorBox(e)); }
  }

  async function loadPlans(selectId) {
    keep({ date: date.value });
    loadWaiting();
    try {
      const r = await get('/plans', { date: date.value });
      const items = r.items || [];
      clear(plansBox).append(table([
        { label: '#', render: (p) => String(p.id) },
        { label: t('dispatch.kind'), render: (p) => t('dispatch.kind.' + p.kind) },
        { label: t('dispatch.name'), render: (p) => p.name },
        { label: t('dispatch.state'), render: (p) => badge(t('dispatch.status.' + p.status), STATUS_KIND[p.status]) },
        { label: t('dispatch.routes'), num: true, render: (p) => fmtNumber(p.kpis && p.kpis.routes) },
        { label: t('dispatch.distance'), num: true, render: (p) => metricValue('distance_m', p.kpis && p.kpis.distance_m) },
        { label: t('dispatch.cost'), num: true, render: (p) => metricValue('cost_fen', p.kpis && p.kpis.cost_fen) },
        { label: t('dispatch.created'), render: (p) => fmtDateTime(p.created) },
      ], items, { caption: t('dispatch.plans'), empty: t('dispatch.none'), onRow: (p) => show(p.id, items), rowLabel: (p) => t('dispatch.plan', { id: p.id }) }));
      const first = selectId || (items.find((p) => p.kind === 'dispatch') || {}).id;
      if (first) await show(first, items);
      else { routeLayer.clearLayers(); clear(planBox); clear(compareBox); }
    } catch (e) { clear(plansBox).append(errorBox(e)); }
  }

  function drawRoutes(plan) {
    routeLayer.remove();
    routeLayer = L.layerGroup().addTo(map);
    const bounds = L.latLngBounds([]);
    plan.routes.forEach((r, i) => {
      const colour = ROUTE_COLOURS[i % ROUTE_COLOURS.length];
      const pts = r.stops.filter((s) => s.lat !== null && s.lon !== null).map((s) => [s.lat, s.lon]);
      pts.forEach((p) => bounds.extend(p));
      L.polyline(pts, { color: colour, weight: 4, opacity: 0.85, className: 'ln-route' })
        .bindTooltip(`${t('dispatch.route', { n: i + 1 })} · ${r.vehicle.plate}`).addTo(routeLayer);
      let n = 0;
      for (const s of r.stops) {
        if (s.kind === 'start' || s.kind === 'end') continue;
        n += 1;
        numberedStop([s.lat, s.lon], n, colour).bindTooltip(`${t('dispatch.route', { n: i + 1 })} · ${n}. ${places.stop(s)} · ${fmtTime(s.eta)}`).addTo(routeLayer);
      }
    });
    fitTo(map, bounds, { padding: [24, 24] });
    mapEl.dataset.routes = String(plan.routes.length);
    mapEl.dataset.plan = String(plan.id);
  }

  async function show(id, list) {
    keep({ plan: id });
    try {
      const plan = await get(`/plans/${id}`);
      current = plan;
      const over = overloads(plan);
      drawRoutes(plan);
      const routeRows = plan.routes.map((r, i) => {
        const visits = r.stops.filter((s) => s.kind !== 'start' && s.kind !== 'end');
        return {
          i, r, colour: ROUTE_COLOURS[i % ROUTE_COLOURS.length], stops: visits.length,
          dist: r.stops.reduce((a, s) => a + (s.leg_dist_m || 0), 0),
          dur: (Date.parse(r.stops.at(-1).eta) - Date.parse(r.stops[0].departure || r.stops[0].eta)) / 1000,
          load: Math.max(0, ...r.stops.map((s) => s.load_g || 0)),
          over: over.some((o) => o.i === i),
        };
      });
      const approve = h('button', { type: 'button', id: 'dispatch-approve', hidden: !(staff && plan.status === 'draft' && plan.kind === 'dispatch') }, t('dispatch.approve'));
      approve.addEventListener('click', async () => {
        approve.disabled = true;
        try { await post(`/plans/${plan.id}/approve`); await loadPlans(plan.id); } catch (e) { planBox.prepend(errorBox(e)); approve.disabled = false; }
      });
      const printBtn = h('button', { type: 'button', class: 'secondary', id: 'dispatch-print' }, t('dispatch.sheets'));
      const qrBtn = h('button', { type: 'button', class: 'secondary', id: 'dispatch-print-qr' }, t('dispatch.sheets_qr'));
      printBtn.addEventListener('click', () => printSheets(plan, false, [printBtn, qrBtn]));
      qrBtn.addEventListener('click', () => printSheets(plan, true, [printBtn, qrBtn]));
      // fill(), not append(): a part left out is null, not the text "null".
      fill(planBox,
        h('h2', null, t('dispatch.plan', { id: plan.id }), ' ', badge(t('dispatch.status.' + plan.status), STATUS_KIND[plan.status]), ' ', h('span', { class: 'muted' }, t('dispatch.kind.' + plan.kind)),
          over.length ? [' ', overBadge()] : null),
        over.length ? h('p', { class: 'msg error', id: 'plan-overloaded' }, t('dispatch.infeasible_plan', { routes: overloadText(over) })) : null,
        h('div', { class: 'row no-print' }, approve, printBtn, qrBtn),
        table([
          { label: t('dispatch.routes'), render: (x) => h('span', null, h('span', { class: 'swatch-inline', style: `background:${x.colour}` }), t('dispatch.route', { n: x.i + 1 })) },
          { label: t('dispatch.vehicle'), render: (x) => x.r.vehicle.plate + (x.r.vehicle.refrigerated ? ' ❄' : '') },
          { label: t('dispatch.stops'), num: true, render: (x) => fmtNumber(x.stops) },
          { label: t('dispatch.distance'), num: true, render: (x) => fmtDistance(x.dist) },
          { label: t('dispatch.duration'), num: true, render: (x) => fmtDuration(x.dur) },
          { label: t('dispatch.load'), num: true, render: (x) => h('span', null, fmtWeight(x.load) + ' / ' + fmtWeight(x.r.vehicle.capacity_g), x.over ? [' ', overBadge()] : null) },
        ], routeRows, { caption: t('dispatch.routes') }),
        table([{ label: t('dispatch.metric'), render: (k) => t('kpi.' + k) }, { label: t('dispatch.planned'), num: true, render: (k) => shownValue(k, plan.kpis[k]) }],
          METRICS.filter((k) => k in (plan.kpis || {})), { caption: t('dispatch.kpis') }),
        plan.unassigned && plan.unassigned.length ? h('details', null, h('summary', null, t('dispatch.unassigned', { n: plan.unassigned.length })),
          h('ul', null, plan.unassigned.map((u) => h('li', null, u.order_id ? t('dispatch.order', { id: u.order_id }) : t('dispatch.consignment', { id: u.consignment_id }), ': ', t('reason.' + u.reason))))) : null);
      await compare(plan, list || (await get('/plans', { date: plan.date })).items || []);
    } catch (e) { clear(planBox).append(errorBox(e)); }
  }

  async function compare(plan, list) {
    clear(compareBox).append(h('h2', null, t('dispatch.compare')));
    delete compareBox.dataset.infeasible;
    if (plan.kind !== 'dispatch') { compareBox.append(note(t('dispatch.compare_pick'))); return; }
    const baselines = list.filter((p) => p.kind === 'baseline' && p.depot_node_id === plan.depot_node_id);
    const mk = h('button', { type: 'button', class: 'secondary', id: 'dispatch-baseline', hidden: !staff }, t('dispatch.make_baseline'));
    mk.addEventListener('click', async () => {
      mk.disabled = true;
      try { const b = await post('/plans/baseline', fixedRoutes(plan)); await loadPlans(plan.id); return b; } catch (e) { compareBox.append(errorBox(e)); mk.disabled = false; }
    });
    if (!baselines.length) { compareBox.append(note(t('dispatch.no_baseline')), mk); return; }
    const base = baselines[0];
    const [c, baseFull] = await Promise.all([get('/plans/compare', { a: base.id, b: plan.id }), get(`/plans/${base.id}`)]);
    const rows = METRICS.filter((k) => c.kpis[k]);
    // An overloaded plan cannot be run: its figures are no achievement, so
    // neither side is shown better or worse; the overloaded one is marked.
    const overA = overloads(baseFull), overB = overloads(plan);
    const infeasible = overA.length > 0 || overB.length > 0;
    const head = (label, over) => h('span', null, label, over.length ? [' ', overBadge()] : null);
    if (infeasible) compareBox.dataset.infeasible = [overA.length ? 'baseline' : '', overB.length ? 'plan' : ''].filter(Boolean).join(' ');
    compareBox.append(...[
      h('p', { class: 'muted' }, t(infeasible ? 'dispatch.compare_note_plain' : 'dispatch.compare_note', { a: base.id, name: base.name, b: plan.id })),
      overA.length ? h('p', { class: 'msg error', id: 'compare-overloaded-baseline' }, t('dispatch.infeasible_baseline', { id: base.id, routes: overloadText(overA) })) : null,
      overB.length ? h('p', { class: 'msg error', id: 'compare-overloaded-plan' }, t('dispatch.infeasible_plan', { routes: overloadText(overB) })) : null,
      workDiffers(c) ? h('p', { class: 'msg note', id: 'compare-work-differs' }, t('dispatch.work_differs', {
        a: base.id,
        onlyA: c.work.orders.only_a + c.work.consignments.only_a,
        onlyB: c.work.orders.only_b + c.work.consignments.only_b,
      })) : null,
      h('div', { class: 'compare' },
        table([
          { label: t('dispatch.metric'), render: (k) => t('kpi.' + k) },
          { label: head(t('dispatch.baseline'), overA), num: true, render: (k) => shownValue(k, c.kpis[k].a) },
          { label: head(t('dispatch.planned'), overB), num: true, render: (k) => shownValue(k, c.kpis[k].b) },
          { label: t('dispatch.delta'), num: true, render: (k) => {
            const d = c.kpis[k].diff;
            if (!d) return '0';
            const better = LOWER_BETTER.has(k) ? d < 0 : d > 0;
            const pct = c.kpis[k].diff_pct;
            // A change of a share is in percentage points, not a percentage.
            const text = k === 'load_permille' ? fmtPoints(Math.abs(d) / 10)
              : metricValue(k, Math.abs(d)) + (pct !== undefined ? ` (${d > 0 ? '+' : '−'}${fmtNumber(Math.abs(pct), 1)}%)` : '');
            return h('span', { class: 'delta' + (infeasible ? '' : better ? ' better' : ' worse') }, (d > 0 ? '+' : '−') + text);
          } },
        ], rows, { caption: t('dispatch.compare_table') }))].filter(Boolean));
  }

  // Printable sheets, one page per route, in the page's language, from the
  // plan as shown (its items name their goods); with qr, the proof-of-delivery
  // QR code of each delivery and drop stop, drawn from the JSON sheets.
  async function printSheets(plan, qr, buttons) {
    for (const b of buttons) b.disabled = true;
    sheets.dataset.ready = '0';
    try {
      const codes = new Map();
      if (qr) {
        const js = await get(`/plans/${plan.id}/sheets`, { format: 'json' });
        for (const r of js.routes || []) for (const s of r.stops || []) if (s.qr_modules) codes.set(s.id, s.qr_modules);
      }
      if (!root.isConnected) return;
      clear(sheets).append(...plan.routes.map((r, i) => {
        const visits = r.stops.filter((s) => s.kind !== 'start' && s.kind !== 'end');
        return h('article', { class: 'sheet card', 'data-route': r.id },
          h('h2', null, t('dispatch.sheet.title', { vehicle: r.vehicle.plate, date: plan.date }), ' · ', t('dispatch.route', { n: i + 1 })),
          h('p', null, t('dispatch.plan', { id: plan.id }), ' · ', places.stop(r.stops[0]), ' · ', t('dispatch.sheet.depart'), ' ', fmtDateTime(r.stops[0].departure || r.stops[0].eta)),
          table([
            { label: t('dispatch.sheet.stop'), num: true, render: (s) => String(visits.indexOf(s) + 1) },
            { label: t('dispatch.sheet.place'), render: (s) => h('span', null, places.stop(s), h('br'), h('span', { class: 'muted' }, t('stop.kind.' + s.kind))) },
            { label: t('dispatch.sheet.arrive'), render: (s) => fmtTime(s.eta) },
            { label: t('dispatch.sheet.items'), render: (s) => h('ul', { class: 'parcels' }, (s.items || []).map((it) => h('li', null, places.item(it)))) },
            qr ? { label: t('dispatch.sheet.proof'), render: (s) => {
              const code = codes.get(s.id);
              return code ? h('span', { class: 'qr', role: 'img', 'aria-label': t('dispatch.sheet.qr', { n: visits.indexOf(s) + 1 }) }, qrSvg(code)) : '';
            } } : null,
            { label: t('dispatch.sheet.sign'), render: () => '\u00a0'.repeat(12) },
          ].filter(Boolean), visits));
      }));
      sheets.dataset.ready = '1';
      sheets.classList.add('printing');
      document.body.classList.add('print-sheets');
      const done = () => { document.body.classList.remove('print-sheets'); sheets.classList.remove('printing'); window.removeEventListener('afterprint', done); };
      window.addEventListener('afterprint', done);
      window.print();
    } catch (e) {
      if (root.isConnected) planBox.prepend(errorBox(e));
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  async function runPlan() {
    run.disabled = true;
    status.textContent = t('dispatch.running', { p: '' });
    try {
      const res = await post('/plans', { date: date.value, depot_node_id: Number(depot.value), time_limit_s: Number(limit.value) });
      const plan = await waitForPlan(res);
      status.textContent = tn('dispatch.done', plan.routes.length, { id: plan.id });
      await loadPlans(plan.id);
    } catch (err) { status.textContent = ''; status.append(errorBox(err)); }
    run.disabled = !staff;
  }
  // A past date may be looked at (its plans); the message, once shown,
  // goes when the date is right again.
  date.addEventListener('change', () => { if (!dateMsg.hidden) dateOk(); loadPlans(); });
  await loadPlans(kept.plan);
  return () => map.remove();
}

// Whether the two sides serve different orders or consignments: then their
// figures differ partly by the work, not only by the routing.
function workDiffers(c) {
  const w = c.work;
  if (!w) return false;
  return w.orders.only_a + w.orders.only_b + w.consignments.only_a + w.consignments.only_b > 0;
}

// A baseline as a county runs without optimisation: the same vehicles visit
// the same stops in a fixed order (by township, then village / node id).
function fixedRoutes(plan) {
  return {
    date: plan.date, depot_node_id: plan.depot_node_id, name: t('dispatch.fixed_name'),
    // the plan's own work, so that the two compare like for like (and a
    // past day's plan can still get its baseline)
    plan_id: plan.id,
    routes: plan.routes.map((r) => ({
      vehicle_id: r.vehicle.id,
      stops: [...new Set(r.stops.filter((s) => s.kind !== 'start' && s.kind !== 'end' && s.node_id).map((s) => s.node_id))].sort((a, b) => a - b),
    })),
  };
}
