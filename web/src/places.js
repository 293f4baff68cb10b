// Place names in the page's language, and the texts of a plan's stops and
// parcels built from their fields (never the server's English labels).
//
// Villages, townships and the county have name_zh / name_en; network nodes
// (the depot, township stations, village service points, cold stores) have
// only a Chinese `name`. In English a node without an English name is named
// by its village's, township's or the county's name_en and its kind
// ("Longzhu Village service point", "Chengguan Town station"); the Chinese
// UI keeps the node's own name.
//
// A stop is named by its node; a delivery to an address (no node) by its
// order ("Order #219's delivery address"), or by the order's address once
// the order is at hand. A parcel reads "Order #219: Red Fuji apples and 1
// other product · 16.8 kg · Chilled" from its order_id (the order's lines,
// the products' names), its consignment_id (the consignment's description),
// its weight and its storage class.
import { getAll } from './api.js';
import { byId, villages as loadVillages } from './data.js';
import { fmtWeight, locale, pick, t, tn } from './i18n.js';

// The county's network with its villages and townships; with no names at
// all (the server's own) when they cannot be had.
export async function loadPlaces(county) {
  try {
    const [nodes, villages, townships] = await Promise.all([
      getAll('/nodes', { limit: 500 }), loadVillages(), getAll('/townships', { limit: 500 })]);
    return places({ nodes, villages, townships, county });
  } catch {
    return places({ county });
  }
}

// A county's English name without a note in brackets ("Qinglan County
// (fictional demo)" names its nodes "Qinglan County ...").
const bare = (s) => (s ? s.replace(/\s*\([^)]*\)\s*$/, '') : s);

export function places({ nodes = [], villages = [], townships = [], county = null } = {}) {
  const N = byId(nodes), V = byId(villages), T = byId(townships);

  // The township a node belongs to: its own, its village's, or its parent's
  // (a cold store under a township station).
  function townshipOf(n) {
    for (let x = n, i = 0; x && i < 4; x = N.get(x.parent_id), i++) {
      if (x.township_id && T.has(x.township_id)) return T.get(x.township_id);
      const v = x.village_id && V.get(x.village_id);
      if (v && T.has(v.township_id)) return T.get(v.township_id);
    }
    return null;
  }

  // { name, composed }: composed when the English name was made of a place
  // and the node's kind (it then says its kind already).
  function nodeName(id, fallback) {
    const n = N.get(id);
    if (!n) return { name: fallback || '#' + id, composed: false };
    if (locale() !== 'en') return { name: n.name, composed: false };
    if (n.name_en) return { name: n.name_en, composed: false };
    let place = null;
    if (n.kind === 'village_point') place = V.get(n.village_id)?.name_en;
    else if (n.kind !== 'county_hub') place = townshipOf(n)?.name_en;
    if (!place) place = bare(county && county.name_en);
    return place ? { name: t('node.named.' + n.kind, { place }), composed: true } : { name: n.name, composed: false };
  }

  const node = (id, fallback) => nodeName(id, fallback).name;

  // A node with its kind, as a map's tooltip says it.
  function nodeWithKind(id, kind, fallback) {
    const x = nodeName(id, fallback);
    return x.composed ? x.name : `${x.name} · ${t('node.' + kind)}`;
  }

  // extra: { orders: Map id -> order } when at hand.
  function stop(s, extra = {}) {
    if (s.node_id) return node(s.node_id, s.name);
    const it = (s.items || []).find((x) => x.order_id || x.consignment_id);
    if (it && it.order_id) {
      const o = extra.orders && extra.orders.get(it.order_id);
      return o && o.delivery_address ? t('stop.order_at', { id: '#' + it.order_id, address: o.delivery_address })
        : t('stop.order_address', { id: '#' + it.order_id });
    }
    // a pickup at a village without a service point: the village
    const v = s.village_id && V.get(s.village_id);
    if (v) return pick(v);
    if (it && it.consignment_id) return t('stop.consignment_place', { id: '#' + it.consignment_id });
    return s.name; // a place typed in, as it was typed
  }

  // extra: { orders, products: Map id -> product, consignments: Map id -> consignment }.
  function item(it, extra = {}) {
    let text;
    if (it.order_id) {
      const id = '#' + it.order_id;
      const lines = (extra.orders && extra.orders.get(it.order_id) || {}).lines || [];
      const first = lines.length && extra.products && extra.products.get(lines[0].product_id);
      text = !first ? t('item.order', { id })
        : t('item.order_goods', { id, goods: lines.length > 1 ? tn('item.more', lines.length - 1, { first: pick(first) }) : pick(first) });
    } else if (it.consignment_id) {
      const id = '#' + it.consignment_id;
      const c = extra.consignments && extra.consignments.get(it.consignment_id);
      text = c && c.description ? t('item.consignment_goods', { id, goods: c.description }) : t('item.consignment', { id });
    } else {
      text = t('item.other');
    }
    const parts = [text, fmtWeight(it.weight_g)];
    if (it.storage && it.storage !== 'ambient') parts.push(t('storage.' + it.storage));
    return parts.join(' · ');
  }

  return { node, nodeWithKind, stop, item };
}
