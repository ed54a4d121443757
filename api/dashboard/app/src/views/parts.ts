// Pieces the line, energy, shift-report and TV views share: the energy answer's type, registry
// look-ups, windows on the factory's clock, KPI tiles, state badges, the count target and the
// bottleneck rule, and a live subscription tied to the view on screen.
import type { Static } from 'typebox'
import type { EnergyResponseSchema } from '../../../../energy/schema.ts'
import { get, oee, subscribeLive, timeline, type KpiFigures, type LiveEvent, type LiveFilter, type OeeResponse } from '../api.ts'
import { STATE_COLORS } from '../charts.ts'
import { h } from '../dom.ts'
import { pct, t, tk } from '../i18n.ts'
import { iso, oeeClass } from './rules.ts'

export type EnergyResponse = Static<typeof EnergyResponseSchema>
export type EnergyFigures = Omit<EnergyResponse, 'scope' | 'reference' | 'buckets' | 'machines'>

export interface RegistryMachine {
  id: string
  name: string
  line: string
  factory: string
  position: number
  idealCycleS: number
  endOfLine: boolean
}
export interface RegistryLine {
  path: string
  area: string
  id: string
  machines: number
  endOfLine: string
  idealCycleS: number
}

const MINUTE = 60_000
const HOUR = 3_600_000

export * from './rules.ts'

/** `GET /api/v1/energy` over [from, to), the edges on whole minutes (to at least a minute after from). */
export function energy(scope: { factory?: string; line?: string; machine?: string }, from: number, to: number, bucket?: string): Promise<EnergyResponse> {
  const f = Math.floor(from / MINUTE) * MINUTE
  const e = Math.max(f + MINUTE, Math.floor(to / MINUTE) * MINUTE)
  return get('/api/v1/energy', { ...scope, from: iso(f), to: iso(e), bucket })
}

/** The line's machines in flow order (`GET /api/v1/machines?line=`). */
export async function lineMachines(line: string): Promise<RegistryMachine[]> {
  const res = await get<{ machines: RegistryMachine[] }>('/api/v1/machines', { line, limit: 1000 })
  return res.machines
}

/** A factory's lines (`GET /api/v1/factories/:factory/lines`). */
export async function factoryLines(factory: string): Promise<RegistryLine[]> {
  const res = await get<{ lines: RegistryLine[] }>(`/api/v1/factories/${encodeURIComponent(factory)}/lines`, { limit: 1000 })
  return res.lines
}

/** A machine's state now: the last interval of its timeline over the last minute. */
export async function stateNow(machine: string, now = Date.now()): Promise<string | undefined> {
  return timeline(machine, iso(now - MINUTE), iso(now))
    .then((ivs) => ivs.at(-1)?.state)
    .catch(() => undefined)
}

/** The shift bucket `<date>/<shift>` of a line's calendar: its start and end (the calendar's, not clipped), and the keys of the shift before it and of the one after it once that has begun. */
export async function findShift(line: string, date: string, shift: string): Promise<{ start: number; end: number; timezone: string; previous: string | null; next: string | null } | null> {
  const day = Date.parse(`${date}T00:00:00Z`)
  if (!Number.isFinite(day)) return null
  // A night shift belongs to the day it starts; a day either side covers every zone's offset.
  const res = await oee({ line, from: iso(day - 24 * HOUR), to: iso(day + 48 * HOUR), bucket: 'shift' })
  const i = res.buckets.findIndex((x) => x.key === `${date}/${shift}`)
  const b = res.buckets[i]
  if (!b) return null
  // The first and last buckets of the window may be clipped: only whole neighbours are offered.
  const previous = i > 1 ? (res.buckets[i - 1]?.key ?? null) : null
  const after = i < res.buckets.length - 2 ? res.buckets[i + 1] : undefined
  const next = after && Date.parse(after.start) <= Date.now() ? after.key : null
  return { start: Date.parse(b.start), end: Date.parse(b.end), timezone: res.scope.timezone, previous, next }
}

/** A state as a coloured badge with its name; `data-state` carries the code for tests and live updates. */
export function stateBadge(state: string | undefined): HTMLElement {
  if (!state) return h('span', { class: 'muted' }, '–')
  return h('span', { class: 'state', 'data-state': state, style: `--c:${STATE_COLORS[state] ?? '#616161'}` }, tk(`st.${state}`))
}

/** OEE, A, P, Q as tiles; each value carries `data-kpi="<prefix>-<kind>"` and the exact ratio in `data-value`. */
export function kpiTiles(figures: Pick<KpiFigures, 'oee' | 'availability' | 'performance' | 'quality'>, prefix: string, label?: string): HTMLElement {
  return h(
    'section',
    { class: 'tiles', ...(label ? { 'aria-label': label } : {}) },
    ...(['oee', 'availability', 'performance', 'quality'] as const).map((k) =>
      h(
        'div',
        { class: `tile ${k}` },
        h('div', { class: 'tile-label' }, t(k)),
        h('div', { class: `tile-value ${k === 'oee' ? oeeClass(figures[k]) : ''}`, 'data-kpi': `${prefix}-${k}`, 'data-value': figures[k] ?? '' }, pct(figures[k])),
      ),
    ),
  )
}

/** A tile with a label and a value (`data-kpi` and the exact number for tests). */
export function tile(label: string, value: string, kpi: string, exact: number | string | null, extra?: Node | string): HTMLElement {
  return h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value', 'data-kpi': kpi, 'data-value': exact ?? '' }, value), extra ?? null)
}

/** The machines of an OEE answer in the registry's flow order (registry machines without figures are left out). */
export function inFlowOrder(res: OeeResponse, registry: readonly RegistryMachine[]): Array<OeeResponse['machines'][number] & { reg: RegistryMachine | undefined }> {
  const pos = new Map(registry.map((m, i) => [m.id, i]))
  const byId = new Map(registry.map((m) => [m.id, m]))
  return [...res.machines].sort((a, b) => (pos.get(a.machine) ?? 1e9) - (pos.get(b.machine) ?? 1e9) || (a.machine < b.machine ? -1 : 1)).map((m) => ({ ...m, reg: byId.get(m.machine) }))
}

// One live subscription at a time: the view on screen. It ends when the view's root leaves the
// page; a re-render of the same view (same filter) keeps the connection and follows the new root.
interface Live {
  key: string
  root: HTMLElement
  refresh: () => void
  connected: boolean | undefined
  stop: () => void
}
let live: Live | undefined

function endDetached(): void {
  if (live && !live.root.isConnected) {
    live.stop()
    live = undefined
  }
}
window.addEventListener('hashchange', () => queueMicrotask(endDetached))

/**
 * Follows live changes for the view whose root is `root`: a state change updates every
 * `[data-machine-state="<machine>"]` badge at once; new rows call `refresh` (at most every
 * `minRefreshMs`, default 10 s, after `debounceMs`, default 1.5 s, of quiet). The root carries
 * `data-live="on|off"`. Replaces the previous view's subscription unless it has the same filter.
 */
export function followLive(root: HTMLElement, filter: LiveFilter, refresh: () => void, opts: { debounceMs?: number; minRefreshMs?: number } = {}): void {
  const debounceMs = opts.debounceMs ?? 1500
  const minRefreshMs = opts.minRefreshMs ?? 10_000
  const key = JSON.stringify([filter.factory ?? '', filter.line ?? '', filter.machine ?? '', debounceMs, minRefreshMs])
  if (live?.key === key) {
    live.root = root
    live.refresh = refresh
    if (live.connected !== undefined) root.dataset['live'] = live.connected ? 'on' : 'off'
    return
  }
  live?.stop()
  let timer: ReturnType<typeof setTimeout> | undefined
  let last = Date.now()
  const self: Live = { key, root, refresh, connected: undefined, stop: () => undefined }
  const unsubscribe = subscribeLive(filter, (e: LiveEvent) => {
    if (!self.root.isConnected) return endDetached()
    if (e.type === 'state') {
      for (const el of self.root.querySelectorAll<HTMLElement>('[data-machine-state]')) {
        if (el.dataset['machineState'] === e.machine) el.replaceChildren(stateBadge(e.state))
      }
    } else if (e.type === 'kpi') {
      clearTimeout(timer)
      const wait = Math.max(debounceMs, minRefreshMs - (Date.now() - last))
      timer = setTimeout(() => {
        last = Date.now()
        if (self.root.isConnected) self.refresh()
      }, wait)
    } else {
      self.connected = e.connected
      self.root.dataset['live'] = e.connected ? 'on' : 'off'
    }
  })
  self.stop = () => {
    clearTimeout(timer)
    unsubscribe()
  }
  live = self
}
