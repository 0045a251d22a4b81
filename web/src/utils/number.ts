/* utils/number.ts - counts with thousands separators in every table (issue 14 "Numbers"). */
const formats = new Map<string, Intl.NumberFormat>();

/** 1234567 -> "1,234,567"; null/undefined -> the fallback. */
export function fmtCount(n: number | null | undefined, locale = 'zh-CN', fallback = '—'): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return fallback;
  let f = formats.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(locale, { maximumFractionDigits: 0, useGrouping: true });
    formats.set(locale, f);
  }
  return f.format(n);
}
