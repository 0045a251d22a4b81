/* tests/ui/exchange_emergency.test.mjs - the emergency bureau's (应急局) statistics beside
 * ours (issue 11, R2.8, R2.9) in a real browser against a real server.
 *
 *   node --test tests/ui/exchange_emergency.test.mjs
 *
 * A feeder token pushes a round with planned and actual counts for two subdistricts; the
 * bureau's figures are posted (西长安街 agrees, 新街口 differs in 实际). The district opens
 * 应急局统计: both rows show ours and theirs, 新街口's row is marked 不一致 with the differing
 * cells highlighted, 西长安街 一致. Then, with the page left open (no reload), the bureau
 * re-sends a corrected figure: the row turns 一致 (the "exchange.emergency" event). By
 * industry shows the industry rows. The export link downloads an .xlsx. 历史数据导入: a CSV of
 * past rounds uploaded twice gives the row report (新增 / 未通过 with a reason, then 未变化) and
 * the round shows in the plan_trend statistic. No CSP violation,
 * no failed request, no unexpected API error; values and order only, no timing assertions.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, ROOT, Server, launchBrowser, screenshot, watch } from './harness.mjs';

const STEP_TIMEOUT = 30_000;
const SUB_A = '110102001';
const SUB_B = '110102003';
const server = new Server();
let browser = null;
let token = '';

process.on('exit', () => server.killNow());

before(async () => {
  await server.start({
    prepare: ({ cli }) => {
      const out = cli(['token', 'add', '--name', 'feeder', '--scopes', 'plans.write,actuals.write']);
      token = out.trim().split('\n').pop().trim();
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

async function feed(p, body) {
  const r = await fetch(`${server.base}${p}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  assert.equal(r.status, 200, `POST ${p}: ${r.status} ${text}`);
  return JSON.parse(text);
}

function bureau(actualB) {
  return {
    source: 'yjj',
    rows: [
      { plan_no: 'UI-E', name: '西长安街', planned: 400, actual: 340, received_time: '2026-12-07 10:00:00', industry_counts: { '农、林、牧、渔业': 90 } },
      { plan_no: 'UI-E', name: '新街口街道', planned: 200, actual: actualB },
    ],
  };
}

test('the bureau’s figures beside ours, mismatches highlighted, live', async () => {
  const now = Date.now();
  await feed('/api/v1/plans/batch', [
    { source: 'gov', external_id: 'ui-e', plan_no: 'UI-E', name: '第5轮', starts_at: now - 7_200_000, ends_at: now + 86_400_000 },
  ]);
  await feed('/api/v1/planned/batch', [
    { source: 'gov', external_id: 'q1', plan_no: 'UI-E', subdistrict: SUB_A, count: 300 },
    { source: 'gov', external_id: 'q2', plan_no: 'UI-E', subdistrict: SUB_A, industry: 'A', count: 100 },
    { source: 'gov', external_id: 'q3', plan_no: 'UI-E', subdistrict: SUB_B, count: 200 },
  ]);
  await feed('/api/v1/actuals/batch', [
    { source: 'sub', external_id: 'a1', plan_no: 'UI-E', subdistrict: SUB_A, count: 250, reported_at: now - 3_600_000 },
    { source: 'sub', external_id: 'a2', plan_no: 'UI-E', subdistrict: SUB_A, industry: 'A', count: 90, reported_at: now - 3_600_000 },
    { source: 'sub', external_id: 'a3', plan_no: 'UI-E', subdistrict: SUB_B, count: 150, reported_at: now - 3_600_000 },
  ]);
  await feed('/api/v1/exchange/emergency/by-subdistrict', bureau(120));
  await feed('/api/v1/exchange/emergency/by-industry', { source: 'yjj', rows: [{ plan_no: 'UI-E', name: 'A', planned: 100, actual: 90 }] });

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  await page.goto(`${server.base}/login`);
  await page.getByTestId('login-username').fill('district1');
  await page.getByTestId('login-password').fill('District-Passw0rd!');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('side-menu').waitFor();
  await page.getByTestId('menu-exchange-emergency').click();
  await page.getByTestId('emergency-page').waitFor();

  await page.getByTestId(`emergency-row-${SUB_B}`).waitFor();
  assert.equal(await page.getByTestId(`emergency-row-${SUB_A}`).textContent(), '西长安街街道');
  assert.equal(await page.getByTestId(`emergency-ours-actual-${SUB_A}`).textContent(), '340');
  assert.equal(await page.getByTestId(`emergency-theirs-actual-${SUB_A}`).textContent(), '340');
  assert.equal((await page.getByTestId(`emergency-state-${SUB_A}`).textContent()).trim(), '一致');
  assert.equal(await page.getByTestId(`emergency-ours-actual-${SUB_B}`).textContent(), '150');
  assert.equal(await page.getByTestId(`emergency-theirs-actual-${SUB_B}`).textContent(), '120');
  assert.equal((await page.getByTestId(`emergency-state-${SUB_B}`).textContent()).trim(), '不一致');
  assert.equal(await page.getByTestId(`emergency-row-${SUB_B}`).getAttribute('data-mismatch'), 'true');
  assert.match(await page.getByTestId(`emergency-theirs-actual-${SUB_B}`).getAttribute('class'), /em-diff/);
  assert.doesNotMatch(await page.getByTestId(`emergency-theirs-planned-${SUB_B}`).getAttribute('class'), /em-diff/);
  await screenshot(page, 'exchange-emergency-mismatch');

  /* live: the bureau corrects its figure; the open page follows without a reload */
  await page.locator('[data-testid="emergency-live"][data-state="open"]').waitFor();
  await feed('/api/v1/exchange/emergency/by-subdistrict', bureau(150));
  await page.locator(`[data-testid="emergency-row-${SUB_B}"][data-mismatch="false"]`).waitFor();
  assert.equal(await page.getByTestId(`emergency-theirs-actual-${SUB_B}`).textContent(), '150');
  assert.equal((await page.getByTestId(`emergency-state-${SUB_B}`).textContent()).trim(), '一致');

  /* export of what is shown */
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('emergency-export').click()]);
  const file = path.join(ARTIFACTS, 'exchange-emergency.xlsx');
  await dl.saveAs(file);
  assert.match(dl.suggestedFilename(), /\.xlsx$/);

  /* by industry */
  await page.getByTestId('emergency-by-industry').click();
  await page.getByTestId('emergency-row-A').waitFor();
  assert.equal(await page.getByTestId('emergency-ours-actual-A').textContent(), '90');
  assert.equal((await page.getByTestId('emergency-state-A').textContent()).trim(), '一致');
  await screenshot(page, 'exchange-emergency-industry');

  assert.deepEqual(w.csp, [], `CSP violations: ${w.csp.join('\n')}`);
  assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  const failed = w.failed.filter((f) => !/^GET \S+[?&]format=xlsx\S* net::ERR_ABORTED$/.test(f));
  assert.deepEqual(failed, [], `failed requests: ${failed.join('\n')}`);
  assert.deepEqual(w.httpErrors, [], `HTTP errors: ${w.httpErrors.join('\n')}`);
  const unexpected = w.apiErrors.filter((e) => !(e.path === '/api/v1/auth/me' && e.status === 401));
  assert.deepEqual(unexpected, [], `unexpected API errors: ${JSON.stringify(unexpected)}`);
  await context.close();
});

test('history import: a row-level report, and the same file again changes nothing', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jy-hist-'));
  const file = path.join(dir, 'rounds.csv');
  writeFileSync(
    file,
    '计划编号,轮次名称,检测日期,街道,学校,年级,班级,应检人数,实检人数\n' +
      'UI-H1,往期第1轮,2025-04-01,西长安街,,,,900,880\n' +
      'UI-H2,学校筛查,2025-04-08,新街口街道,四中,初一,3班,40,39\n' +
      'UI-H1,往期第1轮,2025-04-01,不存在街道,,,,1,1\n',
  );
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  await page.goto(`${server.base}/login`);
  await page.getByTestId('login-username').fill('district1');
  await page.getByTestId('login-password').fill('District-Passw0rd!');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('side-menu').waitFor();
  await page.getByTestId('menu-exchange-history').click();
  await page.getByTestId('history-page').waitFor();
  for (const round of [0, 1]) {
    await page.getByTestId('history-file').setInputFiles(file);
    await page.getByTestId('history-submit').click();
    await page.locator(`[data-testid="history-unchanged"]`).filter({ hasText: round ? '2' : '0' }).waitFor();
    assert.equal(await page.getByTestId('history-accepted').textContent(), round ? '0' : '2');
    assert.equal(await page.getByTestId('history-rejected').textContent(), '1');
    assert.equal((await page.getByTestId('history-status-4').textContent()).trim(), '未通过');
    assert.equal((await page.getByTestId('history-status-2').textContent()).trim(), round ? '未变化' : '新增');
  }
  await screenshot(page, 'exchange-history');
  const r = await page.request.get(`${server.base}/api/v1/stats/plan_trend`);
  const trend = await r.json();
  assert.ok(trend.rows.some((x) => x.plan_no === 'UI-H1' && x.sampled === 880), JSON.stringify(trend.rows));
  assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  assert.deepEqual(w.httpErrors, [], `HTTP errors: ${w.httpErrors.join('\n')}`);
  const unexpected = w.apiErrors.filter((e) => !(e.path === '/api/v1/auth/me' && e.status === 401));
  assert.deepEqual(unexpected, [], `unexpected API errors: ${JSON.stringify(unexpected)}`);
  await context.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the bureau’s sheet uploaded on the page: a row report, the figures beside ours', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const { spawnSync } = await import('node:child_process');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jy-yjj-'));
  const file = path.join(dir, 'yjj.xlsx');
  const made = spawnSync('/usr/bin/python3', [path.join(ROOT, 'tests/support/fixtures/make_emergency.py'), file, 'UI-E'], { encoding: 'utf8' });
  assert.equal(made.status, 0, `make_emergency.py: ${made.stderr}`);
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  await page.goto(`${server.base}/login`);
  await page.getByTestId('login-username').fill('district1');
  await page.getByTestId('login-password').fill('District-Passw0rd!');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('side-menu').waitFor();
  await page.getByTestId('menu-exchange-emergency').click();
  await page.getByTestId('emergency-page').waitFor();
  /* the round fed by the first test (history rounds are listed too) */
  await page.getByTestId('emergency-plan').click();
  await page.getByRole('option', { name: /^UI-E / }).click();
  await page.getByTestId(`emergency-row-${SUB_B}`).waitFor();
  await page.getByTestId('emergency-import-file').setInputFiles(file);
  await page.getByTestId('emergency-import-report').waitFor();
  const summary = await page.getByTestId('emergency-import-report').textContent();
  assert.ok(summary.includes('接收 2') && summary.includes('拒绝 1') && summary.includes('跳过 1'), summary);
  assert.equal((await page.getByTestId('emergency-import-status-5').textContent()).trim(), '拒绝');
  assert.equal((await page.getByTestId('emergency-import-status-6').textContent()).trim(), '跳过');
  /* the sheet's 新街口 figure (1,180) replaces the POSTed 新街口街道 one (same code) beside ours */
  await page.getByTestId(`emergency-theirs-actual-${SUB_B}`).filter({ hasText: '1180' }).waitFor();
  await screenshot(page, 'exchange-emergency-upload');
  assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  assert.deepEqual(w.httpErrors, [], `HTTP errors: ${w.httpErrors.join('\n')}`);
  const unexpected = w.apiErrors.filter((e) => !(e.path === '/api/v1/auth/me' && e.status === 401));
  assert.deepEqual(unexpected, [], `unexpected API errors: ${JSON.stringify(unexpected)}`);
  await context.close();
  rmSync(dir, { recursive: true, force: true });
});
