// End-to-end tests of the dashboard in Chromium against a real server on the
// demo county (see harness.mjs). Run by tests/e2e/run.sh (CTest: e2e_dashboard).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiLogin, getAll, launchBrowser, login, startServer, withPage } from './harness.mjs';

let server, browser, admin;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  admin = await apiLogin(server.base, 'admin');
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const r = await server.stop();
    assert.equal(r.code, 0, 'server exits cleanly on SIGTERM\n' + server.stderr());
  }
});

test('log in: header shows county, user and role (zh-CN by default)', async () => {
  await withPage(browser.browser, 'login', async (page) => {
    await page.goto(server.base + '/');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal(await page.textContent('#login-submit'), '登录');
    await login(page, server.base, 'admin');
    const county = (await admin.get('/counties')).items[0];
    assert.equal(await page.textContent('#county-name'), county.name_zh);
    assert.equal(await page.textContent('#user-role'), '管理员');
    assert.match(await page.textContent('#user-name'), /admin/i);
  });
});

test('overview map shows every village of the county', async () => {
  const villages = await getAll(admin, '/villages?limit=500');
  assert.ok(villages.length > 0);
  await withPage(browser.browser, 'overview', async (page) => {
    await login(page, server.base, 'operator');
    await page.waitForSelector('#overview-map[data-ready="1"]');
    const n = await page.locator('#overview-map path.mk-village').count();
    assert.equal(n, villages.length, 'one marker per village');
    assert.ok(await page.locator('#overview-map path.mk-hub').count() >= 1, 'the county hub is drawn');
    assert.ok(await page.locator('#overview-map path.mk-cold').count() >= 1, 'cold stores are drawn');
    await page.waitForSelector('#kpis [data-kpi="orders"]');
    await page.waitForSelector('#kpis [data-kpi="alerts"]');
  });
});
