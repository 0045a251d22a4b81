/* tests/ui/shell.test.mjs - the web UI shell in a real browser against a real server.
 *
 *   node --test tests/ui/
 *
 * JIAYUAN_BIN: the built server (default build/jiayuan); JIAYUAN_ARTIFACTS: where the
 * screenshots and the server log go (default build/ui-artifacts).
 *
 * Test 1 (admin, temporary password, role needs TOTP): login, forced password change,
 * forced TOTP enrolment with a code computed here (RFC 6238), the users page, creating a
 * user and seeing its temporary password, changing the own password from the header menu,
 * logout, and a second login through the TOTP step; the language switch is remembered.
 * Test 2 (district1): a wrong password shows the translated error with a request id; the
 * right one leads straight to the dashboard, without the users menu.
 * Test 3 (auditor1, role needs TOTP): enrolment, then the audit log with a filter and the
 * chain check, and no users menu.
 * All: the document is served with a CSP and SRI, no CSP violation is reported, no request
 * fails, and the only API errors are the expected ones.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ARTIFACTS, Server, launchBrowser, screenshot, totpCode, totpStep, watch } from './harness.mjs';

const ADMIN_INITIAL = 'Initial-Passw0rd!';
const ADMIN_SECOND = 'Jiayuan-Adm1n-Secure#2024';
const ADMIN_THIRD = 'Xicheng-Adm1n-Rotated#2025';
const STEP_TIMEOUT = 15_000;

const server = new Server();
let browser = null;
let base = '';

process.on('exit', () => server.killNow());

before(async () => {
  await server.start();
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

/** Fresh context + page with watchers; dumps a failure screenshot when fn throws. */
async function withPage(name, fn) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  try {
    await fn(page, w);
  } catch (e) {
    await screenshot(page, `${name}-FAILED`).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
  return w;
}

function assertClean(w, allowedApiErrors) {
  assert.deepEqual(w.csp, [], `CSP violations: ${w.csp.join('\n')}`);
  assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  assert.deepEqual(w.failed, [], `failed requests: ${w.failed.join('\n')}`);
  assert.deepEqual(w.httpErrors, [], `HTTP errors: ${w.httpErrors.join('\n')}`);
  assert.deepEqual(w.consoleErrors, [], `console errors: ${w.consoleErrors.join('\n')}`);
  const unexpected = w.apiErrors.filter((e) => !allowedApiErrors.some((a) => a.path === e.path && a.status === e.status));
  assert.deepEqual(unexpected, [], `unexpected API errors: ${JSON.stringify(unexpected)}`);
}

async function login(page, username, password) {
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

async function openUserMenu(page, item) {
  await page.getByTestId('user-menu-button').click();
  await page.getByTestId(item).click();
}

/** A code for the lowest TOTP step the server still accepts: it takes now-1..now+1 and only
 * steps above the last one used (replay protection). */
async function codeAfter(secret, lastStep) {
  for (;;) {
    const now = totpStep();
    const step = Math.max(now, lastStep + 1);
    if (step <= now + 1) return { code: totpCode(secret, step), step };
    await new Promise((r) => setTimeout(r, 1000));
  }
}

test('the document is served with CSP and SRI', async () => {
  const r = await fetch(`${base}/some/deep/link`);
  assert.equal(r.status, 200, 'history-routing fallback serves index.html');
  const csp = r.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/, `CSP header: ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `CSP header: ${csp}`);
  const html = await r.text();
  const tags = [...html.matchAll(/<(script|link)\b[^>]*>/g)].map((m) => m[0]);
  const needing = tags.filter((t) => t.startsWith('<script') || /rel="(stylesheet|modulepreload)"/.test(t));
  assert.ok(needing.length >= 2, `scripts and stylesheets in index.html: ${needing.join('\n')}`);
  for (const t of needing) {
    assert.match(t, /integrity="sha384-[A-Za-z0-9+/=]+"/, `no SRI: ${t}`);
    assert.match(t, /crossorigin/, `no crossorigin: ${t}`);
  }
});

test('admin: forced password change, TOTP enrolment, users, own password, logout', async () => {
  let secret = '';
  let lastStep = 0;
  const w = await withPage('admin', async (page) => {
    await page.goto(`${base}/`);
    await page.waitForURL(/\/login/);
    await page.getByTestId('login-username').waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    // Tabbing through the untouched empty form paints nothing red (issue 14).
    await page.getByTestId('login-username').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.locator('.el-form-item__error').count(), 0, 'no validation on blur of an untouched form');
    await screenshot(page, '01-admin-login');

    await login(page, 'admin', ADMIN_INITIAL);
    await page.waitForURL(/\/welcome\/password/);
    await page.getByTestId('force-password').waitFor();
    assert.equal(await page.getByTestId('side-menu').count(), 0, 'no menu before the password change');
    await screenshot(page, '02-admin-force-password');

    await page.getByTestId('pw-current').fill(ADMIN_INITIAL);
    await page.getByTestId('pw-new').fill(ADMIN_SECOND);
    await page.getByTestId('pw-confirm').fill(ADMIN_SECOND);
    await page.getByTestId('pw-submit').click();

    await page.waitForURL(/\/welcome\/totp/);
    const secretEl = page.getByTestId('totp-secret');
    await secretEl.waitFor();
    secret = (await secretEl.innerText()).replace(/\s+/g, '');
    assert.match(secret, /^[A-Z2-7]{16,}$/, `TOTP secret on the page: ${secret}`);
    const qr = await page.getByTestId('totp-qr').getAttribute('src');
    assert.match(qr ?? '', /^data:image\/png;base64,/, 'QR code drawn client-side as a data: URL');
    assert.equal(await page.getByTestId('side-menu').count(), 0, 'no menu before TOTP enrolment');
    await screenshot(page, '03-admin-force-totp');

    const first = await codeAfter(secret, 0);
    lastStep = first.step;
    await page.getByTestId('totp-code').fill(first.code);
    await page.getByTestId('totp-enable').click();

    await page.waitForURL((u) => u.pathname === '/');
    await page.getByTestId('dashboard').waitFor();
    const menu = page.getByTestId('side-menu');
    await menu.waitFor();
    assert.ok(await menu.getByText('用户管理').isVisible(), '用户管理 in the menu for sysadmin');
    assert.equal(await menu.getByText('审计日志').count(), 0, 'sysadmin does not read the audit log (三权分立)');
    assert.equal(await page.getByTestId('header-username').innerText(), 'admin');
    assert.equal(await page.getByTestId('header-role').innerText(), '系统管理员');
    assert.match(await page.getByTestId('dashboard-empty').innerText(), /数据接入后显示/);
    await screenshot(page, '04-admin-dashboard');

    await page.getByTestId('menu-users').click();
    await page.waitForURL(/\/users$/);
    await page.getByTestId('user-row-district1').waitFor();
    assert.ok(await page.getByTestId('user-row-admin').isVisible());
    await screenshot(page, '05-admin-users');

    // Create a subdistrict user: role and subdistrict are chosen from the dropdowns.
    await page.getByTestId('users-create').click();
    const dialog = page.locator('.el-dialog:visible');
    await dialog.waitFor();
    await page.getByTestId('user-form-username').fill('xichang1');
    await dialog.locator('[data-testid="user-form-role"]').click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '街道用户' }).click();
    await dialog.locator('[data-testid="user-form-subdistrict"]').click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '西长安街街道' }).click();
    await screenshot(page, '06-admin-create-user');
    await page.getByTestId('user-form-submit').click();

    const temp = page.getByTestId('temporary-password');
    await temp.waitFor();
    const tempPassword = (await temp.innerText()).trim();
    assert.ok(tempPassword.length >= 12, `temporary password shown (${tempPassword.length} chars)`);
    await screenshot(page, '07-admin-temporary-password');
    await page.getByTestId('temp-close').click();
    await temp.waitFor({ state: 'hidden' });
    await page.getByTestId('user-row-xichang1').waitFor();
    const row = page.locator('tr', { has: page.getByTestId('user-row-xichang1') });
    assert.match(await row.innerText(), /西长安街街道/);
    assert.match(await row.innerText(), /待改密/);

    // Lock (with confirmation) and unlock; reset the password (PATCH and reset-password).
    const confirmBox = async () => {
      await page.locator('.el-message-box__btns .el-button--primary:visible').click();
      await page.locator('.el-message-box').waitFor({ state: 'hidden' });
    };
    await page.getByTestId('user-lock-xichang1').click();
    await confirmBox();
    await row.getByText('已锁定').waitFor();
    await screenshot(page, '07a-admin-user-locked');
    await page.getByTestId('user-lock-xichang1').click(); // unlock: no confirmation
    await row.getByText('正常').waitFor();
    await page.getByTestId('user-reset-xichang1').click();
    await confirmBox();
    const temp2 = page.getByTestId('temporary-password');
    await temp2.waitFor();
    const reset = (await temp2.innerText()).trim();
    assert.ok(reset.length >= 12 && reset !== tempPassword, 'a new temporary password after reset');
    await page.getByTestId('temp-close').click();
    await temp2.waitFor({ state: 'hidden' });

    // Own password from the header's user menu.
    await openUserMenu(page, 'menu-password');
    await page.waitForURL(/\/account\/password$/);
    await page.getByTestId('pw-current').fill(ADMIN_SECOND);
    await page.getByTestId('pw-new').fill(ADMIN_THIRD);
    await page.getByTestId('pw-confirm').fill(ADMIN_THIRD);
    await page.getByTestId('pw-submit').click();
    await page.getByTestId('password-success').waitFor();
    await screenshot(page, '08-admin-password-changed');

    // The TOTP page from the user menu says it is on.
    await openUserMenu(page, 'menu-totp');
    await page.getByTestId('totp-enabled').waitFor();

    // English is remembered across a reload.
    await page.getByTestId('lang-en').click();
    await page.getByTestId('side-menu').getByText('Users').waitFor();
    await page.reload();
    await page.getByTestId('side-menu').getByText('Users').waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await screenshot(page, '09-admin-english');
    await page.getByTestId('lang-zh').click();
    await page.getByTestId('side-menu').getByText('用户管理').waitFor();

    await openUserMenu(page, 'menu-logout');
    await page.waitForURL(/\/login/);
    await page.getByTestId('login-notice').waitFor();
    await screenshot(page, '10-admin-logged-out');

    // Logged out means logged out: a deep link goes back to the login page.
    await page.goto(`${base}/users`);
    await page.waitForURL(/\/login\?redirect=/);

    // Second login: password, then the TOTP step, then back to the page asked for.
    await login(page, 'admin', ADMIN_THIRD);
    await page.getByTestId('login-totp').waitFor();
    await screenshot(page, '11-admin-login-totp');
    const second = await codeAfter(secret, lastStep);
    lastStep = second.step;
    await page.getByTestId('login-totp').fill(second.code);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(/\/users$/);
    await page.getByTestId('user-row-xichang1').waitFor();
    await openUserMenu(page, 'menu-logout');
    await page.waitForURL(/\/login/);
  });
  assertClean(w, [
    { path: '/api/v1/auth/me', status: 401 },
    { path: '/api/v1/auth/login', status: 401 }, // totp_required before the code step
  ]);
  const totpRequired = w.apiErrors.filter((e) => e.path === '/api/v1/auth/login');
  assert.equal(totpRequired.length, 1, 'exactly one login answered totp_required');
});

test('district1: no TOTP, dashboard, no users menu, translated errors', async () => {
  const w = await withPage('district', async (page) => {
    await page.goto(`${base}/login`);
    await login(page, 'district1', 'wrong-password');
    const err = page.getByTestId('error-alert');
    await err.waitFor();
    assert.equal(await err.getAttribute('data-code'), 'login_failed');
    assert.equal(await page.getByTestId('error-text').innerText(), '用户名或密码错误'); // the server's message, as given
    assert.ok((await page.getByTestId('error-request-id').innerText()).trim().length > 0, 'request id shown');
    await screenshot(page, '20-district-login-failed');

    await page.getByTestId('login-password').fill('District-Passw0rd!');
    await page.getByTestId('login-submit').click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByTestId('dashboard').waitFor();
    const menu = page.getByTestId('side-menu');
    assert.ok(await menu.getByText('仪表盘').isVisible());
    assert.equal(await menu.getByText('用户管理').count(), 0, 'no 用户管理 for a district user');
    assert.equal(await menu.getByText('审计日志').count(), 0, 'no 审计日志 for a district user');
    assert.equal(await page.getByTestId('header-role').innerText(), '区级用户');
    assert.equal(await page.getByTestId('dashboard-scope').innerText(), '全区');
    assert.match(await page.getByTestId('dashboard-empty').innerText(), /数据接入后显示/);
    await screenshot(page, '21-district-dashboard');

    // A deep link to a page without permission lands on the dashboard.
    await page.goto(`${base}/users`);
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByTestId('dashboard').waitFor();

    await openUserMenu(page, 'menu-logout');
    await page.waitForURL(/\/login/);
    await screenshot(page, '22-district-logged-out');
  });
  assertClean(w, [
    { path: '/api/v1/auth/me', status: 401 },
    { path: '/api/v1/auth/login', status: 401 }, // the wrong password
  ]);
  console.log(`screenshots in ${ARTIFACTS}`);
});

test('auditor1: TOTP enrolment, audit log filter and chain verification', async () => {
  const w = await withPage('auditor', async (page) => {
    await page.goto(`${base}/audit`);
    await page.waitForURL(/\/login\?redirect=/);
    await login(page, 'auditor1', 'Auditor-Passw0rd!');
    await page.waitForURL(/\/welcome\/totp/);
    const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');

    // A wrong code is refused with a translated message, then the right one is accepted.
    const good = await codeAfter(secret, 0);
    const wrong = good.code === '000000' ? '111111' : '000000';
    await page.getByTestId('totp-code').fill(wrong);
    await page.getByTestId('totp-enable').click();
    await page.getByTestId('error-alert').waitFor();
    assert.equal(await page.getByTestId('error-text').innerText(), '验证码错误或已过期');
    await page.getByTestId('totp-code').fill(good.code);
    await page.getByTestId('totp-enable').click();

    // Back to the page first asked for.
    await page.waitForURL(/\/audit$/);
    const menu = page.getByTestId('side-menu');
    await menu.getByText('审计日志').waitFor();
    assert.equal(await menu.getByText('用户管理').count(), 0, 'no 用户管理 for the auditor');
    const table = page.getByTestId('audit-table');
    await table.locator('tbody tr').first().waitFor();
    assert.match(await table.innerText(), /auth\.totp\.enable/, 'own enrolment is in the log');
    await screenshot(page, '30-auditor-audit');

    await page.getByTestId('audit-actor').fill('admin');
    const filtered = page.waitForResponse((r) => r.url().includes('/api/v1/audit?') && r.url().includes('actor=admin'));
    await page.getByTestId('audit-search').click();
    assert.equal((await filtered).status(), 200);
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="audit-table"] tbody tr')];
      // columns: expand, #, time, actor, …
      return rows.length > 0 && rows.every((r) => r.children[3]?.textContent?.trim() === 'admin');
    });

    await page.getByTestId('audit-verify').click();
    const result = page.getByTestId('audit-verify-result');
    await result.waitFor();
    assert.equal(await result.getAttribute('data-ok'), 'true', await result.innerText());
    assert.match(await result.innerText(), /日志链完整/);
    await screenshot(page, '31-auditor-verified');

    await openUserMenu(page, 'menu-logout');
    await page.waitForURL(/\/login/);
  });
  assertClean(w, [
    { path: '/api/v1/auth/me', status: 401 },
    { path: '/api/v1/auth/totp/enable', status: 400 }, // the wrong code
  ]);
});
