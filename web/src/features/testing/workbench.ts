/* features/testing/workbench.ts - the reads behind the subdistrict and district workbench
 * (issue 10; R1.1-R1.3): sites (api/testing/sites.c), check-ins (checkins.c), the masked
 * scan records behind a count (GET /api/v1/samples, samples.c) and the scan counts by hour,
 * site, community and subdistrict (GET /api/v1/stats/{name}, answered from counters).
 *
 * The server scopes every answer to the caller's subdistrict. Every list and statistic also
 * answers `format=xlsx` with the same filters (exportUrl): the browser downloads it through
 * a plain link, so the session cookie goes with it and nothing is held in memory here.
 * Sample records come back masked (ID number and name) unless the caller holds pii.reveal. */
import { api, withQuery, type Query } from '@/api/client';
import type { Page } from '@/api/types';

/** The same GET with format=xlsx: the .xlsx of every row of the query (not one page). */
export function exportUrl(path: string, q: Query = {}): string {
  const clean: Query = { ...q, limit: undefined, next: undefined, format: 'xlsx' };
  return withQuery(path, clean);
}

/* ---------- sites (点位, R1.1) ---------- */

export interface Site {
  id: number;
  code: string;
  name: string;
  type: string;
  subdistrict: string;
  community: string | null;
  lon: number;
  lat: number;
  opening_hours: string;
  status: string;
  capacity: number;
  city_code: string;
  version: number;
  updated_at: number;
}

export interface SiteDetail extends Site {
  address: string | null;
  source: string;
  external_id: string;
  created_at: number;
  deleted_at: number | null;
  scans_today: number;
  last_checkin: { kind: string; at: number; queue_len: number } | null;
}

export interface SiteVersion extends Omit<Site, 'updated_at'> {
  action: string;
  actor: string;
  changed_at: number;
  address_set: boolean;
}

export interface SiteFilter {
  q?: string;
  subdistrict?: string;
  community?: string;
  status?: string;
  type?: string;
}

export const SITES_PATH = '/api/v1/sites';

export function listSites(f: SiteFilter, limit = 20, next: string | null = null): Promise<Page<Site>> {
  return api.get<Page<Site>>(SITES_PATH, { ...f, limit, next });
}

export function getSite(id: number): Promise<SiteDetail> {
  return api.get<SiteDetail>(`${SITES_PATH}/${id}`);
}

export function siteHistory(id: number): Promise<Page<SiteVersion>> {
  return api.get<Page<SiteVersion>>(`${SITES_PATH}/${id}/history`);
}

/** The site of a code, or null (the list's q matches codes and names). */
export async function siteByCode(code: string): Promise<Site | null> {
  const p = await listSites({ q: code }, 50);
  return p.items.find((s) => s.code === code) ?? null;
}

/* ---------- check-ins (签到打卡, R1.3) ---------- */

export interface Checkin {
  id: number;
  site_code: string;
  site_name: string;
  subdistrict: string;
  kind: string;
  queue_len: number;
  lon: number;
  lat: number;
  /** "reported": the phone's own position; "site": none was sent, the site's is used */
  position: 'reported' | 'site' | string;
  at: number;
  operator: string | null;
  staff_recorded: boolean;
  source: string;
  external_id: string;
  created_at: number;
}

export interface CheckinFilter {
  site_code?: string;
  subdistrict?: string;
  from?: number;
  to?: number;
}

export const CHECKINS_PATH = '/api/v1/checkins';

export function listCheckins(f: CheckinFilter, limit = 50, next: string | null = null): Promise<Page<Checkin>> {
  return api.get<Page<Checkin>>(CHECKINS_PATH, { ...f, limit, next } as Query);
}

/** Great-circle distance in metres between two WGS-84 points (haversine, mean radius). */
export function distanceM(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const r = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.min(1, Math.sqrt(a)));
}

/* ---------- scan records (采样记录, R1.2 drill-down) ---------- */

/** One scan of GET /api/v1/samples, oldest first: ID number, name and collector masked
 * unless revealed; mix_size/mix_index: the pooled tube's size and this scan's place in it. */
export interface SampleRecord {
  id: number;
  id_number: string;
  name: string;
  tube_code: string;
  collected_at: number;
  site_code: string;
  site_name: string;
  subdistrict: string;
  community: string | null;
  plan_no: string | null;
  collector: string | null;
  mix_size: number;
  mix_index: number;
}

export interface SampleFilter {
  site?: string;
  subdistrict?: string;
  community?: string;
  from?: number;
  to?: number;
}

export const SAMPLES_PATH = '/api/v1/samples';

export function listSamples(f: SampleFilter, limit = 50, next: string | null = null): Promise<Page<SampleRecord>> {
  return api.get<Page<SampleRecord>>(SAMPLES_PATH, { ...f, limit, next } as Query);
}

/* ---------- scan counts (扫码量, R1.2) ---------- */

export type ScanGroup = 'site' | 'community' | 'subdistrict';

/** A count row of scans_by_site / scans_by_community / scans_by_subdistrict. */
export interface ScanCountRow {
  scans: number;
  site_code?: string;
  site_name?: string;
  subdistrict?: string;
  subdistrict_name?: string;
  community?: string;
  community_name?: string;
}

export interface HourCount {
  hour: number;
  scans: number;
}

/** The window of a count: a plan (round) or a time range [from, to), ms since the epoch. */
export interface ScanWindow {
  plan_no?: string;
  from?: number;
  to?: number;
}

export const STAT_OF_GROUP: Record<ScanGroup, string> = {
  site: 'scans_by_site',
  community: 'scans_by_community',
  subdistrict: 'scans_by_subdistrict',
};

export function statPath(name: string): string {
  return `/api/v1/stats/${name}`;
}

export function statQuery(name: string, w: ScanWindow, extra: Query = {}): Query {
  const q: Query = { plan_no: w.plan_no, from: w.from, to: w.to, ...extra };
  if (name === 'scans_by_site') q.limit = 1000;
  return q;
}

export async function scanCounts(g: ScanGroup, w: ScanWindow): Promise<ScanCountRow[]> {
  const name = STAT_OF_GROUP[g];
  const r = await api.get<{ rows: ScanCountRow[] }>(statPath(name), statQuery(name, w));
  return r.rows;
}

export async function scansByHour(w: ScanWindow, siteCode?: string): Promise<HourCount[]> {
  const r = await api.get<{ rows: HourCount[] }>(statPath('scans_by_hour'), statQuery('scans_by_hour', w, { site_code: siteCode }));
  return r.rows;
}

/** scans_by_plan: scans per round within a time range (scans outside any round not counted). */
export interface RoundCount {
  plan_no: string;
  plan_name: string;
  scans: number;
}

export async function scansByRound(range: { from?: number; to?: number }): Promise<RoundCount[]> {
  const r = await api.get<{ rows: RoundCount[] }>(statPath('scans_by_plan'), { from: range.from, to: range.to });
  return r.rows;
}

const DAY_MS = 86_400_000;
const TZ_MS = 8 * 3_600_000; /* Asia/Shanghai */

/** The start (epoch ms) of the Beijing day holding t. */
export function dayStart(t: number): number {
  return Math.floor((t + TZ_MS) / DAY_MS) * DAY_MS - TZ_MS;
}

/** Hour counts summed per Beijing day, in order. */
export function byDay(hours: HourCount[]): HourCount[] {
  const m = new Map<number, number>();
  for (const h of hours) {
    const d = dayStart(h.hour);
    m.set(d, (m.get(d) ?? 0) + h.scans);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([hour, scans]) => ({ hour, scans }));
}
