import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ApiKeyStore } from '../../api/auth/index.ts'
import { demoAdminKey } from '../../edge/cli/commands/api-key.ts'

const dir = mkdtempSync(join(tmpdir(), 'shopfloor-api-key-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = join(dir, 'keys.json')
const run = (...args: string[]) => spawnSync(process.execPath, ['edge/cli/shopfloor.ts', 'api-key', ...args, '--keys', file], { encoding: 'utf8', timeout: 30_000 })

// Each run starts the CLI (about 1 s of CPU): generous timeouts for a loaded machine.
describe('shopfloor api-key', { timeout: 60_000 }, () => {
  it('shopfloor api-key create prints the key alone on stdout, once, and stores only its hash', async () => {
    const r = run('create', '--name', 'screen-3', '--role', 'plant-engineer', '--factory', 'hcmc/vsip-1/saigon-pcb', '--factory', 'hcmc/vsip-1/binh-hoa-smt')
    expect(r.status, r.stderr).toBe(0)
    const key = r.stdout.trim()
    expect(key).toMatch(/^sfk_[0-9a-f]{12}_[\w-]{43}$/)
    expect(r.stderr).toContain('"screen-3" (plant-engineer of hcmc/vsip-1/saigon-pcb, hcmc/vsip-1/binh-hoa-smt)')
    expect(r.stderr).toContain('shown only now')
    expect(readFileSync(file, 'utf8')).not.toContain(key.slice(17))
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(await ApiKeyStore.open(file).authenticate(key)).toMatchObject({ name: 'screen-3', factories: ['hcmc/vsip-1/saigon-pcb', 'hcmc/vsip-1/binh-hoa-smt'] })
  })

  it('shopfloor api-key list shows the keys without secrets, revoke marks one', () => {
    expect(run('create', '--name', 'erp', '--role', 'analyst').status).toBe(0)
    const list = run('list')
    expect(list.stdout).toMatch(/^[0-9a-f]{12} {2}screen-3 +plant-engineer hcmc\/vsip-1\/saigon-pcb,hcmc\/vsip-1\/binh-hoa-smt {2}created /m)
    expect(list.stdout).toMatch(/^[0-9a-f]{12} {2}erp +analyst {2}created /m)
    expect(list.stdout).not.toContain('scrypt')
    const r = run('revoke', 'erp')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/revoked API key [0-9a-f]{12} "erp"/)
    const json = JSON.parse(run('list', '--json').stdout) as Array<{ name: string; revoked?: string }>
    expect(json.map((k) => [k.name, k.revoked !== undefined])).toEqual([['screen-3', false], ['erp', true]])
  })

  it.each<[string[], number, RegExp]>([
    [['create', '--role', 'admin'], 2, /create needs --name NAME/],
    [['create', '--name', 'x', '--role', 'root'], 2, /--role must be one of admin, plant-engineer, analyst \(got "root"\)/],
    [['create', '--name', 'x', '--role', 'plant-engineer'], 1, /SHOPFLOOR_API_KEYS_INVALID: a plant-engineer key needs at least one factory path/],
    [['revoke', 'nobody'], 1, /SHOPFLOOR_API_KEYS_UNKNOWN: no key with id or name "nobody"/],
    [['rotate'], 2, /unknown action "rotate" \(actions: create, list, revoke\)/],
    [[], 2, /name an action: create, list or revoke/],
  ])('shopfloor api-key %j fails with a message that says what to do', (args, status, message) => {
    const r = run(...args)
    expect(r.status).toBe(status)
    expect(r.stderr).toMatch(message)
    expect(r.stdout).toBe('')
  })
})

describe('demoAdminKey', () => {
  it('demoAdminKey reuses the saved demo key while it works and replaces it once revoked', async () => {
    const store = ApiKeyStore.open(join(dir, 'demo-keys.json'))
    const keyFile = join(dir, 'demo', 'admin.key')
    const first = await demoAdminKey(store, keyFile)
    expect(first.created).toBe(true)
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(await demoAdminKey(store, keyFile)).toEqual({ key: first.key, created: false })
    store.revoke('demo-admin')
    const third = await demoAdminKey(store, keyFile)
    expect(third.created).toBe(true)
    expect(third.key).not.toBe(first.key)
    expect(store.list().filter((k) => k.name === 'demo-admin' && !k.revoked)).toHaveLength(1)
  })
})
