/* features/exchange/sites/api.ts - city↔district site matching (R2.11): upload a city export,
 * page a run's rows, review one pair, the .xlsx. See docs/api/openapi.yaml (site-matches). */
import { api, type UploadProgress } from '@/api/client';

export type MatchStatus = 'none' | 'auto' | 'review' | 'accepted' | 'rejected';
export const CRS_LIST = ['gcj02', 'wgs84', 'bd09'] as const;
export type Crs = (typeof CRS_LIST)[number];

export interface MatchRow {
  row: number;
  city_code: string;
  city_name: string;
  city_district: string;
  city_subdistrict: string;
  site_code: string;
  site_name: string;
  score: number;
  distance_m: number | null;
  reasons: string;
  status: MatchStatus;
  city_count: number | null;
  scans_today: number;
  reviewed_by: string;
}

export interface MatchRun {
  id: number;
  created_by: string;
  created_at: number;
  crs: string;
  rows: number;
  sites: number;
  counts: { auto: number; review: number; none: number };
  items: MatchRow[];
  total: number;
  next: string | null;
}

export function uploadCityFile(file: File, crs: Crs, onProgress: (p: UploadProgress) => void): Promise<MatchRun> {
  const fd = new FormData();
  fd.append('crs', crs);
  fd.append('file', file, file.name);
  return api.upload<MatchRun>('/api/v1/site-matches', fd, onProgress);
}

export function matchRows(id: number, status: string | undefined, limit = 100, next: string | null = null): Promise<MatchRun> {
  return api.get<MatchRun>(`/api/v1/site-matches/${id}`, { status, limit, next });
}

export function reviewRow(id: number, row: number, action: 'accept' | 'reject' | 'repoint', siteCode?: string): Promise<MatchRow> {
  return api.post<MatchRow>(`/api/v1/site-matches/${id}/rows/${row}`, siteCode ? { action, site_code: siteCode } : { action });
}

export function matchXlsxUrl(id: number): string {
  return `/api/v1/site-matches/${id}/result.xlsx`;
}
