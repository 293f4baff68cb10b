// Orders: list with status and date filters (newest first), and one order's
// detail with its lines and timestamped status history.
import { get, post } from '../api.js';
import { dayStartIso, fmtDateTime, fmtMoney, fmtNumber, pick, t } from '../i18n.js';
import { badge, clear, errorBox, h, select, table } from '../ui.js';

const STATUSES = ['placed', 'confirmed', 'packed', 'shipped', 'delivered', 'cancelled', 'refunded'];
const KIND = { placed: 'info', confirmed: 'info', packed: 'warn', shipped: 'warn', delivered: 'ok', cancelled: 'bad', refunded: 'bad' };
export const statusBadge = (s) => badge(t('status.' + s), KIND[s]);

// Lifecycle moves (POST /orders/{id}/status) offered per role; the server
// decides in the end (409 for a move it refuses).
const NEXT = { placed: ['confirmed', 'cancelled'], confirmed: ['packed', 'cancelled'], packed: ['shipped', 'cancelled'],
  shipped: ['delivered'], delivered: ['refunded'] };
function movesFor(role, status) {
  const all = NEXT[status] || [];
  if (role === 'admin' || role === 'operator') return all;
  if (role === 'merchant') return all.filter((x) => x !== 'delivered' && x !== 'refunded');
  if (role === 'buyer') return all.filter((x) => x === 'cancelled' && (status === 'placed' || status === 'confirmed'));
  return [];
}

export async function render(root, ctx) {
  const status = select('orders-status', [['', t('common.all')], ...STATUSES.map((s) => [s, t('status.' + s)])], '');
  const since = h('input', { id: 'orders-since', type: 'date' });
  const until = h('input', { id: 'orders-until', type: 'date' });
  const listBox = h('div', { id: 'orders-list' });
  const detail = h('section', { class: 'card', id: 'order-detail', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('orders.pick')));
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('orders.more'));
  const form = h('form', { class: 'filters' },
    h('div', { class: 'field' }, h('label', { for: 'orders-status' }, t('orders.status')), status),
    h('div', { class: 'field' }, h('label', { for: 'orders-since' }, t('orders.since')), since),
    h('div', { class: 'field' }, h('label', { for: 'orders-until' }, t('orders.until')), until),
    h('button', { type: 'submit' }, t('orders.apply')));
  root.append(h('h1', null, t('orders.title')), h('div', { class: 'grid2' },
    h('section', { class: 'card' }, form, listBox, more), detail));
  const products = new Map();
  try { for (const p of (await get('/products', { include_inactive: true, limit: 500 })).items || []) products.set(p.id, p); } catch { /* ids only */ }

  let rows = [], offset = 0;
  async function load(append) {
    if (!append) { rows = []; offset = 0; }
    try {
      const query = { status: status.value, limit: 50, offset };
      if (since.value) query.since = dayStartIso(since.value);
      if (until.value) query.until = new Date(Date.parse(dayStartIso(until.value)) + 86400e3).toISOString();
      const r = await get('/orders', query);
      const items = r.items || [];
      rows.push(...items);
      offset += items.length;
      more.hidden = items.length < 50;
      clear(listBox).append(table([
        { label: t('orders.id'), render: (o) => '#' + o.id },
        { label: t('orders.created'), render: (o) => fmtDateTime(o.created_at) },
        { label: t('orders.status'), render: (o) => statusBadge(o.status) },
        { label: t('orders.units'), num: true, render: (o) => fmtNumber(o.units) },
        { label: t('orders.total'), num: true, render: (o) => fmtMoney(o.total_fen) },
      ], rows, { onRow: (o) => show(o.id), rowLabel: (o) => t('orders.detail', { id: o.id }) }));
    } catch (e) { clear(listBox).append(errorBox(e)); }
  }
  async function show(id) {
    clear(detail).append(h('p', null, t('common.loading')));
    try {
      const o = await get('/orders/' + id);
      clear(detail).append(
        h('h2', null, t('orders.detail', { id: '#' + o.id }), ' ', statusBadge(o.status)),
        h('p', null, fmtDateTime(o.created_at), ' · ', t('orders.payment'), ': ', o.payment ? t('pay.' + o.payment.status) : '—',
          o.delivery_address ? [' · ', t('orders.address'), ': ', o.delivery_address] : null),
        h('h3', null, t('orders.lines')),
        table([
          { label: t('orders.product'), render: (l) => (products.get(l.product_id) ? pick(products.get(l.product_id)) : '#' + l.product_id) },
          { label: t('orders.qty'), num: true, render: (l) => fmtNumber(l.qty) },
          { label: t('orders.unit_price'), num: true, render: (l) => fmtMoney(l.unit_price_fen) },
          { label: t('orders.line_total'), num: true, render: (l) => fmtMoney(l.line_total_fen) },
        ], o.lines || []),
        h('p', { class: 'num' }, h('strong', null, t('orders.total'), ': ', fmtMoney(o.total_fen))),
        h('div', { class: 'row', id: 'order-actions' }, movesFor(ctx.me && ctx.me.role, o.status).map((to) =>
          h('button', { type: 'button', class: to === 'cancelled' || to === 'refunded' ? 'secondary' : null, 'data-to': to,
            onclick: async (e) => {
              e.currentTarget.disabled = true;
              try { await post(`/orders/${o.id}/status`, { status: to }); await show(o.id); await load(false); } catch (err) { detail.prepend(errorBox(err)); }
            } }, t('orders.move.' + to)))),
        h('h3', null, t('orders.history')),
        h('ol', { class: 'timeline', id: 'order-history' }, (o.history || []).map((s) =>
          h('li', null, h('strong', null, t('status.' + s.to)), ' · ', fmtDateTime(s.at), s.note ? ' · ' + s.note : ''))));
    } catch (e) { clear(detail).append(errorBox(e)); }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(false); });
  more.addEventListener('click', () => load(true));
  await load(false);
  if (ctx.params.rest) show(ctx.params.rest);
}
