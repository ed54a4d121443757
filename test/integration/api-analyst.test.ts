// The analysts' routes against chDB: the twelve seeded factories send one hand-made morning a month
// (test/support/analyst-events.ts) through the real ingest path, so the factories' monthly sums are
// known without the KPI engine, and the route's tables must be the disclosure engine's releases of
// exactly those sums. The crafted weaknesses (a two-factory cell, a factory dominating its park and
// sector) must stay hidden in every format. Now is 10 April 2026: March (no data) and the first
// quarter are released (a month is released 3 days after it ends), April is not.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { factoryContributions, publicationCells, publicationStructure, releasedYear, type PublishedCell, type TableShape } from '../../api/analyst/index.ts'
import { HAND, events, factories, machineOf } from '../support/analyst-events.ts'
import { storeEvents, testApi, testReference, testStore, type TestApi } from '../support/api.ts'

const NOW = Date.UTC(2026, 3, 10, 5)
const reference = testReference()
const SHAPES: readonly TableShape[] = ['region-park', 'region-sector', 'park-sector']
const PERIODS = ['month', 'quarter', 'year'] as const

let store: Awaited<ReturnType<typeof testStore>>
let api: TestApi
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-analyst-'))
  store = await testStore('api_analyst')
  const stats = await storeEvents(store.ch, events())
  expect(stats.malformed).toBe(0)
  expect(stats.duplicates).toBe(0)
  api = await testApi({ clickhouse: store.ch, now: () => NOW })
}, 120_000)

afterAll(async () => {
  await api?.close()
  await store?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const get = (query: Record<string, string>, role: 'analyst' | 'admin' | 'plant' = 'analyst') => api.inject(role, { method: 'GET', url: '/api/v1/analyst/tables', query })

/** The cell of a table by its key (null: all). */
function cellOf(cells: readonly PublishedCell[], period: string, region: string | null, park: string | null, sector: string | null): PublishedCell {
  const c = cells.find((x) => x.period === period && x.region === region && x.park === park && x.sector === sector)
  if (!c) throw new Error(`no cell ${period} ${region} ${park} ${sector}`)
  return c
}

/** The weak cells of the data: each must be suppressed, in every release and format. */
const WEAK: ReadonlyArray<{ what: string; shape: TableShape; region: string | null; park: string | null; sector: string | null }> = [
  { what: 'two factories (vsip-1 × 26)', shape: 'park-sector', region: 'hcmc', park: 'vsip-1', sector: '26' },
  { what: 'rach-bap dominates my-phuoc-3', shape: 'region-park', region: 'hcmc', park: 'my-phuoc-3', sector: null },
  { what: 'rach-bap dominates sector 14', shape: 'region-sector', region: 'hcmc', park: null, sector: '14' },
  { what: 'rach-bap dominates my-phuoc-3 × 14', shape: 'park-sector', region: 'hcmc', park: 'my-phuoc-3', sector: '14' },
]

describe('analyst tables from stored events', () => {
  it('analyst contributions are the hand-made monthly sums of each factory', async () => {
    const got = await factoryContributions(store.ch, reference, { from: '2026-01', to: '2026-03', now: NOW })
    expect(got).toHaveLength(HAND.length)
    for (const h of HAND) {
      const c = got.find((x) => x.factory === h.factory && x.month === h.month)
      expect(c, `${h.factory} ${h.month}`).toBeDefined()
      const { co2Kg, ...rest } = h
      expect(c).toMatchObject(rest)
      expect(c?.co2Kg).toBeCloseTo(co2Kg, 9)
    }
  })

  it('analyst contributions: factories computed one at a time or several at once give the same sums in the same order', async () => {
    const window = { from: '2026-01', to: '2026-03', now: NOW }
    const one = await factoryContributions(store.ch, reference, { ...window, concurrency: 1 })
    expect(await factoryContributions(store.ch, reference, { ...window, concurrency: 5 })).toEqual(one)
    expect(one.map((c) => `${c.factory} ${c.month}`)).toEqual(HAND.map((c) => `${c.factory} ${c.month}`))
    await expect(factoryContributions(store.ch, reference, { ...window, concurrency: 0 })).rejects.toMatchObject({ code: 'SHOPFLOOR_ANALYST_INPUT_INVALID', message: expect.stringContaining('concurrency') })
  })

  it('analyst tables: the route answers the disclosure engine\'s releases of the factories\' sums, for every shape and period', async () => {
    const expected = releasedYear(publicationStructure(reference), HAND, reference.disclosure.config, 2026, '2026-03')
    for (const shape of SHAPES) {
      for (const period of PERIODS) {
        const res = await get({ shape, period })
        expect(res.statusCode, res.body).toBe(200)
        const body = res.json() as { releasedThrough: string; from: string; to: string; cells: PublishedCell[] }
        expect(body).toMatchObject({ releasedThrough: '2026-03', from: '2026-01', to: '2026-03' })
        const want = publicationCells(expected, shape).filter((c) => c.periodKind === period)
        expect(body.cells.length).toBe(want.length)
        for (const [i, c] of body.cells.entries()) {
          const w = want[i] as PublishedCell
          expect({ ...c, values: null }).toEqual({ ...w, values: null })
          if (w.values === null) expect(c.values).toBeNull()
          else for (const [k, v] of Object.entries(w.values)) expect((c.values as unknown as Record<string, number | null>)[k], `${shape} ${c.period} ${k}`).toBeCloseTo(v ?? Number.NaN, 6)
        }
      }
    }
  })

  it('analyst tables: every shown sum is the sum of its factories\' hand-made figures, and something is shown', async () => {
    let shown = 0
    for (const shape of SHAPES) {
      const cells = ((await get({ shape, period: 'month' })).json() as { cells: PublishedCell[] }).cells
      for (const c of cells.filter((x) => x.values !== null)) {
        shown++
        const mine = HAND.filter((h) => h.month === c.period && (c.region === null || h.region === c.region) && (c.park === null || h.park === c.park) && (c.sector === null || h.sector === c.sector))
        expect(c.factories).toBe(mine.length)
        expect(c.values?.good).toBe(mine.reduce((a, h) => a + h.good, 0))
        expect(c.values?.kwh).toBeCloseTo(mine.reduce((a, h) => a + h.kwh, 0), 9)
        expect(c.values?.oee).toBeCloseTo(mine.reduce((a, h) => a + h.idealGoodS, 0) / mine.reduce((a, h) => a + h.plannedBusyS, 0), 12)
      }
    }
    expect(shown).toBeGreaterThan(0)
  })

  it('analyst tables hide the two-factory cell and the dominated cells in JSON, CSV and Parquet, in every period', async () => {
    for (const weak of WEAK) {
      for (const period of ['2026-01', '2026-02', '2026-Q1', '2026'] as const) {
        const kind = period.includes('Q') ? 'quarter' : period.length === 7 ? 'month' : 'year'
        if (kind === 'year') continue // 2026 is not closed: no year cell is released
        const query = { shape: weak.shape, period: kind }
        const json = (await get(query)).json() as { cells: PublishedCell[] }
        const cell = cellOf(json.cells, period, weak.region, weak.park, weak.sector)
        expect(cell.suppressed, `${weak.what} ${period} (json)`).toBe('primary')
        expect(cell.values).toBeNull()

        const csv = await get({ ...query, format: 'csv' })
        expect(csv.headers['content-type']).toMatch(/^text\/csv/)
        const [header, ...lines] = csv.body.trimEnd().split('\r\n') as [string, ...string[]]
        const cols = header.split(',')
        const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])))
        const row = rows.find((r) => r['period'] === period && r['region'] === (weak.region ?? '') && r['park'] === (weak.park ?? '') && r['sector'] === (weak.sector ?? ''))
        expect(row, `${weak.what} ${period} (csv)`).toBeDefined()
        expect(row?.['suppressed']).toBe('primary')
        for (const k of ['plannedBusyS', 'good', 'kwh', 'oee', 'kwhPerGoodUnit', 'completeness']) expect(row?.[k]).toBe('')

        const pq = await get({ ...query, format: 'parquet' })
        expect(pq.headers['content-type']).toBe('application/vnd.apache.parquet')
        const file = join(dir, `${weak.shape}-${kind}.parquet`)
        writeFileSync(file, pq.rawPayload)
        const back = (await (await store.ch.client.query({ query: `SELECT * FROM file({file:String}, Parquet)`, query_params: { file }, format: 'JSONEachRow' })).json()) as Array<Record<string, unknown>>
        expect(back).toHaveLength(json.cells.length)
        const prow = back.find((r) => r['period'] === period && r['region'] === weak.region && r['park'] === weak.park && r['sector'] === weak.sector)
        expect(prow, `${weak.what} ${period} (parquet)`).toMatchObject({ suppressed: 'primary', plannedBusyS: null, good: null, kwh: null, oee: null })
      }
    }
  })

  it('analyst Parquet reads back as the JSON cells, row for row', async () => {
    const query = { shape: 'park-sector', period: 'month' }
    const cells = ((await get(query)).json() as { cells: PublishedCell[] }).cells
    const file = join(dir, 'roundtrip.parquet')
    writeFileSync(file, (await get({ ...query, format: 'parquet' })).rawPayload)
    const back = (await (await store.ch.client.query({ query: `SELECT * FROM file({file:String}, Parquet)`, query_params: { file }, format: 'JSONEachRow' })).json()) as Array<Record<string, unknown>>
    expect(back.map((r) => [r['period'], r['region'], r['park'], r['sector'], r['sectorVsic2018'], Number(r['factories']), r['suppressed'], r['good'], r['oee']])).toEqual(
      cells.map((c) => [c.period, c.region, c.park, c.sector, c.sectorVsic2018, c.factories, c.suppressed, c.values?.good ?? null, c.values?.oee ?? null]),
    )
  })

  it('analyst exports name no factory: no path, id or name in any shape, period or format', async () => {
    const needles = factories.flatMap((f) => [f.path, f.id, f.name, machineOf(f.path)])
    const leaks: string[] = []
    for (const shape of SHAPES) {
      for (const period of PERIODS) {
        for (const format of ['json', 'csv', 'parquet']) {
          const res = await get({ shape, period, format })
          expect(res.statusCode).toBe(200)
          const text = res.rawPayload.toString('latin1')
          for (const n of needles) if (text.includes(n)) leaks.push(`${shape} ${period} ${format}: ${n}`)
          if (format === 'json') expect(text).not.toMatch(/"factory"/)
        }
      }
    }
    const structure = await api.inject('analyst', { method: 'GET', url: '/api/v1/analyst/structure' })
    for (const n of needles) if (structure.body.includes(n)) leaks.push(`structure: ${n}`)
    expect(leaks).toEqual([])
  })

  it('analyst routes admit analysts and admins only', async () => {
    for (const url of ['/api/v1/analyst/tables?shape=region-park&period=month', '/api/v1/analyst/structure']) {
      expect((await api.inject('analyst', { method: 'GET', url })).statusCode).toBe(200)
      expect((await api.inject('admin', { method: 'GET', url })).statusCode).toBe(200)
      const plant = await api.inject('plant', { method: 'GET', url })
      expect(plant.statusCode).toBe(403)
      expect(plant.json().error.code).toBe('SHOPFLOOR_API_FORBIDDEN')
      expect((await api.inject(null, { method: 'GET', url })).statusCode).toBe(401)
    }
  })

  it('analyst structure lists the seeded parks and the sectors at division level, and the release state', async () => {
    const res = await api.inject('analyst', { method: 'GET', url: '/api/v1/analyst/structure' })
    expect(res.statusCode).toBe(200)
    const body = res.json() as { regions: Array<{ id: string; parks: Array<{ id: string }> }>; sectors: Array<{ vsic2025: string; vsic2018: string }>; releasedThrough: string; disclosure: { minFirms: number } }
    expect(body.regions.map((r) => r.id)).toEqual(reference.regions.map((r) => r.id))
    expect(body.regions[0]?.parks.map((p) => p.id)).toEqual(expect.arrayContaining(['vsip-1', 'my-phuoc-3', 'song-than-2']))
    expect(body.sectors.map((s) => s.vsic2025)).toEqual(expect.arrayContaining(['14', '26', '31']))
    expect(body.sectors.every((s) => /^\d{2}$/.test(s.vsic2025) && /^\d{2}/.test(s.vsic2018))).toBe(true)
    expect(body.releasedThrough).toBe('2026-03')
    expect(body.disclosure.minFirms).toBe(3)
  })

  it.each([
    [{ shape: 'region-park', period: 'month', to: '2026-04' }, 'to', /after the last released month 2026-03/],
    [{ shape: 'region-park', period: 'month', from: '2026-03', to: '2026-02' }, 'from', /after "to"/],
    [{ shape: 'region-park', period: 'month', from: '2019-01', to: '2026-02' }, 'from', /at most 5/],
    [{ shape: 'region-park', period: 'month', from: '2026-13' }, 'from', /./],
    [{ shape: 'factory', period: 'month' }, 'shape', /./],
    [{ shape: 'region-park', period: 'week' }, 'period', /./],
    [{ shape: 'region-park', period: 'month', format: 'xml' }, 'format', /./],
    [{ shape: 'region-park', period: 'month', factory: 'hcmc/vsip-1/saigon-pcb' }, 'factory', /unknown/],
  ])('analyst tables refuse %j naming %s', async (query, param, message) => {
    const res = await get(query as Record<string, string>)
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toMatchObject({ code: 'SHOPFLOOR_API_BAD_PARAM', param })
    expect(res.json().error.message).toMatch(message)
  })
})
