// Not found: an address that is no page of the dashboard, or a page this
// role may not see (said so, never another page in its place), with a link
// to the role's start page.
import { t } from '../i18n.js';
import { h } from '../ui.js';

export function render(root, ctx) {
  const { forbidden, home } = ctx.params;
  root.append(h('section', { class: 'card', id: 'not-found', 'data-reason': forbidden ? 'forbidden' : 'unknown' },
    h('h1', null, t(forbidden ? 'notfound.forbidden' : 'notfound.title')),
    h('p', null, t(forbidden ? 'notfound.forbidden_text' : 'notfound.text', {
      path: location.pathname, role: ctx.me ? t('role.' + ctx.me.role) : '' })),
    h('p', null, h('a', { href: home.path, id: 'not-found-home', class: 'button' }, t('notfound.home', { page: t(home.key) })))));
}
