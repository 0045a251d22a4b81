/* features/video/wall.ts - the camera wall's state (issue 9 UI): the layouts, the camera in each
 * tile, kept per browser in localStorage (ids and labels only, never a stream or a link), and
 * the drag payload between the camera list and the tiles. */

export const LAYOUTS = [1, 4, 9, 16] as const;
export type Layout = (typeof LAYOUTS)[number];
export const MAX_TILES = 16;
export const CAMERA_MIME = 'application/x-jiayuan-camera';
const STORAGE_KEY = 'jiayuan.video.wall';

/** What a tile keeps of its camera. */
export interface WallCamera {
  id: number;
  gb_id: string;
  name: string | null;
  status: string;
}

export interface WallState {
  layout: Layout;
  tiles: (WallCamera | null)[];
}

function isCamera(x: unknown): x is WallCamera {
  const c = x as WallCamera | null;
  return !!c && Number.isInteger(c.id) && c.id > 0 && typeof c.gb_id === 'string';
}

export function emptyTiles(): (WallCamera | null)[] {
  return Array.from({ length: MAX_TILES }, () => null);
}

export function loadWall(): WallState {
  try {
    const j = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as { layout?: unknown; tiles?: unknown } | null;
    const layout = LAYOUTS.find((l) => l === j?.layout) ?? 4;
    const tiles = emptyTiles();
    if (Array.isArray(j?.tiles)) j.tiles.slice(0, MAX_TILES).forEach((c, i) => (tiles[i] = isCamera(c) ? c : null));
    return { layout, tiles };
  } catch {
    return { layout: 4, tiles: emptyTiles() };
  }
}

export function saveWall(s: WallState): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(s));
  } catch {
    /* not remembered */
  }
}

/** The camera of a drop, or null when the drag carries none. */
export function cameraOfDrop(e: DragEvent): WallCamera | null {
  try {
    const c = JSON.parse(e.dataTransfer?.getData(CAMERA_MIME) || 'null') as unknown;
    return isCamera(c) ? c : null;
  } catch {
    return null;
  }
}

/** The smallest layout that shows n tiles. */
export function layoutFor(n: number): Layout {
  return LAYOUTS.find((l) => l >= n) ?? 16;
}
