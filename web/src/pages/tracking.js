// Tracking: today's approved plans, each vehicle's last known place and the
// ETA of its next stop with on-time / late / overdue status, refreshed live.
//
// Delays, progress, next stops with live ETAs, the newest GPS position each
// driver posted, and alerts come from GET /api/v1/tracking (staff). The
// server counts a next stop whose planned time has passed without an
// arrival as delay (overdue), GPS fix or not. Without a GPS fix the last
// known place is the last stop the driver reported (arrived, delivered,
// picked up, failed), or the depot before the first one. A driver (no
// GET /tracking) sees its routes with the same overdue rule applied here.
//
// Stops are named by places.js (a node in the page's language, a delivery to
// an address by its order and address), alerts by their kind and their own
// figures (the delay or the distance when raised): the server's English
// texts (a stop's label, an alert's detail) are not shown.
import { get } from '../api.js';
import { fmtDateTime, fmtDistance, fmtDuration, fmtTime, fmtWeight, t, today } from '../i18n.js';
import { L, ROUTE_COLOURS, config, createMap, drawNetwork, fitTo } from '../map.js';
import { geoPlaces } from '../places.js';
import { badge, clear, errorBox, fill, h, note, table } from '../ui.js';

const mm = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

const LATE_AFTER_S = 1200;

// An alert's text from its own figures: a late alert's delay and an
// off-corridor alert's distance from the route, when it was raised (an old
// alert without them says only what it is).
function alertText(a) {
  if (a.kind === 'late') return a.delay_s > 0 ? t('tracking.alert_text.late_by', { time: fmtDuration(a.delay_s) }) : t('tracking.alert_text.behind');
  if (a.kind === 'off_corridor') {
    return a.distance_m > 0 ? t('tracking.alert_text.off_corridor_by', { dist: fmtDistance(a.distance_m) }) : t('tracking.alert_text.off_corridor');
  }
  return t('tracking.alert.other');
}

// A driver's route without GET /tracking: the server's rule (logistics
// logistics_route_delay_at) on the plan's stops, the stored delay or the
// time since its next stop, still pending, was due.
function driverDelay(r, next) {
  const stored = Math.max(0, r.delay_s || 0);
  if (!next || next.status !== 'pending') return { delay: stored, overdue: false };
  const late = Math.floor((Date.now() - Date.parse(next.eta)) / 1000);
  return late > stored ? { delay: late, overdue: true } : { delay: stored, overdue: false };
}

function vehicleIcon(plate, colour, late) {
  return L.divIcon({ className: 'vehicle-icon' + (late ? ' late' : ''), html: `<span style="border-color:${colour}">${plate}</span>`, iconSize: null, iconAnchor: [12, 12] });
}

export async function render(root, ctx) {
  const mapEl = h('div', { id: 'tracking-map' });
  const listBox = h('div', { id: 'tracking-list', 'aria-live': 'polite' });
  const stamp = h('p', { class: 'muted', id: 'tracking-updated' });
  root.append(h('h1', null, t('tracking.title')), h('div', { class: 'grid2' },
    h('section', { class: 'card' }, mapEl), h('section', { class: 'card' }, listBox, stamp)));
  const map = createMap(mapEl);
  const geo = await get('/network.geojson');
  const places = geoPlaces(geo, ctx.county);
  drawNetwork(map, geo, { showLinks: false, places });
  let layer = L.layerGroup().addTo(map);
  const refreshS = Math.max(2, Number(config().refreshSeconds) || 10);

  // A driver lists only the approved plans holding its own routes and sees
  // only those routes; live delays and alerts (GET /tracking) are for staff.
  const isDriver = ctx.me && ctx.me.role === 'driver';
  async function refresh() {
    const list = ((await get('/plans', { date: today() })).items || []).filter((p) => p.status === 'approved' && p.kind === 'dispatch');
    if (isDriver && !list.length) return driverView();
    const rows = [], alerts = [];
    for (const p of list) {
      // GET /tracking: each route's delay, progress and next stop with its
      // live ETA, and the late / off-corridor alerts of the plan.
      const [plan, tr] = await Promise.all([get(`/plans/${p.id}`), isDriver ? {} : get('/tracking', { plan_id: p.id })]);
      const live = new Map((tr.routes || []).map((x) => [x.route_id, x]));
      alerts.push(...(tr.alerts || []).filter((a) => a.open));
      plan.routes.forEach((r, i) => {
        const tx = live.get(r.id) || {};
        const done = r.stops.filter((s) => s.status && s.status !== 'pending');
        const last = done.at(-1) || r.stops[0];
        // the next task stop: the first not done after the last one done
        const tasks = r.stops.slice(1, -1);
        const lastDone = tasks.map((s) => s.status !== 'pending' && s.status !== 'arrived').lastIndexOf(true);
        const next = tx.route_id ? (tx.next_stop_id ? r.stops.find((s) => s.id === tx.next_stop_id) : null) : tasks[lastDone + 1] || null;
        const { delay, overdue } = tx.route_id ? { delay: tx.delay_s || 0, overdue: !!tx.overdue } : driverDelay(r, next);
        const eta = tx.next_eta ? new Date(tx.next_eta) : next ? new Date(Date.parse(next.eta) + delay * 1000) : null;
        rows.push({ plan, r, colour: ROUTE_COLOURS[i % ROUTE_COLOURS.length], last, next, eta, delay, overdue, reported: done.length > 0, gps: tx.position || null,
          lastName: last ? places.stop(last) : '', nextName: next ? places.stop(next) : '',
          load: Math.max(0, ...r.stops.map((s) => s.load_g || 0)),
          progress: `${tx.stops_done ?? done.length} / ${tx.stops ?? r.stops.length}` });
      });
    }
    layer.remove();
    layer = L.layerGroup().addTo(map);
    const bounds = L.latLngBounds([]);
    for (const x of rows) {
      const at = x.gps ? [x.gps.lat, x.gps.lon] : x.last && x.last.lat !== null ? [x.last.lat, x.last.lon] : null;
      if (at) {
        L.marker(at, { icon: vehicleIcon(x.r.vehicle.plate, x.colour, x.delay > LATE_AFTER_S || x.overdue), keyboard: false })
          .bindTooltip(`${x.r.vehicle.plate} · ${x.gps ? t('tracking.gps') + ' ' + fmtTime(x.gps.ts) : x.lastName}`).addTo(layer);
        bounds.extend(at);
      }
      if (x.next) bounds.extend([x.next.lat, x.next.lon]);
    }
    if (!mapEl.dataset.fitted && fitTo(map, bounds, { padding: [30, 30], maxZoom: 13 })) mapEl.dataset.fitted = '1';
    mapEl.dataset.vehicles = String(rows.length);
    // fill(), not append(): no alerts is a null child, not the text "null".
    fill(listBox, rows.length ? table([
      { label: t('tracking.vehicle'), render: (x) => h('span', null, h('span', { class: 'swatch-inline', style: `background:${x.colour}` }), x.r.vehicle.plate) },
      { label: t('tracking.position'), render: (x) => (x.gps ? `${t('tracking.gps')} ${x.gps.lat.toFixed(4)}, ${x.gps.lon.toFixed(4)} · ${fmtTime(x.gps.ts)}`
        : x.reported ? x.lastName + ' · ' + fmtTime(x.last.eta) : t('tracking.depot') + ' · ' + x.lastName) },
      { label: t('tracking.progress'), num: true, render: (x) => x.progress },
      { label: t('tracking.next'), render: (x) => (x.next ? x.nextName : t('tracking.finished')) },
      { label: t('tracking.eta'), render: (x) => (x.eta ? fmtTime(x.eta) : '—') },
      // The route's load at its fullest / the vehicle's capacity.
      { label: t('dispatch.load'), num: true, render: (x) => fmtWeight(x.load) + ' / ' + fmtWeight(x.r.vehicle.capacity_g) },
      { label: t('tracking.status'), render: (x) => (!x.next ? badge(t('tracking.finished'), 'ok')
        : x.overdue ? badge(t('tracking.overdue', { time: fmtDuration(x.delay) }), 'bad')
        : x.delay > LATE_AFTER_S ? badge(t('tracking.late') + ' ' + fmtDuration(x.delay), 'bad')
        : badge(t('tracking.on_time') + (x.delay > 0 ? ' +' + fmtDuration(x.delay) : ''), 'ok')) },
    ], rows) : note(t('tracking.none')),
    alerts.length ? h('div', { id: 'tracking-alerts' }, h('h3', null, t('tracking.alerts')), h('ul', null, alerts.map((a) => {
      const x = rows.find((y) => y.r.id === a.route_id);
      return h('li', { 'data-kind': a.kind }, badge(t('tracking.alert.' + a.kind), 'bad'), ' ', x ? x.r.vehicle.plate : '', ' · ', alertText(a), ' · ', fmtDateTime(a.ts));
    }))) : null);
    stamp.textContent = t('live.refreshing', { s: refreshS }) + ' · ' + t('common.updated', { time: fmtDateTime(new Date(), true) });
  }
  // A driver with no approved route today: its vehicle, and a note (no route,
  // so no load yet: — / the capacity).
  async function driverView() {
    const mine = ((await get('/vehicles')).items || []).filter((v) => v.driver_user_id === ctx.me.id);
    clear(listBox).append(table([
      { label: t('tracking.vehicle'), render: (v) => v.plate },
      { label: t('dispatch.load'), num: true, render: (v) => '— / ' + fmtWeight(v.capacity_g) },
      { label: t('dispatch.shift'), render: (v) => `${mm(v.shift_start_min)}–${mm(v.shift_end_min)}` },
    ], mine), note(t('tracking.driver_missing')));
    stamp.textContent = t('common.updated', { time: fmtDateTime(new Date(), true) });
  }
  try { await refresh(); } catch (e) { listBox.append(errorBox(e)); }
  const timer = setInterval(() => refresh().catch(() => {}), refreshS * 1000);
  return () => { clearInterval(timer); map.remove(); };
}
