// County map with no base tiles: the network from GET /api/v1/network.geojson
// drawn as vector layers (Leaflet, SVG renderer), so it works offline. A
// county with a tile server sets tileUrl in /config.js (window.RURALINK_CONFIG).
// Markers carry class names (mk-village, mk-township, ...) that tests count.
//
// Keyboard: the map is one tab stop (its container: arrow keys pan, + and -
// zoom); markers and lines are not focusable one by one (Chromium makes an
// SVG shape with a tooltip's focus listener a tab stop: a county map was
// some 200 Tab presses), nor are the zoom buttons. A skip link before the
// map moves focus past it.
import L from 'leaflet';
import { pick, t, fmtNumber } from './i18n.js';
import { h } from './ui.js';

export const ROUTE_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf',
  '#8c564b', '#e377c2', '#7f7f00', '#393b79', '#637939', '#843c39', '#5254a3', '#bd9e39', '#ad494a', '#3182bd'];

export function config() { return window.RURALINK_CONFIG || {}; }

export function createMap(el, { label } = {}) {
  el.classList.add('map');
  el.setAttribute('role', 'region');
  el.setAttribute('aria-label', label || t('map.label'));
  if (el.id && el.parentNode) {
    const keys = h('p', { id: el.id + '-keys', class: 'sr-only' }, t('map.keys'));
    const end = h('span', { id: el.id + '-end', class: 'sr-only map-end', tabindex: '-1' }, t('map.end'));
    el.setAttribute('aria-describedby', keys.id);
    el.before(h('a', { href: '#' + end.id, class: 'skip-map' }, t('map.skip')), keys);
    el.after(end);
  }
  const map = L.map(el, { preferCanvas: false, zoomSnap: 0.25, attributionControl: false, keyboard: true });
  map.on('layeradd', (e) => unfocusable(e.layer));
  for (const a of el.querySelectorAll('.leaflet-control-zoom a')) a.setAttribute('tabindex', '-1');
  const cfg = config();
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, { maxZoom: cfg.tileMaxZoom || 18, attribution: cfg.tileAttribution || '' }).addTo(map);
    if (cfg.tileAttribution) L.control.attribution({ prefix: false }).addTo(map);
  } else {
    el.classList.add('no-tiles');
  }
  L.control.scale({ imperial: false }).addTo(map);
  return map;
}

// A layer's own element (an SVG shape, a marker's icon) out of the tab order.
function unfocusable(layer) {
  const el = typeof layer.getElement === 'function' ? layer.getElement() : null;
  if (el && !el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
}

// fitBounds, unless the map has left the page: a user who moves on before a
// page's data arrives (a slow rural link) leaves its map detached, with no
// size, and Leaflet's fitBounds then computes NaN and throws.
export function fitTo(map, bounds, opts) {
  const el = map.getContainer();
  if (!bounds.isValid() || !el.isConnected || !el.clientWidth || !el.clientHeight) return false;
  map.fitBounds(bounds, { animate: false, ...opts });
  return true;
}

function radius(value, max, rmin, rmax) {
  if (!value || !max) return rmin;
  return rmin + (rmax - rmin) * Math.sqrt(value / max);
}

const NODE_STYLE = {
  county_hub: { color: '#7a1f00', fill: '#e4572e', r: 10, cls: 'mk-hub' },
  township_station: { color: '#1b4b72', fill: '#4a90c2', r: 6, cls: 'mk-station' },
  cold_store: { color: '#0b5563', fill: '#6fd3e0', r: 8, cls: 'mk-cold' },
  village_point: { color: '#555', fill: '#bbb', r: 3, cls: 'mk-point' },
};

// Adds the network; returns { bounds, layers, villageCount }.
// sizeBy(villageProps) -> number overrides population as the village size;
// places (places.js) names the nodes in the page's language.
export function drawNetwork(map, geo, { sizeBy, sizeText = fmtNumber, showPoints = false, showLinks = true, places = null } = {}) {
  const feats = (geo && geo.features) || [];
  const villages = feats.filter((f) => f.properties && f.properties.layer === 'village');
  const value = (p) => (sizeBy ? sizeBy(p) : p.population) || 0;
  const maxV = Math.max(1, ...villages.map((f) => value(f.properties)));
  const groups = {
    links: L.layerGroup(), townships: L.layerGroup(), villages: L.layerGroup(),
    hubs: L.layerGroup(), cold: L.layerGroup(), points: L.layerGroup(),
  };
  const bounds = L.latLngBounds([]);
  for (const f of feats) {
    const p = f.properties || {};
    const g = f.geometry;
    if (!g) continue;
    if (g.type === 'LineString') {
      if (!showLinks) continue;
      const ll = g.coordinates.map(([lon, lat]) => [lat, lon]);
      L.polyline(ll, { color: '#9aa5b1', weight: 1, opacity: 0.7, className: 'ln-link', interactive: false }).addTo(groups.links);
      continue;
    }
    if (g.type !== 'Point') continue;
    const [lon, lat] = g.coordinates;
    bounds.extend([lat, lon]);
    const name = pick(p) || p.name || '';
    if (p.layer === 'village') {
      const m = L.circleMarker([lat, lon], {
        radius: radius(value(p), maxV, 3, 14), color: '#2f6b2f', weight: 1, fillColor: '#7cc36a', fillOpacity: 0.75,
        className: 'mk-village',
      });
      m.bindTooltip(`${name} · ${t('map.population')} ${fmtNumber(p.population)}` + (sizeBy ? ` · ${t('map.size')} ${sizeText(value(p))}` : ''));
      m.addTo(groups.villages);
    } else if (p.layer === 'township') {
      const m = L.circleMarker([lat, lon], { radius: 6, color: '#3d2b56', weight: 2, fillColor: '#fff', fillOpacity: 1, className: 'mk-township' });
      m.bindTooltip(name);
      m.addTo(groups.townships);
    } else if (p.layer === 'county') {
      const m = L.circleMarker([lat, lon], { radius: 7, color: '#000', weight: 2, fillColor: '#ffd166', fillOpacity: 1, className: 'mk-county' });
      m.bindTooltip(name);
      m.addTo(groups.hubs);
    } else if (p.layer === 'node') {
      const s = NODE_STYLE[p.kind] || NODE_STYLE.village_point;
      if (p.kind === 'village_point' && !showPoints) continue;
      const m = L.circleMarker([lat, lon], { radius: s.r, color: s.color, weight: 2, fillColor: s.fill, fillOpacity: 0.95, className: s.cls });
      m.bindTooltip(places ? places.nodeWithKind(p.id, p.kind, name) : `${name} · ${t('node.' + p.kind)}`);
      m.addTo(p.kind === 'cold_store' ? groups.cold : p.kind === 'village_point' ? groups.points : groups.hubs);
    }
  }
  for (const k of ['links', 'points', 'villages', 'townships', 'cold', 'hubs']) groups[k].addTo(map);
  fitTo(map, bounds, { padding: [20, 20] });
  return { bounds, groups, villageCount: villages.length };
}

export function legend(map, items) {
  const c = L.control({ position: 'bottomright' });
  c.onAdd = () => h('div', { class: 'legend' }, items.map(([colour, label, shape]) =>
    h('div', null, h('span', { class: 'swatch ' + (shape || ''), style: `background:${colour}` }), label)));
  c.addTo(map);
  return c;
}

export function numberedStop(latlng, n, colour) {
  return L.marker(latlng, {
    icon: L.divIcon({ className: 'stop-icon', html: `<span style="background:${colour}">${n}</span>`, iconSize: [20, 20], iconAnchor: [10, 10] }),
    keyboard: false,
  });
}

export { L };
