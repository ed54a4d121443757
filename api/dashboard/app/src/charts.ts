// Charts with echarts, tree-shaken to what the views draw (bars, lines and the custom timeline series).
import { BarChart, CustomChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import * as echarts from 'echarts/core'
import type { CustomSeriesRenderItemAPI, CustomSeriesRenderItemParams, CustomSeriesRenderItemReturn } from 'echarts'
import { CanvasRenderer } from 'echarts/renderers'
import type { KpiFigures, TimelineInterval } from './api.ts'
import { duration, num, pct, t, time, tk } from './i18n.ts'

echarts.use([BarChart, CustomChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])

/** State colours: at least 3:1 against the white page (WCAG non-text contrast) and 4.5:1 for white text on them (the state badges). */
export const STATE_COLORS: Record<string, string> = {
  RUNNING: '#2e7d32',
  IDLE: '#9a5b00',
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
  drawTimelines(el, [{ name: '', intervals }], from, to, tz)
}

/** Several machines' states along the same window, one row each (the line's machines in flow order). */
export function drawTimelines(el: HTMLElement, rows: ReadonlyArray<{ name: string; intervals: readonly TimelineInterval[] }>, from: number, to: number, tz: string): void {
  const data = rows.flatMap((row, r) =>
    row.intervals.map((iv) => ({
      value: [Date.parse(iv.start), Date.parse(iv.end), iv.seconds, r],
      name: iv.state,
      reason: iv.reason,
      itemStyle: { color: STATE_COLORS[iv.state] ?? '#9e9e9e' },
    })),
  )
  const named = rows.some((r) => r.name)
  chartIn(el).setOption(
    {
      animation: false,
      grid: { left: 8, right: 8, top: 8, bottom: 24, containLabel: true },
      xAxis: { type: 'time', min: from, max: to, axisLabel: { formatter: (v: number) => time(v, tz, to - from < 15 * 60_000) } },
      yAxis: { type: 'category', data: rows.map((r) => r.name), show: named, inverse: true, axisTick: { show: false }, axisLabel: { color: '#1a1a1a' } },
      tooltip: {
        formatter: (p: { name: string; data: { value: number[]; reason: string | null } }) =>
          `${tk(`st.${p.name}`)}${p.data.reason ? ` (${p.data.reason})` : ''}<br>${time(p.data.value[0] ?? 0, tz)}–${time(p.data.value[1] ?? 0, tz)} · ${duration(p.data.value[2] ?? 0)}`,
      },
      series: [
        {
          type: 'custom',
          encode: { x: [0, 1], y: 3 },
          data,
          renderItem: (_params: CustomSeriesRenderItemParams, api: CustomSeriesRenderItemAPI): CustomSeriesRenderItemReturn => {
            const row = api.value(3)
            const start = api.coord([api.value(0), row])
            const end = api.coord([api.value(1), row])
            const h = (api.size?.([0, 1]) as number[] | undefined)?.[1] ?? 40
            return { type: 'rect', shape: { x: start[0] ?? 0, y: (start[1] ?? 0) - h * 0.4, width: Math.max(1, (end[0] ?? 0) - (start[0] ?? 0)), height: h * 0.8 }, style: api.style() }
          },
        },
      ],
    },
    true,
  )
}

/** The loss waterfall's steps, top to bottom; TOTALS are levels, the rest losses. */
export const STEPS = ['plannedBusy', 'setup', 'failure', 'idle', 'actualProduction', 'microStops', 'speed', 'net', 'quality', 'fullyProductive'] as const
export const TOTALS = new Set<string>(['plannedBusy', 'actualProduction', 'net', 'fullyProductive'])

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

/** Time-of-use periods, in the order of the day's price (text colours meet 4.5:1 on white). */
export const TOU_PERIODS = ['peak', 'normal', 'offpeak'] as const
export type TouPeriod = (typeof TOU_PERIODS)[number]
export const TOU_COLORS: Record<TouPeriod, string> = { peak: '#b71c1c', normal: '#1565c0', offpeak: '#2e7d32' }

/** kWh per bucket, stacked by the time-of-use period it was used in (the cost bands). */
export function drawEnergyBands(el: HTMLElement, buckets: ReadonlyArray<{ start: number; byPeriod: Record<TouPeriod, number> }>, tz: string, labelOf: (start: number) => string = (s) => time(s, tz)): void {
  chartIn(el).setOption(
    {
      animation: false,
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: buckets.map((b) => labelOf(b.start)), axisLabel: { color: '#1a1a1a' } },
      yAxis: { type: 'value', name: 'kWh', axisLabel: { color: '#1a1a1a', formatter: (v: number) => num(v) } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number) => `${num(v, 1)} kWh` },
      series: TOU_PERIODS.map((p) => ({ type: 'bar', stack: 'kwh', name: tk(`tou.${p}`), data: buckets.map((b) => b.byPeriod[p]), itemStyle: { color: TOU_COLORS[p] } })),
    },
    true,
  )
}

/** Good and produced units so far against the target line, cumulative per bucket end. */
export function drawCountTarget(el: HTMLElement, points: ReadonlyArray<{ end: number; good: number; produced: number; target: number | null }>, tz: string): void {
  chartIn(el).setOption(
    {
      animation: false,
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: points.map((p) => time(p.end, tz)), axisLabel: { color: '#1a1a1a' } },
      yAxis: { type: 'value', axisLabel: { color: '#1a1a1a', formatter: (v: number) => num(v) } },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => num(v) },
      series: [
        { type: 'bar', name: t('produced'), data: points.map((p) => p.produced), itemStyle: { color: '#90a4ae' } },
        { type: 'bar', name: t('good'), data: points.map((p) => p.good), barGap: '-100%', itemStyle: { color: '#2e7d32' } },
        { type: 'line', name: t('target'), data: points.map((p) => p.target), itemStyle: { color: '#1a1a1a' }, lineStyle: { type: 'dashed', width: 2 }, symbol: 'circle' },
      ],
    },
    true,
  )
}

/** OEE, A, P, Q of machines side by side, grouped per machine. */
export function drawMachineBars(el: HTMLElement, machines: ReadonlyArray<{ name: string; oee: number | null; availability: number | null; performance: number | null; quality: number | null }>): void {
  const kinds = ['oee', 'availability', 'performance', 'quality'] as const
  const colors = { oee: '#102a43', availability: '#1565c0', performance: '#6a1b9a', quality: '#2e7d32' }
  chartIn(el).setOption(
    {
      animation: false,
      legend: { top: 0, textStyle: { color: '#1a1a1a' } },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: machines.map((m) => m.name), axisLabel: { color: '#1a1a1a' } },
      yAxis: { type: 'value', axisLabel: { color: '#1a1a1a', formatter: (v: number) => pct(v) } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number) => pct(v) },
      series: kinds.map((k) => ({ type: 'bar', name: t(k), data: machines.map((m) => m[k]), itemStyle: { color: colors[k] } })),
    },
    true,
  )
}

/** Lines over periods (the analyst's trends), one per series; null is a gap (a suppressed cell). */
export function drawTrends(el: HTMLElement, periods: readonly string[], series: ReadonlyArray<{ name: string; values: ReadonlyArray<number | null> }>, format: (v: number) => string): void {
  chartIn(el).setOption(
    {
      animation: false,
      legend: { top: 0, type: 'scroll', textStyle: { color: '#1a1a1a' } },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: [...periods], axisLabel: { color: '#1a1a1a' } },
      yAxis: { type: 'value', axisLabel: { color: '#1a1a1a', formatter: format } },
      tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => (v == null ? '–' : format(v)) },
      series: series.map((s) => ({ type: 'line', name: s.name, data: [...s.values], connectNulls: false, symbol: 'circle', symbolSize: 6 })),
    },
    true,
  )
}
