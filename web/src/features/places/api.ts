/* features/places/api.ts - the place ledger, the map feeds and the toilet survey import
 * (issue 8; R3.1-R3.10, R5.1). Shapes follow the issue 8 contract: lists are
 * {"items","total","next"}, coordinates are WGS-84 degrees, times epoch milliseconds. */
import { api, withQuery, type Query } from '@/api/client';
import { uploadForm, type UploadProgress } from './upload';

export type PlaceKind = 'site' | 'fangcang' | 'zone' | 'toilet' | 'street' | 'vaccination' | string;
export type ZoneLevel = 'fengkong' | 'guankong' | 'fangfan';

/** The kinds the UI knows by name; others (added by data) are shown by their code. */
export const KNOWN_KINDS: PlaceKind[] = ['site', 'fangcang', 'zone', 'toilet', 'street', 'vaccination'];
export const ZONE_LEVELS: ZoneLevel[] = ['fengkong', 'guankong', 'fangfan'];

export interface GeoGeometry {
  type: string;
  coordinates: unknown;
}

export interface Place {
  id: number;
  kind: PlaceKind;
  code: string | null;
  name: string;
  subdistrict: string | null;
  subdistrict_name: string | null;
  community: string | null;
  address: string | null;
  lon: number | null;
  lat: number | null;
  geometry: GeoGeometry | null;
  zone_level: ZoneLevel | null;
  starts_at: number | null;
  ends_at: number | null;
  source: string | null;
  camera_ids: string[];
  updated_at: number | null;
}

export interface Page<T> {
  items: T[];
  total: number;
  next: string | null;
}

export interface PlaceFilter {
  kind?: string;
  q?: string;
  subdistrict?: string;
}

/** A GeoJSON FeatureCollection as the server sends it (properties as in Place). */
export interface FeatureCollection {
  type: 'FeatureCollection';
  features: Array<{ type: 'Feature'; id?: string | number; geometry: GeoGeometry | null; properties: Record<string, unknown> }>;
}

function pageQuery(f: PlaceFilter, limit: number, next: string | null): Query {
  return { kind: f.kind, q: f.q, subdistrict: f.subdistrict, limit, next };
}

export function listPlaces(f: PlaceFilter, limit = 20, next: string | null = null): Promise<Page<Place>> {
  return api.get<Page<Place>>('/api/v1/places', pageQuery(f, limit, next));
}

export function getPlace(id: number): Promise<Place> {
  return api.get<Place>(`/api/v1/places/${id}`);
}

export function placesExportUrl(f: PlaceFilter): string {
  return withQuery('/api/v1/places/export.xlsx', { kind: f.kind, q: f.q, subdistrict: f.subdistrict });
}

/** Features of every place (or one kind) for the map layers. */
export function mapPlaces(kind?: string): Promise<FeatureCollection> {
  return api.get<FeatureCollection>('/api/v1/map/places.geojson', { kind });
}

/** District (level 1) and subdistrict (level 2) outlines, the vector base layer. */
export function mapOutlines(): Promise<FeatureCollection> {
  return api.get<FeatureCollection>('/api/v1/map/outlines');
}

/* ---------- toilet survey import (R3.7) ---------- */

export type Crs = 'wgs84' | 'gcj02' | 'bd09';
export const CRS_LIST: Crs[] = ['gcj02', 'wgs84', 'bd09'];

/** One input row of the survey and what became of it. */
export interface SurveyRow {
  row: number;
  status: 'accepted' | 'fixed' | 'rejected' | 'duplicate' | 'skipped' | string;
  reason: string | null;
  name: string | null;
  subdistrict_name: string | null;
  gb_id: string | null;
  camera: string | null;
  lon: number | null;
  lat: number | null;
}

/** An import with one page of its rows: counts by row status, what was stored. */
export interface SurveyImport extends Page<SurveyRow> {
  id: number;
  created_by: string;
  created_at: number;
  crs: string;
  crs_from_sheet: boolean;
  header_row: number;
  rows: number;
  toilets: number;
  toilets_new: number;
  cameras: number;
  cameras_new: number;
  counts: Record<string, number>;
}

export function importToilets(file: File, crs: Crs, onProgress: (p: UploadProgress) => void): Promise<SurveyImport> {
  return uploadForm<SurveyImport>('/api/v1/toilets/import', { crs }, file, onProgress);
}

export function surveyRows(id: number, status: string | undefined, limit = 100, next: string | null = null): Promise<SurveyImport> {
  return api.get<SurveyImport>(`/api/v1/toilets/imports/${id}`, { status, limit, next });
}

export function surveyReportUrl(id: number): string {
  return `/api/v1/toilets/imports/${id}/report.xlsx`;
}
