import { downtime, oee, timeline } from '../api.ts'
import { drawCountTarget, drawEnergyBands, drawTimeline, drawWaterfall, TOU_COLORS, TOU_PERIODS } from '../charts.ts'
import { h, leaf, mount, requestRefresh } from '../dom.ts'
import { duration, money, num, pct, t, time, tk } from '../i18n.ts'
import { shiftWindow } from './overview.ts'
import { countTarget, energy, followLive, iso, kpiTiles, lineMachines, lineOf, shiftName, stateBadge, tile, type EnergyFigures } from './parts.ts'

/** Time-of-use cost bands as a table: kWh, VND and share of the cost per period. */
export function touTable(f: EnergyFigures, prefix: string): HTMLElement {
  const total = f.cost.vnd
  return h(
    'table',
    { class: 'tou' },
    h('caption', { class: 'visually-hidden' }, t('costByPeriod')),
    h('thead', {}, h('tr', {}, ...[t('touPeriod'), 'kWh', t('costVnd'), t('share')].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...TOU_PERIODS.map((p) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('span', { class: 'swatch', style: `--c:${TOU_COLORS[p]}`, 'aria-hidden': 'true' }), tk(`tou.${p}`)),
          h('td', { class: 'num', 'data-kpi': `${prefix}-${p}-kwh`, 'data-value': f.cost.byPeriod[p].kwh }, num(f.cost.byPeriod[p].kwh, 1)),
          h('td', { class: 'num', 'data-kpi': `${prefix}-${p}-vnd`, 'data-value': f.cost.byPeriod[p].vnd }, money(f.cost.byPeriod[p].vnd)),
          h('td', { class: 'num' }, total > 0 ? pct(f.cost.byPeriod[p].vnd / total) : '–'),
        ),
      ),
    ),
  )
}

/** One machine in the current shift: state timeline, count against target, loss waterfall, downtime reasons ranked, energy with its cost bands. */
export async function renderMachine(main: HTMLElement, machine: string): Promise<void> {
  const now = Date.now()
  const { shift, from, to } = await shiftWindow({ machine }, now)
  const fromIso = iso(from)
  const toIso = iso(to)
  const [figures, intervals, stops, power, registry] = await Promise.all([
    oee({ machine, from: fromIso, to: toIso, bucket: 'hour' }),
    timeline(machine, fromIso, toIso),
    downtime(machine, fromIso, toIso),
    energy({ machine }, from, to, 'hour'),
    lineMachines(lineOf(machine)).catch(() => []),
  ])
  const tz = figures.scope.timezone
  const reg = registry.find((m) => m.id === machine)
  const name = reg?.name || figures.machines.find((m) => m.machine === machine)?.name || leaf(machine)
  const ideal = reg?.idealCycleS ?? (figures.counts.produced > 0 ? figures.seconds.idealProduced / figures.counts.produced : null)
  const target = countTarget(figures.seconds, ideal)
  // Cumulative per hour: what the shift had made by the end of each hour, against the target then.
  let good = 0
  let produced = 0
  let planned = 0
  const points = figures.buckets.map((b) => {
    good += b.counts.good
    produced += b.counts.produced
    planned += Math.max(0, b.seconds.plannedOperation - b.seconds.plannedStop)
    return { end: Math.min(Date.parse(b.end), to), good, produced, target: ideal ? Math.floor(planned / ideal) : null }
  })

  const timelineEl = h('div', { class: 'chart timeline', role: 'img', 'aria-label': t('timeline') })
  const waterfallEl = h('div', { class: 'chart waterfall', role: 'img', 'aria-label': t('waterfall') })
  const targetEl = h('div', { class: 'chart target', role: 'img', 'aria-label': t('countVsTarget') })
  const energyEl = h('div', { class: 'chart energy', role: 'img', 'aria-label': t('energyByHour') })
  const maxS = Math.max(1, ...stops.reasons.map((r) => r.seconds))
  const reasons = stops.reasons.length
    ? h(
        'table',
        { class: 'reasons' },
        h('caption', { class: 'visually-hidden' }, t('downtime')),
        h('thead', {}, h('tr', {}, ...[t('reason'), t('stops'), t('seconds'), t('share')].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          ...stops.reasons.map((r) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, r.reason ?? t('reason.none')),
              h('td', { class: 'num' }, num(r.stops)),
              h('td', { class: 'num' }, duration(r.seconds), h('span', { class: 'meter', style: `--w:${(100 * r.seconds) / maxS}%`, 'aria-hidden': 'true' })),
              h('td', { class: 'num' }, pct(r.share)),
            ),
          ),
        ),
      )
    : h('p', { class: 'muted' }, t('noDowntime'))
  const state = intervals.at(-1)

  const root = h(
    'section',
    { class: 'machine', 'data-from': fromIso, 'data-to': toIso, 'data-energy-from': power.scope.from, 'data-energy-to': power.scope.to },
    h(
      'nav',
      { class: 'crumbs', 'aria-label': t('links') },
      h('a', { href: '#/' }, `← ${t('back')}`),
      h('a', { href: `#/line/${encodeURIComponent(lineOf(machine))}` }, `${t('line')} ${leaf(lineOf(machine))}`),
    ),
    h('h1', {}, name, ' ', h('span', { class: 'muted small' }, machine), ' ', h('span', { 'data-machine-state': machine }, stateBadge(state && to >= now - 60_000 ? state.state : undefined))),
    h('p', { class: 'shift' }, shift ? `${t('shift')} ${shiftName(shift.key)} · ${time(from, tz)}–${time(to, tz)}` : t('noShift')),
    kpiTiles(figures, 'machine'),
    h(
      'section',
      { class: 'tiles' },
      h(
        'div',
        { class: 'tile counts' },
        h('div', { class: 'tile-label' }, `${t('good')} / ${t('produced')}`),
        h('div', { class: 'tile-value', 'data-kpi': 'machine-good', 'data-value': figures.counts.good }, `${num(figures.counts.good)} / ${num(figures.counts.produced)}`),
      ),
      tile(t('target'), target == null ? '–' : num(target), 'machine-target', target, h('div', { class: 'muted small' }, target ? `${pct(figures.counts.good / target)} · ${t('idealCycle')} ${num(ideal ?? 0, 1)} s` : '')),
      tile('kWh', num(power.kwh, 1), 'machine-kwh', power.kwh),
      tile(t('kwhPerGood'), power.sec.kwhPerGoodUnit == null ? '–' : num(power.sec.kwhPerGoodUnit, 3), 'machine-kwh-per-good', power.sec.kwhPerGoodUnit),
      tile(t('costVnd'), money(power.cost.vnd), 'machine-cost', power.cost.vnd),
    ),
    h('h2', {}, t('timeline')),
    h('ul', { class: 'legend' }, ...['RUNNING', 'IDLE', 'DOWN', 'SETUP', 'PLANNED_STOP', 'OFFLINE'].map((s) => h('li', { 'data-state': s }, tk(`st.${s}`)))),
    timelineEl,
    h(
      'div',
      { class: 'two' },
      h('div', {}, h('h2', {}, t('countVsTarget')), h('p', { class: 'muted small' }, t('targetRule')), targetEl),
      h(
        'div',
        {},
        h('h2', {}, t('energyByHour')),
        h('ul', { class: 'legend' }, ...TOU_PERIODS.map((p) => h('li', { style: `--c:${TOU_COLORS[p]}` }, tk(`tou.${p}`)))),
        energyEl,
        touTable(power, 'machine'),
      ),
    ),
    h('div', { class: 'two' }, h('div', {}, h('h2', {}, t('waterfall')), waterfallEl), h('div', {}, h('h2', {}, t('downtime')), reasons)),
  )
  mount(main, root)
  drawTimeline(timelineEl, intervals, from, to, tz)
  drawWaterfall(waterfallEl, figures.waterfall)
  drawCountTarget(targetEl, points, tz)
  drawEnergyBands(energyEl, power.buckets.map((b) => ({ start: Date.parse(b.start), byPeriod: { peak: b.cost.byPeriod.peak.kwh, normal: b.cost.byPeriod.normal.kwh, offpeak: b.cost.byPeriod.offpeak.kwh } })), tz)
  followLive(root, { machine }, requestRefresh)
}
