// An ingest worker as its own process, for the kill test: KafkaSubscriber + Ingest into chDB at
// INGEST_CHDB_PATH. With INGEST_DIE_AFTER_INSERTS=n it kills itself (SIGKILL) right after its
// n-th insert into an event table has returned: rows stored, views written, offsets not committed.
// With INGEST_DIE_BEFORE_INSERT=1 it dies instead just before that insert, after the batch was
// recorded in the ledger. It prints its stats as JSON lines; SIGTERM stops it cleanly.
import { EventCodec, Ingest, KafkaSubscriber, migrate, openClickhouse, type Clickhouse } from '../../stream/index.ts'
import { silentLogger } from '../../connectors/common/logger.ts'
import { topicsOf } from './ingest-fixture.ts'

const env = (k: string): string => {
  const v = process.env[k]
  if (!v) throw new Error(`${k} is not set`)
  return v
}
const opened = await openClickhouse({ path: env('INGEST_CHDB_PATH'), database: env('INGEST_DATABASE') })
await migrate(opened)
const dieAfter = Number(process.env['INGEST_DIE_AFTER_INSERTS'] ?? 0)
const dieBefore = process.env['INGEST_DIE_BEFORE_INSERT'] === '1'
let ch: Clickhouse = opened
if (dieAfter > 0) {
  let inserts = 0
  /** Runs an insert, dying before or after it as the environment says. */
  const around = async <T>(target: string, insert: () => Promise<T>): Promise<T> => {
    const isEventInsert = /^\w+\.(machine_state|production_count|energy_reading|tag_sample)\b/.test(target)
    if (isEventInsert && inserts + 1 === dieAfter && dieBefore) process.kill(process.pid, 'SIGKILL')
    const r = await insert()
    if (isEventInsert && ++inserts === dieAfter) process.kill(process.pid, 'SIGKILL')
    return r
  }
  // Inserts go through chDB's raw insert where there is one, else through the client's command.
  const command = opened.client.command.bind(opened.client)
  opened.client.command = ((params: Parameters<typeof command>[0]) =>
    around(/^INSERT INTO (\S+)/.exec(params.query)?.[1] ?? '', () => command(params))) as typeof command
  const raw = opened.rawInsert
  if (raw) ch = { ...opened, rawInsert: (params) => around(params.table, () => raw(params)), close: () => opened.close() }
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
