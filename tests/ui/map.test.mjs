/* tests/ui/map.test.mjs - issue 8 in a real browser against a real server (R3.7-R3.9, R5.1).
 *
 *   JIAYUAN_BIN=build/jiayuan node --test tests/ui/map.test.mjs
 *
 * A district account imports the messy toilet survey written by
 * tests/support/fixtures/make_survey.py (openpyxl, /usr/bin/python3) through the upload page,
 * imports it again (nothing changes), reconciles the video network's export from
 * make_network.py, binds the matched online cameras, undoes and binds again, then finds a
 * toilet on the map by search, opens its card with the bound camera, asks for the cameras
 * near it, and opens the same card by clicking the toilet on the map. A second test loads
 * zones of the three levels through the API and has a viewer (read only: no import or
 * reconciliation menu) set a WMTS basemap template (tiles answered on this origin by the
 * test: the map must ask for the tile under its centre), find a zone and open its card by
 * clicking the polygon. The place and camera
 * lists and the reconciliation are exported to .xlsx. Expected values come from the
 * fixtures' own data (survey_data.py: EXPECTED classes, NETWORK statuses). The outlines of
 * the vector base layer are served. No CSP violation, no failed request, no unexpected
 * API error. Screenshots go to JIAYUAN_ARTIFACTS. No timing assertions: every wait is for a
 * state, with a deadline.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, Server, launchBrowser, screenshot, watch } from './harness.mjs';

const STEP_TIMEOUT = 30_000;
const PYTHON = '/usr/bin/python3';
const FIXTURES = path.join(ROOT, 'tests', 'support', 'fixtures');
const TOILET = '西单北大街公厕'; /* T1 in survey_data.py */

const server = new Server();
let browser = null;
let tmp = '';
let fx = null;

process.on('exit', () => server.killNow());

function py(args, cwd = FIXTURES) {
  const r = spawnSync(PYTHON, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** The fixtures' expectations: classes per camera, and which matched cameras are online. */
function expectations() {
  const out = py([
    '-c',
    `import json, survey_data as d
online = {gb for gb, _k, _m, s in d.NETWORK if s in ('在线', 'online')}
t1 = [gb for gb, cls in d.EXPECTED.items() if cls == 'matched' and gb in online and any(k == 'T1' and w == gb for k, w, _c in d.SURVEY_CAMERAS)]
print(json.dumps({'expected': d.EXPECTED, 'online': sorted(online), 't1_bound': t1}))`,
  ]);
  const j = JSON.parse(out);
  const counts = { matched: 0, conflict: 0, only_survey: 0, only_online: 0 };
  for (const cls of Object.values(j.expected)) counts[cls] += 1;
  const bound = Object.entries(j.expected).filter(([gb, cls]) => cls === 'matched' && j.online.includes(gb)).length;
  return { counts, bound, t1Bound: j.t1_bound };
}

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'jiayuan-map-ui-'));
  py([path.join(FIXTURES, 'make_survey.py'), path.join(tmp, '公厕摸排表.xlsx')]);
  py([path.join(FIXTURES, 'make_network.py'), path.join(tmp, '视频专网设备清单.xlsx')]);
  fx = expectations();
  await server.start({
    prepare: ({ cli }) => cli(['user', 'add', '--username', 'viewer1', '--role', 'viewer', '--password-stdin'], 'Viewer-Passw0rd!'),
  });
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

function assertClean(w) {
  assert.deepEqual(w.csp, [], `CSP violations: ${w.csp.join('\n')}`);
  assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  assert.deepEqual(w.failed, [], `failed requests: ${w.failed.join('\n')}`);
  assert.deepEqual(w.httpErrors, [], `HTTP errors: ${w.httpErrors.join('\n')}`);
  assert.deepEqual(w.consoleErrors, [], `console errors: ${w.consoleErrors.join('\n')}`);
  /* the login page asks /auth/me before anyone is logged in: 401 */
  const unexpected = w.apiErrors.filter((e) => !(e.path === '/api/v1/auth/me' && e.status === 401));
  assert.deepEqual(unexpected, [], `API errors: ${JSON.stringify(unexpected)}`);
}

/** Waits until fn() (run in the test) is true; fails with what it last saw after the deadline. */
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

async function dataN(page, testid) {
  return Number(await page.getByTestId(testid).getAttribute('data-n'));
}

/** The href of an export link (checked at the end by assertXlsx). */
async function exportHref(page, testid) {
  const href = await page.getByTestId(testid).getAttribute('href');
  assert.ok(href && /\.xlsx(\?|$)/.test(href), `export link: ${href}`);
  return href;
}

/** Where the map draws the selected place, [x, y] in map pixels, once it is drawn. */
async function selectedPx(page) {
  let px = null;
  await until('the selected place drawn on the map', async () => {
    const v = (await page.getByTestId('map').getAttribute('data-selected-px')) ?? '';
    px = v.split(',').map(Number);
    return (px.length === 2 && px.every(Number.isFinite)) || v;
  });
  return px;
}

/** GETs an export link with the page's session: a real .xlsx (a zip) comes back. */
async function assertXlsx(page, href) {
  const r = await page.request.get(new URL(href, page.url()).toString());
  assert.equal(r.status(), 200, `${href}: ${r.status()}`);
  assert.match(r.headers()['content-type'] ?? '', /spreadsheetml|octet-stream/);
  const body = await r.body();
  assert.equal(body.subarray(0, 2).toString('latin1'), 'PK', `${href} is not a zip`);
}

async function importSurvey(page) {
  await page.getByTestId('toilet-file').setInputFiles(path.join(tmp, '公厕摸排表.xlsx'));
  await page.getByTestId('crs-gcj02').click();
  await page.getByTestId('toilet-upload').click();
  await page.getByTestId('toilet-report').waitFor();
  await until('the import to finish', async () => (await page.getByTestId('toilet-upload').isEnabled()) || 'uploading');
}

test('survey import, reconciliation, binding, then the toilet on the map', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  const exports = [];
  try {
    await page.goto(`${server.base}/login`);
    await page.getByTestId('login-username').fill('district1');
    await page.getByTestId('login-password').fill('District-Passw0rd!');
    await page.getByTestId('login-submit').click();
    await page.waitForURL(`${server.base}/`);
    for (const m of ['menu-map', 'menu-places', 'menu-toilet-import', 'menu-cameras', 'menu-bindings', 'menu-camera-checks', 'menu-reconcile']) {
      await page.getByTestId(m).waitFor();
    }

    /* ---- the survey, twice: every row reported, the second import changes nothing ---- */
    await page.getByTestId('menu-toilet-import').click();
    await importSurvey(page);
    const statuses = await page.getByTestId('toilet-row-status').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    for (const s of ['fixed', 'rejected']) assert.ok(statuses.includes(s), `a ${s} row in ${statuses}`);
    const reasons = await page
      .locator('[data-testid="toilet-rows"] tbody tr')
      .evaluateAll((trs) => trs.filter((tr) => tr.querySelector('[data-status="rejected"]')).map((tr) => tr.lastElementChild.textContent.trim()));
    assert.ok(reasons.length > 0 && reasons.every((r) => r.length > 0), `every rejected row has a reason: ${reasons}`);
    assert.ok((await dataN(page, 'toilet-stored-toilets_new')) > 0, 'the first import stores toilets');
    await screenshot(page, 'map-01-survey-report');

    await page.getByTestId('menu-places').click();
    await page.getByTestId('places-kind').click();
    await page.getByRole('option', { name: '公共厕所' }).click();
    await page.getByTestId('places-search').click();
    await until('the toilet list', async () => (await page.getByTestId('place-name').allTextContents()).includes(TOILET) || 'not yet');
    const toiletsFirst = (await page.getByTestId('places-total').textContent()).trim();

    await page.getByTestId('menu-toilet-import').click();
    await importSurvey(page);
    assert.equal(await dataN(page, 'toilet-stored-toilets_new'), 0, 'the second import stores no new toilet');
    assert.equal(await dataN(page, 'toilet-stored-cameras_new'), 0, 'the second import stores no new camera');
    exports.push(await exportHref(page, 'toilet-report-xlsx'));
    await page.getByTestId('menu-places').click();
    await page.getByTestId('places-kind').click();
    await page.getByRole('option', { name: '公共厕所' }).click();
    await page.getByTestId('places-search').click();
    await until('the toilet list again', async () => (await page.getByTestId('place-name').allTextContents()).includes(TOILET) || 'not yet');
    assert.equal((await page.getByTestId('places-total').textContent()).trim(), toiletsFirst, 're-import changed the toilet count');
    const placesHref = await exportHref(page, 'places-export');
    assert.match(placesHref, /kind=toilet/);
    exports.push(placesHref);

    /* ---- reconciliation against the network export (R3.8) ---- */
    await page.getByTestId('menu-reconcile').click();
    await page.getByTestId('recon-file').setInputFiles(path.join(tmp, '视频专网设备清单.xlsx'));
    await page.getByTestId('recon-upload').click();
    await page.getByTestId('recon-result').waitFor();
    for (const [cls, n] of Object.entries(fx.counts)) {
      await until(`${cls} count`, async () => (await dataN(page, `recon-class-${cls}`)) === n || (await dataN(page, `recon-class-${cls}`)));
    }
    await until('the reconciliation rows', async () => (await page.getByTestId('recon-row-id').count()) > 0 || 'no rows');
    await page.getByTestId('recon-class-conflict').click();
    await until('only conflict rows', async () => {
      const cls = await page.getByTestId('recon-row-class').evaluateAll((els) => els.map((e) => e.getAttribute('data-class')));
      return (cls.length === fx.counts.conflict && cls.every((c) => c === 'conflict')) || cls;
    });
    exports.push(await exportHref(page, 'recon-export'));
    await page.getByTestId('recon-class-conflict').click();
    await screenshot(page, 'map-02-reconciliation');

    /* ---- binding (R3.9): bind, undo, bind again ---- */
    await page.getByTestId('recon-bind').click();
    await page.locator('.el-message-box__btns .el-button--primary').click();
    await page.getByTestId('recon-bound').waitFor();
    assert.equal(await dataN(page, 'recon-bound'), fx.bound);
    await page.getByTestId('recon-undo').click();
    await page.getByTestId('recon-bind').waitFor();
    await page.getByTestId('recon-bind').click();
    await page.locator('.el-message-box__btns .el-button--primary').click();
    await page.getByTestId('recon-bound').waitFor();
    assert.equal(await dataN(page, 'recon-bound'), fx.bound);
    await screenshot(page, 'map-03-bound');

    /* ---- the bindings list: the batch's cameras, bound by district1 ---- */
    await page.getByTestId('menu-bindings').click();
    await until('the bindings', async () => (await dataN(page, 'bindings-total')) === fx.bound || (await dataN(page, 'bindings-total')));
    const boundIds = await page.getByTestId('binding-gb-id').allTextContents();
    assert.ok(fx.t1Bound.every((id) => boundIds.includes(id)), `bound: ${boundIds}`);
    exports.push(await exportHref(page, 'bindings-export'));

    /* ---- camera checks (R3.11): the bound cameras are listed as never checked; record one ---- */
    await page.getByTestId('menu-camera-checks').click();
    await page.getByTestId('checks-search').click();
    const checkRow = () => page.locator('[data-testid="checks-table"] tbody tr').filter({ hasText: fx.t1Bound[0] });
    await until('the bound camera in the check list', async () => (await checkRow().count()) === 1 || (await checkRow().count()));
    assert.equal(await checkRow().getByTestId('checks-never').count(), 1, 'never checked yet');
    await checkRow().getByTestId('checks-record').click();
    await page.getByTestId('checks-covers').fill('公厕入口');
    await page.getByTestId('checks-save').click();
    await until('the check recorded', async () => (await checkRow().getByTestId('checks-never').count()) === 0 || 'still never');
    assert.match(await checkRow().textContent(), /district1/);
    assert.match(await checkRow().textContent(), /公厕入口/);
    await screenshot(page, 'map-03b-checks');

    /* ---- cameras list ---- */
    await page.getByTestId('menu-cameras').click();
    await page.getByTestId('cameras-q').fill(fx.t1Bound[0]);
    await page.getByTestId('cameras-search').click();
    await until('the bound camera in the list', async () => (await page.getByTestId('camera-gb-id').allTextContents()).includes(fx.t1Bound[0]) || 'not yet');
    exports.push(await exportHref(page, 'cameras-export'));

    /* ---- the map: outlines, search a toilet (R5.1), its card, cameras near it ---- */
    const outlines = await page.request.get(`${server.base}/api/v1/map/outlines`);
    assert.equal(outlines.status(), 200);
    const fc = await outlines.json();
    assert.equal(fc.features.filter((f) => f.properties.level === 2).length, 15, 'fifteen subdistrict outlines');

    await page.getByTestId('menu-map').click();
    await page.getByTestId('map').waitFor();
    await until('the toilet layer', async () => (await page.getByTestId('layer-toilet').count()) === 1 || 'no toilet layer');
    await page.getByTestId('map-search').fill('西单');
    await page.getByTestId('map-toilet-only').click();
    await page.getByTestId('map-search-button').click();
    await page.getByTestId('map-result').filter({ hasText: TOILET }).first().click();
    await until('the card', async () => (await page.getByTestId('card-name').textContent()).trim() === TOILET || 'other card');
    await until('its bound camera', async () => {
      const ids = await page.getByTestId('card-camera').evaluateAll((els) => els.map((e) => e.getAttribute('data-gb-id')));
      return (ids.length === fx.t1Bound.length && fx.t1Bound.every((id) => ids.includes(id))) || ids;
    });
    await page.getByTestId('near-find').click();
    await page.getByTestId('near-count').waitFor();
    const nearIds = await page.getByTestId('near-camera').evaluateAll((els) => els.map((e) => e.getAttribute('data-gb-id')));
    assert.ok(fx.t1Bound.every((id) => nearIds.includes(id)), `the bound camera is near its toilet: ${nearIds}`);
    await screenshot(page, 'map-04-card');

    /* the same card by clicking the toilet where the map draws it */
    const px = await selectedPx(page);
    await page.getByTestId('card-close').click();
    await page.getByTestId('place-card').waitFor({ state: 'detached' });
    const box = await page.getByTestId('map').boundingBox();
    await page.mouse.click(box.x + px[0], box.y + px[1]);
    await until('the card from a map click', async () => ((await page.getByTestId('card-name').count()) === 1 && (await page.getByTestId('card-name').textContent()).trim() === TOILET) || 'no card');
    await screenshot(page, 'map-05-clicked');

    /* layers toggle without errors; zones legend present */
    await page.getByTestId('layer-toilet').click();
    await page.getByTestId('layer-outlines').click();
    await screenshot(page, 'map-06-layers-off');

    /* ---- every list exports to .xlsx with its filters ---- */
    for (const href of exports) await assertXlsx(page, href);
    assertClean(w);
  } catch (e) {
    await screenshot(page, 'map-FAILED').catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
});

/** Logs in on a fresh page. */
async function login(page, username, password) {
  await page.goto(`${server.base}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(`${server.base}/`);
}

/** The XYZ (Web Mercator) tile that holds a WGS-84 point at zoom z. */
function tileAt(lon, lat, z) {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return { x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) };
}

const ONE_PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGN48e4LAAWMAsshtP4ZAAAAAElFTkSuQmCC', /* light grey-blue */
  'base64',
);

function square(lon, lat, d) {
  return { type: 'Polygon', coordinates: [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]] };
}

test('zones by level on the map; a viewer reads the map and nothing more', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  try {
    /* district1 (its own context) loads three zones and a shelter through the ingest API */
    const dctx = await browser.newContext();
    const dpage = await dctx.newPage();
    await login(dpage, 'district1', 'District-Passw0rd!');
    const me = await (await dpage.request.get(`${server.base}/api/v1/auth/me`)).json();
    const zones = [
      ['fengkong', '陶然亭测试封控区', 116.378, 39.8795],
      ['guankong', '椿树测试管控区', 116.3765, 39.8925],
      ['fangfan', '牛街测试防范区', 116.3635, 39.8825],
    ];
    const records = zones.map(([level, name, lon, lat], i) => ({
      source: 'ui-test', external_id: `zone-${i}`, kind: 'zone', code: `Z${i}`, name, subdistrict: '110102016',
      geometry: square(lon, lat, 0.002), zone_level: level,
    }));
    records.push({ source: 'ui-test', external_id: 'fc-1', kind: 'fangcang', code: 'FC1', name: '展览路测试方舱', subdistrict: '110102009', lon: 116.3345, lat: 39.9325 });
    const r = await dpage.request.post(`${server.base}/api/v1/places/batch`, { data: records, headers: { 'X-CSRF-Token': me.csrf_token } });
    assert.equal(r.status(), 200, await r.text());
    assert.equal((await r.json()).accepted, records.length);
    await dctx.close();

    /* viewer1: the map and the lists, no import or reconciliation */
    await login(page, 'viewer1', 'Viewer-Passw0rd!');
    for (const m of ['menu-map', 'menu-places', 'menu-cameras']) await page.getByTestId(m).waitFor();
    assert.equal(await page.getByTestId('menu-toilet-import').count(), 0);
    assert.equal(await page.getByTestId('menu-reconcile').count(), 0);
    await page.getByTestId('menu-map').click();
    await until('the zone layer with three zones', async () => {
      const text = (await page.getByTestId('layer-zone').count()) ? await page.getByTestId('layer-zone').textContent() : '';
      return text.includes('(3)') || text;
    });
    await until('the shelter layer', async () => (await page.getByTestId('layer-fangcang').count()) === 1 || 'none');

    /* a WMTS basemap template (天地图-style KVP placeholders) on this origin: the map asks
     * for the tile under its centre, at its zoom, with row and column in the right places */
    const tiles = [];
    await page.route('**/tiles/**', (route) => {
      const u = new URL(route.request().url());
      tiles.push({ z: Number(u.searchParams.get('TILEMATRIX')), y: Number(u.searchParams.get('TILEROW')), x: Number(u.searchParams.get('TILECOL')) });
      return route.fulfill({ status: 200, contentType: 'image/png', body: ONE_PIXEL_PNG });
    });
    await page.getByTestId('basemap-toggle').click();
    await page.getByTestId('basemap-url').fill('/tiles/wmts?TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}');
    await page.getByTestId('basemap-apply').click();
    const want = tileAt(116.366, 39.915, 13); /* the map's initial centre and zoom */
    await until('the centre tile', async () => tiles.some((t) => t.z === 13 && t.x === want.x && t.y === want.y) || tiles.slice(0, 4));
    await screenshot(page, 'map-07-zones');

    await page.getByTestId('map-search').fill('陶然亭测试');
    await page.getByTestId('map-search-button').click();
    await page.getByTestId('map-result').filter({ hasText: '陶然亭测试封控区' }).first().click();
    await until('the zone card', async () => (await page.getByTestId('card-name').textContent()).trim() === '陶然亭测试封控区' || 'other');
    assert.equal((await page.getByTestId('card-level').textContent()).trim(), '封控区');
    const px = await selectedPx(page);
    await page.getByTestId('card-close').click();
    await page.getByTestId('place-card').waitFor({ state: 'detached' });
    const box = await page.getByTestId('map').boundingBox();
    await page.mouse.click(box.x + px[0], box.y + px[1]);
    await until('the zone card from a click on the polygon', async () => ((await page.getByTestId('card-name').count()) === 1 && (await page.getByTestId('card-name').textContent()).trim() === '陶然亭测试封控区') || 'no card');
    await screenshot(page, 'map-08-zone-card');
    assertClean(w);
  } catch (e) {
    await screenshot(page, 'map-zones-FAILED').catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
});
