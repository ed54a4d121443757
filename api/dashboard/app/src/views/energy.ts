import { factories } from '../api.ts'
import { drawEnergyBands, TOU_COLORS, TOU_PERIODS } from '../charts.ts'
import { h, leaf, mount, requestRefresh } from '../dom.ts'
import { dateShort, money, num, pct, t, time, tk } from '../i18n.ts'
import { touTable } from './machine.ts'
import { shiftWindow } from './overview.ts'
import { energy, factoryLines, followLive, localMidnight, tile, type EnergyFigures, type EnergyResponse } from './parts.ts'

/** Windows the energy view offers: the current shift, today (since local midnight), the last 7 days. */
export const ENERGY_PERIODS = ['shift', 'day', 'week'] as const
export type EnergyPeriod = (typeof ENERGY_PERIODS)[number]

const DAY = 86_400_000

function peakText(f: EnergyFigures, tz: string, withDate: boolean): string {
  if (!f.peakDemand) return '–'
  const start = Date.parse(f.peakDemand.start)
  return `${num(f.peakDemand.kw, 1)} kW · ${withDate ? `${dateShort(start, tz)} ` : ''}${time(start, tz)}–${time(Date.parse(f.peakDemand.end), tz)}`
}

const co2Text = (f: EnergyFigures): string => `${num(f.co2.kg, 1)} kg`

/** One row of figures (a line or a machine) in the energy tables. */
function figureRow(label: Node | string, path: string, f: EnergyFigures, tz: string, withDate: boolean): HTMLTableRowElement {
  const cell = (kpi: string, value: number | null, text: string): HTMLTableCellElement => h('td', { class: 'num', 'data-path': path, 'data-kpi': kpi, 'data-value': value ?? '' }, text)
  return h(
    'tr',
    {},
    h('th', { scope: 'row' }, label),
    cell('kwh', f.kwh, num(f.kwh, 1)),
    cell('cost', f.cost.vnd, money(f.cost.vnd)),
    cell('peak-kw', f.peakDemand?.kw ?? null, peakText(f, tz, withDate)),
    cell('load-factor', f.loadFactor, pct(f.loadFactor)),
    cell('kwh-per-good', f.sec.kwhPerGoodUnit, f.sec.kwhPerGoodUnit == null ? '–' : num(f.sec.kwhPerGoodUnit, 3)),
    cell('idle-share', f.idleEnergy.share, pct(f.idleEnergy.share)),
    cell('co2', f.co2.kg, co2Text(f)),
  )
}

function figureTable(caption: string, first: string, rows: HTMLTableRowElement[]): HTMLElement {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: 'energy-table' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, ...[first, 'kWh', t('costVnd'), t('peakDemand'), t('loadFactor'), t('kwhPerGood'), t('idleShare'), 'CO₂'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...rows),
    ),
  )
}

/**
 * A factory's energy: kWh, cost by EVN time-of-use period, peak 15-minute demand, load factor,
 * CO2 (with the emission factor's year), per line and per machine, over the current shift, today
 * or the last 7 days (`?period=`), on the factory's clock.
 */
export async function renderEnergy(main: HTMLElement, factory: string, period: string | null = null): Promise<void> {
  const p: EnergyPeriod = (ENERGY_PERIODS as readonly string[]).includes(period ?? '') ? (period as EnergyPeriod) : 'day'
  const now = Date.now()
  const info = (await factories()).factories.find((f) => f.path === factory)
  const tz = info?.timezone ?? 'Asia/Ho_Chi_Minh'
  let from: number
  let to = now
  if (p === 'shift') ({ from, to } = await shiftWindow({ factory }, now))
  else from = localMidnight(p === 'week' ? now - 6 * DAY : now, tz)
  const bucket = p === 'week' ? 'day' : 'hour'
  const lines = await factoryLines(factory).catch(() => [])
  const [res, perLine] = await Promise.all([energy({ factory }, from, to, bucket), Promise.all(lines.map((l) => energy({ line: l.path }, from, to)))])
  const withDate = p === 'week'
  const byPeriod = (b: EnergyResponse['buckets'][number]) => ({ start: Date.parse(b.start), byPeriod: { peak: b.cost.byPeriod.peak.kwh, normal: b.cost.byPeriod.normal.kwh, offpeak: b.cost.byPeriod.offpeak.kwh } })
  const chartEl = h('div', { class: 'chart energy', role: 'img', 'aria-label': t('energyByHour') })
  const factorYears = [...new Set(res.co2.byYear.map((y) => y.factorYear).filter((y) => y != null))]
  const factor = res.reference.emissionFactors.filter((e) => factorYears.includes(e.year))

  const picker = h(
    'nav',
    { class: 'periods', 'aria-label': t('period') },
    ...ENERGY_PERIODS.map((x) => h('a', { href: `#/energy/${encodeURIComponent(factory)}?period=${x}`, ...(x === p ? { 'aria-current': 'page' } : {}) }, tk(`period.${x}`))),
  )
  const root = h(
    'section',
    { class: 'energy-view', 'data-from': res.scope.from, 'data-to': res.scope.to, 'data-factory': factory, 'data-period': p },
    h('nav', { class: 'crumbs', 'aria-label': t('links') }, h('a', { href: '#/' }, `← ${t('back')}`)),
    h('h1', {}, `${t('energyView')}: ${info?.name ?? leaf(factory)}`),
    picker,
    h('p', { class: 'shift' }, `${dateShort(Date.parse(res.scope.from), tz)} ${time(Date.parse(res.scope.from), tz)} – ${dateShort(Date.parse(res.scope.to), tz)} ${time(Date.parse(res.scope.to), tz)} (${tz})`),
    h(
      'section',
      { class: 'tiles', 'aria-label': t('energyView') },
      tile('kWh', num(res.kwh, 1), 'factory-kwh', res.kwh),
      tile(t('costVnd'), money(res.cost.vnd), 'factory-cost', res.cost.vnd),
      tile(t('peakDemand'), res.peakDemand ? `${num(res.peakDemand.kw, 1)} kW` : '–', 'factory-peak-kw', res.peakDemand?.kw ?? null, h('div', { class: 'muted small' }, res.peakDemand ? peakText(res, tz, withDate).split(' · ')[1] ?? '' : '')),
      tile(t('loadFactor'), pct(res.loadFactor), 'factory-load-factor', res.loadFactor),
      tile('CO₂', co2Text(res), 'factory-co2', res.co2.kg, h('div', { class: 'muted small' }, factor.map((e) => `${num(e.tCo2PerMwh, 4)} t/MWh (${e.year})`).join(', '))),
      tile(t('kwhPerGood'), res.sec.kwhPerGoodUnit == null ? '–' : num(res.sec.kwhPerGoodUnit, 3), 'factory-kwh-per-good', res.sec.kwhPerGoodUnit),
    ),
    res.flags.length ? h('ul', { class: 'flags' }, ...res.flags.map((f) => h('li', { 'data-flag': f }, tk(`flag.${f}`)))) : null,
    h(
      'div',
      { class: 'two' },
      h('div', {}, h('h2', {}, withDate ? t('energyByDay') : t('energyByHour')), h('ul', { class: 'legend' }, ...TOU_PERIODS.map((x) => h('li', { style: `--c:${TOU_COLORS[x]}` }, tk(`tou.${x}`)))), chartEl),
      h('div', {}, h('h2', {}, t('costByPeriod')), touTable(res, 'factory'), h('p', { class: 'muted small' }, `${t('tariff')}: ${res.reference.tariffs.map((x) => x.id).join(', ')} · ${res.scope.voltageLevel} · ${t('vatExcluded')}`)),
    ),
    h('h2', {}, t('byLine')),
    perLine.length ? figureTable(t('byLine'), t('line'), perLine.map((f, i) => figureRow(h('a', { href: `#/line/${encodeURIComponent(lines[i]?.path ?? '')}` }, lines[i]?.id ?? ''), lines[i]?.path ?? '', f, tz, withDate))) : h('p', { class: 'muted' }, t('noData')),
    h('h2', {}, t('byMachine')),
    res.machines.length
      ? figureTable(t('byMachine'), t('machine'), res.machines.map((m) => figureRow(h('a', { href: `#/machine/${encodeURIComponent(m.machine)}` }, m.name || leaf(m.machine)), m.machine, m, tz, withDate)))
      : h('p', { class: 'muted' }, t('noData')),
    h('p', { class: 'muted small' }, `CO₂: ${factor.map((e) => e.source).join('; ') || '–'}`),
  )
  mount(main, root)
  drawEnergyBands(chartEl, res.buckets.map(byPeriod), tz, withDate ? (s) => dateShort(s, tz) : undefined)
  followLive(root, { factory }, requestRefresh, { minRefreshMs: 60_000 })
}
