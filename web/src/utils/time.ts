/* utils/time.ts - times are shown in Beijing time (Asia/Shanghai, UTC+8, no DST). */

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** "2024-05-01 08:00:00" for epoch milliseconds, in Asia/Shanghai; "" for null. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const p: Record<string, string> = {};
  for (const x of parts.formatToParts(new Date(ms))) p[x.type] = x.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/**
 * A date picker gives a Date whose local fields are what the user picked; the user means
 * Beijing time whatever the browser's zone is, so read the fields and apply UTC+8.
 */
export function pickedToEpoch(d: Date): number {
  return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()) - SHANGHAI_OFFSET_MS;
}
