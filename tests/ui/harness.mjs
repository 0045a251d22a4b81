/* tests/ui/harness.mjs - a real jiayuan server in a temporary var dir, Debian's Chromium
 * driven by playwright-core, RFC 6238 codes, and the page watchers (CSP, network).
 *
 * Nothing here downloads a browser: the browser is /usr/bin/chromium (JIAYUAN_CHROMIUM to
 * override). The server is the built binary (JIAYUAN_BIN, default build/jiayuan). */
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.resolve(ROOT, process.env.JIAYUAN_BIN || 'build/jiayuan');
export const ARTIFACTS = path.resolve(ROOT, process.env.JIAYUAN_ARTIFACTS || 'build/ui-artifacts');
export const CHROMIUM = process.env.JIAYUAN_CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/* ---------- RFC 6238 (TOTP, HMAC-SHA1, 30 s, 6 digits) ---------- */

export function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = s.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function totpStep(ms = Date.now()) {
  return Math.floor(ms / 1000 / 30);
}

export function totpCode(secretB32, step) {
  const key = base32Decode(secretB32);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', key).update(counter).digest();
  const off = h[h.length - 1] & 0x0f;
  const bin = ((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

/* ---------- server ---------- */

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function run(args, input) {
  // The timeout is a hang guard only: `demo --scale small` takes 20 s alone and minutes on a loaded machine.
  const r = spawnSync(BIN, args, { input, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    throw new Error(`jiayuan ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Server {
  constructor() {
    this.proc = null;
    this.varDir = null;
    this.base = null;
    this.exited = null;
  }

  /** prepare (optional) runs after the accounts are made and before the server starts,
   * with the var dir and cli(args, input) running `jiayuan ARGS --var DIR` (its stdout).
   * serveArgs (optional) are added to `jiayuan serve` (e.g. the media flags of issue 9). */
  async start({ prepare, serveArgs = [] } = {}) {
    if (!existsSync(BIN)) throw new Error(`server binary not found: ${BIN} (set JIAYUAN_BIN)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    this.varDir = mkdtempSync(path.join(os.tmpdir(), 'jiayuan-ui-'));
    run(['keys', 'init', '--var', this.varDir]);
    run(['user', 'add', '--username', 'admin', '--role', 'sysadmin', '--password-stdin', '--temporary', '--var', this.varDir], 'Initial-Passw0rd!');
    run(['user', 'add', '--username', 'district1', '--role', 'district', '--password-stdin', '--var', this.varDir], 'District-Passw0rd!');
    run(['user', 'add', '--username', 'auditor1', '--role', 'auditor', '--password-stdin', '--var', this.varDir], 'Auditor-Passw0rd!');
    if (prepare) await prepare({ varDir: this.varDir, cli: (args, input) => run([...args, '--var', this.varDir], input) });

    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    const log = createWriteStream(path.join(ARTIFACTS, 'server.log'));
    this.proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--var', this.varDir, ...serveArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout.pipe(log);
    this.proc.stderr.pipe(log);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, sig) => resolve(code ?? sig)));
    let gone = null;
    void this.exited.then((c) => (gone = c));

    const deadline = Date.now() + 30_000;
    for (;;) {
      if (gone !== null) throw new Error(`server exited early (${gone}); see ${path.join(ARTIFACTS, 'server.log')}`);
      try {
        const r = await fetch(`${this.base}/healthz`);
        if (r.status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error('server did not answer /healthz with 200 within 30 s');
      await sleep(100);
    }
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(t);
    }
    this.proc = null;
    if (this.varDir) rmSync(this.varDir, { recursive: true, force: true });
    this.varDir = null;
  }

  /** Synchronous last resort for process exit paths. */
  killNow() {
    try {
      if (this.proc && this.proc.exitCode === null) this.proc.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/* ---------- browser ---------- */

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** True for the page closing its own event stream: an EventSource that is closed (the
 * dashboard leaving) or cut by a navigation ends as net::ERR_ABORTED, which is no failure. */
export function isClosedEventStream(request) {
  return new URL(request.url()).pathname === '/api/v1/events' && request.failure()?.errorText === 'net::ERR_ABORTED';
}

/**
 * Watches a page: console CSP messages, securitypolicyviolation events, page errors,
 * failed requests (event streams the page closed itself are listed apart, in
 * closedStreams), and HTTP error statuses (split into API and non-API).
 */
export async function watch(context, page) {
  const w = { csp: [], consoleErrors: [], pageErrors: [], failed: [], closedStreams: [], aborted: [], httpErrors: [], apiErrors: [] };
  await context.exposeFunction('__jyReportCsp', (msg) => w.csp.push(`securitypolicyviolation: ${msg}`));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__jyReportCsp(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.on('console', (m) => {
    const text = m.text();
    if (/Content Security Policy|Content-Security-Policy|Refused to (apply|execute|load|connect|frame)/i.test(text)) w.csp.push(text);
    else if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(text))
      w.consoleErrors.push(text);
  });
  page.on('pageerror', (e) => w.pageErrors.push(String(e)));
  // A GET the browser cancelled because the test navigated away (net::ERR_ABORTED) is not a
  // failure of the server or the page: whether it was still in flight depends on timing, so
  // it is kept apart (aborted) instead of failing the test on a slow machine.
  page.on('requestfailed', (r) => {
    const line = `${r.method()} ${r.url()} ${r.failure()?.errorText}`;
    if (isClosedEventStream(r)) w.closedStreams.push(line);
    else if (r.method() === 'GET' && r.failure()?.errorText === 'net::ERR_ABORTED') w.aborted.push(line);
    else w.failed.push(line);
  });
  page.on('response', (r) => {
    const s = r.status();
    if (s < 400) return;
    const u = new URL(r.url());
    const entry = { method: r.request().method(), path: u.pathname, status: s };
    if (u.pathname.startsWith('/api/') && s < 500) w.apiErrors.push(entry);
    else w.httpErrors.push(`${entry.method} ${entry.path} ${s}`);
  });
  return w;
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/* ---------- accessibility (issue 14: axe-core from npm, run in the page) ---------- */

const AXE_SOURCE_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', 'axe-core', 'axe.min.js');
let axeSource = null;

/**
 * Runs axe-core (WCAG 2 A/AA rules) on the page as it is now and returns the violations of
 * impact "serious" or "critical", each as "rule-id: help (n nodes: selector, …)". The full
 * result is kept as ARTIFACTS/axe-<name>.json. An empty list is a pass.
 */
export async function axeCheck(page, name) {
  if (!axeSource) axeSource = readFileSync(AXE_SOURCE_PATH, 'utf8');
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] }),
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, `axe-${name}.json`), JSON.stringify(result.violations, null, 2));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.length} nodes: ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')})`);
}
