import { downtime, oee, timeline } from '../api.ts'
import { drawTimeline, drawWaterfall } from '../charts.ts'
import { h, leaf, mount } from '../dom.ts'
import { duration, num, pct, t, time, tk } from '../i18n.ts'
import { shiftWindow } from './overview.ts'

/** One machine in the current shift: state timeline, loss waterfall, downtime reasons ranked. */
export async function renderMachine(main: HTMLElement, machine: string): Promise<void> {
  const now = Date.now()
  const { shift, from, to } = await shiftWindow({ machine }, now)
  const fromIso = new Date(from).toISOString()
  const toIso = new Date(to).toISOString()
  const [figures, intervals, stops] = await Promise.all([oee({ machine, from: fromIso, to: toIso }), timeline(machine, fromIso, toIso), downtime(machine, fromIso, toIso)])
  const tz = figures.scope.timezone
  const name = figures.machines.find((m) => m.machine === machine)?.name ?? leaf(machine)

  const timelineEl = h('div', { class: 'chart timeline', role: 'img', 'aria-label': t('timeline') })
  const waterfallEl = h('div', { class: 'chart waterfall', role: 'img', 'aria-label': t('waterfall') })
  const maxS = Math.max(1, ...stops.reasons.map((r) => r.seconds))
  const reasons = stops.reasons.length
    ? h(
        'table',
        { class: 'reasons' },
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

  mount(
    main,
    h(
      'section',
      { class: 'machine' },
      h('p', {}, h('a', { href: '#/' }, `← ${t('back')}`)),
      h('h1', {}, name, ' ', h('span', { class: 'muted small' }, machine)),
      h('p', { class: 'shift' }, shift ? `${t('shift')} ${shift.key.slice(shift.key.indexOf('/') + 1)} · ${time(from, tz)}–${time(to, tz)}` : t('noShift')),
      h(
        'section',
        { class: 'tiles' },
        ...(['oee', 'availability', 'performance', 'quality'] as const).map((k) =>
          h('div', { class: `tile ${k}` }, h('div', { class: 'tile-label' }, t(k)), h('div', { class: 'tile-value', 'data-kpi': `machine-${k}`, 'data-value': figures[k] ?? '' }, pct(figures[k]))),
        ),
        h(
          'div',
          { class: 'tile counts' },
          h('div', { class: 'tile-label' }, `${t('good')} / ${t('produced')}`),
          h('div', { class: 'tile-value' }, `${num(figures.counts.good)} / ${num(figures.counts.produced)}`),
        ),
      ),
      h('h2', {}, t('timeline')),
      h('ul', { class: 'legend' }, ...['RUNNING', 'IDLE', 'DOWN', 'SETUP', 'PLANNED_STOP', 'OFFLINE'].map((s) => h('li', { 'data-state': s }, tk(`st.${s}`)))),
      timelineEl,
      h('div', { class: 'two' }, h('div', {}, h('h2', {}, t('waterfall')), waterfallEl), h('div', {}, h('h2', {}, t('downtime')), reasons)),
    ),
  )
  drawTimeline(timelineEl, intervals, from, to, tz)
  drawWaterfall(waterfallEl, figures.waterfall)
}
