/* tests/ui/batch_pages.test.mjs - the batch pages, breadcrumbs and the delete rule in a real
 * browser against a real server (issue 14 "Tables and exports", "Roles"; R4.3-R4.7).
 *
 *   node --test tests/ui/batch_pages.test.mjs
 *
 * officer1 uploads a small CSV (valid IDs and one repeat, nothing invalid) through the
 * batches page; the list shows the total, the detail page its breadcrumbs (首页 / 批量查询 /
 * 批量查询结果) and tab title, the paginated result table filtered by status (masked IDs,
 * the status word), the 无效证件号 export disabled (nothing to export) and the danger-styled
 * delete confirmation (axe-checked while open). officer2 (same subdistrict, not the
 * uploader) finds the delete button disabled with a tooltip saying who may delete; the
 * district account sees the 街道 column and may delete. The list's filter bar (issue 14): the
 * district narrows by 街道, 上传人, 状态 and a date range (the total follows; 重置 brings all
 * back), officer2 has no 街道 select. Issue 12 "Bulk lookups": officer2 sees the exports
 * disabled (未共享, tooltip) until officer1 turns on the 共享 switch, and the auditor's
 * 查询某人被谁查询 box finds the batch that looked up a resident. No Element Plus deprecation warning
 * or Vue warning is printed on these pages; no CSP violation or failed request.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Server, axeCheck, launchBrowser, screenshot, totpCode, totpStep, watch } from './harness.mjs';

const SUBDISTRICT = '110102001';
const PW = 'Officer-Passw0rd!';
const STEP_TIMEOUT = 20_000;

const server = new Server();
let browser = null;
let base = '';
process.on('exit', () => server.killNow());

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function withCheck(first17) {
  let s = 0;
  for (let k = 0; k < 17; k++) s += Number(first17[k]) * WEIGHTS[k];
  return first17 + '10X98765432'[s % 11];
}
const IDS = Array.from({ length: 25 }, (_, k) => withCheck(`110102198001${String((k % 28) + 1).padStart(2, '0')}${String(100 + k)}`));
const CSV = ['身份证号,姓名,手机号', ...IDS.map((id, k) => `${id},居民${k},1390000${String(k).padStart(4, '0')}`), `${IDS[0]},重复,`].join('\r\n') + '\r\n';

before(async () => {
  await server.start({
    prepare: ({ cli }) => {
      for (const u of ['officer1', 'officer2'])
        cli(['user', 'add', '--username', u, '--role', 'subdistrict', '--subdistrict', SUBDISTRICT, '--password-stdin'], PW);
      cli(['user', 'add', '--username', 'aud1', '--role', 'auditor', '--password-stdin'], 'Auditor1-Passw0rd!');
    },
  });
  base = server.base;
  browser = await launchBrowser();
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    await server.stop();
  }
});

/** Fresh context + page with watchers and the console's warnings; a screenshot on failure. */
async function withPage(name, fn) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  w.warnings = [];
  page.on('console', (m) => {
    const text = m.text();
    if (/\[Element Plus\]|\[Vue warn\]/.test(text)) w.warnings.push(text);
  });
  try {
    await fn(page, w);
  } catch (e) {
    await screenshot(page, `${name}-FAILED`).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
  assert.deepEqual(w.csp, [], `CSP violations: ${w.csp.join('\n')}`);
  assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  assert.deepEqual(w.failed, [], `failed requests: ${w.failed.join('\n')}`);
  assert.deepEqual(w.warnings, [], `Element Plus / Vue warnings: ${w.warnings.join('\n')}`);
  return w;
}

async function login(page, username, password) {
  await page.goto(`${base}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

let batchId = 0;

test('the uploader: list total, breadcrumbs, result table by status, empty export disabled, danger delete dialog', async () => {
  await withPage('batch-pages-uploader', async (page) => {
    await login(page, 'officer1', PW);
    await page.goto(`${base}/batches`);
    assert.equal(await page.getByTestId('crumb-0').textContent(), '首页');
    assert.equal(await page.getByTestId('crumb-1').textContent(), '批量查询');
    assert.match(await page.title(), /^批量查询 - /);
    await page.getByTestId('batch-file').setInputFiles({ name: '名单.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await page.getByTestId('batch-upload').click();
    const status = page.locator('[data-testid^="batch-status-"]').first();
    await status.waitFor();
    batchId = Number((await status.getAttribute('data-testid')).replace('batch-status-', ''));
    await page.locator(`[data-testid="batch-status-${batchId}"][data-status="done"]`).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('batch-total').textContent(), '共 1 条');
    assert.equal(await page.getByTestId(`batch-delete-${batchId}`).isDisabled(), false);
    await screenshot(page, 'batch-pages-list');

    await page.getByTestId(`batch-open-${batchId}`).click();
    await page.getByTestId('batch-rows-table').waitFor();
    assert.equal(await page.getByTestId('crumb-1').textContent(), '批量查询');
    assert.equal(await page.getByTestId('crumb-2').textContent(), '批量查询结果');
    assert.match(await page.title(), /^批量查询结果 - /);
    assert.equal(await page.getByTestId('batch-window').textContent(), '近 3 天');
    await page.getByTestId('batch-rows-total').filter({ hasText: '共 26 条' }).waitFor();
    assert.equal(await page.locator('[data-testid="batch-rows-table"] tbody tr').count(), 20);
    const first = await page.locator('[data-testid="batch-rows-table"] tbody tr').first().textContent();
    assert.ok(first.includes(`${IDS[0].slice(0, 6)}********${IDS[0].slice(14)}`), first);
    assert.ok(!first.includes(IDS[0]) && !first.includes('居民'), first);
    /* filter: the one repeat */
    await page.getByTestId('batch-rows-status').click();
    await page.getByRole('option', { name: /名单内重复/ }).click();
    await page.getByTestId('batch-rows-total').filter({ hasText: '共 1 条' }).waitFor();
    assert.equal(await page.getByTestId('row-status-27').textContent(), '名单内重复');
    /* nothing invalid: that export is disabled; the others are links */
    assert.equal(await page.getByTestId('export-invalid').isDisabled(), true);
    assert.match(await page.getByTestId('export-all').getAttribute('href'), /rows=all$/);
    await screenshot(page, 'batch-pages-detail');

    await page.getByTestId('batch-delete').click();
    const dialog = page.locator('.danger-confirm');
    await dialog.waitFor();
    assert.match(await dialog.locator('.el-message-box__btns .el-button--danger').textContent(), /删除/);
    assert.deepEqual(await axeCheck(page, 'batch-delete-dialog'), []);
    await screenshot(page, 'batch-pages-delete-dialog');
    await dialog.getByRole('button', { name: '取消' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });
});

/** Types a date range into the filter's picker (its two inputs) and closes it. */
async function dates(page, from, to) {
  const inputs = page.getByTestId('batch-filter-dates-item').locator('input');
  await inputs.nth(0).fill(from);
  await inputs.nth(1).fill(to);
  await inputs.nth(1).press('Enter');
  await page.keyboard.press('Escape');
}

async function searchTotal(page, want) {
  await page.getByTestId('batch-filter-search').click();
  await page.getByTestId('batch-total').filter({ hasText: `共 ${want} 条` }).waitFor();
}

test('the filter bar: the district narrows by 街道, 上传人, 状态 and dates; officers have no 街道 select', async () => {
  assert.ok(batchId > 0);
  await withPage('batch-pages-officer2-filter', async (page) => {
    await login(page, 'officer2', PW);
    await page.goto(`${base}/batches`);
    await page.getByTestId('batch-filter').waitFor();
    assert.equal(await page.getByTestId('batch-filter-subdistrict').count(), 0);
    await page.getByTestId('batch-filter-uploader').fill('officer1');
    await searchTotal(page, 1);
  });
  await withPage('batch-pages-district-filter', async (page) => {
    await login(page, 'district1', 'District-Passw0rd!');
    await page.goto(`${base}/batches`);
    await page.getByTestId(`batch-sub-${batchId}`).waitFor();
    /* 街道 */
    await page.getByTestId('batch-filter-subdistrict').click();
    await page.getByTestId(`batch-filter-sub-${SUBDISTRICT}`).click();
    await searchTotal(page, 1);
    /* 状态: nothing failed, then done */
    await page.getByTestId('batch-filter-status').click();
    await page.getByTestId('batch-filter-status-failed').click();
    await searchTotal(page, 0);
    await page.getByTestId('batch-filter-status').click();
    await page.getByTestId('batch-filter-status-done').click();
    await searchTotal(page, 1);
    /* 上传人 */
    await page.getByTestId('batch-filter-uploader').fill('officer2');
    await searchTotal(page, 0);
    await page.getByTestId('batch-filter-uploader').fill('officer1');
    await searchTotal(page, 1);
    /* 日期范围: long ago holds nothing; a range round today holds the batch */
    await dates(page, '2020-01-01', '2020-01-02');
    await searchTotal(page, 0);
    const day = (d) => new Date(Date.now() + d * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
    await dates(page, day(-1), day(1));
    await searchTotal(page, 1);
    assert.ok(await page.getByTestId(`batch-sub-${batchId}`).isVisible());
    /* the pointer off the just-clicked 查询 (a hovered button is lighter on purpose) */
    await page.mouse.move(0, 0);
    await page.evaluate(() => document.activeElement?.blur());
    assert.deepEqual(await axeCheck(page, 'batch-pages-filter'), []);
    await screenshot(page, 'batch-pages-filter');
    /* 重置: everything again */
    await page.getByTestId('batch-filter-status').click();
    await page.getByTestId('batch-filter-status-failed').click();
    await searchTotal(page, 0);
    await page.getByTestId('batch-filter-reset').click();
    await page.getByTestId('batch-total').filter({ hasText: '共 1 条' }).waitFor();
  });
});

test('issue 12: exports are the uploader\'s until 共享; the auditor finds who looked a resident up', async () => {
  assert.ok(batchId > 0);
  await withPage('batch-pages-not-shared', async (page) => {
    await login(page, 'officer2', PW);
    await page.goto(`${base}/batches/${batchId}`);
    await page.getByTestId('batch-rows-table').waitFor();
    assert.equal(await page.getByTestId('batch-shared-tag').textContent(), '未共享');
    assert.equal(await page.getByTestId('batch-share').count(), 0);
    assert.equal(await page.getByTestId('export-all').isDisabled(), true);
    await page.getByTestId('export-all').hover();
    await page.getByText('该批次未共享，只有上传人可以导出').first().waitFor();
  });
  await withPage('batch-pages-share', async (page) => {
    await login(page, 'officer1', PW);
    await page.goto(`${base}/batches/${batchId}`);
    await page.getByTestId('batch-share').waitFor();
    const checked = () => page.getByTestId('batch-share').evaluate((e) => e.classList.contains('is-checked'));
    assert.equal(await checked(), false);
    await page.getByTestId('batch-share').click();
    await page.getByText('已共享给本街道').first().waitFor();
    assert.equal(await checked(), true);
    await screenshot(page, 'batch-pages-shared');
  });
  await withPage('batch-pages-shared-peer', async (page) => {
    await login(page, 'officer2', PW);
    await page.goto(`${base}/batches/${batchId}`);
    await page.getByTestId('batch-rows-table').waitFor();
    assert.equal(await page.getByTestId('batch-shared-tag').textContent(), '已共享');
    assert.match(await page.getByTestId('export-all').getAttribute('href'), /rows=all$/);
  });
  await withPage('batch-pages-auditor', async (page) => {
    await page.goto(`${base}/login`);
    await page.getByTestId('login-username').fill('aud1');
    await page.getByTestId('login-password').fill('Auditor1-Passw0rd!');
    await page.getByTestId('login-submit').click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    if (new URL(page.url()).pathname.startsWith('/welcome/totp')) {
      const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
      await page.getByTestId('totp-code').fill(totpCode(secret, totpStep()));
      await page.getByTestId('totp-enable').click();
    }
    await page.getByTestId('side-menu').waitFor();
    await page.getByTestId('menu-audit').click();
    await page.getByTestId('person-lookups-id').waitFor();
    await page.getByTestId('person-lookups-id').fill(IDS[1]);
    await page.getByTestId('person-lookups-search').click();
    const hit = page.locator(`[data-testid="lookup-kind-batch"][data-batch="${batchId}"]`);
    await hit.waitFor();
    assert.equal((await hit.textContent()).trim(), `批量查询 #${batchId}`);
    assert.match(await page.getByTestId('person-lookups-table').locator('tbody').innerText(), /officer1/);
    await page.mouse.move(0, 0); /* no hover colour on the search button in the check */
    await page.waitForFunction(() => !document.querySelector('[data-testid="person-lookups-search"].is-loading'));
    await screenshot(page, 'batch-pages-auditor-lookups');
    assert.deepEqual(await axeCheck(page, 'batch-pages-auditor-lookups'), []);
  });
});

test('another officer may not delete (disabled, tooltip says who); the district sees 街道 and may', async () => {
  assert.ok(batchId > 0);
  await withPage('batch-pages-officer2', async (page) => {
    await login(page, 'officer2', PW);
    await page.goto(`${base}/batches`);
    const del = page.getByTestId(`batch-delete-${batchId}`);
    await del.waitFor();
    assert.equal(await del.isDisabled(), true);
    assert.equal(await page.getByTestId(`batch-sub-${batchId}`).count(), 0);
    await page.getByTestId(`batch-delete-wrap-${batchId}`).hover();
    await page.getByText('只有上传人或区级账号可以删除该批次').first().waitFor();
  });
  await withPage('batch-pages-district', async (page) => {
    await login(page, 'district1', 'District-Passw0rd!');
    await page.goto(`${base}/batches`);
    await page.getByTestId(`batch-sub-${batchId}`).waitFor();
    assert.equal(await page.getByTestId(`batch-sub-${batchId}`).textContent(), SUBDISTRICT);
    assert.equal(await page.getByTestId(`batch-delete-${batchId}`).isDisabled(), false);
    await page.getByTestId(`batch-delete-${batchId}`).click();
    await page.locator('.danger-confirm').waitFor();
    await page.locator('.danger-confirm .el-button--danger').click();
    await page.getByTestId(`batch-delete-${batchId}`).waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('batch-total').textContent(), '共 0 条');
  });
});
