/* tools/proto/mse_check.mjs - PROTOTYPE for issue 9: does Debian's Chromium play the
 * fragmented MP4 written by tools/proto/rtsp_to_fmp4.c through Media Source Extensions?
 *
 *   node tools/proto/mse_check.mjs DIR FILE:CODEC...
 *     e.g. node tools/proto/mse_check.mjs /tmp/mse mse_main.mp4:avc1.4D401E
 * Needs playwright-core (tests/ui/node_modules, or JIAYUAN_UI_DIR=/path/tests/ui) and
 * /usr/bin/chromium. Serves DIR on 127.0.0.1, and for each file: MediaSource.isTypeSupported,
 * appends the whole file to one SourceBuffer, plays it muted, waits for currentTime > 1 s
 * and reports the mean luma of a frame drawn to a canvas (0 = black). Prints one JSON
 * line per file. Not part of any test suite. */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// playwright-core from tests/ui (npm ci there), or from JIAYUAN_UI_DIR (a checkout whose
// tests/ui/node_modules is installed).
const uiDir = process.env.JIAYUAN_UI_DIR || new URL('../../tests/ui/', import.meta.url).pathname;
const { chromium } = createRequire(path.join(uiDir, 'package.json'))('playwright-core');

const [dir, ...items] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  const name = path.basename(decodeURIComponent(req.url.split('?')[0]));
  if (name === '' || name === 'index.html') {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><video id=v muted playsinline></video><canvas id=c width=64 height=36></canvas>');
    return;
  }
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': 'video/mp4' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: process.env.JIAYUAN_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
         '--autoplay-policy=no-user-gesture-required'],
});
const page = await browser.newPage();
await page.goto(base);
console.log(JSON.stringify({ chromium: browser.version() }));
const probes = ['avc1.42C01E', 'avc1.4D401E', 'avc1.64001E', 'avc1.640028',
                'hvc1.1.6.L63.B0', 'hev1.1.6.L63.B0', 'hvc1.1.6.L93.B0'];
const support = await page.evaluate((list) => Object.fromEntries(list.map((c) =>
  [c, MediaSource.isTypeSupported(`video/mp4; codecs="${c}"`)])), probes);
console.log(JSON.stringify({ isTypeSupported: support }));
console.log(JSON.stringify(await page.evaluate(() => ({
  canPlayTypeHls: document.createElement('video').canPlayType('application/vnd.apple.mpegurl'),
  canPlayTypeHevcMp4: document.createElement('video').canPlayType('video/mp4; codecs="hvc1.1.6.L93.B0"'),
  ManagedMediaSource: typeof ManagedMediaSource !== 'undefined',
}))));
for (const item of items) {
  const [file, codec] = item.split(':');
  const result = await page.evaluate(async ({ url, codec }) => {
    const v = document.getElementById('v');
    const type = `video/mp4; codecs="${codec}"`;
    if (!MediaSource.isTypeSupported(type)) return { supported: false };
    const ms = new MediaSource();
    v.src = URL.createObjectURL(ms);
    await new Promise((r) => ms.addEventListener('sourceopen', r, { once: true }));
    const sb = ms.addSourceBuffer(type);
    const data = await (await fetch(url)).arrayBuffer();
    const t0 = performance.now();
    try {
      sb.appendBuffer(data);
      await new Promise((r, j) => { sb.onupdateend = r; sb.onerror = () => j(new Error('append error')); });
    } catch (e) { return { supported: true, error: String(e), mediaError: v.error && v.error.message }; }
    const buffered = sb.buffered.length ? [sb.buffered.start(0), sb.buffered.end(0)] : null;
    ms.endOfStream();
    await v.play().catch(() => {});
    const deadline = performance.now() + 8000;
    while (v.currentTime < 1 && !v.error && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const c = document.getElementById('c').getContext('2d');
    c.drawImage(v, 0, 0, 64, 36);
    const px = c.getImageData(0, 0, 64, 36).data;
    let sum = 0;
    for (let i = 0; i < px.length; i += 4) sum += 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
    const q = v.getVideoPlaybackQuality();
    const out = { supported: true, buffered, currentTime: v.currentTime, firstPlayMs: Math.round(performance.now() - t0),
                  width: v.videoWidth, height: v.videoHeight, meanLuma: Math.round(sum / (px.length / 4)),
                  decodedFrames: q.totalVideoFrames, dropped: q.droppedVideoFrames,
                  error: v.error && v.error.message };
    v.removeAttribute('src'); v.load();
    return out;
  }, { url: base + file, codec });
  console.log(JSON.stringify({ file, codec, ...result }));
}
await browser.close();
server.close();
