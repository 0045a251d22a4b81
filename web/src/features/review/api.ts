/* features/review/api.ts - planned vs actual per round and the correction workflow
 * (issue 10; R1.4-R1.6): api/testing/plans.c (rounds, progress, lock), actuals.c (reports,
 * proposing a corrected figure), corrections.c (the review list, approve, reject).
 *
 * The workflow, in the spirit of DHIS2's data approval: a subdistrict proposes a corrected
 * figure with a reason; the district approves or rejects it with a comment; only approved
 * corrections change the effective figure; a locked round refuses proposals, decisions and
 * new reports with 409 until the district unlocks it. The server keeps the original, the
 * proposal and the decision, audits each step and pushes it as an event. */
import { api, type Query } from '@/api/client';
import type { Page } from '@/api/types';

export interface Plan {
  id: number;
  plan_no: string;
  name: string;
  kind: string;
  starts_at: number;
  ends_at: number;
  scope: string[];
  /** true while the district has locked the round */
  locked?: boolean;
}

export type ProgressBy = 'subdistrict' | 'community' | 'industry';
export const PROGRESS_BY: ProgressBy[] = ['subdistrict', 'community', 'industry'];

/** One row of planned vs actual: planned (应检), reported (报送), corrected (更正后),
 * sampled (实检, counted from scans), difference = planned - sampled (behind when > 0), completion in basis
 * points (10000 = 100 %) of sampled against planned. */
export interface ProgressRow {
  subdistrict?: string;
  subdistrict_name?: string;
  /** the community or industry (GB/T 4754) code and name; absent by subdistrict */
  code?: string | null;
  name?: string | null;
  planned: number;
  reported: number;
  corrected: number;
  /** null by industry: scans carry no industry */
  sampled: number | null;
  difference?: number;
  completion?: number;
}

/** basis: what difference and completion compare with planned ("sampled", or "corrected"
 * by industry). */
export interface ProgressReply {
  plan_no: string;
  by: ProgressBy;
  basis?: 'sampled' | 'corrected';
  locked?: boolean;
  items: ProgressRow[];
  total?: number;
}

/** An actual report (实检报送) with its effective figure after approved corrections. */
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
  /** the id of a proposal awaiting the district's decision, if any */
  pending_correction?: number | null;
}

export type CorrectionState = 'proposed' | 'approved' | 'rejected';
export const CORRECTION_STATES: CorrectionState[] = ['proposed', 'approved', 'rejected'];

/** A correction: the original and the corrected figure with the reason, who proposed it and
 * when (actor, corrected_at), and the district's decision (decided_by, decided_at, comment). */
export interface Correction {
  id: number;
  actual_id: number;
  plan_no: string;
  subdistrict: string;
  industry: string | null;
  original: number;
  corrected: number;
  reason: string;
  actor: string;
  corrected_at: number;
  state: CorrectionState | string;
  decided_by: string | null;
  decided_at: number | null;
  comment: string | null;
}

export const PLANS_PATH = '/api/v1/plans';
export const ACTUALS_PATH = '/api/v1/actuals';
export const CORRECTIONS_PATH = '/api/v1/corrections';

const enc = (s: string) => encodeURIComponent(s);

/** The plans the caller may see, newest start first (at most a few thousand). */
export async function listPlans(): Promise<Plan[]> {
  let out: Plan[] = [];
  let next: string | null = null;
  for (let i = 0; i < 5; i++) {
    const r: Page<Plan> = await api.get<Page<Plan>>(PLANS_PATH, { limit: 1000, next });
    out = out.concat(r.items);
    next = r.next;
    if (!next) break;
  }
  return out.sort((a, b) => b.starts_at - a.starts_at || b.id - a.id);
}

export function getPlan(planNo: string): Promise<Plan> {
  return api.get<Plan>(`${PLANS_PATH}/${enc(planNo)}`);
}

export function progressPath(planNo: string): string {
  return `${PLANS_PATH}/${enc(planNo)}/progress`;
}

export function planProgress(planNo: string, by: ProgressBy): Promise<ProgressReply> {
  return api.get<ProgressReply>(progressPath(planNo), { by });
}

export function lockPlan(planNo: string): Promise<unknown> {
  return api.post<unknown>(`${PLANS_PATH}/${enc(planNo)}/lock`, {});
}

export function unlockPlan(planNo: string): Promise<unknown> {
  return api.post<unknown>(`${PLANS_PATH}/${enc(planNo)}/unlock`, {});
}

export function listActuals(planNo: string, limit = 50, next: string | null = null): Promise<Page<Actual>> {
  return api.get<Page<Actual>>(ACTUALS_PATH, { plan_no: planNo, limit, next });
}

/** Proposes (subdistrict) or makes (district) a corrected figure with a reason. */
export function proposeCorrection(actualId: number, corrected: number, reason: string): Promise<{ correction: Correction; actual: Actual }> {
  return api.post(`${ACTUALS_PATH}/${actualId}/corrections`, { corrected, reason });
}

export interface CorrectionFilter {
  plan?: string;
  state?: string;
  subdistrict?: string;
}

export function correctionsQuery(f: CorrectionFilter): Query {
  return { plan: f.plan, state: f.state, subdistrict: f.subdistrict };
}

export function listCorrections(f: CorrectionFilter, limit = 50, next: string | null = null): Promise<Page<Correction>> {
  return api.get<Page<Correction>>(CORRECTIONS_PATH, { ...correctionsQuery(f), limit, next });
}

export function approveCorrection(id: number, comment: string): Promise<unknown> {
  return api.post<unknown>(`${CORRECTIONS_PATH}/${id}/approve`, { comment });
}

export function rejectCorrection(id: number, comment: string): Promise<unknown> {
  return api.post<unknown>(`${CORRECTIONS_PATH}/${id}/reject`, { comment });
}

/** The figure a row is measured by: sampled, or corrected where scans say nothing (industry). */
function basisOf(r: ProgressRow): number {
  return r.sampled ?? r.corrected;
}

/** Planned minus the basis (how far behind; negative = more than planned), when the
 * server did not send it (the server's definition, domain/testing/progress.h). */
export function difference(r: ProgressRow): number {
  return r.difference ?? r.planned - basisOf(r);
}

/** Completion in basis points (the basis against planned), when the server did not send it. */
export function completion(r: ProgressRow): number {
  return r.completion ?? (r.planned > 0 ? Math.floor((basisOf(r) * 10000) / r.planned) : 0);
}
