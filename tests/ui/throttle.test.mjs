/* tests/ui/throttle.test.mjs - the dashboard's refresh throttle (web/src/features/stats/
 * throttle.ts) on a controlled clock.
 *
 *   node --test tests/ui/throttle.test.mjs
 *
 * The TypeScript source is compiled with the esbuild that web/node_modules carries (npm ci
 * in web/). setTimeout and Date are node:test's MockTimers: no real time passes and
 * nothing depends on how busy the machine is; the test counts runs per marks and checks
 * which keys each run got (coalescing, nothing lost, never two runs at once, at most one
 * start per gap of the virtual clock).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './harness.mjs';

const esbuild = createRequire(path.join(ROOT, 'web', 'package.json'))('esbuild');
const source = readFileSync(path.join(ROOT, 'web', 'src', 'features', 'stats', 'throttle.ts'), 'utf8');
const { code } = esbuild.transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022' });
const { RefreshThrottle } = await import(`data:text/javascript,${encodeURIComponent(code)}`);

const GAP = 500;

/** Lets the runner's promises settle (setImmediate is not mocked). */
const settle = () => new Promise((r) => setImmediate(r));

/** A throttle whose runner records each run (virtual start time, keys) and, when held,
 * does not finish until released. */
function recorder() {
  const rec = { runs: [], active: 0, maxActive: 0, held: false, waiting: [] };
  rec.throttle = new RefreshThrottle(async (keys) => {
    rec.active++;
    rec.maxActive = Math.max(rec.maxActive, rec.active);
    rec.runs.push({ at: Date.now(), keys: [...keys] });
    if (rec.held) await new Promise((r) => rec.waiting.push(r));
    rec.active--;
  }, GAP);
  rec.release = () => {
    rec.held = false;
    for (const r of rec.waiting.splice(0)) r();
  };
  return rec;
}

test('a burst of marks is coalesced: every key runs exactly once, at most one start per gap', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const rec = recorder();
  const marks = 60;
  for (let i = 0; i < marks; i++) {
    rec.throttle.mark(`k${i}`);
    t.mock.timers.tick(35); // 60 marks over 2.1 s of the virtual clock
    await settle();
  }
  for (let i = 0; i < 4; i++) {
    t.mock.timers.tick(GAP);
    await settle();
  }
  const all = rec.runs.flatMap((r) => r.keys);
  assert.deepEqual([...all].sort(), Array.from({ length: marks }, (_, i) => `k${i}`).sort(), 'each key in exactly one run');
  assert.equal(rec.maxActive, 1, 'never two runs at once');
  assert.deepEqual(rec.runs[0].keys, ['k0'], 'the first mark runs at once');
  // 2.1 s of marks: starts at 0, 0.5, 1.0, 1.5, 2.0 s (and one for the tail at most).
  assert.ok(rec.runs.length >= 5 && rec.runs.length <= 6, `${rec.runs.length} runs for ${marks} marks`);
  for (let i = 1; i < rec.runs.length; i++) assert.ok(rec.runs[i].at - rec.runs[i - 1].at >= GAP, 'one start per gap of the virtual clock');
  assert.equal(rec.throttle.busy, false, 'idle when everything ran');
});

test('marks made while a run is going wait for it and then run together, once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 2_000_000 });
  const rec = recorder();
  rec.held = true;
  rec.throttle.mark('overview');
  t.mock.timers.tick(0);
  await settle();
  assert.equal(rec.runs.length, 1);
  for (let i = 0; i < 20; i++) {
    rec.throttle.mark(i % 2 ? 'sites' : 'hourly', 'overview');
    t.mock.timers.tick(GAP * 2); // long past the gap: still no second run while one is going
    await settle();
  }
  assert.equal(rec.runs.length, 1, 'no run starts while one is going');
  assert.equal(rec.throttle.busy, true);
  rec.release();
  await settle();
  t.mock.timers.tick(GAP);
  await settle();
  assert.equal(rec.runs.length, 2, 'exactly one more run after it');
  assert.deepEqual([...rec.runs[1].keys].sort(), ['hourly', 'overview', 'sites'], 'with every key marked meanwhile');
  assert.equal(rec.maxActive, 1);
  t.mock.timers.tick(GAP * 4);
  await settle();
  assert.equal(rec.runs.length, 2, 'and nothing after that');
});

test('a runner that fails does not stop later runs; stop() drops what is pending', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 3_000_000 });
  const seen = [];
  const th = new RefreshThrottle(async (keys) => {
    seen.push([...keys]);
    if (seen.length === 1) throw new Error('the read failed');
  }, GAP);
  th.mark('a');
  t.mock.timers.tick(0);
  await settle();
  th.mark('b');
  t.mock.timers.tick(GAP);
  await settle();
  assert.deepEqual(seen, [['a'], ['b']]);
  th.mark('c');
  th.stop();
  th.mark('d');
  t.mock.timers.tick(GAP * 4);
  await settle();
  assert.deepEqual(seen, [['a'], ['b']], 'nothing runs after stop()');
  assert.equal(th.busy, false);
});
