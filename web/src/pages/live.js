// Live sessions: the list of sessions and one session's board: totals (orders,
// units, GMV, buyers, sell-through), flash offers with units left, and the
// order curve per minute since the start, refreshed while the session runs.
import { get } from '../api.js';
import { fmtDateTime, fmtMoney, fmtNumber, fmtPercent, pick, t } from '../i18n.js';
import { barChart } from '../chart.js';
import { config } from '../map.js';
import { villages as loadVillages, byId } from '../data.js';
import { badge, clear, errorBox, h, kpi, note, table } from '../ui.js';

const STATE_KIND = { upcoming: 'info', live: 'bad', ended: '' };
const REPORT_ROLES = new Set(['admin', 'operator', 'auditor']);

export async function render(root, ctx) {
  const listBox = h('div', { id: 'live-list' });
  const board = h('section', { class: 'card', id: 'live-board', 'aria-live': 'polite' }, note(t('live.pick')));
  root.append(h('h1', null, t('live.title')), h('section', { class: 'card' }, listBox), board);
  let timer = null, chart = null;
  const stop = () => { if (timer) clearInterval(timer); timer = null; if (chart) chart.destroy(); chart = null; };

  let vmap = new Map(), products = new Map();
  try {
    vmap = byId(await loadVillages());
    products = byId((await get('/products', { include_inactive: true, limit: 500 })).items || []);
  } catch { /* ids only */ }

  let sessions = [];
  try { sessions = (await get('/live-sessions')).items || []; } catch (e) { listBox.append(errorBox(e)); return stop; }
  listBox.append(table([
    { label: t('live.session'), render: (s) => s.title },
    { label: t('catalog.village'), render: (s) => (vmap.get(s.village_id) ? pick(vmap.get(s.village_id)) : '#' + s.village_id) },
    { label: t('live.start'), render: (s) => fmtDateTime(s.start) },
    { label: t('live.end'), render: (s) => fmtDateTime(s.end) },
    { label: t('orders.status'), render: (s) => badge(t('live.state.' + s.state), STATE_KIND[s.state]) },
    { label: '', render: (s) => (s.tags || []).map((x) => h('span', { class: 'tag' }, x)) },
  ], sessions, { onRow: (s) => open(s.id), rowLabel: (s) => s.title }));

  async function open(id) {
    stop();
    clear(board).append(h('p', null, t('common.loading')));
    try {
      const s = await get(`/live-sessions/${id}`);
      const mayReport = ctx.me && (REPORT_ROLES.has(ctx.me.role) || ctx.me.id === s.host_user_id);
      const totals = h('div', { class: 'kpis', id: 'live-totals' });
      const curveEl = h('div', { id: 'live-curve' });
      const offersBox = h('div', { id: 'live-offers' });
      const stamp = h('p', { class: 'muted', id: 'live-updated' });
      clear(board).append(
        h('h2', null, s.title, ' ', badge(t('live.state.' + s.state), STATE_KIND[s.state])),
        h('p', { class: 'muted' }, fmtDateTime(s.start), ' – ', fmtDateTime(s.end), ' · ', vmap.get(s.village_id) ? pick(vmap.get(s.village_id)) : ''),
        totals, h('h3', null, t('live.curve')), curveEl, h('h3', null, t('live.offers')), offersBox, stamp);
      board.dataset.session = String(s.id);
      const refresh = async () => {
        const offers = (await get(`/live-sessions/${id}/offers`)).items || [];
        clear(offersBox).append(table([
          { label: t('live.offer.product'), render: (o) => (products.get(o.product_id) ? pick(products.get(o.product_id)) : '#' + o.product_id) },
          { label: t('live.offer.price'), num: true, render: (o) => fmtMoney(o.flash_price_fen) },
          { label: t('live.offer.stock'), num: true, render: (o) => fmtNumber(o.flash_stock) },
          { label: t('live.offer.sold'), num: true, render: (o) => fmtNumber(o.sold) },
          { label: t('live.offer.left'), num: true, render: (o) => fmtNumber(o.left) },
        ], offers));
        if (mayReport) {
          const r = await get(`/live-sessions/${id}/report`);
          clear(totals).append(
            kpi(t('live.orders'), fmtNumber(r.orders), { id: 'live-orders' }),
            kpi(t('live.units'), fmtNumber(r.units)),
            kpi(t('live.gmv'), fmtMoney(r.gmv_fen)),
            kpi(t('live.buyers'), fmtNumber(r.unique_buyers)),
            kpi(t('live.sell_through'), fmtPercent((r.sell_through_bp || 0) / 10000)));
          const curve = r.curve || [];
          const xs = curve.map((c) => c.minute), ys = curve.map((c) => c.orders);
          if (!curve.length) { clear(curveEl).append(note(t('live.no_curve'))); if (chart) { chart.destroy(); chart = null; } }
          else if (chart) chart.update(xs, ys);
          else { clear(curveEl); chart = barChart(curveEl, { xs, values: ys, label: t('live.orders') }); }
          curveEl.dataset.orders = String(r.orders);
        } else clear(curveEl).append(note(t('live.no_report')));
        stamp.textContent = (s.state === 'live' ? t('live.refreshing', { s: refreshS }) + ' · ' : '') + t('common.updated', { time: fmtDateTime(new Date(), true) });
      };
      const refreshS = Math.max(2, Number(config().refreshSeconds) || 10);
      await refresh();
      if (s.state === 'live') timer = setInterval(() => refresh().catch(() => {}), refreshS * 1000);
    } catch (e) { clear(board).append(errorBox(e)); }
  }
  const live = sessions.find((s) => s.state === 'live');
  if (ctx.params.rest) await open(ctx.params.rest);
  else if (live) await open(live.id);
  return stop;
}
