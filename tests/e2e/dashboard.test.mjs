// End-to-end tests of the dashboard in Chromium against a real server on the
// demo county (see harness.mjs). Run by tests/e2e/run.sh (CTest: e2e_dashboard).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { OUT, apiLogin, getAll, launchBrowser, login, startServer, withPage } from './harness.mjs';

let server, browser, admin;

test('the zh-CN and en catalogues have the same keys, none empty', async () => {
  const dir = join(process.env.RL_SOURCE_DIR, 'web', 'src', 'messages');
  const zh = (await import(join(dir, 'zh-CN.js'))).default;
  const en = (await import(join(dir, 'en.js'))).default;
  assert.deepEqual(Object.keys(en).sort(), Object.keys(zh).sort());
  for (const [k, v] of [...Object.entries(zh), ...Object.entries(en)]) assert.ok(v.trim(), 'empty message ' + k);
});

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
    await page.screenshot({ path: join(OUT, 'login-form.png') });
    // Keyboard only: the name field has focus, Tab to the password, Enter.
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type('ruralink-demo');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#user-name:not(:empty)');
    const county = (await admin.get('/counties')).items[0];
    assert.equal(await page.textContent('#county-name'), county.name_zh);
    assert.equal(await page.textContent('#user-role'), '管理员');
    assert.match(await page.textContent('#user-name'), /admin/i);
    await page.waitForSelector('#overview-map[data-ready="1"]');
    // The navigation works from the keyboard too.
    await page.focus('a[data-nav="/orders"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#orders-list table');
    assert.equal(await page.getAttribute('a[data-nav="/orders"]', 'aria-current'), 'page');
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

// A chilled-transport logger through the public ingest API: in band (0..2 °C,
// profile "strawberries": 30 min allowed out of range), then 60 min too warm.
async function seedColdChain() {
  const now = Date.now();
  const tags = { vehicle: 'E2E-COLD' };
  const reading = (i, value) => ({ measurement: 'cold', tags, field: 'temp', value, ts_ms: now - (6 * 3600e3) + i * 5 * 60e3 });
  await admin.post('/telemetry/readings', { readings: [reading(0, 1.2)] });
  const series = (await admin.get('/telemetry/series')).series.find((s) => s.key === 'cold,vehicle=E2E-COLD temp');
  assert.ok(series, 'series created by the first reading');
  await admin.call('PUT', `/telemetry/series/${series.id}/monitor`, { profile: 'strawberries' });
  const rs = [];
  for (let i = 1; i < 70; i++) rs.push(reading(i, i >= 30 && i < 42 ? 7.5 + (i - 30) * 0.2 : 1.0 + 0.4 * Math.sin(i / 4)));
  const w = await admin.post('/telemetry/readings', { readings: rs });
  assert.ok(w.excursions >= 1, 'the excursion raised an alert');
  const alerts = (await admin.get('/telemetry/alerts?state=open')).alerts.filter((a) => a.series_id === series.id);
  assert.equal(alerts.length, 1);
  return { series, alert: alerts[0] };
}

let cold = null;

test('leaving a page before its data arrives: no errors, and the old page stops', async () => {
  // On a slow rural link a user may move on before a page's data comes.
  // Every map page's data is held back 1.5 s, and each page is left at once.
  await withPage(browser.browser, 'slow-link', async (page) => {
    let geo = 0, plans = 0;
    const held = []; // the held-back requests, settled once passed on
    await page.route('**/api/v1/**', (route) => {
      const url = route.request().url();
      if (url.includes('/network.geojson')) geo += 1;
      if (url.includes('/api/v1/plans')) plans += 1; // the tracking page's refresh
      const wait = /network\.geojson|dispatch|tracking/.test(url) ? 1500 : 0;
      const passed = new Promise((r) => setTimeout(r, wait)).then(() => route.continue().catch(() => {}));
      if (wait) held.push(passed);
      return passed;
    });
    // Pages that refresh themselves do it every 2 s here.
    await page.route('**/config.js', (route) => route.fulfill({
      contentType: 'text/javascript',
      body: "window.RURALINK_CONFIG = { tileUrl: '', refreshSeconds: 2 };",
    }));
    // The page's timers run on Playwright's clock (in real time until the
    // end), so the refreshes a lost clean-up would make can be called up
    // at once instead of waited for.
    await page.clock.install();
    await login(page, server.base, 'operator');
    for (const p of ['/dispatch', '/tracking', '/', '/catalog']) {
      await page.click(`a[data-nav="${p}"]`);
      await page.waitForSelector(`a[data-nav="${p}"][aria-current="page"]`);
    }
    await Promise.all(held); // every held-back request has gone on by now
    // and every render, the late ones too, has finished: each page has set
    // up its refresh timer and been cleaned up, or not.
    await page.waitForSelector('#app[data-renders="0"]', { state: 'attached' });
    assert.ok(geo >= 1, 'the overview asked for its map');
    // The tracking page refreshes itself while it is shown; once left it
    // must not go on asking (its clean-up must not be lost).
    const asked = plans;
    await page.clock.runFor(5000); // two and a half refresh periods, fired now
    // A refresh asks for its plans as its timer fires; a request made after
    // runFor reaches the route after any of them.
    let marked = false;
    await page.route((url) => url.searchParams.has('after-run'), (route) => { marked = true; return route.continue(); });
    assert.equal(await page.evaluate(() => fetch('/api/v1/health?after-run').then((r) => r.status)), 200);
    assert.ok(marked, 'the marker request went through the routes');
    assert.equal(plans, asked, 'a page that was left stops refreshing');
  });
});

test('cold-chain chart shades the allowed band and marks the excursion', async () => {
  cold = await seedColdChain();
  await withPage(browser.browser, 'coldchain-chart', async (page) => {
    await login(page, server.base, 'operator');
    await page.click('a[data-nav="/coldchain"]');
    await page.selectOption('#cold-series', String(cold.series.id));
    await page.waitForSelector(`#cold-chart[data-series="${cold.series.id}"][data-ready="1"]`);
    assert.equal(await page.getAttribute('#cold-chart', 'data-band'), '0,2');
    assert.equal(await page.locator('#cold-chart .band-mark').count(), 1, 'band shaded');
    assert.equal(await page.locator('#cold-chart .excursion-mark').count(), 1, 'excursion marked');
    const box = await page.locator('#cold-chart .excursion-mark').boundingBox();
    assert.ok(box && box.width > 10, 'the excursion spans its hour on the time axis');
    await page.locator('#cold-chart').scrollIntoViewIfNeeded();
  });
});

test('acknowledge an alert', async () => {
  if (!cold) cold = await seedColdChain();
  await withPage(browser.browser, 'alert-acknowledged', async (page) => {
    await login(page, server.base, 'operator');
    await page.goto(server.base + '/coldchain');
    const btn = page.locator(`button.ack[data-alert="${cold.alert.id}"]`);
    await btn.waitFor();
    await btn.click();
    // The open list reloads without it; the API agrees.
    await btn.waitFor({ state: 'detached' });
    const a = await admin.get(`/telemetry/alerts/${cold.alert.id}`);
    assert.equal(a.state, 'acknowledged');
    await page.selectOption('#alert-state', 'acknowledged');
    await page.waitForSelector(`.alert-state[data-alert="${cold.alert.id}"]`);
    assert.match(await page.textContent(`.alert-state[data-alert="${cold.alert.id}"]`), /已确认/);
    await page.locator('#alerts-card').scrollIntoViewIfNeeded();
  });
});

test('run a dispatch: one coloured line per route, baseline comparison, approve', async () => {
  await withPage(browser.browser, 'dispatch', async (page) => {
    await login(page, server.base, 'operator');
    await page.click('a[data-nav="/dispatch"]');
    await page.waitForSelector('#dispatch-depot option', { state: 'attached' });
    await page.selectOption('#dispatch-limit', '2');
    await page.click('#dispatch-run');
    await page.waitForSelector('#dispatch-status:has-text("#")', { timeout: 60000 });
    const planId = Number(await page.getAttribute('#dispatch-map', 'data-plan'));
    const plan = await admin.get(`/plans/${planId}`);
    assert.equal(plan.kind, 'dispatch');
    assert.ok(plan.routes.length >= 1, 'the demo day needs at least one route');
    assert.equal(await page.locator('#dispatch-map path.ln-route').count(), plan.routes.length, 'one line per route');
    const stops = plan.routes.reduce((n, r) => n + r.stops.filter((s) => s.kind !== 'start' && s.kind !== 'end').length, 0);
    assert.equal(await page.locator('#dispatch-map .stop-icon').count(), stops, 'a numbered marker per stop');
    // Baseline from fixed routes, then the side-by-side comparison.
    await page.click('#dispatch-baseline');
    await page.waitForSelector('#plan-compare table');
    assert.ok(await page.locator('#plan-compare tbody tr').count() >= 5);
    await page.locator('#plan-compare').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT, 'dispatch-compare.png') });
    // Printable route sheets: one page per route, without the app around it.
    await page.evaluate(() => { window.print = () => {}; });
    await page.click('#dispatch-print');
    assert.equal(await page.locator('#route-sheets article.sheet').count(), plan.routes.length, 'a sheet per route');
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: join(OUT, 'dispatch-sheet-print.png') });
    assert.equal(await page.locator('header.top').isVisible(), false, 'no app header on paper');
    await page.emulateMedia({ media: 'screen' });
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    // Approve the plan.
    await page.click('#dispatch-approve');
    await page.waitForSelector('#plan-detail h2:has-text("已批准")');
    assert.equal((await admin.get(`/plans/${planId}`)).status, 'approved');
    await page.locator('#dispatch-map').scrollIntoViewIfNeeded();
  });
});

test('switch to English and back to Chinese', async () => {
  await withPage(browser.browser, 'language-en', async (page) => {
    await login(page, server.base, 'admin');
    await page.waitForSelector('#kpis [data-kpi="gmv"]');
    assert.equal(await page.textContent('a[data-nav="/"]'), '概览');
    await page.selectOption('#lang', 'en');
    await page.waitForSelector('a[data-nav="/"]:has-text("Overview")');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.textContent('#user-role'), 'Administrator');
    await page.waitForSelector('#kpis [data-kpi="gmv"]');
    assert.match(await page.textContent('#kpis [data-kpi="gmv"] .kpi-label'), /GMV today/);
    assert.match(await page.textContent('#kpis [data-kpi="gmv"] .kpi-value'), /^¥[\d,]+\.\d\d$/);
    await page.waitForSelector('#overview-map[data-ready="1"]');
    await page.screenshot({ path: join(OUT, 'language-en-overview.png') });
    await page.selectOption('#lang', 'zh-CN');
    await page.waitForSelector('a[data-nav="/"]:has-text("概览")');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal(await page.textContent('#user-role'), '管理员');
  });
});

test('every page renders without errors (catalog, orders, live board, tracking; phone width for a driver)', async () => {
  // A session running now with one flash offer and one order, so the board
  // has a curve; a second order must appear on the next refresh.
  const products = (await admin.get('/products?signature=true&limit=5')).items.filter((p) => p.stock > 10);
  assert.ok(products.length > 0);
  const now = Date.now();
  const session = await admin.post('/live-sessions', {
    village_id: products[0].village_id, title: 'e2e 直播 live', tags: ['e2e'],
    start: new Date(now - 10 * 60e3).toISOString(), end: new Date(now + 60 * 60e3).toISOString(),
  });
  // The offer reserves its flash stock from the product's lots.
  const offer = await admin.post(`/live-sessions/${session.id}/offers`, { product_id: products[0].id, flash_price_fen: 990, flash_stock: Math.min(50, Math.floor(products[0].stock / 2)) });
  const buyer = await apiLogin(server.base, 'buyer');
  const point = (await admin.get('/nodes?kind=village_point&limit=1')).items[0];
  await buyer.post('/orders', { delivery_node_id: point.id, lines: [{ offer_id: offer.id, qty: 1 }] });

  await withPage(browser.browser, 'catalog', async (page) => {
    await login(page, server.base, 'operator');
    await page.click('a[data-nav="/catalog"]');
    await page.waitForSelector('#products article.product');
    assert.ok(await page.locator('#products article.product').count() >= 1);
    // Filter by village: every card left is that village's product.
    const [value, name] = await page.$eval('#catalog-village option:nth-child(2)', (o) => [o.value, o.textContent]);
    await page.selectOption('#catalog-village', value);
    await page.waitForSelector('#products article.product');
    await page.waitForLoadState('networkidle');
    const villagesShown = await page.$$eval('#products article.product .meta .muted', (els) => [...new Set(els.map((e) => e.textContent))]);
    assert.deepEqual(villagesShown, [name]);
  });
  await withPage(browser.browser, 'orders', async (page) => {
    await login(page, server.base, 'operator');
    await page.click('a[data-nav="/orders"]');
    await page.selectOption('#orders-status', 'placed');
    await page.click('form.filters button[type=submit]');
    await page.waitForLoadState('networkidle');
    await page.locator('#orders-list tbody tr.clickable').first().click();
    await page.waitForSelector('#order-history li');
    // Move it along: confirmed, then the history has both steps.
    await page.click('#order-actions button[data-to="confirmed"]');
    await page.waitForSelector('#order-history li:nth-child(2)');
    assert.match(await page.textContent('#order-history li:nth-child(2)'), /已确认/);
    // Dates as 2026-11-29 08:30, money as ¥12.50.
    assert.match(await page.textContent('#orders-list tbody tr:first-child td:nth-child(2)'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    assert.match(await page.textContent('#orders-list tbody tr:first-child td:nth-child(5)'), /^¥[\d,]+\.\d\d$/);
  });
  await withPage(browser.browser, 'live-board', async (page) => {
    await login(page, server.base, 'operator');
    await page.click('a[data-nav="/live"]');
    await page.waitForSelector(`#live-board[data-session="${session.id}"] #live-curve[data-orders="1"]`);
    await buyer.post('/orders', { delivery_node_id: point.id, lines: [{ offer_id: offer.id, qty: 2 }] });
    // The board refreshes itself while the session runs.
    await page.waitForSelector('#live-curve[data-orders="2"]', { timeout: 30000 });
  });
  // A farm plot's soil moisture and two monitoring stations, as devices send them.
  const ts = Date.now();
  await admin.post('/telemetry/readings', { readings: [
    { measurement: 'soil', tags: { plot: 'E2E-P1' }, field: 'moisture', value: 0.2, ts_ms: ts },
    { measurement: 'water', tags: { station: 'E2E-W1' }, fields: { ph: 7.1, do: 6.2, nh3n: 0.4, tp: 0.08 }, ts_ms: ts },
    { measurement: 'air', tags: { station: 'E2E-A1' }, fields: { pm25_24h: 60, pm10_24h: 90, o3_8h: 100 }, ts_ms: ts },
  ] });
  await withPage(browser.browser, 'plots-and-stations', async (page) => {
    await login(page, server.base, 'operator');
    await page.goto(server.base + '/coldchain');
    await page.waitForSelector('#farm-list tbody tr');
    assert.match(await page.textContent('#farm-list tbody'), /E2E-P1/);
    await page.waitForSelector('#env-list tbody tr');
    const water = page.locator('#env-list tbody tr', { hasText: 'E2E-W1' });
    const air = page.locator('#env-list tbody tr', { hasText: 'E2E-A1' });
    assert.match(await water.textContent(), /II 类/, 'GB 3838 class of the water station');
    assert.match(await air.textContent(), /空气质量指数 82/, 'AQI of the air station');
    await page.locator('#farm-card').scrollIntoViewIfNeeded();
  });
  // Today's approved plan (the dispatch test approved one): a GPS position far
  // from the route makes it late and off its corridor.
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const approved = (await admin.get(`/plans?date=${day}`)).items.find((p) => p.status === 'approved' && p.kind === 'dispatch');
  let routes = 0, driverRoutes = 0;
  if (approved) {
    const plan = await admin.get(`/plans/${approved.id}`);
    routes = plan.routes.length;
    const driverUser = ((await admin.get('/users')).items || []).find((u) => u.name === 'driver');
    driverRoutes = driverUser ? plan.routes.filter((r) => r.driver_user_id === driverUser.id).length : 0;
    await admin.post('/tracking/positions', { route_id: plan.routes[0].id, lat: 27.6, lon: 108.9 });
  }
  await withPage(browser.browser, 'tracking', async (page) => {
    await login(page, server.base, 'operator');
    await page.click('a[data-nav="/tracking"]');
    await page.waitForSelector('#tracking-updated:not(:empty)');
    if (approved) {
      assert.equal(await page.locator('#tracking-list tbody tr').count(), routes, 'a row per route of the approved plan');
      assert.ok(await page.locator('#tracking-alerts li').count() >= 1, 'the late / off-route alert is listed');
      assert.ok(await page.locator('#tracking-list tbody tr', { hasText: '27.6000, 108.9000' }).count() === 1,
        'the posted GPS position is shown for its vehicle');
    }
  });
  await withPage(browser.browser, 'driver-phone', async (page) => {
    await login(page, server.base, 'driver');
    await page.click('a[data-nav="/tracking"]');
    await page.waitForSelector('#tracking-updated:not(:empty)');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, 'no horizontal scrolling at phone width: ' + overflow);
    if (driverRoutes) {
      // The demo driver sees exactly its own routes of the approved plan.
      assert.equal(await page.locator('#tracking-list tbody tr').count(), driverRoutes, 'the driver sees its approved routes');
    }
  }, { viewport: { width: 390, height: 844 } });
});

test('each role sees only the pages it may use, and they load without errors', async () => {
  const expected = {
    auditor: ['/', '/catalog', '/live', '/orders', '/dispatch', '/tracking', '/coldchain'],
    merchant: ['/catalog', '/live', '/orders'],
    buyer: ['/catalog', '/live', '/orders'],
    trainer: ['/catalog', '/live'],
    driver: ['/catalog', '/tracking'],
  };
  for (const [role, pages] of Object.entries(expected)) {
    await withPage(browser.browser, 'role-' + role, async (page) => {
      await login(page, server.base, role);
      const nav = await page.$$eval('nav a[data-nav]', (as) => as.map((a) => a.getAttribute('data-nav')));
      assert.deepEqual(nav, pages, role + "'s navigation");
      for (const p of pages) {
        await page.click(`a[data-nav="${p}"]`);
        await page.waitForSelector(`a[data-nav="${p}"][aria-current="page"]`);
        await page.waitForLoadState('networkidle');
      }
    });
  }
});
