// The analyst's page in headless Chromium (Debian's chromium, playwright-core), built with vite and
// served by the real API over chDB holding the hand-made months of the twelve seeded factories
// (test/support/analyst-events.ts, stored through the ingest path). An analyst signs in and lands
// on #/analyst; the page must show the API's published figures, mark the crafted weak cells
// (a two-factory cell, a dominated park and sector) as suppressed, draw the trends, offer the
// downloads, and name no factory. A plant engineer gets the API's refusal.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PublishedCell } from '../../api/analyst/index.ts'
import { migrate, openClickhouse, type Clickhouse } from '../../stream/index.ts'
import { events, factories } from '../support/analyst-events.ts'
import { launchChromium, SHOTS, withDashboard } from '../support/dashboard.ts'
import { storeEvents, testApi, type TestApi } from '../support/api.ts'
import { freePort } from '../support/wait.ts'

/**
 * January 2026, whatever today is (the route releases it once it is over): the data leaves sector
 * 31 and park vsip-1 published beside the totals (docs/disclosure.md on how much a dozen factories
 * over three parks and three sectors allow).
 */
const RANGE = 'from=2026-01&to=2026-01'

let dir: string
let ch: Clickhouse
let api: TestApi
let browser: Browser
let base: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-analyst-e2e-'))
  api = await withDashboard(join(dir, 'dashboard'), async () => {
    ch = await openClickhouse({ path: join(dir, 'chdb'), database: 'analyst_e2e' })
    await migrate(ch)
    expect((await storeEvents(ch, events())).malformed).toBe(0)
    return testApi({ clickhouse: ch })
  })
  const port = await freePort()
  await api.app.listen({ port, host: '127.0.0.1' })
  base = `http://127.0.0.1:${port}`
  browser = await launchChromium()
  mkdirSync(SHOTS, { recursive: true })
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await api?.close()
  await ch?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${base}/`)
  await page.fill('#api-key', key)
  await page.click('button[type=submit]')
}

/** The API's cells of a shape for the months of the data. */
async function apiCells(shape: string): Promise<PublishedCell[]> {
  const res = await api.inject('analyst', { method: 'GET', url: `/api/v1/analyst/tables?shape=${shape}&period=month&${RANGE}` })
  expect(res.statusCode, res.body).toBe(200)
  return (res.json() as { cells: PublishedCell[] }).cells
}

describe('analyst page in headless Chromium', () => {
  it('analyst page: an analyst lands on it and sees the published figures, the weak cells marked suppressed, trends and downloads, and no factory', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await signIn(page, api.key.analyst)
    // Landing: the analyst's page, whatever the hash.
    await page.locator('table[data-table="region-park"]').waitFor({ timeout: 60_000 })
    await page.goto(`${base}/#/analyst?period=month&metric=oee&${RANGE}`)
    const byPark = page.locator('table[data-table="region-park"]')
    await byPark.locator('caption', { hasText: '2026-01' }).waitFor({ timeout: 60_000 })

    // The dominated park and sector, and the two-factory park × sector cell: marked, no value.
    for (const [table, row] of [
      ['region-park', 'my-phuoc-3'],
      ['region-sector', '14'],
    ] as const) {
      const cell = page.locator(`table[data-table="${table}"] tr[data-row="${row}"] td[data-kpi="oee"]`)
      expect(await cell.getAttribute('data-status'), `${table} ${row}`).toBe('primary')
      expect(await cell.getAttribute('data-value')).toBeNull()
    }
    expect(await page.locator('table[data-table="park-sector"] tr[data-row="vsip-1"] td[data-col="26"]').getAttribute('data-status')).toBe('primary')

    // Every figure the page shows is the API's for January; something is shown.
    const jan = (await apiCells('region-sector')).filter((c) => c.period === '2026-01' && c.region === null)
    const shown = await page.locator('table[data-table="region-sector"] td[data-status="published"]').all()
    expect(shown.length).toBeGreaterThan(0)
    for (const td of shown) {
      const row = (await td.locator('xpath=..').getAttribute('data-row')) as string
      const kpi = (await td.getAttribute('data-kpi')) as keyof NonNullable<PublishedCell['values']>
      const want = jan.find((c) => c.sector === (row === '*' ? null : row))
      expect(want?.values?.[kpi], `${row} ${kpi}`).toBeCloseTo(Number(await td.getAttribute('data-value')), 9)
    }
    // Cells the API hides are hidden on the page, and the other way round.
    for (const c of jan.filter((x) => x.factories > 0 && (x.sector === null || ['14', '26', '31'].includes(x.sector)))) {
      const td = page.locator(`table[data-table="region-sector"] tr[data-row="${c.sector ?? '*'}"] td[data-kpi="kwh"]`)
      expect(await td.getAttribute('data-status'), `sector ${c.sector}`).toBe(c.suppressed ?? 'published')
    }

    // Trends: sector 31 and park vsip-1 are published in January (the reduction pass), so both are drawn.
    expect(await page.locator('#an-trend-sector canvas').count()).toBeGreaterThan(0)
    expect(await page.locator('#an-trend-park canvas').count()).toBeGreaterThan(0)

    // Downloads: each shape in CSV, JSON and Parquet, fetched with the page's session.
    const links = await Promise.all((await page.locator('#an-downloads a').all()).map(async (a) => new URL((await a.getAttribute('href')) as string, base).href))
    expect(links).toHaveLength(9)
    for (const href of links) {
      const res = await page.request.get(href)
      expect(res.status(), href).toBe(200)
      const format = new URL(href).searchParams.get('format')
      expect(res.headers()['content-type']).toContain(format === 'csv' ? 'text/csv' : format === 'json' ? 'application/json' : 'application/vnd.apache.parquet')
    }

    const text = (await page.textContent('main')) ?? ''
    for (const f of factories) for (const needle of [f.path, f.id, f.name]) expect(text.includes(needle), needle).toBe(false)
    await page.screenshot({ path: join(SHOTS, 'analyst.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  })

  it('analyst page: a plant engineer who opens it gets the API\'s refusal', async () => {
    const page = await browser.newPage()
    await signIn(page, api.key.plant)
    await page.locator('#sign-out').waitFor({ timeout: 60_000 })
    await page.goto(`${base}/#/analyst`)
    const alert = page.locator('[role=alert]', { hasText: 'SHOPFLOOR_API_FORBIDDEN' })
    await alert.waitFor({ timeout: 60_000 })
    await page.close()
  })
})
