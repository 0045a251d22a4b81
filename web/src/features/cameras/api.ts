/* features/cameras/api.ts - the camera ledger, nearby search, bindings and the
 * reconciliation against the video network's device export (issue 8; R3.1-R3.9, R3.11).
 * The stream address is never part of any reply the UI sees. */
import { api, withQuery } from '@/api/client';
import type { Page } from '@/features/places/api';
import { uploadForm, type UploadProgress } from '@/features/places/upload';

export type CameraStatus = 'online' | 'offline' | 'unknown';

export interface Camera {
  id: number;
  gb_id: string;
  name: string | null;
  lon: number | null;
  lat: number | null;
  direction: string | number | null;
  owner: string | null;
  status: CameraStatus | string;
  last_seen_at: number | null;
  subdistrict: string | null;
  place_ids: number[];
  distance_m?: number | null;
  /** in /places/{id}/cameras: bound to the place, or only nearby */
  bound?: boolean;
}

export interface CameraFilter {
  q?: string;
  status?: string;
  subdistrict?: string;
}

export const RADIUS_MIN = 100;
export const RADIUS_MAX = 2000;
export const RADIUS_DEFAULT = 300;

export function listCameras(f: CameraFilter, limit = 20, next: string | null = null): Promise<Page<Camera>> {
  return api.get<Page<Camera>>('/api/v1/cameras', { q: f.q, status: f.status, subdistrict: f.subdistrict, limit, next });
}

export function getCamera(id: number): Promise<Camera> {
  return api.get<Camera>(`/api/v1/cameras/${id}`);
}

export function camerasExportUrl(f: CameraFilter): string {
  return withQuery('/api/v1/cameras/export.xlsx', { q: f.q, status: f.status, subdistrict: f.subdistrict });
}

/** Cameras within `within` metres of a WGS-84 point, nearest first (distance_m set). */
export function camerasNear(lon: number, lat: number, within: number, limit = 100): Promise<Page<Camera>> {
  return api.get<Page<Camera>>('/api/v1/cameras', { near: `${lon.toFixed(6)},${lat.toFixed(6)}`, within, limit });
}

/** Cameras of a place: the bound ones and, with within, the ones nearby (distance_m set). */
export function placeCameras(placeId: number, within?: number): Promise<Page<Camera>> {
  return api.get<Page<Camera>>(`/api/v1/places/${placeId}/cameras`, { within });
}

/* ---------- reconciliation (R3.8) and binding (R3.9) ---------- */

export type ReconClass = 'matched' | 'conflict' | 'only_survey' | 'only_online';
export const RECON_CLASSES: ReconClass[] = ['matched', 'conflict', 'only_survey', 'only_online'];

export interface Reconciliation {
  id: number | string;
  counts: Record<string, number>;
  within_m?: number;
  devices?: number;
  rejected?: number;
  created_at?: number;
  /** the binding made from this run and not undone, if any */
  binding_batch?: number | null;
}

export interface ReconRow {
  gb_id: string;
  class: ReconClass | string;
  distance_m: number | null;
  reason: string | null;
  toilets?: string[] | string | null;
  place_ids?: number[];
  name?: string | null;
  status?: string | null;
  lon?: number | null;
  lat?: number | null;
}

export interface ReconPage extends Page<ReconRow> {
  id?: number | string;
  counts?: Record<string, number>;
}

export interface BindResult {
  bound: number;
  binding_batch: number | string | null;
}

export function reconcile(file: File, within: number, onProgress: (p: UploadProgress) => void): Promise<Reconciliation> {
  return uploadForm<Reconciliation>('/api/v1/cameras/reconcile', { within }, file, onProgress);
}

export function reconRows(id: number | string, cls: string | undefined, limit = 50, next: string | null = null): Promise<ReconPage> {
  return api.get<ReconPage>(`/api/v1/reconciliations/${encodeURIComponent(String(id))}`, { class: cls, limit, next });
}

export function reconExportUrl(id: number | string, cls?: string): string {
  return withQuery(`/api/v1/reconciliations/${encodeURIComponent(String(id))}/export.xlsx`, { class: cls });
}

export function bindMatched(id: number | string): Promise<BindResult> {
  return api.post<BindResult>(`/api/v1/reconciliations/${encodeURIComponent(String(id))}/bind`, {});
}

export function undoBinding(batch: number | string): Promise<unknown> {
  return api.post<unknown>(`/api/v1/binding-batches/${encodeURIComponent(String(batch))}/undo`, {});
}

/* ---------- camera checks (R3.11) ---------- */

export interface CameraCheckRow {
  camera_id: number;
  gb_id: string;
  camera_name: string | null;
  place_id: number;
  place_name: string;
  place_kind: string;
  checked: boolean;
  checked_at: number | null;
  position_ok: boolean | null;
  playable: boolean | null;
  covers: string | null;
  checked_by: string | null;
}

export interface CameraCheckInput {
  position_ok: boolean;
  playable: boolean;
  covers?: string;
  note?: string;
  place_id?: number;
}

/** The cameras bound to places of a kind with their latest check; stale_days keeps those
 * never checked or last checked that many days ago or more. */
export function cameraChecks(kind: string | undefined, staleDays: number | undefined): Promise<Page<CameraCheckRow>> {
  return api.get<Page<CameraCheckRow>>('/api/v1/camera-checks', { kind, stale_days: staleDays });
}

export function recordCheck(cameraId: number, c: CameraCheckInput): Promise<{ id: number }> {
  return api.post<{ id: number }>(`/api/v1/cameras/${cameraId}/checks`, c);
}

/* ---------- bindings (R3.9) ---------- */

export interface Binding {
  place_id: number;
  place_name: string;
  camera_id: number;
  gb_id: string;
  camera_name: string;
  bound_by: string;
  bound_at: number;
  batch_id: number | null;
}

/** Every binding in scope (the server sends them all, by place then camera). */
export function listBindings(): Promise<Page<Binding>> {
  return api.get<Page<Binding>>('/api/v1/bindings');
}

export const BINDINGS_EXPORT_URL = '/api/v1/bindings/export.xlsx';
