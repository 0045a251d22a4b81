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
 *
 * 医生信息: two doctors pushed through the ingest API; the page (from the menu) lists them
 * masked, imports a sheet written by openpyxl (make_doctors.py), finds one by its full phone
 * (blind index), exports the list as .xlsx (read back with
 * /usr/bin/python3 + openpyxl: masked too), and reveals one with a reason.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
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

test('医生信息: the doctors masked, exported as xlsx, a sheet imported, searched by phone, revealed with a reason', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jy-doctors-'));
  try {
    await page.goto(`${server.base}/login`);
    await page.getByTestId('login-username').fill('district1');
    await page.getByTestId('login-password').fill('District-Passw0rd!');
    await page.getByTestId('login-submit').click();
    await page.waitForURL(`${server.base}/`);
    const me = await (await page.request.get(`${server.base}/api/v1/auth/me`)).json();
    const docs = [
      { source: 'wjw', external_id: 'D-1', name: '赵医生', phone: '13811112222', institution: '西城区人民医院', title: '主治医师', subdistrict: '110102001' },
      { source: 'wjw', external_id: 'D-2', name: '钱大夫', phone: '13833334444', institution: '西城区中医院', subdistrict: '110102003' },
    ];
    const r = await page.request.post(`${server.base}/api/v1/exchange/health/doctors/batch`, { data: docs, headers: { 'X-CSRF-Token': me.csrf_token } });
    assert.equal(r.status(), 200, await r.text());
    assert.equal((await r.json()).accepted, 2);

    await page.getByTestId('menu-exchange-doctors').click();
    await page.getByTestId('doctors-page').waitFor();
    await page.locator('[data-testid="doctors-row-name"]').nth(1).waitFor();
    assert.deepEqual(await page.getByTestId('doctors-row-name').allTextContents(), ['赵**', '钱**']);
    assert.deepEqual(await page.getByTestId('doctors-row-phone').allTextContents(), ['138****2222', '138****4444']);
    const table = await page.getByTestId('doctors-table').textContent();
    assert.ok(!table.includes('赵医生') && !table.includes('13811112222'), 'nothing in the clear');

    /* the export, read back by openpyxl: two rows, masked */
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('doctors-xlsx').click()]);
    const file = path.join(dir, 'doctors.xlsx');
    await download.saveAs(file);
    writeFileSync(path.join(dir, 'read.py'), `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True).active
rows = [list(r) for r in ws.iter_rows(values_only=True)]
print(json.dumps(rows, ensure_ascii=False, default=str))
`);
    const out = spawnSync('/usr/bin/python3', [path.join(dir, 'read.py'), file], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const rows = JSON.parse(out.stdout);
    const hi = rows.findIndex((row) => row.includes('姓名'));
    assert.ok(hi >= 0, `a header row in ${JSON.stringify(rows)}`);
    const head = rows[hi];
    const data = rows.slice(hi + 1).filter((row) => row.some((c) => c !== null && c !== ''));
    assert.equal(data.length, 2);
    assert.deepEqual(data.map((row) => row[head.indexOf('姓名')]), ['赵**', '钱**']);
    assert.deepEqual(data.map((row) => row[head.indexOf('联系电话')]), ['138****2222', '138****4444']);
    assert.ok(!out.stdout.includes('赵医生') && !out.stdout.includes('13833334444'), 'the file is masked');

    /* upload a sheet written by openpyxl: two accepted, the nameless row rejected */
    const sheet = path.join(dir, 'doctors.xlsx');
    const mk = spawnSync('/usr/bin/python3', [path.join(ROOT, 'tests/support/fixtures/make_doctors.py'), sheet], { encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stderr);
    await page.getByTestId('doctors-import-file').setInputFiles(sheet);
    await page.getByTestId('doctors-import-run').click();
    const rep = page.getByTestId('doctors-import-report');
    await rep.waitFor();
    assert.equal(await rep.getAttribute('data-accepted'), '2');
    assert.equal(await rep.getAttribute('data-rejected'), '1');
    await page.locator('[data-testid="doctors-total"]', { hasText: '共 4 条' }).waitFor();

    /* search by the full phone (blind index) */
    await page.getByTestId('doctors-phone').fill('138 3333 4444');
    await page.getByTestId('doctors-search').click();
    await page.locator('[data-testid="doctors-total"]', { hasText: '共 1 条' }).waitFor();
    assert.deepEqual(await page.getByTestId('doctors-row-name').allTextContents(), ['钱**']);
    await screenshot(page, 'exchange-doctors-masked');

    /* reveal with a reason */
    await page.getByTestId('doctors-reveal').click();
    await page.getByTestId('doctors-reason').fill('核对采样点排班');
    await page.getByTestId('doctors-reveal-run').click();
    await page.getByTestId('doctors-revealed-name').waitFor();
    assert.equal((await page.getByTestId('doctors-revealed-name').textContent()).trim(), '钱大夫');
    assert.equal((await page.getByTestId('doctors-revealed-phone').textContent()).trim(), '13833334444');
    assertClean(w);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await context.close();
  }
});
