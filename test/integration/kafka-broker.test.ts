// The local broker (deploy/kafka, or KAFKA_BROKERS) does what the pipeline relies on: topics with
// several partitions, keyed produce acknowledged by all in-sync replicas, consumer groups that
// read everything once, in order per key, and commit their offsets.
import { Kafka, Partitioners, logLevel } from 'kafkajs'
import type { Admin, Consumer, Producer } from 'kafkajs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { kafkaBrokers, uniqueTopic } from '../support/kafka.ts'

const partitions = 3
const machines = 10
const perMachine = 10
const total = machines * perMachine

interface Received {
  key: string
  value: string
  partition: number
}

const topic = uniqueTopic('kafka-broker-test')
// Silent: kafkajs logs retriable errors (the group coordinator loading on first use) at ERROR
// level; real failures reach the test as rejections or the consumer's crash event.
const kafka = new Kafka({ clientId: 'shopfloor-kafka-broker-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING })
let admin: Admin
let producer: Producer | undefined
let consumer: Consumer | undefined

beforeAll(async () => {
  admin = kafka.admin()
  await admin.connect()
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  })
  expect(created).toBe(true)
})

afterAll(async () => {
  await producer?.disconnect()
  await consumer?.disconnect()
  if (admin) {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
    await admin.disconnect()
  }
})

it('kafka broker creates a topic with 3 partitions', async () => {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
  expect(metadata.topics[0]?.partitions).toHaveLength(partitions)
})

it('kafka broker delivers 100 keyed messages to a consumer group exactly once, in order per key', async () => {
  // Interleaved the way an agent publishes: one event per machine per round.
  const sent: { key: string; value: string }[] = []
  for (let seq = 0; seq < perMachine; seq++) {
    for (let machine = 0; machine < machines; machine++) {
      sent.push({ key: `line-1/machine-${machine}`, value: JSON.stringify({ machine, seq }) })
    }
  }

  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  // Several requests, awaited one after the other, so order across batches is exercised too.
  for (let start = 0; start < total; start += 25) {
    const results = await producer.send({ topic, acks: -1, messages: sent.slice(start, start + 25) })
    for (const result of results) expect(result.errorCode).toBe(0)
  }

  const groupId = `${topic}-group`
  const received: Received[] = []
  let resolveAll: () => void = () => undefined
  let rejectAll: (error: Error) => void = () => undefined
  const allArrived = new Promise<void>((resolvePromise, rejectPromise) => {
    resolveAll = resolvePromise
    rejectAll = rejectPromise
  })
  // Short long-polls: disconnect() waits for the fetch in flight (5 s by default).
  consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 })
  // A retriable error (the coordinator still loading) crashes the run loop and restarts it.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) rejectAll(payload.error)
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      received.push({
        key: message.key?.toString('utf8') ?? '',
        value: message.value?.toString('utf8') ?? '',
        partition,
      })
      if (received.length === total) resolveAll()
    },
  })

  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    allArrived,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`only ${received.length} of ${total} messages arrived within 60 s`)),
        60_000,
      )
    }),
  ])
  clearTimeout(timer)
  // A duplicate would arrive right behind the 100th message; give it the chance to.
  await new Promise((resolvePromise) => setTimeout(resolvePromise, 1_000))
  await consumer.disconnect()
  consumer = undefined

  expect(received).toHaveLength(total)
  expect(received.map(({ key, value }) => ({ key, value })).sort(byKeyThenValue)).toEqual(
    [...sent].sort(byKeyThenValue),
  )

  const byKey = new Map<string, Received[]>()
  for (const message of received) byKey.set(message.key, [...(byKey.get(message.key) ?? []), message])
  expect(byKey.size).toBe(machines)
  for (const [key, messages] of byKey) {
    // Keyed: one machine, one partition, so its events keep the order they were sent in.
    expect(new Set(messages.map((message) => message.partition)).size, key).toBe(1)
    expect(
      messages.map((message) => (JSON.parse(message.value) as { seq: number }).seq),
      key,
    ).toEqual([...Array(perMachine).keys()])
  }
  // 10 keys over 3 partitions: more than one partition carries data.
  expect(new Set(received.map((message) => message.partition)).size).toBeGreaterThan(1)

  // The group committed its position at the end of every partition.
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
  const committedTotal = (committed?.partitions ?? []).reduce((sum, { offset }) => sum + Number(offset), 0)
  expect(committedTotal).toBe(total)
})

function byKeyThenValue(a: { key: string; value: string }, b: { key: string; value: string }): number {
  return a.key === b.key ? a.value.localeCompare(b.value) : a.key.localeCompare(b.key)
}
