// The golden KPI cases (test/golden/<case>/) end to end: each case's events go through the real
// ingest path (Avro codec, Ingest, ClickHouse rows and rollups in chDB), then the real API
// (buildApp + app.inject) answers the case's queries, and every expected number is compared.
// The cases' files and READMEs are checked by test/unit/golden.test.ts.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadReference, type Reference } from '../../api/reference/index.ts'
import { migrate, openClickhouse, type Clickhouse } from '../../stream/index.ts'
import { caseEvents, goldenCaseNames, loadGoldenCase, mismatches, ms, referenceFor, type GoldenCase } from '../golden/golden-case.ts'
import { storeEvents, testApi, type TestApi } from '../support/api.ts'

const DEFAULT_NOW = '2027-01-01T00:00:00+07:00'

let dir: string
let root: Clickhouse
let base: Reference

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-golden-'))
  root = await openClickhouse({ path: join(dir, 'chdb'), database: 'golden_root' })
  base = loadReference(undefined, {})
})
afterAll(async () => {
  await root?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** A database of its own, migrated, holding the case's events as ingest stored them. */
async function ingestCase(c: GoldenCase): Promise<Clickhouse> {
  const database = `golden_${c.name.replaceAll('-', '_')}`
  const ch = { ...root, database }
  await root.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` })
  await migrate(ch)
  const events = caseEvents(c)
  const stats = await storeEvents(ch, events)
  expect(stats.malformed, `${c.name}: events ingest could not store`).toBe(0)
  expect(stats.messages).toBe(events.length)
  return ch
}

/**
 * Cases whose expected numbers are right but which the API does not meet yet, with the reason.
 * Each is listed as skipped in every run and named in the open issue's note.
 */
const NOT_MET_YET: Record<string, string> = {}

for (const name of goldenCaseNames()) {
  const c = loadGoldenCase(name)
  const notMet = NOT_MET_YET[name]
  ;(notMet ? describe.skip : describe)(`golden ${name}${notMet ? ` (not met yet: ${notMet})` : ''}`, () => {
    let api: TestApi
    beforeAll(async () => {
      const ch = await ingestCase(c)
      const now = ms(c.input.now ?? DEFAULT_NOW)
      api = await testApi({ clickhouse: ch, reference: referenceFor(base, c.input), now: () => now })
    })
    afterAll(async () => {
      await api?.close()
    })

    for (const q of c.expected.queries) {
      it(`golden ${name}: ${q.name} (${q.route}) gives every number of expected.yaml`, async () => {
        const query = Object.fromEntries(Object.entries(q.params).map(([k, v]) => [k, String(v)]))
        expect(api.app.hasRoute({ method: 'GET', url: q.route }), `route GET ${q.route} is not registered in buildApp`).toBe(true)
        const res = await api.inject('admin', { method: 'GET', url: q.route, query })
        expect(res.statusCode, res.body).toBe(200)
        expect(mismatches(res.json(), q.expect).join('\n'), `${name}/expected.yaml, query "${q.name}"`).toBe('')
      })
    }
  })
}
