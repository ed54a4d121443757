/**
 * Golden KPI cases: a folder per case under test/golden/ with `input.yaml` (factory, calendar,
 * machines, state timeline, counts, raw counter readings, energy readings), `expected.yaml`
 * (queries to the API and the figures they must return) and a README.md that works every
 * expected number out by hand. This module reads and checks a case and turns its input into the
 * events an edge agent would publish; test/integration/golden.test.ts runs them through ingest,
 * chDB and the API, test/unit/golden.test.ts checks the case files themselves.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Type, { type Static } from 'typebox'
import { calendarProblem, CalendarSchema, type Calendar } from '../../api/calendar/index.ts'
import { FactorySchema, readSeedFile, type Reference } from '../../api/reference/index.ts'
import { counterStep } from '../../edge/model/counter.ts'
import { MACHINE_STATES, parseMachinePath, type ShopfloorEvent } from '../../stream/index.ts'

export const GOLDEN_DIR = dirname(fileURLToPath(import.meta.url))

const At = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,3})?)?(Z|[+-][0-9]{2}:[0-9]{2})$',
  description: 'an ISO 8601 date-time with its offset ("2026-11-17T06:00:00+07:00")',
})
const MachineId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'the id (last path segment) of a machine of this case' })

const MachineSchema = Type.Object(
  {
    /** Full machine path region/park/factory/area/line/machine, inside the case's factory. */
    path: Type.String({ minLength: 1 }),
    name: Type.Optional(Type.String({ minLength: 1 })),
    idealCycleS: Type.Number({ exclusiveMinimum: 0 }),
    /** Default: idealCycleS. */
    lineIdealCycleS: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Default: the last machine of its line in this list. */
    endOfLine: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

const StateSchema = Type.Object(
  { machine: MachineId, at: At, state: Type.Enum([...MACHINE_STATES]), reason: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])) },
  { additionalProperties: false },
)

const CountSchema = Type.Object(
  {
    machine: MachineId,
    at: At,
    produced: Type.Integer({ minimum: 0 }),
    rejected: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Default: the machine's idealCycleS. */
    idealCycleS: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
)

const Reading = Type.Tuple([At, Type.Integer({ minimum: 0 })])

/** Raw readings of a PLC's cumulative counters, turned into counts by the agent's counter model. */
const CounterSchema = Type.Object(
  {
    machine: MachineId,
    /** The register's range: 65536 for a 16-bit word. */
    rollover: Type.Integer({ minimum: 2 }),
    total: Type.Array(Reading, { minItems: 1 }),
    reject: Type.Optional(Type.Array(Reading, { minItems: 1 })),
  },
  { additionalProperties: false },
)

const EnergySchema = Type.Object(
  {
    machine: MachineId,
    at: At,
    /** kWh since the previous reading of this machine. */
    kwh: Type.Number({ minimum: 0 }),
    /** The meter register; default: the running sum of kwh. */
    kwhTotal: Type.Optional(Type.Number({ minimum: 0 })),
    kw: Type.Optional(Type.Number()),
    kvarh: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
)

export const GoldenInputSchema = Type.Object(
  {
    /** The case's factory, as in api/seed/factories.yaml (added to the shipped seed for the run). */
    factory: FactorySchema,
    /** The factory's calendar, as in api/seed/calendars.yaml; omitted: a calendar of the shipped seed. */
    calendar: Type.Optional(CalendarSchema),
    machines: Type.Array(MachineSchema, { minItems: 1 }),
    states: Type.Optional(Type.Array(StateSchema)),
    counts: Type.Optional(Type.Array(CountSchema)),
    counters: Type.Optional(Type.Array(CounterSchema)),
    energy: Type.Optional(Type.Array(EnergySchema)),
    /** The API's clock during the queries. Default 2027-01-01T00:00:00+07:00 (after every case). */
    now: Type.Optional(At),
  },
  { additionalProperties: false },
)

/** A number, an exact fraction written "8/9", a string, null, a boolean, or a list of strings (a set). */
const Expected = Type.Union([Type.Number(), Type.String(), Type.Null(), Type.Boolean(), Type.Array(Type.String())])
const FRACTION = /^-?[0-9.]+\/[0-9.]+$/

export const GoldenExpectedSchema = Type.Object(
  {
    queries: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1 }),
          /** API path, e.g. /api/v1/oee. */
          route: Type.String({ pattern: '^/api/v1/' }),
          params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
          /**
           * Selector -> expected value. Selectors: `oee`, `waterfall.speed`, `buckets[key=2026-11-17/A].oee`,
           * `machines[machine=a].oee` (a path value also matches its last segments), `buckets[0].key`.
           * A number matches within 1e-9 (relative); an array of strings matches as a set.
           */
          expect: Type.Record(Type.String(), Expected),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
)

export type GoldenInput = Static<typeof GoldenInputSchema>
export type GoldenExpected = Static<typeof GoldenExpectedSchema>
export type ExpectedValue = GoldenExpected['queries'][number]['expect'][string]

export interface GoldenCase {
  readonly name: string
  readonly dir: string
  readonly input: GoldenInput
  readonly expected: GoldenExpected
  readonly readme: string
}

/** The case folders, by name. */
export function goldenCaseNames(): string[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(GOLDEN_DIR, d.name, 'input.yaml')))
    .map((d) => d.name)
    .sort()
}

/** Reads and checks one case; throws with the file, line and path of the first problem. */
export function loadGoldenCase(name: string): GoldenCase {
  const dir = join(GOLDEN_DIR, name)
  const inputFile = readSeedFile(join(dir, 'input.yaml'), GoldenInputSchema)
  const input = inputFile.value
  const problem = (path: Array<string | number>, text: string): never => {
    throw inputFile.error(path, text)
  }
  if (input.calendar) {
    const p = calendarProblem(input.calendar)
    if (p) problem(['calendar', ...p.path], p.problem)
    if (input.factory.calendar !== input.calendar.id) problem(['factory', 'calendar'], `must name the case's calendar "${input.calendar.id}"`)
  }
  const ids = new Set<string>()
  for (const [i, m] of input.machines.entries()) {
    let factory: string
    try {
      factory = parseMachinePath(m.path).factory
    } catch (e) {
      return problem(['machines', i, 'path'], (e as Error).message)
    }
    if (factory !== input.factory.path) problem(['machines', i, 'path'], `is not in the case's factory ${input.factory.path}`)
    const id = m.path.split('/').at(-1) as string
    if (ids.has(id)) problem(['machines', i, 'path'], `machine id "${id}" is used twice`)
    ids.add(id)
  }
  const refs: Array<[string, Array<{ machine: string }> | undefined]> = [['states', input.states], ['counts', input.counts], ['counters', input.counters], ['energy', input.energy]]
  for (const [key, list] of refs) {
    for (const [i, e] of (list ?? []).entries()) if (!ids.has(e.machine)) problem([key, i, 'machine'], `names no machine of this case (${[...ids].join(', ')})`)
  }
  const expected = readSeedFile(join(dir, 'expected.yaml'), GoldenExpectedSchema).value
  const readmePath = join(dir, 'README.md')
  const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : ''
  return { name, dir, input, expected, readme }
}

/** The shipped reference data with the case's factory and calendar added (replacing same-named ones). */
export function referenceFor(base: Reference, input: GoldenInput): Reference {
  const cal: Calendar | undefined = input.calendar
  return {
    ...base,
    factories: [...base.factories.filter((f) => f.path !== input.factory.path), input.factory],
    calendars: cal ? [...base.calendars.filter((c) => c.id !== cal.id), cal] : base.calendars,
  }
}

export const ms = (iso: string): number => {
  const t = Date.parse(iso)
  if (Number.isNaN(t)) throw new Error(`"${iso}" is not a date-time`)
  return t
}

/**
 * The events an edge agent would publish for the case, in time order with one agent's growing
 * sequence: a heartbeat announcing the machines, then states, counts (the counters' readings
 * turned into counts by the agent's counter model, exactly as edge/model/machine-model.ts does:
 * the first reading is the baseline, a zero step sends nothing) and energy readings.
 */
export function caseEvents(c: GoldenCase, agentId = `golden-${c.name}`): ShopfloorEvent[] {
  const { input } = c
  const byId = new Map(input.machines.map((m) => [m.path.split('/').at(-1) as string, m]))
  const pathOf = (id: string): string => (byId.get(id) as { path: string }).path
  type Timed = { ts: number; order: number; make: (header: { event_id: string; agent_id: string; seq: number }) => ShopfloorEvent }
  const timed: Timed[] = []
  let order = 0
  const add = (ts: number, make: Timed['make']): void => void timed.push({ ts, order: order++, make })

  for (const s of input.states ?? []) {
    const ts = ms(s.at)
    add(ts, (h) => ({ type: 'machine_state', event: { ...h, machine: pathOf(s.machine), source_ts: ts, receive_ts: ts, state: s.state, reason: s.reason ?? null } }))
  }
  const count = (machine: string, ts: number, produced: number, rejected: number, idealCycleS?: number): void => {
    const ideal = idealCycleS ?? (byId.get(machine) as { idealCycleS: number }).idealCycleS
    add(ts, (h) => ({ type: 'production_count', event: { ...h, machine: pathOf(machine), source_ts: ts, receive_ts: ts, produced, rejected, ideal_cycle_s: ideal, product: null } }))
  }
  for (const n of input.counts ?? []) count(n.machine, ms(n.at), n.produced, n.rejected ?? 0, n.idealCycleS)
  for (const k of input.counters ?? []) {
    for (const [role, readings] of [['total', k.total], ['reject', k.reject ?? []]] as const) {
      let prev: number | undefined
      for (const [at, value] of readings) {
        if (prev !== undefined) {
          const step = counterStep(prev, value, k.rollover)
          if (step.delta > 0) count(k.machine, ms(at), role === 'total' ? step.delta : 0, role === 'reject' ? step.delta : 0)
        }
        prev = value
      }
    }
  }
  const registers = new Map<string, number>()
  for (const e of input.energy ?? []) {
    const ts = ms(e.at)
    const total = e.kwhTotal ?? (registers.get(e.machine) ?? 0) + e.kwh
    registers.set(e.machine, total)
    add(ts, (h) => ({
      type: 'energy_reading',
      event: { ...h, machine: pathOf(e.machine), source_ts: ts, receive_ts: ts, kwh: e.kwh, kwh_total: total, kw: e.kw ?? null, ...(e.kvarh !== undefined ? { kvarh: e.kvarh } : {}) },
    }))
  }
  timed.sort((a, b) => a.ts - b.ts || a.order - b.order)
  const first = timed[0]?.ts ?? ms(input.now ?? '2027-01-01T00:00:00+07:00')
  const lines = new Map<string, string[]>()
  for (const m of input.machines) {
    const line = parseMachinePath(m.path).line
    lines.set(line, [...(lines.get(line) ?? []), m.path])
  }
  const header = (seq: number) => ({ event_id: `${agentId}:${seq}`, agent_id: agentId, seq })
  const heartbeat: ShopfloorEvent = {
    type: 'agent_heartbeat',
    event: {
      ...header(1),
      source_ts: first - 60_000,
      version: 'golden',
      started_ts: first - 60_000,
      machines: input.machines.map((m) => {
        const line = parseMachinePath(m.path).line
        const members = lines.get(line) as string[]
        const eolFlagged = input.machines.some((o) => o.endOfLine === true && parseMachinePath(o.path).line === line)
        return {
          machine: m.path,
          name: m.name ?? (m.path.split('/').at(-1) as string),
          position: members.indexOf(m.path),
          ideal_cycle_s: m.idealCycleS,
          line_ideal_cycle_s: m.lineIdealCycleS ?? m.idealCycleS,
          end_of_line: eolFlagged ? m.endOfLine === true : members.at(-1) === m.path,
        }
      }),
    },
  }
  return [heartbeat, ...timed.map((t, i) => t.make(header(i + 2)))]
}

/** The value an expectation stands for: "8/9" -> 0.888…, anything else as it is. */
export function expectedValue(v: ExpectedValue): number | string | string[] | boolean | null {
  if (typeof v === 'string' && FRACTION.test(v)) {
    const [a, b] = v.split('/').map(Number)
    return (a as number) / (b as number)
  }
  return v
}

type Token = { key: string } | { index: number } | { field: string; value: string }

function tokens(selector: string): Token[] {
  const out: Token[] = []
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]|\[([A-Za-z_][A-Za-z0-9_]*)=([^\]]+)\]|(\.)/gy
  let m: RegExpExecArray | null
  while ((m = re.exec(selector)) !== null) {
    if (m[1] !== undefined) out.push({ key: m[1] })
    else if (m[2] !== undefined) out.push({ index: Number(m[2]) })
    else if (m[3] !== undefined) out.push({ field: m[3], value: m[4] as string })
    if (re.lastIndex === selector.length) return out
  }
  throw new Error(`selector "${selector}" cannot be read at position ${re.lastIndex}`)
}

/** The value a selector picks out of a response body, or an explanation of why there is none. */
export function select(body: unknown, selector: string): { value: unknown } | { missing: string } {
  let v: unknown = body
  let where = ''
  for (const t of tokens(selector)) {
    if ('key' in t) {
      if (v === null || typeof v !== 'object' || !(t.key in v)) return { missing: `${where || 'the body'} has no "${t.key}"` }
      v = (v as Record<string, unknown>)[t.key]
      where += (where ? '.' : '') + t.key
    } else if ('index' in t) {
      if (!Array.isArray(v) || t.index >= v.length) return { missing: `${where} has no element ${t.index}` }
      v = v[t.index]
      where += `[${t.index}]`
    } else {
      if (!Array.isArray(v)) return { missing: `${where} is not a list` }
      const hits = v.filter((e) => {
        const f = (e as Record<string, unknown> | null)?.[t.field]
        return typeof f === 'string' && (f === t.value || f.endsWith(`/${t.value}`))
      })
      if (hits.length !== 1) return { missing: `${where} has ${hits.length} elements with ${t.field} = ${t.value} (${v.map((e) => String((e as Record<string, unknown>)[t.field])).join(', ')})` }
      v = hits[0]
      where += `[${t.field}=${t.value}]`
    }
  }
  return { value: v }
}

/** Every expectation that the body does not meet, as "selector: expected X, got Y". */
export function mismatches(body: unknown, expect: Record<string, ExpectedValue>): string[] {
  const out: string[] = []
  for (const [selector, raw] of Object.entries(expect)) {
    const want = expectedValue(raw)
    const got = select(body, selector)
    if ('missing' in got) {
      out.push(`${selector}: expected ${JSON.stringify(raw)}, but ${got.missing}`)
      continue
    }
    const v = got.value
    if (typeof want === 'number') {
      const ok = typeof v === 'number' && Math.abs(v - want) <= 1e-9 * Math.max(1, Math.abs(want))
      if (!ok) out.push(`${selector}: expected ${String(raw)}${typeof raw === 'string' ? ` (${want})` : ''}, got ${JSON.stringify(v)}`)
    } else if (Array.isArray(want)) {
      const ok = Array.isArray(v) && v.length === want.length && want.every((w) => v.includes(w))
      if (!ok) out.push(`${selector}: expected ${JSON.stringify(want)} (any order), got ${JSON.stringify(v)}`)
    } else if (v !== want) {
      out.push(`${selector}: expected ${JSON.stringify(want)}, got ${JSON.stringify(v)}`)
    }
  }
  return out
}
