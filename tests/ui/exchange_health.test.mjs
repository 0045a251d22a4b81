/* tests/ui/exchange_health.test.mjs - the 流调 query page (issue 11, R2.13) in a real browser
 * against a real server.
 *
 *   node --test tests/ui/exchange_health.test.mjs
 *
 * The server: `keys init`, the harness's accounts, then `jiayuan health import` of a sheet
 * written by /usr/bin/python3 + openpyxl (tests/support/fixtures/make_epi.py: a case with two
 * places, a close contact, a bad row). A district officer opens the page from the menu,
 * looks the case up by ID number (typed with a lower-case x and spaces): the record shows
 * masked (ID, name, phone, address), its two places are listed in order and drawn on the
 * map; then reveals with a reason and sees the name in full. No CSP violation, no failed
 * request, no API error but the login page's 401.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, Server, launchBrowser, screenshot, watch } from './harness.mjs';

const STEP_TIMEOUT = 20_000;
const server = new Server();
let browser;

before(async () => {
  await server.start({
    prepare: async ({ varDir, cli }) => {
      const sheet = path.join(varDir, 'epi.xlsx');
      const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'tests/support/fixtures/make_epi.py'), sheet], { encoding: 'utf8' });
      assert.equal(r.status, 0, `make_epi.py: ${r.stderr}`);
      const out = cli(['health', 'import', sheet]);
      assert.match(out, /records=3 accepted=2 duplicate=0 rejected=1/);
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server.stop();
});

function assertClean(w) {
  assert.deepEqual(w.csp, [], `CSP violations: ${w.csp.join('\n')}`);
  assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  assert.deepEqual(w.failed, [], `failed requests: ${w.failed.join('\n')}`);
  assert.deepEqual(w.httpErrors, [], `HTTP errors: ${w.httpErrors.join('\n')}`);
  const unexpected = w.apiErrors.filter((e) => !(e.path === '/api/v1/auth/me' && e.status === 401));
  assert.deepEqual(unexpected, [], `API errors: ${JSON.stringify(unexpected)}`);
}

test('look up an epi record masked, see its places on the map, reveal with a reason', async () => {
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
    await page.getByTestId('menu-exchange-health').click();
    await page.getByTestId('health-page').waitFor();

    await page.getByTestId('health-key').fill('110102 19900307 123x');
    await page.getByTestId('health-search').click();
    await page.getByTestId('health-records').waitFor();
    assert.equal(await page.getByTestId('health-records').getAttribute('data-revealed'), '0');
    assert.deepEqual(await page.getByTestId('health-idno').allTextContents(), ['110102********123X']);
    assert.deepEqual(await page.getByTestId('health-name').allTextContents(), ['张*']);
    const body = await page.getByTestId('health-records').textContent();
    assert.ok(body.includes('139****9000'), 'the phone is masked');
    assert.ok(!body.includes('张三') && !body.includes('13900139000') && !body.includes('西长安街'), 'nothing in the clear');
    const places = await page.getByTestId('health-place').allTextContents();
    assert.equal(places.length, 2);
    assert.ok(places[0].includes('1. 超市A') && places[1].includes('2. 餐馆B'), `places in order: ${places}`);
    assert.ok((await page.getByTestId('health-map').locator('canvas').count()) > 0, 'the map draws');
    await screenshot(page, 'exchange-health-masked');

    await page.getByTestId('health-reveal').click();
    await page.getByTestId('health-reason').fill('密接追踪，区指挥部要求');
    await page.getByTestId('health-search').click();
    await page.locator('[data-testid="health-records"][data-revealed="1"]').waitFor();
    assert.deepEqual(await page.getByTestId('health-name').allTextContents(), ['张三']);
    assert.deepEqual(await page.getByTestId('health-idno').allTextContents(), ['11010219900307123X']);
    await screenshot(page, 'exchange-health-revealed');
    assertClean(w);
  } finally {
    await context.close();
  }
});

test('the 流调场所 layer on the main map: the imported places as points, by time window', async () => {
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
    await page.getByTestId('menu-map').click();
    await page.getByTestId('map-page').waitFor();
    await page.getByTestId('layer-epi').click();
    /* the default window (14 days) holds none of the sheet's January visits */
    await page.locator('[data-testid="layer-epi-count"][data-count="0"]').waitFor();
    await page.getByTestId('epi-window').click();
    await page.getByRole('option', { name: '全部' }).click();
    await page.locator('[data-testid="layer-epi-count"][data-count="2"]').waitFor();
    const r = await page.request.get(`${server.base}/api/v1/exchange/health/places`);
    const fc = await r.json();
    assert.deepEqual(fc.features.map((f) => f.properties.name).sort(), ['超市A', '餐馆B']);
    const text = JSON.stringify(fc);
    assert.ok(!text.includes('张三') && !text.includes('E-001') && !text.includes('13900139000'), 'nothing personal');
    await screenshot(page, 'map-epi-layer');
    assertClean(w);
  } finally {
    await context.close();
  }
});
