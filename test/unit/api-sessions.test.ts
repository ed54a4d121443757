import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKeyStore, SessionStore, cookieValue, sessionCookie, type Principal } from '../../api/auth/index.ts'

const HOUR = 3600_000
let keys: ApiKeyStore
let admin: Principal
let plant: Principal
let dir: string

beforeAll(async () => {
  keys = ApiKeyStore.memory()
  const a = await keys.create({ name: 'sess-admin', role: 'admin' })
  const p = await keys.create({ name: 'sess-plant', role: 'plant-engineer', factories: ['hcmc/vsip-1/saigon-pcb'] })
  admin = (await keys.authenticate(a.key))!
  plant = (await keys.authenticate(p.key))!
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-sessions-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function clocked(opts: { idleMs?: number; maxAgeMs?: number; maxPerKey?: number; file?: string } = {}) {
  const clock = { t: Date.UTC(2026, 10, 22) }
  const store = new SessionStore(keys, { ...opts, now: () => clock.t })
  return { store, clock }
}

describe('SessionStore', () => {
  it('SessionStore opens a session whose token finds the key\'s principal, and nothing else does', () => {
    const { store } = clocked()
    const { token, expires } = store.create(plant)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(store.authenticate(token)).toEqual({ principal: { ...plant }, expires })
    for (const bad of ['', 'x', token.slice(1), `${token}x`, token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))]) expect(store.authenticate(bad)).toBeNull()
  })

  it.each<[string, boolean, (s: SessionStore, c: { t: number }, token: string) => void]>([
    ['used within the idle time', true, (s, c, tk) => ((c.t += 11 * HOUR), s.authenticate(tk), (c.t += 11 * HOUR))],
    ['idle for 12 h', false, (_s, c) => void (c.t += 12 * HOUR)],
    ['used every 11 h past the 7th day', false, (s, c, tk) => { for (let i = 0; i < 16; i++) (c.t += 11 * HOUR), s.authenticate(tk) }],
    ['signed out', false, (s, _c, tk) => void s.revoke(tk)],
  ])('SessionStore: a session %s is valid: %s', (_what, valid, act) => {
    const { store, clock } = clocked()
    const { token } = store.create(admin)
    act(store, clock, token)
    expect(store.authenticate(token) !== null).toBe(valid)
  })

  it('SessionStore ends the sessions of a revoked key', async () => {
    const made = await keys.create({ name: 'sess-soon-revoked', role: 'analyst' })
    const principal = (await keys.authenticate(made.key))!
    const { store } = clocked()
    const { token } = store.create(principal)
    expect(store.authenticate(token)?.principal.role).toBe('analyst')
    keys.revoke(made.info.id)
    expect(store.authenticate(token)).toBeNull()
  })

  it('SessionStore keeps at most maxPerKey sessions per key, ending the oldest', () => {
    const { store, clock } = clocked({ maxPerKey: 2 })
    const tokens = [1, 2, 3].map(() => ((clock.t += 1000), store.create(admin).token))
    const other = store.create(plant).token
    expect(tokens.map((t) => store.authenticate(t) !== null)).toEqual([false, true, true])
    expect(store.authenticate(other)).not.toBeNull()
  })

  it('SessionStore keeps its table in a file only its owner reads, holding no token, across restarts', () => {
    const file = join(dir, 'sessions.json')
    const { store } = clocked({ file })
    const { token } = store.create(plant)
    const ended = store.create(admin).token
    store.revoke(ended)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(token)
    const again = clocked({ file }).store
    expect(again.authenticate(token)?.principal.name).toBe('sess-plant')
    expect(again.authenticate(ended)).toBeNull()
    // A damaged file costs a sign-in, not the API's start.
    writeFileSync(file, '{not json', { mode: 0o600 })
    expect(clocked({ file }).store.authenticate(token)).toBeNull()
  })

  it('SessionStore keeps signing in, in memory, when its file cannot be written', () => {
    const blocker = join(dir, 'not-a-dir')
    writeFileSync(blocker, 'x')
    const warned: unknown[] = []
    const logger = { warn: (o: unknown) => warned.push(o), info: () => {} } as unknown as NonNullable<ConstructorParameters<typeof SessionStore>[1]>['logger']
    const store = new SessionStore(keys, { file: join(blocker, 'sessions.json'), ...(logger ? { logger } : {}) })
    const a = store.create(admin).token
    const b = store.create(plant).token
    expect([store.authenticate(a)?.principal.name, store.authenticate(b)?.principal.name]).toEqual(['sess-admin', 'sess-plant'])
    // Once for the read at start, once for the first write: not at every sign-in.
    expect(warned).toHaveLength(2)
  })

  it.each([['idleMs', 0], ['maxAgeMs', -1], ['maxPerKey', 1.5]] as const)('SessionStore refuses %s = %s', (k, v) => {
    expect(() => new SessionStore(keys, { [k]: v })).toThrow(new RegExp(`${k} must be a positive integer`))
  })
})

describe('session cookie', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['shopfloor_session=abc', 'abc'],
    ['a=1; shopfloor_session=abc; b=2', 'abc'],
    ['xshopfloor_session=abc', undefined],
    ['shopfloor_session', undefined],
  ])('cookieValue reads %j as %j', (header, value) => {
    expect(cookieValue(header, 'shopfloor_session')).toBe(value)
  })

  it('sessionCookie sets HttpOnly, SameSite=Strict, Path=/ and Secure over https, and clears with Max-Age=0', () => {
    expect(sessionCookie('tok', { secure: false, maxAgeS: 60.7 })).toBe('shopfloor_session=tok; Max-Age=60; Path=/; HttpOnly; SameSite=Strict')
    expect(sessionCookie('tok', { secure: true, maxAgeS: 60 })).toBe('shopfloor_session=tok; Max-Age=60; Path=/; HttpOnly; SameSite=Strict; Secure')
    expect(sessionCookie(null, { secure: false })).toBe('shopfloor_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict')
  })
})
