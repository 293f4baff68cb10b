// Small DOM helpers: h() builds elements, table() builds an accessible data
// table, and a few shared widgets (KPI cards, status badges, messages).
import { t } from './i18n.js';

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'html') el.innerHTML = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, v);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

// clear(el) and append children as h() does: null, undefined and false are
// left out (DOM append() would write them as the text "null").
export function fill(el, ...children) {
  append(clear(el), children);
  return el;
}

// Requests of one kind on a page, numbered: only the newest one's reply is
// shown (req.stale() is true for an older one, whose reply came late), and
// el's data-pending counts those still in flight ("0" once every reply is
// in; the end-to-end tests wait for it).
export function requests(el) {
  let last = 0, pending = 0;
  const mark = (d) => { pending += d; el.dataset.pending = String(pending); };
  return () => {
    const mine = ++last;
    let done = false;
    mark(1);
    return { stale: () => mine !== last, done: () => { if (!done) { done = true; mark(-1); } } };
  };
}

// columns: [{ key, label, render(row) -> node|string, num: bool }]
export function table(columns, rows, { caption, onRow, rowLabel, empty } = {}) {
  const thead = h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label))));
  const tbody = h('tbody');
  if (!rows.length) {
    tbody.append(h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty || t('common.none'))));
  }
  for (const r of rows) {
    const tr = h('tr');
    for (const c of columns) {
      const v = c.render ? c.render(r) : r[c.key];
      tr.append(h('td', { class: c.num ? 'num' : null }, v === undefined || v === null ? '—' : v));
    }
    if (onRow) {
      tr.tabIndex = 0;
      tr.classList.add('clickable');
      if (rowLabel) tr.setAttribute('aria-label', rowLabel(r));
      tr.addEventListener('click', () => onRow(r));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onRow(r); } });
    }
    tbody.append(tr);
  }
  return h('div', { class: 'table-wrap' }, h('table', null, caption ? h('caption', null, caption) : null, thead, tbody));
}

export function kpi(label, value, { id, hint } = {}) {
  return h('div', { class: 'kpi', 'data-kpi': id },
    h('div', { class: 'kpi-label' }, label),
    h('div', { class: 'kpi-value' }, value),
    hint ? h('div', { class: 'kpi-hint' }, hint) : null);
}

export function badge(text, kind) { return h('span', { class: 'badge ' + (kind || '') }, text); }

// An error in the current language: what went wrong by the HTTP status (the
// server's problem detail is English and says no more than its status in a
// machine-readable way), with the server's detail after it in brackets.
const STATUS_TEXT = new Set([400, 403, 404, 409, 422, 429, 500, 501, 503]);
export function errorText(err) {
  const status = err && err.status;
  // fetch() throws a TypeError when the server cannot be reached.
  if (!status && err instanceof TypeError && /fetch|network/i.test(err.message)) return t('error.network');
  const head = STATUS_TEXT.has(status) ? t('error.' + status) : t('common.error');
  const detail = err && err.message ? err.message : err && !(err instanceof Error) ? String(err) : '';
  return detail && detail !== head ? t('error.with_detail', { text: head, detail }) : head;
}

export function errorBox(err) {
  return h('div', { class: 'msg error', role: 'alert' }, errorText(err));
}

// A server's refusal (403, 409 ...) in the current language, with the
// server's own detail after it.
export function refusalBox(err) {
  const key = err && (err.status === 403 || err.status === 409) ? 'common.refused.' + err.status : 'common.error';
  return h('div', { class: 'msg error', role: 'alert' }, t(key), err && err.message ? ' (' + err.message + ')' : null);
}

export function note(text) { return h('p', { class: 'msg note' }, text); }

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', null, title), ...children);
}

export function field(label, control, id) {
  control.id = control.id || id;
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
}

export function select(id, options, value) {
  const s = h('select', { id });
  for (const [v, label] of options) s.append(h('option', { value: v, selected: String(v) === String(value) ? true : null }, label));
  return s;
}
