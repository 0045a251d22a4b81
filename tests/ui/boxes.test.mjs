/* tests/ui/boxes.test.mjs - the live player's fMP4 box splitter and codec strings
 * (web/src/features/video/boxes.ts; issue 9, R3.1) on fragmented MP4 written by ffmpeg.
 *
 *   node --test tests/ui/boxes.test.mjs
 *
 * The TypeScript source is compiled with the esbuild of web/node_modules (npm ci in web/).
 * ffmpeg (Debian's, libx264 and libx265) writes real fragmented MP4 (one fragment per frame,
 * like the gateway); ffprobe gives the profile and level the codec strings must carry. The
 * splitter must give back the same bytes as pieces (one init, then one media piece per moof)
 * whatever the chunking (whole, 1-byte, random sizes from a seeded generator), hold back an
 * incomplete box, and refuse a broken size with an Error (never a TypeError/RangeError).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT } from './harness.mjs';

const esbuild = createRequire(path.join(ROOT, 'web', 'package.json'))('esbuild');
const source = readFileSync(path.join(ROOT, 'web', 'src', 'features', 'video', 'boxes.ts'), 'utf8');
const { code } = esbuild.transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022' });
const { BoxSplitter, codecOfInit, isHevc, MAX_BOX } = await import(`data:text/javascript,${encodeURIComponent(code)}`);

let tmp = '';
const files = {};

function ffmpeg(args) {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

function probe(file) {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=profile,level,codec_tag_string', '-of', 'json', file], { encoding: 'utf8' });
  return JSON.parse(r.stdout).streams[0];
}

/** Top-level boxes of a whole file, in order: { type, off, size }. */
function topLevel(buf) {
  const out = [];
  for (let off = 0; off + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(off);
    out.push({ type: buf.toString('latin1', off + 4, off + 8), off, size });
    off += size;
  }
  return out;
}

/** A small deterministic generator (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function split(buf, sizes) {
  const s = new BoxSplitter();
  const pieces = [];
  let off = 0;
  for (let i = 0; off < buf.length; i++) {
    const n = Math.max(1, sizes(i));
    pieces.push(...s.push(new Uint8Array(buf.subarray(off, off + n))));
    off += n;
  }
  return { pieces, held: s.buffered };
}

before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'jiayuan-boxes-'));
  const src = ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '2'];
  const frag = ['-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '1'];
  files.h264 = path.join(tmp, 'h264.mp4');
  ffmpeg([...src, '-c:v', 'libx264', '-profile:v', 'main', '-level', '3.0', '-g', '25', '-pix_fmt', 'yuv420p', ...frag, files.h264]);
  files.h265 = path.join(tmp, 'h265.mp4');
  ffmpeg([...src, '-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=25', '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p', ...frag, files.h265]);
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('pieces give back the stream: one init, one media piece per moof, whatever the chunking', () => {
  for (const kind of ['h264', 'h265']) {
    const buf = readFileSync(files[kind]);
    const boxes = topLevel(buf);
    const moofs = boxes.filter((b) => b.type === 'moof').length;
    /* ffmpeg ends the file with an mfra index: a box that belongs to no piece, held */
    const tail = boxes[boxes.length - 1];
    assert.equal(tail.type, 'mfra');
    assert.ok(moofs >= 25, `${kind}: one fragment per frame (${moofs})`);
    const next = rng(0x5eed);
    for (const [name, sizes] of [['whole', () => buf.length], ['1 byte', () => 1], ['random', () => Math.floor(next() * 5000)]]) {
      const { pieces, held } = split(buf, sizes);
      assert.equal(pieces[0].kind, 'init', `${kind}/${name}: init first`);
      assert.deepEqual(pieces.slice(1).map((p) => p.kind), Array(moofs).fill('media'), `${kind}/${name}: media pieces`);
      assert.equal(held, buf.length - pieces.reduce((n, p) => n + p.data.length, 0), `${kind}/${name}: held bytes`);
      const joined = Buffer.concat(pieces.map((p) => Buffer.from(p.data)));
      assert.ok(joined.equals(buf.subarray(0, joined.length)), `${kind}/${name}: same bytes in order`);
      assert.equal(held, tail.size, `${kind}/${name}: only the trailing mfra is held`);
    }
  }
});

test('an incomplete last fragment is held back, not handed out', () => {
  const buf = readFileSync(files.h264);
  const whole = split(buf, () => buf.length).pieces.length;
  const lastMdat = topLevel(buf).filter((b) => b.type === 'mdat').pop();
  const cut = buf.subarray(0, lastMdat.off + 20); /* the last fragment's mdat is cut short */
  const { pieces, held } = split(cut, () => 777);
  assert.equal(pieces.length, whole - 1, 'the last fragment is not handed out');
  assert.equal(held, cut.length - pieces.reduce((n, p) => n + p.data.length, 0), 'its moof and the partial mdat are held');
});

test('a new ftyp mid-stream (the gateway reconnected) starts a new init piece', () => {
  const buf = readFileSync(files.h264);
  const twice = Buffer.concat([buf, buf]);
  const kinds = split(twice, () => 4096).pieces.map((p) => p.kind);
  assert.deepEqual(kinds.filter((k) => k === 'init').length, 2);
  assert.equal(kinds[kinds.lastIndexOf('init') - 1], 'media');
});

test('codec strings from the init segment match what ffprobe reads', () => {
  const h264 = split(readFileSync(files.h264), () => 1 << 20).pieces[0].data;
  const p264 = probe(files.h264);
  assert.equal(p264.profile, 'Main');
  assert.equal(codecOfInit(h264), 'avc1.4D401E', 'Main profile (0x4D), level 3.0 (0x1E)');
  const h265 = split(readFileSync(files.h265), () => 1 << 20).pieces[0].data;
  const p265 = probe(files.h265);
  assert.equal(p265.codec_tag_string, 'hvc1');
  const c = codecOfInit(h265);
  /* the first constraint-flags byte, read here straight from the hvcC box */
  const at = Buffer.from(h265).indexOf('hvcC', 0, 'latin1');
  const cons = h265[at + 4 + 6].toString(16).toUpperCase();
  assert.equal(c, `hvc1.1.6.L${p265.level}.${cons}`, `Main profile, level ${p265.level}`);
  assert.equal(isHevc(c), true);
  assert.equal(isHevc(codecOfInit(h264)), false);
  assert.equal(codecOfInit(new Uint8Array(16)), null, 'no moov: no codec');
});

test('broken sizes are refused with an Error, random bytes never crash the splitter', () => {
  const bad = (size) => {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(size, 0);
    b.write('moof', 4, 'latin1');
    return new Uint8Array(b);
  };
  assert.throws(() => new BoxSplitter().push(bad(3)), (e) => e instanceof Error && /bad box size/.test(e.message));
  assert.throws(() => new BoxSplitter().push(bad(0)), (e) => e instanceof Error && /end of the stream/.test(e.message));
  assert.throws(() => new BoxSplitter().push(bad(MAX_BOX + 1)), /bad box size/);
  const next = rng(42);
  for (let round = 0; round < 200; round++) {
    const junk = new Uint8Array(1 + Math.floor(next() * 4096)).map(() => Math.floor(next() * 256));
    try {
      new BoxSplitter().push(junk);
    } catch (e) {
      assert.equal(e.constructor, Error, `round ${round}: ${e}`);
    }
    codecOfInit(junk); /* never throws */
  }
});
