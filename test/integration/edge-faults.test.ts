// Faults the gateway meets, with the agent run as plant IT runs it (`shopfloor edge --config`, a
// child process) against a Kafka broker of the test's own that can be stopped, and ingest into
// chDB in this process. Each case ends by counting what reached ClickHouse.
//
// How "nothing lost" is checked: an agent numbers its events 0, 1, 2, ... within a run (a restart
// continues at the next block of 100,000), so the events of a run that reached ClickHouse must
// be a gap-free range of sequence numbers. "Nothing duplicated": ClickHouse holds each event id once.
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { FactorySim, silentLogger } from '../../connectors/index.ts'
import { ensureTopics, EVENT_TYPES, EventCodec, Ingest, kafkaClient, KafkaSubscriber, migrate, openClickhouse, topicFor, type Clickhouse } from '../../stream/index.ts'
import { startOwnBroker, type OwnBroker } from '../support/kafka-broker.ts'
import { uniqueTopic } from '../support/kafka.ts'
import { freePort, waitFor } from '../support/wait.ts'

let broker: OwnBroker
let store: Clickhouse
let dir: string
const subscribers: KafkaSubscriber[] = []
const agents: ChildProcess[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-faults-'))
  broker = await startOwnBroker({ name: 'faults' })
  store = await openClickhouse({ path: join(dir, 'chdb'), database: 'faults' })
  await migrate(store)
}, 180_000)

afterAll(async () => {
  for (const a of agents) if (a.exitCode === null) a.kill('SIGKILL')
  for (const s of subscribers) await s.close().catch(() => {})
  await store?.close()
  await broker?.destroy()
  rmSync(dir, { recursive: true, force: true })
})

/** Ingest of one topic prefix into the shared chDB store, as `shopfloor ingest` does. */
async function ingestFrom(prefix: string): Promise<void> {
  const topics = EVENT_TYPES.map((t) => topicFor(t, prefix))
  await ensureTopics({ brokers: [broker.address], logger: silentLogger }, topics)
  const subscriber = new KafkaSubscriber({ brokers: [broker.address], logger: silentLogger, topics, groupId: `${prefix}-ingest` })
  subscribers.push(subscriber)
  await subscriber.run(new Ingest({ clickhouse: store, codec: new EventCodec(), logger: silentLogger }).handle)
}

interface AgentProcess {
  child: ChildProcess
  log: () => string
  metrics: () => Promise<Map<string, number>>
  exited: Promise<number | null>
}

function writeConfig(name: string, config: Record<string, unknown>): string {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, stringify(config))
  return file
}

function startAgent(file: string, healthPort: number): AgentProcess {
  const child = spawn(process.execPath, ['edge/cli/shopfloor.ts', 'edge', '--config', file], {
    env: { ...process.env, KAFKA_BROKERS: '', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  agents.push(child)
  let out = ''
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    log: () => out,
    exited,
    metrics: async () => {
      const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text()
      const m = new Map<string, number>()
      for (const line of text.split('\n')) {
        const hit = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line)
        if (hit) m.set(hit[1] as string, Number(hit[2]))
      }
      return m
    },
  }
}

async function healthUp(port: number): Promise<void> {
  await waitFor('the agent health server', async () => fetch(`http://127.0.0.1:${port}/healthz/live`).then((r) => r.ok, () => false), 30_000)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Stored {
  type: string
  seq: number
  event_id: string
  machine: string
  ts: number
  state?: string
  reason?: string | null
}

/** Every event of an agent in ClickHouse (deduplicated as the API reads them), and the raw row count. */
async function stored(agentId: string): Promise<{ rows: Stored[]; distinct: number }> {
  const rows: Stored[] = []
  let distinct = 0
  for (const type of EVENT_TYPES) {
    const extra = type === 'machine_state' ? ', state, reason' : ''
    const machine = type === 'agent_heartbeat' ? "'' AS machine" : 'machine'
    const r = await store.client.query({
      query: `SELECT '${type}' AS type, seq, event_id, ${machine}, toUnixTimestamp64Milli(ts) AS ts${extra} FROM ${store.database}.${type} FINAL WHERE agent_id = {a:String}`,
      query_params: { a: agentId },
      format: 'JSONEachRow',
    })
    const got = (await r.json()) as Array<Stored & { seq: string | number; ts: string | number }>
    rows.push(...got.map((g) => ({ ...g, seq: Number(g.seq), ts: Number(g.ts) })))
    const d = await store.client.query({
      query: `SELECT uniqExact(event_id) AS n FROM ${store.database}.${type} WHERE agent_id = {a:String}`,
      query_params: { a: agentId },
      format: 'JSONEachRow',
    })
    distinct += Number(((await d.json()) as Array<{ n: string }>)[0]?.n ?? 0)
  }
  return { rows: rows.sort((a, b) => a.seq - b.seq), distinct }
}

/**
 * Where the events of `seqs` are, for a failure message: in Kafka (then ingest lost them) or not
 * (then the agent did). Reads every topic of the prefix from the beginning.
 */
async function whereAre(prefix: string, agentId: string, seqs: number[]): Promise<string> {
  if (seqs.length === 0) return ''
  const codec = new EventCodec()
  const kafka = kafkaClient({ brokers: [broker.address], logger: silentLogger })
  const admin = kafka.admin()
  await admin.connect()
  const topics = EVENT_TYPES.map((t) => topicFor(t, prefix))
  const ends = new Map<string, number>()
  for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, Number(p.high))
  await admin.disconnect()
  const found = new Map<number, string[]>()
  const consumer = kafka.consumer({ groupId: uniqueTopic('diag') })
  await consumer.connect()
  await consumer.subscribe({ topics, fromBeginning: true })
  const remaining = new Set([...ends].filter(([, end]) => end > 0).map(([k]) => k))
  await new Promise<void>((resolve) => {
    if (remaining.size === 0) resolve()
    void consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const e = codec.decode(message.value ?? Buffer.alloc(0))
        if (e.event.agent_id === agentId && seqs.includes(e.event.seq)) found.set(e.event.seq, [...(found.get(e.event.seq) ?? []), `${e.type}@${topic.slice(-14)}/${partition}:${message.offset}`])
        if (Number(message.offset) + 1 >= (ends.get(`${topic}/${partition}`) ?? 0)) remaining.delete(`${topic}/${partition}`)
        if (remaining.size === 0) resolve()
      },
    })
  })
  await consumer.disconnect()
  return seqs.map((q) => `${q}: ${found.get(q)?.join(', ') ?? 'not in Kafka'}`).join('; ')
}

/**
 * Waits until ingest has stored the agent's last event (its AGENT_STOPPED states) and every event
 * before it: partitions catch up at their own pace after a broker restart, so the last event of one
 * topic can be stored while another topic still has a backlog. Gives up after 90 s, and the
 * assertions that follow then show what is missing and where it is.
 */
async function caughtUp(agentId: string): Promise<void> {
  await waitFor(
    'ingest to store every event of the run',
    async () => {
      const { rows } = await stored(agentId)
      if (!rows.some((r) => r.reason === 'AGENT_STOPPED')) return false
      const blocks = new Set(rows.map((r) => Math.floor(r.seq / 100_000)))
      return [...blocks].every((b) => gapsIn(rows.map((r) => r.seq), b).length === 0)
    },
    90_000,
  ).catch(() => {})
}

/** The sequence numbers of one run (block of 100,000) must be gap-free from the block's start. */
function gapsIn(seqs: number[], block: number): number[] {
  const run = seqs.filter((s) => Math.floor(s / 100_000) === block).sort((a, b) => a - b)
  const missing: number[] = []
  for (let i = 1; i < run.length; i++) for (let s = (run[i - 1] as number) + 1; s < (run[i] as number); s++) missing.push(s)
  if (run.length > 0 && run[0] !== block * 100_000) missing.unshift(block * 100_000)
  return missing
}

async function agentConfig(name: string, factory: FactorySim, extra: Record<string, unknown> = {}) {
  const healthPort = await freePort()
  const prefix = uniqueTopic(name)
  const config: Record<string, any> = {
    ...factory.edgeConfig({ agentId: `gw-${name}`, stateDir: join(dir, name), pollIntervalMs: 500 }),
    kafka: { brokers: [broker.address], topicPrefix: prefix },
    health: { listen: `127.0.0.1:${healthPort}` },
    ...extra,
  }
  return { config, healthPort, prefix, agentId: `gw-${name}` }
}

describe('the edge agent under faults', () => {
  it('Kafka stopped during a run and started again: every event arrives once; a PLC that never answers slows nobody', async () => {
    const factory = await FactorySim.start({ seed: 11 })
    // A Modbus device that accepts connections and never answers, feeding one extra machine.
    const silent: Server = createServer(() => {})
    const silentPort = await new Promise<number>((resolve) => silent.listen(0, '127.0.0.1', () => resolve((silent.address() as { port: number }).port)))
    try {
      const a = await agentConfig('kafka-outage', factory)
      a.config.sources.push({ id: 'dead-plc', protocol: 'modbus', host: '127.0.0.1', port: silentPort, unitId: 1, pollInterval: 500, timeout: 300 })
      a.config.lines.push({
        id: 'line-2',
        area: 'smt',
        machines: [{ id: 'mute', idealCycleTime: 1, state: { tag: { source: 'dead-plc', table: 'holding', address: 0, type: 'UINT16' }, map: { '1': 'RUNNING' } } }],
      })
      await ingestFrom(a.prefix)
      const agent = startAgent(writeConfig('kafka-outage', a.config), a.healthPort)
      await healthUp(a.healthPort)
      await sleep(5000)
      await broker.stop()
      await sleep(8000)
      const during = await agent.metrics()
      expect(during.get('shopfloor_edge_spool_depth_events')).toBeGreaterThan(0)
      await broker.start()
      await sleep(5000)
      const m = await agent.metrics()
      expect(m.get('shopfloor_edge_source_connected{source="plc-smt1",protocol="opcua"}')).toBe(1)
      expect(m.get('shopfloor_edge_source_connected{source="dead-plc",protocol="modbus"}')).toBe(0)
      expect(m.get('shopfloor_edge_connector_total{source="dead-plc",protocol="modbus",counter="timeouts"}')).toBeGreaterThan(0)
      agent.child.kill('SIGTERM')
      expect(await agent.exited).toBe(0)

      await caughtUp(a.agentId)
      const { rows, distinct } = await stored(a.agentId)
      const gaps = gapsIn(rows.map((r) => r.seq), 0)
      expect(gaps, await whereAre(a.prefix, a.agentId, gaps)).toEqual([])
      expect(distinct).toBe(rows.length)
      expect(rows.length).toBeGreaterThan(50)
      // Events kept flowing for the good machines while the mute one only ever was OFFLINE.
      const mute = rows.filter((r) => r.type === 'machine_state' && r.machine.endsWith('/mute'))
      expect(new Set(mute.map((r) => r.state))).toEqual(new Set(['OFFLINE']))
      const aoiCounts = rows.filter((r) => r.type === 'production_count' && r.machine.endsWith('/aoi'))
      expect(aoiCounts.length).toBeGreaterThan(3)
    } finally {
      silent.close()
      await factory.stop()
    }
  }, 180_000)

  it('the agent killed with SIGKILL and restarted: nothing read is lost or doubled, the time it was down is OFFLINE', async () => {
    const factory = await FactorySim.start({ seed: 12 })
    try {
      const a = await agentConfig('sigkill', factory)
      await ingestFrom(a.prefix)
      const file = writeConfig('sigkill', a.config)
      const first = startAgent(file, a.healthPort)
      await healthUp(a.healthPort)
      await sleep(6000)
      first.child.kill('SIGKILL')
      const killedAt = Date.now()
      await first.exited
      await sleep(4000)
      const restartedAt = Date.now()
      const second = startAgent(file, a.healthPort)
      await healthUp(a.healthPort)
      await sleep(6000)
      second.child.kill('SIGTERM')
      expect(await second.exited).toBe(0)
      expect(second.log()).toContain('the previous run ended without a clean stop')

      await caughtUp(a.agentId)
      const { rows, distinct } = await stored(a.agentId)
      expect(distinct).toBe(rows.length)
      expect(gapsIn(rows.map((r) => r.seq), 0)).toEqual([])
      expect(gapsIn(rows.map((r) => r.seq), 1)).toEqual([])
      // Every machine: OFFLINE (AGENT_DOWN) from about the kill until the restart.
      for (const machine of ['printer', 'pick-place', 'reflow', 'aoi']) {
        const states = rows.filter((r) => r.type === 'machine_state' && r.machine.endsWith(`/${machine}`)).sort((x, y) => x.ts - y.ts || x.seq - y.seq)
        const down = states.find((s) => s.reason === 'AGENT_DOWN')
        expect(down, machine).toBeDefined()
        expect(down!.ts).toBeGreaterThan(killedAt - 2500)
        expect(down!.ts).toBeLessThanOrEqual(killedAt + 1000)
        const after = states[states.indexOf(down!) + 1]
        expect(after, `${machine}: a state after the restart`).toBeDefined()
        expect(after!.ts).toBeGreaterThanOrEqual(restartedAt)
      }
    } finally {
      await factory.stop()
    }
  }, 180_000)

  it('the PLC servers restarted: machines OFFLINE meanwhile, data resumes', async () => {
    const startMs = Date.now()
    let factory = await FactorySim.start({ seed: 13, startMs })
    const ports = { opcuaPort: Number(new URL(factory.opcua.endpoint.replace('opc.tcp', 'http')).port), modbusPort: factory.modbus.port }
    const a = await agentConfig('plc-restart', factory)
    await ingestFrom(a.prefix)
    const agent = startAgent(writeConfig('plc-restart', a.config), a.healthPort)
    try {
      await healthUp(a.healthPort)
      await sleep(5000)
      await factory.stop()
      const downAt = Date.now()
      await sleep(4000)
      factory = await FactorySim.start({ seed: 13, startMs, ...ports })
      const upAt = Date.now()
      await sleep(12_000)
      agent.child.kill('SIGTERM')
      expect(await agent.exited).toBe(0)
      await caughtUp(a.agentId)
      const { rows } = await stored(a.agentId)
      expect(gapsIn(rows.map((r) => r.seq), 0)).toEqual([])
      const states = rows.filter((r) => r.type === 'machine_state' && r.machine.endsWith('/aoi'))
      const lost = states.find((s) => s.state === 'OFFLINE' && s.reason === 'NO_CONNECTION')
      expect(lost).toBeDefined()
      expect(lost!.ts).toBeGreaterThanOrEqual(downAt - 100)
      expect(states.some((s) => s.ts >= upAt && s.state !== 'OFFLINE')).toBe(true)
      expect(rows.some((r) => r.type === 'production_count' && r.ts >= upAt)).toBe(true)
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL')
      await factory.stop()
    }
  }, 180_000)

  it('the spool bound reached while Kafka is away: drops counted and reported; a torn spool tail is cut and the rest delivered', async () => {
    const factory = await FactorySim.start({ seed: 14 })
    try {
      const a = await agentConfig('bound', factory, { spool: { maxBytes: '64KiB', fsync: 'never' } })
      // No broker there: everything stays in the spool until it overflows.
      const deadPort = await freePort()
      a.config.kafka = { brokers: [`127.0.0.1:${deadPort}`], topicPrefix: a.prefix }
      // Sample the meters' power every poll to make events fast.
      for (const line of a.config.lines) for (const m of line.machines) if (m.energy?.kw) m.samples = [{ name: 'kw', tag: m.energy.kw }]
      for (const s of a.config.sources) if (s.protocol === 'modbus') s.pollInterval = 50
      const file = writeConfig('bound', a.config)
      const agent = startAgent(file, a.healthPort)
      await healthUp(a.healthPort)
      await waitFor('the spool to drop at its bound', async () => ((await agent.metrics()).get('shopfloor_edge_spool_dropped_events_total{reason="size"}') ?? 0) > 0, 90_000)
      const m = await agent.metrics()
      expect(m.get('shopfloor_edge_spool_bytes')).toBeLessThanOrEqual(64 * 1024)
      expect(agent.log()).toMatch(/drop/i)
      agent.child.kill('SIGKILL')
      await agent.exited

      // Power loss mid-write: garbage at the end of the newest segment.
      const spoolDir = join(dir, 'bound', 'spool')
      const newest = readdirSync(spoolDir).filter((f) => f.endsWith('.seg')).sort().at(-1)
      expect(newest).toBeDefined()
      appendFileSync(join(spoolDir, newest!), Buffer.from([0x13, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]))

      // Back with Kafka: the torn tail is cut, the rest is delivered.
      a.config.kafka = { brokers: [broker.address], topicPrefix: a.prefix }
      writeConfig('bound', a.config)
      await ingestFrom(a.prefix)
      const again = startAgent(file, a.healthPort)
      await healthUp(a.healthPort)
      await waitFor('the spool to drain', async () => ((await again.metrics()).get('shopfloor_edge_spool_depth_events') ?? 1) < 50, 60_000)
      const m2 = await again.metrics()
      expect(m2.get('shopfloor_edge_spool_dropped_events_total{reason="torn"}')).toBeGreaterThanOrEqual(1)
      again.child.kill('SIGTERM')
      expect(await again.exited).toBe(0)
      await waitFor('ingest', async () => (await stored(a.agentId)).rows.length > 100, 60_000)
    } finally {
      await factory.stop()
    }
  }, 240_000)
})
