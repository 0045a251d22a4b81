/* tests/ui/dashboard.test.mjs - the live dashboard in a real browser against a real server.
 *
 *   node --test tests/ui/dashboard.test.mjs
 *
 * JIAYUAN_BIN: the built server (default build/jiayuan); JIAYUAN_ARTIFACTS: where the
 * screenshots and the server log go (default build/ui-artifacts).
 *
 * Before the server starts, the small demo district is loaded (`jiayuan demo --scale
 * small`), a district and a subdistrict account are made, and an API token for an upstream
 * feeder (samples.write, sites.read, plans.read). Both accounts log in through the UI and
 * open the dashboard; the test reads 今日采样人次 on both pages, then posts new samples
 * with the token - some one by one at a site of the subdistrict account's own
 * subdistrict, a batch at a site of another subdistrict - and checks, without any
 * navigation or reload (waiting for each state with a generous deadline, never asserting
 * how long anything took; timings belong in bench/):
 *   - the district page shows exactly all the new samples more (today and in the round);
 *   - the subdistrict page shows exactly its own subdistrict's new samples more, and not
 *     the other subdistrict's (the server scopes the numbers and the events);
 *   - the burst of events is coalesced: while the district page's overview read is held
 *     back (Playwright routing), the events that arrive start no second read, and once it
 *     is let go exactly one more read follows, carrying everything marked meanwhile
 *     (counted against the events the page's EventSource actually delivered).
 * Also: the scope shown, the live indicator, the English labels, screenshots before and
 * after, no CSP violation, no failed request, no unexpected API error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ARTIFACTS, Server, launchBrowser, screenshot, watch } from './harness.mjs';

const DISTRICT = { username: 'dash_district', password: 'Dash-District-Passw0rd!' };
const SUBDISTRICT = { username: 'dash_xichang', password: 'Dash-Subdist-Passw0rd!', code: '110102001', name: '西长安街街道' };
const STEP_TIMEOUT = 15_000;
/** Deadline of a wait-until-condition (a failure only when nothing happens at all). */
const EVENTUALLY_MS = 30_000;

const server = new Server();
let browser = null;
let base = '';
let token = '';

process.on('exit', () => server.killNow());

before(async () => {
  await server.start({
    prepare: ({ cli }) => {
      cli(['demo', '--scale', 'small']);
      cli(['user', 'add', '--username', DISTRICT.username, '--role', 'district', '--password-stdin'], DISTRICT.password);
      cli(
        ['user', 'add', '--username', SUBDISTRICT.username, '--role', 'subdistrict', '--subdistrict', SUBDISTRICT.code, '--password-stdin'],
        SUBDISTRICT.password,
      );
      const out = cli(['token', 'add', '--name', 'feeder', '--scopes', 'samples.write,sites.read,plans.read']);
      token = out.trim().split('\n').pop().trim();
    },
  });
  assert.match(token, /^\S{20,}$/, 'the token is printed on the last line');
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

/* ---------- data for the feeder ---------- */

/** yyyymmdd of ms in Asia/Shanghai. */
function shanghaiDate(ms) {
  const d = new Date(ms + 8 * 3600 * 1000);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits. */
function checkDigit(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  const c = (12 - (sum % 11)) % 11;
  return c === 10 ? 'X' : String(c);
}

/** A valid 18-character ID number: Xicheng region, a birth date in 1950-2004, sequence. */
function idNumber(i) {
  const birth = new Date(Date.UTC(1950, 0, 1) + ((i * 7919) % 20000) * 86400000);
  const ymd = `${birth.getUTCFullYear()}${String(birth.getUTCMonth() + 1).padStart(2, '0')}${String(birth.getUTCDate()).padStart(2, '0')}`;
  const first17 = `110102${ymd}${String(100 + (i % 800)).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
}

test('ID numbers carry a correct MOD 11-2 check digit', () => {
  assert.equal(checkDigit('11010519491231002'), 'X'); // the example of GB 11643-1999
  assert.equal(checkDigit('11010219900307001'), '8'); // as the server's core/idno.c computes it
  for (let i = 0; i < 50; i++) assert.match(idNumber(i), /^110102(19[5-9]\d|200[0-4])\d{4}\d{3}[\dX]$/);
});

async function feeder(method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

let serial = 0;
const run = randomBytes(4).toString('hex');
function sample(siteCode, planNo) {
  const i = serial++;
  return {
    source: 'ui-test',
    external_id: `dash-${run}-${i}`,
    id_number: idNumber(i + 1000),
    name: `测试${i}`,
    tube_code: `TUI${run}${String(i).padStart(4, '0')}`,
    site_code: siteCode,
    plan_no: planNo,
    collected_at: Date.now() - 1000,
  };
}

/* ---------- browser ---------- */

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  // Records every event the page's (real) EventSource delivers, by topic, before the page
  // handles it: the test counts what arrived instead of waiting for a time to pass.
  await context.addInitScript(() => {
    const Native = window.EventSource;
    window.__jyEvents = [];
    window.EventSource = class extends Native {
      addEventListener(type, fn, opts) {
        if (typeof fn === 'function' && type !== 'open' && type !== 'error' && type !== 'message') {
          const inner = fn;
          fn = function (ev) {
            window.__jyEvents.push(type);
            return inner.call(this, ev);
          };
        }
        return super.addEventListener(type, fn, opts);
      }
    };
  });
  const page = await context.newPage();
  const w = await watch(context, page);
  return { context, page, w };
}

/** How many events of topic the page has received. */
function eventsSeen(page, topic) {
  return page.evaluate((tp) => window.__jyEvents.filter((x) => x === tp).length, topic);
}

/** Polls cond() until it is true; fails after EVENTUALLY_MS with what. */
async function eventually(cond, what) {
  const deadline = Date.now() + EVENTUALLY_MS;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`not reached within ${EVENTUALLY_MS / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function openDashboard(page, who) {
  await page.goto(`${base}/login`);
  await page.getByTestId('login-username').fill(who.username);
  await page.getByTestId('login-password').fill(who.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByTestId('dashboard').waitFor();
  // Live (the stream is subscribed) and the numbers read.
  await page.locator('[data-testid="live-state"][data-state="open"]').waitFor();
  await page.locator('[data-testid="kpi-scans-today-value"]:not([data-value=""])').waitFor();
  await page.getByTestId('last-update').filter({ hasText: /\d\d:\d\d:\d\d/ }).waitFor();
  await page.mouse.move(0, 0); // no chart hover box in the screenshots
}

/** The number shown in a KPI card, read as a person would (thousands separators dropped),
 * checked against the card's data-value. */
async function kpi(page, name) {
  const el = page.getByTestId(`kpi-${name}-value`);
  const text = (await el.innerText()).trim();
  assert.match(text, /^\d{1,3}(,\d{3})*$/, `kpi ${name} shown with thousands separators: "${text}"`);
  const shown = Number(text.replace(/,/g, ''));
  assert.equal(String(shown), await el.getAttribute('data-value'), `kpi ${name}: text and data-value agree`);
  return shown;
}

/** Waits until the KPI shows want (without a reload: the live update). */
async function kpiBecomes(page, name, want) {
  await page.waitForFunction(
    ([testid, v]) => {
      const el = document.querySelector(`[data-testid="${testid}"]`);
      return !!el && el.textContent.replace(/[^\d]/g, '') === String(v);
    },
    [`kpi-${name}-value`, want],
    { timeout: EVENTUALLY_MS, polling: 50 },
  );
}

function assertClean(w, label) {
  assert.deepEqual(w.csp, [], `${label}: CSP violations: ${w.csp.join('\n')}`);
  assert.deepEqual(w.pageErrors, [], `${label}: page errors: ${w.pageErrors.join('\n')}`);
  assert.deepEqual(w.failed, [], `${label}: failed requests: ${w.failed.join('\n')}`);
  assert.deepEqual(w.httpErrors, [], `${label}: HTTP errors: ${w.httpErrors.join('\n')}`);
  assert.deepEqual(w.consoleErrors, [], `${label}: console errors: ${w.consoleErrors.join('\n')}`);
  const unexpected = w.apiErrors.filter((e) => !(e.path === '/api/v1/auth/me' && e.status === 401));
  assert.deepEqual(unexpected, [], `${label}: unexpected API errors: ${JSON.stringify(unexpected)}`);
}

test('new samples show up live on the district and subdistrict dashboards', { timeout: 180_000 }, async () => {
  const planNo = `XC${shanghaiDate(Date.now())}`;
  const plan = await feeder('GET', `/api/v1/plans/${planNo}`);
  assert.equal(plan.status, 200, `today's demo round ${planNo} exists: ${JSON.stringify(plan.body)}`);
  const sites = await feeder('GET', '/api/v1/sites?limit=200');
  // Any site takes samples (the demo closes its sites at 21:00 Shanghai time, so a filter on
  // status 'open' made this test depend on the hour it runs).
  assert.equal(sites.status, 200);
  const own = sites.body.items.find((s) => s.subdistrict === SUBDISTRICT.code);
  const other = sites.body.items.find((s) => s.subdistrict !== SUBDISTRICT.code);
  assert.ok(own && other, 'demo sites in and outside the subdistrict');

  const d = await newPage();
  const s = await newPage();
  try {
    try {
      await Promise.all([openDashboard(d.page, DISTRICT), openDashboard(s.page, SUBDISTRICT)]);

      assert.equal(await d.page.getByTestId('dashboard-scope').innerText(), '全区');
      assert.equal(await s.page.getByTestId('dashboard-scope').innerText(), `${SUBDISTRICT.name}（${SUBDISTRICT.code}）`);
      assert.equal(await d.page.getByTestId('live-state').innerText(), '实时');
      assert.match(await d.page.getByTestId('kpi-scans-today').innerText(), /今日采样人次/);
      await d.page.getByTestId('chart-subdistricts').waitFor();
      await s.page.getByTestId('chart-communities').waitFor();
      await d.page.locator('[data-testid="top-sites"] tbody tr').first().waitFor();

      // 导出Excel: the round's table by subdistrict (district) or community (subdistrict), as .xlsx
      for (const [page, stat] of [[d.page, 'plan_by_subdistrict'], [s.page, 'scans_by_community']]) {
        const href = await page.getByTestId('dashboard-xlsx').getAttribute('href');
        assert.ok(href.startsWith(`/api/v1/stats/${stat}?`) && href.includes('format=xlsx') && href.includes("plan_no=XC"), href);
        const x = await page.request.get(`${base}${href}`);
        assert.equal(x.status(), 200, `${href}: ${x.status()}`);
        assert.match(x.headers()['content-type'], /spreadsheetml/);
        assert.equal((await x.body()).subarray(0, 2).toString(), 'PK');
      }

      const d0 = await kpi(d.page, 'scans-today');
      const dSampled0 = await kpi(d.page, 'sampled');
      const s0 = await kpi(s.page, 'scans-today');
      assert.ok(s0 <= d0, `the subdistrict sees at most the district's samples (${s0} <= ${d0})`);

      // Nothing below may navigate or reload either page.
      const navigations = [];
      for (const { page } of [d, s]) {
        page.on('framenavigated', (f) => {
          if (f === page.mainFrame()) navigations.push(f.url());
        });
        await page.evaluate(() => {
          window.__jyNoReload = 'still here';
        });
      }
      await screenshot(d.page, 'dash-01-district-before');
      await screenshot(s.page, 'dash-02-subdistrict-before');

      // The district page's overview reads, with the scans_today of each reply in order.
      // While `hold` is set, a read is held back before it reaches the server.
      const reads = [];
      const values = [];
      let hold = null;
      let release = () => {};
      await d.page.route('**/api/v1/stats/overview*', async (route) => {
        reads.push(route.request().url());
        if (hold) await hold;
        await route.continue();
      });
      d.page.on('response', async (r) => {
        if (new URL(r.url()).pathname !== '/api/v1/stats/overview' || r.status() !== 200) return;
        values.push((await r.json()).scans_today);
      });
      const dEvents0 = await eventsSeen(d.page, 'samples.counts');
      const sEvents0 = await eventsSeen(s.page, 'samples.counts');

      // A burst: samples one by one at the subdistrict's own site (one event each), then
      // a batch at another subdistrict's site (one event). The first event's read is held
      // back; the others arrive while it is in flight.
      const ownCount = 6;
      const otherCount = 5;
      hold = new Promise((r) => (release = r));
      const readsBefore = reads.length;
      const post1 = async () => {
        const r = await feeder('POST', '/api/v1/samples', sample(own.code, planNo));
        assert.equal(r.status, 201, `sample accepted: ${JSON.stringify(r.body)}`);
      };
      await post1();
      await eventually(async () => (await eventsSeen(d.page, 'samples.counts')) >= dEvents0 + 1, 'the district page got the first event');
      await eventually(async () => reads.length > readsBefore, 'the first event started an overview read');
      for (let i = 1; i < ownCount; i++) await post1();
      const batch = await feeder('POST', '/api/v1/samples/batch', Array.from({ length: otherCount }, () => sample(other.code, planNo)));
      assert.equal(batch.status, 200, JSON.stringify(batch.body));
      assert.equal(batch.body.accepted, otherCount, `batch accepted: ${JSON.stringify(batch.body)}`);
      await eventually(
        async () => (await eventsSeen(d.page, 'samples.counts')) === dEvents0 + ownCount + 1,
        `the district page got ${ownCount + 1} events`,
      );
      await eventually(async () => (await eventsSeen(s.page, 'samples.counts')) === sEvents0 + ownCount, `the subdistrict page got ${ownCount} events`);

      // Never two refreshes at once: the events that came during the held read started none.
      assert.equal(reads.length - readsBefore, 1, `one overview read in flight while ${ownCount + 1} events arrived`);
      const valuesBefore = values.length;
      hold = null;
      release();
      // Coalesced, nothing lost: exactly one more read follows, and the page shows all.
      await eventually(async () => values.length >= valuesBefore + 2, 'the held read and one more were answered');
      await kpiBecomes(d.page, 'scans-today', d0 + ownCount + otherCount);
      await kpiBecomes(d.page, 'sampled', dSampled0 + ownCount + otherCount);
      assert.equal(reads.length - readsBefore, 2, `${ownCount + 1} events made ${reads.length - readsBefore} overview reads`);
      const replies = values.slice(valuesBefore);
      assert.equal(replies[replies.length - 1], d0 + ownCount + otherCount, `the last read has every new sample: ${replies}`);
      for (let i = 1; i < replies.length; i++) assert.ok(replies[i] >= replies[i - 1], `replies in order: ${replies}`);

      // The subdistrict page: exactly its own subdistrict's new samples, live; a read made
      // after the other subdistrict's batch was stored still leaves that batch out.
      await kpiBecomes(s.page, 'scans-today', s0 + ownCount);
      const sRead = s.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/stats/overview' && r.status() === 200);
      await s.page.getByTestId('dashboard-refresh').click();
      assert.equal((await (await sRead).json()).scans_today, s0 + ownCount, 'the subdistrict never counts the other subdistrict');
      await kpiBecomes(s.page, 'scans-today', s0 + ownCount);
      assert.equal(await kpi(d.page, 'scans-today'), d0 + ownCount + otherCount);
      assert.equal(await kpi(d.page, 'sampled'), dSampled0 + ownCount + otherCount);
      assert.equal(await kpi(s.page, 'scans-today'), s0 + ownCount);

      assert.deepEqual(navigations, [], 'no navigation or reload');
      for (const { page } of [d, s]) assert.equal(await page.evaluate(() => window.__jyNoReload), 'still here', 'same document');
      assert.match(await d.page.getByTestId('last-update').innerText(), /^更新于 \d\d:\d\d:\d\d$/);
      await screenshot(d.page, 'dash-03-district-after');
      await screenshot(s.page, 'dash-04-subdistrict-after');
      console.log(
        `scans today: district ${d0} -> ${d0 + ownCount + otherCount}, subdistrict ${s0} -> ${s0 + ownCount}; ` +
          `${ownCount + 1} events, ${reads.length - readsBefore} overview reads on the district page`,
      );

      // English labels, same numbers, still no reload.
      await d.page.getByTestId('lang-en').click();
      await d.page.getByTestId('kpi-scans-today').getByText('Samples today').waitFor();
      assert.equal(await d.page.getByTestId('live-state').innerText(), 'Live');
      assert.equal(await kpi(d.page, 'scans-today'), d0 + ownCount + otherCount);
      await screenshot(d.page, 'dash-05-district-english');
      await d.page.getByTestId('lang-zh').click();
      await d.page.getByTestId('kpi-scans-today').getByText('今日采样人次').waitFor();
      assert.deepEqual(navigations, [], 'no navigation or reload');

      // Leaving the page closes the stream (listed apart by the watcher, not a failure).
      await d.page.getByTestId('user-menu-button').click();
      await d.page.getByTestId('menu-logout').click();
      await d.page.waitForURL(/\/login/);
    } catch (e) {
      await screenshot(d.page, 'dash-district-FAILED').catch(() => {});
      await screenshot(s.page, 'dash-subdistrict-FAILED').catch(() => {});
      throw e;
    }
  } finally {
    await d.context.close();
    await s.context.close();
  }
  assertClean(d.w, 'district');
  assertClean(s.w, 'subdistrict');
  assert.ok(d.w.closedStreams.length >= 1, 'the district page closed its event stream on logout');
  console.log(`screenshots in ${ARTIFACTS}`);
});
