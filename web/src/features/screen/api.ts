/* features/screen/api.ts - the reads of the big screen (大屏, R2.7) and its kiosk login.
 *
 * The statistics are the server's counter-backed /api/v1/stats entries (domain/stats/
 * stats.h), always answered within the caller's subdistrict. The kiosk login exchanges a
 * read-only API token (dashboard.read, at most stats.read, events.read, divisions.read) for
 * an HttpOnly kiosk cookie: the token goes in the Authorization header of one POST, never
 * in a URL the server sees (see kiosk.ts for where it comes from).
 */
import { api, ApiError } from '@/api/client';
import type { CommunityRow, Overview, HourRow, PlanSubdistrictRow, StatReply } from '@/features/stats/api';

export type { CommunityRow, Overview, HourRow, PlanSubdistrictRow };

/** GET /api/v1/auth/kiosk: who is looking at the screen. */
export interface Viewer {
  kind: 'kiosk' | 'user' | 'token';
  name: string;
  subdistrict: string | null;
  perms: string[];
}

/** plan_trend: the latest rounds, newest first; completion in basis points. */
export interface TrendRow {
  plan_no: string;
  plan_name: string;
  starts_at: number;
  planned: number;
  sampled: number;
  completion: number;
}

/** sites_open / transports_in_flight rows. */
export interface GaugeRow {
  subdistrict: string;
  subdistrict_name: string;
  open_sites?: number;
  in_flight?: number;
}

export function getViewer(): Promise<Viewer> {
  return api.get<Viewer>('/api/v1/auth/kiosk');
}

/** POST /api/v1/auth/kiosk with the token as bearer; the reply sets the kiosk cookie. */
export async function openKiosk(token: string): Promise<Viewer> {
  const path = '/api/v1/auth/kiosk';
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
    });
  } catch {
    throw new ApiError(0, 'network', 'network error', null, path);
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const env = (data as { error?: { code?: string; message?: string; request_id?: string } } | null)?.error;
    throw new ApiError(res.status, env?.code ?? `http_${res.status}`, env?.message ?? res.statusText, env?.request_id ?? null, path);
  }
  return (data as { viewer: Viewer }).viewer;
}

export function getOverview(subdistrict: string | null): Promise<Overview> {
  return api.get<Overview>('/api/v1/stats/overview', { subdistrict });
}

export async function getHourly(subdistrict: string | null): Promise<HourRow[]> {
  return (await api.get<StatReply<HourRow>>('/api/v1/stats/scans_by_hour', { subdistrict })).rows;
}

export async function getBySubdistrict(planNo: string): Promise<PlanSubdistrictRow[]> {
  return (await api.get<StatReply<PlanSubdistrictRow>>('/api/v1/stats/plan_by_subdistrict', { plan_no: planNo })).rows;
}

/** Samples of the round per community (a subdistrict viewer's breakdown). */
export async function getByCommunity(planNo: string): Promise<CommunityRow[]> {
  return (await api.get<StatReply<CommunityRow>>('/api/v1/stats/scans_by_community', { plan_no: planNo })).rows;
}

/** The latest `limit` rounds, oldest first (for a left-to-right trend). */
export async function getTrend(limit: number): Promise<TrendRow[]> {
  const rows = (await api.get<StatReply<TrendRow>>('/api/v1/stats/plan_trend', { limit })).rows;
  return rows.slice().reverse();
}

export async function getSitesOpen(): Promise<GaugeRow[]> {
  return (await api.get<StatReply<GaugeRow>>('/api/v1/stats/sites_open')).rows;
}
