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
