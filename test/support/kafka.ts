// Helpers for tests that talk to the Kafka broker provided by test/setup/kafka.ts.
import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'

/**
 * Bootstrap addresses of the test broker: what the integration project's globalSetup provided,
 * else KAFKA_BROKERS (comma-separated). Throws when neither is there, so a test never runs
 * against a guessed address.
 */
export function kafkaBrokers(): string[] {
  let provided: string | undefined
  try {
    provided = inject('kafkaBrokers')
  } catch {
    // Outside a vitest worker (a script reusing this helper): fall back to the environment.
  }
  const raw = provided || process.env.KAFKA_BROKERS || ''
  const brokers = raw
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '')
  if (brokers.length === 0) {
    throw new Error(
      'no Kafka broker: run the test in the vitest "integration" project (its globalSetup starts one) ' +
        'or set KAFKA_BROKERS=host:port',
    )
  }
  return brokers
}

/**
 * A topic name no other test or run uses: `<prefix>-<time>-<random>`, so a test owns its topic
 * even against a shared broker. Characters Kafka does not allow in topic names become `-`.
 */
export function uniqueTopic(prefix: string): string {
  const safePrefix = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 200)
  return `${safePrefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
}
