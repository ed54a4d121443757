// The whole flow, end to end: the simulated factory (real node-opcua and Modbus TCP servers) ->
// edge agents -> a real Kafka broker and the in-process transport -> ingest -> chDB -> the API.
// Both paths run at once against the same scenario; each must reproduce the simulator's ground truth.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { FactorySim, silentLogger, type MachineTruth } from '../../connectors/index.ts'
import { EdgeAgent, parseEdgeConfig } from '../../edge/index.ts'
import {
  EVENT_TYPES,
  EventCodec,
  InProcessBus,
  Ingest,
  KafkaPublisher,
  KafkaSubscriber,
  ensureTopics,
  migrate,
  openClickhouse,
  topicFor,
  type Clickhouse,
} from '../../stream/index.ts'
import { loadReference, REFERENCE_DEFAULTS, type OeeResponse, type Reference } from '../../api/index.ts'
import { testApi } from '../support/api.ts'
import { kafkaBrokers, uniqueTopic } from '../support/kafka.ts'
import { waitFor } from '../support/wait.ts'

const LEAD_MS = 4000 // agents connect before the scenario starts, so they see every unit
const DURATION_MS = 30_000
const MICRO_STOP_S = 3 // the scenario's stops last 1.5-7 s: some are micro-stops, some failures
const TOLERANCE = 0.005 // 0.5 percentage points

/**
 * The seed's calendar of the simulated factory has breaks and holidays, and this short run happens
 * at whatever hour and date the test runs: it is judged with all time planned, like its ground
 * truth (test/e2e/full-day.test.ts runs a day against the real calendar).
 */
function allTimePlanned(ref: Reference, factory: string): Reference {
  return { ...ref, factories: ref.factories.map((f) => (f.path === factory ? { ...f, calendar: REFERENCE_DEFAULTS.calendar } : f)) }
}
let reference: Reference
let windowStart: number

interface Path {
  name: string
  store: Clickhouse
  agent: EdgeAgent
  ingest: Ingest
  close: () => Promise<void>
}

let factory: FactorySim
let dir: string
const paths: Path[] = []


beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-e2e-'))
  const start = Date.now() + LEAD_MS
  // Counters start 25 units below 2^32: every machine's PLC counter rolls over during the run.
  factory = await FactorySim.start({ seed: 7, startMs: start, durationMs: DURATION_MS, counterOffset: 2 ** 32 - 25 })
  reference = allTimePlanned(loadReference(), factory.linePath.split('/').slice(0, 3).join('/'))
  const codec = new EventCodec()

  const configFor = (agentId: string) =>
    parseEdgeConfig(stringify(factory.edgeConfig({ agentId, stateDir: join(dir, agentId), pollIntervalMs: 500 })), `${agentId}.yaml`)

  // In-process transport.
  {
    const store = await openClickhouse({ path: join(dir, 'chdb'), database: 'e2e_inprocess' })
    await migrate(store)
    const bus = new InProcessBus()
    const ingest = new Ingest({ clickhouse: store, codec, logger: silentLogger })
    await bus.subscriber.run(ingest.handle)
    const agent = new EdgeAgent({ config: configFor('gw-inproc'), publisher: bus.publisher, codec })
    paths.push({ name: 'in-process', store, agent, ingest, close: () => bus.subscriber.close() })
  }
  // Kafka.
  {
    const store = await openClickhouse({ path: join(dir, 'chdb'), database: 'e2e_kafka' })
    await migrate(store)
    const prefix = uniqueTopic('e2e')
    const topics = EVENT_TYPES.map((t) => topicFor(t, prefix))
    const k = { brokers: kafkaBrokers(), logger: silentLogger }
    await ensureTopics(k, topics)
    const publisher = new KafkaPublisher(k)
    const subscriber = new KafkaSubscriber({ ...k, topics, groupId: `${prefix}-ingest` })
    const ingest = new Ingest({ clickhouse: store, codec, logger: silentLogger })
    await subscriber.run(ingest.handle)
    const agent = new EdgeAgent({ config: configFor('gw-kafka'), publisher, topicPrefix: prefix, codec })
    paths.push({
      name: 'kafka',
      store,
      agent,
      ingest,
      close: async () => {
        await publisher.close()
        await subscriber.close()
      },
    })
  }
  for (const p of paths) await p.agent.start()
  // Units and energy before an agent's first reading of the PLC and the meters are not observable
  // (a counter's first reading is its baseline): on a busy machine connecting can take longer than
  // the lead, and the window then starts a second after both agents have read them.
  for (const p of paths) {
    await waitFor(`${p.name} agent to read the PLC and the meters`, () => p.agent.stats.events.machine_state >= factory.machines.length && p.agent.stats.events.energy_reading >= factory.machines.length, 20_000)
  }
  windowStart = Math.max(start, Date.now() + 1000)
  if (windowStart > start + DURATION_MS / 2) throw new Error(`the agents read the PLC ${windowStart - start} ms into the scenario: too late for its ${DURATION_MS} ms`)

  await new Promise((r) => setTimeout(r, start + DURATION_MS + 1500 - Date.now()))
  for (const p of paths) {
    await p.agent.stop()
    const sent = p.agent.stats.publish.sent
    await waitFor(`${p.name} ingest to store ${sent} events`, () => p.ingest.stats.messages >= sent, 30_000)
  }
}, 120_000)

afterAll(async () => {
  for (const p of paths) {
    await p.close().catch(() => {})
    await p.store.close().catch(() => {})
  }
  await factory?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function expectMatches(got: OeeResponse, truth: MachineTruth): void {
  expect(got.counts.produced).toBe(truth.produced)
  expect(got.counts.rejected).toBe(truth.rejected)
  expect(got.seconds.plannedBusy).toBeCloseTo(truth.plannedBusyMs / 1000, 1)
  for (const k of ['availability', 'performance', 'quality', 'oee'] as const) {
    expect(got[k], k).not.toBeNull()
    expect(Math.abs((got[k] as number) - (truth[k] as number)), `${k}: API ${got[k]} vs truth ${truth[k]}`).toBeLessThanOrEqual(TOLERANCE)
  }
}

describe.each(['in-process', 'kafka'])('pipeline through the %s transport', (name) => {
  const path = (): Path => paths.find((p) => p.name === name) as Path
  const window = (): { from: string; to: string; start: number; end: number } => {
    const start = windowStart
    const end = factory.scenario.startMs + DURATION_MS
    return { from: new Date(start).toISOString(), to: new Date(end).toISOString(), start, end }
  }

  it('pipeline stores every event exactly once and nothing malformed', async () => {
    const p = path()
    expect(p.ingest.stats.malformed).toBe(0)
    const rs = await p.store.client.query({
      query: `SELECT count() AS n, uniqExact(event_id) AS u FROM (
                SELECT event_id FROM ${p.store.database}.machine_state FINAL UNION ALL
                SELECT event_id FROM ${p.store.database}.production_count FINAL UNION ALL
                SELECT event_id FROM ${p.store.database}.energy_reading FINAL UNION ALL
                SELECT event_id FROM ${p.store.database}.agent_heartbeat FINAL)`,
      format: 'JSONEachRow',
    })
    const [row] = await rs.json<{ n: string; u: string }>()
    expect(Number(row?.n)).toBe(p.agent.stats.publish.sent)
    expect(Number(row?.u)).toBe(Number(row?.n))
  })

  it('pipeline lists the simulated line\'s machines in flow order', async () => {
    const api = await testApi({ clickhouse: path().store, reference })
    const res = await api.inject('plant', { method: 'GET', url: '/api/v1/machines' })
    expect(res.statusCode).toBe(200)
    const body = res.json<{ machines: Array<{ id: string; line: string; endOfLine: boolean }> }>()
    expect(body.machines.map((m) => m.id)).toEqual(factory.machines.map((m) => factory.pathOf(m.id)))
    expect(body.machines.every((m) => m.line === factory.linePath)).toBe(true)
    expect(body.machines.at(-1)?.endOfLine).toBe(true)
    await api.close()
  })

  it('pipeline gives every machine the availability, performance, quality and OEE of the ground truth', async () => {
    const api = await testApi({ clickhouse: path().store, reference })
    const w = window()
    for (const m of factory.machines) {
      const res = await api.inject('plant', {
        method: 'GET',
        url: '/api/v1/oee',
        query: { machine: factory.pathOf(m.id), from: w.from, to: w.to, microStop: String(MICRO_STOP_S) },
      })
      expect(res.statusCode, res.body).toBe(200)
      const got = res.json<OeeResponse>()
      const truth = factory.truth(m.id, w.start, w.end, { microStopS: MICRO_STOP_S })
      expect(truth.produced, `${m.id} made units`).toBeGreaterThan(5)
      expectMatches(got, truth)
      expect(got.seconds.microStops).toBeCloseTo(truth.microStopMs / 1000, 1)
      // Energy from the Modbus meters: polled every 500 ms, so each window edge may be off by one poll.
      const maxKw = Math.max(...Object.values(m.kw)) * 1.1
      expect(Math.abs(got.energy.kwh - truth.kwh)).toBeLessThanOrEqual((2 * maxKw * 0.6) / 3600 + 0.002)
    }
    await api.close()
  })

  it('pipeline judges the line by its end-of-line machine at the bottleneck\'s ideal cycle time', async () => {
    const api = await testApi({ clickhouse: path().store, reference })
    const w = window()
    const res = await api.inject('plant', { method: 'GET', url: '/api/v1/oee', query: { line: factory.linePath, from: w.from, to: w.to, microStop: String(MICRO_STOP_S) } })
    expect(res.statusCode, res.body).toBe(200)
    const got = res.json<OeeResponse>()
    expect(got.judgedBy?.machine).toBe(factory.pathOf('aoi'))
    expectMatches(got, factory.lineTruth(w.start, w.end, { microStopS: MICRO_STOP_S }))
    expect(got.machines).toHaveLength(factory.machines.length)
    await api.close()
  })
})
