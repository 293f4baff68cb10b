// Shared data loaders over the public API (no private routes): lists that
// pages combine, with offset/cursor paging hidden.
import { get, getAll } from './api.js';

export async function allOrders(query = {}) {
  const out = [];
  for (let offset = 0; offset < 20000; offset += 500) {
    const page = await get('/orders', { ...query, limit: 500, offset });
    const items = page.items || [];
    out.push(...items);
    if (items.length < 500) break;
  }
  return out;
}

export async function allProducts(query = {}) {
  const out = [];
  for (let offset = 0; offset < 20000; offset += 500) {
    const page = await get('/products', { ...query, limit: 500, offset });
    const items = page.items || [];
    out.push(...items);
    if (items.length < 500) break;
  }
  return out;
}

let villageCache = null;
export async function villages() {
  if (!villageCache) villageCache = getAll('/villages', { limit: 500 }).catch((e) => { villageCache = null; throw e; });
  return villageCache;
}

export function byId(items) {
  const m = new Map();
  for (const x of items) m.set(x.id, x);
  return m;
}
