/* features/platform/api.ts - platform reads (server area platform/: api/platform/audit.c,
 * divisions.c): the audit log and its hash-chain check (audit.read), the administrative
 * divisions and the industry classification used as labels everywhere (divisions.read).
 */
import { api, type Query } from '@/api/client';
import type { Page } from '@/api/types';

export interface Division {
  code: string;
  name: string;
  level: number;
  parent: string | null;
}

export interface Industry {
  code: string;
  name: string;
  name_en: string;
}

export interface AuditEntry {
  id: number;
  ts: number;
  actor: string | null;
  role: string | null;
  ip: string | null;
  action: string;
  target: string | null;
  result: string;
  request_id: string | null;
  detail: unknown;
}

export interface AuditVerifyReply {
  ok: boolean;
  checked: number;
  first_broken_id: number | null;
}

/** Filters of GET /api/v1/audit (times in ms since the epoch). */
export interface AuditFilters {
  actor: string | null;
  action: string | null;
  from: number | null;
  to: number | null;
}

export function listAudit(f: AuditFilters, limit: number, next: string | null): Promise<Page<AuditEntry>> {
  return api.get<Page<AuditEntry>>('/api/v1/audit', { limit, next, ...f } as Query);
}

export function verifyAudit(): Promise<AuditVerifyReply> {
  return api.get<AuditVerifyReply>('/api/v1/audit/verify');
}

/** The divisions of one level (2 = subdistricts of the district). */
export async function listDivisions(level: number): Promise<Division[]> {
  const r = await api.get<Page<Division>>('/api/v1/divisions', { level });
  return r.items;
}

/** The district's subdistricts (code -> name), for labels. */
export async function listSubdistricts(): Promise<Map<string, string>> {
  const items = await listDivisions(2);
  return new Map(items.map((d) => [d.code, d.name]));
}

/** The industry classification (GB/T 4754 sections), for labels. */
export async function listIndustries(): Promise<Map<string, Industry>> {
  const r = await api.get<Page<Industry>>('/api/v1/industries');
  return new Map(r.items.map((i) => [i.code, i]));
}
