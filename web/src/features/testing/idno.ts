/* features/testing/idno.ts - cleaning and checking a resident ID number as it is typed, as
 * the server does (core/idno.h): full-width digits and Ｘ to ASCII, spaces of every kind
 * dropped, lowercase x upper-cased; then 18 characters with a valid birth date and MOD 11-2
 * check character, or a first-generation 15-digit number (GB 11643). The server checks
 * again; this only keeps a wrong number from being sent. */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

function isSpace(c: number): boolean {
  return (
    c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x3000 || c === 0xfeff || c === 0x85 ||
    (c >= 0x2000 && c <= 0x200b) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x2060
  );
}

/** Full-width forms to ASCII, spaces dropped, x upper-cased; other characters are kept so
 * that the check below can point them out. */
export function cleanId(raw: string): string {
  let out = '';
  for (const ch of raw) {
    let c = ch.codePointAt(0) ?? 0;
    if (isSpace(c)) continue;
    if (c >= 0xff01 && c <= 0xff5e) c -= 0xfee0;
    let s = String.fromCodePoint(c);
    if (s === 'x') s = 'X';
    out += s;
  }
  return out;
}

function validDate(y: number, m: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return false;
  return y >= 1900 && dt.getTime() <= Date.now() + 8 * 3600 * 1000;
}

export type Check = 'empty' | 'typing' | 'ok' | 'chars' | 'length' | 'date' | 'checksum';

export function checkId(s: string): Check {
  if (!s) return 'empty';
  if (!/^[0-9X]*$/.test(s) || (s.includes('X') && s.indexOf('X') !== 17)) return 'chars';
  if (s.length === 15) {
    if (!/^\d{15}$/.test(s)) return 'chars';
    return validDate(1900 + Number(s.slice(6, 8)), Number(s.slice(8, 10)), Number(s.slice(10, 12))) ? 'ok' : 'date';
  }
  if (s.length < 18) return 'typing';
  if (s.length > 18) return 'length';
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * WEIGHTS[i];
  if (CHECK[sum % 11] !== s[17]) return 'checksum';
  return validDate(Number(s.slice(6, 10)), Number(s.slice(10, 12)), Number(s.slice(12, 14))) ? 'ok' : 'date';
}
