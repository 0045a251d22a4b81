/* composables/useCursorPages.ts - a list read page by page with the server's cursor
 * ({"items","total","next"}, api/types.ts Page): the first page replaces the rows, "load
 * more" appends the next one. A failure goes to the caller's error ref (shown by
 * ErrorAlert); loading is true while a page is on its way. */
import { ref, type Ref } from 'vue';
import type { Page } from '@/api/types';

export function useCursorPages<T, P extends Page<T> = Page<T>>(fetchPage: (next: string | null) => Promise<P>, error: Ref<unknown>) {
  const rows = ref([]) as Ref<T[]>;
  const total = ref(0);
  const next = ref<string | null>(null);
  const loading = ref(false);

  /** Shows a page got some other way (an upload's reply that is the first page). */
  function show(p: Page<T>, more = false) {
    rows.value = more ? rows.value.concat(p.items) : p.items;
    total.value = p.total;
    next.value = p.next;
  }

  /** Loads the first page, or the next one when more; returns it, or null on failure. */
  async function load(more = false): Promise<P | null> {
    loading.value = true;
    error.value = null;
    try {
      const p = await fetchPage(more ? next.value : null);
      show(p, more);
      return p;
    } catch (e) {
      error.value = e;
      return null;
    } finally {
      loading.value = false;
    }
  }

  return { rows, total, next, loading, load, show };
}
