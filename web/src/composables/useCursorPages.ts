/* composables/useCursorPages.ts - a list read page by page with the server's cursor
 * ({"items","total","next"}, api/types.ts Page), shown as numbered pages (issue 14: an
 * el-pagination with the total and page sizes, components/CursorPager.vue).
 *
 * The server pages by cursor, not by offset: the cursor of page k is the "next" of page
 * k-1. The cursors seen are kept, so going back is one request; jumping ahead reads the
 * pages in between (at most the pager's last page; their rows are not kept). load() starts
 * again at page 1 (a new filter); setSize() changes the page size and starts again. A
 * failure goes to the caller's error ref (shown by ErrorAlert); loading is true while a
 * page is on its way. fetchPage gets the cursor and the page size. */
import { ref, type Ref } from 'vue';
import type { Page } from '@/api/types';

export const PAGE_SIZES = [10, 20, 50, 100];

export function useCursorPages<T, P extends Page<T> = Page<T>>(
  fetchPage: (next: string | null, limit: number) => Promise<P>,
  error: Ref<unknown>,
  initialSize = 20,
) {
  const rows = ref([]) as Ref<T[]>;
  const total = ref(0);
  const next = ref<string | null>(null);
  const loading = ref(false);
  const page = ref(1);
  const size = ref(initialSize);
  /* cursors[k] is the cursor of page k+1 (page 1: null) */
  let cursors: (string | null)[] = [null];
  let generation = 0;

  /** Shows a page got some other way (an upload's reply that is the first page). */
  function show(p: Page<T>, more = false) {
    rows.value = more ? rows.value.concat(p.items) : p.items;
    total.value = p.total;
    next.value = p.next;
    if (!more) {
      page.value = 1;
      cursors = [null, p.next];
    }
  }

  async function run(task: (gen: number) => Promise<P | null>): Promise<P | null> {
    const gen = ++generation;
    loading.value = true;
    error.value = null;
    try {
      return await task(gen);
    } catch (e) {
      if (gen === generation) error.value = e;
      return null;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  /** Loads page 1 (again), or appends the next page when more (kept for lists that grow). */
  function load(more = false): Promise<P | null> {
    return run(async (gen) => {
      const p = await fetchPage(more ? next.value : null, size.value);
      if (gen !== generation) return null;
      show(p, more);
      return p;
    });
  }

  /** Shows page n (1-based), reading the pages before it whose cursors are not known yet. */
  function goto(n: number): Promise<P | null> {
    return run(async (gen) => {
      while (cursors.length < n) {
        const at = cursors[cursors.length - 1];
        if (at === null && cursors.length > 1) break; /* the list ended early */
        const skipped = await fetchPage(at, size.value);
        if (gen !== generation) return null;
        cursors.push(skipped.next);
      }
      const k = Math.min(n, cursors.length);
      const p = await fetchPage(cursors[k - 1], size.value);
      if (gen !== generation) return null;
      rows.value = p.items;
      total.value = p.total;
      next.value = p.next;
      page.value = k;
      cursors[k] = p.next;
      cursors.length = k + 1;
      return p;
    });
  }

  /** A new page size: back to page 1. */
  function setSize(n: number): Promise<P | null> {
    size.value = n;
    return load();
  }

  return { rows, total, next, loading, page, size, load, goto, setSize, show };
}
