import type { Static } from 'typebox'
import type { CellSchema, StructureResponse, TablesResponse } from '../../../../analyst/schema.ts'
import { get } from '../api.ts'
import { drawTrends } from '../charts.ts'
import { h, mount } from '../dom.ts'
import { currentLang, num, pct, t, tk } from '../i18n.ts'

type Cell = Static<typeof CellSchema>
type Tables = Static<typeof TablesResponse>
type Structure = Static<typeof StructureResponse>
type Values = NonNullable<Cell['values']>

const PERIODS = ['month', 'quarter', 'year'] as const
type Period = (typeof PERIODS)[number]
const SHAPES = ['region-sector', 'region-park', 'park-sector'] as const
type Shape = (typeof SHAPES)[number]

/** What the trend charts can show: a ratio (percent) or a figure. */
const METRICS = ['oee', 'availability', 'performance', 'quality', 'good', 'kwh', 'kwhPerGoodUnit', 'co2Kg', 'co2KgPerGoodUnit', 'completeness'] as const
type Metric = (typeof METRICS)[number]
const RATIOS = new Set<Metric>(['oee', 'availability', 'performance', 'quality', 'completeness'])

const fmt = (m: Metric, v: number | null | undefined): string => (v == null ? '–' : RATIOS.has(m) ? pct(v) : num(v, m.endsWith('PerGoodUnit') ? 3 : 0))

const tables = (shape: Shape, period: Period, from?: string, to?: string): Promise<Tables> => get('/api/v1/analyst/tables', { shape, period, from, to })

/** The download link of a table in one format (the session cookie goes along). */
function download(shape: Shape, period: Period, from: string, to: string, format: 'csv' | 'json' | 'parquet'): HTMLAnchorElement {
  const qs = new URLSearchParams({ shape, period, from, to, format })
  return h('a', { href: `/api/v1/analyst/tables?${qs}`, download: `analyst-${shape}-${period}-${from}-${to}.${format}`, 'data-format': format, 'data-shape': shape }, format.toUpperCase())
}

/** A value cell, or the mark of a suppressed cell (with why, for screen readers and the tooltip). */
function valueCell(c: Cell | undefined, m: Metric): HTMLTableCellElement {
  if (!c || c.factories === 0) return h('td', { class: 'num muted', 'data-kpi': m, 'data-status': 'empty' }, '·')
  if (c.suppressed) {
    const why = t(c.suppressed === 'primary' ? 'an.primary' : 'an.secondary')
    return h('td', { class: 'num suppressed', 'data-kpi': m, 'data-status': c.suppressed, title: why }, h('span', { 'aria-hidden': 'true' }, '✕'), h('span', { class: 'visually-hidden' }, why))
  }
  const v = (c.values as Values)[m]
  return h('td', { class: 'num', 'data-kpi': m, 'data-status': 'published', 'data-value': v ?? '' }, fmt(m, v))
}

const COLUMNS: readonly Metric[] = ['oee', 'availability', 'performance', 'quality', 'good', 'kwh', 'kwhPerGoodUnit', 'co2Kg', 'completeness']

/** Rows (a label and its cell) as a table with every metric: factories, then the figures. */
function figuresTable(caption: string, first: string, rows: ReadonlyArray<{ key: string; label: string; cell: Cell | undefined; total?: boolean }>, testId: string): HTMLElement {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: 'analyst-table', 'data-table': testId },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, first), h('th', { scope: 'col' }, t('an.factories')), ...COLUMNS.map((m) => h('th', { scope: 'col' }, tk(`an.m.${m}`))))),
      h(
        'tbody',
        {},
        ...rows.map((r) =>
          h('tr', { class: r.total ? 'total' : undefined, 'data-row': r.key }, h('th', { scope: 'row' }, r.label), h('td', { class: 'num', 'data-kpi': 'factories' }, num(r.cell?.factories ?? 0)), ...COLUMNS.map((m) => valueCell(r.cell, m))),
        ),
      ),
    ),
  )
}

/** Marks a cross-table cell with its column (the sector code, `*` for all). */
const col = (td: HTMLTableCellElement, key: string): HTMLTableCellElement => (td.setAttribute('data-col', key), td)

/** Park × sector for one metric: the cross table. */
function crossTable(caption: string, cells: readonly Cell[], period: string, parks: ReadonlyArray<{ id: string; name: string }>, sectors: ReadonlyArray<{ vsic2025: string; name: string }>, m: Metric): HTMLElement {
  const at = (park: string | null, sector: string | null): Cell | undefined => cells.find((c) => c.period === period && c.park === park && c.sector === sector && (park !== null || c.region === null))
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: 'analyst-table', 'data-table': 'park-sector' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('an.park')), ...sectors.map((s) => h('th', { scope: 'col', title: s.name }, s.vsic2025)), h('th', { scope: 'col' }, t('an.all')))),
      h(
        'tbody',
        {},
        ...[...parks, { id: null, name: t('an.allParks') }].map((p) =>
          h('tr', { class: p.id === null ? 'total' : undefined, 'data-row': p.id ?? '*' }, h('th', { scope: 'row' }, p.name), ...sectors.map((s) => col(valueCell(at(p.id, s.vsic2025), m), s.vsic2025)), col(valueCell(at(p.id, null), m), '*')),
        ),
      ),
    ),
  )
}

/** One series per row key over the periods; a suppressed or empty cell is a gap. */
function seriesOf(cells: readonly Cell[], periods: readonly string[], keys: ReadonlyArray<{ name: string; match: (c: Cell) => boolean }>, m: Metric): Array<{ name: string; values: Array<number | null> }> {
  return keys
    .map((k) => ({ name: k.name, values: periods.map((p) => cells.find((c) => c.period === p && k.match(c))?.values?.[m] ?? null) }))
    .filter((s) => s.values.some((v) => v !== null))
}

/**
 * The regional analyst's page: published tables by sector, by park and park × sector for the
 * latest released period, trend charts by sector and by park for one figure, downloads of every
 * table shape as CSV, JSON and Parquet. Suppressed cells are marked ✕ (primary: its own figures
 * would reveal a factory; secondary: it would let one recompute such a cell). `?period=`,
 * `?metric=`, `?from=YYYY-MM&to=YYYY-MM` (default: January to the last released month). Only the
 * fixed tables the API publishes; nothing here names a factory.
 */
export async function renderAnalyst(main: HTMLElement, params: URLSearchParams = new URLSearchParams()): Promise<void> {
  const period: Period = (PERIODS as readonly string[]).includes(params.get('period') ?? '') ? (params.get('period') as Period) : 'month'
  const metric: Metric = (METRICS as readonly string[]).includes(params.get('metric') ?? '') ? (params.get('metric') as Metric) : 'oee'
  const structure = await get<Structure>('/api/v1/analyst/structure')
  const month = (v: string | null): string | null => (v !== null && /^\d{4}-(0[1-9]|1[0-2])$/.test(v) ? v : null)
  const asked = month(params.get('to'))
  const to = asked !== null && asked < structure.releasedThrough ? asked : structure.releasedThrough
  const from = month(params.get('from')) ?? `${to.slice(0, 4)}-01`
  const [bySector, byPark, cross] = await Promise.all([tables('region-sector', period, from, to), tables('region-park', period, from, to), tables('park-sector', period, from, to)])
  const vi = currentLang() === 'vi'
  const named = (x: { name: string; nameVi: string | null }): string => (vi && x.nameVi ? x.nameVi : x.name)
  const periods = [...new Set(byPark.cells.map((c) => c.period))].sort()
  const latest = periods.at(-1)

  // Parks and sectors no factory reports in, all range long, are left out of the page (the files keep them).
  const reporting = (match: (c: Cell) => boolean, cells: readonly Cell[]): boolean => cells.some((c) => match(c) && c.factories > 0)
  const parks = structure.regions.flatMap((r) => r.parks.map((p) => ({ id: p.id, region: r.id, name: named(p) }))).filter((p) => reporting((c) => c.park === p.id, byPark.cells))
  const sectors = structure.sectors.map((s) => ({ vsic2025: s.vsic2025, name: `${s.vsic2025} ${named(s)}` })).filter((s) => reporting((c) => c.sector === s.vsic2025, bySector.cells))
  const hiddenParks = structure.regions.reduce((a, r) => a + r.parks.length, 0) - parks.length
  const hiddenSectors = structure.sectors.length - sectors.length

  const select = (id: string, label: string, options: readonly string[], value: string, key: string): HTMLElement =>
    h(
      'label',
      {},
      `${label} `,
      h(
        'select',
        {
          id,
          onchange: (e: Event) => {
            const next = new URLSearchParams(params)
            next.set(key, (e.target as HTMLSelectElement).value)
            location.hash = `#/analyst?${next}`
          },
        },
        ...options.map((o) => h('option', { value: o, selected: o === value }, tk(key === 'period' ? `an.p.${o}` : `an.m.${o}`))),
      ),
    )

  const rule = structure.disclosure
  const header = h(
    'header',
    { class: 'card' },
    h('h1', {}, t('an.title')),
    h('p', { class: 'muted' }, `${t('an.released')} ${to} · ${t('an.rules')}: ≥ ${rule.minFirms} ${t('an.factoriesPerCell')}, ${rule.dominance.map((d) => `(${d.n}, ${d.k} %)`).join(' ')}`),
    h('p', { class: 'an-legend' }, h('span', { class: 'suppressed' }, '✕'), ` ${t('an.legendSuppressed')} · `, h('span', { class: 'muted' }, '·'), ` ${t('an.legendEmpty')}`),
    h('div', { class: 'an-controls' }, select('an-period', t('an.period'), PERIODS, period, 'period'), select('an-metric', t('an.metric'), METRICS, metric, 'metric')),
  )
  if (!latest) {
    mount(main, header, h('p', { class: 'card muted' }, t('an.nothing')))
    return
  }

  const sectorRows = [
    ...sectors.map((s) => ({ key: s.vsic2025, label: s.name, cell: bySector.cells.find((c) => c.period === latest && c.region === null && c.sector === s.vsic2025) })),
    { key: '*', label: t('an.allSectors'), cell: bySector.cells.find((c) => c.period === latest && c.region === null && c.sector === null), total: true },
  ]
  const parkRows = [
    ...parks.map((p) => ({ key: p.id, label: p.name, cell: byPark.cells.find((c) => c.period === latest && c.park === p.id) })),
    ...structure.regions.map((r) => ({ key: `${r.id}/*`, label: named(r), cell: byPark.cells.find((c) => c.period === latest && c.region === r.id && c.park === null), total: true })),
  ]
  const sectorTrend = h('div', { class: 'chart trend', id: 'an-trend-sector', role: 'img', 'aria-label': `${t('an.trendSector')}: ${tk(`an.m.${metric}`)}` })
  const parkTrend = h('div', { class: 'chart trend', id: 'an-trend-park', role: 'img', 'aria-label': `${t('an.trendPark')}: ${tk(`an.m.${metric}`)}` })
  const downloads = h(
    'section',
    { class: 'card', id: 'an-downloads' },
    h('h2', {}, t('an.downloads')),
    h('ul', {}, ...SHAPES.map((s) => h('li', {}, `${tk(`an.s.${s}`)} (${from} – ${to}, ${tk(`an.p.${period}`)}): `, download(s, period, from, to, 'csv'), ' · ', download(s, period, from, to, 'json'), ' · ', download(s, period, from, to, 'parquet')))),
  )
  const hidden = hiddenParks + hiddenSectors > 0 ? h('p', { class: 'muted' }, `${t('an.hidden')}: ${hiddenParks} ${t('an.parks')}, ${hiddenSectors} ${t('an.sectors')}`) : null
  mount(
    main,
    header,
    h('section', { class: 'card' }, figuresTable(`${t('an.bySector')} · ${latest}`, t('an.sector'), sectorRows, 'region-sector')),
    h('section', { class: 'card' }, figuresTable(`${t('an.byPark')} · ${latest}`, t('an.park'), parkRows, 'region-park')),
    h('section', { class: 'card' }, crossTable(`${t('an.parkSector')} · ${tk(`an.m.${metric}`)} · ${latest}`, cross.cells, latest, parks, sectors, metric)),
    h('section', { class: 'card' }, h('h2', {}, `${t('an.trendSector')} · ${tk(`an.m.${metric}`)}`), sectorTrend),
    h('section', { class: 'card' }, h('h2', {}, `${t('an.trendPark')} · ${tk(`an.m.${metric}`)}`), parkTrend),
    ...(hidden ? [hidden] : []),
    downloads,
  )
  const format = (v: number): string => fmt(metric, v)
  const trends: Array<[HTMLElement, ReturnType<typeof seriesOf>]> = [
    [sectorTrend, seriesOf(bySector.cells, periods, [...sectors.map((s) => ({ name: s.name, match: (c: Cell) => c.region === null && c.sector === s.vsic2025 })), { name: t('an.allSectors'), match: (c: Cell) => c.region === null && c.sector === null }], metric)],
    [parkTrend, seriesOf(byPark.cells, periods, parks.map((p) => ({ name: p.name, match: (c: Cell) => c.park === p.id })), metric)],
  ]
  for (const [el, series] of trends) {
    // Every cell of the chart suppressed: say so rather than draw empty axes.
    if (series.length === 0) el.replaceWith(h('p', { class: 'muted', id: el.id }, t('an.allSuppressed')))
    else drawTrends(el, periods, series, format)
  }
}
