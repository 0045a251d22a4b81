/* features/screen/options.ts - the ECharts options of the big screen, built from the
 * statistics rows (pure functions: same rows, same option). Colours of the dark wall theme;
 * values are drawn as labels on the bars and points, since a wall has no pointer. */
import type { EChartsCoreOption } from './echarts';
import type { CommunityRow, HourRow, PlanSubdistrictRow, TrendRow } from './api';
import { shanghaiHour, shortArea } from '@/features/stats/format';

const AXIS = { color: '#9fb3d1', fontSize: 14 };
const SPLIT = { lineStyle: { color: 'rgba(120, 150, 200, 0.15)' } };
const LABEL = { color: '#e6f0ff', fontSize: 13 };
const GRID = { left: 56, right: 24, top: 36, bottom: 40, containLabel: false };
const CYAN = '#2bd3f5';
const GOLD = '#f5c542';
const GREEN = '#3ddc97';

const pct = (bp: number) => Math.round(bp) / 100;

/** Completion (%) of the round per subdistrict, as bars with their percent. */
export function completionOption(rows: PlanSubdistrictRow[], names: Map<string, string>, label: string): EChartsCoreOption {
  return {
    backgroundColor: 'transparent',
    animationDuration: 600,
    grid: { ...GRID, bottom: 64 },
    xAxis: {
      type: 'category',
      data: rows.map((r) => shortArea(names.get(r.subdistrict) ?? r.subdistrict_name ?? r.subdistrict)),
      axisLabel: { ...AXIS, interval: 0, rotate: rows.length > 10 ? 30 : 0 },
    },
    yAxis: { type: 'value', max: (v: { max: number }) => Math.max(100, Math.ceil(v.max / 10) * 10), axisLabel: { ...AXIS, formatter: '{value}%' }, splitLine: SPLIT },
    series: [
      {
        name: label,
        type: 'bar',
        data: rows.map((r) => pct(r.completion)),
        barMaxWidth: 36,
        itemStyle: { color: CYAN, borderRadius: [4, 4, 0, 0] },
        label: { show: true, position: 'top', ...LABEL, formatter: (p: { value: number }) => `${p.value.toFixed(1)}%` },
      },
    ],
  };
}

/** Samples of the round per community (a subdistrict's own breakdown), as labelled bars. */
export function communitiesOption(rows: CommunityRow[], label: string): EChartsCoreOption {
  return {
    backgroundColor: 'transparent',
    animationDuration: 600,
    grid: { ...GRID, bottom: 64 },
    xAxis: {
      type: 'category',
      data: rows.map((r) => (r.community_name || r.community).replace(/社区(居委会)?$/, '')),
      axisLabel: { ...AXIS, interval: 0, rotate: rows.length > 10 ? 30 : 0 },
    },
    yAxis: { type: 'value', minInterval: 1, axisLabel: AXIS, splitLine: SPLIT },
    series: [
      {
        name: label,
        type: 'bar',
        data: rows.map((r) => r.scans),
        barMaxWidth: 36,
        itemStyle: { color: CYAN, borderRadius: [4, 4, 0, 0] },
        label: { show: true, position: 'top', ...LABEL },
      },
    ],
  };
}

/** Samples per hour of today (Beijing time), hours 00-23 with gaps as 0. */
export function hourlyOption(rows: HourRow[], label: string, color = GOLD): EChartsCoreOption {
  const byHour = new Array<number>(24).fill(0);
  for (const r of rows) byHour[shanghaiHour(r.hour)] += r.scans;
  let last = 23;
  while (last > 7 && byHour[last] === 0) last--;
  const hours = byHour.slice(0, last + 1);
  return {
    backgroundColor: 'transparent',
    animationDuration: 600,
    grid: GRID,
    xAxis: { type: 'category', data: hours.map((_, h) => `${String(h).padStart(2, '0')}`), axisLabel: AXIS },
    yAxis: { type: 'value', minInterval: 1, axisLabel: AXIS, splitLine: SPLIT },
    series: [
      {
        name: label,
        type: 'bar',
        data: hours,
        barMaxWidth: 28,
        itemStyle: { color, borderRadius: [3, 3, 0, 0] },
        label: { show: hours.length <= 16, position: 'top', ...LABEL, formatter: (p: { value: number }) => (p.value ? String(p.value) : '') },
      },
    ],
  };
}

/** Completion (%) of the latest rounds, oldest first, as a line with its points labelled. */
export function trendOption(rows: TrendRow[], label: string): EChartsCoreOption {
  return {
    backgroundColor: 'transparent',
    animationDuration: 600,
    grid: { ...GRID, bottom: 56 },
    xAxis: { type: 'category', data: rows.map((r) => r.plan_no), axisLabel: { ...AXIS, interval: 0, rotate: rows.length > 6 ? 25 : 0 } },
    yAxis: { type: 'value', max: (v: { max: number }) => Math.max(100, Math.ceil(v.max / 10) * 10), axisLabel: { ...AXIS, formatter: '{value}%' }, splitLine: SPLIT },
    series: [
      {
        name: label,
        type: 'line',
        data: rows.map((r) => pct(r.completion)),
        smooth: true,
        symbolSize: 10,
        lineStyle: { color: GREEN, width: 3 },
        itemStyle: { color: GREEN },
        areaStyle: { color: 'rgba(61, 220, 151, 0.12)' },
        label: { show: true, position: 'top', ...LABEL, formatter: (p: { value: number }) => `${p.value.toFixed(1)}%` },
      },
    ],
  };
}

export const FOCUS_COLOR = CYAN;
