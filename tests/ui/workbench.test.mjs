/* tests/ui/workbench.test.mjs - the subdistrict and district workbench (issue 10; R1.1-R1.6)
 * in a real browser against a real server with the small demo district loaded.
 *
 *   JIAYUAN_BIN=build/jiayuan node --test tests/ui/workbench.test.mjs
 *
 * JIAYUAN_BIN: the built server (default build/jiayuan), built with the web UI embedded;
 * JIAYUAN_ARTIFACTS: screenshots, downloads and the server log (default build/ui-artifacts).
 * Exports are checked as files: a zip holding xl/worksheets/sheet1.xml (Python's zipfile),
 * then read by LibreOffice (`soffice --headless --convert-to csv`) when soffice is
 * installed, else by openpyxl (/usr/bin/python3).
 *
 * The server: `keys init`, `demo --scale small` (daily rounds ending today, seed 1), a
 * subdistrict officer of 110102001, the harness's district account, then `serve`.
 *
 * Test 1 (steps 1-2) and test 2 (steps 3-5):
 *  1. the officer finds a site by its code on 点位 and opens it (address, opening hours,
 *     today's scans as the API says);
 *     The sites list export holds the site found.
 *  2. on 采样统计 the officer picks yesterday (a whole round, whatever the hour now), sees
 *     the count per site, and drills from the site's count to the scan records behind it:
 *     as many as the count, ID numbers masked (never a full ID on the page); the records
 *     are exported and the file holds the same rows, masked;
 *     On 签到打卡 a check-in of the site shows who, and the distance from the site.
 *  3. on 更正审核 the officer proposes a corrected figure for one of yesterday's reports,
 *     with a reason: the correction is "proposed", the report marked pending; the round's
 *     reports are exported;
 *  4. the district approves it with a comment: "approved", the report's effective figure is
 *     the proposed one, and 应检实检 shows the subdistrict's corrected total moved by the
 *     difference; the district locks the round;
 *  5. the officer proposes again in the locked round and is refused with a message (409).
 * No CSP violation, no failed request, no unexpected API error. Values and order only, no
 * timing assertions: every wait is for a state, with a deadline.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, Server, launchBrowser, screenshot, watch } from './harness.mjs';

const STEP_TIMEOUT = 30_000;
const OFFICER = 'officer1';
const OFFICER_PW = 'Officer-Passw0rd!';
const SUBDISTRICT = '110102001';
const DISTRICT = 'district1';
const DISTRICT_PW = 'District-Passw0rd!';
const PYTHON = '/usr/bin/python3';
const DAY_MS = 86_400_000;
const TZ_MS = 8 * 3_600_000;
const MASKED_ID = /^\d{6}\*{8}[\dX]{4}$/;
const FULL_ID = /\b\d{17}[\dX]\b/;

const server = new Server();
let browser = null;

process.on('exit', () => server.killNow());

before(async () => {
  await server.start({
    prepare: ({ cli }) => {
      cli(['demo', '--scale', 'small']);
      cli(['user', 'add', '--username', OFFICER, '--role', 'subdistrict', '--subdistrict', SUBDISTRICT, '--password-stdin'], OFFICER_PW);
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    await server.stop();
  }
});

/* ---------- helpers ---------- */

async function newPage(name) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  return { context, page, w, name };
}

async function login(page, user, password) {
  await page.goto(`${server.base}/login`);
  await page.getByTestId('login-username').fill(user);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('side-menu').waitFor();
}

/** GET an API path with the page's session; the JSON body. */
async function apiGet(page, p) {
  const r = await page.request.get(`${server.base}${p}`);
  assert.equal(r.status(), 200, `GET ${p}: ${r.status()} ${await r.text()}`);
  return r.json();
}

/** "YYYY-MM-DD" of the Beijing day holding t. */
function beijingDate(t) {
  return new Date(t + TZ_MS).toISOString().slice(0, 10);
}

/** The Beijing midnight (epoch ms) of the day holding t. */
function beijingMidnight(t) {
  return Math.floor((t + TZ_MS) / DAY_MS) * DAY_MS - TZ_MS;
}

/** Great-circle distance in metres (mean Earth radius), as a second computation. */
function haversine(lon1, lat1, lon2, lat2) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Chooses an option of an Element Plus select by the start of its label. */
async function choose(page, testid, labelStart) {
  await page.getByTestId(testid).locator('.el-select__wrapper.is-disabled').waitFor({ state: 'detached' });
  await page.getByTestId(testid).click();
  const esc = labelStart.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: new RegExp(`^\\s*${esc}`) }).first().click();
}

/** The rows of an .xlsx: checked to be a zip with the first worksheet, then read by
 * LibreOffice (soffice) when installed, else by openpyxl. Empty trailing rows dropped. */
function readXlsx(file) {
  const z = spawnSync(PYTHON, ['-c', 'import sys, zipfile, json; z = zipfile.ZipFile(sys.argv[1]); print(json.dumps(z.namelist()))', file], { encoding: 'utf8' });
  assert.equal(z.status, 0, `not a zip: ${z.stderr}`);
  assert.ok(JSON.parse(z.stdout).includes('xl/worksheets/sheet1.xml'), `${file} has no xl/worksheets/sheet1.xml`);
  const soffice = spawnSync('which', ['soffice'], { encoding: 'utf8' }).stdout.trim();
  let rows;
  if (soffice) {
    const out = mkdtempSync(path.join(os.tmpdir(), 'jiayuan-lo-'));
    try {
      const r = spawnSync(
        soffice,
        [`-env:UserInstallation=file://${out}/profile`, '--headless', '--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,76,1', '--outdir', out, file],
        { encoding: 'utf8', timeout: 120_000 },
      );
      const csv = path.join(out, `${path.basename(file, path.extname(file))}.csv`);
      assert.ok(existsSync(csv), `LibreOffice did not convert ${file}: ${r.stderr || r.stdout}`);
      rows = parseCsv(readFileSync(csv, 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  } else {
    const r = spawnSync(
      PYTHON,
      ['-c', 'import sys, json, openpyxl; ws = openpyxl.load_workbook(sys.argv[1], read_only=True).worksheets[0]; print(json.dumps([["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)]))', file],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    assert.equal(r.status, 0, `openpyxl could not read ${file}: ${r.stderr}`);
    rows = JSON.parse(r.stdout);
  }
  while (rows.length && rows[rows.length - 1].every((c) => c === '')) rows.pop();
  return rows;
}

function parseCsv(text) {
  const out = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      out.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    out.push(row);
  }
  return out;
}

/** Downloads what clicking testid gives, saves it under ARTIFACTS and answers the path. */
async function download(page, testid, name) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  const file = path.join(ARTIFACTS, name);
  await dl.saveAs(file);
  return file;
}

/* A download followed through a link is reported by Chromium as an aborted request (the
 * navigation became a download); the locked round's refusal is expected. */
function assertClean(w, allowed = []) {
  allowed = [...allowed, { path: '/api/v1/auth/me', status: 401 }];
  assert.deepEqual(w.csp, [], `CSP violations: ${w.csp.join('\n')}`);
  assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  const failed = w.failed.filter((f) => !/^GET \S+[?&]format=xlsx\S* net::ERR_ABORTED$/.test(f));
  assert.deepEqual(failed, [], `failed requests: ${failed.join('\n')}`);
  assert.deepEqual(w.httpErrors, [], `HTTP errors: ${w.httpErrors.join('\n')}`);
  assert.deepEqual(w.consoleErrors, [], `console errors: ${w.consoleErrors.join('\n')}`);
  const unexpected = w.apiErrors.filter((e) => !allowed.some((a) => a.path === e.path && a.status === e.status));
  assert.deepEqual(unexpected, [], `unexpected API errors: ${JSON.stringify(unexpected)}`);
}

/* ---------- the story ---------- */

test('an officer finds a site and drills from a count to its masked scan records, exported', async () => {
  const officer = await newPage('wb-officer');
  const { page } = officer;
  const yesterday = beijingMidnight(Date.now()) - DAY_MS;
  try {
    await login(page, OFFICER, OFFICER_PW);

    /* 1. 点位: find a site by its code, open it */
    const sites = await apiGet(page, '/api/v1/sites?limit=5');
    assert.ok(sites.total > 0, 'the demo district has sites in the officer’s subdistrict');
    const site = sites.items[0];
    assert.equal(site.subdistrict, SUBDISTRICT);
    await page.getByTestId('menu-sites').click();
    await page.getByTestId('sites-page').waitFor();
    assert.equal(await page.getByTestId('page-title').textContent(), '点位');
    await page.getByTestId('sites-q').fill(site.code);
    await page.getByTestId('sites-search').click();
    await page.getByTestId('sites-total').filter({ hasText: /共 1 条/ }).waitFor();
    assert.equal(await page.getByTestId(`site-code-${site.id}`).textContent(), site.code);
    const sitesXlsx = readXlsx(await download(page, 'sites-export', 'wb-sites.xlsx'));
    assert.equal(sitesXlsx.filter((r) => r.includes(site.code)).length, 1, 'the sites export holds the one site found');
    await page.getByTestId(`site-open-${site.id}`).click();
    await page.getByTestId('site-info').waitFor();
    const detail = await apiGet(page, `/api/v1/sites/${site.id}`);
    assert.ok(detail.address, 'the site has an address');
    assert.equal(await page.getByTestId('site-address').textContent(), detail.address);
    assert.equal(await page.getByTestId('site-hours').textContent(), detail.opening_hours);
    assert.equal(Number(await page.getByTestId('site-scans-today').textContent()), detail.scans_today);
    await screenshot(page, 'wb-site-detail');

    /* 2. 采样统计: yesterday per site, drill from the site's count to its records */
    const day = beijingDate(yesterday);
    const want = await apiGet(page, `/api/v1/stats/scans_by_site?from=${yesterday}&to=${yesterday + DAY_MS}&limit=1000`);
    const row = want.rows.find((r) => r.site_code === site.code) ?? want.rows[0];
    assert.ok(row && row.scans > 0, 'yesterday’s round scanned at the officer’s sites');
    await page.getByTestId('menu-scans').click();
    await page.getByTestId('scans-page').waitFor();
    await page.locator('.el-range-input').first().click();
    await page.locator('.el-picker-panel__shortcut:visible').filter({ hasText: '昨天' }).click();
    assert.deepEqual(await page.locator('.el-range-input').evaluateAll((els) => els.map((e) => e.value)), [day, day]);
    await page.getByTestId('scans-search').click();
    const count = page.getByTestId(`scans-count-${row.site_code}`);
    await page.locator(`[data-testid="scans-count-${row.site_code}"][data-count="${row.scans}"]`).waitFor();
    assert.equal(Number(await page.getByTestId('scans-sum').textContent()), want.rows.reduce((s, r) => s + r.scans, 0));
    const dayPlans = await apiGet(page, '/api/v1/plans?limit=100');
    const dayPlan = dayPlans.items.find((p) => p.starts_at >= yesterday && p.starts_at < yesterday + DAY_MS);
    await page.getByTestId('scans-grain').click();
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '按轮次' }).click();
    await page.getByTestId(`scans-round-${dayPlan.plan_no}`).filter({ hasText: new RegExp(`^\\s*${await page.getByTestId('scans-sum').textContent()}\\s*$`) }).waitFor();
    await count.click();
    await page.getByTestId('samples-drawer').waitFor();
    await page.locator(`[data-testid="samples-total"][data-total="${row.scans}"]`).waitFor();
    const ids = await page.getByTestId('sample-id').allTextContents();
    assert.equal(ids.length, Math.min(row.scans, 50));
    for (const id of ids) assert.match(id, MASKED_ID);
    assert.doesNotMatch(await page.getByTestId('samples-table').innerText(), FULL_ID);
    await screenshot(page, 'wb-scans-drill');

    const rows = readXlsx(await download(page, 'samples-export', 'wb-samples.xlsx'));
    const data = rows.filter((r) => r.some((c) => MASKED_ID.test(c)));
    assert.equal(data.length, row.scans, 'the export holds the records behind the count');
    for (const r of rows) for (const c of r) assert.doesNotMatch(c, FULL_ID, 'no full ID number in the export');
    await page.keyboard.press('Escape');
    await page.getByTestId('samples-drawer').waitFor({ state: 'hidden' });

    /* 签到打卡: a check-in's detail says who, when, where and how far from the site */
    const checkins = await apiGet(page, `/api/v1/checkins?site_code=${encodeURIComponent(site.code)}&limit=1`);
    assert.ok(checkins.total > 0, 'the site has check-ins');
    const ci = checkins.items[0];
    await page.getByTestId('menu-checkins').click();
    await page.getByTestId('checkins-page').waitFor();
    await page.getByTestId('checkins-site').fill(site.code);
    await page.getByTestId('checkins-search').click();
    await page.getByTestId('checkins-total').filter({ hasText: `共 ${checkins.total} 条` }).waitFor();
    await page.getByTestId(`checkin-open-${ci.id}`).click();
    await page.getByTestId('checkin-detail').waitFor();
    assert.equal(await page.getByTestId('checkin-who').textContent(), ci.operator ?? '—');
    const metres = ci.position === 'site' ? 0 : Math.round(haversine(site.lon, site.lat, ci.lon, ci.lat));
    await page.getByTestId('checkin-distance').filter({ hasText: `${metres} 米` }).waitFor();

  } catch (e) {
    await screenshot(page, 'wb-scans-FAILED').catch(() => {});
    throw e;
  } finally {
    await officer.context.close();
  }
  assertClean(officer.w);
});

test('an officer proposes a correction; the district approves it and locks the round; a further proposal is refused', async () => {
  const officer = await newPage('wb-officer');
  const district = await newPage('wb-district');
  const { page } = officer;
  const yesterday = beijingMidnight(Date.now()) - DAY_MS;
  let aid = 0;
  try {
    await login(page, OFFICER, OFFICER_PW);

    /* 3. 更正审核: propose a corrected figure for one of yesterday's reports */
    const plans = await apiGet(page, '/api/v1/plans?limit=100');
    const plan = plans.items.find((p) => p.starts_at >= yesterday && p.starts_at < yesterday + DAY_MS);
    assert.ok(plan, 'yesterday’s round');
    const actuals = await apiGet(page, `/api/v1/actuals?plan_no=${encodeURIComponent(plan.plan_no)}&limit=100`);
    const actual = actuals.items.find((a) => a.subdistrict === SUBDISTRICT && !a.pending_correction);
    assert.ok(actual, 'a report of the officer’s subdistrict in yesterday’s round');
    aid = actual.id;
    const proposed = actual.corrected + 7;
    await page.getByTestId('menu-corrections').click();
    await page.getByTestId('corrections-page').waitFor();
    await choose(page, 'plan-select', plan.plan_no);
    await page.getByTestId(`actual-propose-${aid}`).click();
    await page.getByTestId('propose-dialog').waitFor();
    await page.getByTestId('propose-value').locator('input').fill(String(proposed));
    await page.getByTestId('propose-reason').fill('现场补录漏扫人员');
    await page.getByTestId('propose-submit').click();
    await page.getByTestId(`actual-pending-${aid}`).waitFor();
    const mine = await apiGet(page, `/api/v1/corrections?plan=${encodeURIComponent(plan.plan_no)}&state=proposed`);
    const corr = mine.items.find((c) => c.actual_id === aid);
    assert.ok(corr, 'the proposal is listed');
    assert.equal(corr.corrected, proposed);
    assert.equal(await page.getByTestId(`correction-state-${corr.id}`).getAttribute('data-state'), 'proposed');
    assert.equal(Number(await page.getByTestId(`actual-corrected-${aid}`).textContent()), actual.corrected, 'not effective before approval');
    assert.equal(await page.getByTestId(`correction-approve-${corr.id}`).count(), 0, 'a subdistrict cannot decide');
    const reports = readXlsx(await download(page, 'actuals-export', 'wb-actuals.xlsx'));
    assert.equal(reports.filter((r) => r.includes(plan.plan_no)).length, actuals.total, 'the reports export holds the round’s reports');
    await screenshot(page, 'wb-proposed');

    /* 4. the district approves, sees the figure in 应检实检, and locks the round */
    const d = district.page;
    await login(d, DISTRICT, DISTRICT_PW);
    const before = (await apiGet(d, `/api/v1/plans/${encodeURIComponent(plan.plan_no)}/progress?by=subdistrict`)).items.find((r) => r.subdistrict === SUBDISTRICT);
    await d.getByTestId('menu-corrections').click();
    await d.getByTestId('corrections-page').waitFor();
    await choose(d, 'plan-select', plan.plan_no);
    await d.getByTestId(`correction-approve-${corr.id}`).click();
    await d.getByTestId('decide-dialog').waitFor();
    await d.getByTestId('decide-comment').fill('核实无误');
    await d.getByTestId('decide-submit').click();
    await d.locator(`[data-testid="correction-state-${corr.id}"][data-state="approved"]`).waitFor();
    await d.locator(`[data-testid="actual-corrected-${aid}"]`).filter({ hasText: new RegExp(`^\\s*${proposed}\\s*$`) }).waitFor();

    await d.getByTestId('menu-progress').click();
    await d.getByTestId('progress-page').waitFor();
    await choose(d, 'plan-select', plan.plan_no);
    const cell = d.getByTestId(`progress-corrected-${SUBDISTRICT}`);
    await cell.filter({ hasText: new RegExp(`^\\s*${before.corrected + (proposed - actual.corrected)}\\s*$`) }).waitFor();
    assert.ok((await d.getByTestId('progress-table').locator('tbody tr').count()) >= 2, 'the district sees every subdistrict side by side');
    await screenshot(d, 'wb-progress');

    await d.getByTestId('plan-lock').click();
    await d.locator('[data-testid="plan-lock-state"][data-locked="1"]').waitFor();
    assert.equal((await apiGet(d, `/api/v1/plans/${encodeURIComponent(plan.plan_no)}`)).locked, true);

    /* 5. the officer proposes again in the locked round: refused, with a message */
    await page.getByTestId('menu-sites').click();
    await page.getByTestId('sites-page').waitFor();
    await page.getByTestId('menu-corrections').click();
    await page.getByTestId('corrections-page').waitFor();
    await choose(page, 'plan-select', plan.plan_no);
    await page.locator('[data-testid="plan-lock-state"][data-locked="1"]').waitFor();
    await page.getByTestId('plan-locked-hint').waitFor();
    await page.getByTestId(`actual-propose-${aid}`).click();
    await page.getByTestId('propose-reason').fill('再次更正');
    const refused = page.waitForResponse((r) => r.url().endsWith(`/api/v1/actuals/${aid}/corrections`) && r.request().method() === 'POST');
    await page.getByTestId('propose-submit').click();
    assert.equal((await refused).status(), 409);
    const msg = page.getByTestId('propose-dialog').getByTestId('error-text');
    await msg.waitFor();
    assert.match(await msg.textContent(), /本轮已锁定/);
    await screenshot(page, 'wb-locked-refused');
    assert.equal((await apiGet(page, `/api/v1/actuals/${aid}`)).corrected, proposed, 'the refused proposal changed nothing');
  } catch (e) {
    await screenshot(officer.page, 'wb-officer-FAILED').catch(() => {});
    await screenshot(district.page, 'wb-district-FAILED').catch(() => {});
    throw e;
  } finally {
    await officer.context.close();
    await district.context.close();
  }
  assertClean(officer.w, [{ path: `/api/v1/actuals/${aid}/corrections`, status: 409 }]);
  assertClean(district.w);
});
