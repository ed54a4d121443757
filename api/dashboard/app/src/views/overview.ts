import { currentShift, factories, oee, timeline, type Factory, type OeeResponse } from '../api.ts'
import { STATE_COLORS } from '../charts.ts'
import { h, leaf, mount } from '../dom.ts'
import { pct, t, time, tk } from '../i18n.ts'

const FACTORY = 'shopfloor.factory'

/** What the shift's window is: the shift in force (to now), the last one, else the last 8 hours. */
export async function shiftWindow(scope: { factory?: string; machine?: string }, now = Date.now()) {
  const shift = await currentShift(scope, now)
  const from = shift ? shift.start : now - 8 * 3600_000
  const to = shift && !shift.live ? shift.end : now
  return { shift, from, to }
}

function shiftLabel(shift: Awaited<ReturnType<typeof currentShift>>, from: number, to: number, tz: string): string {
  if (!shift) return t('noShift')
  const name = shift.key.slice(shift.key.indexOf('/') + 1)
  return `${t('shift')} ${name} · ${time(from, tz)}–${time(to, tz)}${shift.live ? '' : ` (${t('shiftEnded')})`}`
}

function kpiCell(kind: 'oee' | 'availability' | 'performance' | 'quality', value: number | null, line: string): HTMLTableCellElement {
  const cls = kind === 'oee' && value != null ? (value >= 0.85 ? 'good' : value >= 0.6 ? 'fair' : 'poor') : ''
  return h('td', { class: `num ${cls}`, 'data-kpi': kind, 'data-line': line, 'data-value': value ?? '' }, pct(value))
}

function stateBadge(state: string | undefined): HTMLElement {
  if (!state) return h('span', { class: 'muted' }, '–')
  return h('span', { class: 'state', 'data-state': state, style: `--c:${STATE_COLORS[state] ?? '#616161'}` }, tk(`st.${state}`))
}

/** Plant overview: every line of the factory with OEE, A, P, Q, its current state, for the current shift. */
export async function renderOverview(main: HTMLElement): Promise<void> {
  const list = (await factories()).factories
  if (list.length === 0) return mount(main, h('p', { class: 'card' }, t('noFactories')))
  // The seed lists factories whose machines may not report yet: start on one that has machines.
  const chosen = list.find((f) => f.path === sessionStorage.getItem(FACTORY)) ?? list.find((f) => f.machines > 0) ?? (list[0] as Factory)
  const now = Date.now()
  const select = h(
    'select',
    {
      id: 'factory',
      onchange: (e: Event) => {
        sessionStorage.setItem(FACTORY, (e.target as HTMLSelectElement).value)
        void renderOverview(main)
      },
    },
    ...list.map((f) => h('option', { value: f.path, selected: f.path === chosen.path }, f.name)),
  )
  const head = h('div', { class: 'head' }, h('h1', {}, t('plantOverview')), h('label', { for: 'factory' }, t('factory')), select)
  if (chosen.machines === 0) return mount(main, h('section', { class: 'overview' }, head, h('p', { class: 'card' }, t('noMachines'))))
  const { shift, from, to } = await shiftWindow({ factory: chosen.path }, now)
  const res: OeeResponse = await oee({ factory: chosen.path, from: new Date(from).toISOString(), to: new Date(to).toISOString() })
  const tz = res.scope.timezone
  // The state a line is in now is its end-of-line machine's (the machine it is judged by).
  const states = await Promise.all(
    res.lines.map((l) =>
      timeline(l.judgedBy.machine, new Date(now - 60_000).toISOString(), new Date(now).toISOString())
        .then((ivs) => ivs.at(-1)?.state)
        .catch(() => undefined),
    ),
  )

  const tiles = h(
    'section',
    { class: 'tiles', 'aria-label': chosen.name },
    ...(['oee', 'availability', 'performance', 'quality'] as const).map((k) =>
      h('div', { class: `tile ${k}` }, h('div', { class: 'tile-label' }, t(k)), h('div', { class: 'tile-value', 'data-kpi': `factory-${k}`, 'data-value': res[k] ?? '' }, pct(res[k]))),
    ),
  )

  const rows = res.lines.map((l, i) => {
    const machines = res.machines.filter((m) => m.line === l.line)
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, leaf(l.line), h('div', { class: 'muted small' }, `${t('judgedBy')} ${leaf(l.judgedBy.machine)}`)),
      kpiCell('oee', l.oee, l.line),
      kpiCell('availability', l.availability, l.line),
      kpiCell('performance', l.performance, l.line),
      kpiCell('quality', l.quality, l.line),
      h('td', { 'data-line-state': l.line }, stateBadge(states[i])),
      h('td', {}, h('ul', { class: 'machines' }, ...machines.map((m) => h('li', {}, h('a', { href: `#/machine/${encodeURIComponent(m.machine)}` }, m.name || leaf(m.machine)), ' ', h('span', { class: 'muted' }, pct(m.oee)))))),
    )
  })

  mount(
    main,
    h(
      'section',
      { class: 'overview' },
      head,
      h('p', { class: 'shift', 'data-shift': shift?.key ?? '' }, shiftLabel(shift, from, to, tz), ' · ', h('span', { class: 'muted' }, `${t('updated')} ${time(now, tz)}`)),
      tiles,
      h(
        'table',
        { class: 'lines' },
        h('caption', { class: 'visually-hidden' }, `${t('plantOverview')}: ${chosen.name}`),
        h('thead', {}, h('tr', {}, ...[t('line'), t('oee'), t('availability'), t('performance'), t('quality'), t('state'), t('machines')].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...rows),
      ),
    ),
  )
}
