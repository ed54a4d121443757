// The agent's and ingest's Kafka settings for TLS and SASL, against a broker of the test's own
// that listens with SASL_PLAINTEXT, SASL_SSL and SSL (deploy/kafka/kafka.sh, SHOPFLOOR_KAFKA_SECURITY=1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kafka } from 'kafkajs'
import { silentLogger } from '../../connectors/common/logger.ts'
import { ensureTopics, KafkaPublisher, type KafkaOptions, type StreamError } from '../../stream/index.ts'
import { startOwnBroker, type OwnBroker } from '../support/kafka-broker.ts'
import { uniqueTopic } from '../support/kafka.ts'

let broker: OwnBroker

beforeAll(async () => {
  broker = await startOwnBroker({ name: 'security', security: true })
}, 120_000)

afterAll(async () => {
  await broker?.destroy()
})

/** Publishes one message with these settings and reads it back over the plain listener. */
async function roundTrip(opts: Omit<KafkaOptions, 'logger'>): Promise<string> {
  const topic = uniqueTopic('security')
  const k: KafkaOptions = { ...opts, logger: silentLogger, connectionTimeoutMs: 3000 }
  await ensureTopics(k, [topic])
  const publisher = new KafkaPublisher(k)
  try {
    await publisher.send([{ topic, key: 'hcmc/vsip-1/f/a/l/m', value: Buffer.from('hello') }])
  } finally {
    await publisher.close()
  }
  const consumer = new Kafka({ brokers: [broker.address], logLevel: 0 }).consumer({ groupId: uniqueTopic('g') })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const got = await new Promise<string>((resolve) => {
    void consumer.run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') })
  })
  await consumer.disconnect()
  return got
}

async function failure(opts: Omit<KafkaOptions, 'logger'>): Promise<StreamError> {
  try {
    await ensureTopics({ ...opts, logger: silentLogger, connectionTimeoutMs: 3000 }, [uniqueTopic('never')])
  } catch (e) {
    return e as StreamError
  }
  throw new Error('expected the connection to fail')
}

describe('Kafka over SASL and TLS', () => {
  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`SASL ${mechanism} over plain TCP`, async () => {
      expect(await roundTrip({ brokers: [broker.saslAddress], sasl: { mechanism, ...broker.user } })).toBe('hello')
    })
  }

  it('SASL SCRAM-SHA-512 over TLS, trusting the broker by its CA', async () => {
    expect(await roundTrip({ brokers: [broker.saslTlsAddress], tls: { ca: broker.caPem }, sasl: { mechanism: 'scram-sha-512', ...broker.user } })).toBe('hello')
  })

  it('TLS without SASL', async () => {
    expect(await roundTrip({ brokers: [broker.tlsAddress], tls: { ca: broker.caPem } })).toBe('hello')
  })

  it('a wrong password is SHOPFLOOR_KAFKA_AUTH, names the user and never the password', async () => {
    const e = await failure({ brokers: [broker.saslAddress], sasl: { mechanism: 'scram-sha-256', username: 'shopfloor', password: 'not-the-password' } })
    expect(e.code).toBe('SHOPFLOOR_KAFKA_AUTH')
    expect(e.canRetry).toBe(false)
    expect(e.message).toContain('SCRAM-SHA-256 as "shopfloor"')
    expect(e.message).not.toContain('not-the-password')
  })

  it('a broker certificate nobody vouches for is SHOPFLOOR_KAFKA_TLS', async () => {
    const e = await failure({ brokers: [broker.tlsAddress], tls: {} })
    expect(e.code).toBe('SHOPFLOOR_KAFKA_TLS')
    expect(e.message).toMatch(/kafka\.tls\.ca/)
  })
})
