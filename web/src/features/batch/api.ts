/* features/batch/api.ts - batch queries (server area batch/: api/batch/batches.c;
 * people.read; R4.3-R4.7): upload a resident list (.xlsx or .csv, at most 64 MiB), list and
 * read batches (progress while they run), re-run with a window, delete, and the export
 * links (.xlsx generated on demand). Subdistrict accounts see their subdistrict's batches,
 * district accounts all (the server decides).
 */
import { api, type UploadProgress } from '@/api/client';


/** Days to look back that the pages offer. */
export const DAY_CHOICES = [1, 3, 5, 7, 14];

export type BatchStatus = 'queued' | 'running' | 'done' | 'failed';

/** The per-row status codes of a batch, in the order the detail page lists them. */
export const ROW_STATUS_CODES = ['ok', 'fixed', 'converted_15', 'duplicate', 'bad_checksum', 'bad_date', 'excel_corrupted', 'empty', 'formula', 'not_an_id', 'damaged'];

/** A batch as GET /api/v1/batches and GET /api/v1/batches/{id} give it. */
export interface Batch {
  id: number;
  status: BatchStatus | string;
  file_name: string;
  format: string;
  file_bytes: number;
  owner: string;
  subdistrict: string | null;
  rows: number;
  valid: number;
  found: number;
  not_found: number;
  invalid: number;
  duplicate: number;
  tested: number;
  by_status: Record<string, number>;
  /** 0..1 */
  progress: number;
  stage: string | null;
  days: number;
  days_window: number;
  /** The stored error in the request's language; its catalogue reason beside it. */
  error: string | null;
  error_reason?: string;
  /** The uploader or a district account (the server enforces it on DELETE). */
  can_delete: boolean;
  /** Issue 12: the uploaded cells (names, phones) are the uploader's unless shared. */
  shared: boolean;
  is_owner: boolean;
  can_export: boolean;
  runs: number;
  created_at: number;
  queued_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  /** The columns found in the file (0-based; null = none). */
  columns: { id: number; name: number | null; phone: number | null; header_row: number | null; id_rule: string };
}

export interface BatchPage {
  items: Batch[];
  total: number;
  next: string | null;
}

/** One row of GET /api/v1/batches/{id}/rows: no name, no phone, the ID masked. */
export interface BatchRow {
  row: number;
  id_masked: string;
  status: string;
  status_text: string;
}

export interface BatchRowPage {
  items: BatchRow[];
  total: number;
  next: string | null;
}

/** A page of a done batch's results, status = a row status code or '' for all. */
export function listBatchRows(id: number | string, status: string, limit: number, next: string | null): Promise<BatchRowPage> {
  return api.get<BatchRowPage>(`/api/v1/batches/${encodeURIComponent(String(id))}/rows`, { status: status || undefined, limit, next });
}

/** The 导入模板 workbook (身份证号 / 姓名 / 手机号 headers). */
export const TEMPLATE_HREF = '/api/v1/batches/template';

/** Queued or running: its numbers still change. */
export function isOpen(b: Pick<Batch, 'status'> | null | undefined): boolean {
  return b?.status === 'queued' || b?.status === 'running';
}

/** The list's filters (issue 14): subdistrict (district accounts only; the server keeps a
 * scoped account's own), the uploader's username, a status, and created_at in [from, to) (ms). */
export interface BatchFilter {
  subdistrict?: string;
  uploader?: string;
  status?: string;
  from?: number;
  to?: number;
}

export function listBatches(limit: number, next: string | null, f: BatchFilter = {}): Promise<BatchPage> {
  return api.get<BatchPage>('/api/v1/batches', { limit, next, ...f });
}

export function getBatch(id: number | string): Promise<Batch> {
  return api.get<Batch>(`/api/v1/batches/${encodeURIComponent(String(id))}`);
}

/** Uploads a list; days = the window to look back. onProgress hears the bytes sent. */
export function uploadBatch(file: File, days: number, onProgress?: (p: UploadProgress) => void): Promise<Batch> {
  const fd = new FormData();
  fd.append('days', String(days));
  fd.append('file', file, file.name);
  return api.upload<Batch>('/api/v1/batches', fd, onProgress);
}

/** Queues the batch again; days omitted = its previous window. */
export function rerunBatch(id: number, days?: number): Promise<Batch> {
  return api.post<Batch>(`/api/v1/batches/${id}/rerun`, days === undefined ? {} : { days });
}

/** The uploader shares the batch's exports with its subdistrict, or takes them back. */
export function shareBatch(id: number, share: boolean): Promise<Batch> {
  return api.post<Batch>(`/api/v1/batches/${id}/share`, { share });
}

/** The caller's batch lookup quota over the last 24 hours. */
export interface BatchQuota {
  limit: number;
  used: number;
  remaining: number;
}

export function getBatchQuota(): Promise<BatchQuota> {
  return api.get<BatchQuota>('/api/v1/batches/quota');
}

export function deleteBatch(id: number): Promise<void> {
  return api.del<void>(`/api/v1/batches/${id}`);
}

export type ExportRows = 'all' | 'not_found' | 'invalid';

/** The link of an export (a plain GET the browser downloads with the session cookie). */
export function exportHref(id: number | string, rows: ExportRows): string {
  return `/api/v1/batches/${encodeURIComponent(String(id))}/export?rows=${rows}`;
}
