// e2e harness: start the real `ruralink serve` on the demo county (temporary
// database, ephemeral port), drive Debian's Chromium through playwright-core,
// and give each test a fresh page that records console errors, page errors,
// failed requests and HTTP error answers. Every test ends with a screenshot in
// the output folder; any recorded error fails it.
//
// Environment (set by run.sh): RL_BIN (server binary), RL_SOURCE_DIR,
// RL_E2E_OUT (screenshots), RL_WEB_ROOT (built dashboard), CHROMIUM.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const src = process.env.RL_SOURCE_DIR;
const require = createRequire(join(src, 'web', 'package.json'));
const { chromium } = require('playwright-core');

export const PASSWORD = 'ruralink-demo';
export const OUT = process.env.RL_E2E_OUT || join(src, 'build', 'e2e-output');

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'ruralink-e2e-'));
  const args = ['serve', '--db', join(dir, 'e2e.db'), '--listen', '127.0.0.1:0', '--demo',
    '--web-root', process.env.RL_WEB_ROOT, '--log-level', 'warn'];
  const proc = spawn(process.env.RL_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 120 s\n' + err)), 120000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving on (https?:\/\/[^/\s]+)\//);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}) before listening\n${err}`)); });
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  return {
    base, dir,
    stderr: () => err,
    async stop() {
      proc.kill('SIGTERM');
      const r = await exited;
      rmSync(dir, { recursive: true, force: true });
      return r;
    },
  };
}

// playwright-core gives Chromium a fresh temporary --user-data-dir itself (it
// refuses the flag in args) and removes it on close.
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { browser, async close() { await browser.close(); } };
}

// API calls from the test itself (to count what the page should show).
export async function apiLogin(base, name = 'admin') {
  const r = await fetch(base + '/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, password: PASSWORD }),
  });
  assert.equal(r.status, 200, 'login ' + name);
  const j = await r.json();
  const call = async (method, path, body) => {
    const res = await fetch(base + '/api/v1' + path, {
      method, headers: { Authorization: 'Bearer ' + j.token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return { token: j.token, get: (p) => call('GET', p), post: (p, b) => call('POST', p, b), call };
}

export async function getAll(api, path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api.get(path + (cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

// Runs body(page) in a fresh context; screenshots to OUT/<name>.png whatever
// happens; then fails on any console error, page error, failed request or
// HTTP answer >= 400 the page received, but those a test provokes on purpose
// and names with allowHttp(status, url). The browser is in the county's time
// zone unless timezoneId says otherwise.
export async function withPage(browser, name, body, { viewport = { width: 1366, height: 768 }, allowHttp = () => false, timezoneId = 'Asia/Shanghai' } = {}) {
  mkdirSync(OUT, { recursive: true });
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const problems = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // The browser logs each HTTP error answer as a console error too.
    const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(m.text());
    if (failed && allowHttp(Number(failed[1]), m.location().url)) return;
    problems.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => {
    const f = r.failure();
    // A navigation away cancels requests still in flight; that is not a failure.
    if (f && f.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.method()} ${r.url()} ${f ? f.errorText : ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !allowHttp(r.status(), r.url())) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  try {
    await body(page);
  } finally {
    await page.screenshot({ path: join(OUT, name + '.png'), fullPage: false }).catch(() => {});
    await context.close();
  }
  assert.deepEqual(problems, [], 'console errors or failed requests in ' + name);
}

export async function login(page, base, name = 'admin') {
  await page.goto(base + '/');
  await page.fill('#login-name', name);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#user-name:not(:empty)');
}
