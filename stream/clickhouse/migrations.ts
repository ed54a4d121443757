import type { Clickhouse } from './client.ts'
import { StreamError } from '../errors.ts'
import { ALL_TABLES, EVENT_TABLES, ROLLUP_TABLES, VIEWS, columnSql, createTableSql, createViewSql, eventRollupViews, viewSelectSql, type ColumnDef, type TableDef, type ViewDef } from './schema.ts'

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

/** Columns version 3 added to the event tables (version 2 brought the tables to their definitions without them). */
const V3_COLUMNS: Readonly<Record<string, readonly string[]>> = { machine_state: ['prev_since'], machine_rollup_1m: ['down_runs'], machine_rollup_1h: ['down_runs'] }
/** Columns version 5 gave a DEFAULT (computed from `machine`); versions 2 and 3 declared them without. */
const V5_DEFAULTS: readonly string[] = ['factory', 'line']
/** The codec of the rollups' float columns until version 6 gave them LZ4. */
const V6_OLD_FLOAT_CODEC = 'Gorilla, ZSTD(1)'
const isRollupFloat = (t: TableDef, c: ColumnDef): boolean => ROLLUP_TABLES.includes(t) && c.type.includes('Float64')
/** A table as versions before 6 created it: the rollups' float columns with their old codec. */
const asOfV5 = (t: TableDef): TableDef => ({ ...t, columns: t.columns.map((c) => (isRollupFloat(t, c) ? { ...c, codec: V6_OLD_FLOAT_CODEC } : c)) })
/** A table as version 2 left it: without version 3's columns, version 5's defaults and version 6's codecs. */
const asOfV2 = (t: TableDef): TableDef => {
  const v5 = asOfV5(t)
  return { ...v5, columns: v5.columns.filter((c) => !V3_COLUMNS[t.name]?.includes(c.name)).map(({ default: _, ...c }) => c) }
}
/** Tables version 3 created. */
const V3_TABLES: readonly string[] = ['machine_rollup_15m', 'machine_rollup_30m', 'machine_state_last']
const tableNamed = (name: string): TableDef => ALL_TABLES.find((t) => t.name === name) as TableDef
const viewNamed = (name: string): ViewDef => VIEWS.find((v) => v.name === name) as ViewDef

/** Version 2's views: the minute and hour rollups both fed from the event tables, and the watermarks. */
const V2_VIEWS: readonly ViewDef[] = [...eventRollupViews('1m', 60_000, 2), ...eventRollupViews('1h', 3_600_000, 2), ...VIEWS.filter((v) => v.to === 'ingest_watermarks')]

/**
 * Version 3 fills a new rollup with what the minute rollup held before it existed (its view only
 * sees new inserts). Skips (machine, bucket) rows the rollup has, so that running it again after
 * an interruption adds nothing twice.
 */
const backfill = (suffix: string): string => {
  const v = viewNamed(`machine_rollup_1m_to_${suffix}`)
  const cols = tableNamed(`machine_rollup_${suffix}`).columns.map((c) => c.name)
  return `INSERT INTO {db}.machine_rollup_${suffix} (${cols.join(', ')})
SELECT ${cols.join(', ')} FROM (${viewSelectSql(v, '{db}')})
WHERE (machine, bucket) NOT IN (SELECT machine, bucket FROM {db}.machine_rollup_${suffix})`
}

/**
 * Version 4 books a reading's kWh and kvarh in the minute that ends at it (`ts − 1 ms`), no longer
 * in the minute it was taken in. The minute rollup is corrected by rows holding, per (machine,
 * minute), what the readings book there now less what the rollup holds; the coarser rollups get
 * the same rows through their views. Idempotent: once corrected, the difference is zero
 * (below a billionth of the energy involved: float sums in another order) and nothing is inserted.
 * kw_max needs nothing: an instantaneous kW stays in the bucket of its time.
 */
const V4_REBOOK_ENERGY = `INSERT INTO {db}.machine_rollup_1m (factory, line, machine, bucket, end_state, kwh, kvarh)
SELECT factory, line, machine, bucket, argMaxStateIf(toLowCardinality(''), toDateTime64(0, 3, 'UTC'), false) AS end_state,
  sum(e) AS d_kwh, sum(r) AS d_kvarh FROM (
  SELECT factory, line, machine, toDateTime(intDiv(toUnixTimestamp64Milli(ts) - 1, 60000) * 60, 'UTC') AS bucket,
    kwh AS e, ifNull(kvarh, 0) AS r, abs(kwh) AS ae, abs(ifNull(kvarh, 0)) AS ar
  FROM {db}.energy_reading
  UNION ALL
  SELECT factory, line, machine, bucket, -kwh AS e, -kvarh AS r, abs(kwh) AS ae, abs(kvarh) AS ar
  FROM {db}.machine_rollup_1m WHERE kwh != 0 OR kvarh != 0
)
GROUP BY factory, line, machine, bucket
HAVING abs(d_kwh) > 1e-9 * greatest(1, sum(ae)) OR abs(d_kvarh) > 1e-9 * greatest(1, sum(ar))`

/**
 * Versioned schema changes, applied in order at start-up and recorded in `schema_migrations`.
 * Every statement is idempotent (IF NOT EXISTS, ADD COLUMN IF NOT EXISTS, codec, default and
 * setting changes), so a half-applied migration, or two processes migrating at once, is safe.
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
      ...EVENT_TABLES.map(asOfV2).flatMap(alterToDefinition),
      ...ALL_TABLES.filter((t) => !EVENT_TABLES.includes(t) && !V3_TABLES.includes(t.name)).map((t) => createTableSql(asOfV2(t), '{db}')),
      ...V2_VIEWS.map((v) => createViewSql(v, '{db}')),
    ],
  },
  {
    version: 3,
    name: 'run start on state rows, DOWN runs by length in the rollups, latest state per machine, 15- and 30-minute rollups, coarser rollups fed from the minute rollup',
    statements: [
      ...Object.entries(V3_COLUMNS).flatMap(([table, names]) =>
        asOfV5(tableNamed(table))
          .columns.filter((c) => names.includes(c.name))
          .map((c) => `ALTER TABLE {db}.${table} ADD COLUMN IF NOT EXISTS ${columnSql(c)}`),
      ),
      ...V3_TABLES.map((t) => createTableSql(asOfV5(tableNamed(t)), '{db}')),
      // The hour rollup is fed from the minute rollup from now on (one rollup view per event
      // insert instead of two), and the minute rollup's state view adds down_runs. Stop ingest
      // while upgrading: an insert between a drop and its create would miss a rollup.
      ...eventRollupViews('1h', 3_600_000).map((v) => `DROP VIEW IF EXISTS {db}.${v.name}`),
      `DROP VIEW IF EXISTS {db}.machine_state_to_rollup_1m`,
      createViewSql(viewNamed('machine_state_to_rollup_1m'), '{db}'),
      createViewSql(viewNamed('machine_rollup_1m_to_1h'), '{db}'),
      createViewSql(viewNamed('machine_rollup_1m_to_15m'), '{db}'),
      createViewSql(viewNamed('machine_rollup_1m_to_30m'), '{db}'),
      backfill('15m'),
      backfill('30m'),
      createViewSql(viewNamed('machine_state_to_last'), '{db}'),
      // argMax states merge to the same latest event however often this runs.
      `INSERT INTO {db}.machine_state_last (factory, machine, last) ${viewSelectSql(viewNamed('machine_state_to_last'), '{db}')}`,
    ],
  },
  {
    version: 4,
    name: 'a meter reading books its energy in the interval that ends at it',
    statements: [
      // Stop ingest while upgrading: a reading inserted between the drop and the create would
      // miss the rollups until the correction below (which then books it; a rerun is safe).
      `DROP VIEW IF EXISTS {db}.energy_reading_to_rollup_1m`,
      createViewSql(viewNamed('energy_reading_to_rollup_1m'), '{db}'),
      V4_REBOOK_ENERGY,
    ],
  },
  {
    version: 5,
    name: 'factory and line of the machine event tables computed from the machine path by default',
    // A new default changes only the table's metadata: stored rows keep their values (no
    // mutation), and inserts that name the two columns (ingest before version 5) still store theirs.
    statements: EVENT_TABLES.flatMap((t) => {
      const cols = t.columns.filter((c) => c.default !== undefined && V5_DEFAULTS.includes(c.name))
      return cols.length ? [`ALTER TABLE {db}.${t.name} ${cols.map((c) => `MODIFY COLUMN ${columnSql(c)}`).join(', ')}`] : []
    }),
  },
  {
    version: 6,
    name: 'rollups: LZ4 for float sums and maxima (Gorilla and ZSTD before)',
    // A codec change rewrites nothing: new parts are written with LZ4, stored parts when merges
    // next rewrite them (OPTIMIZE TABLE ... FINAL does it at once).
    statements: ROLLUP_TABLES.map((t) => {
      const cols = t.columns.filter((c) => isRollupFloat(t, c))
      return `ALTER TABLE {db}.${t.name} ${cols.map((c) => `MODIFY COLUMN ${columnSql(c)}`).join(', ')}`
    }),
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
