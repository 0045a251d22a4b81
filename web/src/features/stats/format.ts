/* features/stats/format.ts - numbers with thousands separators, basis points as percent,
 * and clock times in Beijing time (Asia/Shanghai) whatever the browser's zone is. */

const numberFormats = new Map<string, Intl.NumberFormat>();

/** 1234567 -> "1,234,567" (grouping of the UI language); "—" for a missing value. */
export function formatCount(n: number | null | undefined, locale: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  let f = numberFormats.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(locale, { maximumFractionDigits: 0, useGrouping: true });
    numberFormats.set(locale, f);
  }
  return f.format(n);
}

/** Basis points (10000 = 100 %) -> "91.2%". */
export function formatBp(bp: number | null | undefined): string {
  if (bp === null || bp === undefined || !Number.isFinite(bp)) return '—';
  return `${(bp / 100).toFixed(1)}%`;
}

const clock = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Shanghai',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** "14:05:09" in Beijing time. */
export function formatClock(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  return clock.format(new Date(ms));
}

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** The hour of the day (0-23) of ms in Beijing time (UTC+8, no DST). */
export function shanghaiHour(ms: number): number {
  return Math.floor((((ms + SHANGHAI_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS / HOUR_MS);
}

/** Start of the Beijing-time day holding ms. */
export function shanghaiMidnight(ms: number): number {
  return Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS;
}

/** "07:00" for an hour of the day. */
export function hourLabel(h: number): string {
  return `${String(h).padStart(2, '0')}:00`;
}

/** A subdistrict's name without the trailing 街道 / 地区, for narrow chart axes. */
export function shortArea(name: string): string {
  return name.replace(/(街道|地区|办事处)$/, '') || name;
}
