// Place names in the page's language, and the texts of a plan's stops and
// parcels built from their fields (never the server's English labels).
//
// Everything comes from the network GeoJSON the pages load for their maps
// (no other request): its node features carry name, name_en, village_id and
// township_id, its villages, townships and county name_zh / name_en. In
// English a node is named by its own name_en ("Longzhu Village service
// point"); one without is named by its village's, township's or the
// county's name_en and its kind ("Chengguan Town station"). The Chinese UI
// keeps the node's own name.
//
// A stop is named by its node; a delivery to an address (no node) by its
// order and the address the plan gives it ("Order #219: 县城东街 18 号").
// A parcel reads "Order #219: Red Fuji apples and 1 other product · 16.8 kg
// · Chilled · Urgent" from the item itself: the order's lines as the plan
// took them (product names zh / en), a consignment's description, weight,
// storage class and urgency.
import { byId } from './data.js';
import { fmtWeight, locale, pick, t, tn } from './i18n.js';

// A county's English name without a note in brackets ("Qinglan County
// (fictional demo)" names its nodes "Qinglan County ...").
const bare = (s) => (s ? s.replace(/\s*\([^)]*\)\s*$/, '') : s);

// The places of a network GeoJSON (GET /network.geojson); county (the
// session's, with name_en) when the GeoJSON's own county feature is not
// enough.
export function geoPlaces(geo, county = null) {
  const of = (layer) => ((geo && geo.features) || []).filter((f) => f.properties && f.properties.layer === layer).map((f) => f.properties);
  const seat = of('county')[0];
  return places({ nodes: of('node'), villages: of('village'), townships: of('township'), county: county || seat || null });
}

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

  // { name, saysKind }: saysKind when the English name says what the node
  // is already (its own name_en, or one made of a place and its kind).
  function nodeName(id, fallback) {
    const n = N.get(id);
    if (!n) return { name: fallback || '#' + id, saysKind: false };
    if (locale() !== 'en') return { name: n.name, saysKind: false };
    if (n.name_en) return { name: n.name_en, saysKind: true };
    let place = null;
    if (n.kind === 'village_point') place = V.get(n.village_id)?.name_en;
    else if (n.kind !== 'county_hub') place = townshipOf(n)?.name_en;
    if (!place) place = bare(county && county.name_en);
    return place ? { name: t('node.named.' + n.kind, { place }), saysKind: true } : { name: n.name, saysKind: false };
  }

  const node = (id, fallback) => nodeName(id, fallback).name;

  // A node with its kind, as a map's tooltip says it.
  function nodeWithKind(id, kind, fallback) {
    const x = nodeName(id, fallback);
    return x.saysKind ? x.name : `${x.name} · ${t('node.' + kind)}`;
  }

  function stop(s) {
    if (s.node_id) return node(s.node_id, s.name);
    const it = (s.items || []).find((x) => x.order_id || x.consignment_id);
    if (it && it.order_id) {
      const id = '#' + it.order_id;
      return s.address ? t('stop.order_at', { id, address: s.address }) : t('stop.order_address', { id });
    }
    // a pickup at a village without a service point: the village
    const v = s.village_id && V.get(s.village_id);
    if (v) return pick(v);
    if (it && it.consignment_id) return t('stop.consignment_place', { id: '#' + it.consignment_id });
    return s.address || s.name; // a place typed in, as it was typed
  }

  // What an item is: its order's goods (the first line's product, and how
  // many others), or its consignment's description.
  function goods(it) {
    if (it.order_id) {
      const id = '#' + it.order_id;
      const lines = it.lines || [];
      const first = lines.length ? pick(lines[0]) : '';
      if (!first) return t('item.order', { id });
      return t('item.order_goods', { id, goods: lines.length > 1 ? tn('item.more', lines.length - 1, { first }) : first });
    }
    if (it.consignment_id) {
      const id = '#' + it.consignment_id;
      return it.description ? t('item.consignment_goods', { id, goods: it.description }) : t('item.consignment', { id });
    }
    return t('item.other');
  }

  function item(it) {
    const parts = [goods(it), fmtWeight(it.weight_g)];
    if (it.storage && it.storage !== 'ambient') parts.push(t('storage.' + it.storage));
    if (it.urgent) parts.push(t('item.urgent'));
    return parts.join(' · ');
  }

  return { node, nodeWithKind, stop, item };
}
