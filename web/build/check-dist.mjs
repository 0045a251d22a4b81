#!/usr/bin/env node
/* build/check-dist.mjs - independent check of web/dist after `vite build` (S2).
 *
 * Fails (exit 1) when an HTML page (index.html, embed.html) has a script or stylesheet/modulepreload link without a
 * correct sha384 integrity attribute or without crossorigin, an inline <script>/<style>, a
 * style="" attribute, an external URL; when a JS/CSS file in dist is not referenced from
 * any page (it would be loaded without SRI); when a source map is shipped; or when a CSS
 * file pulls anything from outside. Prints the bundle size (raw and gzip).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = process.argv[2] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const problems = [];

function walk(dir, rel = '') {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(full).isDirectory()) out.push(...walk(full, r));
    else out.push(r);
  }
  return out;
}

/* Every HTML page of the build: index.html (the app) and embed.html (the live-video player). */
const pages = walk(dist).filter((f) => f.endsWith('.html'));
if (!pages.includes('index.html')) problems.push('no index.html in dist');
const referenced = new Set();
for (const page of pages) {
  const html = readFileSync(path.join(dist, page), 'utf8');
  if (/<style[\s>]/i.test(html)) problems.push(`inline <style> in ${page}`);
  if (/\sstyle\s*=/i.test(html)) problems.push(`style="" attribute in ${page}`);
  if (/\son[a-z]+\s*=/i.test(html)) problems.push(`inline event handler in ${page}`);
  if (/(?:src|href)\s*=\s*["']?(?:[a-z]+:)?\/\//i.test(html)) problems.push(`external URL in ${page}`);

  for (const m of html.matchAll(/<(script|link)\b([^>]*)>/gi)) {
    const tag = m[1].toLowerCase();
    const attrs = m[2];
    const get = (n) => attrs.match(new RegExp(`\\s${n}\\s*=\\s*"([^"]*)"`, 'i'))?.[1];
    const has = (n) => new RegExp(`\\s${n}(\\s|=|$|/)`, 'i').test(attrs);
    let url;
    if (tag === 'script') {
      url = get('src');
      if (!url) {
        problems.push(`inline <script> in ${page}`);
        continue;
      }
    } else {
      const rel = (get('rel') ?? '').toLowerCase().split(/\s+/);
      if (!rel.some((r) => r === 'stylesheet' || r === 'modulepreload' || r === 'preload')) continue;
      url = get('href');
    }
    const file = path.join(dist, url.replace(/^\/+/, ''));
    referenced.add(url.replace(/^\/+/, ''));
    const want = 'sha384-' + createHash('sha384').update(readFileSync(file)).digest('base64');
    const got = get('integrity');
    if (got !== want) problems.push(`${page}: ${url}: integrity ${got ?? '(none)'} != ${want}`);
    if (!has('crossorigin')) problems.push(`${page}: ${url}: no crossorigin attribute`);
  }
}

const files = walk(dist);
let raw = 0;
let gz = 0;
const rows = [];
for (const f of files) {
  const data = readFileSync(path.join(dist, f));
  raw += data.length;
  const z = gzipSync(data, { level: 9 }).length;
  gz += z;
  rows.push([f, data.length, z]);
  if (f.endsWith('.map')) problems.push(`source map shipped: ${f}`);
  if ((f.endsWith('.js') || f.endsWith('.css')) && !referenced.has(f)) problems.push(`${f} is not referenced from any HTML page (would load without SRI)`);
  if (f.endsWith('.css')) {
    const css = data.toString('utf8');
    if (/@import/i.test(css)) problems.push(`${f}: @import`);
    if (/url\(\s*["']?(?:[a-z]+:)?\/\//i.test(css)) problems.push(`${f}: external url()`);
  }
}

rows.sort((a, b) => b[1] - a[1]);
for (const [f, r, z] of rows) console.log(`  ${f.padEnd(48)} ${String(r).padStart(9)} B  gzip ${String(z).padStart(8)} B`);
console.log(`  total ${files.length} files: ${raw} B raw, ${gz} B gzip`);

if (problems.length) {
  for (const p of problems) console.error(`check-dist: ${p}`);
  process.exit(1);
}
console.log('check-dist: SRI, CSP and asset checks passed');
