// Login page: name and password, language switch, errors from the server
// (wrong password, lockout) shown in the current language; after the server
// ended the session (ctx.ended: a 401), a note saying so.
import { fmtDuration, locale, locales, setLocale, t } from '../i18n.js';
import { login } from '../api.js';
import { h } from '../ui.js';

// Locked out (429): how long to wait, from Retry-After (seconds), in whole
// minutes rounded up.
function locked(seconds) {
  if (!seconds) return t('login.locked');
  return t('login.locked_for', { time: fmtDuration(Math.ceil(seconds / 60) * 60) });
}

export function render(root, ctx) {
  const name = h('input', { id: 'login-name', name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'msg error', role: 'alert', hidden: true });
  const ended = ctx.ended ? h('p', { class: 'msg note', id: 'login-ended', role: 'status' }, t('login.session_ended')) : null;
  const btn = h('button', { type: 'submit', id: 'login-submit' }, t('login.submit'));
  const lang = h('select', { id: 'login-lang' },
    locales.map((l) => h('option', { value: l, selected: l === locale() ? true : null }, l === 'zh-CN' ? '中文' : 'English')));
  lang.addEventListener('change', () => setLocale(lang.value));
  const form = h('form', { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, t('app.name')),
    h('p', { class: 'subtitle' }, t('login.subtitle')),
    ended,
    h('div', { class: 'field' }, h('label', { for: 'login-name' }, t('login.name')), name),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, t('login.password')), pass),
    msg,
    btn,
    h('div', { class: 'field inline' }, h('label', { for: 'login-lang' }, t('header.language')), lang));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    btn.disabled = true;
    msg.hidden = true;
    if (ended) ended.hidden = true;
    try {
      await login(name.value.trim(), pass.value);
      await ctx.done();
    } catch (err) {
      msg.textContent = err.status === 401 ? t('login.bad') : err.status === 429 ? locked(err.retryAfter) : t('common.error') + ': ' + err.message;
      msg.hidden = false;
      btn.disabled = false;
    }
  });
  root.append(form);
  name.focus();
}
