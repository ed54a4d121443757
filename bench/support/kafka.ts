// The Kafka broker a benchmark runs against: KAFKA_BROKERS if set, else a broker of its own on
// free ports (test/support/kafka-broker.ts: deploy/kafka/kafka.sh with its own home), deleted at
// the end.
import { startOwnBroker } from '../../test/support/kafka-broker.ts'

export async function benchBroker(name: string): Promise<{ brokers: string[]; stop: () => Promise<void> }> {
  const given = process.env['KAFKA_BROKERS']?.trim()
  if (given) return { brokers: given.split(',').map((b) => b.trim()), stop: async () => {} }
  const broker = await startOwnBroker({ name: `bench-${name}` })
  return { brokers: [broker.address], stop: () => broker.destroy() }
}
