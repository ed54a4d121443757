import type { Clickhouse } from './client.ts'
import { StreamError } from '../errors.ts'

/**
 * Versioned schema changes, applied in order at start-up and recorded in `schema_migrations`.
 * Every statement is idempotent (IF NOT EXISTS), so a half-applied migration is safe to re-run.
 * `{db}` stands for the database name.
 *
 * Event tables are ReplacingMergeTree ordered by (factory, machine, time, event_id): a replayed
 * event has the same sorting key and collapses into one row; queries read them with FINAL.
 */
/** Columns every machine event table starts with: who sent it, which machine, when. */
const MACHINE_EVENT_COLUMNS = `event_id String,
        agent_id LowCardinality(String),
        seq UInt64,
        factory LowCardinality(String),
        line LowCardinality(String),
        machine LowCardinality(String),
        ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD),
        received DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD),`

export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; statements: readonly string[] }> = [
  {
    version: 1,
    name: 'event tables and machine registry',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.machine_state (
        ${MACHINE_EVENT_COLUMNS}
        state LowCardinality(String),
        reason Nullable(String)
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (factory, machine, ts, event_id)`,
      `CREATE TABLE IF NOT EXISTS {db}.production_count (
        ${MACHINE_EVENT_COLUMNS}
        produced UInt32 CODEC(T64, ZSTD),
        rejected UInt32 CODEC(T64, ZSTD),
        ideal_cycle_s Float64 CODEC(Gorilla, ZSTD),
        product LowCardinality(Nullable(String))
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (factory, machine, ts, event_id)`,
      `CREATE TABLE IF NOT EXISTS {db}.energy_reading (
        ${MACHINE_EVENT_COLUMNS}
        kwh Float64 CODEC(Gorilla, ZSTD),
        kwh_total Float64 CODEC(Gorilla, ZSTD),
        kw Nullable(Float64)
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (factory, machine, ts, event_id)`,
      `CREATE TABLE IF NOT EXISTS {db}.tag_sample (
        ${MACHINE_EVENT_COLUMNS}
        tag LowCardinality(String),
        value_double Nullable(Float64),
        value_string Nullable(String),
        quality LowCardinality(String)
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (factory, machine, tag, ts, event_id)`,
      `CREATE TABLE IF NOT EXISTS {db}.agent_heartbeat (
        event_id String,
        agent_id LowCardinality(String),
        seq UInt64,
        ts DateTime64(3, 'UTC'),
        version LowCardinality(String),
        started DateTime64(3, 'UTC'),
        machines UInt32
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (agent_id, ts, event_id)`,
      // The registry keeps the latest announcement per machine (version column `updated`).
      `CREATE TABLE IF NOT EXISTS {db}.machines (
        machine String,
        factory LowCardinality(String),
        line LowCardinality(String),
        name String,
        position UInt16,
        ideal_cycle_s Float64,
        line_ideal_cycle_s Float64,
        end_of_line Bool,
        agent_id LowCardinality(String),
        updated DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree(updated)
      ORDER BY machine`,
    ],
  },
]

/** Applies the migrations not yet recorded; returns the versions it applied. */
export async function migrate(ch: Clickhouse): Promise<number[]> {
  const db = ch.database
  await ch.client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied DateTime64(3, 'UTC'))
            ENGINE = ReplacingMergeTree ORDER BY version`,
  })
  const rs = await ch.client.query({ query: `SELECT version FROM ${db}.schema_migrations FINAL`, format: 'JSONEachRow' })
  const done = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)))
  const applied: number[] = []
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue
    for (const sql of m.statements) {
      try {
        await ch.client.command({ query: sql.replaceAll('{db}', db) })
      } catch (cause) {
        throw new StreamError('SHOPFLOOR_CLICKHOUSE_MIGRATION', `migration ${m.version} (${m.name}) failed on ${ch.describe}: ${(cause as Error).message}`, { cause })
      }
    }
    await ch.client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: m.version, name: m.name, applied: Date.now() }],
      format: 'JSONEachRow',
    })
    applied.push(m.version)
  }
  return applied
}
