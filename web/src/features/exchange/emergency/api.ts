/* features/exchange/emergency/api.ts - the emergency bureau's (应急局) statistics (issue 11,
 * R2.8, R2.9): GET /api/v1/exchange/emergency/by-subdistrict|by-industry?plan= answers our
 * figures in the bureau's layout with theirs beside each row (api/exchange/emergency.c;
 * docs/modules/exchange.md). Live: the "exchange.emergency" topic announces their sends,
 * "planned" and "actuals" change ours. */
import { api, type UploadProgress } from '@/api/client';

export type EmergencyLayout = 'subdistrict' | 'industry';
export const LAYOUTS: EmergencyLayout[] = ['subdistrict', 'industry'];
export const LIVE_TOPICS = ['exchange.emergency', 'planned', 'actuals'];

export interface TheirFigures {
  name: string;
  plan_name: string;
  planned: number;
  actual: number;
  difference: number;
  start_time: number;
  received_time: number;
  industry_counts?: Record<string, number>;
  source: string;
  updated_at: number;
}

export interface EmergencyRow {
  /** our subdistrict or industry code; '' when the bureau's name resolves to none */
  code: string;
  name: string;
  plan_no: string;
  plan_name: string;
  start_time: number;
  received_time: number;
  planned: number;
  actual: number;
  /** planned - actual */
  difference: number;
  industry_counts?: Record<string, number>;
  theirs: TheirFigures | null;
  /** ours - theirs */
  delta: { planned: number; actual: number; difference: number } | null;
  mismatch: boolean;
}

export interface EmergencyReply {
  plan_no: string;
  plan_name: string;
  start_time: number;
  layout: EmergencyLayout;
  generated_at: number;
  rows: EmergencyRow[];
}

export function emergencyPath(layout: EmergencyLayout): string {
  return `/api/v1/exchange/emergency/by-${layout}`;
}

export function getEmergency(layout: EmergencyLayout, plan: string): Promise<EmergencyReply> {
  return api.get<EmergencyReply>(emergencyPath(layout), { plan });
}

/* The bureau's sheet uploaded: POST /api/v1/exchange/emergency/import (plans.write), the
 * CLI's `exchange emergency import` over the upload; a row report comes back. */
export const EMERGENCY_IMPORT_PATH = '/api/v1/exchange/emergency/import';

export interface EmergencyReportRow {
  row: number;
  status: 'accepted' | 'rejected' | 'skipped';
  name: string;
  reason: string;
}

export interface EmergencyImportReply {
  layout: EmergencyLayout;
  header_row: number;
  rows: number;
  accepted: number;
  rejected: number;
  skipped: number;
  inserted: number;
  updated: number;
  unchanged: number;
  report: EmergencyReportRow[];
}

export function importEmergency(f: File, onProgress: (p: UploadProgress) => void): Promise<EmergencyImportReply> {
  const form = new FormData();
  form.append('file', f);
  return api.upload<EmergencyImportReply>(EMERGENCY_IMPORT_PATH, form, onProgress);
}
