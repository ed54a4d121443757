import { currentShift, factories, oee, timeline, type Factory, type OeeResponse } from '../api.ts'
import { h, leaf, mount, requestRefresh } from '../dom.ts'
import { pct, t, time } from '../i18n.ts'
import { followLive, oeeClass, stateBadge } from './parts.ts'

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

type Kind = 'oee' | 'availability' | 'performance' | 'quality'
const KINDS: readonly Kind[] = ['oee', 'availability', 'performance', 'quality']

function kpiCell(kind: Kind, value: number | null, line: string): HTMLTableCellElement {
  return h('td', { class: `num ${kind === 'oee' ? oeeClass(value) : ''}`, 'data-kpi': kind, 'data-line': line, 'data-value': value ?? '' }, pct(value))
}

/** Writes a figure into an element made by kpiCell or the tiles, keeping the element (and any focus near it). */
function setFigure(el: Element | null, value: number | null, oeeColour: boolean, base: string): void {
  if (!el) return
  el.textContent = pct(value)
  el.setAttribute('data-value', value == null ? '' : String(value))
  if (oeeColour) el.setAttribute('class', `${base} ${oeeClass(value)}`.trim())
}

/**
 * The live feed said new rows arrived: fetch the factory's figures again and write them into the
 * table in place (no re-render: focus, scroll and the open select stay). A new shift re-renders.
 */
async function refreshFigures(root: HTMLElement, factory: string, shiftKey: string | undefined): Promise<void> {
  const now = Date.now()
  const { shift, from, to } = await shiftWindow({ factory }, now)
  if (!root.isConnected) return
  if ((shift?.key ?? undefined) !== shiftKey) return requestRefresh()
  const res = await oee({ factory, from: new Date(from).toISOString(), to: new Date(to).toISOString() })
  if (!root.isConnected) return
  for (const k of KINDS) setFigure(root.querySelector(`[data-kpi="factory-${k}"]`), res[k], false, '')
  for (const l of res.lines) {
    for (const k of KINDS) {
      for (const el of root.querySelectorAll(`td[data-kpi="${k}"]`)) if (el.getAttribute('data-line') === l.line) setFigure(el, l[k], k === 'oee', 'num')
    }
  }
  for (const m of res.machines) for (const el of root.querySelectorAll(`[data-machine-oee]`)) if (el.getAttribute('data-machine-oee') === m.machine) setFigure(el, m.oee, false, 'muted')
  const updated = root.querySelector('[data-updated]')
  if (updated) {
    updated.textContent = `${t('updated')} ${time(now, res.scope.timezone)}`
    updated.setAttribute('data-updated', String(now))
  }
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
        requestRefresh()
      },
    },
    ...list.map((f) => h('option', { value: f.path, selected: f.path === chosen.path }, f.name)),
  )
  const head = h('div', { class: 'head' }, h('h1', {}, t('plantOverview')), h('label', { for: 'factory' }, t('factory')), select, h('a', { href: `#/energy/${encodeURIComponent(chosen.path)}` }, t('energyView')), h('a', { href: '#/tv' }, t('tvMode')))
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
    ...KINDS.map((k) =>
      h('div', { class: `tile ${k}` }, h('div', { class: 'tile-label' }, t(k)), h('div', { class: 'tile-value', 'data-kpi': `factory-${k}`, 'data-value': res[k] ?? '' }, pct(res[k]))),
    ),
  )

  const rows = res.lines.map((l, i) => {
    const machines = res.machines.filter((m) => m.line === l.line)
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: `#/line/${encodeURIComponent(l.line)}` }, leaf(l.line)), h('div', { class: 'muted small' }, `${t('judgedBy')} ${leaf(l.judgedBy.machine)}`)),
      kpiCell('oee', l.oee, l.line),
      kpiCell('availability', l.availability, l.line),
      kpiCell('performance', l.performance, l.line),
      kpiCell('quality', l.quality, l.line),
      // The live feed replaces the badges of [data-machine-state] (the snapshot on connect fills the machines' own).
      h('td', { 'data-line-state': l.line, 'data-machine-state': l.judgedBy.machine }, stateBadge(states[i])),
      h(
        'td',
        {},
        h(
          'ul',
          { class: 'machines' },
          ...machines.map((m) =>
            h(
              'li',
              {},
              h('a', { href: `#/machine/${encodeURIComponent(m.machine)}` }, m.name || leaf(m.machine)),
              ' ',
              h('span', { class: 'muted', 'data-machine-oee': m.machine, 'data-value': m.oee ?? '' }, pct(m.oee)),
              ' ',
              h('span', { class: 'mini', 'data-machine-state': m.machine }),
            ),
          ),
        ),
      ),
    )
  })

  const root = h(
    'section',
    { class: 'overview', 'data-factory': chosen.path },
    head,
    h('p', { class: 'shift', 'data-shift': shift?.key ?? '' }, shiftLabel(shift, from, to, tz), ' · ', h('span', { class: 'muted', 'data-updated': now }, `${t('updated')} ${time(now, tz)}`)),
    tiles,
    h(
      'table',
      { class: 'lines' },
      h('caption', { class: 'visually-hidden' }, `${t('plantOverview')}: ${chosen.name}`),
      h('thead', {}, h('tr', {}, ...[t('line'), t('oee'), t('availability'), t('performance'), t('quality'), t('state'), t('machines')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...rows),
    ),
  )
  mount(main, root)
  followLive(root, { factory: chosen.path }, () => void refreshFigures(root, chosen.path, shift?.key).catch(() => undefined))
}
