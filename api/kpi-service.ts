/**
 * The KPI engine: reference data (the factory's calendar and timezone) + the calendar's plan
 * segments and buckets + slice totals from ClickHouse -> OEE, the loss waterfall, MTBF/MTTR and
 * the rest per machine, line, area and factory, per bucket. Every figure is computed from sums of
 * seconds, counts and ideal times (api/kpi); this module only decides what to add up.
 */
import type { Clickhouse } from '../stream/index.ts'
import { buckets as calendarBuckets, planSegments, type Bucket, type BucketSize } from './calendar/index.ts'
import { ApiError } from './errors.ts'
import { rankDowntime, type DowntimeReason } from './kpi/downtime.ts'
import { computeKpi, type KpiFigures, type KpiFlag } from './kpi/figures.ts'
import { DEFAULT_MICRO_STOP_S, type Scope } from './kpi/params.ts'
import { rollUp, type LineJudge, type MachinePlace } from './kpi/rollup.ts'
import { timelineIntervals } from './kpi/runs.ts'
import { coverWindow, planGroups, planSlices } from './kpi/slicing.ts'
import { PLAN_PARTS, PLAN_WIDTH, planAt, planSum } from './kpi/totals.ts'
import { groupTotals } from './queries/slices.ts'
import { listMachines, type MachineRow } from './queries/registry.ts'
import { downtimeByReason, runOpenedBefore, runsFrom } from './queries/state-runs.ts'
import { factoryOf, type Factory, type Reference } from './reference/index.ts'

/** What the KPI engine reads. */
export interface KpiDeps {
  readonly clickhouse: Clickhouse
  readonly reference: Reference
  /** The clock, epoch ms. */
  readonly now: () => number
}

/** Most buckets one request may ask for (e.g. 41 days of hours): more is a 400 naming `bucket`. */
export const MAX_BUCKETS = 1000

export interface OeeQuery {
  readonly scope: Scope
  readonly from: number
  readonly to: number
  /** Default none: the window as a whole only. */
  readonly bucket?: BucketSize | 'none'
  /** Micro-stop threshold, seconds. Default: the factory's `microStopS` in the seed, else 120. */
  readonly microStopS?: number
}

/** The scope a response answers for, and the settings it was computed with. */
export interface OeeScopeInfo {
  readonly level: Scope['level']
  readonly path: string
  readonly factory: string
  /** ISO 8601, UTC. */
  readonly from: string
  readonly to: string
  readonly bucket: BucketSize | 'none'
  /** The micro-stop threshold used, seconds. */
  readonly microStopS: number
  /** The factory's IANA timezone: buckets and shifts follow it. */
  readonly timezone: string
  /** Id of the factory's calendar. */
  readonly calendar: string
  /** The factory's calendar or timezone is a default (the factory is not in the seed, or its entry leaves them out). */
  readonly calendarDefaulted: boolean
  /** Compatibility with the first OEE route: the machine or line path asked for. */
  readonly machine?: string
  readonly line?: string
}

export interface BucketFigures extends KpiFigures {
  /** `2026-11-21T06`, `2026-11-21/A` (shift), `2026-11-21`, `2026-W47`, `2026-11`. */
  readonly key: string
  readonly start: string
  readonly end: string
}

export interface MachineFigures extends KpiFigures {
  readonly machine: string
  readonly name: string
  readonly line: string
}

export interface LineFigures extends KpiFigures {
  readonly line: string
  readonly judgedBy: LineJudge
}

export interface AreaFigures extends KpiFigures {
  readonly area: string
}

/**
 * The answer of `GET /api/v1/oee`: the scope's figures over the window, per bucket, and those of
 * its parts (areas of a factory; lines of an area or factory; machines of a line, area or factory).
 */
export interface OeeResponse extends KpiFigures {
  readonly scope: OeeScopeInfo
  /** For a line: the machine whose good output is the line's, at the line's ideal cycle time. */
  readonly judgedBy?: LineJudge
  /** Empty when `bucket` is none. */
  readonly buckets: BucketFigures[]
  readonly areas: AreaFigures[]
  readonly lines: LineFigures[]
  readonly machines: MachineFigures[]
}

const prefix = (path: string, segments: number): string => path.split('/').slice(0, segments).join('/')
const iso = (ms: number): string => new Date(ms).toISOString()

/** The registry's machines inside a scope; 404 naming the parameter when there are none. */
export async function machinesIn(ch: Clickhouse, scope: Scope): Promise<MachineRow[]> {
  let rows: MachineRow[]
  if (scope.level === 'machine') rows = await listMachines(ch, { machine: scope.path })
  else if (scope.level === 'line') rows = await listMachines(ch, { line: scope.path })
  else rows = (await listMachines(ch, { factories: [scope.factory] })).filter((m) => m.machine.startsWith(`${scope.path}/`))
  if (rows.length === 0) {
    throw new ApiError('SHOPFLOOR_API_NOT_FOUND', `no ${scope.level} "${scope.path}" among the machines the agents announce: GET /api/v1/machines lists them`, scope.level)
  }
  return rows
}

/** The micro-stop threshold of a request: asked for, else the factory's, else the default. */
export function microStopOf(site: Factory, asked: number | undefined): number {
  return asked ?? site.microStopS ?? DEFAULT_MICRO_STOP_S
}

/** Whether the factory's calendar or timezone are defaults rather than its own (flag `calendar_defaulted`). */
export function calendarIsDefault(site: Factory): boolean {
  return site.defaultedFields.includes('calendar') || site.defaultedFields.includes('timezone')
}

function placeOf(m: MachineRow): MachinePlace {
  return { machine: m.machine, position: m.position, endOfLine: m.end_of_line, lineIdealCycleS: m.line_ideal_cycle_s }
}

/** OEE and everything beside it for a scope and window (see {@link OeeResponse}). */
export async function oee(deps: KpiDeps, q: OeeQuery): Promise<OeeResponse> {
  const now = deps.now()
  const ch = deps.clickhouse
  const site = factoryOf(deps.reference, q.scope.factory)
  const microStopS = microStopOf(site, q.microStopS)
  const bucket = q.bucket ?? 'none'
  const rows = await machinesIn(ch, q.scope)

  const list: Bucket[] = bucket === 'none' ? [] : calendarBuckets(bucket, site.calendar, site.timezone, q.from, q.to)
  if (list.length > MAX_BUCKETS) {
    throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `bucket=${bucket} cuts this window into ${list.length} buckets, at most ${MAX_BUCKETS} are allowed: shorten the window or use a larger bucket`, 'bucket')
  }
  // Buckets plus the window's time outside them (shift buckets skip time outside shifts): one
  // extra bucket, index list.length, that counts in the window's totals only.
  const n = list.length + 1
  const slices = planSlices(coverWindow(list, q.from, q.to), planSegments(site.calendar, site.timezone, q.from, q.to), Math.min(q.to, now))
  const ids = rows.map((m) => m.machine)
  // Each machine's plan totals per bucket in flat form (api/kpi/totals.ts), summed by ClickHouse
  // from the slices' rollup buckets: PLAN_WIDTH numbers a bucket.
  const totals = slices.length > 0 ? await groupTotals(ch, ids, slices, { microStopMs: microStopS * 1000, now, groupOf: planGroups(slices), groups: n * PLAN_PARTS.length }) : new Map<string, Float64Array>()
  const perMachine = new Map<string, Float64Array>(ids.map((id) => [id, totals.get(id) ?? new Float64Array(n * PLAN_WIDTH)]))
  const roll = rollUp(rows.map(placeOf), perMachine, n)

  const calendarDefaulted = calendarIsDefault(site)
  const flagsFor = (end: number): KpiFlag[] => [...(calendarDefaulted ? (['calendar_defaulted'] as const) : []), ...(end > now ? (['incomplete'] as const) : [])]
  const windowFlags = flagsFor(q.to)
  // The window's figures: Σ of every bucket, the time between buckets (index n - 1) included.
  const figures = (perBucket: Float64Array): KpiFigures => computeKpi(planAt(planSum(perBucket)), windowFlags)

  let scoped: Float64Array
  let judgedBy: LineJudge | undefined
  if (q.scope.level === 'machine') scoped = perMachine.get(q.scope.path) as Float64Array
  else if (q.scope.level === 'line') {
    const line = roll.lines.get(q.scope.path)
    if (!line) throw new Error(`line ${q.scope.path} lost in the rollup`)
    scoped = line.totals
    judgedBy = { machine: line.machine, idealCycleS: line.idealCycleS }
  } else scoped = (q.scope.level === 'area' ? roll.areas : roll.factories).get(q.scope.path) ?? new Float64Array(n * PLAN_WIDTH)

  const byName = new Map(rows.map((m) => [m.machine, m]))
  return {
    ...figures(scoped),
    scope: {
      level: q.scope.level,
      path: q.scope.path,
      factory: q.scope.factory,
      from: iso(q.from),
      to: iso(q.to),
      bucket,
      microStopS,
      timezone: site.timezone,
      calendar: site.calendarId,
      calendarDefaulted,
      ...(q.scope.level === 'machine' ? { machine: q.scope.path } : q.scope.level === 'line' ? { line: q.scope.path } : {}),
    },
    ...(judgedBy ? { judgedBy } : {}),
    buckets: list.map((b, i) => ({ key: b.key, start: iso(b.start), end: iso(b.end), ...computeKpi(planAt(scoped, i), flagsFor(b.end)) })),
    areas: q.scope.level === 'factory' ? [...roll.areas].map(([area, t]) => ({ area, ...figures(t) })) : [],
    lines:
      q.scope.level === 'factory' || q.scope.level === 'area'
        ? [...roll.lines].map(([line, l]) => ({ line, judgedBy: { machine: l.machine, idealCycleS: l.idealCycleS }, ...figures(l.totals) }))
        : [],
    machines:
      q.scope.level === 'machine'
        ? []
        : ids.map((id) => {
            const m = byName.get(id) as MachineRow
            return { machine: id, name: m.name, line: prefix(id, 5), ...figures(perMachine.get(id) as Float64Array) }
          }),
  }
}

export interface TimelineQuery {
  /** Machine path. */
  readonly machine: string
  readonly from: number
  readonly to: number
  readonly microStopS?: number
  /** Rows per page. */
  readonly limit: number
  /** Page position: the opening event of the first run of the page (from the previous page's cursor). */
  readonly after?: { ts: number; seq: number }
}

/** One interval of `GET /api/v1/timeline`. */
export interface TimelineRow {
  readonly state: string
  readonly reason: string | null
  /** ISO 8601, clipped to the window and to now. */
  readonly start: string
  readonly end: string
  readonly seconds: number
  /** When the run really began (earlier than `start` when it began before the window). */
  readonly since: string
  /** DOWN only: the whole stop is shorter than the micro-stop threshold. */
  readonly microStop: boolean | null
  readonly open: boolean
}

export interface TimelineResponse {
  readonly scope: { machine: string; from: string; to: string; microStopS: number }
  readonly intervals: TimelineRow[]
  /** Position of the next page (the route turns it into a cursor); null on the last page. */
  readonly nextPosition: { ts: number; seq: number } | null
}

/** The state timeline of a machine: runs of one state, clipped to the window, a page at a time. */
export async function timeline(deps: KpiDeps, q: TimelineQuery): Promise<TimelineResponse> {
  const now = deps.now()
  const ch = deps.clickhouse
  const scope: Scope = { level: 'machine', path: q.machine, factory: prefix(q.machine, 3) }
  const site = factoryOf(deps.reference, scope.factory)
  const microStopS = microStopOf(site, q.microStopS)
  await machinesIn(ch, scope)
  const ref = { factory: scope.factory, machine: q.machine }
  const first = q.after ?? (await runOpenedBefore(ch, ref, q.from)) ?? { ts: q.from, seq: 0 }
  const runs = await runsFrom(ch, ref, first, Math.min(q.to, now), q.limit + 1)
  const page = runs.slice(0, q.limit)
  const next = runs[q.limit]
  const intervals = timelineIntervals(page, q.from, q.to, { microStopMs: microStopS * 1000, now, leadingGap: q.after === undefined })
  return {
    scope: { machine: q.machine, from: iso(q.from), to: iso(q.to), microStopS },
    intervals: intervals.map((i) => ({ ...i, start: iso(i.start), end: iso(i.end), since: iso(i.since) })),
    nextPosition: next ? { ts: next.ts, seq: next.seq } : null,
  }
}

export interface DowntimeQuery {
  readonly scope: Scope
  readonly from: number
  readonly to: number
  readonly microStopS?: number
}

export interface DowntimeResponse {
  readonly scope: { level: Scope['level']; path: string; factory: string; from: string; to: string; microStopS: number; machines: number }
  /** Sums over all reasons. */
  readonly totals: { seconds: number; stops: number; failureSeconds: number; failures: number; microStopSeconds: number; microStops: number }
  /** Reasons ranked by DOWN seconds, most first. */
  readonly reasons: DowntimeReason[]
}

/**
 * DOWN time in the window by reason (the reason of the event that opened each stop), ranked by
 * seconds, with stop counts, over every machine of the scope. The raw state time of the whole
 * window: the calendar does not cut it (a stop in a break is downtime too).
 */
export async function downtime(deps: KpiDeps, q: DowntimeQuery): Promise<DowntimeResponse> {
  const now = deps.now()
  const ch = deps.clickhouse
  const site = factoryOf(deps.reference, q.scope.factory)
  const microStopS = microStopOf(site, q.microStopS)
  const rows = await machinesIn(ch, q.scope)
  const byReason = await downtimeByReason(
    ch,
    rows.map((m) => ({ factory: m.factory, machine: m.machine })),
    q.from,
    q.to,
    { microStopMs: microStopS * 1000, now },
  )
  const reasons = rankDowntime(byReason)
  const sum = (k: 'seconds' | 'stops' | 'failureSeconds' | 'failures' | 'microStopSeconds' | 'microStops'): number => reasons.reduce((a, r) => a + r[k], 0)
  return {
    scope: { level: q.scope.level, path: q.scope.path, factory: q.scope.factory, from: iso(q.from), to: iso(q.to), microStopS, machines: rows.length },
    totals: {
      seconds: sum('seconds'),
      stops: sum('stops'),
      failureSeconds: sum('failureSeconds'),
      failures: sum('failures'),
      microStopSeconds: sum('microStopSeconds'),
      microStops: sum('microStops'),
    },
    reasons,
  }
}
