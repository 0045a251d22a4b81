/* tests/ui/video.test.mjs - issue 9 (live video) in a real browser against a real server and
 * real RTSP cameras (R3.1-R3.6, R3.12).
 *
 *   JIAYUAN_BIN=build/jiayuan node --test tests/ui/video.test.mjs
 *
 * Three fake cameras (tests/support/fake_camera.py, GStreamer's RTSP server under
 * /usr/bin/python3), each its own process so that each can be counted or killed alone: A (H.264,
 * with the status port that counts the RTSP sessions the gateway holds), B (H.264, killed and
 * started again on the same port) and C (H.265). The server runs with a 2 s linger and a 2 s
 * read timeout. district1 opens 视频墙, drags camera A onto a tile and clicks camera B into the
 * next one: both play (the video's currentTime advances, a frame drawn on a canvas is not
 * black). Two more pages play camera A: three viewers, one upstream RTSP session at the
 * camera. All three leave: the session stops (no RTSP session left at the camera). Camera B is
 * killed: its tile leaves "playing" and the ledger says offline; started again, the tile plays
 * again. Camera C (H.265) shows the H.265 message and a snapshot picture. The camera list's
 * play button opens camera A live in a dialog. A vendor token with
 * video.play gets play links (R3.6): the embed page plays with no cookie (through our MSE
 * appender, then through hls.js on the LL-HLS playlist), a tampered link gets 403. No CSP
 * violation and no page error anywhere. Values and order only: every wait is for a state,
 * with a generous deadline; no timing assertion.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, Server, launchBrowser, screenshot, watch } from './harness.mjs';

const STEP_TIMEOUT = 30_000;
const LONG_TIMEOUT = 90_000; /* a camera's return: the gateway's reconnect back-off */
const PYTHON = '/usr/bin/python3';
const FAKE_CAMERA = path.join(ROOT, 'tests', 'support', 'fake_camera.py');
const SUBDISTRICT = '110102016';
const SERVE_ARGS = ['--media-linger', '2', '--media-rw-timeout', '2000', '--media-probe-interval', '3600'];

const server = new Server();
const cams = {};
let browser = null;
let vendorToken = '';

/** One fake camera process: start (optionally on a given port), status, kill. */
class FakeCamera {
  constructor(mount, { status = false } = {}) {
    this.mount = mount;
    this.withStatus = status;
    this.proc = null;
    this.port = 0;
    this.url = '';
    this.statusUrl = '';
  }

  async start(port = 0) {
    const args = [FAKE_CAMERA, '--port', String(port), '--mount', this.mount];
    if (this.withStatus) args.push('--status-port', '0');
    this.proc = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise((resolve, reject) => {
      let buf = '';
      const t = setTimeout(() => reject(new Error(`fake camera ${this.mount}: no ready line`)), STEP_TIMEOUT);
      this.proc.once('exit', (c) => reject(new Error(`fake camera ${this.mount} exited (${c})`)));
      this.proc.stdout.on('data', (d) => {
        buf += d;
        const m = buf.match(/fake-camera ready [^\n]*\n/);
        if (m) {
          clearTimeout(t);
          resolve(m[0]);
        }
      });
    });
    this.url = line.match(/(rtsp:\/\/\S+)/)[1];
    this.port = Number(new URL(this.url).port);
    this.statusUrl = line.match(/status=(\S+)/)?.[1] ?? '';
  }

  async status() {
    return (await fetch(this.statusUrl)).json();
  }

  async kill() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await gone;
  }

  killNow() {
    try {
      if (this.proc && this.proc.exitCode === null) this.proc.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

process.on('exit', () => {
  server.killNow();
  for (const c of Object.values(cams)) c.cam.killNow();
});

before(async () => {
  cams.a = { cam: new FakeCamera('a:h264:main', { status: true }), gb: '11010201001320000001', name: '西长安街东口' };
  cams.b = { cam: new FakeCamera('b:h264'), gb: '11010201001320000002', name: '西长安街西口' };
  cams.c = { cam: new FakeCamera('c:h265'), gb: '11010201001320000003', name: '府右街高清' };
  for (const c of Object.values(cams)) await c.cam.start();
  await server.start({
    serveArgs: SERVE_ARGS,
    prepare: ({ cli }) => {
      const out = cli(['token', 'add', '--name', 'vendor-screen', '--scopes', 'video.play', '--subdistrict', SUBDISTRICT]);
      vendorToken = out.trim().split('\n').pop().trim();
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    await server.stop();
    for (const c of Object.values(cams)) await c.cam.kill();
  }
});

/** Waits until fn() is true; fails with what it last saw after the deadline. */
async function until(what, fn, deadlineMs = STEP_TIMEOUT) {
  const end = Date.now() + deadlineMs;
  let last;
  for (;;) {
    last = await fn();
    if (last === true) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function login(page, user, password) {
  await page.goto(`${server.base}/login`);
  await page.getByTestId('login-username').fill(user);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(`${server.base}/`);
}

/** The cameras through the ingest API (district1's session and CSRF token); their ids. */
async function createCameras(page) {
  const me = await (await page.request.get(`${server.base}/api/v1/auth/me`)).json();
  const records = Object.entries(cams).map(([k, c], i) => ({
    source: 'ui-test', external_id: `cam-${k}`, gb_id: c.gb, name: c.name, subdistrict: SUBDISTRICT,
    lon: 116.37 + i * 0.001, lat: 39.91, status: 'online', stream_url: c.cam.url,
  }));
  const r = await page.request.post(`${server.base}/api/v1/cameras/batch`, { data: records, headers: { 'X-CSRF-Token': me.csrf_token } });
  assert.equal(r.status(), 200, await r.text());
  assert.equal((await r.json()).accepted, records.length);
  for (const c of Object.values(cams)) {
    const list = await (await page.request.get(`${server.base}/api/v1/cameras?q=${c.gb}`)).json();
    assert.equal(list.items.length, 1, `camera ${c.gb}`);
    c.id = list.items[0].id;
  }
}

const tile = (page, i) => page.locator(`[data-testid="wall-tile"][data-index="${i}"]`);

/** The player's state, its video's currentTime and the mean luma (0..255) of a frame drawn on a canvas. */
async function picture(scope) {
  return scope.locator('[data-testid="video-player"]').evaluate((p) => {
    const v = p.querySelector('video');
    let luma = null;
    if (v && v.videoWidth > 0) {
      const c = document.createElement('canvas');
      c.width = 64;
      c.height = 36;
      const x = c.getContext('2d');
      x.drawImage(v, 0, 0, 64, 36);
      const d = x.getImageData(0, 0, 64, 36).data;
      let s = 0;
      for (let i = 0; i < d.length; i += 4) s += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      luma = Math.round(s / (d.length / 4));
    }
    return { state: p.dataset.state, engine: p.dataset.engine, codec: p.dataset.codec, t: v ? v.currentTime : null, luma };
  });
}

/** Waits for the player in scope to play: state playing, time advancing, a picture that is not black. */
async function assertPlays(scope, what, deadline = STEP_TIMEOUT, engine = 'mse') {
  let first = null;
  await until(`${what} playing`, async () => {
    const p = await picture(scope);
    return (p.state === 'playing' && p.t > 0) || p;
  }, deadline);
  first = await picture(scope);
  await until(`${what}: currentTime advancing past ${first.t}`, async () => {
    const p = await picture(scope);
    return p.t > first.t || p;
  });
  const p = await picture(scope);
  assert.equal(p.engine, engine, `${what} plays through ${engine}`);
  assert.match(p.codec, /^avc1\./, `${what} codec`);
  assert.ok(p.luma !== null && p.luma > 40, `${what}: the frame is not black (mean luma ${p.luma})`);
}

async function sessionsOf(cameraId, page) {
  const r = await page.request.get(`${server.base}/api/v1/video/sessions`);
  assert.equal(r.status(), 200);
  const body = await r.json();
  return (body.items ?? []).find((s) => s.camera_id === cameraId) ?? null;
}

function assertClean(w) {
  assert.deepEqual(w.csp, [], `CSP violations: ${w.csp.join('\n')}`);
  assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  /* a closed tile aborts its stream: net::ERR_ABORTED on /media/ is the page's own doing */
  const failed = w.failed.filter((f) => !/\/media\/v1\/p\/\S+ net::ERR_ABORTED$/.test(f));
  assert.deepEqual(failed, [], `failed requests: ${failed.join('\n')}`);
  const unexpected = w.apiErrors.filter((e) => !(e.path === '/api/v1/auth/me' && e.status === 401));
  assert.deepEqual(unexpected, [], `API errors: ${JSON.stringify(unexpected)}`);
}

test('camera wall: two cameras play, one upstream for three viewers, linger, offline and back, H.265, play links', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  const extra = [];
  try {
    await login(page, 'district1', 'District-Passw0rd!');
    await createCameras(page);
    await page.getByTestId('menu-video-wall').click();
    await page.getByTestId('wall-page').waitFor();
    await until('the three cameras in the list', async () => (await page.getByTestId('wall-camera').count()) === 3 || (await page.getByTestId('wall-camera').count()));

    /* search by name: one camera */
    await page.getByTestId('wall-search').fill('高清');
    await page.getByTestId('wall-search-button').click();
    await until('the search result', async () => {
      const ids = await page.getByTestId('wall-camera').evaluateAll((els) => els.map((e) => e.dataset.gbId));
      return (ids.length === 1 && ids[0] === cams.c.gb) || ids;
    });
    await page.getByTestId('wall-search').fill('');
    await page.getByTestId('wall-search-button').click();
    await until('the full list again', async () => (await page.getByTestId('wall-camera').count()) === 3 || 'not yet');

    /* 4 tiles; A dragged onto tile 0, B clicked into the next free tile */
    await page.getByTestId('wall-layout-4').click();
    await until('four tiles', async () => (await page.getByTestId('wall-tile').count()) === 4 || (await page.getByTestId('wall-tile').count()));
    await page.locator(`[data-testid="wall-camera"][data-id="${cams.a.id}"]`).dragTo(tile(page, 0));
    await until('camera A on tile 0', async () => (await tile(page, 0).getAttribute('data-camera-id')) === String(cams.a.id) || 'not yet');
    await page.locator(`[data-testid="wall-camera"][data-id="${cams.b.id}"]`).click();
    await until('camera B on tile 1', async () => (await tile(page, 1).getAttribute('data-camera-id')) === String(cams.b.id) || 'not yet');
    await assertPlays(tile(page, 0), 'camera A');
    await assertPlays(tile(page, 1), 'camera B');
    await screenshot(page, 'video-01-wall');

    /* digital zoom: the wheel over a tile's picture zooms it */
    await tile(page, 0).locator('[data-testid="zoom"]').hover();
    await page.mouse.wheel(0, -300);
    await until('tile 0 zoomed', async () => Number(await tile(page, 0).locator('[data-testid="zoom"]').getAttribute('data-zoom')) > 1 || 'not zoomed');
    await tile(page, 0).locator('[data-testid="zoom"]').dblclick();
    await until('zoom reset', async () => Number(await tile(page, 0).locator('[data-testid="zoom"]').getAttribute('data-zoom')) === 1 || 'still zoomed');

    /* three viewers of A share one upstream RTSP session */
    for (let i = 0; i < 2; i++) {
      const p = await context.newPage();
      extra.push(p);
      await p.goto(`${server.base}/video?cameras=${cams.a.id}`);
      await until(`viewer ${i + 2}: camera A on its tile 0`, async () => (await tile(p, 0).getAttribute('data-camera-id')) === String(cams.a.id) || 'not yet');
      await assertPlays(tile(p, 0), `camera A, viewer ${i + 2}`);
    }
    const shared = await sessionsOf(cams.a.id, page);
    assert.equal(shared?.viewers, 3, `three viewers of camera A: ${JSON.stringify(shared)}`);
    assert.equal((await cams.a.cam.status()).sessions, 1, 'one RTSP session at camera A for three viewers');

    /* the last viewer leaves: the session stops after the linger, the camera has no session */
    for (const p of extra.splice(0)) await p.close();
    await tile(page, 0).getByTestId('wall-tile-close').click();
    await until('camera A without RTSP sessions', async () => {
      const s = await cams.a.cam.status();
      return s.sessions === 0 || s;
    });
    await until('no gateway session for camera A', async () => (await sessionsOf(cams.a.id, page)) === null || 'still running');

    /* camera B dies: the tile stops playing and the ledger says offline; it comes back and plays */
    const port = cams.b.cam.port;
    await cams.b.cam.kill();
    await until('tile 1 no longer playing', async () => {
      const s = (await picture(tile(page, 1))).state;
      return s === 'reconnecting' || s === 'offline' || s;
    });
    await until('camera B offline in the ledger', async () => {
      const c = await (await page.request.get(`${server.base}/api/v1/cameras/${cams.b.id}`)).json();
      return c.status === 'offline' || c.status;
    });
    await until('camera B offline on its tile badge (live cameras event)', async () => (await tile(page, 1).getByTestId('wall-tile-status').getAttribute('data-status')) === 'offline' || 'not yet');
    await until('tile 1 says offline', async () => (await picture(tile(page, 1))).state === 'offline' || (await picture(tile(page, 1))).state);
    await screenshot(page, 'video-03-offline');
    await cams.b.cam.start(port);
    await assertPlays(tile(page, 1), 'camera B after its return', LONG_TIMEOUT);
    await until('camera B online in the ledger', async () => {
      const c = await (await page.request.get(`${server.base}/api/v1/cameras/${cams.b.id}`)).json();
      return c.status === 'online' || c.status;
    });
    await until('camera B online on its tile badge', async () => (await tile(page, 1).getByTestId('wall-tile-status').getAttribute('data-status')) === 'online' || 'not yet');

    /* camera C is H.265: the message and a snapshot picture instead of a black tile */
    await page.locator(`[data-testid="wall-camera"][data-id="${cams.c.id}"]`).click();
    await until('camera C on tile 0', async () => (await tile(page, 0).getAttribute('data-camera-id')) === String(cams.c.id) || 'not yet');
    await until('the H.265 state', async () => (await picture(tile(page, 0))).state === 'h265' || (await picture(tile(page, 0))));
    assert.match(await tile(page, 0).getByTestId('video-message').textContent(), /H\.265/);
    await until('a snapshot picture', async () => {
      const img = tile(page, 0).getByTestId('video-snapshot');
      return ((await img.count()) === 1 && (await img.evaluate((i) => i.complete && i.naturalWidth > 0))) || 'no picture yet';
    });
    await screenshot(page, 'video-02-h265');

    /* the play button of the camera list opens the camera live in a dialog */
    await page.getByTestId('menu-cameras').click();
    await page.getByTestId('cameras-q').fill(cams.a.gb);
    await page.getByTestId('cameras-search').click();
    await until('camera A alone in the list', async () => (await page.getByTestId('camera-gb-id').allTextContents()).join() === cams.a.gb || 'not yet');
    await page.getByTestId('camera-play').click();
    await assertPlays(page.getByTestId('play-dialog'), 'camera A in the play dialog');
    await screenshot(page, 'video-05-dialog');

    assertClean(w);
  } finally {
    for (const p of extra) await p.close();
    await context.close();
  }
});

test('play links of a vendor token: the embed page plays with no cookie, a tampered link gets 403', async () => {
  const r = await fetch(`${server.base}/api/v1/cameras/${cams.a.id}/play`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${vendorToken}`, 'Content-Type': 'application/json' },
    body: '{}',
  });
  assert.equal(r.status, 200, await r.clone().text());
  const link = await r.json();
  assert.equal(link.camera_id, cams.a.id);
  for (const k of ['hls', 'stream', 'snapshot', 'embed']) assert.match(link[k], /^\/media\/v1\//, k);
  const tok = link.embed.split('/').pop();
  /* one character of the token changed */
  const i = Math.floor(tok.length / 2);
  const bad = tok.slice(0, i) + (tok[i] === 'A' ? 'B' : 'A') + tok.slice(i + 1);

  for (const u of [link.stream.replace(tok, bad), link.hls.replace(tok, bad), link.snapshot.replace(tok, bad), link.embed.replace(tok, bad)]) {
    const res = await fetch(`${server.base}${u}`);
    assert.equal(res.status, 403, `${u.replace(bad, '<tampered>')}`);
    await res.body?.cancel();
  }

  const context = await browser.newContext({ viewport: { width: 800, height: 450 }, locale: 'zh-CN' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const w = await watch(context, page);
  try {
    const res = await page.goto(`${server.base}${link.embed}`);
    assert.equal(res.status(), 200);
    await assertPlays(page, 'the embedded player');
    assert.deepEqual(await context.cookies(), [], 'the embed page needs no cookie');
    await screenshot(page, 'video-04-embed');
    /* the same link through hls.js on the LL-HLS playlist (the fallback engine) */
    const viaHls = await page.goto(`${server.base}${link.embed}?via=hls`);
    assert.equal(viaHls.status(), 200);
    await assertPlays(page, 'the embedded player through hls.js', STEP_TIMEOUT, 'hls');
    const denied = await page.goto(`${server.base}${link.embed.replace(tok, bad)}`);
    assert.equal(denied.status(), 403);
    assert.deepEqual(w.csp, [], `CSP violations: ${w.csp.join('\n')}`);
    assert.deepEqual(w.pageErrors, [], `page errors: ${w.pageErrors.join('\n')}`);
  } finally {
    await context.close();
  }
});
