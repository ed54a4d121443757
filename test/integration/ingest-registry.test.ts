// The schema registry wiring end to end, as the commands do it when SCHEMA_REGISTRY_URL is set:
// gateways frame their events in the Confluent wire format with the ids the registry assigns
// (edge/cli/pipeline.ts openCodec), the `shopfloor ingest` command (a process of its own, same
// environment) reads them from Kafka through the same registry into chDB. Among the gateways, an
// older one that ships only the first version of the energy-reading schema: ingest resolves its
// events by the registry id they carry.
import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { silentLogger } from '../../connectors/common/logger.ts'
import { openCodec } from '../../edge/cli/pipeline.ts'
import { EventCodec, KafkaPublisher, SCHEMA_DIR, SchemaRegistryClient, ensureTopics, eventKey, openClickhouse, topicFor, type ShopfloorEvent } from '../../stream/index.ts'
import { kafkaBrokers, uniqueTopic } from '../support/kafka.ts'
import { startApicurio, type TestRegistry } from '../support/registry.ts'
import { waitFor } from '../support/wait.ts'
import { expectExactly, expectRollupsMatchRaw, factoryEvents, groupCaughtUp, topicsOf } from './ingest-fixture.ts'

const repo = resolve(import.meta.dirname, '..', '..')
let registry: TestRegistry | undefined
let dir = ''

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-ingest-registry-'))
  registry = await startApicurio()
}, 600_000)

afterAll(async () => {
  await registry?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
}, 30_000)

it('events framed with registry ids, from current and older gateways, are stored exactly once by `shopfloor ingest` with SCHEMA_REGISTRY_URL', async () => {
  const url = (registry as TestRegistry).url
  const prefix = uniqueTopic('registry-e2e')
  const brokers = kafkaBrokers()
  await ensureTopics({ brokers, logger: silentLogger, partitions: 3 }, topicsOf(prefix))

  // The older gateway registers energy-reading v1 (its newest), then the current ones register v2.
  const v1Dir = mkdtempSync(join(dir, 'schemas-v1-'))
  for (const f of readdirSync(SCHEMA_DIR).filter((x) => x.includes('.v1.'))) copyFileSync(join(SCHEMA_DIR, f), join(v1Dir, f))
  const old = new EventCodec({ schemaDir: v1Dir, registry: new SchemaRegistryClient({ url }), topicPrefix: prefix })
  await old.ready()
  const saved = process.env['SCHEMA_REGISTRY_URL']
  process.env['SCHEMA_REGISTRY_URL'] = url
  let current: EventCodec
  try {
    current = await openCodec(prefix, silentLogger)
  } finally {
    if (saved === undefined) delete process.env['SCHEMA_REGISTRY_URL']
    else process.env['SCHEMA_REGISTRY_URL'] = saved
  }
  expect(current.wireFormat).toBe('confluent')
  expect(old.schemaOf('energy_reading').version).toBe(1)

  // The energy readings of one machine come from the older gateway.
  const events = factoryEvents(3000, 23)
  const oldMachine = (events.find((e) => e.type === 'energy_reading') as ShopfloorEvent & { type: 'energy_reading' }).event.machine
  const fromOld = (e: ShopfloorEvent): boolean => e.type === 'energy_reading' && e.event.machine === oldMachine
  const publisher = new KafkaPublisher({ brokers, logger: silentLogger })
  const ids = new Set<number>()
  try {
    for (let i = 0; i < events.length; i += 1000) {
      await publisher.send(
        events.slice(i, i + 1000).map((e) => {
          const value = (fromOld(e) ? old : current).encode(e)
          expect(value[0]).toBe(0) // Confluent magic byte, then the schema id
          ids.add(value.readUInt32BE(1))
          return { topic: topicFor(e.type, prefix), key: eventKey(e), value }
        }),
      )
    }
  } finally {
    await publisher.close()
  }
  expect(ids.size).toBe(6) // five current schemas and the old energy-reading one

  // `shopfloor ingest`, configured by its environment only.
  const database = 'registry_e2e'
  const group = `${prefix}-ingest`
  const child = spawn(process.execPath, [join(repo, 'edge', 'cli', 'shopfloor.ts'), 'ingest', '--topic-prefix', prefix, '--group', group], {
    cwd: dir,
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: url, CLICKHOUSE_DATABASE: database, CLICKHOUSE_URL: '', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-20_000)))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-20_000)))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  try {
    await waitFor(
      'shopfloor ingest to commit every partition',
      async () => {
        if (child.exitCode !== null) throw new Error(`shopfloor ingest exited ${child.exitCode}:\n${output}`)
        return groupCaughtUp(brokers, group, topicsOf(prefix)).catch(() => false) // the group's coordinator may not be known yet
      },
      120_000,
    )
  } finally {
    child.kill('SIGTERM')
  }
  expect(await exited).toBe(0)

  const store = await openClickhouse({ path: join(dir, 'data', 'chdb'), database })
  try {
    await expectExactly(store, events)
    await expectRollupsMatchRaw(store)
    // The older gateway's readings resolved through v1: no reactive energy; the others keep theirs.
    const rs = await store.client.query({
      query: `SELECT machine = {m:String} AS old, count() AS n, countIf(kvarh IS NULL) AS no_kvarh FROM ${database}.energy_reading FINAL GROUP BY old ORDER BY old`,
      query_params: { m: oldMachine },
      format: 'JSONEachRow',
    })
    const byOld = await rs.json<{ old: number; n: string; no_kvarh: string }>()
    const oldCount = events.filter(fromOld).length
    expect(byOld.map((r) => [Number(r.old), Number(r.n), Number(r.no_kvarh)])).toEqual([
      [0, events.filter((e) => e.type === 'energy_reading').length - oldCount, events.filter((e) => e.type === 'energy_reading' && !fromOld(e) && e.event.kvarh == null).length],
      [1, oldCount, oldCount],
    ])
  } finally {
    await store.close()
  }
}, 300_000)
