/* features/exchange/history/api.ts - past testing rounds from a spreadsheet (issue 11,
 * R2.10): POST /api/v1/exchange/history/import (api/exchange/history.c) answers the counts
 * and a row-level report; a re-import of the same file changes nothing. */
import { api, type UploadProgress } from '@/api/client';

export const HISTORY_IMPORT_PATH = '/api/v1/exchange/history/import';

export interface HistoryReportRow {
  row: number;
  plan_no: string;
  key: string;
  status: 'accepted' | 'updated' | 'unchanged' | 'rejected';
  reason: string;
}

export interface HistoryImportReply {
  header_row: number;
  rows: number;
  plans_created: number;
  accepted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  report: HistoryReportRow[];
}

export function importHistory(f: File, onProgress: (p: UploadProgress) => void): Promise<HistoryImportReply> {
  const form = new FormData();
  form.append('file', f);
  return api.upload<HistoryImportReply>(HISTORY_IMPORT_PATH, form, onProgress);
}
