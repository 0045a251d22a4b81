/* features/exchange/hotline/api.ts - 12345 hotline tickets (R2.12): one pass of a rule over an
 * uploaded ticket list (POST /api/v1/exchange/hotline/extract), as JSON or as the hits'
 * .xlsx. Rule semantics: docs/modules/exchange.md (the server is the one evaluator). */
import { api, type UploadProgress } from '@/api/client';

export interface HotlineRuleInput {
  /** the keyword expression, e.g. 核酸 AND (排队 OR 人多) NOT 疫苗 */
  rule: string;
  /** category path prefixes, one per line (any of them) */
  categories: string;
  /** synonym groups, one per line */
  synonyms: string;
}

export interface HotlineHit {
  row: number;
  number: string;
  received: string;
  category: string;
  title: string;
  content: string;
  address: string;
  /** masked by the server */
  caller: string;
  /** masked by the server */
  phone: string;
  status: string;
}

export interface HotlineExtract {
  /** how the server read the rule, fully parenthesised */
  rule: string;
  counts: { header_row: number; tickets: number; no_number: number; in_category: number; matched: number };
  /** the first 500 hits */
  items: HotlineHit[];
  total: number;
}

const PATH = '/api/v1/exchange/hotline/extract';

function form(input: HotlineRuleInput, file: File): FormData {
  const fd = new FormData();
  fd.append('rule', input.rule);
  if (input.categories.trim()) fd.append('categories', input.categories);
  if (input.synonyms.trim()) fd.append('synonyms', input.synonyms);
  fd.append('file', file, file.name);
  return fd;
}

export function extractHotline(input: HotlineRuleInput, file: File, onProgress?: (p: UploadProgress) => void): Promise<HotlineExtract> {
  return api.upload<HotlineExtract>(PATH, form(input, file), onProgress);
}

export function exportHotline(input: HotlineRuleInput, file: File): Promise<Blob> {
  return api.blob(`${PATH}?format=xlsx`, form(input, file));
}

/** sample picks n items at random (Fisher-Yates on a copy), in their original order. */
export function sample<T extends { row: number }>(items: T[], n: number, random: () => number = Math.random): T[] {
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, Math.max(0, n)).sort((a, b) => a.row - b.row);
}

/* Stored tickets, rule sets, runs and samples (migration 0017; hotline.read / hotline.write). */
const BASE = '/api/v1/exchange/hotline';

export interface HotlineReject {
  row: number;
  number: string;
  reason_code: string;
  /** in the page's language */
  reason: string;
}

export interface HotlineImport {
  header_row: number;
  rows: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** the first 1000 rejected rows */
  rejects: HotlineReject[];
}

export interface StoredTicket {
  id: number;
  number: string;
  received_at: number;
  category: string;
  title: string;
  content: string;
  /** "***" when given: never opened */
  address: string;
  /** masked */
  caller: string;
  /** masked */
  phone: string;
  status: string;
  /** in a sample: the verdict, null while unchecked */
  relevant: boolean | null;
}

export interface Page<T> {
  items: T[];
  total: number;
  next: string | null;
}

export interface RuleSetInput {
  name: string;
  categories: string;
  expression: string;
  synonyms: string;
}

export interface RuleVersion extends RuleSetInput {
  /** the rule set's id */
  id: number;
  version_id: number;
  version: number;
  created_by: string;
  created_at: number;
  runs: number;
  last_matched: number | null;
  checked: number;
  relevant: number;
  /** relevant / checked over the samples of this version's runs; null when none checked */
  precision: number | null;
}

export interface HotlineRun {
  id: number;
  rule_id: number;
  version_id: number;
  version: number;
  name: string;
  from: number;
  to: number;
  tickets: number;
  in_category: number;
  matched: number;
  created_at: number;
  created_by: string;
}

export interface HotlineSample {
  id: number;
  run_id: number;
  drawn: number;
  checked: number;
  relevant: number;
  precision: number | null;
  created_at: number;
  items: StoredTicket[];
}

export function importTickets(file: File, onProgress?: (p: UploadProgress) => void): Promise<HotlineImport> {
  const fd = new FormData();
  fd.append('file', file, file.name);
  return api.upload<HotlineImport>(`${BASE}/tickets`, fd, onProgress);
}

export const listRules = () => api.get<{ items: RuleVersion[] }>(`${BASE}/rules`);
export const ruleVersions = (id: number) => api.get<{ items: RuleVersion[] }>(`${BASE}/rules/${id}/versions`);
export const createRule = (r: RuleSetInput) => api.post<{ id: number; version: number }>(`${BASE}/rules`, r);
export const updateRule = (id: number, r: RuleSetInput) => api.put<{ id: number; version: number }>(`${BASE}/rules/${id}`, r);
export const startRun = (id: number, from: string, to: string) => api.post<HotlineRun>(`${BASE}/rules/${id}/runs`, { from, to });
export const listRuns = (rule?: number) => api.get<{ items: HotlineRun[] }>(`${BASE}/runs`, { rule });
export const runHits = (run: number, limit: number, next?: string | null) =>
  api.get<Page<StoredTicket>>(`${BASE}/runs/${run}/hits`, { limit, next });
export const runHitsXlsxUrl = (run: number) => `${BASE}/runs/${run}/hits?format=xlsx`;
export const takeSample = (run: number, n: number) => api.post<HotlineSample>(`${BASE}/runs/${run}/sample`, { n });
export const getSample = (id: number) => api.get<HotlineSample>(`${BASE}/samples/${id}`);
export const markSample = (id: number, ticket: number, relevant: boolean) =>
  api.put<HotlineSample>(`${BASE}/samples/${id}/items/${ticket}`, { relevant });

/** percent formats a precision (0..1) as "66.7%", "—" when null. */
export function percent(p: number | null): string {
  return p === null ? '—' : `${(p * 100).toFixed(1)}%`;
}
