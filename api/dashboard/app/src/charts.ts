// Charts with echarts, tree-shaken to what the views draw (bars and the custom timeline series).
import { BarChart, CustomChart } from 'echarts/charts'
import { GridComponent, TooltipComponent } from 'echarts/components'
import * as echarts from 'echarts/core'
import type { CustomSeriesRenderItemAPI, CustomSeriesRenderItemParams, CustomSeriesRenderItemReturn } from 'echarts'
import { CanvasRenderer } from 'echarts/renderers'
import type { KpiFigures, TimelineInterval } from './api.ts'
import { duration, time, tk } from './i18n.ts'

echarts.use([BarChart, CustomChart, GridComponent, TooltipComponent, CanvasRenderer])

/** State colours, each with at least 3:1 contrast against the white page (WCAG non-text contrast). */
export const STATE_COLORS: Record<string, string> = {
  RUNNING: '#2e7d32',
  IDLE: '#b26a00',
  DOWN: '#c62828',
  SETUP: '#1565c0',
  PLANNED_STOP: '#6a1b9a',
  OFFLINE: '#616161',
}

const charts = new WeakMap<HTMLElement, echarts.ECharts>()

function chartIn(el: HTMLElement): echarts.ECharts {
  let c = charts.get(el)
  if (!c) {
    c = echarts.init(el, undefined, { renderer: 'canvas' })
    charts.set(el, c)
    new ResizeObserver(() => c?.resize()).observe(el)
  }
  return c
}

/** The machine's states along the shift, one bar, coloured by state; hover shows state, reason and times. */
export function drawTimeline(el: HTMLElement, intervals: readonly TimelineInterval[], from: number, to: number, tz: string): void {
  const data = intervals.map((iv) => ({
    value: [Date.parse(iv.start), Date.parse(iv.end), iv.seconds],
    name: iv.state,
    reason: iv.reason,
    itemStyle: { color: STATE_COLORS[iv.state] ?? '#9e9e9e' },
  }))
  chartIn(el).setOption(
    {
      animation: false,
      grid: { left: 8, right: 8, top: 8, bottom: 24, containLabel: true },
      xAxis: { type: 'time', min: from, max: to, axisLabel: { formatter: (v: number) => time(v, tz, to - from < 15 * 60_000) } },
      yAxis: { type: 'category', data: [''], show: false },
      tooltip: {
        formatter: (p: { name: string; data: { value: number[]; reason: string | null } }) =>
          `${tk(`st.${p.name}`)}${p.data.reason ? ` (${p.data.reason})` : ''}<br>${time(p.data.value[0] ?? 0, tz)}–${time(p.data.value[1] ?? 0, tz)} · ${duration(p.data.value[2] ?? 0)}`,
      },
      series: [
        {
          type: 'custom',
          encode: { x: [0, 1] },
          data,
          renderItem: (_params: CustomSeriesRenderItemParams, api: CustomSeriesRenderItemAPI): CustomSeriesRenderItemReturn => {
            const start = api.coord([api.value(0), 0])
            const end = api.coord([api.value(1), 0])
            const h = (api.size?.([0, 1]) as number[] | undefined)?.[1] ?? 40
            return { type: 'rect', shape: { x: start[0] ?? 0, y: (start[1] ?? 0) - h * 0.4, width: Math.max(1, (end[0] ?? 0) - (start[0] ?? 0)), height: h * 0.8 }, style: api.style() }
          },
        },
      ],
    },
    true,
  )
}

const STEPS = ['plannedBusy', 'setup', 'failure', 'idle', 'actualProduction', 'microStops', 'speed', 'net', 'quality', 'fullyProductive'] as const
const TOTALS = new Set<string>(['plannedBusy', 'actualProduction', 'net', 'fullyProductive'])

/** The ISO 22400 loss waterfall: totals as full bars, each loss hanging from the level before it. */
export function drawWaterfall(el: HTMLElement, w: KpiFigures['waterfall']): void {
  const base: number[] = []
  const size: number[] = []
  let level = 0
  for (const s of STEPS) {
    const v = w[s]
    if (TOTALS.has(s)) {
      base.push(0)
      size.push(v)
      level = v
    } else {
      // A negative speed loss (faster than ideal) rises instead of falling: shown as it is.
      base.push(Math.min(level, level - v))
      size.push(Math.abs(v))
      level -= v
    }
  }
  chartIn(el).setOption(
    {
      animation: false,
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', axisLabel: { formatter: (v: number) => duration(v) } },
      yAxis: { type: 'category', inverse: true, data: STEPS.map((s) => tk(`wf.${s}`)) },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: (ps: Array<{ dataIndex: number; name: string }>) => `${ps[0]?.name}: ${duration(w[STEPS[ps[0]?.dataIndex ?? 0] ?? 'plannedBusy'])}` },
      series: [
        { type: 'bar', stack: 'w', data: base, itemStyle: { color: 'transparent' }, emphasis: { disabled: true }, silent: true },
        {
          type: 'bar',
          stack: 'w',
          data: size.map((v, i) => ({ value: v, itemStyle: { color: TOTALS.has(STEPS[i] ?? '') ? '#1565c0' : '#c62828' } })),
          label: { show: true, position: 'right', formatter: (p: { dataIndex: number }) => duration(w[STEPS[p.dataIndex] ?? 'plannedBusy']) },
        },
      ],
    },
    true,
  )
}
