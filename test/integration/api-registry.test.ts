// The plant registry routes over real chDB: factories (seed and reported), lines, machines with
// pagination and CSV, calendars; each as the roles see them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OTHER_FACTORY, TEST_FACTORY, announceMachines, testApi, testStore, type TestApi } from '../support/api.ts'

let store: Awaited<ReturnType<typeof testStore>>
let api: TestApi
const enc = encodeURIComponent

// The demo factory: line smt-1 with 12 machines (more than a page of 5), line smt-2 with one.
const SMT1 = `${TEST_FACTORY}/smt/smt-1`
const SMT2 = `${TEST_FACTORY}/smt/smt-2`
const OTHER_LINE = `${OTHER_FACTORY}/assembly/a-1`

beforeAll(async () => {
  store = await testStore('api_registry')
  const t = Date.UTC(2026, 10, 21, 1)
  await announceMachines(store.ch, [
    ...Array.from({ length: 12 }, (_, i) => ({ line: SMT1, id: `m${String(i).padStart(2, '0')}`, position: i, endOfLine: i === 11, updated: t + i })),
    { line: SMT2, id: 'reflow', position: 0, endOfLine: false, updated: t },
    { line: OTHER_LINE, id: 'press', position: 0, endOfLine: true, updated: t },
    // A newer announcement of the same machine replaces the older one.
    { line: SMT2, id: 'reflow', position: 0, endOfLine: true, updated: t + 60_000, name: 'Reflow oven, renamed' },
  ])
  api = await testApi({ clickhouse: store.ch })
}, 120_000)

afterAll(async () => {
  await api?.close()
  await store?.close()
})

describe('GET /api/v1/factories', () => {
  it('factories lists the seed and the factories the agents report, by path; a reported one is defaulted', async () => {
    const res = await api.inject('admin', { url: '/api/v1/factories', query: { limit: '1000' } })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json<{ factories: Array<Record<string, unknown>>; next: null }>()
    const paths = body.factories.map((f) => f.path as string)
    expect(paths).toEqual([...paths].sort())
    expect(body.next).toBeNull()
    expect(body.factories.find((f) => f.path === TEST_FACTORY)).toMatchObject({
      name: 'Saigon PCB Assembly (demo)',
      timezone: 'Asia/Ho_Chi_Minh',
      calendar: 'three-shift',
      defaulted: false,
      sector: { vsic2025: '2610', division: '26' },
      lines: 2,
      machines: 13,
    })
    expect(body.factories.find((f) => f.path === OTHER_FACTORY)).toMatchObject({ defaulted: true, calendar: 'default-24x7', sector: null, lines: 1, machines: 1 })
    expect(paths.length).toBeGreaterThan(5) // the seed's other factories, without machines
  })

  it('factories shows a plant engineer only their factories, and an analyst none (403)', async () => {
    expect((await api.inject('plant', { url: '/api/v1/factories' })).json<{ factories: Array<{ path: string }> }>().factories.map((f) => f.path)).toEqual([TEST_FACTORY])
    expect((await api.inject('otherPlant', { url: '/api/v1/factories' })).json<{ factories: Array<{ path: string }> }>().factories.map((f) => f.path)).toEqual([OTHER_FACTORY])
    expect((await api.inject('analyst', { url: '/api/v1/factories' })).statusCode).toBe(403)
  })

  it('factories pages by path and answers CSV', async () => {
    const first = (await api.inject('admin', { url: '/api/v1/factories', query: { limit: '2' } })).json<{ factories: Array<{ path: string }>; next: string }>()
    expect(first.factories).toHaveLength(2)
    const second = (await api.inject('admin', { url: '/api/v1/factories', query: { limit: '2', cursor: first.next } })).json<{ factories: Array<{ path: string }> }>()
    expect((second.factories[0]?.path ?? '') > (first.factories[1]?.path ?? '~')).toBe(true)
    const csv = await api.inject('plant', { url: '/api/v1/factories', headers: { accept: 'text/csv' } })
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(csv.body.split('\r\n')[0]).toBe('path,name,region,park,parkName,sector.vsic2025,sector.vsic2018,sector.name,timezone,calendar,voltageLevel,microStopS,defaulted,lines,machines')
    expect(csv.body.split('\r\n')[1]).toMatch(/^hcmc\/vsip-1\/saigon-pcb,Saigon PCB Assembly \(demo\),hcmc,vsip-1,.*,Asia\/Ho_Chi_Minh,three-shift,22-110kV,120,false,2,13$/)
  })
})

describe('GET /api/v1/factories/:factory/lines', () => {
  it('lines lists the lines of a factory with the machine each is judged by', async () => {
    const res = await api.inject('plant', { url: `/api/v1/factories/${enc(TEST_FACTORY)}/lines` })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      factory: TEST_FACTORY,
      lines: [
        { path: SMT1, area: 'smt', id: 'smt-1', machines: 12, endOfLine: `${SMT1}/m11`, idealCycleS: 30, lastSeen: new Date(Date.UTC(2026, 10, 21, 1) + 11).toISOString() },
        { path: SMT2, area: 'smt', id: 'smt-2', machines: 1, endOfLine: `${SMT2}/reflow`, idealCycleS: 30, lastSeen: new Date(Date.UTC(2026, 10, 21, 1) + 60_000).toISOString() },
      ],
      next: null,
    })
  })

  it.each<[string, string, number, string]>([
    ['another factory', enc(TEST_FACTORY), 403, 'SHOPFLOOR_API_FORBIDDEN'],
    ['a factory nobody knows', enc(`${OTHER_FACTORY.split('/').slice(0, 2).join('/')}/ghost`), 403, 'SHOPFLOOR_API_FORBIDDEN'],
    ['a line path', enc(SMT1), 400, 'SHOPFLOOR_API_BAD_PARAM'],
  ])('lines refuses the other factory\'s engineer %s', async (_what, factory, status, code) => {
    const res = await api.inject('otherPlant', { url: `/api/v1/factories/${factory}/lines` })
    expect(res.statusCode).toBe(status)
    expect(res.json().error.code).toBe(code)
  })

  it('lines answers 404 naming a factory that neither the seed nor an agent knows', async () => {
    const res = await api.inject('admin', { url: `/api/v1/factories/${enc('hcmc/vsip-1/ghost')}/lines` })
    expect(res.statusCode).toBe(404)
    expect(res.json().error).toMatchObject({ code: 'SHOPFLOOR_API_NOT_FOUND', param: 'factory', message: expect.stringContaining('"hcmc/vsip-1/ghost"') })
    expect((await api.inject('admin', { url: `/api/v1/factories/${enc('hcmc/vsip-1/binh-hoa-smt')}/lines` })).json().lines).toEqual([])
  })
})

describe('GET /api/v1/machines', () => {
  it('machines pages through a factory in flow order, every machine once, the latest announcement of each', async () => {
    const seen: Array<{ id: string; name: string }> = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res: { statusCode: number; body: string; json: <T>() => T } = await api.inject('plant', { url: '/api/v1/machines', query: { factory: TEST_FACTORY, limit: '5', ...(cursor ? { cursor } : {}) } })
      expect(res.statusCode, res.body).toBe(200)
      const body: { machines: Array<{ id: string; name: string }>; next: string | null } = res.json()
      seen.push(...body.machines)
      cursor = body.next
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen.map((m) => m.id)).toEqual([...Array.from({ length: 12 }, (_, i) => `${SMT1}/m${String(i).padStart(2, '0')}`), `${SMT2}/reflow`])
    expect(seen.at(-1)?.name).toBe('Reflow oven, renamed')
  })

  it('machines shows each plant engineer their own factory only', async () => {
    const mine = (await api.inject('otherPlant', { url: '/api/v1/machines' })).json<{ machines: Array<{ id: string }> }>()
    expect(mine.machines.map((m) => m.id)).toEqual([`${OTHER_LINE}/press`])
    expect((await api.inject('otherPlant', { url: '/api/v1/machines', query: { line: SMT1 } })).statusCode).toBe(403)
    expect((await api.inject('admin', { url: '/api/v1/machines' })).json<{ machines: unknown[] }>().machines).toHaveLength(14)
  })

  it('machines answers CSV with the next page in the headers', async () => {
    const res = await api.inject('plant', { url: '/api/v1/machines', query: { line: SMT1, limit: '2', format: 'csv' } })
    expect(res.statusCode).toBe(200)
    const lines = res.body.split('\r\n')
    expect(lines[0]).toBe('id,name,line,factory,position,idealCycleS,endOfLine,agent,lastSeen')
    expect(lines[1]).toBe(`${SMT1}/m00,Machine m00,${SMT1},${TEST_FACTORY},0,10,false,gw-1,2026-11-21T01:00:00.000Z`)
    expect(lines).toHaveLength(4)
    const next = await api.inject('plant', { url: '/api/v1/machines', query: { line: SMT1, limit: '2', format: 'csv', cursor: res.headers['x-next-cursor'] as string } })
    expect(next.body.split('\r\n')[1]).toMatch(/\/m02,/)
  })
})

describe('GET /api/v1/calendars/:id', () => {
  it('calendars gives a factory\'s calendar with the factories that use it', async () => {
    const res = await api.inject('plant', { url: '/api/v1/calendars/three-shift' })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json<{ calendar: { id: string; shifts: Array<{ name: string; start: string; end: string }> }; usedBy: string[] }>()
    expect(body.calendar.shifts.map((s) => [s.name, s.start, s.end])).toEqual([['A', '06:00', '14:00'], ['B', '14:00', '22:00'], ['C', '22:00', '06:00']])
    expect(body.usedBy).toEqual([TEST_FACTORY]) // only the factories the key may see
    expect((await api.inject('admin', { url: '/api/v1/calendars/three-shift' })).json<{ usedBy: string[] }>().usedBy.length).toBeGreaterThan(1)
  })

  it('calendars gives a plant engineer only the calendars of their factories', async () => {
    expect((await api.inject('otherPlant', { url: '/api/v1/calendars/default-24x7' })).statusCode).toBe(200)
    const res = await api.inject('otherPlant', { url: '/api/v1/calendars/three-shift' })
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toMatchObject({ code: 'SHOPFLOOR_API_FORBIDDEN', param: 'id' })
  })

  it('calendars answers 404 naming an unknown calendar', async () => {
    const res = await api.inject('admin', { url: '/api/v1/calendars/four-shift' })
    expect(res.statusCode).toBe(404)
    expect(res.json().error).toMatchObject({ code: 'SHOPFLOOR_API_NOT_FOUND', param: 'id', message: expect.stringContaining('"four-shift"') })
  })
})

describe('GET /openapi.json', () => {
  it('OpenAPI document has every registry route with its schemas', async () => {
    const doc = (await api.inject(null, { url: '/openapi.json' })).json<{ paths: Record<string, { get: { parameters?: Array<{ name: string }>; responses: Record<string, unknown> } }> }>()
    for (const p of ['/api/v1/factories', '/api/v1/factories/{factory}/lines', '/api/v1/machines', '/api/v1/calendars/{id}']) {
      expect(doc.paths[p], p).toBeDefined()
      expect(Object.keys(doc.paths[p]?.get.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403', '429']))
    }
    expect(doc.paths['/api/v1/machines']?.get.parameters?.map((x) => x.name)).toEqual(['factory', 'line', 'limit', 'cursor', 'format'])
  })
})
