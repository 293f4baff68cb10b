// Dashboard entry: session, header (county, user, role, language switch),
// navigation and a small history-API router. Pages are modules exporting
// render(root, ctx) -> optional cleanup function; the server answers every
// client-side path with index.html.
import { initLocale, locale, locales, onLocaleChange, setLocale, setTimeZone, t, pick } from './i18n.js';
import { currentSession, get, loadSession, logout, onBusy, setUnauthorizedHandler } from './api.js';
import { clear, errorBox, h } from './ui.js';
import * as loginPage from './pages/login.js';
import * as notFound from './pages/notfound.js';
import * as overview from './pages/overview.js';
import * as catalog from './pages/catalog.js';
import * as live from './pages/live.js';
import * as orders from './pages/orders.js';
import * as dispatch from './pages/dispatch.js';
import * as tracking from './pages/tracking.js';
import * as coldchain from './pages/coldchain.js';

// Pages per role: a page is offered only to roles whose API calls it needs
// are allowed (a forbidden call would be a 403 in the console).
const STAFF = ['admin', 'operator', 'auditor'];
const routes = [
  { path: '/', key: 'nav.overview', page: overview, roles: STAFF },
  { path: '/catalog', key: 'nav.catalog', page: catalog, roles: [...STAFF, 'merchant', 'trainer', 'buyer', 'driver'] },
  { path: '/live', key: 'nav.live', page: live, roles: [...STAFF, 'merchant', 'trainer', 'buyer'] },
  { path: '/orders', key: 'nav.orders', page: orders, roles: [...STAFF, 'merchant', 'buyer'] },
  { path: '/dispatch', key: 'nav.dispatch', page: dispatch, roles: STAFF },
  { path: '/tracking', key: 'nav.tracking', page: tracking, roles: [...STAFF, 'driver'] },
  { path: '/coldchain', key: 'nav.coldchain', page: coldchain, roles: STAFF },
];
const allowed = () => routes.filter((r) => ctx.me && r.roles.includes(ctx.me.role));
const NOT_FOUND = { path: null, key: 'notfound.title', page: notFound };

// A page's state that a re-render keeps (a language switch, Back and
// Forward, a new login after the session ended): kept in the history entry,
// so a link to another page starts afresh. ctx.state is the entry's state
// when the page is rendered; ctx.keep(patch) adds to it.
function keep(patch) {
  history.replaceState({ ...(history.state || {}), ...patch }, '', location.href);
}

const ctx = { me: null, county: null, navigate, keep };
let cleanup = null;

// Home: the overview for staff, the tracking page for drivers, else the catalog.
function home() {
  const mine = allowed();
  const r = ctx.me && ctx.me.role === 'driver' ? mine.find((x) => x.path === '/tracking') : mine[0];
  return r || routes[1];
}

// The route of a path; an unknown path, or a page this role may not see, is
// the not-found page (never another page in its place).
function match(pathname) {
  const p = pathname.replace(/\/+$/, '') || '/';
  const within = (r) => r.path === p || (r.path !== '/' && p.startsWith(r.path + '/'));
  const r = allowed().find(within);
  if (r) return { route: r, params: r.path === p ? {} : { rest: p.slice(r.path.length + 1) } };
  if (p === '/') return { route: home(), params: {} };
  return { route: NOT_FOUND, params: { forbidden: routes.some(within), home: home() } };
}

// Old-style links (#/orders) are paths in the fragment: moved to the path.
function fromHash() {
  if (location.hash.startsWith('#/')) history.replaceState(history.state, '', location.hash.slice(1));
}

export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function header() {
  const me = ctx.me;
  const langSel = h('select', { id: 'lang', 'aria-label': t('header.language') },
    locales.map((l) => h('option', { value: l, selected: l === locale() ? true : null }, l === 'zh-CN' ? '中文' : 'English')));
  langSel.addEventListener('change', () => setLocale(langSel.value));
  const nav = h('nav', { 'aria-label': t('nav.label'), class: 'nav' },
    h('ul', null, allowed().map((r) => {
      const a = h('a', { href: r.path, 'data-nav': r.path }, t(r.key));
      if (match(location.pathname).route === r) a.setAttribute('aria-current', 'page');
      return h('li', null, a);
    })));
  return h('header', { class: 'top' },
    h('div', { class: 'brand' },
      h('span', { class: 'logo', 'aria-hidden': 'true' }, '◎'),
      h('span', { class: 'app-name' }, t('app.name')),
      h('span', { class: 'county', id: 'county-name' }, ctx.county ? pick(ctx.county) : '')),
    h('div', { class: 'who' },
      h('span', { id: 'user-name' }, me ? me.display_name || me.name : ''),
      me ? h('span', { class: 'role', id: 'user-role' }, t('role.' + me.role)) : null,
      h('label', { class: 'sr-only', for: 'lang' }, t('header.language')),
      langSel,
      h('button', { type: 'button', id: 'logout', class: 'secondary', onclick: async () => { await logout(); render(); } }, t('header.logout'))),
    nav);
}

async function loadContext() {
  ctx.me = await get('/me');
  const c = await get('/counties');
  ctx.county = (c.items || [])[0] || null;
  if (ctx.county && ctx.county.timezone) setTimeZone(ctx.county.timezone);
}

// Renders are numbered: a page whose render finishes after the user moved on
// (its data came late) is cleaned up at once, and never replaces the clean-up
// of the page now shown (a lost clean-up kept refreshing a page nobody sees).
let renders = 0;
// Renders still running, late ones included, as #app's data-renders: "0"
// once every page's data has come and each page has set up or cleaned up
// its timers (the end-to-end tests wait for it).
let running = 0;

async function render() {
  const app = document.getElementById('app');
  app.dataset.renders = String(++running);
  try {
    await renderPage();
  } finally {
    app.dataset.renders = String(--running);
  }
}

// The server ended the session (a 401: revoked or expired): the login page
// says so until the next login.
let sessionEnded = false;

async function renderPage() {
  const mine = ++renders;
  if (cleanup) { try { cleanup(); } catch { /* page already gone */ } cleanup = null; }
  const app = clear(document.getElementById('app'));
  document.title = t('app.name');
  fromHash();
  if (!currentSession()) {
    app.append(h('main', { id: 'main', class: 'login-main' }));
    cleanup = loginPage.render(app.querySelector('main'), { ...ctx, ended: sessionEnded,
      done: async () => { sessionEnded = false; await start(); } }) || null;
    return;
  }
  if (!ctx.me) {
    // A 401 here has shown the login page already.
    try { await loadContext(); } catch (e) {
      if (currentSession() && mine === renders) app.append(errorBox(e));
      return;
    }
    if (mine !== renders) return;
  }
  const { route, params } = match(location.pathname);
  const main = h('main', { id: 'main', tabindex: '-1' });
  app.append(h('a', { href: '#main', class: 'skip' }, t('common.skip')), header(), main);
  // A page the role may not see has its own title (not "page not found").
  document.title = t(route === NOT_FOUND && params.forbidden ? 'notfound.forbidden' : route.key) + ' · ' + t('app.name');
  let done = null;
  try {
    done = (await route.page.render(main, { ...ctx, params, state: history.state || {} })) || null;
  } catch (e) {
    // Data the page could not do without: said on the page, unless the
    // user has moved on or the session ended (the login page is shown).
    if (mine === renders && currentSession()) main.append(errorBox(e));
  }
  if (mine !== renders) {
    if (done) { try { done(); } catch { /* page already gone */ } }
    return;
  }
  cleanup = done;
}

async function start() {
  ctx.me = null;
  await render();
}

// Links within the page (the skip links: "#main", past a map) only move
// focus to their target: no history entry, so no popstate and no render.
function skipTo(e) {
  const a = e.target.closest && e.target.closest('a[href^="#"]');
  const id = a && a.getAttribute('href').slice(1);
  if (!id || id.startsWith('/') || e.defaultPrevented) return false;
  const target = document.getElementById(id);
  if (!target) return false;
  e.preventDefault();
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus();
  return true;
}

document.addEventListener('click', (e) => {
  if (skipTo(e)) return;
  const a = e.target.closest && e.target.closest('a[href^="/"]');
  // A link whose page handled the click itself (e.g. a cold-chain alert's
  // series link) is not navigated again (that would re-render the page).
  if (!a || e.defaultPrevented || e.ctrlKey || e.metaKey || e.shiftKey || a.target) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', () => render());
setUnauthorizedHandler(() => { ctx.me = null; sessionEnded = true; render(); });
onLocaleChange(() => render());

// Requests still out after BUSY_MS: a loading bar at the top, announced once.
const BUSY_MS = 400;
const busy = h('div', { id: 'busy', class: 'busy', role: 'status', hidden: true }, h('span', null, t('common.loading')));
let busyTimer = null;
onBusy((n) => {
  if (n && !busyTimer && busy.hidden) {
    busyTimer = setTimeout(() => { busyTimer = null; busy.firstChild.textContent = t('common.loading'); busy.hidden = false; }, BUSY_MS);
  } else if (!n) {
    clearTimeout(busyTimer);
    busyTimer = null;
    busy.hidden = true;
  }
});
document.body.append(busy);

initLocale();
loadSession();
render();
