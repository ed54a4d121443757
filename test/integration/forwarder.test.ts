// The spool's publishing path against a real Kafka broker: the test broker of the run, a dead
// port, and a broker of this file's own that is stopped and started again mid-stream.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger, type Logger } from '../../connectors/common/logger.ts'
import { Forwarder, Spool, type SpoolInput } from '../../edge/index.ts'
import { KafkaPublisher, kafkaClient, ensureTopics, type Publisher } from '../../stream/index.ts'
import { keyCachingPartitioner } from '../../stream/transport/kafka-publisher.ts'
import { Partitioners, type PartitionMetadata } from 'kafkajs'
import { kafkaBrokers, uniqueTopic } from '../support/kafka.ts'
import { freePort, waitFor } from '../support/wait.ts'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
let dir: string
const cleanup: Array<() => Promise<void> | void> = []

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-forwarder-'))
})
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A pino logger whose lines land in `lines`, to check what is logged (and how often). */
function capture(): { logger: Logger; lines: Array<{ msg: string; level: number }> } {
  const lines: Array<{ msg: string; level: number }> = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { msg: string; level: number })
      cb()
    },
  })
  return { logger: pino({ level: 'info' }, sink), lines }
}

let spoolN = 0
function openSpool(): Spool {
  const s = new Spool(join(dir, `spool-${spoolN++}`), { fsync: 'never' })
  cleanup.push(() => s.close())
  return s
}

/** Events of `machines` machines, numbered from `from`; the value starts with the number. */
function events(topic: string, from: number, n: number, machines = 200): SpoolInput[] {
  return Array.from({ length: n }, (_, i) => ({
    topic,
    key: `vn/bd/vsip1/f1/smt/l${(from + i) % 4}/m${(from + i) % machines}`,
    value: Buffer.from(`${from + i};`.padEnd(140, 'x')),
  }))
}

/** Reads `topic` from the start until `expected` messages arrived (and a moment more, to see duplicates). */
async function consume(brokers: string[], topic: string, expected: number, timeoutMs = 60_000): Promise<Array<{ key: string; n: number }>> {
  const consumer = kafkaClient({ brokers, logger: silentLogger }).consumer({ groupId: uniqueTopic('verify') })
  const got: Array<{ key: string; n: number; partition: number; offset: string }> = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) got.push({ key: m.key?.toString() ?? '', n: Number.parseInt(m.value?.toString() ?? '', 10), partition: batch.partition, offset: m.offset })
      },
    })
    await waitFor(`${expected} messages on ${topic} (have ${got.length})`, () => got.length >= expected, timeoutMs)
    await new Promise((r) => setTimeout(r, 500))
  } finally {
    await consumer.disconnect()
  }
  return got
}

/** Every number 0..n-1 present; per key, first deliveries in increasing order. */
function expectComplete(got: Array<{ key: string; n: number }>, n: number): void {
  const seen = new Set(got.map((g) => g.n))
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i))
  expect(missing, 'events lost').toEqual([])
  const last = new Map<string, number>()
  for (const g of got) {
    const prev = last.get(g.key) ?? -1
    // A redelivered batch may repeat numbers; a number never comes before an older one that was not yet seen.
    if (g.n > prev) last.set(g.key, g.n)
    else expect(seen.has(g.n)).toBe(true)
  }
}

describe('forwarder to the test broker', () => {
  it('forwarder delivers every spooled event once, in order per machine, and empties the spool', async () => {
    const brokers = kafkaBrokers()
    const topic = uniqueTopic('fwd-order')
    const spool = openSpool()
    // The publisher creates the topic on first sight (ensureTopics).
    const publisher = new KafkaPublisher({ brokers, logger: silentLogger, partitions: 3 })
    cleanup.push(() => publisher.close())
    const fwd = new Forwarder(spool, publisher, { maxBatchRecords: 2000 })
    cleanup.push(() => fwd.close())
    for (let i = 0; i < 20; i++) spool.append(events(topic, i * 1000, 1000))
    fwd.start()
    await waitFor('the spool to empty', () => spool.stats.depth === 0, 60_000)
    expect(fwd.stats).toMatchObject({ sent: 20_000, errors: 0, failing: false })
    expect(fwd.stats.batches).toBeGreaterThanOrEqual(10)
    expect(fwd.stats.ratePerS).toBeGreaterThan(0)
    const got = await consume(brokers, topic, 20_000)
    expect(got).toHaveLength(20_000)
    expectComplete(got, 20_000)
    // Appends while sending are forwarded as well.
    spool.append(events(topic, 20_000, 10))
    await waitFor('the late events', () => fwd.stats.sent === 20_010)
  })

  it('forwarder keeps events while the broker is unreachable and delivers them when it is back, logging each change once', async () => {
    const brokers = kafkaBrokers()
    const topic = uniqueTopic('fwd-outage')
    await ensureTopics({ brokers, logger: silentLogger }, [topic])
    const { logger, lines } = capture()
    const dead = new KafkaPublisher({ brokers: [`127.0.0.1:${await freePort()}`], logger: silentLogger, readyTimeoutMs: 500, connectionTimeoutMs: 300 })
    const real = new KafkaPublisher({ brokers, logger: silentLogger })
    cleanup.push(() => real.close())
    let target: Publisher = dead
    // The same forwarder, pointed at a dead port first and at the broker afterwards.
    const switching: Publisher = { send: (m) => target.send(m), close: async () => {} }
    const spool = openSpool()
    const fwd = new Forwarder(spool, switching, { retryInitialMs: 50, retryMaxMs: 200, logger })
    cleanup.push(() => fwd.close())
    fwd.start()
    spool.append(events(topic, 0, 3000))
    await waitFor('several failed sends', () => fwd.stats.errors >= 4, 30_000)
    spool.append(events(topic, 3000, 2000))
    expect(spool.stats.depth).toBe(5000)
    expect(fwd.stats).toMatchObject({ sent: 0, failing: true })
    target = real
    await waitFor('the spool to empty', () => spool.stats.depth === 0, 60_000)
    expect(fwd.stats).toMatchObject({ sent: 5000, failing: false })
    expect(lines.filter((l) => l.msg.startsWith('publishing failed'))).toHaveLength(1)
    expect(lines.filter((l) => l.msg === 'publishing recovered')).toHaveLength(1)
    expectComplete(await consume(brokers, topic, 5000), 5000)
  })

  it('forwarder flush sends what it can in time and leaves the rest in the spool for the next start', async () => {
    const brokers = kafkaBrokers()
    const topic = uniqueTopic('fwd-flush')
    const dead = new KafkaPublisher({ brokers: [`127.0.0.1:${await freePort()}`], logger: silentLogger, readyTimeoutMs: 300, connectionTimeoutMs: 200 })
    const spoolDir = join(dir, 'flush')
    let spool = new Spool(spoolDir, { fsync: 'never' })
    let fwd = new Forwarder(spool, dead, { retryInitialMs: 50 })
    spool.append(events(topic, 0, 500))
    const t0 = Date.now()
    expect(await fwd.flush(1500)).toBe(500)
    expect(Date.now() - t0).toBeLessThan(3000)
    await fwd.close()
    spool.close()
    spool = new Spool(spoolDir, { fsync: 'never' })
    cleanup.push(() => spool.close())
    expect(spool.stats.depth).toBe(500)
    const real = new KafkaPublisher({ brokers, logger: silentLogger })
    cleanup.push(() => real.close())
    fwd = new Forwarder(spool, real)
    cleanup.push(() => fwd.close())
    expect(await fwd.flush(30_000)).toBe(0)
    expectComplete(await consume(brokers, topic, 500), 500)
  })
})

describe('KafkaPublisher partitions', () => {
  it('KafkaPublisher puts each machine on the partition kafkajs\' DefaultPartitioner (murmur2, as Java) picks', () => {
    const ours = keyCachingPartitioner()
    const theirs = Partitioners.DefaultPartitioner()
    for (const n of [1, 3, 12]) {
      const partitionMetadata: PartitionMetadata[] = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }))
      for (let i = 0; i < 500; i++) {
        const message = { key: `vn-hcm/vsip-1/f${i % 7}/smt/line-${i % 3}/máy-${i}`, value: 'v' }
        const args = { topic: 't', partitionMetadata, message }
        // Twice: the second answer comes from the cache.
        expect([ours(args), ours(args)]).toEqual([theirs(args), theirs(args)])
      }
    }
  })
})

describe('KafkaPublisher topics', () => {
  it('KafkaPublisher names a missing topic it cannot create (SHOPFLOOR_KAFKA_TOPIC)', async () => {
    const publisher = new KafkaPublisher({ brokers: kafkaBrokers(), logger: silentLogger })
    cleanup.push(() => publisher.close())
    const bad = 'no spaces allowed in a topic'
    await expect(publisher.send([{ topic: bad, key: 'k', value: Buffer.from('v') }])).rejects.toMatchObject({
      code: 'SHOPFLOOR_KAFKA_TOPIC',
      canRetry: false,
      message: expect.stringContaining(`topic(s) ${bad} missing`),
    })
  })

  it('KafkaPublisher that may not create topics names the missing one (SHOPFLOOR_KAFKA_TOPIC)', async () => {
    const publisher = new KafkaPublisher({ brokers: kafkaBrokers(), logger: silentLogger, ensureTopics: false, sendRetries: 1 })
    cleanup.push(() => publisher.close())
    const topic = uniqueTopic('never-created')
    await expect(publisher.send([{ topic, key: 'k', value: Buffer.from('v') }])).rejects.toMatchObject({
      code: 'SHOPFLOOR_KAFKA_TOPIC',
      message: expect.stringContaining(`topic(s) ${topic} not found`),
    })
  })
})

// --- a broker of this file's own, to stop and start -------------------------------------------

async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await freePort()
    if (p > 65_534) continue
    const next = await new Promise<boolean>((ok) => {
      const s = createServer()
      s.once('error', () => ok(false))
      s.listen(p + 1, '127.0.0.1', () => s.close(() => ok(true)))
    })
    if (next) return p
  }
}

function kafkaSh(command: 'start' | 'stop' | 'reset', home: string, port: number): Promise<string> {
  return new Promise((ok, fail) => {
    const env = { ...process.env, SHOPFLOOR_KAFKA_HOME: home, SHOPFLOOR_KAFKA_PORT: String(port), SHOPFLOOR_KAFKA_LIBS: process.env['SHOPFLOOR_KAFKA_LIBS'] ?? join(repo, '.kafka', 'libs') }
    const p = spawn('bash', [join(repo, 'deploy', 'kafka', 'kafka.sh'), command], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.stderr.on('data', (d: Buffer) => (out += d.toString()))
    p.on('close', (code) => (code === 0 ? ok(out) : fail(new Error(`kafka.sh ${command} exited ${code}:\n${out}`))))
  })
}

describe('forwarder across a broker restart', () => {
  it('forwarder loses nothing while its broker is stopped and started again, and the same publisher recovers', async () => {
    const port = await freePortPair()
    const home = join(repo, '.kafka', `forwarder-${port}`)
    cleanup.push(async () => {
      await kafkaSh('reset', home, port)
      rmSync(home, { recursive: true, force: true })
    })
    await kafkaSh('start', home, port)
    const brokers = [`127.0.0.1:${port}`]
    const topic = uniqueTopic('fwd-restart')
    const { logger, lines } = capture()
    const publisher = new KafkaPublisher({ brokers, logger: silentLogger, readyTimeoutMs: 2000 })
    cleanup.push(() => publisher.close())
    const spool = openSpool()
    const fwd = new Forwarder(spool, publisher, { retryInitialMs: 100, retryMaxMs: 1000, logger })
    cleanup.push(() => fwd.close())
    fwd.start()
    // A steady stream, as polling makes it: 50 events every 25 ms.
    let n = 0
    const producer = setInterval(() => {
      spool.append(events(topic, n, 50))
      n += 50
    }, 25)
    cleanup.push(() => clearInterval(producer))
    await waitFor('first deliveries', () => fwd.stats.sent > 2000, 60_000)
    await kafkaSh('stop', home, port)
    await waitFor('the forwarder to notice', () => fwd.stats.failing, 60_000)
    const sentAtStop = fwd.stats.sent
    await new Promise((r) => setTimeout(r, 2000))
    expect(spool.stats.depth).toBeGreaterThan(0)
    await kafkaSh('start', home, port)
    await waitFor('sending again', () => fwd.stats.sent > sentAtStop + 2000, 90_000)
    clearInterval(producer)
    await waitFor('the spool to empty', () => spool.stats.depth === 0, 60_000)
    expect(fwd.stats.failing).toBe(false)
    expect(lines.filter((l) => l.msg.startsWith('publishing failed'))).toHaveLength(1)
    expect(lines.filter((l) => l.msg === 'publishing recovered')).toHaveLength(1)
    const got = await consume(brokers, topic, n, 60_000)
    expectComplete(got, n)
    // At least once: a batch whose acknowledgement the stop cut off may come twice, no more.
    expect(got.length - n).toBeLessThanOrEqual(2 * 5000)
  }, 240_000)
})
