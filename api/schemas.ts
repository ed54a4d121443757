import Type from 'typebox'
import { BUCKET_SIZES } from './calendar/index.ts'
import { FormatQuery, NextCursor, PageQuery } from './http/index.ts'
import { OUTSIDE_KINDS } from './kpi/totals.ts'

/**
 * Query and response schemas of the KPI routes (OEE, timeline, downtime), in TypeBox (JSON
 * Schema): fastify validates and serializes with them and the OpenAPI document shows them. The
 * shapes are the types of api/kpi-service.ts; docs/kpi.md explains every figure.
 */

const Ratio = Type.Union([Type.Number(), Type.Null()], { description: 'A ratio (0.85 = 85 %); null when its denominator is 0' })
/** A number or null, with its description (the KPI and energy schemas share these pieces). */
export const NullableNumber = (description: string) => Type.Union([Type.Number(), Type.Null()], { description })
export const Iso = (description: string) => Type.String({ description: `${description}, ISO 8601 UTC` })

/** Flags a set of figures can carry (api/kpi/figures.ts KpiFlag). */
export const KPI_FLAGS = [
  'performance_above_100',
  'speed_loss_negative',
  'no_planned_time',
  'offline_in_planned_time',
  'units_outside_planned_time',
  'calendar_defaulted',
  'incomplete',
] as const

const Counts = Type.Object({ produced: Type.Integer(), good: Type.Integer(), rejected: Type.Integer() })

const StateSeconds = {
  running: Type.Number({ description: 'RUNNING' }),
  microStops: Type.Number({ description: 'DOWN in stops shorter than the micro-stop threshold (by the whole stop)' }),
  down: Type.Number({ description: 'DOWN in stops at or above the threshold' }),
  idle: Type.Number(),
  setup: Type.Number(),
  plannedStop: Type.Number({ description: 'PLANNED_STOP: planned down time, not in PBT' }),
  offline: Type.Number({ description: 'OFFLINE or no data from the machine: neither running nor a loss, not in PBT' }),
}

/** Every figure of a machine, line, area or factory for one period (api/kpi/figures.ts KpiFigures). */
const KpiFields = {
  availability: Ratio,
  performance: Ratio,
  quality: Ratio,
  oee: Ratio,
  seconds: Type.Object(
    {
      plannedBusy: Type.Number({ description: 'PBT: running + micro-stops + setup + down + idle, inside production segments' }),
      actualProduction: Type.Number({ description: 'APT: running + micro-stops' }),
      ...StateSeconds,
      idealProduced: Type.Number({ description: 'Σ units produced × ideal cycle time' }),
      idealGood: Type.Number({ description: 'Σ good units × ideal cycle time' }),
      idealRejected: Type.Number({ description: 'Σ rejected units × ideal cycle time' }),
      plannedOperation: Type.Number({ description: 'Production-segment time observed: PBT + planned stops + offline' }),
    },
    { description: 'The time model behind the ratios, seconds, inside production segments of the calendar' },
  ),
  waterfall: Type.Object(
    {
      plannedBusy: Type.Number({ description: 'PBT' }),
      setup: Type.Number({ description: 'Setup loss (AUST)' }),
      failure: Type.Number({ description: 'Delay/failure loss (ADET): DOWN in stops at or above the threshold' }),
      idle: Type.Number({ description: 'Idle loss (ADOT)' }),
      actualProduction: Type.Number({ description: 'APT = PBT − setup − failure − idle' }),
      microStops: Type.Number({ description: 'Micro-stop loss' }),
      speed: Type.Number({ description: 'Speed loss: running − ideal time of the units produced; negative when faster than ideal (flagged, never capped)' }),
      net: Type.Number({ description: 'Net production time: ideal time of the units produced' }),
      quality: Type.Number({ description: 'Quality loss: ideal time of the rejected units' }),
      fullyProductive: Type.Number({ description: 'Fully productive time: ideal time of the good units; / PBT = OEE' }),
    },
    { description: 'The loss waterfall, seconds' },
  ),
  counts: Counts,
  failures: Type.Integer({ description: 'DOWN stops at or above the micro-stop threshold that began in the period' }),
  mtbfS: NullableNumber('Mean time between failures: APT / failures, seconds; null without failures'),
  mttrS: NullableNumber('Mean time to repair: failure time / failures, seconds; null without failures'),
  throughput: Type.Object(
    { producedPerHour: NullableNumber('Units produced per hour of PBT'), goodPerHour: NullableNumber('Good units per hour of PBT') },
    { description: 'Units per hour of planned busy time; null without PBT' },
  ),
  scrapRatio: NullableNumber('Rejected / produced; null when nothing was produced'),
  energy: Type.Object(
    { kwh: Type.Number({ description: 'kWh in production segments' }), kwhPerGoodUnit: NullableNumber('kWh / good unit, production segments') },
    { description: 'Energy in production time (GET /api/v1/energy has the full energy figures)' },
  ),
  outsidePlan: Type.Object(
    {
      seconds: Type.Object(Object.fromEntries(OUTSIDE_KINDS.map((k) => [k, Type.Number()])) as Record<(typeof OUTSIDE_KINDS)[number], ReturnType<typeof Type.Number>>, {
        description: 'Machine time in breaks, holidays, planned downtime windows and outside every shift, seconds',
      }),
      states: Type.Object(StateSeconds, { description: 'The machine states in all that time, seconds' }),
      counts: Counts,
      kwh: Type.Number(),
    },
    { description: 'Calendar time outside production segments: not in PBT, its units in no OEE' },
  ),
  flags: Type.Array(Type.Enum([...KPI_FLAGS]), { description: KPI_FLAGS.join(', ') }),
}

const Judge = Type.Object(
  { machine: Type.String({ description: 'The end-of-line machine' }), idealCycleS: Type.Number({ description: "The line's ideal cycle time, seconds" }) },
  { description: "How a line is judged: this machine's good output at the line's ideal cycle time" },
)

/** Exactly one of these names the scope of a KPI or energy request (the route checks "exactly one"). */
export const ScopeParams = {
  machine: Type.Optional(Type.String({ minLength: 1, description: 'Machine path, region/park/factory/area/line/machine' })),
  line: Type.Optional(Type.String({ minLength: 1, description: 'Line path, region/park/factory/area/line' })),
  area: Type.Optional(Type.String({ minLength: 1, description: 'Area path, region/park/factory/area' })),
  factory: Type.Optional(Type.String({ minLength: 1, description: 'Factory path, region/park/factory' })),
}
const WindowParams = {
  from: Type.String({ description: 'Window start, ISO 8601 with a zone (2026-11-21T06:00:00+07:00)' }),
  to: Type.String({ description: 'Window end (exclusive), ISO 8601 with a zone; at most 366 days after from' }),
  microStop: Type.Optional(
    Type.Number({ minimum: 0, maximum: 86400, description: "Micro-stop threshold, seconds: DOWN stops shorter than this are a performance loss. Default: the factory's microStopS, else 120" }),
  ),
}

/** `bucket`: none (default) or a calendar bucket size. */
export const BucketParam = {
  bucket: Type.Optional(
    Type.Enum(['none', ...BUCKET_SIZES], { description: "Buckets on the factory's clock: none (default), hour, shift (the calendar's shifts), day, week (ISO), month" }),
  ),
}

export const OeeQuerystring = Type.Object(
  {
    ...ScopeParams,
    ...WindowParams,
    ...BucketParam,
    ...FormatQuery,
  },
  { additionalProperties: false },
)

/** What every KPI and energy response says about the scope it answers for. */
export const ScopeFields = {
  level: Type.Enum(['machine', 'line', 'area', 'factory']),
  path: Type.String(),
  factory: Type.String(),
  from: Iso('Window start'),
  to: Iso('Window end'),
  bucket: Type.String(),
  timezone: Type.String({ description: "The factory's timezone: buckets, shifts and time-of-use periods follow it" }),
  calendar: Type.String({ description: "Id of the factory's calendar" }),
  calendarDefaulted: Type.Boolean(),
}

export const OeeResponseSchema = Type.Object({
  scope: Type.Object({
    ...ScopeFields,
    microStopS: Type.Number({ description: 'The micro-stop threshold used, seconds' }),
    machine: Type.Optional(Type.String()),
    line: Type.Optional(Type.String()),
  }),
  judgedBy: Type.Optional(Judge),
  ...KpiFields,
  buckets: Type.Array(Type.Object({ key: Type.String({ description: '2026-11-21T06, 2026-11-21/A, 2026-11-21, 2026-W47, 2026-11' }), start: Iso('Bucket start'), end: Iso('Bucket end'), ...KpiFields }), {
    description: 'The scope per bucket; empty when bucket is none',
  }),
  areas: Type.Array(Type.Object({ area: Type.String(), ...KpiFields }), { description: 'Areas of a factory: Σ of their lines' }),
  lines: Type.Array(Type.Object({ line: Type.String(), judgedBy: Judge, ...KpiFields }), { description: 'Lines of an area or factory, each judged by its end-of-line machine' }),
  machines: Type.Array(Type.Object({ machine: Type.String(), name: Type.String(), line: Type.String(), ...KpiFields }), { description: 'Machines of a line, area or factory' }),
})

export const TimelineQuerystring = Type.Object(
  {
    machine: Type.String({ minLength: 1, description: 'Machine path, region/park/factory/area/line/machine' }),
    ...WindowParams,
    ...PageQuery,
    ...FormatQuery,
  },
  { additionalProperties: false },
)

export const TimelineResponseSchema = Type.Object({
  scope: Type.Object({ machine: Type.String(), from: Iso('Window start'), to: Iso('Window end'), microStopS: Type.Number() }),
  intervals: Type.Array(
    Type.Object({
      state: Type.String({ description: 'RUNNING, IDLE, DOWN, SETUP, PLANNED_STOP, OFFLINE' }),
      reason: Type.Union([Type.String(), Type.Null()], { description: 'Reason of the event that opened the run; NO_DATA before the first known state' }),
      start: Iso('Start, clipped to the window'),
      end: Iso('End, clipped to the window and to now'),
      seconds: Type.Number(),
      since: Iso('When the run really began'),
      microStop: Type.Union([Type.Boolean(), Type.Null()], { description: 'DOWN only: the whole stop is shorter than the micro-stop threshold' }),
      open: Type.Boolean({ description: 'The run has not ended yet' }),
    }),
  ),
  next: NextCursor,
})

export const DowntimeQuerystring = Type.Object({ ...ScopeParams, ...WindowParams, ...FormatQuery }, { additionalProperties: false })

const DowntimeFields = {
  seconds: Type.Number({ description: 'DOWN seconds inside the window' }),
  stops: Type.Integer({ description: 'Stops that began in the window' }),
  failureSeconds: Type.Number(),
  failures: Type.Integer(),
  microStopSeconds: Type.Number(),
  microStops: Type.Integer(),
}

export const DowntimeResponseSchema = Type.Object({
  scope: Type.Object({
    level: Type.Enum(['machine', 'line', 'area', 'factory']),
    path: Type.String(),
    factory: Type.String(),
    from: Iso('Window start'),
    to: Iso('Window end'),
    microStopS: Type.Number(),
    machines: Type.Integer({ description: 'Machines counted' }),
  }),
  totals: Type.Object(DowntimeFields),
  reasons: Type.Array(
    Type.Object({
      reason: Type.Union([Type.String(), Type.Null()], { description: "The reason of the stops' opening events; null when the PLC gave none" }),
      ...DowntimeFields,
      share: Type.Number({ description: 'seconds / all DOWN seconds' }),
    }),
    { description: 'Ranked by seconds, most first' },
  ),
})
