// Overview: the county network on a vector map (villages sized by population
// or by 30-day sales) and today's KPIs, all computed from public API lists.
import { get } from '../api.js';
import { dayStartIso, fmtMoney, fmtNumber, fmtPercent, t, tn, today } from '../i18n.js';
import { createMap, drawNetwork, legend } from '../map.js';
import { geoPlaces } from '../places.js';
import { allOrders, allProducts } from '../data.js';
import { clear, errorBox, h, kpi, select } from '../ui.js';

const DONE = new Set(['cancelled', 'refunded']);

async function kpis(box) {
  const since = dayStartIso(today());
  const cards = [];
  const [orders, shipped, lots, alerts, plans] = await Promise.all([
    allOrders({ since }).catch(() => null),
    // shipped today, whenever placed (an order's history dates the move)
    allOrders({ reached: 'shipped', reached_since: since }).catch(() => null),
    get('/inventory', { include_empty: true }).catch(() => null),
    get('/telemetry/alerts', { state: 'open' }).catch(() => null),
    get('/plans', { date: today() }).catch(() => null),
  ]);
  if (orders) {
    const live = orders.filter((o) => !DONE.has(o.status));
    cards.push(kpi(t('kpi.orders'), fmtNumber(live.length), { id: 'orders' }));
    cards.push(kpi(t('kpi.gmv'), fmtMoney(live.reduce((s, o) => s + (o.total_fen || 0), 0)), { id: 'gmv' }));
  }
  if (shipped) {
    cards.push(kpi(t('kpi.parcels_out'), fmtNumber(shipped.length), { id: 'parcels_out', hint: t('kpi.hint.shipped') }));
  }
  if (lots) {
    const todays = (lots.items || []).filter((l) => l.created_at && l.created_at >= since);
    cards.push(kpi(t('kpi.produce_in'), fmtNumber(todays.reduce((s, l) => s + (l.qty || 0), 0)),
      { id: 'produce_in', hint: t('kpi.hint.lots') + ' ' + fmtNumber(todays.length) }));
  }
  // On-time rate: stops of today's approved (else latest) dispatch plan that
  // arrive within their window: reported stops by their status and the
  // route's delay, the others as planned.
  let onTime = null;
  const planList = ((plans && plans.items) || []).filter((p) => p.kind === 'dispatch');
  const pick1 = planList.find((p) => p.status === 'approved') || planList[0];
  if (pick1) {
    try {
      const plan = await get(`/plans/${pick1.id}`);
      let n = 0, ok = 0;
      for (const r of plan.routes || []) {
        for (const st of r.stops) {
          if (st.kind === 'start' || st.kind === 'end') continue;
          n += 1;
          const late = (Date.parse(st.eta) + (st.status === 'pending' ? (r.delay_s || 0) * 1000 : 0)) > Date.parse(st.window_end);
          if (!late && st.status !== 'failed') ok += 1;
        }
      }
      onTime = n ? ok / n : null;
    } catch { onTime = null; }
  }
  cards.push(kpi(t('kpi.on_time'), onTime === null ? '—' : fmtPercent(onTime), { id: 'on_time', hint: pick1 ? t('kpi.hint.plan', { id: pick1.id }) : t('kpi.hint.no_plan') }));
  if (alerts) cards.push(kpi(t('kpi.alerts'), fmtNumber((alerts.alerts || alerts.items || []).length), { id: 'alerts' }));
  clear(box).append(...cards);
}

async function salesByVillage() {
  const since = new Date(Date.now() - 30 * 86400e3).toISOString();
  const [orders, products] = await Promise.all([allOrders({ since }), allProducts({ include_inactive: true })]);
  const village = new Map(products.map((p) => [p.id, p.village_id]));
  const sales = new Map();
  for (const o of orders) {
    if (DONE.has(o.status)) continue;
    for (const l of o.lines || []) {
      const v = village.get(l.product_id);
      if (v) sales.set(v, (sales.get(v) || 0) + (l.line_total_fen || 0));
    }
  }
  return sales;
}

export async function render(root, ctx) {
  const kbox = h('div', { class: 'kpis', id: 'kpis', 'aria-live': 'polite' }, h('p', null, t('common.loading')));
  const mapEl = h('div', { id: 'overview-map', class: 'tall' });
  const counts = h('p', { class: 'muted', id: 'network-counts' });
  const sizeSel = select('size-by', [['population', t('overview.size.population')], ['sales', t('overview.size.sales')]], 'population');
  root.append(
    h('h1', null, t('overview.title')),
    kbox,
    h('section', { class: 'card' },
      h('div', { class: 'row', style: 'justify-content:space-between' },
        h('h2', null, t('overview.map')),
        h('div', { class: 'field inline' }, h('label', { for: 'size-by' }, t('overview.size_by')), sizeSel)),
      mapEl, counts));
  kpis(kbox).catch((e) => clear(kbox).append(errorBox(e)));

  const map = createMap(mapEl);
  let geo, places;
  try {
    geo = await get('/network.geojson');
    places = geoPlaces(geo, ctx && ctx.county);
  } catch (e) { mapEl.replaceWith(errorBox(e)); return () => map.remove(); }
  let drawn = null;
  const draw = (sizeBy) => {
    if (drawn) for (const g of Object.values(drawn.groups)) g.remove();
    drawn = drawNetwork(map, geo, { sizeBy, sizeText: fmtMoney, places });
    mapEl.dataset.villages = String(drawn.villageCount);
  };
  draw(null);
  let leg = null;
  const showLegend = (by) => { if (leg) leg.remove(); leg = legend(map, [
    ['#7cc36a', t('map.legend.village', { by: t('overview.size.' + by) })],
    ['#fff', t('map.legend.township')],
    ['#ffd166', t('map.legend.county')],
    ['#e4572e', t('map.legend.hub')],
    ['#4a90c2', t('map.legend.station')],
    ['#6fd3e0', t('map.legend.cold')],
  ]); };
  showLegend('population');
  const f = geo.features || [];
  const n = (layer) => f.filter((x) => x.properties && x.properties.layer === layer).length;
  counts.textContent = [tn('overview.townships', n('township')), tn('overview.villages', n('village')), tn('overview.nodes', n('node'))].join(' · ');
  sizeSel.addEventListener('change', async () => {
    if (sizeSel.value === 'sales') {
      sizeSel.disabled = true;
      try { const s = await salesByVillage(); draw((p) => s.get(p.id) || 0); showLegend('sales'); } catch (e) { counts.after(errorBox(e)); }
      sizeSel.disabled = false;
    } else { draw(null); showLegend('population'); }
  });
  mapEl.dataset.ready = '1';
  return () => map.remove();
}
