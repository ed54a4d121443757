// The API as tests build it: a real app (buildApp) over the test's ClickHouse, with one API key per
// role in an in-memory key store. Rate limits are off unless a test asks for them.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp, type ApiOptions } from '../../api/app.ts'
import { ApiKeyStore } from '../../api/auth/index.ts'
import { loadReference, type Reference } from '../../api/reference/index.ts'
import { silentLogger } from '../../connectors/common/logger.ts'
import { EventCodec, Ingest, migrate, openClickhouse, type Clickhouse, type IngestStats, type ShopfloorEvent } from '../../stream/index.ts'

/** The demo factory (connectors/simulator SMT_SITE): the `plant` key's scope. */
export const TEST_FACTORY = 'hcmc/vsip-1/saigon-pcb'
/** A factory the `plant` key may not see: the `otherPlant` key's scope. */
export const OTHER_FACTORY = 'hanoi/thang-long/hn-assembly'

/** admin; plant engineer of TEST_FACTORY; plant engineer of OTHER_FACTORY; analyst. */
export type TestRole = 'admin' | 'plant' | 'otherPlant' | 'analyst'
export const TEST_ROLES: readonly TestRole[] = ['admin', 'plant', 'otherPlant', 'analyst']

export interface TestApi {
  app: FastifyInstance
  keys: ApiKeyStore
  /** The key of each role. */
  key: Record<TestRole, string>
  /** `{ authorization: 'Bearer <key>' }` of a role, for app.inject's headers. */
  auth(role: TestRole): { authorization: string }
  /** app.inject as a role (null: without a key). */
  inject(role: TestRole | null, opts: InjectOptions): Promise<LightMyRequestResponse>
  close(): Promise<void>
}

let shared: Promise<{ keys: ApiKeyStore; key: Record<TestRole, string> }> | undefined

/** One key store per test process (scrypt makes each key cost ~50 ms). */
export function testKeys(): Promise<{ keys: ApiKeyStore; key: Record<TestRole, string> }> {
  shared ??= (async () => {
    const keys = ApiKeyStore.memory()
    const key = {
      admin: (await keys.create({ name: 'test-admin', role: 'admin' })).key,
      plant: (await keys.create({ name: 'test-plant', role: 'plant-engineer', factories: [TEST_FACTORY] })).key,
      otherPlant: (await keys.create({ name: 'test-other-plant', role: 'plant-engineer', factories: [OTHER_FACTORY] })).key,
      analyst: (await keys.create({ name: 'test-analyst', role: 'analyst' })).key,
    }
    return { keys, key }
  })()
  return shared
}

let reference: Reference | undefined

/** The shipped seed (api/seed), read once per test process. */
export function testReference(): Reference {
  reference ??= loadReference()
  return reference
}

/**
 * Builds the app for a test; `keys` defaults to the shared test keys, `reference` to the shipped
 * seed, `rateLimit` to false. Call close() in afterAll.
 */
export async function testApi(opts: Omit<ApiOptions, 'keys'> & { keys?: ApiKeyStore }): Promise<TestApi> {
  const { keys, key } = await testKeys()
  const app = await buildApp({ rateLimit: false, reference: testReference(), ...opts, keys: opts.keys ?? keys })
  await app.ready()
  const auth = (role: TestRole): { authorization: string } => ({ authorization: `Bearer ${key[role]}` })
  return {
    app,
    keys: opts.keys ?? keys,
    key,
    auth,
    inject: (role, o) => app.inject({ ...o, headers: { ...(role ? auth(role) : {}), ...(o.headers ?? {}) } }),
    close: () => app.close(),
  }
}

/** A migrated chDB database of its own for a test file, in a temporary directory removed by close(). */
export async function testStore(database: string): Promise<{ ch: Clickhouse; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `shopfloor-${database}-`))
  const ch = await openClickhouse({ path: join(dir, 'chdb'), database })
  await migrate(ch)
  return {
    ch,
    close: async () => {
      await ch.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Stores events the way production does: encoded, then through the ingest worker's batch handler
 * (watermarks, prev_state, the rollup views). Returns ingest's counters for the test to check.
 */
export async function storeEvents(ch: Clickhouse, events: readonly ShopfloorEvent[]): Promise<IngestStats> {
  const codec = new EventCodec()
  const ingest = new Ingest({ clickhouse: ch, codec, logger: silentLogger })
  await ingest.handle(events.map((e, i) => ({ topic: `shopfloor.${e.type}`, key: null, value: codec.encode(e), partition: 0, offset: String(i) })))
  return ingest.stats
}

/** A machine as its agent announces it (the registry row in ClickHouse). */
export interface AnnouncedMachine {
  /** Line path region/park/factory/area/line. */
  line: string
  /** Last path segment. */
  id: string
  position: number
  endOfLine: boolean
  /** Epoch ms of the announcement; the latest per machine wins. */
  updated: number
  name?: string
  idealCycleS?: number
  lineIdealCycleS?: number
  agent?: string
}

/** Writes machine registry rows as the agents' heartbeats would. */
export async function announceMachines(ch: Clickhouse, machines: readonly AnnouncedMachine[]): Promise<void> {
  await ch.client.insert({
    table: `${ch.database}.machines`,
    format: 'JSONEachRow',
    values: machines.map((m) => ({
      machine: `${m.line}/${m.id}`,
      factory: m.line.split('/').slice(0, 3).join('/'),
      line: m.line,
      name: m.name ?? `Machine ${m.id}`,
      position: m.position,
      ideal_cycle_s: m.idealCycleS ?? 10 + m.position,
      line_ideal_cycle_s: m.lineIdealCycleS ?? 30,
      end_of_line: m.endOfLine,
      agent_id: m.agent ?? 'gw-1',
      updated: m.updated,
    })),
  })
}
