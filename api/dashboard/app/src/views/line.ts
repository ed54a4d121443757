import { get, oee, type DowntimeResponse } from '../api.ts'
import { drawMachineBars } from '../charts.ts'
import { h, leaf, mount, requestRefresh } from '../dom.ts'
import { duration, num, pct, t, time } from '../i18n.ts'
import { shiftWindow } from './overview.ts'
import { activeSeconds, bottleneck, countTarget, energy, factoryOf, followLive, inFlowOrder, iso, kpiTiles, lineMachines, oeeClass, shiftName, stateBadge, stateNow, tile } from './parts.ts'
import { reportHref } from './shift-report.ts'

/**
 * One line in the current shift: its OEE (judged by the end-of-line machine at the line's ideal
 * cycle time), then its machines side by side in flow order, one column each, the bottleneck
 * marked (rule: views/parts.ts `bottleneck`, the fewest units per busy hour).
 */
export async function renderLine(main: HTMLElement, line: string): Promise<void> {
  const now = Date.now()
  const factory = factoryOf(line)
  const { shift, from, to } = await shiftWindow({ factory }, now)
  const [res, registry, stops, power] = await Promise.all([
    oee({ line, from: iso(from), to: iso(to) }),
    lineMachines(line),
    get<DowntimeResponse>('/api/v1/downtime', { line, from: iso(from), to: iso(to) }),
    energy({ line }, from, to),
  ])
  // Every kWh of the window (breaks too), as the energy and report views show it; the OEE
  // answer's own energy counts production time only.
  const powerOf = new Map(power.machines.map((m) => [m.machine, m]))
  const tz = res.scope.timezone
  const machines = inFlowOrder(res, registry)
  const states = await Promise.all(machines.map((m) => stateNow(m.machine, now)))
  const idealOf = (m: (typeof machines)[number]): number => m.reg?.idealCycleS ?? (m.counts.produced > 0 ? m.seconds.idealProduced / m.counts.produced : 0)
  const neck = bottleneck(machines.map((m) => ({ machine: m.machine, idealCycleS: idealOf(m), produced: m.counts.produced, activeS: activeSeconds(m) })))
  const downByMachine = new Map<string, number>()
  // The line's downtime answer is by reason; per machine the OEE figures have the DOWN seconds.
  for (const m of machines) downByMachine.set(m.machine, m.seconds.down + m.seconds.microStops)
  const judge = res.judgedBy
  const lineTarget = countTarget(res.seconds, judge?.idealCycleS)

  const nameOf = (m: (typeof machines)[number]): string => m.name || leaf(m.machine)
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, t('machine')),
    ...machines.map((m, i) =>
      h(
        'th',
        { scope: 'col', class: m.machine === neck?.machine ? 'neck' : undefined, 'data-machine': m.machine },
        h('span', { class: 'muted small' }, `${i + 1}. `),
        h('a', { href: `#/machine/${encodeURIComponent(m.machine)}` }, nameOf(m)),
        m.machine === neck?.machine ? h('span', { class: 'neck-badge', 'data-bottleneck': m.machine }, t('bottleneck')) : null,
        m.machine === judge?.machine ? h('div', { class: 'muted small' }, t('endOfLine')) : null,
      ),
    ),
  )
  type Row = [label: string, kpi: string, cell: (m: (typeof machines)[number], i: number) => { text: Node | string; value?: number | string | null; cls?: string }]
  const rows: Row[] = [
    [t('state'), 'state', (m, i) => ({ text: stateBadge(states[i]), value: states[i] ?? '' })],
    [t('oee'), 'oee', (m) => ({ text: pct(m.oee), value: m.oee, cls: oeeClass(m.oee) })],
    [t('availability'), 'availability', (m) => ({ text: pct(m.availability), value: m.availability })],
    [t('performance'), 'performance', (m) => ({ text: pct(m.performance), value: m.performance })],
    [t('quality'), 'quality', (m) => ({ text: pct(m.quality), value: m.quality })],
    [t('produced'), 'produced', (m) => ({ text: num(m.counts.produced), value: m.counts.produced })],
    [t('good'), 'good', (m) => ({ text: num(m.counts.good), value: m.counts.good })],
    [t('rejected'), 'rejected', (m) => ({ text: num(m.counts.rejected), value: m.counts.rejected })],
    [t('target'), 'target', (m) => {
      const v = countTarget(m.seconds, idealOf(m))
      return { text: v == null ? '–' : num(v), value: v }
    }],
    [t('idealCycle'), 'ideal-cycle', (m) => ({ text: `${num(idealOf(m), 1)} s`, value: idealOf(m) })],
    [t('unitsPerBusyHour'), 'units-per-busy-hour', (m) => {
      const a = activeSeconds(m)
      const v = a > 0 ? (m.counts.produced / a) * 3600 : null
      return { text: v == null ? '–' : num(v, 1), value: v }
    }],
    [t('downTime'), 'down-seconds', (m) => ({ text: duration(downByMachine.get(m.machine) ?? 0), value: downByMachine.get(m.machine) ?? 0 })],
    [t('kwh'), 'kwh', (m) => {
      const v = powerOf.get(m.machine)?.kwh ?? null
      return { text: v == null ? '–' : num(v, 1), value: v }
    }],
    [t('kwhPerGood'), 'kwh-per-good', (m) => {
      const v = powerOf.get(m.machine)?.sec.kwhPerGoodUnit ?? null
      return { text: v == null ? '–' : num(v, 3), value: v }
    }],
  ]
  const table = h(
    'table',
    { class: 'side-by-side' },
    h('caption', { class: 'visually-hidden' }, `${t('machinesSideBySide')}: ${leaf(line)}`),
    h('thead', {}, head),
    h(
      'tbody',
      {},
      ...rows.map(([label, kpi, cell]) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, label),
          ...machines.map((m, i) => {
            const c = cell(m, i)
            return h(
              'td',
              {
                class: `num ${c.cls ?? ''} ${m.machine === neck?.machine ? 'neck' : ''}`,
                'data-machine': m.machine,
                'data-kpi': kpi,
                'data-value': c.value ?? '',
                ...(kpi === 'state' ? { 'data-machine-state': m.machine } : {}),
              },
              c.text,
            )
          }),
        ),
      ),
    ),
  )
  const neckMachine = machines.find((m) => m.machine === neck?.machine)
  const judgeMachine = machines.find((m) => m.machine === judge?.machine)
  const judgeName = judgeMachine ? nameOf(judgeMachine) : judge ? leaf(judge.machine) : '–'
  const neckNote = neck && neckMachine
    ? h(
        'p',
        { class: 'neck-note', 'data-bottleneck-rule': neck.by },
        h('strong', {}, `${t('bottleneck')}: ${nameOf(neckMachine)}. `),
        neck.by === 'rate' ? `${t('bottleneckByRate')} (${num(neck.unitsPerHour ?? 0, 1)} ${t('perHour')})` : `${t('bottleneckByDesign')} (${num(idealOf(neckMachine), 1)} s)`,
      )
    : h('p', { class: 'muted' }, t('noData'))

  const barsEl = h('div', { class: 'chart bars', role: 'img', 'aria-label': t('machinesSideBySide') })
  const root = h(
    'section',
    { class: 'line', 'data-from': iso(from), 'data-to': iso(to), 'data-energy-from': power.scope.from, 'data-energy-to': power.scope.to, 'data-line': line },
    h(
      'nav',
      { class: 'crumbs', 'aria-label': t('links') },
      h('a', { href: '#/' }, `← ${t('back')}`),
      shift ? h('a', { href: reportHref(line, shift.key) }, t('shiftReport')) : null,
      h('a', { href: `#/energy/${encodeURIComponent(factory)}` }, t('energyView')),
    ),
    h('h1', {}, `${t('line')} ${leaf(line)}`, ' ', h('span', { class: 'muted small' }, line)),
    h('p', { class: 'shift', 'data-shift': shift?.key ?? '' }, shift ? `${t('shift')} ${shiftName(shift.key)} · ${time(from, tz)}–${time(to, tz)}${shift.live ? '' : ` (${t('shiftEnded')})`}` : t('noShift'), ' · ', h('span', { class: 'muted' }, `${t('updated')} ${time(now, tz)}`)),
    kpiTiles(res, 'line', leaf(line)),
    h(
      'section',
      { class: 'tiles' },
      tile(`${t('good')} / ${t('produced')}`, `${num(res.counts.good)} / ${num(res.counts.produced)}`, 'line-good', res.counts.good),
      tile(t('target'), lineTarget == null ? '–' : num(lineTarget), 'line-target', lineTarget),
      tile(t('judgedByLabel'), judgeName, 'line-judge', judge?.machine ?? null, judge ? h('div', { class: 'muted small' }, `${t('idealCycle')} ${num(judge.idealCycleS, 1)} s`) : undefined),
      tile(t('downTime'), duration(stops.totals.seconds), 'line-down', stops.totals.seconds, h('div', { class: 'muted small' }, `${num(stops.totals.stops)} ${t('nStops')}`)),
    ),
    h('h2', {}, t('machinesSideBySide')),
    machines.length ? h('div', { class: 'scroll' }, table) : h('p', { class: 'muted' }, t('noData')),
    neckNote,
    h('p', { class: 'muted small' }, t('bottleneckRule')),
    machines.length ? barsEl : null,
  )
  mount(main, root)
  if (machines.length) drawMachineBars(barsEl, machines.map((m) => ({ name: nameOf(m), oee: m.oee, availability: m.availability, performance: m.performance, quality: m.quality })))
  followLive(root, { line }, requestRefresh)
}
