// Every route of the built app, found at run time (so routes added later are covered without
// touching this file), called without a key, with a bad key and as each role: 401 without a valid
// key, 403 for a role the route does not admit, 403 for a plant engineer of another factory
// whenever the request names the demo factory, and no demo-factory data in any answer to that
// engineer. Then the same walk with the dashboard's session cookie instead of the key: the same
// answers, 401 once the session ended, and 403 on state-changing requests without the same-origin
// Origin header (CSRF). Over real chDB with a machine registry of two factories.
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SESSION_COOKIE, routeTable, type Access, type RouteAccess } from '../../api/auth/index.ts'
import { OTHER_FACTORY, TEST_FACTORY, TEST_ROLES, announceMachines, testApi, testStore, type TestApi, type TestRole } from '../support/api.ts'

const LINE = `${TEST_FACTORY}/smt/smt-1`
const MACHINE = `${LINE}/aoi`

/** Values for parameters by name: every path names the demo factory, so scope must be checked. */
const BY_NAME: Record<string, string> = {
  factory: TEST_FACTORY,
  area: `${TEST_FACTORY}/smt`,
  line: LINE,
  machine: MACHINE,
  id: 'three-shift',
  from: '2026-11-21T00:00:00+07:00',
  to: '2026-11-22T00:00:00+07:00',
}
/** Of the optional "which part of the plant" parameters, a route gets the first it has. */
const SCOPE_PARAMS = ['machine', 'line', 'area', 'factory']

interface JsonSchema {
  type?: string
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  minimum?: number
  properties?: Record<string, JsonSchema>
  required?: string[]
}

function example(name: string, s: JsonSchema): string {
  if (name in BY_NAME) return BY_NAME[name] as string
  if (s.enum?.length) return String(s.enum[0])
  if (s.const !== undefined) return String(s.const)
  if (s.anyOf?.length) return example(name, s.anyOf[0] as JsonSchema)
  if (s.type === 'number' || s.type === 'integer') return String(s.minimum ?? 1)
  if (s.type === 'boolean') return 'true'
  return 'x'
}

/** A request for a route that names the demo factory wherever the route takes a plant path. */
function requestFor(route: RouteAccess): { url: string; query: Record<string, string>; namesFactory: boolean } {
  const params = (route.schema['params'] ?? {}) as JsonSchema
  let namesFactory = false
  const url = route.url
    .replace(/:(\w+)/g, (_m, name: string) => {
      if (SCOPE_PARAMS.includes(name)) namesFactory = true
      return encodeURIComponent(example(name, params.properties?.[name] ?? {}))
    })
    .replace(/\*$/, 'index.html')
  const qs = (route.schema['querystring'] ?? {}) as JsonSchema
  const props = qs.properties ?? {}
  const query: Record<string, string> = {}
  for (const name of qs.required ?? []) query[name] = example(name, props[name] ?? {})
  const scope = SCOPE_PARAMS.find((p) => p in props)
  if (scope && !SCOPE_PARAMS.some((p) => p in query)) query[scope] = example(scope, props[scope] ?? {})
  if (SCOPE_PARAMS.some((p) => p in query)) namesFactory = true
  return { url, query, namesFactory }
}

const ROLES_ALLOWED: Record<Access, readonly TestRole[]> = {
  public: ['admin', 'plant', 'otherPlant', 'analyst'],
  any: ['admin', 'plant', 'otherPlant', 'analyst'],
  plant: ['admin', 'plant', 'otherPlant'],
  analyst: ['admin', 'analyst'],
  admin: ['admin'],
}

/** Event streams never end: the answer is taken at its headers and the stream dropped (the app ends it on close). */
const streams = (r: RouteAccess): boolean => ((r.schema['produces'] as string[] | undefined) ?? []).includes('text/event-stream')

/** The origin app.inject's requests have (host localhost:80 over http): what the CSRF check compares Origin with. */
const OWN_ORIGIN = 'http://localhost:80'

let store: Awaited<ReturnType<typeof testStore>>
let api: TestApi
let routes: RouteAccess[]
let withHead: RouteAccess[]

beforeAll(async () => {
  store = await testStore('api_auth')
  const updated = Date.UTC(2026, 10, 21)
  await announceMachines(store.ch, [
    { line: LINE, id: 'printer', position: 0, endOfLine: false, updated },
    { line: LINE, id: 'aoi', position: 1, endOfLine: true, updated },
    { line: `${TEST_FACTORY}/smt/smt-2`, id: 'reflow', position: 0, endOfLine: true, updated },
    { line: `${OTHER_FACTORY}/assembly/a-1`, id: 'press', position: 0, endOfLine: true, updated },
  ])
  api = await testApi({ clickhouse: store.ch })
  withHead = [...routeTable(api.app)]
  routes = withHead.filter((r) => r.method !== 'HEAD')
}, 120_000)

interface Answer {
  statusCode: number
  /** The body; an open event stream's is not read (''). */
  body: string
  json(): { error?: { code?: string; message?: string } }
}

/** app.inject that takes an event stream's answer at its headers (reading the body of a refusal). */
async function call(r: RouteAccess, opts: InjectOptions): Promise<Answer> {
  if (!streams(r)) return api.app.inject(opts) as Promise<LightMyRequestResponse & Answer>
  const res = await api.app.inject({ ...opts, payloadAsStream: true })
  let body = ''
  if (res.statusCode !== 200) for await (const chunk of res.stream()) body += String(chunk)
  else res.stream().destroy()
  return { statusCode: res.statusCode, body, json: () => JSON.parse(body) as ReturnType<Answer['json']> }
}
const bodyOf = (_r: RouteAccess, res: Answer): string => res.body
const codeOf = (_r: RouteAccess, res: Answer): unknown => (res.body ? res.json().error?.code : undefined)

/** A fresh session cookie of a role (signing in with its key). */
async function sessionOf(role: TestRole): Promise<string> {
  const res = await api.inject(role, { method: 'POST', url: '/api/v1/session' })
  expect(res.statusCode, res.body).toBe(201)
  const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE)
  expect(cookie?.httpOnly).toBe(true)
  expect(cookie?.sameSite).toBe('Strict')
  return `${SESSION_COOKIE}=${cookie!.value}`
}

afterAll(async () => {
  await api?.close()
  await store?.close()
})

describe('API auth on every route', () => {
  it('API auth finds the routes of every area', () => {
    const urls = routes.map((r) => r.url)
    for (const u of ['/healthz', '/openapi.json', '/api/v1/machines', '/api/v1/factories', '/api/v1/factories/:factory/lines', '/api/v1/calendars/:id', '/api/v1/oee', '/api/v1/live', '/api/v1/session']) expect(urls).toContain(u)
    expect(urls.some((u) => u.startsWith('/docs'))).toBe(true)
  })

  it('API auth answers 401 on every non-public route (HEAD too) without a key, with a bad key and with a revoked key', async () => {
    const revoked = await api.keys.create({ name: 'soon-revoked', role: 'admin' })
    const ended = await sessionOf('admin')
    expect((await api.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: ended, origin: OWN_ORIGIN } })).statusCode).toBe(204)
    const revokedSession = await (async () => {
      const res = await api.app.inject({ method: 'POST', url: '/api/v1/session', headers: { 'x-api-key': revoked.key } })
      return `${SESSION_COOKIE}=${res.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`
    })()
    api.keys.revoke(revoked.info.id)
    const failures: string[] = []
    for (const r of withHead.filter((x) => x.access !== 'public')) {
      const { url, query } = requestFor(r)
      for (const [what, headers] of [
        ['no key', {}],
        ['a bad key', { authorization: `Bearer sfk_${'a'.repeat(12)}_${'b'.repeat(43)}` }],
        ['a revoked key', { 'x-api-key': revoked.key }],
        ['a signed-out session', { cookie: ended, origin: OWN_ORIGIN }],
        ['a session of a revoked key', { cookie: revokedSession, origin: OWN_ORIGIN }],
        ['a made-up session', { cookie: `${SESSION_COOKIE}=${'c'.repeat(43)}`, origin: OWN_ORIGIN }],
      ] as const) {
        const res = await call(r, { method: r.method as 'GET', url, query, headers })
        if (res.statusCode !== 401 || (r.method !== 'HEAD' && codeOf(r, res) !== 'SHOPFLOOR_API_UNAUTHORIZED')) failures.push(`${r.method} ${r.url} with ${what}: ${res.statusCode} ${bodyOf(r, res).slice(0, 200)}`)
      }
    }
    expect(failures).toEqual([])
  })

  it('API auth lets every public route answer without a key', async () => {
    const failures: string[] = []
    for (const r of routes.filter((x) => x.access === 'public')) {
      const { url, query } = requestFor(r)
      const res = await call(r, { method: r.method as 'GET', url, query })
      if (res.statusCode === 401 || res.statusCode === 403) failures.push(`${r.method} ${r.url}: ${res.statusCode}`)
    }
    expect(failures).toEqual([])
  })

  it('API auth answers 403 on every route to a role it does not admit, and lets the others through', async () => {
    const failures: string[] = []
    for (const r of routes.filter((x) => x.access !== 'public')) {
      const { url, query } = requestFor(r)
      for (const role of ['admin', 'plant', 'otherPlant', 'analyst'] as const) {
        if (role === 'otherPlant') continue // scope: next test
        const res = await call(r, { method: r.method as 'GET', url, query, headers: api.auth(role) })
        const allowed = ROLES_ALLOWED[r.access].includes(role)
        if (!allowed && (res.statusCode !== 403 || codeOf(r, res) !== 'SHOPFLOOR_API_FORBIDDEN')) failures.push(`${role} on ${r.method} ${r.url} (${r.access}): ${res.statusCode}, expected 403`)
        // An admitted role gets an answer (not a refusal, and not a 400: the request this test makes is valid).
        if (allowed && [400, 401, 403].includes(res.statusCode)) failures.push(`${role} on ${r.method} ${r.url} (${r.access}): ${res.statusCode} ${bodyOf(r, res).slice(0, 300)}`)
      }
    }
    expect(failures).toEqual([])
  })

  it('API auth refuses a plant engineer of another factory on every route naming the demo factory, and shows it none of its data elsewhere', async () => {
    const failures: string[] = []
    let scoped = 0
    for (const r of routes.filter((x) => x.access === 'plant')) {
      const { url, query, namesFactory } = requestFor(r)
      const res = await call(r, { method: r.method as 'GET', url, query, headers: api.auth('otherPlant') })
      if (namesFactory) {
        scoped++
        if (res.statusCode !== 403 || !res.json().error?.message?.includes(`"${TEST_FACTORY}"`)) failures.push(`${r.method} ${r.url} ${JSON.stringify(query)}: ${res.statusCode}, expected 403 naming the factory`)
      } else if (bodyOf(r, res).includes(TEST_FACTORY) || (res.statusCode >= 400 && res.statusCode !== 403 && res.statusCode !== 404)) {
        failures.push(`${r.method} ${r.url}: ${res.statusCode}, shows the demo factory or fails: ${bodyOf(r, res).slice(0, 300)}`)
      }
    }
    expect(failures).toEqual([])
    expect(scoped).toBeGreaterThanOrEqual(4)
  })

  it('API auth answers every route with the session cookie as with the key, and refuses a state-changing request without the same-origin Origin', async () => {
    const failures: string[] = []
    const cookies = Object.fromEntries(await Promise.all(TEST_ROLES.map(async (role) => [role, await sessionOf(role)] as const))) as Record<TestRole, string>
    for (const r of routes.filter((x) => x.access !== 'public')) {
      const { url, query } = requestFor(r)
      const safe = r.method === 'GET' || r.method === 'HEAD'
      for (const role of TEST_ROLES) {
        // Sign-in takes the key, never a session (next test); sign-out would end the session the walk uses.
        if (r.url === '/api/v1/session' && r.method !== 'GET') continue
        const byKey = await call(r, { method: r.method as 'GET', url, query, headers: api.auth(role) })
        const byCookie = await call(r, { method: r.method as 'GET', url, query, headers: { cookie: cookies[role], ...(safe ? {} : { origin: OWN_ORIGIN }) } })
        if (byCookie.statusCode !== byKey.statusCode) failures.push(`${role} on ${r.method} ${r.url}: ${byCookie.statusCode} with the cookie, ${byKey.statusCode} with the key`)
        if (safe) continue
        for (const origin of [undefined, 'https://evil.example']) {
          const res = await call(r, { method: r.method as 'GET', url, query, headers: { cookie: cookies[role], ...(origin ? { origin } : {}) } })
          if (res.statusCode !== 403 || !bodyOf(r, res).includes('Origin')) failures.push(`${role} on ${r.method} ${r.url} with the cookie and Origin ${origin}: ${res.statusCode}, expected 403`)
        }
      }
    }
    expect(failures).toEqual([])
  })

  it('API auth lets only the key open a session, and sign-out with the same-origin Origin ends it', async () => {
    const cookie = await sessionOf('plant')
    const again = await api.app.inject({ method: 'POST', url: '/api/v1/session', headers: { cookie, origin: OWN_ORIGIN } })
    expect(again.statusCode).toBe(401)
    expect((await api.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } })).statusCode).toBe(403)
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).statusCode).toBe(200)
    expect((await api.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, origin: OWN_ORIGIN } })).statusCode).toBe(204)
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).statusCode).toBe(401)
  })
})
