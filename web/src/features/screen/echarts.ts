/* features/screen/echarts.ts - the ECharts build of the big screen: only the charts and
 * components it draws (bars, lines, grid, legend, title), canvas renderer. No tooltip: a
 * wall display has no pointer, and ECharts' HTML tooltip writes style="" markup that the
 * server's CSP (style-src 'self') refuses. Everything else ECharts does to the page goes
 * through the CSSOM (element.style), which CSP allows.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TitleComponent, CanvasRenderer]);

export { echarts };
export type { EChartsCoreOption } from 'echarts/core';
