import { factories, get, oee, timeline, type DowntimeResponse } from '../api.ts'
import { drawTimelines, STEPS, TOTALS } from '../charts.ts'
import { h, leaf, mount } from '../dom.ts'
import { dateLong, dateTime, duration, money, num, pct, t, time, tk } from '../i18n.ts'
import { touTable } from './machine.ts'
import { countTarget, energy, factoryOf, findShift, inFlowOrder, iso, kpiTiles, lineMachines, oeeClass, shiftDate, shiftName, tile } from './parts.ts'

const REASONS_SHOWN = 8

/** The report's route for a line and a shift bucket key `2026-11-21/C`. */
export const reportHref = (line: string, key: string): string => `#/report/${encodeURIComponent(line)}/${shiftDate(key)}/${encodeURIComponent(shiftName(key))}`

/**
 * The shift report for the shift meeting: one line, one shift (`#/report/<line>/<date>/<shift>`),
 * on one or two A4 pages when printed (style.css `@media print`): OEE, A, P, Q, counts against
 * target, the losses, the downtime reasons, the machines, output per hour, energy and its cost.
 */
export async function renderShiftReport(main: HTMLElement, line: string, date: string, shift: string): Promise<void> {
  const now = Date.now()
  const found = await findShift(line, date, shift)
  if (!found) {
    mount(main, h('section', { class: 'report' }, h('h1', {}, t('shiftReport')), h('p', { class: 'card', role: 'status', 'data-report-missing': '' }, `${t('noSuchShift')}: ${leaf(line)} · ${date} · ${shift}`)))
    return
  }
  const tz = found.timezone
  const from = found.start
  const to = Math.min(found.end, now)
  const running = found.end > now
  const [res, stops, power, registry, list] = await Promise.all([
    oee({ line, from: iso(from), to: iso(to), bucket: 'hour' }),
    get<DowntimeResponse>('/api/v1/downtime', { line, from: iso(from), to: iso(to) }),
    energy({ line }, from, to),
    lineMachines(line),
    factories().catch(() => ({ factories: [] })),
  ])
  const machines = inFlowOrder(res, registry)
  const timelines = await Promise.all(machines.map((m) => timeline(m.machine, iso(from), iso(to))))
  const factoryName = list.factories.find((f) => f.path === factoryOf(line))?.name ?? factoryOf(line)
  const judge = res.judgedBy
  const target = countTarget(res.seconds, judge?.idealCycleS)
  const judged = machines.find((m) => m.machine === judge?.machine)
  const judgeName = judged?.name || (judge ? leaf(judge.machine) : '–')
  const pbt = res.waterfall.plannedBusy

  const losses = h(
    'table',
    { class: 'losses compact' },
    h('caption', {}, t('losses')),
    h('thead', {}, h('tr', {}, ...[t('step'), t('time'), t('ofPlanned')].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...STEPS.map((s) =>
        h(
          'tr',
          { class: TOTALS.has(s) ? 'total' : 'loss' },
          h('th', { scope: 'row' }, TOTALS.has(s) ? '' : '− ', tk(`wf.${s}`)),
          h('td', { class: 'num', 'data-kpi': `wf-${s}`, 'data-value': res.waterfall[s] }, duration(res.waterfall[s])),
          h('td', { class: 'num' }, pbt > 0 ? pct(res.waterfall[s] / pbt) : '–'),
        ),
      ),
    ),
  )
  const reasons = h(
    'table',
    { class: 'reasons compact' },
    h('caption', {}, t('downtime')),
    h('thead', {}, h('tr', {}, ...[t('reason'), t('stops'), t('time'), t('share')].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...(stops.reasons.length
        ? stops.reasons.slice(0, REASONS_SHOWN).map((r) =>
            h('tr', {}, h('th', { scope: 'row' }, r.reason ?? t('reason.none')), h('td', { class: 'num' }, num(r.stops)), h('td', { class: 'num', 'data-reason': r.reason ?? '', 'data-value': r.seconds }, duration(r.seconds)), h('td', { class: 'num' }, pct(r.share))),
          )
        : [h('tr', {}, h('td', { colspan: 4, class: 'muted' }, t('noDowntime')))]),
    ),
  )
  const machineTable = h(
    'table',
    { class: 'compact' },
    h('caption', {}, t('machines')),
    h('thead', {}, h('tr', {}, ...[t('machine'), t('oee'), 'A', 'P', 'Q', t('produced'), t('good'), t('downTime'), 'kWh'].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...machines.map((m) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, m.name || leaf(m.machine)),
          h('td', { class: `num ${oeeClass(m.oee)}`, 'data-machine': m.machine, 'data-kpi': 'oee', 'data-value': m.oee ?? '' }, pct(m.oee)),
          h('td', { class: 'num' }, pct(m.availability)),
          h('td', { class: 'num' }, pct(m.performance)),
          h('td', { class: 'num' }, pct(m.quality)),
          h('td', { class: 'num' }, num(m.counts.produced)),
          h('td', { class: 'num' }, num(m.counts.good)),
          h('td', { class: 'num' }, duration(m.seconds.down + m.seconds.microStops)),
          h('td', { class: 'num' }, num(power.machines.find((x) => x.machine === m.machine)?.kwh ?? 0, 1)),
        ),
      ),
    ),
  )
  const hours = h(
    'table',
    { class: 'compact hours' },
    h('caption', {}, t('outputPerHour')),
    h('thead', {}, h('tr', {}, ...[t('hour'), t('produced'), t('good'), t('oee')].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...res.buckets.map((b) =>
        h('tr', {}, h('th', { scope: 'row' }, `${time(Date.parse(b.start), tz)}–${time(Date.parse(b.end), tz)}`), h('td', { class: 'num' }, num(b.counts.produced)), h('td', { class: 'num' }, num(b.counts.good)), h('td', { class: 'num' }, pct(b.oee))),
      ),
    ),
  )
  const timelineEl = h('div', { class: 'chart report-timeline', role: 'img', 'aria-label': t('timeline'), style: `height:${60 + 34 * machines.length}px` })

  const root = h(
    'article',
    { class: 'report', 'data-from': iso(from), 'data-to': iso(to), 'data-line': line },
    h(
      'header',
      { class: 'report-head' },
      h('div', {}, h('h1', {}, `${t('shiftReport')}: ${t('line')} ${leaf(line)}`), h('p', {}, `${factoryName} · ${dateLong(from, tz)} · ${t('shift')} ${shift} · ${time(from, tz)}–${time(found.end, tz)}${running ? ` (${t('inProgress')})` : ''}`)),
      h(
        'nav',
        { class: 'no-print report-nav', 'aria-label': t('links') },
        h('button', { type: 'button', id: 'print', onclick: () => window.print() }, t('print')),
        found.previous ? h('a', { href: reportHref(line, found.previous), rel: 'prev' }, `← ${t('previousShift')}`) : null,
        found.next ? h('a', { href: reportHref(line, found.next), rel: 'next' }, `${t('nextShift')} →`) : null,
        h('a', { href: `#/line/${encodeURIComponent(line)}` }, `${t('line')} ${leaf(line)}`),
      ),
    ),
    kpiTiles(res, 'report'),
    h(
      'section',
      { class: 'tiles' },
      tile(t('produced'), num(res.counts.produced), 'report-produced', res.counts.produced),
      tile(t('good'), num(res.counts.good), 'report-good', res.counts.good),
      tile(t('rejected'), num(res.counts.rejected), 'report-rejected', res.counts.rejected),
      tile(t('target'), target == null ? '–' : num(target), 'report-target', target, h('div', { class: 'muted small' }, target ? `${pct(res.counts.good / target)} ${t('ofTarget')}` : '')),
      tile('kWh', num(power.kwh, 1), 'report-kwh', power.kwh, h('div', { class: 'muted small' }, power.sec.kwhPerGoodUnit == null ? '' : `${num(power.sec.kwhPerGoodUnit, 3)} kWh/${t('unit')}`)),
      tile(t('costVnd'), money(power.cost.vnd), 'report-cost', power.cost.vnd),
    ),
    h('div', { class: 'report-grid' }, losses, reasons),
    machineTable,
    h('h2', {}, t('timeline')),
    h('ul', { class: 'legend' }, ...['RUNNING', 'IDLE', 'DOWN', 'SETUP', 'PLANNED_STOP', 'OFFLINE'].map((s) => h('li', { 'data-state': s }, tk(`st.${s}`)))),
    timelineEl,
    h(
      'div',
      { class: 'report-grid' },
      hours,
      h(
        'div',
        {},
        h('h2', {}, t('energyView')),
        touTable(power, 'report'),
        h(
          'dl',
          { class: 'energy-facts' },
          h('dt', {}, t('peakDemand')),
          h('dd', { 'data-kpi': 'report-peak-kw', 'data-value': power.peakDemand?.kw ?? '' }, power.peakDemand ? `${num(power.peakDemand.kw, 1)} kW (${time(Date.parse(power.peakDemand.start), tz)})` : '–'),
          h('dt', {}, t('loadFactor')),
          h('dd', {}, pct(power.loadFactor)),
          h('dt', {}, 'CO₂'),
          h('dd', { 'data-kpi': 'report-co2', 'data-value': power.co2.kg }, `${num(power.co2.kg, 1)} kg`),
          h('dt', {}, t('idleShare')),
          h('dd', {}, pct(power.idleEnergy.share)),
        ),
      ),
    ),
    h('footer', { class: 'report-foot' }, h('span', {}, `${t('judgedByLabel')} ${judgeName} · ${t('printed')} ${dateTime(now, tz)} (${tz})`), h('span', { class: 'sign' }, `${t('shiftLeader')}: `)),
  )
  mount(main, root)
  drawTimelines(timelineEl, machines.map((m, i) => ({ name: m.name || leaf(m.machine), intervals: timelines[i] ?? [] })), from, to, tz)
}
