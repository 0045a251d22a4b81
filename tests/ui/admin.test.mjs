/* tests/ui/admin.test.mjs - the administrators' and the auditor's screens in a real browser
 * against a real server with accounts only (issue 14 "Roles: Security
 * administrator, Auditor, New-user dialog", "Tables and exports"; S1, S6).
 *
 *   JIAYUAN_BIN=build/jiayuan node --test tests/ui/admin.test.mjs
 *
 *  - sysadmin: the users list filters by state (a console-locked account), shows failed
 *    attempts, offers 解锁 on a business account and unlocks it; the new-user dialog (axe
 *    with the dialog open) creates an account with real name, phone and organisation, and
 *    the list shows the phone and the name masked afterwards; no row action on an
 *    administrator account;
 *  - secadmin: the home is the security overview (locked accounts, failed sign-ins today,
 *    the policy, recent security events; no business figures), the policy page refuses an
 *    out-of-range value with the Chinese rule, saves the corrected value (安全策略已保存) and
 *    放弃修改 reloads the stored value; the users
 *    list is read-only; axe on each page;
 *  - auditor: the action picker is searched by a Chinese name and filters the list (actions in
 *    Chinese with the code beside), the result filter and the 今天 shortcut keep the list
 *    consistent, a row expands to its whole detail, and 导出Excel downloads an .xlsx whose
 *    rows (read with python3-openpyxl) equal the list's total and name actions in Chinese.
 * Values and order only: every wait is for a state, with a deadline.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Server, axeCheck, launchBrowser, screenshot, totpCode, totpStep, watch } from './harness.mjs';

const STEP_TIMEOUT = 30_000;
const SYS = { user: 'sys1', pw: 'Sysadmin-Passw0rd!' };
const SEC = { user: 'sec1', pw: 'Secadmin-Passw0rd!' };
const AUD = { user: 'aud2', pw: 'Auditor2-Passw0rd!' };

const server = new Server();
let browser = null;
process.on('exit', () => server.killNow());

before(async () => {
  await server.start({
    prepare: ({ cli }) => {
      /* no demo district: these screens need accounts only (and the demo's day depends on the hour) */
      cli(['user', 'add', '--username', AUD.user, '--role', 'auditor', '--password-stdin'], AUD.pw);
      cli(['user', 'add', '--username', SYS.user, '--role', 'sysadmin', '--password-stdin'], SYS.pw);
      cli(['user', 'add', '--username', SEC.user, '--role', 'secadmin', '--password-stdin'], SEC.pw);
      cli(['user', 'add', '--username', 'locked1', '--role', 'viewer', '--password-stdin'], 'Viewer-Passw0rd!');
      cli(['user', 'add', '--username', 'tries2', '--role', 'viewer', '--password-stdin'], 'Viewer-Passw0rd!');
      cli(['user', 'lock', '--username', 'locked1']);
      cli(['user', 'add', '--username', 'locked2', '--role', 'viewer', '--password-stdin'], 'Viewer-Passw0rd!');
      cli(['user', 'lock', '--username', 'locked2']);
    },
  });
  /* two failed sign-ins of tries2 (counted, not yet a lock) */
  for (let i = 0; i < 2; i++) {
    const r = await fetch(`${server.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'tries2', password: 'Wrong-Passw0rd-x' }),
    });
    assert.equal(r.status, 401);
  }
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
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
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

async function settled(page) {
  await page.waitForFunction(() => ![...document.querySelectorAll('.el-loading-mask')].some((m) => m.offsetParent !== null));
}

async function axeClean(page, name) {
  await page.mouse.move(0, 0); /* no hover colours in the check */
  /* Element Plus' toasts (#67c23a on #f0f9eb) are the shell's: checked once they are gone */
  await page.locator('.el-message').first().waitFor({ state: 'detached', timeout: 15_000 });
  await settled(page);
  await screenshot(page, name);
  assert.deepEqual(await axeCheck(page, name), [], `${name}: serious/critical axe violations`);
}

async function pick(page, testid, optionTestid) {
  await page.getByTestId(testid).click();
  await page.getByTestId(optionTestid).click();
}

test('sysadmin: users filters, failed attempts, 解锁, new user with masked phone', async () => {
  const { context, page, w } = await newPage();
  try {
    await login(page, SYS);
    await page.getByTestId('menu-users').click();
    await page.getByTestId('user-row-tries2').waitFor();
    await settled(page);
    assert.equal((await page.getByTestId('user-failed-tries2').innerText()).trim(), '2');
    /* administrators: no row actions, the console hint instead */
    await page.getByTestId('user-console-sec1').waitFor();
    assert.equal(await page.getByTestId('user-lock-sec1').count(), 0);
    await axeClean(page, 'admin-sysadmin-users');

    /* state filter: only the locked account */
    await pick(page, 'users-state', 'users-state-locked');
    await page.getByTestId('users-search').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="users-table"] tbody tr').length === 2);
    await page.getByTestId('user-row-locked1').waitFor();
    await page.getByTestId('user-row-locked2').waitFor();
    assert.match(await page.getByTestId('users-total').innerText(), /共 2 条/);
    assert.equal((await page.getByTestId('user-locked-until-locked1').innerText()).trim(), '管理员锁定（无期限）');
    const exportHref = await page.getByTestId('users-export').getAttribute('href');
    assert.match(exportHref, /state=locked/);
    assert.match(exportHref, /format=xlsx/);
    /* 解锁 */
    await page.getByTestId('user-lock-locked1').click();
    await page.getByTestId('user-locked-until-locked1').filter({ hasText: '—' }).waitFor();
    await page.getByTestId('user-locked-locked1').waitFor({ state: 'detached' });

    /* the new-user dialog: a bad phone is refused in Chinese before sending */
    await page.getByTestId('users-reset').click();
    await page.getByTestId('users-create').click();
    const dialog = page.getByTestId('user-dialog');
    await dialog.waitFor();
    await page.getByTestId('user-form-username').fill('wangfang');
    await page.getByTestId('user-form-real-name').fill('王芳');
    await page.getByTestId('user-form-phone').fill('139x');
    await page.getByTestId('user-form-organisation').fill('东城区卫健委');
    await page.getByTestId('user-form-submit').click();
    await dialog.getByText('联系电话应为 7–20 位数字').waitFor();
    await page.getByTestId('user-form-phone').fill('13912345678');
    await axeClean(page, 'admin-sysadmin-new-user-dialog');
    await page.getByTestId('user-form-submit').click();
    await page.getByTestId('temp-dialog').waitFor();
    await axeClean(page, 'admin-sysadmin-temp-dialog');
    await page.getByTestId('temp-close').click();
    await page.getByTestId('users-q').fill('王芳');
    await page.getByTestId('users-search').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="users-table"] tbody tr').length === 1);
    await page.getByTestId('user-row-wangfang').waitFor();
    assert.equal((await page.getByTestId('user-phone-wangfang').innerText()).trim(), '139****5678');
    assert.equal((await page.getByTestId('user-name-wangfang').innerText()).trim(), '王*');
    assert.equal(await page.getByText('13912345678').count(), 0, 'the full phone is not on the page');
    assert.deepEqual(w.pageErrors, []);
    assert.deepEqual(w.csp, []);
  } finally {
    await context.close();
  }
});

test('secadmin: security overview, policy with validation, read-only users', async () => {
  const { context, page, w } = await newPage();
  try {
    await login(page, SEC);
    await page.goto(`${server.base}/`);
    await page.waitForURL((u) => u.pathname === '/security');
    await page.getByTestId('security-page').waitFor();
    await settled(page);
    await page.getByTestId('security-policy-line').waitFor();
    assert.match(await page.getByTestId('security-policy-line').innerText(), /连续失败 5 次锁定 15 分钟/);
    assert.ok(Number((await page.getByTestId('security-failed-today').innerText()).match(/\d+/g).pop()) >= 2, 'the two failed sign-ins of today');
    await page.getByTestId('security-locked-table').getByText('locked2').waitFor();
    await page.getByTestId('security-recent-table').getByText('auth.login').first().waitFor();
    assert.equal(await page.getByText('实检').count(), 0, 'no business figures');
    await axeClean(page, 'admin-secadmin-home');

    await page.getByTestId('menu-policy').click();
    await page.getByTestId('policy-page').waitFor();
    await settled(page);
    const attempts = page.getByTestId('policy-lockout-attempts').locator('input');
    await attempts.fill('0');
    await attempts.blur();
    await page.getByTestId('policy-save').click();
    await page.getByText('请输入 1–100 之间的整数').waitFor();
    await axeClean(page, 'admin-secadmin-policy-invalid');
    /* the corrected value, typed and saved straight away (no blur first): the PUT goes out
     * and the page says so */
    await attempts.fill('7');
    await page.getByTestId('policy-save').click();
    await page.getByText('安全策略已保存').waitFor();
    await page.getByText('请输入 1–100 之间的整数').waitFor({ state: 'detached' });
    /* 放弃修改 reloads the stored value, not the one being typed */
    await attempts.fill('9');
    await attempts.blur();
    await page.getByTestId('policy-reload').click();
    await settled(page);
    assert.equal(await attempts.inputValue(), '7');
    /* back to 5 through the form (the other tests count on it), confirmed by the stored value */
    await attempts.fill('5');
    const put = page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/api/v1/settings/policy');
    await page.getByTestId('policy-save').click();
    assert.equal((await put).status(), 200);
    await page.getByTestId('policy-reload').click();
    await settled(page);
    assert.equal(await attempts.inputValue(), '5');

    await page.getByTestId('menu-users').click();
    await page.getByTestId('user-row-tries2').waitFor();
    assert.equal(await page.getByTestId('users-create').count(), 0, 'secadmin cannot create users');
    assert.equal(await page.getByTestId('user-lock-tries2').count(), 0, 'secadmin cannot unlock');
    await axeClean(page, 'admin-secadmin-users');
    assert.deepEqual(w.pageErrors, []);
  } finally {
    await context.close();
  }
});

test('auditor: action picker, result and date filters, expanded detail, Excel export', async () => {
  const { context, page, w } = await newPage();
  const dir = mkdtempSync(path.join(tmpdir(), 'jy-admin-'));
  try {
    await login(page, AUD);
    await page.getByTestId('menu-audit').click();
    await page.getByTestId('audit-table').locator('tbody tr').first().waitFor();
    await settled(page);
    /* the picker: search by the Chinese name */
    await page.getByTestId('audit-action').click();
    await page.keyboard.type('登录');
    await page.getByTestId('audit-action-auth.login').waitFor();
    await axeClean(page, 'admin-auditor-action-picker');
    await page.getByTestId('audit-action-auth.login').click();
    await pick(page, 'audit-result', 'audit-result-failed');
    await page.getByTestId('audit-today').click();
    await settled(page);
    await page.waitForFunction(() => /共 \d+ 条/.test(document.querySelector('[data-testid="audit-total"]')?.textContent ?? ''));
    const total = Number((await page.getByTestId('audit-total').innerText()).replace(/[^\d]/g, ''));
    assert.ok(total >= 2, 'the failed sign-ins of tries2 today');
    const names = await page.locator('[data-testid^="audit-action-name-"]').allInnerTexts();
    assert.ok(names.length > 0);
    for (const n of names) assert.equal(n.trim(), '登录');
    const rowsText = await page.getByTestId('audit-table').locator('tbody').innerText();
    assert.match(rowsText, /auth\.login/, 'the code beside the name');
    /* expand the first row: the whole detail */
    await page.getByTestId('audit-table').locator('.el-table__expand-icon').first().click();
    const detail = page.locator('[data-testid^="audit-detail-"]').first();
    await detail.waitFor();
    assert.match(await detail.innerText(), /登录 auth\.login/);
    await axeClean(page, 'admin-auditor-audit');

    /* export: the same query as .xlsx */
    const href = await page.getByTestId('audit-export').getAttribute('href');
    assert.match(href, /action=auth\.login/);
    assert.match(href, /result=failed/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export').click()]);
    const file = path.join(dir, 'audit.xlsx');
    await download.saveAs(file);
    const py = `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True).active
rows = [list(r) for r in ws.iter_rows(values_only=True)]
print(json.dumps({"head": rows[1], "data": rows[2:]}, ensure_ascii=False, default=str))
`;
    writeFileSync(path.join(dir, 'read.py'), py);
    const out = spawnSync('/usr/bin/python3', [path.join(dir, 'read.py'), file], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const book = JSON.parse(out.stdout);
    const ia = book.head.indexOf('操作');
    const ic = book.head.indexOf('操作代码');
    assert.ok(ia >= 0 && ic === ia + 1, `操作 then 操作代码 in ${book.head}`);
    assert.equal(book.data.length, total, 'the file has the list total');
    for (const r of book.data) {
      assert.equal(r[ia], '登录');
      assert.equal(r[ic], 'auth.login');
    }
    assert.deepEqual(w.pageErrors, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await context.close();
  }
});
