// KPI queries on embedded chDB: the totals per machine and calendar slice that OEE and energy are
// computed from (sliceTotals and groupTotals, api/queries/slices.ts: rollups, raw rows only at sub-minute edges)
// beside the raw-event computation of the same totals, measured in the same run on the same data.
// The data is a factory of 200 machines over 90 days generated inside ClickHouse
// (bench/support/kpi-data.ts; minutes the first time, then reused from KPI_BENCH_DIR).
//
//   node bench/kpi.bench.ts                  (KPI_BENCH_RUNS=30, KPI_BENCH_BASELINE_RUNS=5)
//
// Targets (issue 6), p95:
// - OEE of one line (5 machines) for one day, three shifts with meal breaks: < 50 ms
// - daily OEE and energy of the factory (200 machines) over 90 days: < 300 ms
// When the KPI routes answer (GET /api/v1/oee, GET /api/v1/energy), the same questions are also
// timed as whole requests through buildApp + app.inject.
import { cpus, loadavg } from 'node:os'
import { silentLogger } from '../connectors/common/logger.ts'
import { stateTime, type StateEvent } from '../api/kpi/state-time.ts'
import { countTotals, energyTotals, stateEvents } from '../api/queries/oee.ts'
import { groupTotals, sliceTotals, type SliceSpan, type SliceTotals } from '../api/queries/slices.ts'
import { PLAN_PARTS, TOTALS_FIELDS, TOTALS_KEYS, totalsAt } from '../api/kpi/totals.ts'
import { DAY_MS, FACTORY, T0, kpiData, type KpiData } from './support/kpi-data.ts'

const RUNS = Number(process.env['KPI_BENCH_RUNS'] ?? 30)
const BASELINE_RUNS = Number(process.env['KPI_BENCH_BASELINE_RUNS'] ?? 5)
const MICRO_STOP_MS = 120_000
const HOUR = 3_600_000

/**
 * One local day (UTC+7) of the three-shift calendar (06:00, 14:00, 22:00, a 30-minute meal break
 * in each) cut into the slices the KPI engine asks for (api/kpi/slicing.ts planSlices): with
 * bucket=shift, shift C from the day before until 06:00, A, B, and C again from 22:00, each cut by
 * its break (10 slices); with bucket=day, neighbours of the same kind are merged (7 slices).
 */
function daySlices(day: number, bucket: 'shift' | 'day'): SliceSpan[] {
  const d0 = T0 + day * DAY_MS
  const cuts = bucket === 'shift' ? [0, 2, 2.5, 6, 10, 10.5, 14, 18, 18.5, 22, 24] : [0, 2, 2.5, 10, 10.5, 18, 18.5, 24]
  return cuts.slice(0, -1).map((c, i) => ({ start: d0 + c * HOUR, end: d0 + (cuts[i + 1] as number) * HOUR }))
}

const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number
}

/** CPU time of this process per run, ms: chDB runs inside it, so this is ClickHouse's work and ours, whatever else loads the machine. */
const cpuMs: WeakMap<number[], number[]> = new WeakMap()

async function timed(runs: number, f: () => Promise<unknown>): Promise<number[]> {
  await f() // warm-up
  const out: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage()
    const t = performance.now()
    await f()
    out.push(performance.now() - t)
    const d = process.cpuUsage(c)
    cpu.push((d.user + d.system) / 1000)
  }
  cpuMs.set(out, cpu)
  return out
}

/** The raw-event way, slice by slice: the current oee-service queries (FINAL) and stateTime per slice. */
async function rawPerSlice(data: KpiData, machines: readonly string[], slices: readonly SliceSpan[]): Promise<Map<string, SliceTotals[]>> {
  const out = new Map<string, SliceTotals[]>(machines.map((m) => [m, []]))
  for (const s of slices) {
    const [events, counts, energy] = await Promise.all([stateEvents(data.ch, machines, s.start, s.end), countTotals(data.ch, machines, s.start, s.end), energyTotals(data.ch, machines, s.start, s.end)])
    for (const m of machines) {
      const c = counts.get(m)
      ;(out.get(m) as SliceTotals[]).push({ ...stateTime(events.get(m) ?? [], s.start, s.end, MICRO_STOP_MS, data.end), produced: c?.produced ?? 0, rejected: c?.rejected ?? 0, idealProducedS: c?.idealProducedS ?? 0, idealRejectedS: c?.idealRejectedS ?? 0, kwh: energy.get(m) ?? 0 })
    }
  }
  return out
}

/**
 * The raw-event way over a long range, done as well as it goes without rollups: every state event
 * of the range read once and cut per slice in JS with stateTime; counts and energy summed per
 * machine and slice inside ClickHouse from the raw rows (minute of the day -> slice of the day).
 */
async function rawRange(data: KpiData, machines: readonly string[], slices: readonly SliceSpan[], days: number): Promise<Map<string, SliceTotals[]>> {
  const from = (slices[0] as SliceSpan).start
  const to = (slices.at(-1) as SliceSpan).end
  const perDay = slices.length / days
  const minuteSlice = Array.from({ length: 1440 }, (_, k) => daySlices(0, 'day').findIndex((s) => s.start <= T0 + k * 60_000 && T0 + k * 60_000 < s.end))
  const params = { machines, from, to, t0: T0, ms: minuteSlice, per: perDay }
  const sums = async (table: string, measures: string): Promise<Array<Record<string, number | string>>> => {
    const rs = await data.ch.client.query({
      query: `SELECT toString(machine) AS m, intDiv(toUnixTimestamp64Milli(ts) - {t0:Int64}, ${DAY_MS}) * {per:UInt32}
                + {ms:Array(UInt32)}[intDiv((toUnixTimestamp64Milli(ts) - {t0:Int64}) % ${DAY_MS}, 60000) + 1] AS i, ${measures}
              FROM ${data.ch.database}.${table} FINAL
              WHERE machine IN {machines:Array(String)} AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})
              GROUP BY m, i`,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    return rs.json()
  }
  const [events, counts, energy] = await Promise.all([
    stateEvents(data.ch, machines, from, to),
    sums('production_count', 'sum(produced) AS p, sum(rejected) AS r, sum(produced * ideal_cycle_s) AS ip, sum(rejected * ideal_cycle_s) AS ir'),
    sums('energy_reading', 'sum(kwh) AS e'),
  ])
  const out = new Map<string, SliceTotals[]>()
  for (const m of machines) {
    const evs = events.get(m) ?? []
    let k = 0
    out.set(
      m,
      slices.map((s) => {
        // The events that matter for this slice: the one in force at its start, those in it, the next.
        while (k + 1 < evs.length && (evs[k + 1] as StateEvent).ts <= s.start) k++
        let j = k
        while (j < evs.length && (evs[j] as StateEvent).ts < s.end) j++
        return { ...stateTime(evs.slice(k, j + 1), s.start, s.end, MICRO_STOP_MS, data.end), produced: 0, rejected: 0, idealProducedS: 0, idealRejectedS: 0, kwh: 0 }
      }),
    )
  }
  for (const r of counts) {
    const t = out.get(String(r['m']))?.[Number(r['i'])]
    if (t) Object.assign(t, { produced: Number(r['p']), rejected: Number(r['r']), idealProducedS: Number(r['ip']), idealRejectedS: Number(r['ir']) })
  }
  for (const r of energy) {
    const t = out.get(String(r['m']))?.[Number(r['i'])]
    if (t) t.kwh = Number(r['e'])
  }
  return out
}

/**
 * The slices of {@link daySlices}(d, 'day') as the KPI engine groups them for bucket=day
 * (api/kpi/slicing.ts planGroups): day d's production slices in group d × 5, its breaks in d × 5 + 1.
 */
const dayGroup = (i: number): number => Math.floor(i / 7) * PLAN_PARTS.length + (i % 2)

/** Per-slice totals summed by group, for comparing with groupTotals. */
function byGroup(perSlice: Map<string, SliceTotals[]>, groupOf: (i: number) => number, groups: number): Map<string, SliceTotals[]> {
  const out = new Map<string, SliceTotals[]>()
  for (const [m, list] of perSlice) {
    const g = new Float64Array(groups * TOTALS_FIELDS)
    list.forEach((t, i) => TOTALS_KEYS.forEach((k, f) => (g[groupOf(i) * TOTALS_FIELDS + f] = (g[groupOf(i) * TOTALS_FIELDS + f] as number) + t[k])))
    out.set(m, Array.from({ length: groups }, (_, k) => totalsAt(g, k * TOTALS_FIELDS)))
  }
  return out
}

/** Units and energy must agree exactly (floats to 1e-6); state time may differ where the per-slice raw way cuts a stop at the slice's edges. */
function sameCounts(a: Map<string, SliceTotals[]>, b: Map<string, SliceTotals[]>): string | null {
  for (const [m, list] of a) {
    for (const [i, x] of list.entries()) {
      const y = b.get(m)?.[i]
      if (!y || x.produced !== y.produced || x.rejected !== y.rejected || Math.abs(x.kwh - y.kwh) > 1e-6 * Math.max(1, x.kwh)) return `${m} slice ${i}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`
    }
  }
  return null
}

interface AppBench {
  get(url: string): Promise<number>
  close(): Promise<void>
}

/** The app with an admin key, if the KPI routes are there; null otherwise. */
async function appBench(data: KpiData): Promise<AppBench | null> {
  try {
    const { buildApp, ApiKeyStore } = await import('../api/index.ts')
    const keys = ApiKeyStore.memory()
    const { key } = await keys.create({ name: 'bench', role: 'admin' })
    const app = await buildApp({ clickhouse: data.ch, keys, logger: silentLogger as never, rateLimit: false, now: () => data.end })
    await app.ready()
    return {
      get: async (url) => (await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } })).statusCode,
      close: () => app.close(),
    }
  } catch (err) {
    process.stderr.write(`app not built: ${(err as Error).message}\n`)
    return null
  }
}

interface Row {
  question: string
  ours: number[]
  base: number[] | null
  baseName: string
  target: number
}

async function main(): Promise<number> {
  const data = await kpiData({ log: (l) => process.stderr.write(`${l}\n`) })
  try {
    const rows: Row[] = []
    const day = 45
    const line = [...data.lines.keys()][0] as string
    const lineMachines = data.lines.get(line) as readonly string[]
    const lineSlices = daySlices(day, 'shift')
    const oursLine = () => sliceTotals(data.ch, lineMachines, lineSlices, { microStopMs: MICRO_STOP_MS, now: data.end })
    const mismatch1 = sameCounts(await oursLine(), await rawPerSlice(data, lineMachines, lineSlices))
    if (mismatch1) throw new Error(`line day: sliceTotals and the raw computation disagree: ${mismatch1}`)
    const lineOurs = await timed(RUNS, oursLine)
    const lineBase = await timed(RUNS, () => rawPerSlice(data, lineMachines, lineSlices))
    rows.push({ question: `OEE of one line (5 machines), one day by shift (${lineSlices.length} slices)`, ours: lineOurs, base: lineBase, baseName: 'raw events per slice (oee-service queries + stateTime)', target: 50 })

    const factorySlices = Array.from({ length: data.days }, (_, d) => daySlices(d, 'day')).flat()
    // As the KPI engine asks for bucket=day: the slices summed by day and kind of time (groupTotals).
    const groups = data.days * PLAN_PARTS.length
    const groupOf = factorySlices.map((_, i) => dayGroup(i))
    const oursFactory = () => groupTotals(data.ch, data.machines, factorySlices, { microStopMs: MICRO_STOP_MS, now: data.end, groupOf, groups })
    const factoryOurs = await timed(RUNS, oursFactory)
    const factoryBase = BASELINE_RUNS > 0 ? await timed(BASELINE_RUNS, () => rawRange(data, data.machines, factorySlices, data.days)) : null
    if (BASELINE_RUNS > 0) {
      const got = new Map([...(await oursFactory())].map(([m, g]) => [m, Array.from({ length: groups }, (_, k) => totalsAt(g, k * TOTALS_FIELDS))]))
      const mismatch2 = sameCounts(got, byGroup(await rawRange(data, data.machines, factorySlices, data.days), dayGroup, groups))
      if (mismatch2) throw new Error(`factory: groupTotals and the raw computation disagree: ${mismatch2}`)
    }
    rows.push({ question: `daily OEE and energy, ${data.machines.length} machines, ${data.days} days (${factorySlices.length} slices in ${data.days * 2} groups)`, ours: factoryOurs, base: factoryBase, baseName: 'raw events over the range (one pass, stateTime per slice)', target: 300 })

    // Whole requests, when the routes exist.
    const app = await appBench(data)
    const requestRows: Array<{ question: string; ms: number[] | null; status: number; target: number }> = []
    if (app) {
      try {
        const iso = (t: number): string => new Date(t).toISOString()
        const d0 = T0 + day * DAY_MS
        const urls: Array<[string, string, number]> = [
          [`GET /api/v1/oee line, one day, bucket=shift`, `/api/v1/oee?line=${encodeURIComponent(line)}&from=${iso(d0)}&to=${iso(d0 + DAY_MS)}&bucket=shift`, 50],
          [`GET /api/v1/oee factory, ${data.days} days, bucket=day`, `/api/v1/oee?factory=${encodeURIComponent(FACTORY)}&from=${iso(T0)}&to=${iso(data.end)}&bucket=day`, 300],
          [`GET /api/v1/energy factory, ${data.days} days, bucket=day`, `/api/v1/energy?factory=${encodeURIComponent(FACTORY)}&from=${iso(T0)}&to=${iso(data.end)}&bucket=day`, 300],
        ]
        for (const [question, url, target] of urls) {
          const status = await app.get(url)
          requestRows.push({ question, status, target, ms: status === 200 ? await timed(RUNS, () => app.get(url)) : null })
        }
      } finally {
        await app.close()
      }
    }

    const f = (x: number): string => (x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US'))
    let ok = true
    const lines = [
      `KPI totals on embedded chDB: ${data.machines.length} machines x ${data.days} days (${data.generatedMs === null ? 'data from the cache' : `data generated in ${Math.round(data.generatedMs / 1000)} s`}); ${RUNS} runs each after a warm-up, baseline ${BASELINE_RUNS} runs over the range`,
      '',
      '| question | sliceTotals/groupTotals p50 | p95 | CPU p50 | baseline | baseline p50 | p95 | baseline / ours (p95) | target p95 | result |',
      '|---|---:|---:|---:|---|---:|---:|---:|---:|---|',
    ]
    for (const r of rows) {
      const p95 = percentile(r.ours, 95)
      const pass = p95 < r.target
      ok &&= pass
      const b95 = r.base ? percentile(r.base, 95) : null
      lines.push(`| ${r.question} | ${f(percentile(r.ours, 50))} ms | ${f(p95)} ms | ${f(percentile(cpuMs.get(r.ours) ?? [0], 50))} ms | ${r.baseName} | ${r.base ? `${f(percentile(r.base, 50))} ms` : '-'} | ${b95 !== null ? `${f(b95)} ms` : '-'} | ${b95 !== null ? `${(b95 / p95).toFixed(0)}x` : '-'} | < ${r.target} ms | ${pass ? 'PASS' : 'MISS'} |`)
    }
    if (requestRows.length > 0) {
      lines.push('', '| whole request (buildApp + app.inject) | status | p50 | p95 | CPU p50 | target p95 | result |', '|---|---:|---:|---:|---:|---:|---|')
      for (const r of requestRows) {
        const p95 = r.ms ? percentile(r.ms, 95) : null
        const pass = p95 !== null && p95 < r.target
        if (r.ms) ok &&= pass
        lines.push(`| ${r.question} | ${r.status} | ${r.ms ? `${f(percentile(r.ms, 50))} ms` : '-'} | ${p95 !== null ? `${f(p95)} ms` : '-'} | ${r.ms ? `${f(percentile(cpuMs.get(r.ms) ?? [0], 50))} ms` : '-'} | < ${r.target} ms | ${r.ms ? (pass ? 'PASS' : 'MISS') : 'not measured (route not answering 200)'} |`)
      }
    } else lines.push('', 'whole requests: not measured (the app could not be built)')
    lines.push('', `load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(', ')} (${cpus().length} cores)`)
    process.stdout.write(`${lines.join('\n')}\n`)
    return ok ? 0 : 1
  } finally {
    await data.ch.close()
  }
}

process.exit(await main())
