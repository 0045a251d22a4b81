/* features/testing/api.ts - the personal test-result query (server area testing/:
 * api/testing/people.c, people_export.c; people.read; R4.1, R4.2).
 *
 * The ID number travels in the body of a POST, never in the URL. Names and numbers come
 * back masked unless the caller holds pii.reveal and states a reason; the server audits
 * both. The export answers the same history as an .xlsx file, with the same masking.
 */
import { api } from '@/api/client';

export interface PersonTest {
  sampled_at: number;
  tested_at: number | null;
  site_code: string;
  site_name: string;
  tube_code: string;
  institution: string | null;
  result: string | null;
}

export interface PersonReply {
  id_number: string;
  name: string;
  revealed: boolean;
  days: number;
  tests: PersonTest[];
}

/** The query: a cleaned and checked ID number, the days to look back, and when revealing,
 * the stated reason. */
export interface PersonQuery {
  id_number: string;
  days: number;
  reveal?: boolean;
  reason?: string;
}

export function lookupPerson(q: PersonQuery): Promise<PersonReply> {
  return api.post<PersonReply>('/api/v1/people/lookup', q);
}

/** The same query as an .xlsx file. */
export function exportPerson(q: PersonQuery): Promise<Blob> {
  return api.blob('/api/v1/people/export', q);
}
