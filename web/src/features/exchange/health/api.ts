/* features/exchange/health/api.ts - the health commission's 流调 records (issue 11, R2.13):
 * the masked lookup (POST, the ID number in the body, never in a URL) and the list. */
import { api, withQuery } from '@/api/client';

export interface EpiPlace {
  name: string;
  lon: number | null;
  lat: number | null;
  from: number;
  to: number | null;
}

export interface EpiRecord {
  id: number;
  source: string;
  external_id: string;
  kind: 'case' | 'close_contact' | 'secondary_contact';
  case_ref: string;
  subdistrict: string;
  reported_at: number;
  id_number: string;
  name: string;
  phone: string;
  address: string;
  created_at: number;
  places?: EpiPlace[];
}

export interface EpiLookup {
  id_number?: string;
  phone?: string;
  record_id?: number;
  reveal?: boolean;
  reason?: string;
}

export interface EpiLookupReply {
  revealed: boolean;
  items: EpiRecord[];
}

export interface EpiPage {
  items: EpiRecord[];
  total: number;
  next: string | null;
}

export function lookupEpi(q: EpiLookup): Promise<EpiLookupReply> {
  return api.post<EpiLookupReply>('/api/v1/exchange/health/epi/lookup', q);
}

export function listEpi(q: { subdistrict?: string; kind?: string; limit?: number; next?: string | null }): Promise<EpiPage> {
  return api.get<EpiPage>(withQuery('/api/v1/exchange/health/epi', q));
}

/* The 流调场所 layer of the main map: GET /api/v1/exchange/health/places?from&to (health.read,
 * scoped): WGS-84 points grouped by place, with first/last visit and a record count; nothing
 * personal. */
export interface EpiPlacePoint {
  type: 'Feature';
  geometry: { type: 'Point'; coordinates: [number, number] };
  properties: { name: string; first_at: number; last_at: number; records: number };
}
export interface EpiPlacesReply {
  type: 'FeatureCollection';
  features: EpiPlacePoint[];
  truncated: boolean;
}

export function epiPlaces(from?: number, to?: number): Promise<EpiPlacesReply> {
  return api.get<EpiPlacesReply>(withQuery('/api/v1/exchange/health/places', { from, to }));
}

/* 医生信息 (the commission's doctors): GET /api/v1/exchange/health/doctors (health.read, scoped,
 * masked; name and phone search exactly through blind indexes; format=xlsx exports) and
 * POST .../doctors/reveal {id, reason} (pii.reveal; audited). */
export interface Doctor {
  id: number;
  source: string;
  external_id: string;
  name: string;
  phone: string;
  institution: string;
  title: string;
  subdistrict: string;
  site_code: string;
  created_at: number;
}

export interface DoctorFilter {
  site_code?: string;
  name?: string;
  phone?: string;
}

export const DOCTORS_PATH = '/api/v1/exchange/health/doctors';

export function doctorQuery(f: DoctorFilter) {
  return { site_code: f.site_code || undefined, name: f.name || undefined, phone: f.phone || undefined };
}

export function listDoctors(f: DoctorFilter, limit: number, next: string | null): Promise<{ items: Doctor[]; total: number; next: string | null }> {
  return api.get(withQuery(DOCTORS_PATH, { ...doctorQuery(f), limit, next }));
}

export function doctorsXlsxUrl(f: DoctorFilter): string {
  return withQuery(DOCTORS_PATH, { ...doctorQuery(f), format: 'xlsx' });
}

export function revealDoctor(id: number, reason: string): Promise<{ item: Doctor }> {
  return api.post<{ item: Doctor }>(`${DOCTORS_PATH}/reveal`, { id, reason });
}

/* POST .../doctors/import (health.write): an .xlsx or .csv of doctors, through the same
 * ingest as the feed; per-row outcomes. */
export interface DoctorImport {
  rows: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  items: { row: number; external_id: string; status: 'accepted' | 'duplicate' | 'rejected'; field?: string; reason?: string }[];
}

export function importDoctors(file: File): Promise<DoctorImport> {
  const fd = new FormData();
  fd.append('file', file, file.name);
  return api.upload<DoctorImport>(`${DOCTORS_PATH}/import`, fd);
}
