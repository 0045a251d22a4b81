/* tests/ui/exchange_hotline.test.mjs - the 12345 hotline page in a real browser against a
 * real server (R2.12, issue 11):
 *
 *   node --test tests/ui/exchange_hotline.test.mjs
 *
 * JIAYUAN_BIN: the built server (default build/jiayuan), built with the web UI embedded.
 * district1 opens 12345工单 (tab 单次筛选) from the menu, chooses a ticket list written by /usr/bin/python3
 * + openpyxl (tests/support/fixtures/make_tickets.py), runs the contract's example rule with
 * two category prefixes, sees how the rule was read, the counts and the four hits (callers
 * masked), exports the hits (the .xlsx is read back with openpyxl: 工单编号 column, the same
 * four tickets, phones masked), draws a sample of 2 and marks one relevant and one not
 * (precision 50.0%), then runs a broken rule and sees the server's reason (tab 单次筛选).
 * Stored (tabs 工单导入, 规则集, 运行, 抽样核查): district1 imports the same list (7 new, the
 * row without a number rejected with its reason), saves a rule set (a broken expression first:
 * the server's message), runs it over December 2026 (7 tickets, 5 in the categories, 4
 * matched), exports the hits (read back with openpyxl, phones masked), draws a stored sample
 * of 3, marks two 相关 and one 不相关 and sees 66.7% on the sample and on the rule set.
 * No CSP violation, no failed request, no unexpected API error.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, ROOT, Server, launchBrowser, screenshot, watch } from './harness.mjs';

const PYTHON = '/usr/bin/python3';
const server = new Server();
let browser;
let dir;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jiayuan-hotline-'));
  const r = spawnSync(PYTHON, [path.join(ROOT, 'tests/support/fixtures/make_tickets.py'), path.join(dir, 'tickets.xlsx')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  await server.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server.stop();
});

function readXlsx(file) {
  const r = spawnSync(
    PYTHON,
    ['-c', 'import sys, json, openpyxl; ws = openpyxl.load_workbook(sys.argv[1]).active; print(json.dumps([[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)], ensure_ascii=False))', file],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('run a rule set over a ticket list and export the hits', async () => {
  const context = await browser.newContext({ acceptDownloads: true, locale: 'zh-CN' });
  const page = await context.newPage();
  const w = await watch(context, page);
  await page.goto(`${server.base}/login`);
  await page.getByTestId('login-username').fill('district1');
  await page.getByTestId('login-password').fill('District-Passw0rd!');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('menu-hotline').click();
  await page.getByRole('tab', { name: '单次筛选' }).click();
  await page.getByTestId('hotline').waitFor();

  await page.getByTestId('hotline-file').setInputFiles(path.join(dir, 'tickets.xlsx'));
  await page.getByTestId('hotline-rule').fill('核酸 AND (排队 OR 人多) NOT 疫苗');
  await page.getByTestId('hotline-categories').fill('卫生健康/核酸检测\n城市管理');
  await page.getByTestId('hotline-run').click();
  await page.getByTestId('hotline-result').waitFor();
  assert.equal(await page.getByTestId('hotline-read-as').textContent(), '((核酸 AND (排队 OR 人多)) AND NOT 疫苗)');
  assert.equal(await page.getByTestId('hotline-count-tickets').getAttribute('data-n'), '7');
  assert.equal(await page.getByTestId('hotline-count-in_category').getAttribute('data-n'), '5');
  assert.equal(await page.getByTestId('hotline-count-matched').getAttribute('data-n'), '4');
  const table = await page.getByTestId('hotline-hits').textContent();
  for (const n of ['GD2026120100001', 'GD2026120100004', 'GD2026120100006', 'GD2026120100008']) assert.ok(table.includes(n), n);
  assert.ok(!table.includes('GD2026120100005'));
  assert.ok(table.includes('138****5678') && !table.includes('13812345678'));
  assert.ok(table.includes('张*') && !table.includes('张三'));
  await screenshot(page, 'hotline-hits');

  /* export */
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('hotline-export').click()]);
  const file = path.join(ARTIFACTS, 'hotline-hits.xlsx');
  await dl.saveAs(file);
  const rows = readXlsx(file);
  assert.equal(rows[0][0], '工单编号');
  assert.deepEqual(rows.slice(1).map((r) => r[0]), ['GD2026120100001', 'GD2026120100004', 'GD2026120100006', 'GD2026120100008']);
  assert.equal(rows[1][7], '138****5678');

  /* a sample of 2, one relevant and one not */
  await page.getByTestId('hotline-sample-n').locator('input').fill('2');
  await page.getByTestId('hotline-sample-run').click();
  const picked = page.getByTestId('hotline-sample-rows').locator('[data-testid^="hotline-verdict-"]');
  await picked.first().waitFor();
  assert.equal(await picked.count(), 2);
  await picked.nth(0).getByText('相关', { exact: true }).click();
  await picked.nth(1).getByText('不相关', { exact: true }).click();
  assert.match(await page.getByTestId('hotline-precision').textContent(), /已核查 2 条，相关 1 条，准确率 50\.0%/);

  /* a broken rule: the server's reason */
  await page.getByTestId('hotline-rule').fill('核酸 AND');
  await page.getByTestId('hotline-run').click();
  await page.getByText('缺少检索词').first().waitFor();

  assert.deepEqual(w.csp, []);
  assert.deepEqual(w.pageErrors, []);
  assert.deepEqual(w.failed, []);
  assert.deepEqual(w.httpErrors, []);
  const unexpected = w.apiErrors.filter((e) => !(e.path === '/api/v1/auth/me' && e.status === 401) && !(e.path === '/api/v1/exchange/hotline/extract' && e.status === 400));
  assert.deepEqual(unexpected, []);
  await context.close();
});

test('import tickets, run a stored rule set, sample, mark and export', async () => {
  const context = await browser.newContext({ acceptDownloads: true, locale: 'zh-CN' });
  const page = await context.newPage();
  const w = await watch(context, page);
  await page.goto(`${server.base}/login`);
  await page.getByTestId('login-username').fill('district1');
  await page.getByTestId('login-password').fill('District-Passw0rd!');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('menu-hotline').click();

  /* 工单导入 */
  await page.getByRole('tab', { name: '工单导入' }).click();
  await page.getByTestId('hotline-import-file').setInputFiles(path.join(dir, 'tickets.xlsx'));
  await page.getByTestId('hotline-import-run').click();
  await page.getByTestId('hotline-import-report').waitFor();
  assert.equal(await page.getByTestId('hotline-import-accepted').getAttribute('data-n'), '7');
  assert.equal(await page.getByTestId('hotline-import-rejected').getAttribute('data-n'), '1');
  assert.ok((await page.getByTestId('hotline-import-rejects').textContent()).includes('缺少工单编号'));
  await page.getByTestId('hotline-tickets-total').filter({ hasText: '共 7 条' }).waitFor();
  const stored = await page.getByTestId('hotline-tickets').textContent();
  assert.ok(stored.includes('138****5678') && !stored.includes('13812345678'));

  /* 规则集: the server's reason for a broken expression, then a good one */
  await page.getByRole('tab', { name: '规则集' }).click();
  await page.getByTestId('hotline-rule-new').click();
  await page.getByTestId('hotline-rule-name').fill('核酸排队');
  await page.getByTestId('hotline-rule-expression').fill('核酸 AND');
  await page.getByTestId('hotline-rule-categories').fill('卫生健康/核酸检测\n城市管理');
  await page.getByTestId('hotline-rule-save').click();
  await page.getByText('缺少检索词').first().waitFor();
  await page.getByTestId('hotline-rule-expression').fill('核酸 AND (排队 OR 人多) NOT 疫苗');
  await page.getByTestId('hotline-rule-save').click();
  await page.getByTestId('hotline-rule-form').waitFor({ state: 'detached' });
  assert.ok((await page.getByTestId('hotline-rules-table').textContent()).includes('核酸排队'));

  /* 运行 over December 2026 */
  await page.getByRole('tab', { name: '运行' }).click();
  await page.getByTestId('hotline-run-from').fill('2026-12-01');
  await page.getByTestId('hotline-run-to').fill('2026-12-31');
  await page.getByTestId('hotline-run-start').click();
  await page.getByTestId('hotline-run-result').waitFor();
  assert.equal(await page.getByTestId('hotline-run-tickets').getAttribute('data-n'), '7');
  assert.equal(await page.getByTestId('hotline-run-in_category').getAttribute('data-n'), '5');
  assert.equal(await page.getByTestId('hotline-run-matched').getAttribute('data-n'), '4');
  const hits = await page.getByTestId('hotline-run-hits').textContent();
  for (const n of ['GD2026120100001', 'GD2026120100004', 'GD2026120100006', 'GD2026120100008']) assert.ok(hits.includes(n), n);
  assert.ok(hits.includes('张*') && !hits.includes('张三'));
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('hotline-run-xlsx').click()]);
  const file = path.join(ARTIFACTS, 'hotline-run-hits.xlsx');
  await dl.saveAs(file);
  const rows = readXlsx(file);
  const head = rows.findIndex((r) => r[0] === '工单编号');
  assert.ok(head >= 0);
  assert.deepEqual(rows.slice(head + 1).map((r) => r[0]), ['GD2026120100001', 'GD2026120100004', 'GD2026120100006', 'GD2026120100008']);
  assert.ok(rows.slice(head + 1).every((r) => !String(r.join('|')).includes('13812345678')));
  assert.ok(rows[head + 1].includes('138****5678'));

  /* 抽样核查: a stored sample of 3, two relevant */
  await page.getByTestId('hotline-run-sample').click();
  await page.getByTestId('hotline-stored-sample-n').locator('input').fill('3');
  await page.getByTestId('hotline-stored-sample-draw').click();
  const marks = page.getByTestId('hotline-stored-sample-rows').locator('[data-testid^="hotline-mark-"]');
  await marks.first().waitFor();
  assert.equal(await marks.count(), 3);
  const precision = page.getByTestId('hotline-stored-precision');
  await marks.nth(0).getByText('相关', { exact: true }).click();
  await precision.filter({ hasText: '已核查 1 条' }).waitFor();
  await marks.nth(1).getByText('相关', { exact: true }).click();
  await precision.filter({ hasText: '已核查 2 条' }).waitFor();
  await marks.nth(2).getByText('不相关', { exact: true }).click();
  await precision.filter({ hasText: '已核查 3 条，相关 2 条，准确率 66.7%' }).waitFor();
  await screenshot(page, 'hotline-sample');

  /* the rule set shows its precision */
  await page.getByRole('tab', { name: '规则集' }).click();
  await page.getByTestId('hotline-rules-table').getByText('66.7%').waitFor();

  assert.deepEqual(w.csp, []);
  assert.deepEqual(w.pageErrors, []);
  assert.deepEqual(w.failed, []);
  assert.deepEqual(w.httpErrors, []);
  const unexpected = w.apiErrors.filter((e) => !(e.path === '/api/v1/auth/me' && e.status === 401) && !(e.path === '/api/v1/exchange/hotline/rules' && e.status === 400));
  assert.deepEqual(unexpected, []);
  await context.close();
});
