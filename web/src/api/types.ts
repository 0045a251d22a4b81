/* api/types.ts - JSON shapes shared by every area of the HTTP API (see the server's api/
 * folder). The shapes of one area live in its web/src/features/<area>/api.ts. */

/** A page of a list: items, the total (when the server counts it), the cursor of the next
 * page (null on the last one). */
export interface Page<T> {
  items: T[];
  total: number;
  next: string | null;
}
