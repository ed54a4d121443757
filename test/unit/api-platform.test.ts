// The API platform without a database: keys, roles, rate limits, the error catalogue, OpenAPI, CSV
// and pagination, on the real app. Its ClickHouse is a real client pointed at a port nobody
// listens on, which is what a down database looks like.
import { Writable } from 'node:stream'
import { ClickHouseLogLevel, createClient } from '@clickhouse/client'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { pino } from 'pino'
import Type from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type ApiOptions } from '../../api/app.ts'
import { allowedFactories, requireFactory, type Access } from '../../api/auth/index.ts'
import { API_ERRORS, ApiError, type ApiErrorCode } from '../../api/errors.ts'
import { FormatQuery, NextCursor, PageQuery, pageInMemory, pageRequest, sendTable } from '../../api/http/index.ts'
import type { Clickhouse } from '../../stream/index.ts'
import { OTHER_FACTORY, TEST_FACTORY, TEST_ROLES, testKeys, testReference, type TestRole } from '../support/api.ts'
import { freePort } from '../support/wait.ts'

let down: Clickhouse
let key: Record<TestRole, string>
let keys: ApiOptions['keys']

beforeAll(async () => {
  const url = `http://127.0.0.1:${await freePort()}`
  const client = createClient({ url, request_timeout: 2000, log: { level: ClickHouseLogLevel.OFF } })
  down = { client, database: 'nowhere', describe: url, close: () => client.close() }
  ;({ keys, key } = await testKeys())
})
afterAll(() => down.close())

const ITEMS = Array.from({ length: 25 }, (_, i) => ({ id: `m${String(i).padStart(2, '0')}`, value: i / 1e8, note: i === 3 ? 'a, "b"' : 'x' }))

/** The app with probe routes of every access level (and the behaviours the catalogue names) added. */
async function appWith(opts: Partial<ApiOptions> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ clickhouse: down, keys, reference: testReference(), rateLimit: false, ...opts })
  for (const access of ['public', 'plant', 'analyst', 'admin'] as Access[]) {
    app.get(`/probe/${access}`, { config: { access }, schema: { response: { 200: Type.Object({ who: Type.Union([Type.String(), Type.Null()]) }) } } }, async (req) => ({
      who: req.principal?.role ?? null,
    }))
  }
  app.get(
    '/probe/factory/:factory',
    { config: { access: 'plant' }, schema: { params: Type.Object({ factory: Type.String() }) } },
    async (req) => {
      requireFactory(req, (req.params as { factory: string }).factory)
      return { ok: true }
    },
  )
  app.get('/probe/scope', { config: { access: 'plant' } }, async (req) => ({ allowed: allowedFactories(req) }))
  app.get('/probe/crash', { config: { access: 'public' } }, async () => {
    throw new Error('boom with secret detail')
  })
  app.get('/probe/store', { config: { access: 'public' } }, async () => down.client.query({ query: 'SELECT 1' }))
  app.get(
    '/probe/table',
    {
      config: { access: 'public' },
      schema: {
        querystring: Type.Object({ ...PageQuery, ...FormatQuery, kind: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), value: Type.Number(), note: Type.String() })), next: NextCursor }) },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req, Type.String())
      const { items, next } = pageInMemory(req, ITEMS, page, (r) => r.id)
      return sendTable(req, reply, { items, next }, { rows: items, columns: ['id', 'value', 'note'], filename: 'probe', next })
    },
  )
  await app.ready()
  return app
}

const as = (role: TestRole | null): Record<string, string> => (role ? { authorization: `Bearer ${key[role]}` } : {})

describe('API access', () => {
  let app: FastifyInstance
  beforeAll(async () => (app = await appWith()))
  afterAll(() => app.close())

  // Rows: caller; columns: public, plant, analyst, admin.
  it.each<[TestRole | null, [number, number, number, number]]>([
    [null, [200, 401, 401, 401]],
    ['admin', [200, 200, 200, 200]],
    ['plant', [200, 200, 403, 403]],
    ['otherPlant', [200, 200, 403, 403]],
    ['analyst', [200, 403, 200, 403]],
  ])('API answers %s on public, plant, analyst and admin routes with %j', async (role, expected) => {
    const got = []
    for (const access of ['public', 'plant', 'analyst', 'admin']) {
      const res = await app.inject({ url: `/probe/${access}`, headers: as(role) })
      got.push(res.statusCode)
      if (res.statusCode === 401) expect(res.json().error.code).toBe('SHOPFLOOR_API_UNAUTHORIZED')
      if (res.statusCode === 403) expect(res.json().error.code).toBe('SHOPFLOOR_API_FORBIDDEN')
    }
    expect(got).toEqual(expected)
  })

  it.each<[string, Record<string, string>, RegExp]>([
    ['no key', {}, /needs an API key/],
    ['a key that does not exist', { authorization: `Bearer sfk_0123456789ab_${'x'.repeat(43)}` }, /not valid/],
    ['a malformed key', { 'x-api-key': 'letmein' }, /not valid/],
    ['Basic auth', { authorization: 'Basic YWRtaW46YWRtaW4=' }, /must read "Bearer <key>"/],
    ['an empty bearer', { authorization: 'Bearer ' }, /must read "Bearer <key>"/],
  ])('API answers 401 SHOPFLOOR_API_UNAUTHORIZED for %s', async (_what, headers, message) => {
    const res = await app.inject({ url: '/probe/plant', headers })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({ error: { code: 'SHOPFLOOR_API_UNAUTHORIZED', message: expect.stringMatching(message) } })
  })

  it('API takes the key from X-API-Key and from a lower-case bearer scheme', async () => {
    expect((await app.inject({ url: '/probe/admin', headers: { 'x-api-key': key.admin } })).json()).toEqual({ who: 'admin' })
    expect((await app.inject({ url: '/probe/admin', headers: { authorization: `bearer ${key.admin}` } })).statusCode).toBe(200)
  })

  it('API lets a plant engineer see only the factories of its key, naming the factory when it refuses', async () => {
    expect((await app.inject({ url: `/probe/factory/${encodeURIComponent(TEST_FACTORY)}`, headers: as('plant') })).statusCode).toBe(200)
    expect((await app.inject({ url: `/probe/factory/${encodeURIComponent(TEST_FACTORY)}`, headers: as('admin') })).statusCode).toBe(200)
    const res = await app.inject({ url: `/probe/factory/${encodeURIComponent(TEST_FACTORY)}`, headers: as('otherPlant') })
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toEqual({ code: 'SHOPFLOOR_API_FORBIDDEN', message: expect.stringContaining(`may not see factory "${TEST_FACTORY}": its factories are "${OTHER_FACTORY}"`) })
    expect((await app.inject({ url: '/probe/scope', headers: as('plant') })).json()).toEqual({ allowed: [TEST_FACTORY] })
    expect((await app.inject({ url: '/probe/scope', headers: as('admin') })).json()).toEqual({ allowed: 'all' })
  })

  it('API refuses to start with a route that declares no access', async () => {
    const bare = await buildApp({ clickhouse: down, keys, reference: testReference(), rateLimit: false })
    expect(() => bare.get('/open', async () => 'oops')).toThrow(/route GET \/open must declare config.access as one of public, any, plant, analyst, admin/)
    expect(() => bare.get('/typo', { config: { access: 'everyone' as Access } }, async () => 'oops')).toThrow(/got "everyone"/)
    // Also from inside a plugin: start-up (ready) fails.
    const other = await buildApp({ clickhouse: down, keys, reference: testReference(), rateLimit: false })
    other.register(async (scope) => {
      scope.get('/plugin-route', async () => 'oops')
    })
    await expect(other.ready()).rejects.toThrow(/plugin-route must declare config.access/)
    await bare.close()
  })

  it('API never writes a key to its log', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'trace' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }))
    const logged = await buildApp({ clickhouse: down, keys, reference: testReference(), rateLimit: false, logger })
    logged.get('/echo', { config: { access: 'plant' } }, async (req) => {
      req.log.info({ req: { headers: req.headers }, headers: req.headers }, 'headers as a careless handler might log them')
      return { ok: true }
    })
    await logged.inject({ url: '/echo', headers: { authorization: `Bearer ${key.plant}` } })
    await logged.inject({ url: '/echo', headers: { 'x-api-key': key.admin } })
    await logged.inject({ url: '/echo', headers: { 'x-api-key': key.analyst } })
    await logged.close()
    const text = lines.join('')
    expect(text).toContain('headers as a careless handler might log them')
    expect(text).toContain('[redacted]')
    for (const k of Object.values(key)) expect(text).not.toContain(k.slice(17))
  })
})

describe('API rate limits', () => {
  it('API answers 429 SHOPFLOOR_API_RATE_LIMITED with Retry-After per key, other keys unaffected', async () => {
    let now = 0
    const app = await appWith({ rateLimit: { perKey: 3, perAddress: 100, windowMs: 60_000 }, now: () => now })
    for (let i = 0; i < 3; i++) {
      const ok = await app.inject({ url: '/probe/admin', headers: as('admin') })
      expect(ok.statusCode).toBe(200)
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(2 - i))
    }
    const res = await app.inject({ url: '/probe/admin', headers: as('admin') })
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toBe('60')
    expect(res.json().error).toEqual({ code: 'SHOPFLOOR_API_RATE_LIMITED', message: expect.stringContaining('API key "test-admin"') })
    expect((await app.inject({ url: '/probe/analyst', headers: as('analyst') })).statusCode).toBe(200)
    now += 60_000
    expect((await app.inject({ url: '/probe/admin', headers: as('admin') })).statusCode).toBe(200)
    await app.close()
  })

  it('API limits requests without a valid key per address, and stops checking guessed keys when over', async () => {
    const app = await appWith({ rateLimit: { perKey: 100, perAddress: 2, windowMs: 60_000 } })
    const guess = { authorization: `Bearer sfk_${'0'.repeat(12)}_${'y'.repeat(43)}` }
    expect((await app.inject({ url: '/probe/plant', headers: guess })).statusCode).toBe(401)
    expect((await app.inject({ url: '/probe/public' })).statusCode).toBe(200)
    const res = await app.inject({ url: '/probe/plant', headers: guess })
    expect(res.statusCode).toBe(429)
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect((await app.inject({ url: '/probe/public' })).statusCode).toBe(429)
    // Another address is not affected; a good key is limited by its own bucket.
    expect((await app.inject({ url: '/probe/public', remoteAddress: '10.9.8.7' })).statusCode).toBe(200)
    await app.close()
  })
})

describe('API behind a reverse proxy', () => {
  it('API counts the address from X-Forwarded-For only when told to trust the proxy', async () => {
    for (const trustProxy of [false, true]) {
      const app = await appWith({ rateLimit: { perAddress: 1 }, trustProxy })
      expect((await app.inject({ url: '/probe/public', headers: { 'x-forwarded-for': '203.0.113.1' } })).statusCode).toBe(200)
      const second = await app.inject({ url: '/probe/public', headers: { 'x-forwarded-for': '203.0.113.2' } })
      expect(second.statusCode).toBe(trustProxy ? 200 : 429)
      await app.close()
    }
  })
})

describe('API error catalogue', () => {
  let app: FastifyInstance
  beforeAll(async () => (app = await appWith()))
  afterAll(() => app.close())

  const cases: Record<ApiErrorCode, { url: string; role?: TestRole; headers?: Record<string, string>; param?: string; message: RegExp; limited?: boolean }> = {
    SHOPFLOOR_API_BAD_PARAM: { url: '/probe/table?colour=red', param: 'colour', message: /unknown querystring parameter "colour"/ },
    SHOPFLOOR_API_UNAUTHORIZED: { url: '/probe/admin', message: /needs an API key/ },
    SHOPFLOOR_API_FORBIDDEN: { url: '/probe/admin', role: 'analyst', message: /has the role analyst; GET \/probe\/admin needs admin/ },
    SHOPFLOOR_API_NOT_FOUND: { url: '/nowhere', message: /no route GET \/nowhere/ },
    SHOPFLOOR_API_NOT_ACCEPTABLE: { url: '/probe/table', headers: { accept: 'image/png' }, message: /answers application\/json or text\/csv/ },
    SHOPFLOOR_API_RATE_LIMITED: { url: '/probe/public', message: /too many requests from address/, limited: true },
    SHOPFLOOR_API_INTERNAL: { url: '/probe/crash', message: /^internal error; the server log has the details$/ },
    SHOPFLOOR_API_UNAVAILABLE: { url: '/probe/store', message: /ClickHouse \(http:\/\/127\.0\.0\.1:\d+\) cannot be reached now/ },
  }

  it('API error catalogue has a test case for every code', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(API_ERRORS).sort())
  })

  it.each(Object.entries(cases))('API error %s has its status and the one error shape', async (code, c) => {
    const target = c.limited ? await appWith({ rateLimit: { perAddress: 1 } }) : app
    if (c.limited) await target.inject({ url: c.url })
    const res = await target.inject({ url: c.url, headers: { ...as(c.role ?? null), ...c.headers } })
    expect(res.statusCode).toBe(API_ERRORS[code as ApiErrorCode])
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json()).toEqual({ error: { code, message: expect.stringMatching(c.message), ...(c.param ? { param: c.param } : {}) } })
    if (c.limited) await target.close()
  })

  it('ApiError says which errors a client may retry', () => {
    expect(new ApiError('SHOPFLOOR_API_RATE_LIMITED', 'x').canRetry).toBe(true)
    expect(new ApiError('SHOPFLOOR_API_UNAVAILABLE', 'x').canRetry).toBe(true)
    expect(new ApiError('SHOPFLOOR_API_FORBIDDEN', 'x').canRetry).toBe(false)
  })
})

describe('API tables and pages', () => {
  let app: FastifyInstance
  beforeAll(async () => (app = await appWith()))
  afterAll(() => app.close())

  it('API pages a list with limit and cursor until next is null, each row once', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res: LightMyRequestResponse = await app.inject({ url: '/probe/table', query: { limit: '10', kind: 'k', ...(cursor ? { cursor } : {}) } })
      expect(res.statusCode, res.body).toBe(200)
      const body: { items: Array<{ id: string }>; next: string | null } = res.json<{ items: Array<{ id: string }>; next: string | null }>()
      seen.push(...body.items.map((i) => i.id))
      cursor = body.next
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual(ITEMS.map((i) => i.id))
    expect((await app.inject({ url: '/probe/table' })).json().items).toHaveLength(25) // default 100
  })

  it.each<[Record<string, string>, string, RegExp]>([
    [{ limit: '0' }, 'limit', /must be >= 1/],
    [{ limit: '1001' }, 'limit', /must be <= 1000/],
    [{ cursor: 'not-a-cursor' }, 'cursor', /is not a cursor of this API/],
    [{ cursor: Buffer.from(JSON.stringify({ q: 'x', p: 'm01' })).toString('base64url') }, 'cursor', /belongs to another query/],
  ])('API answers 400 naming the parameter for %j', async (query, param, message) => {
    const res = await app.inject({ url: '/probe/table', query })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toEqual({ code: 'SHOPFLOOR_API_BAD_PARAM', param, message: expect.stringMatching(message) })
  })

  it('API refuses a cursor of another query', async () => {
    const first = (await app.inject({ url: '/probe/table', query: { limit: '5', kind: 'a' } })).json<{ next: string }>()
    const res = await app.inject({ url: '/probe/table', query: { limit: '5', kind: 'b', cursor: first.next } })
    expect(res.json().error).toMatchObject({ param: 'cursor', message: expect.stringContaining('another query') })
    // limit and format may change while paging.
    expect((await app.inject({ url: '/probe/table', query: { limit: '7', kind: 'a', format: 'csv', cursor: first.next } })).statusCode).toBe(200)
  })

  it.each<[string, Record<string, string>, Record<string, string>]>([
    ['format=csv', { format: 'csv' }, {}],
    ['Accept: text/csv', {}, { accept: 'text/csv' }],
  ])('API answers a table as CSV for %s, with the next page in Link and X-Next-Cursor', async (_what, query, headers) => {
    const res = await app.inject({ url: '/probe/table', query: { limit: '4', ...query }, headers })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toBe('attachment; filename="probe.csv"')
    expect(res.body).toBe('id,value,note\r\nm00,0,x\r\nm01,0.00000001,x\r\nm02,0.00000002,x\r\nm03,0.00000003,"a, ""b"""\r\n')
    const next = res.headers['x-next-cursor'] as string
    expect(next).toBeTruthy()
    expect(res.headers['link']).toBe(`</probe/table?limit=4&${new URLSearchParams({ ...query, cursor: next })}>; rel="next"`)
  })

  it('API format=json wins over an Accept header asking for CSV', async () => {
    const res = await app.inject({ url: '/probe/table', query: { format: 'json' }, headers: { accept: 'text/csv' } })
    expect(res.headers['content-type']).toMatch(/^application\/json/)
  })
})

describe('API OpenAPI document', () => {
  let app: FastifyInstance
  let doc: { paths: Record<string, Record<string, Record<string, unknown>>>; components: Record<string, Record<string, unknown>>; openapi: string }
  beforeAll(async () => {
    app = await appWith()
    doc = (await app.inject({ url: '/openapi.json' })).json()
  })
  afterAll(() => app.close())

  it('OpenAPI document lists the routes with their access, security and error answers', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.components['securitySchemes'] ?? {})).toEqual(['bearerKey', 'apiKeyHeader', 'sessionCookie'])
    expect(doc.components['schemas']?.['ErrorBody']).toBeDefined()
    const admin = doc.paths['/probe/admin']?.['get'] as Record<string, unknown>
    expect(admin['security']).toEqual([{ bearerKey: [] }, { apiKeyHeader: [] }, { sessionCookie: [] }])
    expect(admin['x-access']).toBe('admin')
    expect(Object.keys(admin['responses'] as object)).toEqual(expect.arrayContaining(['200', '401', '403', '429']))
    const pub = doc.paths['/probe/public']?.['get'] as Record<string, unknown>
    expect(pub['security']).toEqual([])
    expect(Object.keys(pub['responses'] as object)).not.toContain('401')
    for (const [path, ops] of Object.entries(doc.paths)) expect(Object.keys(ops), path).not.toContain('head')
  })

  it('OpenAPI document says a table route answers CSV too', () => {
    const ok = ((doc.paths['/probe/table']?.['get'] as Record<string, unknown>)['responses'] as Record<string, { content: object }>)['200']
    expect(Object.keys(ok?.content ?? {})).toEqual(['application/json', 'text/csv'])
  })

  it('OpenAPI UI is served at /docs without a key', async () => {
    const res = await app.inject({ url: '/docs/' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('Swagger UI')
    expect((await app.inject({ url: '/docs/json' })).json().openapi).toBe('3.1.0')
  })
})

it('test keys cover every role', () => {
  expect(Object.keys(key).sort()).toEqual([...TEST_ROLES].sort())
})
