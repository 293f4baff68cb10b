// The dashboard's only way to the server: /api/v1 with the session's bearer
// token. Errors come back as RFC 9457 problems; ApiError carries status and
// detail (and retryAfter, seconds, from a 429's or 503's Retry-After). A 401
// ends the session (the app shows the login page again).
const TOKEN = 'ruralink.session';

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super((problem && (problem.detail || problem.title)) || 'HTTP ' + status);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter ?? null;
  }
}

let session = null;
let onUnauthorized = () => {};

export function loadSession() {
  try { session = JSON.parse(sessionStorage.getItem(TOKEN) || 'null'); } catch { session = null; }
  if (session && session.expires_at && Date.parse(session.expires_at) < Date.now()) session = null;
  return session;
}

export function currentSession() { return session; }

export function setSession(s) {
  session = s;
  if (s) sessionStorage.setItem(TOKEN, JSON.stringify(s));
  else sessionStorage.removeItem(TOKEN);
}

export function setUnauthorizedHandler(f) { onUnauthorized = f; }

// Requests in flight, for a loading indicator: f(count) on every change.
let inFlight = 0;
const busyListeners = new Set();
export function onBusy(f) { busyListeners.add(f); return () => busyListeners.delete(f); }
function busy(d) {
  inFlight += d;
  for (const f of busyListeners) f(inFlight);
}

function qs(params) {
  if (!params) return '';
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}

// Retry-After is seconds or an HTTP date; null when absent or unreadable.
function retryAfterSeconds(v) {
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.round((at - Date.now()) / 1000));
}

export async function api(method, path, { query, body, headers } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (session) h.Authorization = 'Bearer ' + session.token;
  let payload;
  if (body !== undefined) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  let res, text;
  busy(1);
  try {
    res = await fetch('/api/v1' + path + qs(query), { method, headers: h, body: payload });
    text = await res.text();
  } finally { busy(-1); }
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = text; } }
  if (!res.ok) {
    if (res.status === 401 && session) { setSession(null); onUnauthorized(); }
    throw new ApiError(res.status, data, retryAfterSeconds(res.headers.get('Retry-After')));
  }
  return data;
}

export const get = (path, query) => api('GET', path, { query });
export const post = (path, body, query) => api('POST', path, { body, query });

// Every page of a cursor-paged list (items + next_cursor).
export async function getAll(path, query = {}) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 100; i++) {
    const page = await get(path, { ...query, cursor });
    out.push(...(page.items || []));
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

export async function login(name, password) {
  const r = await api('POST', '/auth/login', { body: { name, password } });
  setSession({ token: r.token, expires_at: r.expires_at, user: r.user });
  return r;
}

export async function logout() {
  try { await api('POST', '/auth/logout'); } catch { /* already gone */ }
  setSession(null);
}
