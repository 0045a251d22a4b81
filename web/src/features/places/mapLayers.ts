/* features/places/mapLayers.ts - the OpenLayers layers and styles of the map page (issue 8 Map).
 *
 * Data arrive as GeoJSON in WGS-84 degrees and are shown in Web Mercator (EPSG:3857), the
 * projection of XYZ/WMTS tile services. Layers, bottom to top: optional basemap tiles,
 * outlines (district bold, subdistricts dashed with their names), zones (polygons filled
 * by level: 封控 red, 管控 orange, 防范 yellow), one clustered point layer per place kind,
 * the 流调场所 layer (places visited by epi records, sized by their record count), the camera
 * layer (search circle + cameras by status), and the selection. Every style is
 * drawn on canvas: nothing here needs inline CSS, so the strict CSP holds. */
import Feature, { type FeatureLike } from 'ol/Feature';
import GeoJSON from 'ol/format/GeoJSON';
import { Circle as CircleGeom, Point, type Geometry } from 'ol/geom';
import TileLayer from 'ol/layer/Tile';
import VectorLayer from 'ol/layer/Vector';
import { fromLonLat } from 'ol/proj';
import Cluster from 'ol/source/Cluster';
import VectorSource from 'ol/source/Vector';
import XYZ from 'ol/source/XYZ';
import { Circle, Fill, Stroke, Style, Text } from 'ol/style';
import type { Camera } from '@/features/cameras/api';
import type { FeatureCollection } from './api';

export const CENTER_WGS84: [number, number] = [116.366, 39.915]; /* 西城区 */
export const MAX_ZOOM = 19;

const KIND_COLOURS: Record<string, string> = {
  site: '#1f7ae0',
  fangcang: '#8e44ad',
  toilet: '#16a085',
  street: '#2c3e50',
  vaccination: '#d35400',
};
const OTHER_COLOUR = '#7f8c8d';

export const ZONE_COLOURS: Record<string, { stroke: string; fill: string }> = {
  fengkong: { stroke: '#d0021b', fill: 'rgba(208, 2, 27, 0.28)' },
  guankong: { stroke: '#f5841f', fill: 'rgba(245, 132, 31, 0.26)' },
  fangfan: { stroke: '#d4b106', fill: 'rgba(250, 219, 20, 0.28)' },
};
const ZONE_OTHER = { stroke: '#999999', fill: 'rgba(153, 153, 153, 0.2)' };

export function kindColour(kind: string): string {
  return KIND_COLOURS[kind] ?? OTHER_COLOUR;
}

const format = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

/** Reads a WGS-84 FeatureCollection into map features; each keeps its properties. */
export function readFeatures(fc: FeatureCollection): Feature<Geometry>[] {
  return format.readFeatures(fc) as Feature<Geometry>[];
}

/* ---------- outlines ---------- */

const districtStyle = new Style({ stroke: new Stroke({ color: '#3d4b5c', width: 3 }) });
const subStyles = new Map<string, Style>();

function outlineStyle(f: FeatureLike, resolution: number): Style {
  if (f.get('level') === 1) return districtStyle;
  const name = String(f.get('name') ?? '');
  const key = resolution < 20 ? name : '';
  let s = subStyles.get(key);
  if (!s) {
    s = new Style({
      stroke: new Stroke({ color: '#6b7b8c', width: 1.2, lineDash: [6, 4] }),
      fill: new Fill({ color: 'rgba(255, 255, 255, 0)' }),
      text: key
        ? new Text({ text: key, font: '12px sans-serif', fill: new Fill({ color: '#56616c' }), stroke: new Stroke({ color: '#fff', width: 3 }) })
        : undefined,
    });
    subStyles.set(key, s);
  }
  return s;
}

export function outlineLayer(): VectorLayer<VectorSource> {
  return new VectorLayer({ source: new VectorSource(), style: outlineStyle, properties: { name: 'outlines' }, zIndex: 1 });
}

/* ---------- zones ---------- */

const zoneStyles = new Map<string, Style>();

function zoneStyle(f: FeatureLike): Style {
  const level = String(f.get('zone_level') ?? '');
  let s = zoneStyles.get(level);
  if (!s) {
    const c = ZONE_COLOURS[level] ?? ZONE_OTHER;
    s = new Style({ stroke: new Stroke({ color: c.stroke, width: 2 }), fill: new Fill({ color: c.fill }) });
    zoneStyles.set(level, s);
  }
  return s;
}

export function zoneLayer(): VectorLayer<VectorSource> {
  return new VectorLayer({ source: new VectorSource(), style: zoneStyle, properties: { name: 'zone', kind: 'zone' }, zIndex: 2 });
}

/* ---------- clustered points, one layer per kind ---------- */

const pointStyles = new Map<string, Style>();

function clusterStyle(kind: string) {
  return (f: FeatureLike): Style => {
    const members = (f.get('features') as FeatureLike[] | undefined) ?? [];
    const n = members.length;
    const key = `${kind}:${n > 1 ? n : 1}`;
    let s = pointStyles.get(key);
    if (!s) {
      const colour = kindColour(kind);
      s =
        n > 1
          ? new Style({
              image: new Circle({
                radius: Math.min(22, 11 + Math.log2(n) * 2),
                fill: new Fill({ color: colour }),
                stroke: new Stroke({ color: 'rgba(255,255,255,0.85)', width: 3 }),
              }),
              text: new Text({ text: String(n), font: 'bold 12px sans-serif', fill: new Fill({ color: '#fff' }) }),
            })
          : new Style({
              image: new Circle({ radius: 7, fill: new Fill({ color: colour }), stroke: new Stroke({ color: '#fff', width: 2 }) }),
            });
      pointStyles.set(key, s);
    }
    return s;
  };
}

export interface KindLayer {
  kind: string;
  source: VectorSource;
  layer: VectorLayer<Cluster>;
}

export function kindLayer(kind: string): KindLayer {
  const source = new VectorSource();
  const cluster = new Cluster({ distance: 36, minDistance: 12, source });
  const layer = new VectorLayer({ source: cluster, style: clusterStyle(kind), properties: { name: kind, kind }, zIndex: 3 });
  return { kind, source, layer };
}

/* ---------- 流调场所 (places visited by epi records, issue 11 R2.13) ---------- */

const epiStyles = new Map<number, Style>();

function epiStyle(f: FeatureLike): Style {
  const n = Math.max(1, Number(f.get('records') ?? 1));
  let s = epiStyles.get(n);
  if (!s) {
    s = new Style({
      image: new Circle({
        radius: Math.min(18, 6 + Math.log2(n) * 3),
        fill: new Fill({ color: 'rgba(192, 57, 43, 0.75)' }),
        stroke: new Stroke({ color: '#fff', width: 2 }),
      }),
      text: n > 1 ? new Text({ text: String(n), font: 'bold 11px sans-serif', fill: new Fill({ color: '#fff' }) }) : undefined,
    });
    epiStyles.set(n, s);
  }
  return s;
}

export function epiLayer(): VectorLayer<VectorSource> {
  return new VectorLayer({ source: new VectorSource(), style: epiStyle, properties: { name: 'epi' }, zIndex: 3, visible: false });
}

/* ---------- cameras ---------- */

const searchAreaStyle = new Style({
  stroke: new Stroke({ color: '#1f7ae0', width: 1.5, lineDash: [4, 4] }),
  fill: new Fill({ color: 'rgba(31, 122, 224, 0.08)' }),
});
const cameraStyles: Record<string, Style> = {
  online: new Style({ image: new Circle({ radius: 5, fill: new Fill({ color: '#27ae60' }), stroke: new Stroke({ color: '#fff', width: 1.5 }) }) }),
  offline: new Style({ image: new Circle({ radius: 5, fill: new Fill({ color: '#95a5a6' }), stroke: new Stroke({ color: '#fff', width: 1.5 }) }) }),
  unknown: new Style({ image: new Circle({ radius: 5, fill: new Fill({ color: '#bdc3c7' }), stroke: new Stroke({ color: '#7f8c8d', width: 1.5 }) }) }),
};

function cameraStyle(f: FeatureLike): Style {
  if (f.get('search_area')) return searchAreaStyle;
  return cameraStyles[String(f.get('status'))] ?? cameraStyles.unknown;
}

export function cameraLayer(): VectorLayer<VectorSource> {
  return new VectorLayer({ source: new VectorSource(), style: cameraStyle, properties: { name: 'cameras' }, zIndex: 4 });
}

/** Puts the search circle (radius in metres on the ground) and the cameras found on the layer. */
export function showCameras(layer: VectorLayer<VectorSource>, centre: [number, number] | null, radiusM: number, cams: Camera[]): void {
  const src = layer.getSource();
  if (!src) return;
  src.clear();
  const feats: Feature<Geometry>[] = [];
  if (centre) {
    /* Web Mercator stretches distances by 1/cos(latitude). */
    const k = 1 / Math.cos((centre[1] * Math.PI) / 180);
    const area = new Feature<Geometry>({ geometry: new CircleGeom(fromLonLat(centre), radiusM * k) });
    area.set('search_area', true);
    feats.push(area);
  }
  for (const c of cams) {
    if (c.lon === null || c.lat === null) continue;
    const f = new Feature<Geometry>({ geometry: new Point(fromLonLat([c.lon, c.lat])) });
    f.setProperties({ camera: true, id: c.id, gb_id: c.gb_id, name: c.name, status: c.status });
    feats.push(f);
  }
  src.addFeatures(feats);
}

/* ---------- selection ---------- */

const selectedPoint = new Style({
  image: new Circle({ radius: 12, stroke: new Stroke({ color: '#e74c3c', width: 3 }), fill: new Fill({ color: 'rgba(231, 76, 60, 0.15)' }) }),
});
const selectedArea = new Style({ stroke: new Stroke({ color: '#e74c3c', width: 3 }) });

export function selectionLayer(): VectorLayer<VectorSource> {
  return new VectorLayer({
    source: new VectorSource(),
    style: (f) => (f.getGeometry()?.getType() === 'Point' ? selectedPoint : selectedArea),
    properties: { name: 'selection' },
    zIndex: 5,
  });
}

/* ---------- basemap ---------- */

/** Turns an XYZ template or a WMTS template (TileMatrix / TileRow / TileCol placeholders, any
 * case, with or without braces as in 天地图 KVP URLs) into an XYZ template. */
export function xyzTemplate(url: string): string {
  return url
    .replace(/\{TileMatrix\}/gi, '{z}')
    .replace(/\{TileRow\}/gi, '{y}')
    .replace(/\{TileCol\}/gi, '{x}');
}

export function basemapLayer(url: string): TileLayer<XYZ> {
  return new TileLayer({
    source: new XYZ({ url: xyzTemplate(url), maxZoom: 18, crossOrigin: null }),
    properties: { name: 'basemap' },
    zIndex: 0,
  });
}
