// The API serves the built dashboard at / without a key (the page holds no data), its hashed
// assets as immutable files, and explains itself when no build is there.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClickHouseLogLevel, createClient } from '@clickhouse/client'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../api/app.ts'
import { routeTable } from '../../api/auth/index.ts'
import { dashboardDir } from '../../api/dashboard/serve.ts'
import type { Clickhouse } from '../../stream/index.ts'
import { testKeys, testReference } from '../support/api.ts'
import { freePort } from '../support/wait.ts'

let down: Clickhouse
let dir: string
const saved = process.env['SHOPFLOOR_DASHBOARD_DIR']

async function appServing(built: string): Promise<FastifyInstance> {
  process.env['SHOPFLOOR_DASHBOARD_DIR'] = built
  try {
    const app = await buildApp({ clickhouse: down, keys: (await testKeys()).keys, reference: testReference(), rateLimit: false })
    await app.ready()
    return app
  } finally {
    if (saved === undefined) delete process.env['SHOPFLOOR_DASHBOARD_DIR']
    else process.env['SHOPFLOOR_DASHBOARD_DIR'] = saved
  }
}

beforeAll(() => {
  const url = `http://127.0.0.1:65000`
  const client = createClient({ url, request_timeout: 1000, log: { level: ClickHouseLogLevel.OFF } })
  down = { client, database: 'nowhere', describe: url, close: () => client.close() }
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-dashboard-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>shopfloor</title><script type="module" src="/assets/index-abc123.js"></script>')
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)')
  writeFileSync(join(dir, 'secret.txt'), 'not an asset')
})
afterAll(async () => {
  await down.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('dashboard serving', () => {
  it('dashboard page is served at / without a key, never cached, with a same-origin CSP', async () => {
    const app = await appServing(dir)
    const res = await app.inject({ url: '/' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.body).toContain('/assets/index-abc123.js')
    expect(res.headers['cache-control']).toBe('no-cache')
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/)
    await app.close()
  })

  it('dashboard assets are immutable; a missing one is the API 404, a path outside assets/ a 400', async () => {
    const app = await appServing(dir)
    const js = await app.inject({ url: '/assets/index-abc123.js' })
    expect(js.statusCode).toBe(200)
    expect(js.headers['content-type']).toMatch(/javascript/)
    expect(js.headers['cache-control']).toMatch(/immutable/)
    const missing = await app.inject({ url: '/assets/index-zzz.js' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error.code).toBe('SHOPFLOOR_API_NOT_FOUND')
    for (const url of ['/assets/..%2Fsecret.txt', '/assets/%2E%2E%2Fsecret.txt']) {
      const res = await app.inject({ url })
      expect(res.statusCode, url).toBe(400)
      expect(res.json().error.code).toBe('SHOPFLOOR_API_BAD_PARAM')
    }
    expect((await app.inject({ url: '/assets/../secret.txt' })).body).not.toContain('not an asset')
    await app.close()
  })

  it('dashboard routes declare public access', async () => {
    const app = await appServing(dir)
    const routes = routeTable(app).filter((r) => r.url === '/' || r.url === '/assets/:file')
    expect(routes.filter((r) => r.method === 'GET').map((r) => [r.url, r.access])).toEqual([
      ['/', 'public'],
      ['/assets/:file', 'public'],
    ])
    await app.close()
  })

  it('dashboard page says how to build it when there is no build (503), and the API still answers', async () => {
    const app = await appServing(join(dir, 'nowhere'))
    const res = await app.inject({ url: '/' })
    expect(res.statusCode).toBe(503)
    expect(res.body).toContain('npm run build:dashboard')
    expect((await app.inject({ url: '/api/v1/factories' })).statusCode).toBe(401)
    await app.close()
  })

  it('dashboard directory defaults to dist/dashboard of the checkout and follows SHOPFLOOR_DASHBOARD_DIR', () => {
    expect(dashboardDir({})).toBe(join(import.meta.dirname, '../../dist/dashboard'))
    expect(dashboardDir({ SHOPFLOOR_DASHBOARD_DIR: '/srv/dash' })).toBe('/srv/dash')
  })
})
