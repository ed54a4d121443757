// The live feed and its SSE route over real chDB and a real HTTP server, read the way a browser's
// EventSource reads it (fetch with the session cookie, Last-Event-ID on resume): snapshot on
// connect, state changes and KPI nudges as rows are stored through the real ingest path, scope by
// the caller's factories, resume, bounds per key, cleanup on disconnect; and the cookie session
// itself (sign-in, cookie flags, CSRF on state-changing requests, sign-out).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MachineStateCode, ShopfloorEvent } from '../../stream/index.ts'
import { OTHER_FACTORY, TEST_FACTORY, storeEvents, testApi, testStore, type TestApi, type TestRole } from '../support/api.ts'
import { freePort, waitFor } from '../support/wait.ts'

const LINE = `${TEST_FACTORY}/smt/live-1`
const AOI = `${LINE}/aoi`
const OTHER = `${OTHER_FACTORY}/assembly/a-1/press`

let store: Awaited<ReturnType<typeof testStore>>
let api: TestApi
let base: string
let seq = 0

function stateEvent(machine: string, ts: number, s: MachineStateCode): ShopfloorEvent {
  seq++
  return { type: 'machine_state', event: { event_id: `gw-live:${seq}`, agent_id: 'gw-live', seq, machine, source_ts: ts, receive_ts: ts + 5, state: s, reason: null } }
}
function countEvent(machine: string, ts: number): ShopfloorEvent {
  seq++
  return { type: 'production_count', event: { event_id: `gw-live:${seq}`, agent_id: 'gw-live', seq, machine, source_ts: ts, receive_ts: ts + 5, produced: 3, rejected: 0, ideal_cycle_s: 20, product: null } }
}

interface SseEvent {
  id?: string
  event: string
  data: Record<string, unknown>
  at: number
}

/** An SSE stream read like EventSource does; `events` fills as they arrive. */
async function openStream(path: string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; events: SseEvent[]; body: string; close(): void; closed: Promise<void> }> {
  const ctl = new AbortController()
  const res = await fetch(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers }, signal: ctl.signal })
  const events: SseEvent[] = []
  let body = ''
  if (res.status !== 200) return { status: res.status, headers: res.headers, events, body: await res.text(), close: () => {}, closed: Promise.resolve() }
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let buf = ''
  const closed = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        const text = decoder.decode(value, { stream: true })
        body += text
        buf += text
        let cut: number
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut)
          buf = buf.slice(cut + 2)
          const fields: Record<string, string> = {}
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue
            const i = line.indexOf(': ')
            if (i > 0) fields[line.slice(0, i)] = line.slice(i + 2)
          }
          if (fields['event']) events.push({ event: fields['event'], data: JSON.parse(fields['data'] ?? '{}') as Record<string, unknown>, at: Date.now(), ...(fields['id'] ? { id: fields['id'] } : {}) })
        }
      }
    } catch {
      // aborted
    }
  })()
  return { status: res.status, headers: res.headers, events, get body() { return body }, close: () => ctl.abort(), closed }
}

/** Signs in as a role; returns the Cookie header value. */
async function signIn(role: TestRole): Promise<{ cookie: string; setCookie: string }> {
  const res = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { authorization: `Bearer ${api.key[role]}` } })
  expect(res.status, await res.clone().text()).toBe(201)
  const setCookie = res.headers.get('set-cookie') ?? ''
  return { cookie: setCookie.split(';')[0] as string, setCookie }
}

beforeAll(async () => {
  store = await testStore('api_live')
  const t0 = Date.now() - 3600_000
  await storeEvents(store.ch, [stateEvent(AOI, t0, 'RUNNING'), stateEvent(OTHER, t0, 'RUNNING')])
  api = await testApi({ clickhouse: store.ch, live: { pollMs: 100, nudgeMs: 50, heartbeatMs: 300, maxPerKey: 3 } })
  const port = await freePort()
  await api.app.listen({ port, host: '127.0.0.1' })
  base = `http://127.0.0.1:${port}`
}, 120_000)

afterAll(async () => {
  await api?.close()
  await store?.close()
})

describe('live feed over SSE', () => {
  it('live stream sends a snapshot, then state changes and KPI nudges within a second, scoped to the caller', async () => {
    const { cookie } = await signIn('plant')
    const mine = await openStream('/api/v1/live', { cookie })
    const other = await openStream('/api/v1/live', { authorization: `Bearer ${api.key.otherPlant}` })
    expect(mine.status).toBe(200)
    expect(mine.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    await waitFor('snapshots', () => mine.events.length >= 1 && other.events.length >= 1)
    expect(mine.events[0]).toMatchObject({ event: 'state', data: { machine: AOI, line: LINE, factory: TEST_FACTORY, state: 'RUNNING', snapshot: true } })
    expect(other.events.map((e) => e.data['machine'])).toEqual([OTHER])

    const stored = Date.now()
    await storeEvents(store.ch, [stateEvent(AOI, stored, 'DOWN'), countEvent(AOI, stored)])
    await waitFor('the DOWN state and a KPI nudge', () => mine.events.some((e) => e.data['state'] === 'DOWN') && mine.events.some((e) => e.event === 'kpi'), 3_000)
    const down = mine.events.find((e) => e.data['state'] === 'DOWN')!
    expect(down).toMatchObject({ event: 'state', data: { machine: AOI, snapshot: false, since: new Date(stored).toISOString() } })
    expect(down.id).toMatch(/^[0-9a-z]+\.\d+$/)
    expect(down.at - stored).toBeLessThan(1_000)
    expect(mine.events.find((e) => e.event === 'kpi')!.data).toMatchObject({ factories: [TEST_FACTORY], lines: [LINE], machines: [AOI] })
    // Heartbeats keep the stream open; the other factory's engineer heard nothing of it.
    await waitFor('a heartbeat', () => mine.body.includes(': ping '), 2_000)
    expect(other.events.map((e) => e.data['machine'])).toEqual([OTHER])
    expect(other.body).not.toContain(TEST_FACTORY)

    // Resume after the DOWN: only what was missed, no snapshot.
    mine.close()
    await storeEvents(store.ch, [stateEvent(AOI, Date.now(), 'IDLE')])
    const resumed = await openStream(`/api/v1/live?line=${encodeURIComponent(LINE)}`, { cookie, 'last-event-id': down.id! })
    await waitFor('the missed IDLE', () => resumed.events.some((e) => e.data['state'] === 'IDLE'), 3_000)
    expect(resumed.events.filter((e) => e.event === 'state').map((e) => [e.data['state'], e.data['snapshot']])).toEqual([['IDLE', false]])
    // An id of another API process (or one too old): a fresh snapshot.
    const fresh = await openStream(`/api/v1/live?machine=${encodeURIComponent(AOI)}`, { cookie, 'last-event-id': 'zzz.5' })
    await waitFor('a snapshot', () => fresh.events.length > 0)
    expect(fresh.events[0]!.data).toMatchObject({ state: 'IDLE', snapshot: true })
    resumed.close()
    fresh.close()
    other.close()
  })

  it('live stream refuses another factory with 403, bounds streams per key with 429 and frees them on disconnect', async () => {
    const refused = await openStream(`/api/v1/live?factory=${encodeURIComponent(TEST_FACTORY)}`, { authorization: `Bearer ${api.key.otherPlant}` })
    expect(refused.status).toBe(403)
    expect(JSON.parse(refused.body).error.message).toContain(`"${TEST_FACTORY}"`)
    expect((await openStream('/api/v1/live', { authorization: `Bearer ${api.key.analyst}` })).status).toBe(403)
    expect((await openStream('/api/v1/live', {})).status).toBe(401)

    const streams = await Promise.all([1, 2, 3].map(() => openStream('/api/v1/live', { authorization: `Bearer ${api.key.admin}` })))
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200])
    const fourth = await openStream('/api/v1/live', { authorization: `Bearer ${api.key.admin}` })
    expect(fourth.status).toBe(429)
    expect(JSON.parse(fourth.body).error.code).toBe('SHOPFLOOR_API_RATE_LIMITED')
    streams[0]!.close()
    // The server notices the closed connection and frees the slot.
    await waitFor('a free slot', async () => {
      const again = await openStream('/api/v1/live', { authorization: `Bearer ${api.key.admin}` })
      again.close()
      return again.status === 200
    })
    for (const s of streams) s.close()
  })
})

describe('cookie session', () => {
  it('session sign-in sets an HttpOnly SameSite=Strict cookie without the key, accepted by plant routes', async () => {
    const { cookie, setCookie } = await signIn('plant')
    expect(setCookie).toMatch(/^shopfloor_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/)
    expect(setCookie).not.toContain(api.key.plant)
    const who = await fetch(`${base}/api/v1/session`, { headers: { cookie } })
    expect(await who.json()).toMatchObject({ name: 'test-plant', role: 'plant-engineer', factories: [TEST_FACTORY], via: 'session' })
    const factories = await fetch(`${base}/api/v1/factories`, { headers: { cookie } })
    expect(factories.status).toBe(200)
    const forbidden = await fetch(`${base}/api/v1/factories/${encodeURIComponent(OTHER_FACTORY)}/lines`, { headers: { cookie } })
    expect(forbidden.status).toBe(403)
    // A session cannot open another session: sign-in takes the key.
    expect((await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { cookie, origin: base } })).status).toBe(401)
  })

  it('session sign-out needs the same-origin Origin header, then the cookie no longer works', async () => {
    const { cookie } = await signIn('admin')
    const noOrigin = await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie } })
    expect(noOrigin.status).toBe(403)
    expect(((await noOrigin.json()) as { error: { message: string } }).error.message).toContain('Origin')
    const foreign = await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie, origin: 'https://evil.example' } })
    expect(foreign.status).toBe(403)
    expect((await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie, 'sec-fetch-site': 'cross-site' } })).status).toBe(403)
    // A sandboxed frame's opaque origin.
    expect((await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie, origin: 'null' } })).status).toBe(403)
    // Behind a TLS proxy the page is https and the API sees http: the host decides, not the scheme.
    const other = await signIn('admin')
    expect((await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie: other.cookie, origin: base.replace('http:', 'https:') } })).status).toBe(204)
    const third = await signIn('admin')
    expect((await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie: third.cookie, 'sec-fetch-site': 'same-origin' } })).status).toBe(204)
    const out = await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie, origin: base } })
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/^shopfloor_session=; Max-Age=0;/)
    const after = await fetch(`${base}/api/v1/machines`, { headers: { cookie } })
    expect(after.status).toBe(401)
    expect(((await after.json()) as { error: { message: string } }).error.message).toContain('session has ended')
  })

  it('session sign-out and key revocation cut open live streams off at the next heartbeat', async () => {
    const { cookie } = await signIn('plant')
    const bySession = await openStream('/api/v1/live', { cookie })
    const made = await api.keys.create({ name: 'live-stream-revoked', role: 'admin' })
    const byKey = await openStream('/api/v1/live', { authorization: `Bearer ${made.key}` })
    expect([bySession.status, byKey.status]).toEqual([200, 200])
    expect((await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie, origin: base } })).status).toBe(204)
    api.keys.revoke(made.info.id)
    // heartbeatMs is 300 in this file.
    await Promise.race([Promise.all([bySession.closed, byKey.closed]), new Promise((_r, reject) => setTimeout(() => reject(new Error('streams still open 3 s after sign-out and revocation')), 3_000))])
  })

  it('session ends when its API key is revoked', async () => {
    const made = await api.keys.create({ name: 'live-revoked', role: 'admin' })
    const res = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'x-api-key': made.key } })
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string
    expect((await fetch(`${base}/api/v1/machines`, { headers: { cookie } })).status).toBe(200)
    api.keys.revoke(made.info.id)
    expect((await fetch(`${base}/api/v1/machines`, { headers: { cookie } })).status).toBe(401)
  })
})
