/* tests/ui/roles.test.mjs - every role's pages in a real browser against a real server with
 * the small demo district (issue 14 "Keyboard and accessibility", "Tables and exports",
 * "Done when"; R1.1-R1.6, R4.3, S1).
 *
 *   JIAYUAN_BIN=build/jiayuan node --test tests/ui/roles.test.mjs
 *
 * For each role (district, subdistrict, sysadmin, secadmin, auditor) the account logs in
 * (enrolling TOTP where the role requires it), then:
 *  - keyboard: the first Tab reaches the skip link, Enter moves focus into the content, and
 *    the side menu's entries are reached with Tab (no tabindex=-1);
 *  - every entry of its side menu is opened by its link; the page's heading and the
 *    browser tab's title name the page, axe-core (WCAG 2 A/AA) finds no serious or
 *    critical violation, and a screenshot is kept (ARTIFACTS/roles-<role>-<page>.png, the
 *    axe results beside it); the same for /screen and /video (outside the walk: no layout
 *    title) and for the batches page's upload form with a file chosen and the days list open;
 *  - the workbench exports (district): 应检实检's 导出Excel link asks format=xlsx and the
 *    server answers it with an .xlsx (a zip); 更正审核 has a 导出Excel for its list;
 *  - the pager: the district's 点位 (more sites than a page) shows the pager; page 2 shows
 *    other rows than page 1 and the total stays.
 * No CSP violation and no uncaught page error. Values and order only: every wait is for a
 * state, with a deadline.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Server, axeCheck, launchBrowser, screenshot, totpCode, totpStep, watch } from './harness.mjs';

const STEP_TIMEOUT = 30_000;
const ROLES = [
  { role: 'district', user: 'district1', pw: 'District-Passw0rd!' },
  { role: 'subdistrict', user: 'officer1', pw: 'Officer-Passw0rd!', add: ['--role', 'subdistrict', '--subdistrict', '110102001'] },
  { role: 'sysadmin', user: 'sys1', pw: 'Sysadmin-Passw0rd!', add: ['--role', 'sysadmin'] },
  { role: 'secadmin', user: 'sec1', pw: 'Secadmin-Passw0rd!', add: ['--role', 'secadmin'] },
  { role: 'auditor', user: 'auditor1', pw: 'Auditor-Passw0rd!' },
];
/* Pages outside the main layout's content (the big screen is a kiosk of its own; the
 * video wall has no page title of the layout's kind): not walked by the menu loop, but
 * opened after it (extra()) and checked with axe all the same. */
const SKIP = new Set(['/screen', '/video']);

const server = new Server();
let browser = null;
process.on('exit', () => server.killNow());

before(async () => {
  await server.start({
    prepare: ({ cli }) => {
      cli(['demo', '--scale', 'small']);
      for (const r of ROLES) if (r.add) cli(['user', 'add', '--username', r.user, ...r.add, '--password-stdin'], r.pw);
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

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  const w = await watch(context, page);
  return { context, page, w };
}

async function login(page, r) {
  await page.goto(`${server.base}/login`);
  await page.getByTestId('login-username').fill(r.user);
  await page.getByTestId('login-password').fill(r.pw);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  if (new URL(page.url()).pathname.startsWith('/welcome/totp')) {
    const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
    await page.getByTestId('totp-code').fill(totpCode(secret, totpStep()));
    await page.getByTestId('totp-enable').click();
  }
  await page.getByTestId('side-menu').waitFor();
}

/** Waits until no loading mask is shown (the page's lists have answered). */
async function settled(page) {
  await page.waitForFunction(() => ![...document.querySelectorAll('.el-loading-mask')].some((m) => m.offsetParent !== null));
}

async function keyboard(page, role) {
  await page.goto(`${server.base}/`);
  await page.getByTestId('side-menu').waitFor();
  await page.locator('body').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'skip-link', `${role}: first Tab is the skip link`);
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main-content', `${role}: the skip link moves focus to the content`);
  const links = page.getByTestId('side-menu').locator('a');
  assert.ok((await links.count()) > 0);
  for (let i = 0; i < (await links.count()); i++) assert.notEqual(await links.nth(i).getAttribute('tabindex'), '-1');
  /* from the skip link, Tab goes through the brand to the first menu entry */
  await page.getByTestId('skip-link').focus();
  let reached = false;
  for (let i = 0; i < 5 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => !!document.activeElement?.closest('[data-testid="side-menu"]'));
  }
  assert.ok(reached, `${role}: the side menu is reached with Tab`);
}

/** The pages the menu walk leaves out, and the batch upload form with a file chosen: axe on
 * each (issue 14 "Keyboard and accessibility"). Returns the failures as lines. */
async function extra(page, role, paths) {
  const failures = [];
  const check = async (name, label) => {
    const v = await axeCheck(page, name);
    if (v.length) failures.push(`${label}:\n  ${v.join('\n  ')}`);
  };
  if (paths.includes('/screen')) {
    await page.goto(`${server.base}/screen`);
    await page.locator('[data-testid="screen"][data-phase="ready"]').waitFor();
    await page.locator('[data-testid="screen-kpi-scans_today"]:not([data-value=""])').waitFor();
    await screenshot(page, `roles-${role}-screen`);
    await check(`roles-${role}-screen`, '/screen');
  }
  if (paths.includes('/video')) {
    await page.goto(`${server.base}/video`);
    await page.getByTestId('wall-grid').waitFor();
    await settled(page);
    await screenshot(page, `roles-${role}-video`);
    await check(`roles-${role}-video`, '/video');
  }
  if (paths.includes('/batches')) {
    await page.goto(`${server.base}/batches`);
    await page.getByTestId('batches-page').waitFor();
    await settled(page);
    await page.getByTestId('batch-file').setInputFiles({ name: '名单.csv', mimeType: 'text/csv', buffer: Buffer.from('姓名,身份证号\n') });
    await page.getByTestId('batch-file-name').filter({ hasText: '名单.csv' }).waitFor();
    await page.getByTestId('batch-days').click();
    await page.locator('.el-select-dropdown').filter({ visible: true }).waitFor();
    await screenshot(page, `roles-${role}-batch-upload`);
    await check(`roles-${role}-batch-upload`, '/batches (upload form, file chosen, days list open)');
    await page.keyboard.press('Escape');
  }
  return failures;
}

for (const r of ROLES) {
  test(`${r.role}: keyboard, every page of the menu with axe`, async () => {
    const { context, page, w } = await newPage();
    try {
      await login(page, r);
      await keyboard(page, r.role);
      const entries = await page
        .getByTestId('side-menu')
        .locator('a')
        .evaluateAll((as) => as.map((a) => ({ path: new URL(a.href).pathname, label: a.textContent.trim(), testid: a.dataset.testid })));
      assert.ok(entries.length > 0, `${r.role} has a menu`);
      const failures = [];
      for (const e of entries) {
        if (SKIP.has(e.path)) continue;
        await page.getByTestId(e.testid).click();
        /* the security administrator's home is the security overview (issue 14) */
        if (r.role === 'secadmin' && e.path === '/') {
          await page.waitForURL((u) => u.pathname === '/security');
          continue; /* walked as its own menu entry */
        }
        await page.waitForURL((u) => u.pathname === e.path);
        await page.getByTestId('page-title').filter({ hasText: e.label }).waitFor();
        await settled(page);
        assert.match(await page.title(), new RegExp(`^${e.label} - `), `${r.role} ${e.path}: the tab title names the page`);
        const name = `roles-${r.role}-${e.path.replace(/\W+/g, '_') || 'home'}`;
        await screenshot(page, name);
        const v = await axeCheck(page, name);
        if (v.length) failures.push(`${e.path}:\n  ${v.join('\n  ')}`);
      }
      failures.push(...(await extra(page, r.role, entries.map((e) => e.path))));
      assert.deepEqual(failures, [], `${r.role}: serious/critical axe violations`);
      assert.deepEqual(w.csp, [], 'no CSP violation');
      assert.deepEqual(w.pageErrors, [], 'no page error');
    } finally {
      await context.close();
    }
  });
}

test('district: 应检实检 and 更正审核 exports, the 点位 pager', async () => {
  const { context, page } = await newPage();
  try {
    await login(page, ROLES[0]);
    await page.getByTestId('menu-progress').click();
    await page.getByTestId('progress-table').locator('tbody tr').first().waitFor();
    const href = await page.getByTestId('progress-export').getAttribute('href');
    assert.match(href, /\/api\/v1\/plans\/[^/]+\/progress\?.*format=xlsx/);
    const r = await page.request.get(`${server.base}${href}`);
    assert.equal(r.status(), 200);
    assert.equal(r.headers()['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.equal((await r.body()).subarray(0, 2).toString('latin1'), 'PK');
    await page.getByTestId('menu-corrections').click();
    await page.getByTestId('corrections-export').waitFor();

    await page.getByTestId('menu-sites').click();
    const pager = page.getByTestId('sites-pager');
    await pager.waitFor();
    const total = (await page.getByTestId('sites-total').textContent()).trim();
    const first = await page.getByTestId('sites-table').locator('tbody tr').first().innerText();
    await pager.locator('.el-pager li', { hasText: /^2$/ }).click();
    await page.waitForFunction(
      (f) => document.querySelector('[data-testid="sites-table"] tbody tr')?.innerText !== f,
      first,
    );
    assert.equal((await page.getByTestId('sites-total').textContent()).trim(), total, 'the total stays on page 2');
    await screenshot(page, 'roles-district-sites-page2');
  } finally {
    await context.close();
  }
});
