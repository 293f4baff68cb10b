// Orders: list with status and date filters (newest first), and one order's
// detail with its lines and timestamped status history.
import { get, post } from '../api.js';
import { dayStartIso, fmtDateTime, fmtMoney, fmtNumber, pick, t } from '../i18n.js';
import { allProducts } from '../data.js';
import { badge, clear, errorBox, fill, h, refusalBox, requests, select, table } from '../ui.js';

const STATUSES = ['placed', 'confirmed', 'packed', 'shipped', 'delivered', 'cancelled', 'refunded'];
const KIND = { placed: 'info', confirmed: 'info', packed: 'warn', shipped: 'warn', delivered: 'ok', cancelled: 'bad', refunded: 'bad' };
export const statusBadge = (s) => badge(t('status.' + s), KIND[s]);

// Lifecycle moves (POST /orders/{id}/status) the server allows: buyers cancel
// their own placed or confirmed orders; merchants move orders whose every line
// is their own goods (not to delivered or refunded); staff anything; auditors
// (and anyone else) nothing. mine(productId): the caller's own product.
const NEXT = { placed: ['confirmed', 'cancelled'], confirmed: ['packed', 'cancelled'], packed: ['shipped', 'cancelled'],
  shipped: ['delivered'], delivered: ['refunded'] };
const ASK = new Set(['cancelled', 'refunded']); // asked for confirmation first
export function movesFor(me, o, mine) {
  const all = NEXT[o.status] || [];
  const role = me && me.role;
  if (role === 'admin' || role === 'operator') return all;
  if (role === 'merchant') {
    const lines = o.lines || [];
    return lines.length && lines.every((l) => mine(l.product_id)) ? all.filter((x) => x !== 'delivered' && x !== 'refunded') : [];
  }
  if (role === 'buyer' && o.buyer_user_id === me.id) return all.filter((x) => x === 'cancelled' && (o.status === 'placed' || o.status === 'confirmed'));
  return [];
}

// Product names, and for a merchant which products are its own (those of the
// producers it owns).
async function loadCatalogue(me) {
  const products = new Map();
  let own = new Set();
  try { for (const p of await allProducts({ include_inactive: true })) products.set(p.id, p); } catch { /* ids only */ }
  if (me && me.role === 'merchant') {
    try { own = new Set(((await get('/producers', { owner_user_id: me.id })).items || []).map((p) => p.id)); } catch { /* none own */ }
  }
  return { products, mine: (id) => products.has(id) && own.has(products.get(id).producer_id) };
}

// On a phone the detail sits below the list: bring its top into view and
// move focus to it.
function reveal(el) {
  el.focus({ preventScroll: true });
  const top = el.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight / 2) el.scrollIntoView({ block: 'start' });
}

export async function render(root, ctx) {
  // The filters and the order shown (kept over a language switch, Back and Forward).
  const kept = (ctx.state && ctx.state.orders) || {};
  const keep = (patch) => { if (root.isConnected) ctx.keep({ orders: { ...((history.state || {}).orders || {}), ...patch } }); };
  const status = select('orders-status', [['', t('common.all')], ...STATUSES.map((s) => [s, t('status.' + s)])], kept.status || '');
  const since = h('input', { id: 'orders-since', type: 'date', value: kept.since || '' });
  const until = h('input', { id: 'orders-until', type: 'date', value: kept.until || '' });
  const listBox = h('div', { id: 'orders-list' });
  const detail = h('section', { class: 'card', id: 'order-detail', tabindex: '-1', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('orders.pick')));
  const more = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => load(true) }, t('orders.more'));
  // The list needs no other data: the filters work from the start.
  const form = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(false); } },
    h('div', { class: 'field' }, h('label', { for: 'orders-status' }, t('orders.status')), status),
    h('div', { class: 'field' }, h('label', { for: 'orders-since' }, t('orders.since')), since),
    h('div', { class: 'field' }, h('label', { for: 'orders-until' }, t('orders.until')), until),
    h('button', { type: 'submit' }, t('orders.apply')));
  root.append(h('h1', null, t('orders.title')), h('div', { class: 'grid2' },
    h('section', { class: 'card' }, form, listBox, more), detail));
  const catalogue = loadCatalogue(ctx.me);
  const listing = requests(listBox), showing = requests(detail);

  let rows = [];
  async function load(append) {
    const req = listing();
    if (!append) keep({ status: status.value, since: since.value, until: until.value });
    try {
      const query = { status: status.value, limit: 50, offset: append ? rows.length : 0 };
      if (since.value) query.since = dayStartIso(since.value);
      if (until.value) query.until = new Date(Date.parse(dayStartIso(until.value)) + 86400e3).toISOString();
      const r = await get('/orders', query);
      if (req.stale()) return;
      const items = r.items || [];
      rows = append ? [...rows, ...items] : items;
      more.hidden = items.length < 50;
      clear(listBox).append(table([
        { label: t('orders.id'), render: (o) => '#' + o.id },
        { label: t('orders.created'), render: (o) => fmtDateTime(o.created_at) },
        { label: t('orders.status'), render: (o) => statusBadge(o.status) },
        { label: t('orders.units'), num: true, render: (o) => fmtNumber(o.units) },
        { label: t('orders.total'), num: true, render: (o) => fmtMoney(o.total_fen) },
      ], rows, { onRow: (o) => show(o.id, true), rowLabel: (o) => t('orders.detail', { id: o.id }) }));
    } catch (e) {
      if (!req.stale()) clear(listBox).append(errorBox(e));
    } finally { req.done(); }
  }
  async function show(id, picked) {
    const req = showing();
    keep({ order: String(id) });
    clear(detail).append(h('p', null, t('common.loading')));
    try {
      const [o, cat] = await Promise.all([get('/orders/' + id), catalogue]);
      if (req.stale()) return;
      const msg = h('div', { id: 'order-msg' });
      clear(detail).append(
        h('h2', null, t('orders.detail', { id: '#' + o.id }), ' ', statusBadge(o.status)),
        h('p', null, fmtDateTime(o.created_at), ' · ', t('orders.payment'), ': ', o.payment ? t('pay.' + o.payment.status) : '—',
          o.delivery_address ? [' · ', t('orders.address'), ': ', o.delivery_address] : null),
        h('h3', null, t('orders.lines')),
        table([
          { label: t('orders.product'), render: (l) => (cat.products.get(l.product_id) ? pick(cat.products.get(l.product_id)) : '#' + l.product_id) },
          { label: t('orders.qty'), num: true, render: (l) => fmtNumber(l.qty) },
          { label: t('orders.unit_price'), num: true, render: (l) => fmtMoney(l.unit_price_fen) },
          { label: t('orders.line_total'), num: true, render: (l) => fmtMoney(l.line_total_fen) },
        ], o.lines || []),
        h('p', { class: 'num' }, h('strong', null, t('orders.total'), ': ', fmtMoney(o.total_fen))),
        h('div', { class: 'row', id: 'order-actions' }, movesFor(ctx.me, o, cat.mine).map((to) =>
          h('button', { type: 'button', class: ASK.has(to) ? 'secondary' : null, 'data-to': to,
            onclick: (e) => move(o, to, e.currentTarget, msg) }, t('orders.move.' + to)))),
        msg,
        h('h3', null, t('orders.history')),
        h('ol', { class: 'timeline', id: 'order-history' }, (o.history || []).map((s) =>
          h('li', null, h('strong', null, t('status.' + s.to)), ' · ', fmtDateTime(s.at), s.note ? ' · ' + s.note : ''))));
    } catch (e) {
      if (!req.stale()) clear(detail).append(errorBox(e));
    } finally {
      if (picked && !req.stale()) reveal(detail);
      req.done();
    }
  }
  // Cancel and refund are asked for first; a refusal replaces the last one.
  async function move(o, to, btn, msg) {
    if (ASK.has(to) && !window.confirm(t('orders.confirm.' + to, { id: '#' + o.id }))) return;
    btn.disabled = true;
    clear(msg);
    try {
      await post(`/orders/${o.id}/status`, { status: to });
      await show(o.id);
      await load(false);
    } catch (err) { fill(msg, refusalBox(err)); btn.disabled = false; }
  }
  await Promise.all([load(false), catalogue]);
  if (ctx.params.rest) show(ctx.params.rest);
  else if (kept.order) show(kept.order);
}
