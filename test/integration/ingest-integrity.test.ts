// Integrity of ingest against a real Kafka broker and chDB: a worker killed mid-batch and
// restarted, a rebalance between two workers, the same events delivered twice, and malformed
// messages. Each ends with: every table holds exactly the events produced, no more, no fewer,
// and the rollups equal a recomputation from the raw rows.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Kafka } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEAD_LETTER_HEADERS,
  EventCodec,
  Ingest,
  KafkaDeadLetters,
  KafkaSubscriber,
  deadLetterTopic,
  ensureTopics,
  migrate,
  openClickhouse,
  topicFor,
  type Clickhouse,
  type ShopfloorEvent,
} from '../../stream/index.ts'
import { silentLogger } from '../../connectors/common/logger.ts'
import { kafkaBrokers, uniqueTopic } from '../support/kafka.ts'
import { waitFor } from '../support/wait.ts'
import { expectExactly, expectRollupsMatchRaw, factoryEvents, groupCaughtUp, publish, topicsOf } from './ingest-fixture.ts'

const repo = resolve(import.meta.dirname, '..', '..')
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-ingest-integrity-'))
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function prepare(name: string): Promise<{ prefix: string; group: string; brokers: string[] }> {
  const prefix = uniqueTopic(name)
  const brokers = kafkaBrokers()
  await ensureTopics({ brokers, logger: silentLogger, partitions: 3 }, topicsOf(prefix))
  return { prefix, group: `${prefix}-ingest`, brokers }
}

interface WorkerRun {
  code: number | null
  signal: NodeJS.Signals | null
  last: { ingest: { replayed: number; messages: number; batches: number }; closed?: boolean } | undefined
}

/** Runs the worker script until it exits by itself, or until `until` holds (then SIGTERM). */
function runWorker(env: Record<string, string>, until?: () => Promise<boolean>): Promise<WorkerRun> {
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcess = spawn(process.execPath, [join(repo, 'test', 'integration', 'ingest-worker.ts')], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let last: WorkerRun['last']
    let stderr = ''
    let buffered = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const l of lines) if (l.trim()) last = JSON.parse(l) as WorkerRun['last']
    })
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    let poll: NodeJS.Timeout | undefined
    if (until) {
      const check = async (): Promise<void> => {
        if (await until().catch(() => false)) child.kill('SIGTERM')
        else poll = setTimeout(check, 250)
      }
      poll = setTimeout(check, 500)
    }
    const deadline = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(poll)
      clearTimeout(deadline)
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`ingest worker exited ${code ?? signal}: ${stderr}`))
      else resolvePromise({ code, signal, last })
    })
  })
}

describe('ingest integrity', () => {
  it('ingest killed mid-batch and restarted stores every event exactly once', async () => {
    const { prefix, group, brokers } = await prepare('kill')
    const events = factoryEvents(6000, 11)
    await publish(brokers, prefix, events)
    const database = 'kill_test'
    const env = { INGEST_CHDB_PATH: join(dir, 'chdb-kill'), INGEST_DATABASE: database, INGEST_TOPIC_PREFIX: prefix, INGEST_GROUP: group, KAFKA_BROKERS: brokers.join(',') }

    // Dies right after its 3rd insert: rows and rollups written, offsets not committed.
    const a = await runWorker({ ...env, INGEST_DIE_AFTER_INSERTS: '3' })
    expect(a.signal).toBe('SIGKILL')
    // Dies after recording its 2nd batch in the ledger, before inserting it.
    const b = await runWorker({ ...env, INGEST_DIE_AFTER_INSERTS: '2', INGEST_DIE_BEFORE_INSERT: '1' })
    expect(b.signal).toBe('SIGKILL')
    // Dies again after 5 inserts of its own, some of them replays of what the others left.
    const c = await runWorker({ ...env, INGEST_DIE_AFTER_INSERTS: '5' })
    expect(c.signal).toBe('SIGKILL')
    const last = await runWorker(env, () => groupCaughtUp(brokers, group, topicsOf(prefix)))
    expect(last.code).toBe(0)
    expect(last.last?.closed).toBe(true)
    // The first batch of the last worker on each interrupted partition is a replay from the ledger.
    expect(last.last?.ingest.replayed).toBeGreaterThanOrEqual(1)

    const ch = await openClickhouse({ path: join(dir, 'chdb-kill'), database })
    try {
      await expectExactly(ch, events)
      await expectRollupsMatchRaw(ch)
    } finally {
      await ch.close()
    }
  })

  describe('in one process', () => {
    let ch: Clickhouse
    beforeAll(async () => {
      ch = await openClickhouse({ path: join(dir, 'chdb-shared'), database: 'integrity' })
    })
    afterAll(async () => {
      await ch?.close()
    })

    async function freshDatabase(name: string): Promise<Clickhouse> {
      const db = { ...ch, database: name }
      await ch.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${name}` })
      await migrate(db)
      return db
    }

    it('ingest hands partitions over between two workers without losing or doubling an event', async () => {
      const { prefix, group, brokers } = await prepare('rebalance')
      const store = await freshDatabase('rebalance_test')
      const events = factoryEvents(9000, 23)
      const codec = new EventCodec()
      const worker = (): { ingest: Ingest; sub: KafkaSubscriber } => ({
        ingest: new Ingest({ clickhouse: store, codec, logger: silentLogger }),
        sub: new KafkaSubscriber({ brokers, logger: silentLogger, topics: topicsOf(prefix), groupId: group, batchMessages: 300, batchDelayMs: 100 }),
      })
      await publish(brokers, prefix, events.slice(0, 3000), codec)
      const a = worker()
      await a.sub.run(a.ingest.handle)
      await waitFor('worker A to store a first batch', () => a.ingest.stats.batches > 0, 30_000)
      const b = worker()
      await b.sub.run(b.ingest.handle)
      await publish(brokers, prefix, events.slice(3000, 6000), codec)
      await waitFor('worker B to be given partitions and store', () => b.ingest.stats.batches > 0, 60_000)
      // A leaves while events keep coming: B takes over all partitions.
      const leaving = a.sub.close()
      await publish(brokers, prefix, events.slice(6000), codec)
      await leaving
      await waitFor('the group to commit every partition to its end', () => groupCaughtUp(brokers, group, topicsOf(prefix)), 60_000)
      await b.sub.close()
      expect(a.sub.stats.rebalances + b.sub.stats.rebalances).toBeGreaterThanOrEqual(1)
      await expectExactly(store, events)
      await expectRollupsMatchRaw(store)
    })

    it('ingest stores events delivered twice once, and skips the replays before the rollups see them', async () => {
      const { prefix, group, brokers } = await prepare('twice')
      const store = await freshDatabase('twice_test')
      const events = factoryEvents(5000, 37)
      const again = events.filter((_, i) => i % 3 === 0)
      await publish(brokers, prefix, events)
      await publish(brokers, prefix, again)
      await publish(brokers, prefix, events)
      const ingest = new Ingest({ clickhouse: store, codec: new EventCodec(), logger: silentLogger })
      const sub = new KafkaSubscriber({ brokers, logger: silentLogger, topics: topicsOf(prefix), groupId: group, batchMessages: 700 })
      await sub.run(ingest.handle)
      await waitFor('the group to commit every partition to its end', () => groupCaughtUp(brokers, group, topicsOf(prefix)), 60_000)
      await sub.close()
      expect(ingest.stats.duplicates).toBe(again.length + events.length)
      await expectExactly(store, events)
      await expectRollupsMatchRaw(store)

      // A new consumer group reading everything again (a full replay) changes nothing either.
      const totals = async (): Promise<{ r: number; p: number; k: number }> => {
        const rs = await store.client.query({ query: `SELECT sum(running_ms) AS r, sum(produced) AS p, sum(kwh) AS k FROM ${store.database}.machine_rollup_1m`, format: 'JSONEachRow' })
        const [t] = await rs.json<{ r: string; p: string; k: number }>()
        return { r: Number(t?.r), p: Number(t?.p), k: Number(t?.k) }
      }
      const before = await totals()
      const replay = new Ingest({ clickhouse: store, codec: new EventCodec(), logger: silentLogger })
      const sub2 = new KafkaSubscriber({ brokers, logger: silentLogger, topics: topicsOf(prefix), groupId: `${group}-replay` })
      await sub2.run(replay.handle)
      await waitFor('the replay group to catch up', () => groupCaughtUp(brokers, `${group}-replay`, topicsOf(prefix)), 60_000)
      await sub2.close()
      expect(replay.stats.rows).toBe(0)
      await expectExactly(store, events)
      const after = await totals()
      expect([after.r, after.p]).toEqual([before.r, before.p])
      expect(after.k).toBeCloseTo(before.k, 9) // float sums: merges may add in another order
    })

    /**
     * A store whose first batch ledger entry (its batch filtered, not recorded yet), or first
     * event-table insert (recorded), waits until `release()`: a worker that stalls there, as a long
     * GC pause or a frozen VM would stall it, while its consumer stops heartbeating.
     */
    function stalling(store: Clickhouse, where: 'before-record' | 'in-insert'): { ch: Clickhouse; hit: () => boolean; release: () => void } {
      let hit = false
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      const wait = async (): Promise<void> => {
        hit = true
        await gate
      }
      const client = new Proxy(store.client, {
        get(target, key) {
          const v = Reflect.get(target, key, target) as unknown
          if (key === 'insert' && where === 'before-record') {
            const insert = target.insert.bind(target)
            return (async (params: Parameters<typeof insert>[0]) => {
              if (!hit && params.table.endsWith('.ingest_batches')) await wait()
              return insert(params)
            }) as typeof insert
          }
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
        },
      })
      const raw = store.rawInsert
      const rawInsert: Clickhouse['rawInsert'] =
        raw && where === 'in-insert'
          ? async (params) => {
              if (!hit && /\.(machine_state|production_count|energy_reading|tag_sample)$/.test(params.table)) await wait()
              return raw(params)
            }
          : raw
      return { ch: { ...store, client, ...(rawInsert ? { rawInsert } : {}) }, hit: () => hit, release }
    }

    for (const where of ['before-record', 'in-insert'] as const) {
      it(`a zombie ingest worker (stalled ${where === 'before-record' ? 'before recording its batch' : 'inside its insert'} until the group expired it) stores nothing twice once it wakes`, async () => {
        const { prefix, group, brokers } = await prepare(`zombie-${where}`)
        const store = await freshDatabase(`zombie_${where.replace('-', '_')}`)
        const events = factoryEvents(3000, where.length)
        const codec = new EventCodec()
        await publish(brokers, prefix, events, codec)

        // Worker A stalls in its first batch; its other partitions go on until their buffers are
        // full, its consumer stops fetching and heartbeating, and the group expires it after 6 s.
        const stall = stalling(store, where)
        const a = new Ingest({ clickhouse: stall.ch, codec, logger: silentLogger })
        const subA = new KafkaSubscriber({ brokers, logger: silentLogger, topics: topicsOf(prefix), groupId: group, batchMessages: 50, sessionTimeoutMs: 6000, retryDelayMs: 200 })
        await subA.run(a.handle)
        await waitFor('worker A to stall in its first batch', stall.hit, 30_000)

        // Worker B joins, gets every partition once A's session expired, and stores everything,
        // with batches of another size (as batches cut by time differ from one worker to another).
        const b = new Ingest({ clickhouse: store, codec, logger: silentLogger })
        const subB = new KafkaSubscriber({ brokers, logger: silentLogger, topics: topicsOf(prefix), groupId: group, batchMessages: 70, sessionTimeoutMs: 6000 })
        await subB.run(b.handle)
        await waitFor('worker B to store and commit every partition', () => groupCaughtUp(brokers, group, topicsOf(prefix)), 120_000)
        await expectExactly(store, events)

        // A wakes up and goes on with its batch, as if it still owned the partition.
        const storedByA = a.stats.batches
        stall.release()
        await waitFor('worker A to be refused, or to store its batch', () => a.stats.batches > storedByA || subA.stats.fencedOut > 0, 30_000)
        await new Promise((r) => setTimeout(r, 1000))
        await Promise.all([subA.close(), subB.close()])
        await expectExactly(store, events)
        await expectRollupsMatchRaw(store)
        if (where === 'before-record') {
          // The coordinator refused it before it recorded or inserted anything (without that
          // check, its batch, cut otherwise than B's, would be inserted again: rollups doubled).
          expect(subA.stats.fencedOut).toBeGreaterThan(0)
          expect(a.stats.batches).toBe(storedByA)
        } else {
          // It had recorded the batch: B replayed that very batch first, with the same token, so
          // A's late insert changed nothing.
          expect(b.stats.replayed).toBeGreaterThanOrEqual(1)
        }
      })
    }

    it('ingest dead-letters malformed messages with their reason and position, and stores the rest', async () => {
      const { prefix, group, brokers } = await prepare('dlq')
      const store = await freshDatabase('dlq_test')
      const events = factoryEvents(1200, 41)
      const codec = new EventCodec()
      const topic = topicFor('production_count', prefix)
      const producer = new Kafka({ brokers, logLevel: 0 }).producer()
      await producer.connect()
      await publish(brokers, prefix, events.slice(0, 600), codec)
      // Two more that ingest's fast path (Avro bytes straight to rows) must hand to avsc, which
      // names what is wrong: a known schema with its body cut short, and a bad machine path.
      const sample = events.find((e) => e.type === 'production_count') as ShopfloorEvent
      const whole = codec.encode(sample)
      const badPath = codec.encode({ ...sample, event: { ...sample.event, seq: 1_000_000, event_id: 'x:1000000', machine: 'not/a/path' } } as ShopfloorEvent)
      await producer.send({
        topic,
        messages: [
          { key: 'vn/vsip/f1/smt/l1/aoi', value: Buffer.from('not avro at all') },
          { key: null, value: Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9]) },
          { key: null, value: whole.subarray(0, whole.length - 3) },
          { key: null, value: badPath },
        ],
      })
      await publish(brokers, prefix, events.slice(600), codec)
      await producer.disconnect()

      const dlqTopic = deadLetterTopic(prefix)
      const deadLetter = new KafkaDeadLetters({ brokers, logger: silentLogger, topic: dlqTopic })
      const ingest = new Ingest({ clickhouse: store, codec, logger: silentLogger, deadLetter })
      const sub = new KafkaSubscriber({ brokers, logger: silentLogger, topics: topicsOf(prefix), groupId: group })
      await sub.run(ingest.handle)
      await waitFor('the group to commit every partition to its end', () => groupCaughtUp(brokers, group, topicsOf(prefix)), 60_000)
      await sub.close()
      await deadLetter.close()
      expect(ingest.stats.malformed).toBe(4)
      await expectExactly(store, events)
      await expectRollupsMatchRaw(store)

      const consumer = new Kafka({ brokers, logLevel: 0 }).consumer({ groupId: `${group}-dlq-reader` })
      const letters: Array<{ code: string; reason: string; topic: string; offset: string }> = []
      await consumer.connect()
      await consumer.subscribe({ topic: dlqTopic, fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ message }) => {
          const h = (k: string): string => String(message.headers?.[k] ?? '')
          letters.push({ code: h(DEAD_LETTER_HEADERS.code), reason: h(DEAD_LETTER_HEADERS.reason), topic: h(DEAD_LETTER_HEADERS.topic), offset: h(DEAD_LETTER_HEADERS.offset) })
        },
      })
      await waitFor('the four dead letters', () => letters.length >= 4, 30_000)
      await consumer.disconnect()
      expect(letters.map((l) => l.code).sort()).toEqual(['SHOPFLOOR_CODEC_DECODE', 'SHOPFLOOR_CODEC_NOT_SINGLE_OBJECT', 'SHOPFLOOR_CODEC_UNKNOWN_SCHEMA', 'SHOPFLOOR_INGEST_EVENT'])
      expect(letters.find((l) => l.code === 'SHOPFLOOR_INGEST_EVENT')?.reason).toMatch(/machine path "not\/a\/path"/)
      expect(letters.every((l) => l.topic === topic && /^\d+$/.test(l.offset) && l.reason.length > 10)).toBe(true)
    })
  })
})
