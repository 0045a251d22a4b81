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
  action_name: string | null;
  action_name_en: string | null;
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
  result: string | null;
  from: number | null;
  to: number | null;
}

export const AUDIT_PATH = '/api/v1/audit';

/** An action code with its names (GET /api/v1/audit/actions). */
export interface AuditAction {
  code: string;
  name: string;
  name_en: string;
}

export async function listAuditActions(): Promise<AuditAction[]> {
  const r = await api.get<{ items: AuditAction[] }>('/api/v1/audit/actions');
  return r.items;
}

/** The security policy (GET/PUT /api/v1/settings/policy; settings.read / settings.write). */
export interface Policy {
  password_min_length: number;
  password_min_classes: number;
  password_max_age_ms: number;
  lockout_attempts: number;
  lockout_ms: number;
  session_idle_ms: number;
  session_absolute_ms: number;
  totp_for_all: boolean;
  pbkdf2_iterations: number;
  /** Rows one account may look up by batch in 24 hours (issue 12; 1,000..100,000,000). */
  batch_rows_per_day: number;
}

export function getPolicy(): Promise<Policy> {
  return api.get<Policy>('/api/v1/settings/policy');
}

export function putPolicy(p: Policy): Promise<Policy> {
  return api.put<Policy>('/api/v1/settings/policy', p);
}

/* Retention limits in days, 0 = keep forever (issue 12; domain/retention/retention.h). */
export interface Retention {
  samples_days: number;
  checkins_days: number;
  tombstones_days: number;
  batches_days: number;
}

export function getRetention(): Promise<Retention> {
  return api.get<Retention>('/api/v1/settings/retention');
}

export function putRetention(r: Retention): Promise<Retention> {
  return api.put<Retention>('/api/v1/settings/retention', r);
}

export function listAudit(f: AuditFilters, limit: number, next: string | null): Promise<Page<AuditEntry>> {
  return api.get<Page<AuditEntry>>(AUDIT_PATH, { limit, next, ...f } as Query);
}

/** One lookup of a person (POST /api/v1/audit/lookups, issue 12): a personal lookup from the
 * audit log, or a batch that held the person's ID. */
export interface PersonLookup {
  kind: 'person' | 'batch';
  ts: number;
  actor: string;
  role: string;
  action: string;
  action_name?: string;
  result: string;
  batch_id?: number;
}

/** Who looked up this person: the number in the body, turned into its blind index server side. */
export function findPersonLookups(idNumber: string): Promise<{ items: PersonLookup[]; truncated: boolean }> {
  return api.post<{ items: PersonLookup[]; truncated: boolean }>('/api/v1/audit/lookups', { id_number: idNumber });
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

/** GET /api/v1/settings/security-summary: the security administrator's home page. */
export interface SecuritySummary {
  locked_accounts: { total: number; items: { id: number; username: string; role: string; locked_until: number; failed_attempts: number }[] };
  failed_logins_today: number;
  lockouts_today: number;
  since: number;
  policy: Policy;
  recent: { id: number; ts: number; actor: string; role: string; ip: string; action: string; action_name: string | null; result: string; target: string }[];
}

export function getSecuritySummary(): Promise<SecuritySummary> {
  return api.get<SecuritySummary>('/api/v1/settings/security-summary');
}
