// The dashboard in headless Chromium (Debian's chromium package, driven by playwright-core: no
// browser download), built with vite, served by the real API over a chDB store seeded through the
// real ingest path. A plant engineer signs in with an API key; the OEE the page shows must be the
// API's figure for the same shift, in Vietnamese and, after switching, in English.
//
// Seed (relative to the shift in force now, S = its start, d = now − S): the end-of-line machine
// of one line runs from before S, stops (JAM) at S+0.4d, runs again at S+0.5d and is in a planned
// stop from S+0.9d. A planned stop is not planned busy time, so the figures stop moving and the
// page and the test's own API call must agree exactly.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate, openClickhouse, type Clickhouse, type MachineStateCode, type ShopfloorEvent } from '../../stream/index.ts'
import { TEST_FACTORY, announceMachines, storeEvents, testApi, type TestApi } from '../support/api.ts'
import { freePort } from '../support/wait.ts'

const CHROMIUM = process.env['SHOPFLOOR_CHROMIUM'] ?? '/usr/bin/chromium'
const LINE = `${TEST_FACTORY}/smt/dash-1`
const LOADER = `${LINE}/loader`
const AOI = `${LINE}/aoi`
const SHOTS = join(import.meta.dirname, '../../test-results')

let dir: string
let ch: Clickhouse
let api: TestApi
let browser: Browser
let base: string
let shift: { start: number; key: string }

function scenario(S: number, d: number): ShopfloorEvent[] {
  const out: ShopfloorEvent[] = []
  let seq = 0
  const head = (machine: string, ts: number) => {
    seq++
    return { event_id: `gw-dash:${seq}`, agent_id: 'gw-dash', seq, machine, source_ts: Math.round(ts), receive_ts: Math.round(ts) + 5 }
  }
  const state = (machine: string, ts: number, s: MachineStateCode, reason: string | null = null): void => {
    out.push({ type: 'machine_state', event: { ...head(machine, ts), state: s, reason } })
  }
  const count = (machine: string, ts: number, produced: number, rejected: number): void => {
    out.push({ type: 'production_count', event: { ...head(machine, ts), produced, rejected, ideal_cycle_s: 20, product: null } })
  }
  seq++
  out.push({
    type: 'agent_heartbeat',
    event: {
      event_id: `gw-dash:${seq}`,
      agent_id: 'gw-dash',
      seq,
      source_ts: S - 3600_000,
      version: '0.1.0',
      started_ts: S - 3600_000,
      machines: [
        { machine: LOADER, name: 'Loader', position: 0, ideal_cycle_s: 15, line_ideal_cycle_s: 20, end_of_line: false },
        { machine: AOI, name: 'AOI', position: 1, ideal_cycle_s: 20, line_ideal_cycle_s: 20, end_of_line: true },
      ],
    },
  })
  // Units in proportion to the running time, so performance stays plausible however far into the shift now is.
  const units = Math.max(4, Math.floor((0.6 * d) / 1000 / 20 / 2))
  state(LOADER, S - 600_000, 'RUNNING')
  state(AOI, S - 600_000, 'RUNNING')
  count(AOI, S + 0.2 * d, units, 1)
  state(AOI, S + 0.4 * d, 'DOWN', 'JAM')
  state(AOI, S + 0.5 * d, 'RUNNING')
  count(AOI, S + 0.7 * d, units, 2)
  state(AOI, S + 0.9 * d, 'PLANNED_STOP')
  state(LOADER, S + 0.9 * d, 'PLANNED_STOP')
  return out.sort((a, b) => (a.type === 'agent_heartbeat' ? -1 : b.type === 'agent_heartbeat' ? 1 : 0))
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-dashboard-e2e-'))
  const built = join(dir, 'dashboard')
  const savedDir = process.env['SHOPFLOOR_DASHBOARD_DIR']
  process.env['SHOPFLOOR_DASHBOARD_DIR'] = built
  try {
    await build({ configFile: join(import.meta.dirname, '../../api/dashboard/app/vite.config.ts'), logLevel: 'warn' })
    ch = await openClickhouse({ path: join(dir, 'chdb'), database: 'dashboard_e2e' })
    await migrate(ch)
    api = await testApi({ clickhouse: ch })
  } finally {
    if (savedDir === undefined) delete process.env['SHOPFLOOR_DASHBOARD_DIR']
    else process.env['SHOPFLOOR_DASHBOARD_DIR'] = savedDir
  }
  // The shift in force now, from the factory's calendar (as the page finds it); the API knows the
  // factory once its machines are announced.
  const now = Date.now()
  await announceMachines(ch, [
    { line: LINE, id: 'loader', name: 'Loader', position: 0, endOfLine: false, updated: now - 25 * 3600_000, idealCycleS: 15, lineIdealCycleS: 20, agent: 'gw-dash' },
    { line: LINE, id: 'aoi', name: 'AOI', position: 1, endOfLine: true, updated: now - 25 * 3600_000, idealCycleS: 20, lineIdealCycleS: 20, agent: 'gw-dash' },
  ])
  const res = await api.inject('admin', {
    method: 'GET',
    url: '/api/v1/oee',
    query: { factory: TEST_FACTORY, from: new Date(now - 24 * 3600_000).toISOString(), to: new Date(now).toISOString(), bucket: 'shift' },
  })
  expect(res.statusCode, res.body).toBe(200)
  const last = (res.json() as { buckets: Array<{ key: string; start: string; end: string }> }).buckets.at(-1)
  expect(last, 'the seed calendar of the demo factory has a shift in any 24 hours').toBeDefined()
  shift = { start: Date.parse(last!.start), key: last!.key }
  expect((await storeEvents(ch, scenario(shift.start, now - shift.start))).malformed).toBe(0)
  const port = await freePort()
  await api.app.listen({ port, host: '127.0.0.1' })
  base = `http://127.0.0.1:${port}`
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  } catch (e) {
    throw new Error(`cannot start Chromium at ${CHROMIUM} (apt-get install -y chromium, or set SHOPFLOOR_CHROMIUM): ${(e as Error).message}`)
  }
  mkdirSync(SHOTS, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  await api?.close()
  await ch?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** The API's own figures for the line over [shift start, now). */
async function apiLine(): Promise<{ oee: number | null; availability: number | null }> {
  const res = await api.inject('plant', { method: 'GET', url: '/api/v1/oee', query: { factory: TEST_FACTORY, from: new Date(shift.start).toISOString(), to: new Date().toISOString() } })
  expect(res.statusCode, res.body).toBe(200)
  const line = (res.json() as { lines: Array<{ line: string; oee: number | null; availability: number | null }> }).lines.find((l) => l.line === LINE)
  expect(line).toBeDefined()
  return line!
}

const pct = (locale: string, r: number): string => new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(r)
const spaces = (s: string | null): string => (s ?? '').replace(/\s/g, ' ')

describe('dashboard in headless Chromium', () => {
  it('dashboard shows a plant engineer the API OEE of the line, in Vietnamese then English, and the machine view', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${base}/`)
    await page.fill('#api-key', api.key.plant)
    await page.click('button[type=submit]')

    const cell = page.locator(`td[data-kpi="oee"][data-line="${LINE}"]`)
    await cell.waitFor({ timeout: 30_000 })
    const expected = await apiLine()
    expect(expected.oee).not.toBeNull()
    expect(Number(await cell.getAttribute('data-value'))).toBe(expected.oee)
    // Vietnamese by default: decimal comma.
    expect(spaces(await cell.textContent())).toBe(spaces(pct('vi-VN', expected.oee!)))
    expect(await page.locator(`[data-line-state="${LINE}"]`).textContent()).toBe('Dừng kế hoạch')
    expect(await page.getAttribute('p.shift', 'data-shift')).toBe(shift.key)
    await page.screenshot({ path: join(SHOTS, 'dashboard-overview-vi.png'), fullPage: true })

    await page.click('#lang')
    await page.locator('html[lang="en"]').waitFor()
    // The click re-renders at once (aria-busy true) and is done when the page is no longer busy.
    await page.locator('main[aria-busy="false"]').waitFor({ timeout: 30_000 })
    const en = page.locator(`td[data-kpi="oee"][data-line="${LINE}"]`)
    expect(spaces(await en.textContent())).toBe(spaces(pct('en-GB', expected.oee!)))
    expect(await page.locator(`[data-line-state="${LINE}"]`).textContent()).toBe('Planned stop')

    await page.click(`a[href="#/machine/${encodeURIComponent(AOI)}"]`)
    const machineOee = page.locator('[data-kpi="machine-oee"]')
    await machineOee.waitFor({ timeout: 30_000 })
    await page.locator('.chart.timeline canvas').waitFor()
    await page.locator('.chart.waterfall canvas').waitFor()
    expect(await page.locator('table.reasons tbody th').first().textContent()).toBe('JAM')
    await page.screenshot({ path: join(SHOTS, 'dashboard-machine-en.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  })

  it('dashboard refuses a wrong key and keeps the user on the sign-in form', async () => {
    const page = await browser.newPage()
    await page.goto(`${base}/`)
    await page.fill('#api-key', 'sfk_not-a-key')
    await page.click('button[type=submit]')
    await page.locator('#sign-in-error:not(:empty)').waitFor()
    expect(await page.textContent('#sign-in-error')).toContain('SHOPFLOOR_API_UNAUTHORIZED')
    expect(await page.evaluate(() => sessionStorage.getItem('shopfloor.apiKey'))).toBeNull()
    await page.close()
  })
})
