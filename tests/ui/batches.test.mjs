/* tests/ui/batches.test.mjs - personal and batch test-result queries in a real browser
 * against a real server with the small demo district loaded (R4.1-R4.7).
 *
 *   node --test tests/ui/batches.test.mjs
 *
 * JIAYUAN_BIN: the built server (default build/jiayuan), built with the web UI embedded;
 * JIAYUAN_ARTIFACTS: screenshots, downloads and the server log (default build/ui-artifacts).
 * Needs LibreOffice (`libreoffice`, Debian's libreoffice-calc): every downloaded export is
 * opened with `libreoffice --headless --convert-to csv` and its rows are checked.
 *
 * The server: `keys init`, `demo --scale small` (20,000 residents, seed 1), a subdistrict
 * officer, then `serve`. The resident IDs of the upload are computed here exactly as
 * demo/demo.c computes them (demo_person_at, seed 1), so most of them really are in the
 * database.
 *
 * Test 1 (batch): the officer uploads a CSV list (UTF-8 with BOM, as Excel saves it) of
 * residents, outsiders and dirty rows through the batches page, with the upload throttled
 * so the upload progress bar is seen moving; the new batch shows its run progress bar and
 * becomes "done"; the detail page shows the counts; the export of all rows and of the
 * not-found rows are downloaded, opened in LibreOffice and checked row by row against the
 * upload (original columns kept, 状态 and the result columns appended, the right status
 * for each dirty row); the batch is deleted through the confirmation dialog and is gone.
 * Test 2 (person): the ID input cleans full-width digits, spaces and a lowercase x as it is
 * typed, refuses a wrong check digit before anything is sent, shows a resident's test
 * history masked, and exports it to .xlsx (opened in LibreOffice).
 * Both: no CSP violation, no failed request, no unexpected API error.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, BIN, launchBrowser, screenshot, watch } from './harness.mjs';

const OFFICER = 'officer1';
const OFFICER_PW = 'Officer-Passw0rd!';
const SUBDISTRICT = '110102001';
const STEP_TIMEOUT = 20_000;
const LIBREOFFICE = process.env.JIAYUAN_LIBREOFFICE || 'libreoffice';

/* ---------- the demo district's residents (demo/demo.c, demo_person_at) ---------- */

const M64 = (1n << 64n) - 1n;
function mix(x) {
  x = (x + 0x9e3779b97f4a7c15n) & M64;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & M64;
  return x ^ (x >> 31n);
}
const demoHash = (seed, what, i) => mix(BigInt(seed) ^ mix(((BigInt(what) * 0x100000001b3n) & M64) ^ mix(BigInt(i))));
const REGIONS = ['110102', '110104', '110103', '110101', '110105', '110106', '110108'];
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

function checkChar(first17) {
  let s = 0;
  for (let k = 0; k < 17; k++) s += Number(first17[k]) * WEIGHTS[k];
  return '10X98765432'[s % 11];
}

/** The ID number of resident i of the demo district made with seed. */
function demoId(seed, i) {
  const j = Math.floor(i / 7);
  const day = j % 29220;
  const seq = Math.floor(j / 29220);
  const h = demoHash(seed, 1, i);
  const birth = new Date(Date.UTC(1940, 0, 1) + day * 86_400_000).toISOString();
  const seq3 = (seq % 499) * 2 + 1 + Number(h & 1n);
  const f = REGIONS[i % 7] + birth.slice(0, 4) + birth.slice(5, 7) + birth.slice(8, 10) + String(seq3).padStart(3, '0');
  return f + checkChar(f);
}

/* ---------- the upload ---------- */

const RESIDENTS = 2500; /* residents 3, 10, 17 …: one per birth date, so no two alike */

function fullWidth(s) {
  return [...s].map((c) => (/[0-9X]/.test(c) ? String.fromCodePoint(c.codePointAt(0) + 0xfee0) : c)).join('');
}

/** Rows of the list, each with what the export must say about it. */
function makeList() {
  const rows = [];
  for (let k = 0; k < RESIDENTS; k++) {
    const id = demoId(1, 7 * k + 3);
    let cell = id;
    let status = 'ok';
    if (k % 500 === 7) {
      cell = `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`; /* spaces */
      status = 'fixed';
    } else if (k % 500 === 9) {
      cell = fullWidth(id); /* full-width digits */
      status = 'fixed';
    }
    rows.push({ name: `居民${k}`, cell, id, status, resident: true });
  }
  for (let k = 0; k < 5; k++) {
    const f = `440106198505${String(k + 1).padStart(2, '0')}12${k}`; /* born 1985-05-0k, Guangzhou */
    const id = f + checkChar(f);
    rows.push({ name: `外地${k}`, cell: id, id, status: 'ok', resident: false });
  }
  const wrong = demoId(1, 3);
  const bad = wrong.slice(0, 17) + (wrong[17] === '1' ? '2' : '1');
  rows.push({ name: '错号', cell: bad, id: bad, status: 'bad_checksum', resident: false });
  rows.push({ name: '科学计数', cell: '1.10101194001E+17', id: '', status: 'excel_corrupted', resident: false });
  rows.push({ name: '空号', cell: '', id: '', status: 'empty', resident: false });
  rows.push({ name: '乱写', cell: '不知道', id: '', status: 'not_an_id', resident: false });
  rows.push({ name: '重复', cell: demoId(1, 10), id: demoId(1, 10), status: 'duplicate', resident: true });
  return rows;
}

function csvOf(rows) {
  const q = (s) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const lines = ['序号,姓名,身份证号,备注'];
  rows.forEach((r, i) => lines.push([String(i + 1), r.name, q(r.cell), `备注${i + 1}`].join(',')));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/* ---------- LibreOffice ---------- */

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

/** Opens an .xlsx with LibreOffice (headless), as a user would, and returns its rows. */
function openInLibreOffice(file) {
  const out = mkdtempSync(path.join(os.tmpdir(), 'jiayuan-lo-'));
  try {
    const r = spawnSync(
      LIBREOFFICE,
      [`-env:UserInstallation=file://${out}/profile`, '--headless', '--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,76,1', '--outdir', out, file],
      { encoding: 'utf8', timeout: 120_000 },
    );
    const csv = path.join(out, `${path.basename(file, path.extname(file))}.csv`);
    assert.ok(existsSync(csv), `LibreOffice did not convert ${file}: ${r.stderr || r.stdout}`);
    return parseCsv(readFileSync(csv, 'utf8'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/* ---------- the server, with the demo district ---------- */

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function run(args, input) {
  const r = spawnSync(BIN, args, { input, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`jiayuan ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const server = { proc: null, varDir: null, base: '', exited: null };
let browser = null;

process.on('exit', () => {
  try {
    if (server.proc && server.proc.exitCode === null) server.proc.kill('SIGKILL');
  } catch {
    /* gone */
  }
});

before(async () => {
  if (!existsSync(BIN)) throw new Error(`server binary not found: ${BIN} (set JIAYUAN_BIN)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  server.varDir = mkdtempSync(path.join(os.tmpdir(), 'jiayuan-ui-batches-'));
  run(['keys', 'init', '--var', server.varDir]);
  run(['demo', '--scale', 'small', '--var', server.varDir]);
  run(['user', 'add', '--username', OFFICER, '--role', 'subdistrict', '--subdistrict', SUBDISTRICT, '--password-stdin', '--var', server.varDir], OFFICER_PW);
  const port = await freePort();
  server.base = `http://127.0.0.1:${port}`;
  const log = createWriteStream(path.join(ARTIFACTS, 'server-batches.log'));
  server.proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--var', server.varDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.proc.stdout.pipe(log);
  server.proc.stderr.pipe(log);
  server.exited = new Promise((resolve) => server.proc.once('exit', (code, sig) => resolve(code ?? sig)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.proc.exitCode !== null) throw new Error('server exited early; see server-batches.log');
    try {
      if ((await fetch(`${server.base}/healthz`)).status === 200) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error('server did not answer /healthz within 30 s');
    await sleep(100);
  }
  browser = await launchBrowser();
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    if (server.proc && server.proc.exitCode === null) {
      server.proc.kill('SIGTERM');
      const t = setTimeout(() => server.proc.kill('SIGKILL'), 5000);
      await server.exited;
      clearTimeout(t);
    }
    if (server.varDir) rmSync(server.varDir, { recursive: true, force: true });
  }
});

async function withPage(name, fn) {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  try {
    await fn(page, w, context);
  } catch (e) {
    await screenshot(page, `${name}-FAILED`).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
  return w;
}

/* The login page asks /auth/me first (401 before login). A download started by following
 * a link is reported by Chromium as an aborted request: the navigation became a download. */
function assertClean(w, allowed = []) {
  allowed = [...allowed, { path: '/api/v1/auth/me', status: 401 }];
  assert.deepEqual(w.csp, [], `CSP violations: ${w.csp.join('\n')}`);
  assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  const failed = w.failed.filter((f) => !/^GET \S+\/api\/v1\/batches\/\d+\/export\?rows=\w+ net::ERR_ABORTED$/.test(f));
  assert.deepEqual(failed, [], `failed requests: ${failed.join('\n')}`);
  assert.deepEqual(w.httpErrors, [], `HTTP errors: ${w.httpErrors.join('\n')}`);
  assert.deepEqual(w.consoleErrors, [], `console errors: ${w.consoleErrors.join('\n')}`);
  const unexpected = w.apiErrors.filter((e) => !allowed.some((a) => a.path === e.path && a.status === e.status));
  assert.deepEqual(unexpected, [], `unexpected API errors: ${JSON.stringify(unexpected)}`);
}

async function login(page) {
  await page.goto(`${server.base}/login`);
  await page.getByTestId('login-username').fill(OFFICER);
  await page.getByTestId('login-password').fill(OFFICER_PW);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('side-menu').waitFor();
}

async function save(download, name) {
  const file = path.join(ARTIFACTS, name);
  await download.saveAs(file);
  return file;
}

test('an officer uploads a list, watches it run, exports the results and deletes it', async () => {
  const list = makeList();
  const csvFile = path.join(ARTIFACTS, 'batch-upload.csv');
  writeFileSync(csvFile, csvOf(list));

  let deletedPath = '';
  const w = await withPage('batches', async (page, _w, context) => {
    await login(page);
    await page.getByTestId('menu-batches').click();
    await page.getByTestId('batches-page').waitFor();
    assert.equal(await page.getByTestId('page-title').textContent(), '批量查询');

    /* slow the upload down so its progress bar is seen moving (about 3 s) */
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 48 * 1024 });

    await page.getByTestId('batch-file').setInputFiles(csvFile);
    await page.getByTestId('batch-days').click();
    await page.getByRole('option', { name: '近 3 天' }).click();
    const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/batches') && r.request().method() === 'POST', { timeout: 60_000 });
    // Every value the progress bar takes is recorded in the page as it is set (no sampling
    // race with a busy machine).
    await page.evaluate(() => {
      window.__jyProgress = [];
      new MutationObserver((records) => {
        for (const m of records) {
          if (m.target instanceof Element && m.target.getAttribute('data-testid') === 'batch-upload-progress')
            window.__jyProgress.push(Number(m.target.getAttribute('data-progress')));
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-progress'] });
    });
    await page.getByTestId('batch-upload').click();
    const bar = page.getByTestId('batch-upload-progress');
    await bar.waitFor();
    await bar.waitFor({ state: 'hidden', timeout: 60_000 });
    const seen = new Set(await page.evaluate(() => window.__jyProgress));
    const between = [...seen].filter((v) => v > 0 && v < 100);
    assert.ok(between.length >= 2, `the upload progress bar moved through ${JSON.stringify([...seen])}`);
    const resp = await created;
    assert.equal(resp.status(), 201);
    const batch = await resp.json();
    assert.equal(batch.rows, list.length);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    /* the run: a progress bar in the list until it is done */
    const status = page.getByTestId(`batch-status-${batch.id}`);
    await status.waitFor();
    const statuses = new Set([await status.getAttribute('data-status')]);
    assert.ok(statuses.has('queued') || statuses.has('running') || statuses.has('done'));
    // The progress bar while it runs, or done already (a fast run may skip the bar).
    await page.getByTestId(`batch-progress-${batch.id}`).or(page.locator(`[data-testid="batch-status-${batch.id}"][data-status="done"]`)).first().waitFor();
    await screenshot(page, 'batches-running');
    const deadline = Date.now() + 120_000;
    for (;;) {
      const s = await status.getAttribute('data-status');
      statuses.add(s);
      if (s === 'done') break;
      assert.notEqual(s, 'failed', 'the batch failed');
      assert.ok(Date.now() < deadline, 'the batch did not finish within 120 s');
      await sleep(200);
    }
    assert.equal(await page.getByTestId(`batch-progress-${batch.id}`).count(), 0);

    /* the result */
    await page.getByTestId(`batch-view-${batch.id}`).click();
    await page.getByTestId('batch-detail').waitFor();
    await page.getByTestId('batch-detail-status').and(page.locator('[data-status="done"]')).waitFor();
    /* counts are shown with thousands separators (issue 14): "2,510" */
    const count = async (id) => {
      const text = (await page.getByTestId(id).textContent()).trim();
      assert.match(text, /^\d{1,3}(,\d{3})*$/, `${id}: ${text}`);
      return Number(text.replace(/,/g, ''));
    };
    const invalidRows = list.filter((r) => ['bad_checksum', 'excel_corrupted', 'empty', 'not_an_id'].includes(r.status)).length;
    assert.equal(await count('count-rows'), list.length);
    assert.equal(await count('count-invalid'), invalidRows);
    assert.equal(await count('count-duplicate'), 1);
    const found = await count('count-found');
    const notFound = await count('count-not-found');
    assert.equal(found + notFound, RESIDENTS + 5);
    assert.ok(found >= RESIDENTS * 0.8, `only ${found} of ${RESIDENTS} residents found`);
    assert.ok(notFound >= 5, 'the outsiders are not found');
    await screenshot(page, 'batch-detail');

    /* export all rows: opened in LibreOffice, checked row by row */
    const [dlAll] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-all').click()]);
    assert.match(dlAll.suggestedFilename(), /^batch-upload-结果\.xlsx$/);
    const all = openInLibreOffice(await save(dlAll, 'batch-export-all.xlsx'));
    const head = all[0];
    assert.deepEqual(head.slice(0, 4), ['序号', '姓名', '身份证号', '备注']);
    assert.deepEqual(head.slice(4), ['状态', '状态代码', '是否检测', '近3天检测次数', '最近采样时间', '最近检测时间', '检测机构', '最近结果', '采样点']);
    /* 状态 in Chinese words, the stable code in 状态代码 right after it (issue 14) */
    const WORDS = { ok: '正常', fixed: '已修正格式', converted_15: '15位已转换', bad_checksum: '校验位错误', bad_date: '出生日期错误',
      excel_corrupted: '被Excel改坏', empty: '空', duplicate: '名单内重复', not_an_id: '不是身份证号', formula: '公式无缓存值' };
    const data = all.slice(1).filter((r) => r.some((c) => c !== ''));
    assert.equal(data.length, list.length);
    let foundRows = 0;
    data.forEach((r, i) => {
      const want = list[i];
      assert.equal(r[0], String(i + 1), `row ${i + 2}: 序号`);
      assert.equal(r[1], want.name, `row ${i + 2}: 姓名`);
      assert.equal(r[2], want.cell, `row ${i + 2}: the ID cell as uploaded`);
      assert.equal(r[3], `备注${i + 1}`, `row ${i + 2}: 备注`);
      assert.equal(r[5], want.status, `row ${i + 2}: 状态代码`);
      assert.equal(r[4], WORDS[want.status], `row ${i + 2}: 状态`);
      if (['ok', 'fixed'].includes(r[5]) && r[7] !== '' && r[7] !== '0') foundRows++;
      if (!want.resident && want.status === 'ok') assert.equal(r[6], '否', `row ${i + 2}: an outsider is not tested`);
      if (['bad_checksum', 'excel_corrupted', 'empty', 'not_an_id'].includes(want.status)) assert.equal(r[6] ?? '', '', `row ${i + 2}: no result for an invalid ID`);
    });
    assert.ok(foundRows <= found, `${foundRows} rows counted tests in 3 days, ${found} found in 14`);
    const dup = data.find((r) => r[5] === 'duplicate');
    const first = data.find((r) => r[2] === dup[2] && r[5] !== 'duplicate');
    assert.deepEqual(dup.slice(6), first.slice(6), 'a repeated ID gets the first row’s result');

    /* export the not-found rows */
    const [dlNf] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-not-found').click()]);
    const nf = openInLibreOffice(await save(dlNf, 'batch-export-not-found.xlsx')).slice(1).filter((r) => r.some((c) => c !== ''));
    assert.equal(nf.length, notFound);
    for (const r of nf) {
      assert.ok(['ok', 'fixed'].includes(r[5]) && r[6] === '否', `a not-found row: ${r.join('|')}`);
    }
    assert.equal(nf.filter((r) => r[1].startsWith('外地')).length, 5);

    /* delete, confirmed */
    await page.getByTestId('batch-delete').click();
    await page.locator('.el-message-box').waitFor();
    await page.locator('.el-message-box__btns .el-button--primary').click();
    await page.getByTestId('batches-page').waitFor();
    await page.getByTestId(`batch-status-${batch.id}`).waitFor({ state: 'detached' });
    deletedPath = `/api/v1/batches/${batch.id}`;
    const gone = await page.request.get(`${server.base}${deletedPath}`);
    assert.equal(gone.status(), 404);
  });
  assertClean(w, [{ path: deletedPath, status: 404 }]);
});

test('the personal query cleans the ID as it is typed, checks it, shows and exports the history', async () => {
  const w = await withPage('people', async (page) => {
    await login(page);
    await page.getByTestId('menu-people').click();
    await page.getByTestId('people-page').waitFor();
    const input = page.getByTestId('people-id'); /* el-input puts its attributes on the <input> */

    /* a wrong check digit is caught before anything is sent */
    const good = demoId(1, 3 + 7 * 40);
    const wrong = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
    let lookups = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/people/lookup')) lookups++;
    });
    await input.fill(wrong);
    assert.equal(await page.getByTestId('people-id').getAttribute('data-check'), 'checksum');
    assert.ok(await page.getByTestId('people-search').isDisabled());
    await page.getByText('校验位不正确').waitFor();
    assert.equal(lookups, 0);

    /* typed with full-width digits, spaces and a lowercase x: cleaned in the box */
    let resident = null;
    for (let k = 0; k < 200 && !resident; k++) {
      const id = demoId(1, 3 + 7 * k);
      if (id.endsWith('X')) resident = id;
    }
    assert.ok(resident, 'a resident whose ID ends in X');
    const typed = `${fullWidth(resident.slice(0, 6))} ${resident.slice(6, 14)}\u3000${resident.slice(14, 17)}x`;
    await input.fill('');
    await input.pressSequentially(typed, { delay: 5 });
    assert.equal(await input.inputValue(), resident);
    assert.equal(await page.getByTestId('people-id').getAttribute('data-check'), 'ok');
    await page.getByTestId('people-days').click();
    await page.getByRole('option', { name: '近 14 天' }).click();
    await page.getByTestId('people-search').click();
    await page.getByTestId('people-result').waitFor();
    const masked = await page.getByTestId('people-masked-id').textContent();
    assert.equal(masked, `${resident.slice(0, 6)}********${resident.slice(14)}`);
    assert.ok(!(await page.content()).includes(resident), 'the full ID is not shown to a subdistrict officer');
    const n = Number(await page.getByTestId('people-count').textContent());
    assert.ok(n >= 1, 'the resident has tests in the demo district');
    assert.equal(await page.getByTestId('people-table').locator('tbody tr').count(), n);
    await screenshot(page, 'people-history');

    /* the export */
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('people-export').click()]);
    const rows = openInLibreOffice(await save(dl, 'people-export.xlsx')).filter((r) => r.some((c) => c !== ''));
    assert.deepEqual(rows[0], ['姓名', '身份证号', '采样时间', '采样点编码', '采样点', '试管编码', '检测机构', '检测时间', '检测结果']);
    assert.equal(rows.length, n + 1);
    for (const r of rows.slice(1)) assert.equal(r[1], masked);
  });
  assertClean(w);
});
