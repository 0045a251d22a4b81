/* tests/ui/exchange_sites.test.mjs - city↔district site matching (issue 11, R2.11) in a real
 * browser against a real server.
 *
 *   JIAYUAN_BIN=build/jiayuan node --test tests/ui/exchange_sites.test.mjs
 *
 * The labelled set is written by tests/support/fixtures/make_city_sites.py (/usr/bin/python3 +
 * openpyxl): its district sites are posted through /api/v1/sites/batch with an API token, then
 * a district account opens 数据交换 › 市区点位匹配, uploads the city export, sees the counts (one
 * row per input row), filters the auto-accepted pairs (each matches the label), rejects one,
 * accepts it again, and the .xlsx export is a real workbook. No CSP violation, no failed
 * request, no unexpected API error. Every wait is for a state, with a deadline.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, Server, launchBrowser, screenshot, watch } from './harness.mjs';

const STEP_TIMEOUT = 30_000;
const FIXTURES = path.join(ROOT, 'tests', 'support', 'fixtures');
const SUBS = {
  西长安街街道: '110102001', 新街口街道: '110102003', 月坛街道: '110102007', 展览路街道: '110102009', 德胜街道: '110102010',
  金融街街道: '110102011', 什刹海街道: '110102012', 大栅栏街道: '110102013', 天桥街道: '110102014', 椿树街道: '110102015',
  陶然亭街道: '110102016', 广安门内街道: '110102017', 牛街街道: '110102018', 白纸坊街道: '110102019', 广安门外街道: '110102020',
};

const server = new Server();
let browser = null;
let tmp = '';
let token = '';

process.on('exit', () => server.killNow());

function csv(file) {
  return readFileSync(file, 'utf8').trim().split(/\r?\n/).slice(1).map((l) => l.split(','));
}

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'jiayuan-sites-ui-'));
  const r = spawnSync('/usr/bin/python3', [path.join(FIXTURES, 'make_city_sites.py'), path.join(tmp, 'city.xlsx'),
    path.join(tmp, 'sites.csv'), path.join(tmp, 'labels.csv'), '--sites', '20', '--rows', '40', '--seed', '4'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  await server.start({
    prepare: ({ cli }) => {
      const out = cli(['token', 'add', '--name', 'city-sites', '--scopes', 'sites.read,sites.write']);
      token = out.trim().split('\n').pop().trim();
    },
  });
  const sites = csv(path.join(tmp, 'sites.csv')).map(([code, name, sub, address, lon, lat]) => ({
    source: 'city', external_id: code, code, name, type: 'fixed', subdistrict: SUBS[sub], address, lon: Number(lon), lat: Number(lat),
  }));
  const res = await fetch(`${server.base}/api/v1/sites/batch`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(sites),
  });
  assert.equal(res.status, 200, await res.text());
  browser = await launchBrowser();
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    await server.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
});

async function until(what, fn, deadlineMs = STEP_TIMEOUT) {
  const end = Date.now() + deadlineMs;
  let last;
  for (;;) {
    last = await fn();
    if (last === true) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('upload a city export, review a pair, export', async () => {
  const labels = Object.fromEntries(csv(path.join(tmp, 'labels.csv')).map(([c, d]) => [c, d ?? '']));
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  try {
    await page.goto(`${server.base}/login`);
    await page.getByTestId('login-username').fill('district1');
    await page.getByTestId('login-password').fill('District-Passw0rd!');
    await page.getByTestId('login-submit').click();
    await page.waitForURL(`${server.base}/`);
    await page.getByTestId('menu-exchange-sites').click();
    await page.getByTestId('match-file').setInputFiles(path.join(tmp, 'city.xlsx'));
    await page.getByTestId('match-upload').click();
    await page.getByTestId('match-result').waitFor();
    assert.equal(Number(await page.getByTestId('match-count-rows').getAttribute('data-n')), 40);
    assert.equal(Number(await page.getByTestId('match-count-sites').getAttribute('data-n')), 20);
    const autos = Number(await page.getByTestId('match-count-auto').getAttribute('data-n'));
    assert.ok(autos > 5, `auto-accepted: ${autos}`);

    await page.getByTestId('match-filter-auto').click();
    await until('the auto rows', async () => (await page.getByTestId('match-status').count()) === autos || (await page.getByTestId('match-status').count()));
    const rows = await page.locator('[data-testid="match-rows"] .el-table__body tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.children[1].querySelector('.mono').textContent.trim(), tr.querySelector('[data-testid="match-site-code"]').textContent.trim()]));
    for (const [city, ours] of rows) assert.equal(ours, labels[city], `auto pair ${city}`);
    await screenshot(page, 'exchange-sites-01-auto');

    const first = page.locator('[data-testid="match-rows"] .el-table__body tbody tr').first();
    await first.getByTestId('match-reject').click();
    await until('the row rejected', async () => (await first.getByTestId('match-status').getAttribute('data-status')) === 'rejected' || 'not yet');
    await first.getByTestId('match-accept').click();
    await until('the row accepted', async () => (await first.getByTestId('match-status').getAttribute('data-status')) === 'accepted' || 'not yet');

    const href = await page.getByTestId('match-xlsx').getAttribute('href');
    const r = await page.request.get(new URL(href, page.url()).toString());
    assert.equal(r.status(), 200);
    assert.equal((await r.body()).subarray(0, 2).toString('latin1'), 'PK');
    assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
    assert.deepEqual(w.csp, [], `CSP violations: ${w.csp.join('\n')}`);
    assert.deepEqual(w.failed, [], `failed requests: ${w.failed.join('\n')}`);
    const unexpected = w.apiErrors.filter((e) => !(e.path === '/api/v1/auth/me' && e.status === 401));
    assert.deepEqual(unexpected, [], `API errors: ${JSON.stringify(unexpected)}`);
  } catch (e) {
    await screenshot(page, 'exchange-sites-failure');
    throw e;
  } finally {
    await context.close();
  }
});
