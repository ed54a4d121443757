// Ingest throughput (from the first message delivered to the last one committed): events from Kafka into chDB through the real path (KafkaSubscriber batching,
// Avro decoding, watermark filter, batch ledger, deduplication tokens, the event table and its
// rollup/watermark views), beside chDB's own insert rate for the same rows, measured in the same
// run on a fresh database of the same schema. Both insert the same columns (`rowsByTable`: no
// factory and line, which the tables compute from the machine path since schema version 5).
//
//   node bench/ingest.bench.ts            (KAFKA_BROKERS, else a broker of its own on
//                                          SHOPFLOOR_BENCH_KAFKA_PORT, default 19496)
//   INGEST_BENCH_EVENTS=600000 node bench/ingest.bench.ts
//
// Targets (issue 5): ingest >= 200,000 events/s and >= half of chDB's own insert rate.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../connectors/common/logger.ts'
import { benchBroker } from './support/kafka.ts'
import {
  EventCodec,
  Ingest,
  KafkaPublisher,
  KafkaSubscriber,
  ensureTopics,
  insertRows,
  migrate,
  openClickhouse,
  rowsByTable,
  topicFor,
  type Clickhouse,
  type PartitionHandler,
  type ShopfloorEvent,
} from '../stream/index.ts'

const EVENTS = Number(process.env['INGEST_BENCH_EVENTS'] ?? 400_000)
const PARTITIONS = 3
const BATCH = Number(process.env["INGEST_BENCH_BATCH"] ?? 20_000)
const MACHINES = 60
const TARGET_EPS = 200_000
const TARGET_RATIO = 0.5

/** Tag samples of a slowly varying temperature, the most frequent event a site sends. */
function events(n: number): ShopfloorEvent[] {
  const t0 = Date.UTC(2026, 4, 1)
  const out: ShopfloorEvent[] = []
  for (let i = 0; i < n; i++) {
    const m = i % MACHINES
    const ts = t0 + Math.floor(i / MACHINES) * 100
    out.push({
      type: 'tag_sample',
      event: {
        event_id: `gw-${m % 6}:${i}`,
        agent_id: `gw-${m % 6}`,
        seq: i,
        machine: `vn-hcm/vsip-1/f${m % 3}/smt/line-${m % 5}/m${m}`,
        source_ts: ts,
        receive_ts: ts + 4,
        tag: `zone${i % 4}_temp_c`,
        value_double: 240 + Math.round(Math.sin(i / 5000) * 1000) / 100,
        value_string: null,
        quality: 'GOOD',
      },
    })
  }
  return out
}

async function freshStore(dir: string, db: string): Promise<Clickhouse> {
  const ch = await openClickhouse({ path: dir, database: db })
  await ch.client.command({ query: `DROP DATABASE IF EXISTS ${db}` })
  await ch.client.command({ query: `CREATE DATABASE ${db}` })
  await migrate(ch)
  return ch
}

async function baseline(ch: Clickhouse, evs: readonly ShopfloorEvent[]): Promise<number> {
  const rows = rowsByTable(evs).get('tag_sample') ?? []
  const started = performance.now()
  for (let i = 0; i < rows.length; i += BATCH) {
    await insertRows(ch, 'tag_sample', rows.slice(i, i + BATCH), { token: `baseline-${i}` })
  }
  return rows.length / ((performance.now() - started) / 1000)
}

/** CPU time of this thread (the JavaScript side: kafkajs, decoding, the insert bodies), ms. */
const threadCpuMs = (): number => {
  const u = (process as unknown as { threadCpuUsage(): { user: number; system: number } }).threadCpuUsage()
  return (u.user + u.system) / 1000
}

async function ingest(ch: Clickhouse, brokers: string[], topic: string, n: number): Promise<{ eps: number; jsUsPerEvent: number }> {
  const k = { brokers, logger: silentLogger }
  const ingestWorker = new Ingest({ clickhouse: ch, codec: new EventCodec(), logger: silentLogger })
  const subscriber = new KafkaSubscriber({ ...k, topics: [topic], groupId: `${topic}-${Date.now()}`, batchMessages: BATCH })
  // Timed from the first delivery: joining the group (about a second) is not throughput.
  let started = 0
  let cpuAtStart = 0
  const h = ingestWorker.handle
  const timed: PartitionHandler = {
    storeBatch: h.storeBatch,
    prepareBatch: h.prepareBatch,
    reassigned: h.reassigned,
    pendingBatch: (...args) => {
      if (!started) {
        started = performance.now()
        cpuAtStart = threadCpuMs()
      }
      return h.pendingBatch(...args)
    },
  }
  await subscriber.run(timed)
  while (ingestWorker.stats.messages < n) await new Promise((r) => setTimeout(r, 5))
  const eps = n / ((performance.now() - started) / 1000)
  const jsUsPerEvent = ((threadCpuMs() - cpuAtStart) * 1000) / n
  if (process.env["INGEST_BENCH_DEBUG"]) process.stderr.write(`ingest ${Math.round(performance.now() - started)} ms, insert ${Math.round(ingestWorker.stats.insertMs)} ms, batches ${ingestWorker.stats.batches}\n`)
  await subscriber.close()
  if (ingestWorker.stats.rows !== n) throw new Error(`ingest stored ${ingestWorker.stats.rows} rows of ${n}`)
  return { eps, jsUsPerEvent }
}

async function main(): Promise<number> {
  const kafka = await benchBroker('ingest')
  const dir = mkdtempSync(join(tmpdir(), 'shopfloor-bench-ingest-'))
  try {
    const codec = new EventCodec()
    const evs = events(EVENTS)
    const topic = topicFor('tag_sample', `bench-${Date.now().toString(36)}`)
    const k = { brokers: kafka.brokers, logger: silentLogger, partitions: PARTITIONS }
    await ensureTopics(k, [topic])
    const publisher = new KafkaPublisher(k)
    for (let i = 0; i < evs.length; i += 10_000) {
      await publisher.send(evs.slice(i, i + 10_000).map((e) => ({ topic, key: (e.event as { machine: string }).machine, value: codec.encode(e) })))
    }
    await publisher.close()

    // Alternate the two measurements so that load from other processes falls on both alike.
    const base: number[] = []
    const ours: number[] = []
    const js: number[] = []
    for (let round = 0; round < 3; round++) {
      const b = await freshStore(dir, `bench_base_${round}`)
      base.push(await baseline(b, evs))
      await b.close()
      const c = await freshStore(dir, `bench_ingest_${round}`)
      const r = await ingest(c, kafka.brokers, topic, evs.length)
      ours.push(r.eps)
      js.push(r.jsUsPerEvent)
      await c.close()
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
    const b = median(base)
    const o = median(ours)
    const ratio = o / b
    const okEps = o >= TARGET_EPS
    const okRatio = ratio >= TARGET_RATIO
    const f = (x: number): string => Math.round(x).toLocaleString('en-US')
    process.stdout.write(
      [
        `Ingest of ${f(EVENTS)} tag samples (${PARTITIONS} partitions, batches of ${f(BATCH)}), median of 3 rounds`,
        '',
        '| measure | events/s | target | result |',
        '|---|---|---|---|',
        `| chDB insert of the same rows (baseline) | ${f(b)} | | |`,
        `| ingest: Kafka -> decode -> chDB | ${f(o)} | >= ${f(TARGET_EPS)} | ${okEps ? 'PASS' : 'MISS'} |`,
        `| ingest / baseline | ${ratio.toFixed(2)} | >= ${TARGET_RATIO} | ${okRatio ? 'PASS' : 'MISS'} |`,
        '',
        `rounds: baseline ${base.map(f).join(', ')}; ingest ${ours.map(f).join(', ')}`,
        `JavaScript thread CPU per event ingested (kafkajs, Avro to rows, ledger, commit): ${js.map((x) => x.toFixed(2)).join(', ')} us`,
        '',
      ].join('\n'),
    )
    return okEps && okRatio ? 0 : 1
  } finally {
    await kafka.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

process.exit(await main())
