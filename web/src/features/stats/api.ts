/* features/stats/api.ts - the reads behind the dashboard (仪表盘 / 大屏): the statistics of
 * /api/v1/stats (answered from counters only, within the caller's subdistrict), the plans
 * (rounds) to choose from, and the actual reports with their corrections.
 *
 * The server scopes every answer: a subdistrict account or scoped token only ever gets its
 * own subdistrict's numbers, whatever is asked here. Plans and actuals belong to the
 * server's testing/ area; they are read here because only the dashboard lists them. Labels
 * (subdistricts, industries) come from features/platform/api.ts.
 */
import { api, type Query } from '@/api/client';
import type { Page } from '@/api/types';

/** GET /api/v1/stats/overview: the big-screen summary. completion is in basis points
 * (10000 = 100 %); plan_no is the plan the figures are for (null when there is none). */
export interface Overview {
  plan_no: string | null;
  scans_today: number;
  sampled: number;
  planned: number;
  reported: number;
  corrected: number;
  completion: number;
  transports_in_flight: number;
  sites_open: number;
  positives: number;
}

/** GET /api/v1/stats/{name}: rows keyed by the statistic's dimensions, and the filters as
 * the server applied them (for example the plan it chose by default). */
export interface StatReply<R> {
  name: string;
  filters: { plan_no?: string | null; subdistrict?: string | null; from?: number; to?: number; limit?: number };
  rows: R[];
}

/** scans_by_hour: hour = start of the hour, ms since the epoch. */
export interface HourRow {
  hour: number;
  scans: number;
}

/** plan_by_subdistrict: completion in basis points. */
export interface PlanSubdistrictRow {
  subdistrict: string;
  subdistrict_name: string;
  planned: number;
  reported: number;
  corrected: number;
  sampled: number;
  completion: number;
}

/** scans_by_site (top N). */
export interface SiteRow {
  site_code: string;
  site_name: string;
  subdistrict: string;
  scans: number;
}

/** scans_by_community. */
export interface CommunityRow {
  subdistrict: string;
  community: string;
  community_name: string;
  scans: number;
}

/** A plan (round of mass testing) of GET /api/v1/plans. */
export interface Plan {
  id: number;
  plan_no: string;
  name: string;
  kind: string;
  starts_at: number;
  ends_at: number;
  scope: string[];
}

/** An actual report of GET /api/v1/actuals: count as reported, corrected = the effective
 * value after the latest correction, corrections = how many there were. */
export interface Actual {
  id: number;
  plan_no: string;
  subdistrict: string;
  site_code: string | null;
  industry: string | null;
  count: number;
  corrected: number;
  corrections: number;
  reported_at: number;
}

/** The statistic names this page reads (see the server's domain/stats/stats.h). */
export type StatName = 'scans_by_hour' | 'plan_by_subdistrict' | 'scans_by_site' | 'scans_by_community';

export function getOverview(planNo: string | null): Promise<Overview> {
  return api.get<Overview>('/api/v1/stats/overview', { plan_no: planNo });
}

export function getStat<R>(name: StatName, q: Query = {}): Promise<StatReply<R>> {
  return api.get<StatReply<R>>(`/api/v1/stats/${name}`, q);
}

/** Reads every page of a list, up to maxPages pages of `limit` items. */
async function readAll<T>(path: string, q: Query, limit: number, maxPages: number): Promise<T[]> {
  let out: T[] = [];
  let next: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const r: Page<T> = await api.get<Page<T>>(path, { ...q, limit, next });
    out = out.concat(r.items);
    next = r.next;
    if (!next) break;
  }
  return out;
}

/** The plans the caller may see, newest start first (at most a few thousand). */
export async function listPlans(): Promise<Plan[]> {
  const plans = await readAll<Plan>('/api/v1/plans', {}, 1000, 5);
  return plans.sort((a, b) => b.starts_at - a.starts_at || b.id - a.id);
}

/** The actual reports of one plan (at most a few thousand). */
export function listActuals(planNo: string): Promise<Actual[]> {
  return readAll<Actual>('/api/v1/actuals', { plan_no: planNo }, 1000, 5);
}
