// Site settings for this county's dashboard; edit in place (web/dist/config.js)
// or pass another --web-root. tileUrl: a base-map tile server the county runs,
// e.g. 'http://tiles.local/{z}/{x}/{y}.png'; empty = vector map only (offline).
window.RURALINK_CONFIG = {
  tileUrl: '',
  tileAttribution: '',
  tileMaxZoom: 18,
  refreshSeconds: 10,
};
