// Message catalogues and locale formatting. Every visible string goes through
// t(key); numbers, money, dates and times through the fmt* helpers so that one
// switch (setLocale) changes them all. zh-CN is the default locale.
import zh from './messages/zh-CN.js';
import en from './messages/en.js';

const catalogues = { 'zh-CN': zh, en };
export const locales = ['zh-CN', 'en'];
const KEY = 'ruralink.locale';

let current = 'zh-CN';
let timeZone = 'Asia/Shanghai';
const listeners = new Set();

export function initLocale() {
  let saved = null;
  try { saved = localStorage.getItem(KEY); } catch { /* private mode */ }
  current = locales.includes(saved) ? saved : 'zh-CN';
  document.documentElement.lang = current;
}

export function locale() { return current; }

export function setLocale(l) {
  if (!locales.includes(l) || l === current) return;
  current = l;
  try { localStorage.setItem(KEY, l); } catch { /* ignore */ }
  document.documentElement.lang = l;
  for (const f of listeners) f(l);
}

export function onLocaleChange(f) { listeners.add(f); return () => listeners.delete(f); }

export function setTimeZone(tz) {
  try { new Intl.DateTimeFormat('en', { timeZone: tz }); timeZone = tz; } catch { /* keep */ }
}

// t('key', {n: 3}) -> the current catalogue's string with {n} replaced.
// A key missing from the catalogue falls back to zh-CN, then to the key.
export function t(key, params) {
  let s = catalogues[current][key] ?? zh[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

// Counted messages: the catalogue's key.one / key.other ... by the locale's
// plural rules (en: "1 route", "2 routes"; zh-CN has one form, key.other),
// with {n} the count as formatted by fmtNumber.
export function tn(key, n, params) {
  const cat = new Intl.PluralRules(current).select(n);
  const k = (catalogues[current][key + '.' + cat] ?? zh[key + '.' + cat]) !== undefined ? key + '.' + cat : key + '.other';
  return t(k, { n: fmtNumber(n), ...params });
}

// Names that exist in both languages in the API (name_zh / name_en).
export function pick(obj, base = 'name') {
  if (!obj) return '';
  const zhv = obj[base + '_zh'] ?? obj[base], env = obj[base + '_en'];
  return (current === 'en' ? env || zhv : zhv || env) || '';
}

export function fmtNumber(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  const o = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  return new Intl.NumberFormat(current, o).format(n);
}

// Money is integer fen in the API: 1250 -> ¥12.50 (both locales write ¥).
export function fmtMoney(fen) {
  if (fen === null || fen === undefined) return '—';
  const sign = fen < 0 ? '-' : '';
  return sign + '¥' + fmtNumber(Math.abs(fen) / 100, 2);
}

export function fmtPercent(x, digits = 1) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  return new Intl.NumberFormat(current, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x);
}

function parts(d, withTime, withSeconds) {
  const o = { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hourCycle: 'h23' };
  if (withTime) { o.hour = '2-digit'; o.minute = '2-digit'; if (withSeconds) o.second = '2-digit'; }
  const p = {};
  for (const x of new Intl.DateTimeFormat('en-GB', o).formatToParts(d)) p[x.type] = x.value;
  return p;
}

function toDate(v) {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

// 2026-11-29 08:30 in the county's time zone, for both locales.
export function fmtDateTime(v, withSeconds = false) {
  const d = toDate(v);
  if (!d) return '—';
  const p = parts(d, true, withSeconds);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${withSeconds ? ':' + p.second : ''}`;
}

export function fmtDate(v) {
  const d = toDate(v);
  if (!d) return '—';
  const p = parts(d, false);
  return `${p.year}-${p.month}-${p.day}`;
}

export function fmtTime(v) {
  const d = toDate(v);
  if (!d) return '—';
  const p = parts(d, true);
  return `${p.hour}:${p.minute}`;
}

// Today's date (YYYY-MM-DD) in the county's time zone.
export function today() { return fmtDate(new Date()); }

// Start of a county-local day as an RFC 3339 instant (offset found by probing).
export function dayStartIso(ymd) {
  const guess = new Date(ymd + 'T00:00:00Z');
  const p = parts(guess, true);
  const shown = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute);
  const offset = shown - guess.getTime();
  return new Date(guess.getTime() - offset).toISOString();
}

// Units: one set of helpers for every page, so that durations, distances,
// weights, temperatures and money read the same way everywhere (a duration
// is "3 小时 5 分" / "3 h 5 min", never raw minutes next to translated ones).
export function fmtDistance(m) {
  if (m === null || m === undefined || Number.isNaN(m)) return '—';
  return m >= 1000 ? fmtNumber(m / 1000, 1) + ' km' : fmtNumber(Math.round(m)) + ' m';
}

// Seconds as minutes, or hours and minutes from an hour on (rounded to the
// minute first: 3599 s is 1 h 0 min, not 60 min).
export function fmtDuration(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return '—';
  const total = Math.round(Math.abs(s) / 60);
  const h = Math.floor(total / 60), m = total % 60;
  const text = h ? t('fmt.hm', { h: fmtNumber(h), m }) : t('fmt.m', { m });
  return s < 0 && total ? '−' + text : text;
}

export function fmtMinutes(min) {
  return min === null || min === undefined ? '—' : fmtDuration(min * 60);
}

// Short spans counted in seconds (a solver's time limit).
export function fmtSeconds(s) {
  return s === null || s === undefined ? '—' : t('fmt.s', { s: fmtNumber(s) });
}

export function fmtDays(d, digits = 1) {
  return d === null || d === undefined || Number.isNaN(d) ? '—' : t('fmt.d', { d: fmtNumber(d, digits) });
}

export function fmtWeight(g) {
  if (g === null || g === undefined || Number.isNaN(g)) return '—';
  return g >= 1000 ? fmtNumber(g / 1000, 1) + ' kg' : fmtNumber(g) + ' g';
}

export function fmtTemp(c, digits = 1) {
  return c === null || c === undefined || Number.isNaN(c) ? '—' : fmtNumber(c, digits) + ' °C';
}

// Millimetres of water (irrigation, evapotranspiration).
export function fmtMm(mm, digits = 1) {
  return mm === null || mm === undefined || Number.isNaN(mm) ? '—' : fmtNumber(mm, digits) + ' mm';
}

// A change of a share, in percentage points.
export function fmtPoints(pp, digits = 1) {
  return pp === null || pp === undefined || Number.isNaN(pp) ? '—' : t('fmt.pp', { n: fmtNumber(pp, digits) });
}
