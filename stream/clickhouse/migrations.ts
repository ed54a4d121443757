import type { Clickhouse } from './client.ts'
import { StreamError } from '../errors.ts'
import { ALL_TABLES, EVENT_TABLES, VIEWS, columnSql, createTableSql, createViewSql, type TableDef } from './schema.ts'

export interface Migration {
  readonly version: number
  readonly name: string
  /** Statements with `{db}` for the database; each one idempotent. */
  readonly statements: readonly string[]
}

/** Columns every machine event table started with in version 1 (frozen: stores hold it). */
const V1_MACHINE_EVENT_COLUMNS = `event_id String,
        agent_id LowCardinality(String),
        seq UInt64,
        factory LowCardinality(String),
        line LowCardinality(String),
        machine LowCardinality(String),
        ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD),
        received DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD),`

/** Version 2 brings the version-1 tables to their definitions in `schema.ts`: new columns, codecs, settings. */
function alterToDefinition(t: TableDef): string[] {
  const out = t.columns.map((c) => `ALTER TABLE {db}.${t.name} ADD COLUMN IF NOT EXISTS ${columnSql(c)}`)
  for (const c of t.columns) if (c.codec) out.push(`ALTER TABLE {db}.${t.name} MODIFY COLUMN ${columnSql(c)}`)
  const settings = Object.entries(t.settings ?? {})
  if (settings.length) out.push(`ALTER TABLE {db}.${t.name} MODIFY SETTING ${settings.map(([k, v]) => `${k} = ${v}`).join(', ')}`)
  return out
}

/**
 * Versioned schema changes, applied in order at start-up and recorded in `schema_migrations`.
 * Every statement is idempotent (IF NOT EXISTS, ADD COLUMN IF NOT EXISTS, codec and setting
 * changes), so a half-applied migration, or two processes migrating at once, is safe.
 * A version, once released, never changes: new changes are a new version.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'event tables and machine registry',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.machine_state (
        ${V1_MACHINE_EVENT_COLUMNS}
        state LowCardinality(String),
        reason Nullable(String)
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (factory, machine, ts, event_id)`,
      `CREATE TABLE IF NOT EXISTS {db}.production_count (
        ${V1_MACHINE_EVENT_COLUMNS}
        produced UInt32 CODEC(T64, ZSTD),
        rejected UInt32 CODEC(T64, ZSTD),
        ideal_cycle_s Float64 CODEC(Gorilla, ZSTD),
        product LowCardinality(Nullable(String))
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (factory, machine, ts, event_id)`,
      `CREATE TABLE IF NOT EXISTS {db}.energy_reading (
        ${V1_MACHINE_EVENT_COLUMNS}
        kwh Float64 CODEC(Gorilla, ZSTD),
        kwh_total Float64 CODEC(Gorilla, ZSTD),
        kw Nullable(Float64)
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (factory, machine, ts, event_id)`,
      `CREATE TABLE IF NOT EXISTS {db}.tag_sample (
        ${V1_MACHINE_EVENT_COLUMNS}
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
  {
    version: 2,
    name: 'codecs, insert deduplication, state intervals, rollups, ingest watermarks and batch ledger',
    statements: [
      ...EVENT_TABLES.flatMap(alterToDefinition),
      ...ALL_TABLES.filter((t) => !EVENT_TABLES.includes(t)).map((t) => createTableSql(t, '{db}')),
      ...VIEWS.map((v) => createViewSql(v, '{db}')),
    ],
  },
]

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /**
   * Days raw tag samples are kept; 0 keeps them for ever. Applied at every start-up, and only
   * altered when it changed. Default: `SHOPFLOOR_TAG_SAMPLE_TTL_DAYS` or 365.
   */
  tagSampleTtlDays?: number
}

/** Another process created the same object between our IF NOT EXISTS check and the create. */
function isCreateRace(err: unknown): boolean {
  return /already exists|TABLE_ALREADY_EXISTS|is being created/i.test((err as Error).message ?? '')
}

async function run(ch: Clickhouse, sql: string, what: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ch.client.command({ query: sql })
      return
    } catch (cause) {
      if (isCreateRace(cause) && attempt === 0) continue
      throw new StreamError('SHOPFLOOR_CLICKHOUSE_MIGRATION', `${what} failed on ${ch.describe}: ${(cause as Error).message}`, { cause })
    }
  }
}

function ttlDays(opts: MigrateOptions): number {
  const raw = opts.tagSampleTtlDays ?? process.env['SHOPFLOOR_TAG_SAMPLE_TTL_DAYS'] ?? 365
  const days = Number(raw)
  if (!Number.isInteger(days) || days < 0) {
    throw new StreamError('SHOPFLOOR_CLICKHOUSE_MIGRATION', `tag sample TTL must be a whole number of days >= 0 (0 keeps samples for ever), got "${raw}" (SHOPFLOOR_TAG_SAMPLE_TTL_DAYS)`)
  }
  return days
}

/** Sets the raw tag samples' TTL when it differs from the table's, so a start-up rewrites nothing. */
export async function applyRetention(ch: Clickhouse, opts: MigrateOptions = {}): Promise<void> {
  const days = ttlDays(opts)
  const rs = await ch.client.query({
    query: `SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'tag_sample'`,
    query_params: { db: ch.database },
    format: 'JSONEachRow',
  })
  const engine = (await rs.json<{ engine_full: string }>())[0]?.engine_full ?? ''
  // On a cluster the TTL belongs to tag_sample_local (deploy/clickhouse/README.md says how to change it).
  if (engine.startsWith('Distributed')) return
  const current = /TTL toDateTime\(ts\) \+ toIntervalDay\((\d+)\)/.exec(engine)?.[1]
  if (days === 0 && /\bTTL\b/.test(engine)) await run(ch, `ALTER TABLE ${ch.database}.tag_sample REMOVE TTL`, 'removing the tag sample TTL')
  else if (days > 0 && current !== String(days)) {
    await run(ch, `ALTER TABLE ${ch.database}.tag_sample MODIFY TTL toDateTime(ts) + INTERVAL ${days} DAY`, `setting the tag sample TTL to ${days} days`)
  }
}

/** Applies the migrations not yet recorded, then the retention settings; returns the versions it applied. */
export async function migrate(ch: Clickhouse, opts: MigrateOptions = {}): Promise<number[]> {
  const db = ch.database
  ttlDays(opts) // a bad setting fails before anything changes
  await run(
    ch,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied DateTime64(3, 'UTC'))
     ENGINE = ReplacingMergeTree ORDER BY version`,
    'creating schema_migrations',
  )
  const rs = await ch.client.query({ query: `SELECT version FROM ${db}.schema_migrations FINAL`, format: 'JSONEachRow' })
  const done = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)))
  const applied: number[] = []
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue
    for (const sql of m.statements) await run(ch, sql.replaceAll('{db}', db), `migration ${m.version} (${m.name})`)
    await ch.client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: m.version, name: m.name, applied: Date.now() }],
      format: 'JSONEachRow',
    })
    applied.push(m.version)
  }
  await applyRetention(ch, opts)
  return applied
}
