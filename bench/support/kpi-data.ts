// The KPI benchmarks' factory, generated inside ClickHouse: INSERT … SELECT FROM numbers(…) into
// the raw event tables, so that the real materialized views fill the rollups exactly as ingest's
// inserts do. Generating 90 days of 200 machines takes minutes on a 2-core machine, so the chDB
// directory is kept between runs (KPI_BENCH_DIR, default <tmpdir>/shopfloor-bench-kpi) and reused
// while its recorded parameters match.
//
// The factory (hcmc/vsip-1/binh-hoa-smt, three shifts with meal breaks in the seed calendars):
// 40 lines of 5 machines in 4 areas. Per machine:
// - states in 10-minute slots: mostly RUNNING (a product change repeats it) with micro-stops of
//   2 s to 2.5 min (half of the slots; some exceed 2 min and count as failures), a second short
//   stop in a fifth of them; failures of about 10 min with a reason update; idle, setup, planned
//   stops and offline spells. About 14 state events an hour, on odd milliseconds.
// - a count event every minute (about 22 units, a reject now and then) and an energy reading
//   every minute.
// prev_state, prev_ts and prev_since are filled as ingest fills them (window functions over each
// machine's events in time order).
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate, openClickhouse, type Clickhouse } from '../../stream/index.ts'

export const FACTORY = 'hcmc/vsip-1/binh-hoa-smt'
/** Local midnight (Asia/Ho_Chi_Minh, UTC+7) of 2026-06-01: no holiday in the 90 days that follow. */
export const T0 = Date.UTC(2026, 4, 31, 17, 0, 0)
export const DAY_MS = 86_400_000

export interface KpiData {
  readonly ch: Clickhouse
  readonly machines: readonly string[]
  /** Machines by line path, in flow order. */
  readonly lines: ReadonlyMap<string, readonly string[]>
  readonly days: number
  /** End of the data: what the benchmarks take as now. */
  readonly end: number
  /** Whether this run generated the data (else it came from the cache), and how long it took, ms. */
  readonly generatedMs: number | null
}

export interface KpiDataOptions {
  machines?: number
  days?: number
  dir?: string
  log?: (line: string) => void
}

/** Bumped when the generated store would differ: its data, or the schema it is generated under (8: schema version 6's rollup codecs). */
const VERSION = 8
const SLOT_MS = 600_000

/** `hcmc/vsip-1/binh-hoa-smt/area-<a>/line-<nn>/m<p>` for machine index m (5 per line, 10 lines per area). */
const pathSql = (m: string): { line: string; machine: string } => {
  const line = `concat('${FACTORY}/area-', toString(intDiv(${m}, 50) + 1), '/line-', leftPad(toString(intDiv(${m}, 5) + 1), 2, '0'))`
  return { line, machine: `concat(${line}, '/m', toString(${m} % 5 + 1))` }
}
export function machinePath(m: number): string {
  return `${FACTORY}/area-${Math.floor(m / 50) + 1}/line-${String(Math.floor(m / 5) + 1).padStart(2, '0')}/m${(m % 5) + 1}`
}

/** Counts or energy: one event per machine per minute, at a machine-specific second. */
function perMinuteSql(db: string, table: 'production_count' | 'energy_reading', m0: number, m1: number, minutes: number): string {
  const p = pathSql('m')
  const values =
    table === 'production_count'
      ? `toUInt32(18 + h % 8) AS produced, toUInt32(intDiv(h, 256) % 40 = 0) AS rejected, 2.4 + (m % 5) / 10 AS ideal_cycle_s, 'pcb-a' AS product`
      : `0.05 + (h % 1000) / 20000 AS kwh, k * 0.075 AS kwh_total, (0.05 + (h % 1000) / 20000) * 60 AS kw, (h % 300) / 20000 AS kvarh, k * 0.0075 AS kvarh_total`
  const columns = table === 'production_count' ? 'produced, rejected, ideal_cycle_s, product' : 'kwh, kwh_total, kw, kvarh, kvarh_total'
  const tag = table === 'production_count' ? 'c' : 'e'
  return `INSERT INTO ${db}.${table} (event_id, agent_id, seq, factory, line, machine, ts, received, ${columns})
SELECT concat('bench-', toString(m), ':${tag}', toString(k)) AS event_id, concat('bench-', toString(m)) AS agent_id, k AS seq,
  '${FACTORY}' AS factory, ${p.line} AS line, ${p.machine} AS machine,
  fromUnixTimestamp64Milli(toInt64(${T0} + k * 60000 + 1000 + (m * 7127) % 58000), 'UTC') AS ts, ts AS received, ${values}
FROM (SELECT ${m0} + intDiv(number, ${minutes}) AS m, number % ${minutes} AS k, cityHash64(m, k, '${tag}') AS h FROM numbers(${(m1 - m0) * minutes}))
SETTINGS insert_deduplicate = 0`
}

/** States of machines [m0, m1): slots of events, then each row's previous state, its time and run start. */
function statesSql(db: string, m0: number, m1: number, slots: number): string {
  const p = pathSql('m')
  const w = `PARTITION BY machine ORDER BY ts, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`
  return `INSERT INTO ${db}.machine_state (event_id, agent_id, seq, factory, line, machine, ts, received, state, reason, prev_state, prev_ts, prev_since)
SELECT concat(agent_id, ':s', toString(seq)), agent_id, seq, factory, line, machine, ts, ts, state, reason,
  if(rn = 1, NULL, p_state), if(rn = 1, NULL, p_ts), if(rn = 1, NULL, p_since)
FROM (
  SELECT *, row_number() OVER w AS rn, lagInFrame(state) OVER w AS p_state, lagInFrame(ts) OVER w AS p_ts, lagInFrame(run_start) OVER w AS p_since
  FROM (
    SELECT *, max(if(new_run, ts, toDateTime64(0, 3, 'UTC'))) OVER w AS run_start
    FROM (
      SELECT *, state != lagInFrame(state, 1, '') OVER w AS new_run
      FROM (
        SELECT concat('bench-', toString(m)) AS agent_id, '${FACTORY}' AS factory, ${p.line} AS line, ${p.machine} AS machine,
          toUInt64(k * 8 + j) AS seq, fromUnixTimestamp64Milli(toInt64(start + e.1), 'UTC') AS ts, e.2 AS state, e.3 AS reason
        FROM (
          SELECT ${m0} + intDiv(number, ${slots}) AS m, number % ${slots} AS k, cityHash64(m, k, 's') AS h, h % 1000 AS u,
            ${T0} + k * ${SLOT_MS} + (m * 7919) % 60000 AS start,
            60000 + intDiv(h, 1024) % 200000 AS x1, 2000 + intDiv(h, 1048576) % 150000 AS d1,
            400000 + intDiv(h, 1073741824) % 100000 AS x2, 1000 + intDiv(h, 1099511627776) % 60000 AS d2,
            multiIf(
              u < 15, [(0, 'DOWN', 'jam'), (90000 + h % 60000, 'DOWN', 'waiting for technician')],
              u < 45, [(0, 'IDLE', 'no material')],
              u < 60, [(0, 'SETUP', 'changeover')],
              u < 70, [(0, 'PLANNED_STOP', 'meeting')],
              u < 72, [(0, 'OFFLINE', NULL)],
              arrayConcat([(0, 'RUNNING', NULL)],
                if(bitTest(h, 50), [(x1, 'DOWN', 'jam'), (x1 + d1, 'RUNNING', NULL)], []),
                if(intDiv(h, 7) % 5 = 0, [(x2, 'DOWN', 'sensor'), (x2 + d2, 'RUNNING', NULL)], []))
            ) AS evs
          FROM numbers(${(m1 - m0) * slots})
        ) ARRAY JOIN evs AS e, arrayEnumerate(evs) AS j
      ) WINDOW w AS (${w})
    ) WINDOW w AS (${w})
  ) WINDOW w AS (${w})
)
SETTINGS insert_deduplicate = 0`
}

/** Opens (and on first use generates) the benchmark factory. */
export async function kpiData(opts: KpiDataOptions = {}): Promise<KpiData> {
  const n = opts.machines ?? 200
  const days = opts.days ?? 90
  const dir = opts.dir ?? process.env['KPI_BENCH_DIR'] ?? join(tmpdir(), 'shopfloor-bench-kpi')
  const log = opts.log ?? (() => {})
  mkdirSync(dir, { recursive: true })
  const ch = await openClickhouse({ path: dir, database: 'kpi_bench' })
  const machines = Array.from({ length: n }, (_, m) => machinePath(m))
  const lines = new Map<string, string[]>()
  for (const m of machines) {
    const line = m.split('/').slice(0, 5).join('/')
    lines.set(line, [...(lines.get(line) ?? []), m])
  }
  const key = `v${VERSION} machines=${n} days=${days} t0=${T0}`
  const end = T0 + days * DAY_MS
  await ch.client.command({ query: `CREATE TABLE IF NOT EXISTS kpi_bench.bench_meta (key String) ENGINE = MergeTree ORDER BY key` })
  const rs = await ch.client.query({ query: `SELECT key FROM kpi_bench.bench_meta`, format: 'JSONEachRow' })
  if ((await rs.json<{ key: string }>()).some((r) => r.key === key)) return { ch, machines, lines, days, end, generatedMs: null }

  const started = performance.now()
  log(`generating ${n} machines x ${days} days in ${dir} (kept for the next runs)`)
  await ch.client.command({ query: `DROP DATABASE IF EXISTS kpi_bench` })
  await ch.client.command({ query: `CREATE DATABASE kpi_bench` })
  await migrate(ch)
  await ch.client.command({ query: `CREATE TABLE kpi_bench.bench_meta (key String) ENGINE = MergeTree ORDER BY key` })
  const minutes = days * 1440
  const slots = (days * DAY_MS) / SLOT_MS
  const chunk = 50
  for (let m0 = 0; m0 < n; m0 += chunk) {
    const m1 = Math.min(n, m0 + chunk)
    await ch.client.command({ query: statesSql('kpi_bench', m0, m1, slots) })
    await ch.client.command({ query: perMinuteSql('kpi_bench', 'production_count', m0, m1, minutes) })
    await ch.client.command({ query: perMinuteSql('kpi_bench', 'energy_reading', m0, m1, minutes) })
    log(`  machines ${m0}..${m1 - 1} stored (${Math.round((performance.now() - started) / 1000)} s)`)
  }
  const p = pathSql('m')
  await ch.client.command({
    query: `INSERT INTO kpi_bench.machines (machine, factory, line, name, position, ideal_cycle_s, line_ideal_cycle_s, end_of_line, agent_id, updated)
      SELECT ${p.machine}, '${FACTORY}', ${p.line}, concat('m', toString(m % 5 + 1)), toUInt16(m % 5), 2.4 + (m % 5) / 10, 2.8, m % 5 = 4,
             concat('bench-', toString(m)), fromUnixTimestamp64Milli(toInt64(${T0}), 'UTC')
      FROM (SELECT number AS m FROM numbers(${n}))`,
  })
  log('  merging parts')
  for (const t of ['machine_state', 'production_count', 'energy_reading', 'machine_rollup_1m', 'machine_rollup_15m', 'machine_rollup_1h']) {
    await ch.client.command({ query: `OPTIMIZE TABLE kpi_bench.${t} FINAL` })
  }
  await ch.client.insert({ table: 'kpi_bench.bench_meta', values: [{ key }], format: 'JSONEachRow' })
  const generatedMs = performance.now() - started
  log(`generated in ${Math.round(generatedMs / 1000)} s`)
  return { ch, machines, lines, days, end, generatedMs }
}
