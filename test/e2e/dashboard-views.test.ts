// The line, machine, energy, shift-report and TV views in headless Chromium (Debian's chromium,
// driven by playwright-core), over the real API and a chDB store seeded through the real ingest
// path; each view's figures must equal the API's for the window the view states on its root
// (data-from, data-to). Keyboard (a Tab walk) and axe-core's WCAG 2 A/AA rules on the main views.
//
// Seed: line views-1 is printer -> placer -> oven (end of line, ideal cycle 20 s; the line's 24 s,
// the placer's). In the previous shift (P, complete) all three make the same units per 10 minutes
// (the flow sets the pace), the printer and the oven also wait (IDLE: starved, blocked) while the
// placer never does: the placer makes the fewest units per busy hour and is the bottleneck. Stops
// with reasons, rejects at the oven, a meter reading a minute per machine. The current shift (S,
// d = now − S) repeats a short pattern scaled to d and ends in PLANNED_STOP at S + 0.9d, so the
// figures stop moving. Line views-2 (one press) is there for the TV to rotate to.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate, openClickhouse, type Clickhouse, type MachineStateCode, type ShopfloorEvent } from '../../stream/index.ts'
import { TEST_FACTORY, announceMachines, storeEvents, testApi, type TestApi } from '../support/api.ts'
import { SHOTS, launchChromium, withDashboard } from '../support/dashboard.ts'
import { freePort } from '../support/wait.ts'

const LINE = `${TEST_FACTORY}/smt/views-1`
const LINE2 = `${TEST_FACTORY}/smt/views-2`
const PRINTER = `${LINE}/printer`
const PLACER = `${LINE}/placer`
const OVEN = `${LINE}/oven`
const PRESS = `${LINE2}/press`
const IDEAL: Record<string, number> = { [PRINTER]: 18, [PLACER]: 24, [OVEN]: 20, [PRESS]: 30 }
const KW: Record<string, number> = { [PRINTER]: 3, [PLACER]: 5, [OVEN]: 12, [PRESS]: 8 }
const MIN = 60_000
const HOUR = 3_600_000
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

let dir: string
let ch: Clickhouse
let api: TestApi
let browser: Browser
let base: string
let previous: { key: string; start: number; end: number }
let current: { key: string; start: number }

type Step = [at: number, state: MachineStateCode, reason?: string]

function scenario(P: { start: number; end: number }, S: number, now: number): ShopfloorEvent[] {
  const out: ShopfloorEvent[] = []
  let seq = 0
  const head = (machine: string, ts: number) => {
    seq++
    return { event_id: `gw-views:${seq}`, agent_id: 'gw-views', seq, machine, source_ts: Math.round(ts), receive_ts: Math.round(ts) + 5 }
  }
  const states = (machine: string, steps: Step[]): void => {
    for (const [at, state, reason] of steps) out.push({ type: 'machine_state', event: { ...head(machine, at), state, reason: reason ?? null } })
  }
  const count = (machine: string, ts: number, produced: number, rejected: number): void => {
    out.push({ type: 'production_count', event: { ...head(machine, ts), produced, rejected, ideal_cycle_s: IDEAL[machine] ?? 20, product: null } })
  }
  const d = now - S
  const p = P.start
  states(PRINTER, [[p - 10 * MIN, 'RUNNING'], [p + HOUR, 'DOWN', 'SQUEEGEE'], [p + HOUR + 5 * MIN, 'RUNNING'], [p + 3 * HOUR, 'IDLE', 'STARVED'], [p + 3 * HOUR + 40 * MIN, 'RUNNING']])
  states(PLACER, [[p - 10 * MIN, 'RUNNING'], [p + 2 * HOUR, 'DOWN', 'NOZZLE'], [p + 2 * HOUR + 15 * MIN, 'RUNNING'], [p + 5 * HOUR, 'SETUP'], [p + 5 * HOUR + 10 * MIN, 'RUNNING']])
  states(OVEN, [[p - 10 * MIN, 'RUNNING'], [p + 1.5 * HOUR, 'DOWN', 'JAM'], [p + 1.5 * HOUR + 10 * MIN, 'RUNNING'], [p + 6 * HOUR, 'IDLE', 'BLOCKED'], [p + 6 * HOUR + 30 * MIN, 'RUNNING']])
  states(PRESS, [[p - 10 * MIN, 'RUNNING']])
  for (let t = p + 10 * MIN; t <= P.end; t += 10 * MIN) {
    for (const m of [PRINTER, PLACER, OVEN]) count(m, t - 1000, 20, m === OVEN && t % (30 * MIN) === 0 ? 1 : 0)
    count(PRESS, t - 1000, 15, 0)
  }
  // The current shift: a short pattern in proportion to how far into it now is.
  const units = Math.max(3, Math.floor((0.6 * d) / 1000 / 24 / 2))
  states(PRINTER, [[S + 0.3 * d, 'IDLE'], [S + 0.35 * d, 'RUNNING'], [S + 0.9 * d, 'PLANNED_STOP']])
  states(PLACER, [[S + 0.4 * d, 'DOWN', 'NOZZLE'], [S + 0.5 * d, 'RUNNING'], [S + 0.9 * d, 'PLANNED_STOP']])
  states(OVEN, [[S + 0.45 * d, 'DOWN', 'JAM'], [S + 0.5 * d, 'RUNNING'], [S + 0.9 * d, 'PLANNED_STOP']])
  states(PRESS, [[S + 0.9 * d, 'PLANNED_STOP']])
  for (const m of [PRINTER, PLACER, OVEN]) {
    count(m, S + 0.2 * d, units, m === OVEN ? 1 : 0)
    count(m, S + 0.7 * d, units, 0)
  }
  count(PRESS, S + 0.5 * d, units, 0)
  // A meter reading a minute per machine, more while running (the figures need no exact model).
  for (const m of [PRINTER, PLACER, OVEN, PRESS]) {
    let total = 1000
    let first = true
    for (let t = p - 10 * MIN; t < S + 0.9 * d; t += MIN) {
      const kwh = first ? 0 : (KW[m] ?? 1) / 60
      total += kwh
      first = false
      out.push({ type: 'energy_reading', event: { ...head(m, t), kwh, kwh_total: total, kw: KW[m] ?? 1 } })
    }
  }
  return out
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-dashboard-views-'))
  api = await withDashboard(join(dir, 'dashboard'), async () => {
    ch = await openClickhouse({ path: join(dir, 'chdb'), database: 'dashboard_views' })
    await migrate(ch)
    return testApi({ clickhouse: ch })
  })
  const now = Date.now()
  const announced = now - 40 * HOUR
  await announceMachines(ch, [
    { line: LINE, id: 'printer', name: 'Printer', position: 0, endOfLine: false, updated: announced, idealCycleS: 18, lineIdealCycleS: 24, agent: 'gw-views' },
    { line: LINE, id: 'placer', name: 'Placer', position: 1, endOfLine: false, updated: announced, idealCycleS: 24, lineIdealCycleS: 24, agent: 'gw-views' },
    { line: LINE, id: 'oven', name: 'Oven', position: 2, endOfLine: true, updated: announced, idealCycleS: 20, lineIdealCycleS: 24, agent: 'gw-views' },
    { line: LINE2, id: 'press', name: 'Press', position: 0, endOfLine: true, updated: announced, idealCycleS: 30, lineIdealCycleS: 30, agent: 'gw-views' },
  ])
  // The calendar's shifts of the last 48 hours: the last is the one in force, the one before it complete.
  const res = await api.inject('admin', { method: 'GET', url: '/api/v1/oee', query: { factory: TEST_FACTORY, from: new Date(now - 48 * HOUR).toISOString(), to: new Date(now).toISOString(), bucket: 'shift' } })
  expect(res.statusCode, res.body).toBe(200)
  const buckets = (res.json() as { buckets: Array<{ key: string; start: string; end: string }> }).buckets
  const last = buckets.at(-1)
  const before = buckets.at(-2)
  expect(last && before, 'the demo calendar has shifts back to back').toBeTruthy()
  current = { key: last!.key, start: Date.parse(last!.start) }
  previous = { key: before!.key, start: Date.parse(before!.start), end: Date.parse(before!.end) }
  expect(previous.end).toBe(current.start)
  expect((await storeEvents(ch, scenario(previous, current.start, now))).malformed).toBe(0)
  const port = await freePort()
  await api.app.listen({ port, host: '127.0.0.1' })
  base = `http://127.0.0.1:${port}`
  browser = await launchChromium()
  mkdirSync(SHOTS, { recursive: true })
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await api?.close()
  await ch?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const leafOf = (path: string): string => path.split('/').at(-1) as string

/** The API's JSON answer as the plant engineer. */
async function apiGet<T>(url: string, query: Record<string, string>): Promise<T> {
  const res = await api.inject('plant', { method: 'GET', url, query })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as T
}

interface Figures {
  oee: number | null
  availability: number | null
  performance: number | null
  quality: number | null
  counts: { produced: number; good: number; rejected: number }
  seconds: { plannedOperation: number; plannedStop: number; plannedBusy: number; idle: number }
}
interface OeeAnswer extends Figures {
  machines: Array<Figures & { machine: string; energy: { kwh: number } }>
}
interface EnergyAnswer {
  kwh: number
  cost: { vnd: number; byPeriod: Record<'peak' | 'normal' | 'offpeak', { kwh: number; vnd: number }> }
  peakDemand: { kw: number } | null
  loadFactor: number | null
  co2: { kg: number }
  sec: { kwhPerGoodUnit: number | null }
}

/** A signed-in plant engineer's page (the UI's own sign-in), errors collected; `otherPlant` is the engineer of another factory, `ready` what shows once signed in. */
async function signedIn(lang: 'vi' | 'en' = 'en', who: 'plant' | 'otherPlant' = 'plant', ready = 'section.overview'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.addInitScript((l) => localStorage.setItem('shopfloor.lang', l), lang)
  await page.goto(`${base}/`)
  await page.fill('#api-key', api.key[who])
  await page.click('button[type=submit]')
  await page.locator(ready).first().waitFor({ timeout: 30_000 })
  await page.locator('main[aria-busy="false"]').waitFor({ timeout: 30_000 })
  return { page, errors }
}

/** Opens a hash route and waits until the router is done with it. */
async function open(page: Page, hash: string, ready: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`)
  await page.locator(ready).first().waitFor({ timeout: 30_000 })
  await page.locator('main[aria-busy="false"]').waitFor({ timeout: 30_000 })
}

/** Energy sums of floats may differ in the last bits between two ClickHouse reads: equal to 1e-9. */
function expectClose(actual: number | null, expected: number | null | undefined, what = ''): void {
  if (expected === null || expected === undefined) return void expect(actual, what).toBeNull()
  expect(actual, what).not.toBeNull()
  expect(Math.abs((actual as number) - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)))
}

const value = async (page: Page, selector: string): Promise<number | null> => {
  const v = await page.locator(selector).first().getAttribute('data-value')
  return v === null || v === '' ? null : Number(v)
}
const windowOf = async (page: Page, selector: string): Promise<{ from: string; to: string }> => ({
  from: (await page.getAttribute(selector, 'data-from')) ?? '',
  to: (await page.getAttribute(selector, 'data-to')) ?? '',
})

/** The whole-minute window a view asked `/api/v1/energy` for (`data-energy-from`, `data-energy-to`). */
const energyWindowOf = async (page: Page, selector: string): Promise<{ from: string; to: string }> => ({
  from: (await page.getAttribute(selector, 'data-energy-from')) ?? '',
  to: (await page.getAttribute(selector, 'data-energy-to')) ?? '',
})

// Browser-side code as strings: the test program has no DOM types.
const AXE_RUN = `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations', 'passes'] })
  .then((r) => ({ passed: r.passes.length, violations: r.violations.flatMap((v) => v.nodes.map((n) => v.id + ': ' + n.target.join(' ') + ' ' + (n.failureSummary || ''))) }))`
const TAB_TARGETS = `[...document.querySelectorAll('a[href], button, select, input, [tabindex]:not([tabindex="-1"])')]
  .filter((e) => e.getClientRects().length > 0 && !e.disabled)
  .map((e, i) => (e.dataset.walk = String(i)))`
const FOCUSED = `(() => {
  const e = document.activeElement
  if (!e || e === document.body) return null
  const s = getComputedStyle(e)
  return { walk: e.dataset.walk || '?' + e.tagName, visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none' }
})()`

/** axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is: the violations, by rule and target. */
async function axe(page: Page): Promise<string[]> {
  // Evaluated by the driver: the page's CSP (script-src 'self') rightly refuses an inline script tag.
  await page.evaluate(AXE)
  const r = await page.evaluate<{ passed: number; violations: string[] }>(AXE_RUN)
  // color-contrast, label, link-name and the rest ran and found something to pass.
  expect(r.passed).toBeGreaterThan(10)
  return r.violations
}

/**
 * Presses Tab until the focus comes back round: every link, button, select and input of the page
 * must be reached once, in document order, each with a visible focus indicator.
 */
async function tabWalk(page: Page): Promise<{ reached: string[]; expected: string[]; unstyled: string[] }> {
  const expected = await page.evaluate<string[]>(TAB_TARGETS)
  // Start on the first element, reached by keys (Tab then Shift+Tab) so it shows its keyboard focus.
  await page.evaluate(`document.querySelector('[data-walk="0"]').focus()`)
  await page.keyboard.press('Tab')
  await page.keyboard.press('Shift+Tab')
  const reached: string[] = []
  const unstyled: string[] = []
  for (let i = 0; i < expected.length + 3; i++) {
    if (i > 0) await page.keyboard.press('Tab')
    const f = await page.evaluate<{ walk: string; visible: boolean } | null>(FOCUSED)
    if (!f) break
    if (reached.includes(f.walk)) break
    reached.push(f.walk)
    if (!f.visible) unstyled.push(f.walk)
  }
  return { reached, expected, unstyled }
}

describe('dashboard views in headless Chromium', () => {
  it('line view shows each machine side by side with the API figures and marks the placer as the bottleneck', async () => {
    const { page, errors } = await signedIn('en')
    await page.click(`a[href="#/line/${encodeURIComponent(LINE)}"]`)
    await page.locator('section.line').waitFor({ timeout: 30_000 })
    await page.locator('main[aria-busy="false"]').waitFor()
    const w = await windowOf(page, 'section.line')
    const res = await apiGet<OeeAnswer>('/api/v1/oee', { line: LINE, ...w })
    const power = await apiGet<EnergyAnswer & { machines: Array<EnergyAnswer & { machine: string }> }>('/api/v1/energy', { line: LINE, ...(await energyWindowOf(page, 'section.line')) })
    expect(await value(page, '[data-kpi="line-oee"]')).toBe(res.oee)
    expect(await value(page, '[data-kpi="line-availability"]')).toBe(res.availability)
    expect(await value(page, '[data-kpi="line-good"]')).toBe(res.counts.good)
    const order = await page.locator('table.side-by-side thead th[data-machine]').evaluateAll((els) => els.map((e) => e.getAttribute('data-machine')))
    expect(order).toEqual([PRINTER, PLACER, OVEN])
    for (const m of res.machines) {
      expect(await value(page, `td[data-machine="${m.machine}"][data-kpi="oee"]`), m.machine).toBe(m.oee)
      expect(await value(page, `td[data-machine="${m.machine}"][data-kpi="produced"]`), m.machine).toBe(m.counts.produced)
      expectClose(await value(page, `td[data-machine="${m.machine}"][data-kpi="kwh"]`), power.machines.find((x) => x.machine === m.machine)?.kwh, m.machine)
      const target = Math.floor((m.seconds.plannedOperation - m.seconds.plannedStop) / (IDEAL[m.machine] ?? 1))
      expect(await value(page, `td[data-machine="${m.machine}"][data-kpi="target"]`), m.machine).toBe(target)
    }
    // The current shift ends in PLANNED_STOP for all three.
    expect(await page.locator(`td[data-machine="${OVEN}"][data-kpi="state"]`).getAttribute('data-value')).toBe('PLANNED_STOP')
    await page.screenshot({ path: join(SHOTS, 'views-line-current-en.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  })

  it('line view over a complete shift marks the machine with the fewest units per busy hour', async () => {
    // The previous shift, by its report's API window: every machine made the same units, the placer never waited.
    const res = await apiGet<OeeAnswer>('/api/v1/oee', { line: LINE, from: new Date(previous.start).toISOString(), to: new Date(previous.end).toISOString() })
    const rate = (m: OeeAnswer['machines'][number]): number => m.counts.produced / (m.seconds.plannedBusy - m.seconds.idle)
    const slowest = [...res.machines].sort((a, b) => rate(a) - rate(b))[0]
    expect(slowest?.machine).toBe(PLACER)
    // The current shift's page marks by the same rule; its pattern leaves the placer busiest too
    // (it never idles, the printer does), or, with no counts yet, the longest ideal cycle time: the placer.
    const { page } = await signedIn('vi')
    await open(page, `#/line/${encodeURIComponent(LINE)}`, 'section.line')
    expect(await page.locator('[data-bottleneck]').getAttribute('data-bottleneck')).toBe(PLACER)
    expect(await page.locator('th.neck').getAttribute('data-machine')).toBe(PLACER)
    await page.screenshot({ path: join(SHOTS, 'views-line-vi.png'), fullPage: true })
    await page.close()
  })

  it('machine view shows count against target and energy with its time-of-use bands as the API computes them', async () => {
    const { page, errors } = await signedIn('en')
    await open(page, `#/machine/${encodeURIComponent(PLACER)}`, 'section.machine')
    await page.locator('.chart.energy canvas').waitFor()
    await page.locator('.chart.target canvas').waitFor()
    const w = await windowOf(page, 'section.machine')
    const figures = await apiGet<OeeAnswer>('/api/v1/oee', { machine: PLACER, ...w })
    expect(await value(page, '[data-kpi="machine-oee"]')).toBe(figures.oee)
    expect(await value(page, '[data-kpi="machine-target"]')).toBe(Math.floor((figures.seconds.plannedOperation - figures.seconds.plannedStop) / 24))
    const power = await apiGet<EnergyAnswer>('/api/v1/energy', { machine: PLACER, ...(await energyWindowOf(page, 'section.machine')) })
    // Within a minute of a shift change the shift has no meter reading yet; otherwise it has some.
    if (Date.now() - current.start > 5 * MIN) expect(power.kwh).toBeGreaterThan(0)
    expectClose(await value(page, '[data-kpi="machine-kwh"]'), power.kwh)
    expectClose(await value(page, '[data-kpi="machine-kwh-per-good"]'), power.sec.kwhPerGoodUnit)
    expectClose(await value(page, '[data-kpi="machine-cost"]'), power.cost.vnd)
    for (const p of ['peak', 'normal', 'offpeak'] as const) expectClose(await value(page, `[data-kpi="machine-${p}-kwh"]`), power.cost.byPeriod[p].kwh, p)
    await page.screenshot({ path: join(SHOTS, 'views-machine-en.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  })

  it('energy view shows the factory and each line as the API does, in Vietnamese then English formats', async () => {
    const { page, errors } = await signedIn('vi')
    await page.click(`a[href="#/energy/${encodeURIComponent(TEST_FACTORY)}"]`)
    await page.locator('section.energy-view[data-period="day"]').waitFor({ timeout: 30_000 })
    // The last 7 days hold both seeded shifts whatever the time of day (today may have just begun).
    await page.click('.periods a[href$="period=week"]')
    await page.locator('section.energy-view[data-period="week"]').waitFor({ timeout: 30_000 })
    await page.locator('main[aria-busy="false"]').waitFor()
    const w = await windowOf(page, 'section.energy-view')
    const tz = 'Asia/Ho_Chi_Minh'
    const midnight = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(Date.now() - 6 * 86_400_000)
    expect(w.from, 'the week starts at local midnight six days ago').toBe(new Date(Date.parse(`${midnight}T00:00:00+07:00`)).toISOString())
    const res = await apiGet<EnergyAnswer>('/api/v1/energy', { factory: TEST_FACTORY, ...w })
    expect(res.kwh).toBeGreaterThan(0)
    expectClose(await value(page, '[data-kpi="factory-kwh"]'), res.kwh)
    expectClose(await value(page, '[data-kpi="factory-cost"]'), res.cost.vnd)
    expectClose(await value(page, '[data-kpi="factory-peak-kw"]'), res.peakDemand?.kw ?? null)
    expectClose(await value(page, '[data-kpi="factory-load-factor"]'), res.loadFactor)
    expectClose(await value(page, '[data-kpi="factory-co2"]'), res.co2.kg)
    for (const line of [LINE, LINE2]) {
      const l = await apiGet<EnergyAnswer>('/api/v1/energy', { line, ...w })
      expectClose(await value(page, `td[data-path="${line}"][data-kpi="kwh"]`), l.kwh, line)
      expectClose(await value(page, `td[data-path="${line}"][data-kpi="peak-kw"]`), l.peakDemand?.kw ?? null, line)
    }
    const vi = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 1 }).format(res.kwh)
    expect((await page.locator('[data-kpi="factory-kwh"]').textContent())?.replace(/\s/g, ' ')).toBe(vi.replace(/\s/g, ' '))
    await page.screenshot({ path: join(SHOTS, 'views-energy-vi.png'), fullPage: true })
    await page.click('#lang')
    await page.locator('html[lang="en"]').waitFor()
    await page.locator('main[aria-busy="false"]').waitFor({ timeout: 30_000 })
    await page.locator('section.energy-view').waitFor()
    const en = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 }).format(res.kwh)
    expect(await page.locator('[data-kpi="factory-kwh"]').textContent()).toBe(en)
    expect(await page.locator('h1').textContent()).toContain('Energy')
    expect(errors).toEqual([])
    await page.close()
  })

  it('shift report prints the previous shift on one or two A4 pages with the API figures', async () => {
    const { page, errors } = await signedIn('vi')
    const [date, shift] = previous.key.split('/') as [string, string]
    await open(page, `#/report/${encodeURIComponent(LINE)}/${date}/${encodeURIComponent(shift)}`, 'article.report')
    await page.locator('.chart.report-timeline canvas').waitFor()
    const w = await windowOf(page, 'article.report')
    expect(w).toEqual({ from: new Date(previous.start).toISOString(), to: new Date(previous.end).toISOString() })
    const res = await apiGet<OeeAnswer & { waterfall: Record<string, number> }>('/api/v1/oee', { line: LINE, ...w })
    expect(await value(page, '[data-kpi="report-oee"]')).toBe(res.oee)
    expect(await value(page, '[data-kpi="report-good"]')).toBe(res.counts.good)
    expect(await value(page, '[data-kpi="wf-fullyProductive"]')).toBe(res.waterfall['fullyProductive'])
    const stops = await apiGet<{ reasons: Array<{ reason: string | null; seconds: number }> }>('/api/v1/downtime', { line: LINE, ...w })
    expect(stops.reasons.map((r) => r.reason)).toEqual(['NOZZLE', 'JAM', 'SQUEEGEE'])
    expect(await page.locator('table.reasons tbody th').allTextContents()).toEqual(['NOZZLE', 'JAM', 'SQUEEGEE'])
    const power = await apiGet<EnergyAnswer>('/api/v1/energy', { line: LINE, ...w })
    expectClose(await value(page, '[data-kpi="report-kwh"]'), power.kwh)
    expectClose(await value(page, '[data-kpi="report-co2"]'), power.co2.kg)
    // Times on the factory's clock, whatever the browser's zone.
    const start = new Intl.DateTimeFormat('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit' }).format(previous.start)
    expect(await page.locator('.report-head p').textContent()).toContain(start)
    // The shift meeting reviews the shift before: one link back, one on to the shift in force.
    const [cd, cs] = current.key.split('/') as [string, string]
    expect(await page.getAttribute('a[rel="next"]', 'href')).toBe(`#/report/${encodeURIComponent(LINE)}/${cd}/${encodeURIComponent(cs)}`)
    expect(await page.locator('a[rel="prev"]').count()).toBe(1)
    await page.screenshot({ path: join(SHOTS, 'views-report-vi.png'), fullPage: true })
    await page.emulateMedia({ media: 'print' })
    expect(await page.locator('header.bar').isVisible()).toBe(false)
    expect(await page.locator('#print').isVisible()).toBe(false)
    const pdf = await page.pdf({ format: 'A4', printBackground: true, path: join(SHOTS, 'views-report-vi.pdf') })
    expect(pdf.length).toBeGreaterThan(20_000)
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0
    expect(pages).toBeGreaterThanOrEqual(1)
    expect(pages).toBeLessThanOrEqual(2)
    expect(errors).toEqual([])
    await page.close()
  })

  it('shift report says so for a shift the calendar does not have', async () => {
    const { page } = await signedIn('en')
    await open(page, `#/report/${encodeURIComponent(LINE)}/2026-01-05/Z`, '[data-report-missing]')
    expect(await page.locator('[data-report-missing]').textContent()).toContain('No such shift')
    await page.close()
  })

  it('TV mode shows the line in large type with the API figures and rotates to the next line by itself', async () => {
    const { page, errors } = await signedIn('en')
    await open(page, '#/tv?every=5', 'section.tv')
    expect(await page.getAttribute('section.tv', 'data-line')).toBe(LINE)
    expect(await page.locator('header.bar').isVisible()).toBe(false)
    const w = await windowOf(page, 'section.tv')
    const res = await apiGet<OeeAnswer>('/api/v1/oee', { line: LINE, ...w })
    expect(await value(page, '[data-kpi="tv-oee"]')).toBe(res.oee)
    const size = await page.evaluate<number>(`parseFloat(getComputedStyle(document.querySelector('[data-kpi="tv-oee"]')).fontSize)`)
    expect(size).toBeGreaterThanOrEqual(150)
    await page.screenshot({ path: join(SHOTS, 'views-tv-en.png') })
    const started = Date.now()
    await page.locator(`section.tv[data-line="${LINE2}"]`).waitFor({ timeout: 15_000 })
    const took = Date.now() - started
    expect(took, `next line after ${took} ms`).toBeLessThan(8_000)
    await page.locator(`section.tv[data-line="${LINE}"]`).waitFor({ timeout: 15_000 })
    // No header to click on a TV: Escape leaves for the overview, and the header is back.
    await page.keyboard.press('Escape')
    await page.locator('section.overview').waitFor({ timeout: 30_000 })
    expect(await page.locator('header.bar').isVisible()).toBe(true)
    expect(errors).toEqual([])
    await page.close()
  })

  it('main views pass axe-core WCAG 2.1 A/AA checks and are walked by keyboard with a visible focus', async () => {
    const { page, errors } = await signedIn('en')
    const [date, shift] = previous.key.split('/') as [string, string]
    const views: Array<[string, string]> = [
      ['#/', 'section.overview'],
      [`#/line/${encodeURIComponent(LINE)}`, 'section.line'],
      [`#/machine/${encodeURIComponent(PLACER)}`, 'section.machine'],
      [`#/energy/${encodeURIComponent(TEST_FACTORY)}`, 'section.energy-view'],
      [`#/report/${encodeURIComponent(LINE)}/${date}/${encodeURIComponent(shift)}`, 'article.report'],
      ['#/tv?every=600', 'section.tv'],
    ]
    const found: Record<string, string[]> = {}
    for (const [hash, ready] of views) {
      await open(page, hash, ready)
      const v = await axe(page)
      if (v.length) found[hash] = v
    }
    expect(found).toEqual({})
    for (const [hash, ready] of views.slice(0, 5)) {
      await open(page, hash, ready)
      const walk = await tabWalk(page)
      expect(walk.reached, hash).toEqual(walk.expected)
      expect(walk.unstyled, hash).toEqual([])
    }
    // Enter on a focused link follows it: from the line view to the placer's machine view.
    await open(page, `#/line/${encodeURIComponent(LINE)}`, 'section.line')
    await page.focus(`a[href="#/machine/${encodeURIComponent(PLACER)}"]`)
    await page.keyboard.press('Enter')
    await page.locator('section.machine').waitFor({ timeout: 30_000 })
    expect(decodeURIComponent(await page.evaluate<string>('location.hash'))).toBe(`#/machine/${PLACER}`)
    expect(errors).toEqual([])
    await page.close()
  })

  it("a plant engineer of another factory sees neither the factory nor its lines, and a link to them gets the API's refusal", async () => {
    // Its factory has no machines reporting (nor a seed entry): the overview has nothing to list.
    const { page } = await signedIn('en', 'otherPlant', '#sign-out')
    try {
      const shown = (await page.locator('main').textContent()) ?? ''
      for (const hidden of ['Saigon PCB', leafOf(TEST_FACTORY), leafOf(LINE), leafOf(LINE2)]) expect(shown).not.toContain(hidden)
      expect(await page.locator(`option[value="${TEST_FACTORY}"]`).count()).toBe(0)
      expect(await page.locator(`a[href="#/line/${encodeURIComponent(LINE)}"]`).count()).toBe(0)
      await open(page, `#/line/${encodeURIComponent(LINE)}`, '[role=alert]')
      expect(await page.locator('[role=alert]').first().textContent()).toContain('SHOPFLOOR_API_FORBIDDEN')
      expect(await page.locator('[data-value]').count()).toBe(0)
    } finally {
      await page.close()
    }
  })

  it('TV mode shows a machine state change within 2 seconds, without reloading', async () => {
    const { page, errors } = await signedIn('en')
    await open(page, '#/tv?every=600', 'section.tv')
    await page.locator('section.tv[data-live="on"]').waitFor({ timeout: 10_000 })
    const badge = page.locator(`section.tv [data-machine-state="${OVEN}"] .state`)
    expect(await badge.getAttribute('data-state')).toBe('PLANNED_STOP')
    const at = Date.now()
    const stored = await storeEvents(ch, [{ type: 'machine_state', event: { event_id: 'gw-views-live:1', agent_id: 'gw-views-live', seq: 1, machine: OVEN, source_ts: at, receive_ts: at + 5, state: 'DOWN', reason: 'JAM' } }])
    expect(stored.malformed).toBe(0)
    await page.locator(`section.tv [data-machine-state="${OVEN}"] .state[data-state="DOWN"]`).waitFor({ timeout: 5_000 })
    const took = Date.now() - at
    expect(took, `state change shown after ${took} ms`).toBeLessThan(2_000)
    console.info(`dashboard-views: a state change stored through ingest showed on the TV after ${took} ms`)
    await page.screenshot({ path: join(SHOTS, 'views-tv-live-en.png') })
    expect(errors).toEqual([])
    await page.close()
  })
})
