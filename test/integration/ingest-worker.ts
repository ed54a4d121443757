// An ingest worker as its own process, for the kill test: KafkaSubscriber + Ingest into chDB at
// INGEST_CHDB_PATH. With INGEST_DIE_AFTER_INSERTS=n it kills itself (SIGKILL) right after its
// n-th insert into an event table has returned: rows stored, views written, offsets not committed.
// With INGEST_DIE_BEFORE_INSERT=1 it dies instead just before that insert, after the batch was
// recorded in the ledger. It prints its stats as JSON lines; SIGTERM stops it cleanly.
import { EventCodec, Ingest, KafkaSubscriber, migrate, openClickhouse } from '../../stream/index.ts'
import { silentLogger } from '../../connectors/common/logger.ts'
import { topicsOf } from './ingest-fixture.ts'

const env = (k: string): string => {
  const v = process.env[k]
  if (!v) throw new Error(`${k} is not set`)
  return v
}
const ch = await openClickhouse({ path: env('INGEST_CHDB_PATH'), database: env('INGEST_DATABASE') })
await migrate(ch)
const dieAfter = Number(process.env['INGEST_DIE_AFTER_INSERTS'] ?? 0)
const dieBefore = process.env['INGEST_DIE_BEFORE_INSERT'] === '1'
if (dieAfter > 0) {
  let inserts = 0
  const command = ch.client.command.bind(ch.client)
  ch.client.command = (async (params: Parameters<typeof command>[0]) => {
    const isEventInsert = /^INSERT INTO \w+\.(machine_state|production_count|energy_reading|tag_sample)\b/.test(params.query)
    if (isEventInsert && inserts + 1 === dieAfter && dieBefore) process.kill(process.pid, 'SIGKILL')
    const r = await command(params)
    if (isEventInsert && ++inserts === dieAfter) process.kill(process.pid, 'SIGKILL')
    return r
  }) as typeof ch.client.command
}
const ingest = new Ingest({ clickhouse: ch, codec: new EventCodec(), logger: silentLogger })
const subscriber = new KafkaSubscriber({
  brokers: env('KAFKA_BROKERS').split(','),
  logger: silentLogger,
  topics: topicsOf(env('INGEST_TOPIC_PREFIX')),
  groupId: env('INGEST_GROUP'),
  batchMessages: Number(process.env['INGEST_BATCH'] ?? 500),
  // A killed worker's partitions go to the next one after 6 s instead of 30.
  sessionTimeoutMs: 6000,
})
await subscriber.run(ingest.handle)
const report = setInterval(() => process.stdout.write(`${JSON.stringify({ ingest: ingest.stats, consumer: subscriber.stats })}\n`), 100)
process.on('SIGTERM', () => {
  clearInterval(report)
  void (async () => {
    await subscriber.close()
    process.stdout.write(`${JSON.stringify({ ingest: ingest.stats, consumer: subscriber.stats, closed: true })}\n`)
    await ch.close()
    process.exit(0)
  })()
})
