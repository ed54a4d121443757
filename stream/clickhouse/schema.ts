/**
 * The ClickHouse schema as data: every table and materialized view, once. The single-node
 * migrations (`migrations.ts`) and the cluster variant (`cluster.ts`, shipped in
 * `deploy/clickhouse/`) are both generated from these definitions, so they cannot drift apart.
 * `docs/clickhouse.md` explains the choices; a test checks that a migrated chDB store has exactly
 * these columns, defaults and codecs.
 */

import { PATH_LEVELS } from '../machine-path.ts'

export interface ColumnDef {
  readonly name: string
  readonly type: string
  /** Compression codec chain, e.g. `DoubleDelta, ZSTD(1)`. Default: the server's (LZ4). */
  readonly codec?: string
  /**
   * `DEFAULT` expression: what ClickHouse stores when an insert leaves the column out (an insert
   * that names the column stores its value). Default: none (the type's zero value).
   */
  readonly default?: string
}

export interface TableDef {
  readonly name: string
  readonly columns: readonly ColumnDef[]
  /** MergeTree family member without `Replicated`, and its arguments. */
  readonly engine: 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree'
  readonly engineArgs?: string
  readonly partitionBy?: string
  readonly orderBy: string
  /** Row TTL expression (without `TTL`). */
  readonly ttl?: string
  readonly settings?: Readonly<Record<string, number>>
  /** How the cluster variant spreads rows over shards (Distributed sharding key). */
  readonly shardBy: string
}

export interface ViewDef {
  readonly name: string
  readonly from: string
  readonly to: string
  /** The SELECT, with `{db}` for the database and `{from}` for the source table. */
  readonly select: string
}

/**
 * Blocks remembered per table for insert deduplication. Ingest replays an interrupted batch with
 * the same token; the block must still be remembered then, while other partitions keep inserting
 * into the same table. 10,000 blocks is hours of inserts at the batch rates ingest produces.
 */
export const DEDUP_WINDOW = 10_000
const DEDUP = { non_replicated_deduplication_window: DEDUP_WINDOW }

const TIME = `DateTime64(3, 'UTC')`
const col = (name: string, type: string, codec?: string): ColumnDef => (codec ? { name, type, codec } : { name, type })

/**
 * The first `level` segments of the `machine` column, as `parseMachinePath` (machine-path.ts) cuts
 * them and the API computes them (`path.split('/').slice(0, n).join('/')`): a path with fewer
 * segments is returned whole (ingest dead-letters such a path before it reaches a table).
 */
export const machinePathPrefixSql = (level: (typeof PATH_LEVELS)[number]): string =>
  `arrayStringConcat(arraySlice(splitByChar('/', machine), 1, ${PATH_LEVELS.indexOf(level) + 1}), '/')`

/**
 * Header columns of every machine event table: who sent it, which machine, when. `factory` and
 * `line` (schema version 5) are computed by ClickHouse from `machine`, so ingest does not send
 * them: the expression runs once per distinct machine of a block (LowCardinality), where parsing
 * two more JSON strings per row cost chDB about a quarter of its insert time (docs/benchmarks.md).
 */
const MACHINE_HEADER: readonly ColumnDef[] = [
  col('event_id', 'String', 'ZSTD(1)'),
  col('agent_id', 'LowCardinality(String)'),
  col('seq', 'UInt64', 'Delta, ZSTD(1)'),
  { name: 'factory', type: 'LowCardinality(String)', default: machinePathPrefixSql('factory') },
  { name: 'line', type: 'LowCardinality(String)', default: machinePathPrefixSql('line') },
  col('machine', 'LowCardinality(String)'),
  col('ts', TIME, 'DoubleDelta, ZSTD(1)'),
  col('received', TIME, 'DoubleDelta, ZSTD(1)'),
]

const machineEvents = (name: string, columns: readonly ColumnDef[], orderBy = '(factory, machine, ts, event_id)'): TableDef => ({
  name,
  columns: [...MACHINE_HEADER, ...columns],
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMM(ts)',
  orderBy,
  settings: DEDUP,
  shardBy: 'cityHash64(machine)',
})

/** Raw event tables, one per event type (plus the machine registry fed from heartbeats). */
export const EVENT_TABLES: readonly TableDef[] = [
  machineEvents('machine_state', [
    col('state', 'LowCardinality(String)'),
    col('reason', 'Nullable(String)', 'ZSTD(1)'),
    // The state this event ended and when it began: filled by ingest, which sees each machine's
    // events in order. The rollup views turn [prev_ts, ts) into seconds per state per bucket.
    col('prev_state', 'LowCardinality(Nullable(String))'),
    col('prev_ts', `Nullable(${TIME})`, 'DoubleDelta, ZSTD(1)'),
    // Also filled by ingest (version 3): when the machine entered prev_state, i.e. the start of
    // the run of equal states this event ends or continues. A DOWN stop with reason updates is one
    // run, so the row that ends it knows the stop's whole length, ts - prev_since (micro-stops).
    col('prev_since', `Nullable(${TIME})`, 'DoubleDelta, ZSTD(1)'),
  ]),
  machineEvents('production_count', [
    col('produced', 'UInt32', 'T64, ZSTD(1)'),
    col('rejected', 'UInt32', 'T64, ZSTD(1)'),
    col('ideal_cycle_s', 'Float64', 'Gorilla, ZSTD(1)'),
    col('product', 'LowCardinality(Nullable(String))'),
  ]),
  machineEvents('energy_reading', [
    col('kwh', 'Float64', 'Gorilla, ZSTD(1)'),
    col('kwh_total', 'Float64', 'Gorilla, ZSTD(1)'),
    col('kw', 'Nullable(Float64)', 'Gorilla, ZSTD(1)'),
    // Reactive energy (energy-reading schema v2); null where the meter has no reactive register.
    col('kvarh', 'Nullable(Float64)', 'Gorilla, ZSTD(1)'),
    col('kvarh_total', 'Nullable(Float64)', 'Gorilla, ZSTD(1)'),
  ]),
  machineEvents(
    'tag_sample',
    [
      col('tag', 'LowCardinality(String)'),
      col('value_double', 'Nullable(Float64)', 'Gorilla, ZSTD(1)'),
      col('value_string', 'Nullable(String)', 'ZSTD(1)'),
      col('quality', 'LowCardinality(String)'),
    ],
    '(factory, machine, tag, ts, event_id)',
  ),
  {
    name: 'agent_heartbeat',
    columns: [
      col('event_id', 'String', 'ZSTD(1)'),
      col('agent_id', 'LowCardinality(String)'),
      col('seq', 'UInt64', 'Delta, ZSTD(1)'),
      col('ts', TIME, 'DoubleDelta, ZSTD(1)'),
      col('version', 'LowCardinality(String)'),
      col('started', TIME, 'DoubleDelta, ZSTD(1)'),
      col('machines', 'UInt32', 'T64, ZSTD(1)'),
    ],
    engine: 'ReplacingMergeTree',
    partitionBy: 'toYYYYMM(ts)',
    orderBy: '(agent_id, ts, event_id)',
    settings: DEDUP,
    shardBy: 'cityHash64(agent_id)',
  },
  // The registry keeps the latest announcement per machine (version column `updated`).
  {
    name: 'machines',
    columns: [
      col('machine', 'String'),
      col('factory', 'LowCardinality(String)'),
      col('line', 'LowCardinality(String)'),
      col('name', 'String'),
      col('position', 'UInt16'),
      col('ideal_cycle_s', 'Float64'),
      col('line_ideal_cycle_s', 'Float64'),
      col('end_of_line', 'Bool'),
      col('agent_id', 'LowCardinality(String)'),
      col('updated', TIME),
    ],
    engine: 'ReplacingMergeTree',
    engineArgs: 'updated',
    orderBy: 'machine',
    settings: DEDUP,
    shardBy: 'cityHash64(machine)',
  },
]

/** Seconds-per-state columns of the rollups, by the state whose time they hold. */
export const STATE_COLUMNS = {
  RUNNING: 'running_ms',
  IDLE: 'idle_ms',
  DOWN: 'down_ms',
  SETUP: 'setup_ms',
  PLANNED_STOP: 'planned_stop_ms',
  OFFLINE: 'offline_ms',
} as const

const sumU64 = (name: string): ColumnDef => col(name, 'SimpleAggregateFunction(sum, UInt64)', 'T64, ZSTD(1)')
/**
 * Float sums and maxima of a bucket: LZ4 (version 6; Gorilla and ZSTD before). Gorilla suits a
 * slowly varying series such as raw readings; per-bucket sums jump from row to row, and on the KPI
 * benchmark's quarter-hour rollup Gorilla + ZSTD stored kWh in 11.3 MiB, LZ4 in 8.0 MiB, and the
 * energy query read them with 10 % less CPU (docs/clickhouse.md, Codecs).
 */
const ROLLUP_FLOAT_CODEC = 'LZ4'
const sumF64 = (name: string): ColumnDef => col(name, 'SimpleAggregateFunction(sum, Float64)', ROLLUP_FLOAT_CODEC)

/**
 * Rollup buckets: table suffix and bucket length in milliseconds, finest first. The minute rollup
 * is fed from the event tables; the coarser ones from the minute rollup (`from: '1m'`), so an
 * insert of events runs one rollup view, not one per bucket size.
 *
 * The quarter- and half-hour rollups are partitioned by the hour of the day: a long window reads
 * them only at calendar edges (breaks, shift changes: the same few hours every day), and the
 * partitions of other hours are skipped (docs/clickhouse.md: 4× less CPU than monthly partitions,
 * where every granule of a machine holds some edge).
 */
export const ROLLUPS = [
  { suffix: '1m', bucketMs: 60_000, partitionBy: 'toYYYYMM(bucket)' },
  { suffix: '15m', bucketMs: 900_000, partitionBy: 'toHour(bucket)', from: '1m' },
  { suffix: '30m', bucketMs: 1_800_000, partitionBy: 'toHour(bucket)', from: '1m' },
  { suffix: '1h', bucketMs: 3_600_000, partitionBy: 'toYear(bucket)', from: '1m' },
] as const

/**
 * One rollup table per bucket size, all metrics of a machine side by side; every column is a sum
 * or a max, so rows of one (machine, bucket) combine in any order and a query sums them.
 */
const rollupTable = (suffix: string, partitionBy: string): TableDef => ({
  name: `machine_rollup_${suffix}`,
  columns: [
    col('factory', 'LowCardinality(String)'),
    col('line', 'LowCardinality(String)'),
    col('machine', 'LowCardinality(String)'),
    col('bucket', `DateTime('UTC')`, 'DoubleDelta, ZSTD(1)'),
    ...Object.values(STATE_COLUMNS).map(sumU64),
    sumU64('state_events'),
    sumU64('down_starts'),
    col('end_state', `AggregateFunction(argMax, LowCardinality(String), ${TIME})`),
    sumU64('produced'),
    sumU64('rejected'),
    sumF64('ideal_produced_s'),
    sumF64('ideal_rejected_s'),
    sumF64('kwh'),
    sumF64('kvarh'),
    col('kw_max', 'SimpleAggregateFunction(max, Float64)', ROLLUP_FLOAT_CODEC),
    // Closed DOWN runs (schema version 3): whole length (ms, at most 2^32 - 1: 49.7 days) ->
    // ms of the run inside the bucket + (runs that began in the bucket << 40). Micro-stops are
    // DOWN runs shorter than a threshold the query chooses; with the lengths kept, any threshold
    // sums from the rollup. One packed value array and LZ4: a quarter of the read and lambda
    // time of three arrays under ZSTD.
    col('down_runs', `SimpleAggregateFunction(sumMap, Tuple(Array(UInt32), Array(UInt64)))`),
  ],
  engine: 'AggregatingMergeTree',
  partitionBy,
  // line is part of the machine path; in the key so that merges never have to pick one.
  orderBy: '(factory, line, machine, bucket)',
  settings: DEDUP,
  shardBy: 'cityHash64(machine)',
})

/** Highest sequence stored per (event stream, agent, machine): what ingest compares new events with. */
const WATERMARKS: TableDef = {
  name: 'ingest_watermarks',
  columns: [
    col('stream', 'LowCardinality(String)'),
    col('agent_id', 'LowCardinality(String)'),
    col('machine', 'String'),
    col('seq', 'SimpleAggregateFunction(max, UInt64)'),
  ],
  engine: 'AggregatingMergeTree',
  orderBy: '(stream, agent_id, machine)',
  settings: DEDUP,
  shardBy: 'cityHash64(machine)',
}

/**
 * Ingest's batch ledger: each Kafka batch is recorded before its rows are inserted, so that a
 * worker taking over a partition can replay an interrupted batch exactly (same offsets, same
 * filter context, same deduplication token). Kept a week.
 */
const BATCHES: TableDef = {
  name: 'ingest_batches',
  columns: [
    col('consumer_group', 'LowCardinality(String)'),
    col('topic', 'LowCardinality(String)'),
    col('partition', 'UInt32'),
    col('first_offset', 'UInt64'),
    col('next_offset', 'UInt64'),
    col('context', 'String', 'ZSTD(3)'),
    col('written', TIME),
  ],
  engine: 'ReplacingMergeTree',
  engineArgs: 'written',
  orderBy: '(consumer_group, topic, partition, first_offset)',
  ttl: 'toDateTime(written) + INTERVAL 7 DAY',
  shardBy: 'cityHash64(consumer_group, topic, partition)',
}

export const ROLLUP_TABLES: readonly TableDef[] = ROLLUPS.map((r) => rollupTable(r.suffix, r.partitionBy))
export const INGEST_TABLES: readonly TableDef[] = [WATERMARKS, BATCHES]

const LAST_STATE_TUPLE = `Tuple(${TIME}, UInt64, String, ${TIME})`

/**
 * Each machine's latest state event (schema version 3), kept by a view: (ts, seq, state, since),
 * `since` being when the machine entered that state (the start of the run it continues). The
 * interval in force at `now` is in no rollup; reading it here costs a row per machine, where
 * finding it in the event table reads a granule per machine.
 */
const LAST_STATES: TableDef = {
  name: 'machine_state_last',
  columns: [
    col('factory', 'LowCardinality(String)'),
    col('machine', 'LowCardinality(String)'),
    col('last', `AggregateFunction(argMax, ${LAST_STATE_TUPLE}, Tuple(${TIME}, UInt64))`),
  ],
  engine: 'AggregatingMergeTree',
  orderBy: '(factory, machine)',
  settings: DEDUP,
  shardBy: 'cityHash64(machine)',
}

/** The SELECT that feeds {@link LAST_STATES} from state rows (the view's, and version 3's backfill). */
export const LAST_STATE_SELECT = `SELECT factory, machine, argMaxState((ts, seq, toString(state), since), (ts, seq)) AS last
FROM (SELECT factory, machine, ts, seq, state, if(ifNull(prev_state, '') = state, ifNull(prev_since, ifNull(prev_ts, ts)), ts) AS since FROM {db}.{from})
GROUP BY factory, machine`

/**
 * Buckets an event row touches: `b` ranges over the bucket starts (epoch ms) from the bucket of
 * `p` to the bucket of `t`; `ms` is the part of [p, t) inside bucket `b`.
 */
const bucketsOf = (B: number, p: string, t: string): string =>
  `arrayJoin(arrayMap(i -> i * ${B}, range(intDiv(least(${p}, ${t}), ${B}), intDiv(${t}, ${B}) + 1)))`

/**
 * The state view. `runs` (schema version 3) adds `down_runs`: the row that ends a DOWN run
 * (prev_state DOWN, state not) carries the whole run [prev_since, ts); it is split at bucket edges
 * too, keyed by the run's length. Buckets of the run before prev_ts get a row of their own (no
 * state time: that is in the rows of the run's earlier DOWN events).
 */
const stateView = (suffix: string, B: number, runs = true): ViewDef => ({
  name: `machine_state_to_rollup_${suffix}`,
  from: 'machine_state',
  to: `machine_rollup_${suffix}`,
  // Each state row carries the interval it closed, [prev_ts, ts) in prev_state: split at bucket
  // edges. In the bucket of `ts` the state in force at the bucket's end is the new one, elsewhere
  // the interval's (end_state's argMax time orders them; a later event in the same bucket wins).
  select: `SELECT factory, line, machine, toDateTime(intDiv(b, 1000), 'UTC') AS bucket,
  ${Object.entries(STATE_COLUMNS)
    .map(([state, c]) => `sumIf(ms, prev_state = '${state}') AS ${c}`)
    .join(',\n  ')},
  countIf(is_event) AS state_events,
  countIf(is_event AND state = 'DOWN' AND ifNull(prev_state, '') != 'DOWN') AS down_starts,
  argMaxState(toLowCardinality(if(is_event, state, ifNull(prev_state, state))), if(is_event, ts, fromUnixTimestamp64Milli(b + ${B - 1}, 'UTC'))) AS end_state,
  0 AS produced, 0 AS rejected, 0 AS ideal_produced_s, 0 AS ideal_rejected_s, 0 AS kwh, 0 AS kvarh, 0 AS kw_max${
    runs
      ? `,
  sumMap(if(ends_run, [toUInt32(least(greatest(0, t - r0), ${0xffffffff}))], emptyArrayUInt32()),
         if(ends_run, [run_ms + bitShiftLeft(toUInt64(r0 >= b AND r0 < b + ${B}), 40)], emptyArrayUInt64())) AS down_runs`
      : ''
  }
FROM (
  SELECT factory, line, machine, state, prev_state, ts,
    toUnixTimestamp64Milli(ts) AS t,
    if(prev_ts IS NULL, t, toUnixTimestamp64Milli(assumeNotNull(prev_ts))) AS p,${
      runs
        ? `
    ifNull(prev_state, '') = 'DOWN' AND state != 'DOWN' AND prev_ts IS NOT NULL AS ends_run,
    if(ends_run, toUnixTimestamp64Milli(ifNull(prev_since, assumeNotNull(prev_ts))), p) AS r0,
    ${bucketsOf(B, 'least(p, r0)', 't')} AS b,
    toUInt64(greatest(0, least(t, b + ${B}) - greatest(r0, b))) AS run_ms,`
        : `
    ${bucketsOf(B, 'p', 't')} AS b,`
    }
    toUInt64(greatest(0, least(t, b + ${B}) - greatest(p, b))) AS ms,
    b = intDiv(t, ${B}) * ${B} AS is_event
  FROM {db}.{from}
)
GROUP BY factory, line, machine, bucket`,
})

const zeroState = `${Object.values(STATE_COLUMNS)
  .map((c) => `0 AS ${c}`)
  .join(', ')}, 0 AS state_events, 0 AS down_starts`

const countView = (suffix: string, B: number): ViewDef => ({
  name: `production_count_to_rollup_${suffix}`,
  from: 'production_count',
  to: `machine_rollup_${suffix}`,
  select: `SELECT factory, line, machine, toDateTime(intDiv(intDiv(toUnixTimestamp64Milli(ts), ${B}) * ${B}, 1000), 'UTC') AS bucket,
  ${zeroState}, argMaxStateIf(toLowCardinality(''), ts, false) AS end_state,
  sum(n_produced) AS produced, sum(n_rejected) AS rejected,
  sum(n_produced * cycle_s) AS ideal_produced_s, sum(n_rejected * cycle_s) AS ideal_rejected_s,
  0 AS kwh, 0 AS kvarh, 0 AS kw_max
FROM (SELECT factory, line, machine, ts, produced AS n_produced, rejected AS n_rejected, ideal_cycle_s AS cycle_s FROM {db}.{from})
GROUP BY factory, line, machine, bucket`,
})

/**
 * The energy view. A reading's kWh and kvarh are the energy used since the meter's previous
 * reading, so they belong to the interval that ENDS at its timestamp: they are booked in the
 * bucket of `ts − 1 ms` (schema version 4; a reading at 17:30:00.000 is energy of 17:29). Its kW
 * is instantaneous power at `ts`: booked in the bucket of `ts`. A reading on a bucket edge with a
 * kW gives two rows. Version 2's view (`endBooked` false) booked everything at `ts`.
 */
const energyView = (suffix: string, B: number, endBooked = true): ViewDef => ({
  name: `energy_reading_to_rollup_${suffix}`,
  from: 'energy_reading',
  to: `machine_rollup_${suffix}`,
  select: endBooked
    ? `SELECT factory, line, machine, toDateTime(intDiv(x.1, 1000), 'UTC') AS bucket,
  ${zeroState}, argMaxStateIf(toLowCardinality(''), ts, false) AS end_state,
  0 AS produced, 0 AS rejected, 0 AS ideal_produced_s, 0 AS ideal_rejected_s,
  sum(x.2) AS kwh, sum(x.3) AS kvarh, max(x.4) AS kw_max
FROM (
  SELECT factory, line, machine, ts, toUnixTimestamp64Milli(ts) AS t,
    intDiv(t - 1, ${B}) * ${B} AS b_used, intDiv(t, ${B}) * ${B} AS b_read,
    arrayJoin(if(b_used = b_read OR kw IS NULL,
      [(b_used, kwh, ifNull(kvarh, 0), ifNull(kw, 0))],
      [(b_used, kwh, ifNull(kvarh, 0), 0), (b_read, 0, 0, assumeNotNull(kw))])) AS x
  FROM {db}.{from}
)
GROUP BY factory, line, machine, bucket`
    : `SELECT factory, line, machine, toDateTime(intDiv(intDiv(toUnixTimestamp64Milli(ts), ${B}) * ${B}, 1000), 'UTC') AS bucket,
  ${zeroState}, argMaxStateIf(toLowCardinality(''), ts, false) AS end_state,
  0 AS produced, 0 AS rejected, 0 AS ideal_produced_s, 0 AS ideal_rejected_s,
  sum(used_kwh) AS kwh, sum(ifNull(used_kvarh, 0)) AS kvarh, max(ifNull(power_kw, 0)) AS kw_max
FROM (SELECT factory, line, machine, ts, kwh AS used_kwh, kvarh AS used_kvarh, kw AS power_kw FROM {db}.{from})
GROUP BY factory, line, machine, bucket`,
})

const watermarkView = (from: string, machine = 'machine'): ViewDef => ({
  name: `${from}_to_watermarks`,
  from,
  to: 'ingest_watermarks',
  select: `SELECT '${from}' AS stream, agent_id, ${machine === 'machine' ? 'toString(machine)' : machine} AS machine, max(seq) AS seq
FROM {db}.{from}
GROUP BY agent_id, machine`,
})

/**
 * The three views that feed a rollup from the event tables: state intervals, counts, energy, as
 * of a schema version (2: no DOWN runs, energy at the reading's time; 3: DOWN runs; 4 and later:
 * energy in the interval that ends at the reading).
 */
export function eventRollupViews(suffix: string, bucketMs: number, version = 4): ViewDef[] {
  return [stateView(suffix, bucketMs, version >= 3), countView(suffix, bucketMs), energyView(suffix, bucketMs, version >= 4)]
}

/** How each rollup column combines when rows are rolled up into coarser buckets. */
function combineSql(c: ColumnDef): string {
  if (c.type.startsWith('SimpleAggregateFunction(sum,')) return `sum(v_${c.name})`
  if (c.type.startsWith('SimpleAggregateFunction(max,')) return `max(v_${c.name})`
  if (c.type.startsWith('AggregateFunction(argMax,')) return `argMaxMergeState(v_${c.name})`
  if (c.type.startsWith('SimpleAggregateFunction(sumMap,')) return `sumMap(v_${c.name})`
  throw new Error(`rollup column ${c.name} ${c.type}: no way to roll it up`)
}

/**
 * Rolls the rows a finer rollup receives up into a coarser one (the minute rollup into 15 minutes
 * and hours): every column is a sum, a max or an argMax state, so the result is the same as
 * feeding the coarser rollup from the events. A view on the rollup table fires on each block the
 * event views write into it, with the same insert deduplication (tested through the cascade).
 */
function cascadeView(from: string, to: string, bucketMs: number): ViewDef {
  const measures = (ROLLUP_TABLES[0] as TableDef).columns.slice(4)
  const s = bucketMs / 1000
  return {
    name: `machine_rollup_${from}_to_${to}`,
    from: `machine_rollup_${from}`,
    to: `machine_rollup_${to}`,
    select: `SELECT factory, line, machine, toDateTime(intDiv(toUInt32(b), ${s}) * ${s}, 'UTC') AS bucket,
  ${measures.map((c) => `${combineSql(c)} AS ${c.name}`).join(',\n  ')}
FROM (SELECT factory, line, machine, bucket AS b, ${measures.map((c) => `${c.name} AS v_${c.name}`).join(', ')} FROM {db}.{from})
GROUP BY factory, line, machine, bucket`,
  }
}

export const VIEWS: readonly ViewDef[] = [
  ...ROLLUPS.flatMap((r) => ('from' in r ? [cascadeView(r.from, r.suffix, r.bucketMs)] : eventRollupViews(r.suffix, r.bucketMs))),
  { name: 'machine_state_to_last', from: 'machine_state', to: 'machine_state_last', select: LAST_STATE_SELECT },
  watermarkView('machine_state'),
  watermarkView('production_count'),
  watermarkView('energy_reading'),
  watermarkView('tag_sample'),
  watermarkView('agent_heartbeat', "''"),
]

/** Every table, in creation order (targets before the views that feed them). */
export const ALL_TABLES: readonly TableDef[] = [...EVENT_TABLES, ...ROLLUP_TABLES, LAST_STATES, ...INGEST_TABLES]

export function columnSql(c: ColumnDef): string {
  return `${c.name} ${c.type}${c.default ? ` DEFAULT ${c.default}` : ''}${c.codec ? ` CODEC(${c.codec})` : ''}`
}

function settingsSql(settings: Readonly<Record<string, number>> | undefined): string {
  const entries = Object.entries(settings ?? {})
  return entries.length ? `\nSETTINGS ${entries.map(([k, v]) => `${k} = ${v}`).join(', ')}` : ''
}

/** `CREATE TABLE IF NOT EXISTS` for one server (engine as defined). */
export function createTableSql(t: TableDef, db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.${t.name} (
  ${t.columns.map(columnSql).join(',\n  ')}
) ENGINE = ${t.engine}${t.engineArgs ? `(${t.engineArgs})` : ''}${t.partitionBy ? `\nPARTITION BY ${t.partitionBy}` : ''}
ORDER BY ${t.orderBy}${t.ttl ? `\nTTL ${t.ttl}` : ''}${settingsSql(t.settings)}`
}

export function viewSelectSql(v: ViewDef, db: string, from: string = v.from): string {
  return v.select.replaceAll('{db}', db).replaceAll('{from}', from)
}

export function createViewSql(v: ViewDef, db: string): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${v.name} TO ${db}.${v.to} AS\n${viewSelectSql(v, db)}`
}
