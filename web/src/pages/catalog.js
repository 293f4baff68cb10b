// Catalog: the villages' signature products ("one village, one product") with
// their stories, tags, price, storage class and stock; search and filters.
import { get } from '../api.js';
import { fmtMoney, fmtNumber, locale, pick, t, tn } from '../i18n.js';
import { villages as loadVillages, byId } from '../data.js';
import { clear, errorBox, h, note, requests, select } from '../ui.js';

export async function render(root, ctx) {
  // The search last run (kept over a language switch, Back and Forward).
  const kept = (ctx.state && ctx.state.catalog) || {};
  const q = h('input', { id: 'catalog-q', type: 'search', placeholder: t('catalog.q'), value: kept.q || '' });
  const sig = h('input', { id: 'catalog-signature', type: 'checkbox', checked: kept.sig !== false, onchange: () => load() });
  const storage = select('catalog-storage', [['', t('common.all')], ['ambient', t('storage.ambient')], ['chilled', t('storage.chilled')], ['frozen', t('storage.frozen')]], kept.storage || '');
  const village = h('select', { id: 'catalog-village', onchange: () => load() }, h('option', { value: '' }, t('common.all')));
  storage.addEventListener('change', () => load());
  const list = h('div', { class: 'products', id: 'products', 'aria-live': 'polite' });
  const count = h('p', { class: 'muted', id: 'catalog-count' });
  // The search works from the start: one typed before the villages came
  // waits for them (it never falls through to a browser submit).
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } },
    h('div', { class: 'field' }, h('label', { for: 'catalog-q' }, t('catalog.q')), q),
    h('div', { class: 'field' }, h('label', { for: 'catalog-village' }, t('catalog.village')), village),
    h('div', { class: 'field' }, h('label', { for: 'catalog-storage' }, t('catalog.storage')), storage),
    h('div', { class: 'field inline' }, sig, h('label', { for: 'catalog-signature' }, t('catalog.signature_only'))),
    h('button', { type: 'submit' }, t('common.search')));
  root.append(h('h1', null, t('catalog.title')), form, count, list);
  const search = requests(list);
  const ready = villageOptions(village).then((vmap) => {
    if (kept.village && village.querySelector(`option[value="${CSS.escape(String(kept.village))}"]`)) village.value = kept.village;
    return vmap;
  });

  // A slow reply to an earlier search must not replace a newer one's.
  async function load() {
    const req = search();
    clear(list).append(h('p', null, t('common.loading')));
    try {
      const vmap = await ready;
      const search = { q: q.value.trim(), sig: sig.checked, storage: storage.value, village: village.value };
      if (root.isConnected) ctx.keep({ catalog: search });
      const r = await get('/products', { q: search.q, signature: search.sig ? 'true' : '', storage: search.storage, village_id: search.village, limit: 200 });
      if (req.stale()) return;
      const items = r.items || [];
      count.textContent = tn('catalog.count', items.length);
      clear(list).append(...items.map((p) => card(p, vmap.get(p.village_id))));
      if (!items.length) list.append(note(t('catalog.no_match')));
    } catch (e) {
      if (!req.stale()) clear(list).append(errorBox(e));
    } finally { req.done(); }
  }
  await load();
}

// The villages by id, once the filter lists those with signature products
// (by name); an empty map (names only) when they cannot be had.
async function villageOptions(village) {
  let vmap = new Map();
  try { vmap = byId(await loadVillages()); } catch { /* names only */ }
  try {
    const sig = (await get('/products', { signature: 'true', limit: 500 })).items || [];
    const ids = [...new Set(sig.map((p) => p.village_id))].filter((id) => vmap.has(id));
    ids.sort((a, b) => pick(vmap.get(a)).localeCompare(pick(vmap.get(b)), locale()));
    for (const id of ids) village.append(h('option', { value: id }, pick(vmap.get(id))));
  } catch { /* filter stays at all */ }
  return vmap;
}

function card(p, village) {
  const story = locale() === 'en' ? p.story_en || p.story_zh : p.story_zh || p.story_en;
  return h('article', { class: 'card product', 'data-product': p.id },
    h('h3', null, pick(p), p.signature ? h('span', { class: 'badge ok', style: 'margin-left:.4em' }, '★') : null),
    h('div', { class: 'meta' },
      h('span', { class: 'muted' }, village ? pick(village) : ''),
      h('span', { class: 'price' }, fmtMoney(p.price_fen), p.unit ? ' / ' + p.unit : '')),
    story ? h('p', { class: 'story' }, story) : null,
    h('div', null, (p.tags || []).map((x) => h('span', { class: 'tag' }, x))),
    h('div', { class: 'meta muted' },
      h('span', null, p.storage ? t('storage.' + p.storage) : ''),
      h('span', null, t('catalog.stock', { n: fmtNumber(p.stock ?? 0) }))));
}
