// KafkaSubscriber's batching against the test broker: a partition's batches one after another,
// different partitions' at the same time, and a partial batch due when its own oldest message has
// waited the batch delay (not the delay counted again from the end of the batch before it).
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../connectors/common/logger.ts'
import { KafkaPublisher, KafkaSubscriber, ensureTopics, type BatchBounds, type IncomingMessage, type PartitionHandler } from '../../stream/index.ts'
import { kafkaBrokers, uniqueTopic } from '../support/kafka.ts'
import { waitFor } from '../support/wait.ts'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

let subscriber: KafkaSubscriber | undefined
afterEach(async () => {
  await subscriber?.close()
  subscriber = undefined
})

async function topicWith(messages: number, partitions: number, keys: number): Promise<string> {
  const brokers = kafkaBrokers()
  const topic = uniqueTopic('kafka-subscriber-test')
  await ensureTopics({ brokers, logger: silentLogger, partitions }, [topic])
  const publisher = new KafkaPublisher({ brokers, logger: silentLogger })
  try {
    await publisher.send(Array.from({ length: messages }, (_, i) => ({ topic, key: `m${i % keys}`, value: Buffer.from(String(i)) })))
  } finally {
    await publisher.close()
  }
  return topic
}

interface Store {
  partition: number
  first: string
  count: number
  start: number
  end: number
}

/** A handler that records each store and takes `ms(n)` for the n-th. */
function recording(ms: (n: number) => number): { handler: PartitionHandler; stores: Store[]; active: () => number; maxActive: () => number; overlaps: () => number } {
  const stores: Store[] = []
  const activePartitions = new Map<number, number>()
  let active = 0
  let maxActive = 0
  let overlaps = 0 // stores that began while another of the same partition ran
  const handler: PartitionHandler = {
    storeBatch: async (messages: readonly IncomingMessage[], bounds: BatchBounds) => {
      const s: Store = { partition: bounds.partition, first: bounds.firstOffset, count: messages.length, start: performance.now(), end: 0 }
      const n = stores.push(s)
      activePartitions.set(bounds.partition, (activePartitions.get(bounds.partition) ?? 0) + 1)
      if (activePartitions.get(bounds.partition) !== 1) overlaps++
      maxActive = Math.max(maxActive, ++active)
      await sleep(ms(n))
      active--
      activePartitions.set(bounds.partition, (activePartitions.get(bounds.partition) ?? 1) - 1)
      s.end = performance.now()
    },
  }
  return { handler, stores, active: () => active, maxActive: () => maxActive, overlaps: () => overlaps }
}

describe('kafka subscriber', () => {
  it('kafka subscriber stores the rest of a partition once its oldest message has waited the batch delay, not the delay again after the batch before', async () => {
    // 230 messages delivered at once, batches of 50, a 1.5 s delay, 0.4 s per store: the last 30
    // have waited longer than the delay when the fourth batch is stored, so they follow at once
    // (they used to wait the delay again, counted from the end of the fourth batch's store).
    const topic = await topicWith(230, 1, 5)
    const r = recording(() => 400)
    subscriber = new KafkaSubscriber({ brokers: kafkaBrokers(), logger: silentLogger, topics: [topic], groupId: `${topic}-g`, batchMessages: 50, batchDelayMs: 1500 })
    await subscriber.run(r.handler)
    await waitFor('every message stored', () => r.stores.reduce((a, s) => a + s.count, 0) === 230 && r.active() === 0, 20_000)
    expect(r.stores.map((s) => s.count)).toEqual([50, 50, 50, 50, 30])
    const [fourth, last] = r.stores.slice(3) as [Store, Store]
    expect(last.start - fourth.end).toBeLessThan(750)
  })

  it('kafka subscriber stores batches of different partitions at the same time, and each partition in offset order', async () => {
    const topic = await topicWith(600, 3, 30)
    const r = recording(() => 150)
    subscriber = new KafkaSubscriber({ brokers: kafkaBrokers(), logger: silentLogger, topics: [topic], groupId: `${topic}-g`, batchMessages: 50, batchDelayMs: 100 })
    await subscriber.run(r.handler)
    await waitFor('every message stored', () => r.stores.reduce((a, s) => a + s.count, 0) === 600 && r.active() === 0, 30_000)
    expect(r.maxActive()).toBeGreaterThan(1)
    expect(r.overlaps()).toBe(0)
    for (const p of [0, 1, 2]) {
      const mine = r.stores.filter((s) => s.partition === p)
      expect(mine.length, `partition ${p}`).toBeGreaterThan(0)
      let next = 0
      for (const s of mine) {
        expect(s.first, `partition ${p}: batches follow on`).toBe(String(next))
        next += s.count
      }
    }
  })
})
