import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ApiKeyError, ApiKeyStore, RELOAD_INTERVAL_MS, type NewApiKey } from '../../api/auth/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'shopfloor-keys-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('ApiKeyStore', () => {
  it('ApiKeyStore authenticates a new key as its role and scope, and nothing else', async () => {
    const store = ApiKeyStore.memory()
    const { key, info } = await store.create({ name: 'screen-1', role: 'plant-engineer', factories: ['hcmc/vsip-1/saigon-pcb'] })
    expect(key).toMatch(/^sfk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)
    expect(key.slice(4, 16)).toBe(info.id)
    expect(await store.authenticate(key)).toEqual({ keyId: info.id, name: 'screen-1', role: 'plant-engineer', factories: ['hcmc/vsip-1/saigon-pcb'] })
    // Same id, another secret; a secret one character off; not a key at all.
    const other = `sfk_${info.id}_${'A'.repeat(43)}`
    const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')
    for (const bad of [other, flipped, '', 'sfk_', key + 'x', key.toUpperCase(), `sfk_000000000000_${key.slice(17)}`]) expect(await store.authenticate(bad), bad).toBeNull()
  })

  it('ApiKeyStore remembers a verified key without keeping its secret', async () => {
    const store = ApiKeyStore.memory()
    const { key } = await store.create({ name: 'fast', role: 'analyst' })
    await store.authenticate(key)
    const t = performance.now()
    for (let i = 0; i < 100; i++) expect(await store.authenticate(key)).not.toBeNull()
    expect((performance.now() - t) / 100).toBeLessThan(5) // scrypt alone takes tens of ms
  })

  it('ApiKeyStore refuses a revoked key at once, by id or by name', async () => {
    const store = ApiKeyStore.memory()
    const a = await store.create({ name: 'a', role: 'admin' })
    const b = await store.create({ name: 'b', role: 'admin' })
    expect(await store.authenticate(a.key)).not.toBeNull()
    expect(store.revoke(a.info.id).revoked).toBeDefined()
    expect(store.revoke('b').revoked).toBeDefined()
    expect(await store.authenticate(a.key)).toBeNull()
    expect(await store.authenticate(b.key)).toBeNull()
    expect(store.list().map((k) => [k.name, k.revoked !== undefined])).toEqual([['a', true], ['b', true]])
    // The name is free again once revoked.
    expect((await store.create({ name: 'a', role: 'analyst' })).info.role).toBe('analyst')
  })

  it.each<[string, NewApiKey, RegExp]>([
    ['a plant engineer without factories', { name: 'x', role: 'plant-engineer' }, /needs at least one factory path/],
    ['an admin with factories', { name: 'x', role: 'admin', factories: ['a/b/c'] }, /a admin key takes no factories/],
    ['an analyst with factories', { name: 'x', role: 'analyst', factories: ['a/b/c'] }, /takes no factories/],
    ['a factory that is not a factory path', { name: 'x', role: 'plant-engineer', factories: ['hcmc/vsip-1'] }, /factory "hcmc\/vsip-1" must be a factory path region\/park\/factory/],
    ['a machine path as factory', { name: 'x', role: 'plant-engineer', factories: ['a/b/c/d/e/f'] }, /must be a factory path/],
    ['an unknown role', { name: 'x', role: 'root' as 'admin' }, /role "root" must be one of admin, plant-engineer, analyst/],
    ['an empty name', { name: '', role: 'admin' }, /key name "" must be 1-64/],
    ['a name with spaces', { name: 'my key', role: 'admin' }, /key name "my key"/],
  ])('ApiKeyStore refuses to create %s', async (_what, spec, message) => {
    const err = await ApiKeyStore.memory().create(spec).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiKeyError)
    expect((err as ApiKeyError).code).toBe('SHOPFLOOR_API_KEYS_INVALID')
    expect((err as Error).message).toMatch(message)
  })

  it('ApiKeyStore refuses a second active key of the same name, and revoking an unknown key', async () => {
    const store = ApiKeyStore.memory()
    await store.create({ name: 'dup', role: 'admin' })
    await expect(store.create({ name: 'dup', role: 'admin' })).rejects.toThrow(/a key named "dup" exists already/)
    expect(() => store.revoke('nope')).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_API_KEYS_UNKNOWN', message: expect.stringContaining('"nope"') }))
  })

  it('ApiKeyStore keeps only scrypt hashes, in a file only its owner can read', async () => {
    const file = join(dir, 'sub', 'keys.json')
    const store = ApiKeyStore.open(file)
    const { key, info } = await store.create({ name: 'erp', role: 'analyst' })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(key.slice(17))
    expect(JSON.parse(text).keys[0]).toMatchObject({ id: info.id, name: 'erp', role: 'analyst', hash: expect.stringMatching(/^scrypt:16384:8:1:/) })
    // Another process (here: another store on the same file) sees the key.
    expect(await ApiKeyStore.open(file).authenticate(key)).toMatchObject({ keyId: info.id, role: 'analyst' })
  })

  it('ApiKeyStore sees a key revoked by another process within the reload interval', async () => {
    const file = join(dir, 'shared.json')
    const server = ApiKeyStore.open(file)
    const { key, info } = await server.create({ name: 'screen', role: 'admin' })
    expect(await server.authenticate(key)).not.toBeNull()
    ApiKeyStore.open(file).revoke(info.id)
    await new Promise((r) => setTimeout(r, RELOAD_INTERVAL_MS + 50))
    expect(await server.authenticate(key)).toBeNull()
  })

  it.each<[string, string, number, RegExp]>([
    ['not JSON', '{"version":1,', 0o600, /is not valid JSON/],
    ['of another version', '{"version":2,"keys":[]}', 0o600, /version/],
    ['with an unknown role', JSON.stringify({ version: 1, keys: [{ id: '0123456789ab', name: 'x', role: 'root', factories: [], created: '', hash: 'scrypt:1:1:1:a:b' }] }), 0o600, /keys\[0\]\.role/],
    ['readable by others', '{"version":1,"keys":[]}', 0o644, /is readable by others \(mode 644\): run chmod 600/],
  ])('ApiKeyStore refuses a keys file %s, naming the file', (_what, text, mode, message) => {
    const file = join(dir, `bad-${mode}-${text.length}.json`)
    writeFileSync(file, text)
    chmodSync(file, mode)
    utimesSync(file, new Date(), new Date())
    expect(() => ApiKeyStore.open(file)).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_API_KEYS_FILE', message: expect.stringMatching(message) }))
    expect(() => ApiKeyStore.open(file)).toThrow(file)
  })

  it('ApiKeyStore starts empty when the keys file does not exist yet', () => {
    expect(ApiKeyStore.open(join(dir, 'none', 'keys.json')).list()).toEqual([])
  })
})
