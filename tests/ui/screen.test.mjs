/* tests/ui/screen.test.mjs - the big screen (大屏, R2.7) in a real browser at 1920×1080
 * against a real server, signed in as a wall display with a kiosk token.
 *
 *   node --test tests/ui/screen.test.mjs
 *
 * JIAYUAN_BIN: the built server (default build/jiayuan); JIAYUAN_ARTIFACTS: screenshots
 * and the server log (default build/ui-artifacts).
 *
 * Before the server starts: the small demo district, a kiosk token for the whole district
 * (dashboard.read, stats.read, events.read, divisions.read), one scoped to a subdistrict,
 * a token that could write (refused as a kiosk), and a feeder token (samples.write). Then:
 *   - /screen#kiosk=<token> signs in without a keyboard; the token leaves the address bar,
 *     is sent once in an Authorization header and never in a URL;
 *   - no scrolling at 1920×1080 (document.scrollingElement.scrollHeight <= innerHeight,
 *     likewise the width), every panel inside the window, every chart drawn;
 *   - each headline figure equals the API's value (GET /api/v1/stats/overview), and the
 *     subdistrict shown in turn equals the API's figures for that subdistrict; the turn
 *     moves on to the next subdistrict;
 *   - samples posted over the API raise today's samples by exactly their number, live,
 *     without a reload (the DOM is polled with a generous deadline; values are asserted,
 *     never timings);
 *   - the kiosk session cannot POST, PATCH or DELETE anything (403), from the page itself;
 *   - a write-capable token is refused (the page says so), no token means "not signed in",
 *     and a subdistrict kiosk shows its own subdistrict only;
 *   - no CSP violation, page error or failed request.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Server, launchBrowser, screenshot, watch } from './harness.mjs';

const KIOSK_SCOPES = 'dashboard.read,stats.read,events.read,divisions.read';
const SUB = { code: '110102001', name: '西长安街街道' };
const EVENTUALLY_MS = 30_000;
const KPIS = ['scans_today', 'completion', 'sampled', 'sites_open', 'transports_in_flight', 'positives'];

const server = new Server();
let browser = null;
let base = '';
const tokens = {};

process.on('exit', () => server.killNow());

function lastLine(out) {
  return out.trim().split('\n').pop().trim();
}

before(async () => {
  await server.start({
    prepare: ({ cli }) => {
      cli(['demo', '--scale', 'small']);
      tokens.kiosk = lastLine(cli(['token', 'add', '--name', 'wall-district', '--scopes', KIOSK_SCOPES]));
      tokens.scoped = lastLine(cli(['token', 'add', '--name', 'wall-sub', '--scopes', KIOSK_SCOPES, '--subdistrict', SUB.code]));
      tokens.writer = lastLine(cli(['token', 'add', '--name', 'wall-writer', '--scopes', 'dashboard.read,stats.read,samples.write']));
      tokens.feeder = lastLine(cli(['token', 'add', '--name', 'feeder', '--scopes', 'samples.write,sites.read,plans.read']));
    },
  });
  for (const [k, v] of Object.entries(tokens)) assert.match(v, /^jy_\S{20,}$/, `token ${k} printed on the last line`);
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

async function call(token, method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/* ---------- samples for the feeder ---------- */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function idNumber(i) {
  const birth = new Date(Date.UTC(1950, 0, 1) + ((i * 7919) % 20000) * 86400000);
  const ymd = `${birth.getUTCFullYear()}${String(birth.getUTCMonth() + 1).padStart(2, '0')}${String(birth.getUTCDate()).padStart(2, '0')}`;
  const first17 = `110102${ymd}${String(100 + (i % 800)).padStart(3, '0')}`;
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += Number(first17[k]) * WEIGHTS[k];
  const c = (12 - (sum % 11)) % 11;
  return first17 + (c === 10 ? 'X' : String(c));
}

const run = randomBytes(4).toString('hex');
let serial = 0;
function sample(siteCode, planNo) {
  const i = serial++;
  return {
    source: 'ui-screen',
    external_id: `screen-${run}-${i}`,
    id_number: idNumber(i + 3000),
    name: `大屏${i}`,
    tube_code: `TSC${run}${String(i).padStart(4, '0')}`,
    site_code: siteCode,
    plan_no: planNo,
    collected_at: Date.now() - 1000,
  };
}

/* ---------- browser ---------- */

async function newWall() {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(EVENTUALLY_MS);
  const page = await context.newPage();
  const w = await watch(context, page);
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method(), authorization: r.headers().authorization ?? null }));
  return { context, page, w, requests };
}

async function waitReady(page) {
  await page.locator('[data-testid="screen"][data-phase="ready"]').waitFor();
  await page.locator('[data-testid="screen-live"][data-state="open"]').waitFor();
  for (const k of KPIS) await page.locator(`[data-testid="screen-kpi-${k}"]:not([data-value=""])`).waitFor();
  await page.locator('[data-testid="screen-focus-scans_today"]:not([data-value=""])').waitFor();
  await page.getByTestId('screen-updated').waitFor();
}

async function kpiValues(page, prefix, keys) {
  const out = {};
  for (const k of keys) out[k] = Number(await page.getByTestId(`${prefix}${k}`).getAttribute('data-value'));
  return out;
}

/** Waits until every figure shown equals the API's (the page may still be catching up). */
async function figuresEqual(page, prefix, keys, read) {
  const deadline = Date.now() + EVENTUALLY_MS;
  for (;;) {
    const want = await read();
    const shown = await kpiValues(page, prefix, keys);
    const expect = Object.fromEntries(keys.map((k) => [k, want[k]]));
    if (JSON.stringify(shown) === JSON.stringify(expect)) return shown;
    if (Date.now() > deadline) assert.deepEqual(shown, expect, `${prefix}: the figures shown equal the API's`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function assertClean(w, label, allowed = () => false) {
  assert.deepEqual(w.csp, [], `${label}: CSP violations`);
  assert.deepEqual(w.pageErrors, [], `${label}: page errors`);
  assert.deepEqual(w.failed, [], `${label}: failed requests`);
  assert.deepEqual(w.httpErrors, [], `${label}: HTTP errors`);
  assert.deepEqual(w.consoleErrors, [], `${label}: console errors`);
  const unexpected = w.apiErrors.filter((e) => !allowed(e));
  assert.deepEqual(unexpected, [], `${label}: unexpected API errors ${JSON.stringify(unexpected)}`);
}

test('a wall display signs in with its kiosk link and shows the live district figures at 1920×1080', { timeout: 240_000 }, async () => {
  const { context, page, w, requests } = await newWall();
  try {
    await page.goto(`${base}/screen?rotate=3#kiosk=${tokens.kiosk}`);
    await waitReady(page);

    // The token left the address bar and never travelled in a URL; one header carried it.
    assert.ok(!page.url().includes(tokens.kiosk) && !page.url().includes('kiosk='), `address bar: ${page.url()}`);
    assert.equal(requests.filter((r) => r.url.includes(tokens.kiosk)).length, 0, 'no request URL holds the token');
    const carried = requests.filter((r) => r.authorization !== null);
    assert.deepEqual(
      carried.map((r) => `${r.method} ${new URL(r.url).pathname} ${r.authorization === `Bearer ${tokens.kiosk}`}`),
      ['POST /api/v1/auth/kiosk true'],
    );
    assert.equal(await page.getByTestId('screen-kiosk').innerText(), '大屏终端');
    assert.equal(await page.getByTestId('screen-title').innerText(), '西城区核酸检测大屏');

    // No scrolling, every panel inside the window, every chart drawn.
    const fit = await page.evaluate(() => {
      const se = document.scrollingElement;
      const panels = [...document.querySelectorAll('[data-testid^="screen-panel-"]')].map((el) => {
        const r = el.getBoundingClientRect();
        return { id: el.getAttribute('data-testid'), top: r.top, left: r.left, bottom: r.bottom, right: r.right, canvases: el.querySelectorAll('canvas').length };
      });
      return { sh: se.scrollHeight, sw: se.scrollWidth, ih: innerHeight, iw: innerWidth, panels };
    });
    assert.equal(fit.iw, 1920);
    assert.equal(fit.ih, 1080);
    assert.ok(fit.sh <= fit.ih, `no vertical scrolling: scrollHeight ${fit.sh} <= ${fit.ih}`);
    assert.ok(fit.sw <= fit.iw, `no horizontal scrolling: scrollWidth ${fit.sw} <= ${fit.iw}`);
    assert.equal(fit.panels.length, 5);
    for (const p of fit.panels) {
      assert.ok(p.top >= 0 && p.left >= 0 && p.bottom <= fit.ih && p.right <= fit.iw, `${p.id} inside the window: ${JSON.stringify(p)}`);
      if (p.id !== 'screen-panel-kpis') assert.ok(p.canvases >= 1, `${p.id} draws a chart`);
    }

    // The headline figures are the API's.
    const overview = () => call(tokens.kiosk, 'GET', '/api/v1/stats/overview').then((r) => r.body);
    const shown0 = await figuresEqual(page, 'screen-kpi-', KPIS, overview);
    const api0 = await overview();
    assert.ok(api0.plan_no, 'the demo has a current round');
    assert.equal(await page.locator('[data-testid="screen-round"] b').innerText(), api0.plan_no);
    assert.equal((await page.getByTestId('screen-kpi-scans_today').locator('.kpi-value').innerText()).replace(/,/g, ''), String(shown0.scans_today));
    assert.ok(shown0.scans_today > 0, 'the demo has samples today');
    assert.equal((await page.getByTestId('screen-kpi-sampled-sub').innerText()).replace(/[^\d]/g, ''), String(api0.planned), 'planned shown under sampled');

    // The subdistrict in turn shows that subdistrict's figures, and the turn moves on.
    const focusKeys = ['scans_today', 'completion', 'sites_open', 'transports_in_flight', 'positives'];
    const subs = (await call(tokens.kiosk, 'GET', '/api/v1/divisions?level=2')).body.items.map((d) => d.code).sort();
    const first = await page.getByTestId('screen-focus-name').getAttribute('data-code');
    assert.ok(subs.includes(first), `the focus is a subdistrict: ${first}`);
    await figuresEqual(page, 'screen-focus-', focusKeys, () =>
      page.getByTestId('screen-focus-name').getAttribute('data-code').then((c) => call(tokens.kiosk, 'GET', `/api/v1/stats/overview?subdistrict=${c}`).then((r) => r.body)),
    );
    const next = subs[(subs.indexOf(first) + 1) % subs.length];
    await page.locator(`[data-testid="screen-focus-name"][data-code="${next}"]`).waitFor();
    assert.equal(await page.getByTestId('screen-focus-count').innerText(), `${subs.indexOf(next) + 1} / ${subs.length}`);
    await screenshot(page, 'screen-01-kiosk-1920x1080');

    // Samples posted over the API raise today's samples by exactly their number, live.
    const sites = await call(tokens.feeder, 'GET', '/api/v1/sites?limit=200');
    const open = sites.body.items; // any site takes samples: after 21:00 in Shanghai the demo's sites are closed
    assert.ok(open.length >= 2);
    await page.evaluate(() => (window.__jyNoReload = 'still here'));
    const batch = [sample(open[0].site_code ?? open[0].code, api0.plan_no), sample(open[1].site_code ?? open[1].code, api0.plan_no), sample(open[0].site_code ?? open[0].code, api0.plan_no)];
    const posted = await call(tokens.feeder, 'POST', '/api/v1/samples/batch', batch);
    assert.equal(posted.status, 200, JSON.stringify(posted.body));
    assert.equal(posted.body.accepted, 3, JSON.stringify(posted.body));
    const one = await call(tokens.feeder, 'POST', '/api/v1/samples', sample(open[1].site_code ?? open[1].code, api0.plan_no));
    assert.ok(one.status === 200 || one.status === 201, JSON.stringify(one.body));
    await page.waitForFunction(
      (v) => document.querySelector('[data-testid="screen-kpi-scans_today"]')?.getAttribute('data-value') === String(v),
      shown0.scans_today + 4,
      { timeout: EVENTUALLY_MS, polling: 50 },
    );
    const shown1 = await figuresEqual(page, 'screen-kpi-', KPIS, overview);
    assert.equal(shown1.scans_today, shown0.scans_today + 4);
    assert.equal(shown1.sampled, shown0.sampled + 4);
    assert.equal(await page.evaluate(() => window.__jyNoReload), 'still here', 'no reload');
    await screenshot(page, 'screen-02-after-ingest');

    // The kiosk session cannot change anything, whatever it tries from the page.
    const writes = await page.evaluate(async () => {
      const tries = [
        ['POST', '/api/v1/samples', '{}'],
        ['POST', '/api/v1/auth/kiosk', '{}'],
        ['POST', '/api/v1/auth/logout', '{}'],
        ['POST', '/api/v1/tokens', '{"name":"x","scopes":"stats.read"}'],
        ['DELETE', '/api/v1/tokens/1', null],
        ['PUT', '/api/v1/settings/policy', '{}'],
      ];
      const out = [];
      for (const [method, path, body] of tries) {
        const r = await fetch(path, { method, credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: body ?? undefined });
        const j = await r.json().catch(() => null);
        out.push(`${method} ${path} ${r.status} ${j?.error?.code}`);
      }
      return out;
    });
    for (const line of writes) assert.match(line, / 403 forbidden$/, line);
    assertClean(w, 'kiosk screen', (e) => e.status === 403 && e.method !== 'GET');
  } finally {
    await context.close();
  }
});

test('a subdistrict kiosk shows its own subdistrict only', { timeout: 120_000 }, async () => {
  const { context, page, w } = await newWall();
  try {
    await page.goto(`${base}/screen#kiosk=${tokens.scoped}`);
    await waitReady(page);
    assert.equal(await page.getByTestId('screen-title').innerText(), `${SUB.name}核酸检测大屏`);
    assert.equal(await page.getByTestId('screen-focus-name').getAttribute('data-code'), SUB.code);
    assert.equal(await page.getByTestId('screen-focus-count').innerText(), '1 / 1');
    assert.equal(await page.getByTestId('screen-area-title').innerText(), '各社区本轮采样人次');
    const own = () => call(tokens.scoped, 'GET', '/api/v1/stats/overview').then((r) => r.body);
    const shown = await figuresEqual(page, 'screen-kpi-', KPIS, own);
    const district = (await call(tokens.kiosk, 'GET', '/api/v1/stats/overview')).body;
    assert.ok(shown.scans_today < district.scans_today, `own subdistrict ${shown.scans_today} < district ${district.scans_today}`);
    const fit = await page.evaluate(() => [document.scrollingElement.scrollHeight, innerHeight]);
    assert.ok(fit[0] <= fit[1], `no scrolling: ${fit}`);
    await screenshot(page, 'screen-03-subdistrict-kiosk');
    assertClean(w, 'subdistrict kiosk');
  } finally {
    await context.close();
  }
});

test('a write-capable token is refused and no token means not signed in', { timeout: 120_000 }, async () => {
  const { context, page, w } = await newWall();
  try {
    await page.goto(`${base}/screen#kiosk=${tokens.writer}`);
    await page.locator('[data-testid="screen-message"][data-reason="refused"]').waitFor();
    assert.ok(!page.url().includes(tokens.writer), 'the refused token left the address bar too');
    assertClean(w, 'refused', (e) => e.path === '/api/v1/auth/kiosk' && e.status === 403 && e.method === 'POST');
  } finally {
    await context.close();
  }
  const fresh = await newWall();
  try {
    await fresh.page.goto(`${base}/screen`);
    await fresh.page.locator('[data-testid="screen-message"][data-reason="login"]').waitFor();
    assert.equal(await fresh.page.locator('[data-testid="screen-message"] a').getAttribute('href'), '/login?redirect=/screen');
    assertClean(fresh.w, 'not signed in', (e) => e.path === '/api/v1/auth/kiosk' && e.status === 401);
  } finally {
    await fresh.context.close();
  }
});
