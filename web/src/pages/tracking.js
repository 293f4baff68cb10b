import { t } from '../i18n.js';
import { h } from '../ui.js';
export async function render(root) { root.append(h('h1', null, t('nav.tracking'))); }
