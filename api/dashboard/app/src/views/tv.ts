import { factories, oee } from '../api.ts'
import { h, leaf, mount, requestRefresh } from '../dom.ts'
import { dateTime, num, pct, t, time } from '../i18n.ts'
import { shiftWindow } from './overview.ts'
import { countTarget, factoryLines, followLive, inFlowOrder, iso, lineMachines, oeeClass, rotationSeconds, shiftName, stateBadge, stateNow } from './parts.ts'

/** Seconds per line, unless `?every=` says otherwise (5 to 3600). */
export const TV_DEFAULT_EVERY_S = 20

interface TvLine {
  path: string
  factory: string
  factoryName: string
}

// The rotation outlives a re-render (the router re-renders every 30 s): which line is on screen,
// and the one timer that moves on.
let index = 0
let timer: ReturnType<typeof setInterval> | undefined
let timerEvery = 0
let lines: TvLine[] = []
let linesAt = 0

/** Every line of every factory the key sees, refreshed every 5 minutes. */
async function visibleLines(now: number): Promise<TvLine[]> {
  if (lines.length && now - linesAt < 300_000) return lines
  const list = (await factories()).factories.filter((f) => f.machines > 0)
  const per = await Promise.all(list.map((f) => factoryLines(f.path).then((ls) => ls.map((l) => ({ path: l.path, factory: f.path, factoryName: f.name })))))
  lines = per.flat()
  linesAt = now
  return lines
}

async function renderSlide(main: HTMLElement, every: number): Promise<void> {
  const now = Date.now()
  const all = await visibleLines(now)
  if (all.length === 0) return mount(main, h('section', { class: 'tv' }, h('p', { class: 'tv-empty' }, t('noFactories'))))
  index %= all.length
  const l = all[index] as TvLine
  const { shift, from, to } = await shiftWindow({ factory: l.factory }, now)
  const [res, registry] = await Promise.all([oee({ line: l.path, from: iso(from), to: iso(to) }), lineMachines(l.path)])
  const machines = inFlowOrder(res, registry)
  const states = await Promise.all(machines.map((m) => stateNow(m.machine, now)))
  const tz = res.scope.timezone
  const target = countTarget(res.seconds, res.judgedBy?.idealCycleS)
  const root = h(
    'section',
    { class: 'tv', 'data-line': l.path, 'data-from': iso(from), 'data-to': iso(to), 'data-index': index, 'data-count': all.length },
    h(
      'header',
      { class: 'tv-head' },
      h('div', {}, h('div', { class: 'tv-factory' }, l.factoryName), h('h1', { class: 'tv-line' }, `${t('line')} ${leaf(l.path)}`)),
      h('div', { class: 'tv-clock' }, h('div', {}, time(now, tz)), h('div', { class: 'tv-shift' }, shift ? `${t('shift')} ${shiftName(shift.key)} · ${time(from, tz)}–${time(to, tz)}` : t('noShift'))),
    ),
    h(
      'div',
      { class: 'tv-main' },
      h('div', { class: `tv-oee ${oeeClass(res.oee)}` }, h('div', { class: 'tv-label' }, t('oee')), h('div', { class: 'tv-big', 'data-kpi': 'tv-oee', 'data-value': res.oee ?? '' }, pct(res.oee))),
      h(
        'dl',
        { class: 'tv-apq' },
        ...(['availability', 'performance', 'quality'] as const).flatMap((k) => [h('dt', {}, t(k)), h('dd', { 'data-kpi': `tv-${k}`, 'data-value': res[k] ?? '' }, pct(res[k]))]),
        h('dt', {}, `${t('good')} / ${t('target')}`),
        h('dd', { 'data-kpi': 'tv-good', 'data-value': res.counts.good }, `${num(res.counts.good)} / ${target == null ? '–' : num(target)}`),
      ),
    ),
    h(
      'ol',
      { class: 'tv-machines' },
      ...machines.map((m, i) =>
        h('li', {}, h('span', { class: 'tv-mname' }, m.name || leaf(m.machine)), h('span', { 'data-machine-state': m.machine }, stateBadge(states[i])), h('span', { class: `tv-moee ${oeeClass(m.oee)}` }, pct(m.oee))),
      ),
    ),
    h('footer', { class: 'tv-foot' }, `${index + 1} / ${all.length} · ${t('tvEvery')} ${num(every)} s · ${t('updated')} ${dateTime(now, tz)} · ${t('tvLeave')}`),
  )
  mount(main, root)
  // One subscription for every line the key sees: it stays open while the lines rotate.
  followLive(root, {}, requestRefresh, { minRefreshMs: 15_000 })
}

// No header on the TV: Escape leaves for the overview (a keyboard on the TV's PC, or a remote).
window.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && location.hash.startsWith('#/tv')) location.hash = '#/'
})
window.addEventListener('hashchange', () => {
  if (location.hash.startsWith('#/tv')) return
  clearInterval(timer)
  timer = undefined
  document.documentElement.classList.remove('tv-mode')
})

/**
 * Large-screen mode for a TV beside the line (`#/tv?every=20`): large type, one line at a time,
 * moving on to the next line the key can see every `every` seconds, live state badges; nothing to
 * click.
 */
export async function renderTv(main: HTMLElement, params: URLSearchParams = new URLSearchParams()): Promise<void> {
  const every = rotationSeconds(params, TV_DEFAULT_EVERY_S)
  document.documentElement.classList.add('tv-mode')
  // The router re-renders every 30 s: that redraws the slide on screen, it does not restart the rotation.
  if (timer === undefined || timerEvery !== every) {
    clearInterval(timer)
    timerEvery = every
    // Through the router: the slide lands in the view on screen now, whatever re-rendered it since.
    timer = setInterval(() => {
      index++
      requestRefresh()
    }, every * 1000)
  }
  await renderSlide(main, every)
}
