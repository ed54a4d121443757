// The dashboard's rules, pure (no DOM, no fetch): paths, windows on the factory's clock, the count
// target and the bottleneck. test/unit/dashboard-rules.test.ts checks them in node.

/** The time model figures the rules read (a subset of the API's `seconds`). */
export interface SecondsFigures {
  plannedBusy: number
  idle: number
  plannedOperation: number
  plannedStop: number
}

/** An instant as the API takes it: ISO 8601 UTC. */
export const iso = (ms: number): string => new Date(ms).toISOString()

/** The factory of a line or machine path (its first three segments). */
export const factoryOf = (path: string): string => path.split('/').slice(0, 3).join('/')
/** The line of a machine path. */
export const lineOf = (machine: string): string => machine.split('/').slice(0, 5).join('/')

/** The shift's name of a bucket key `2026-11-21/A`. */
export const shiftName = (key: string): string => key.slice(key.indexOf('/') + 1)
/** The production date of a bucket key `2026-11-21/A`. */
export const shiftDate = (key: string): string => key.slice(0, key.indexOf('/'))

/** `YYYY-MM-DD` of an instant on the factory's clock. */
export const localDate = (ms: number, tz: string): string => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms)

/** The zone's offset from UTC at an instant, ms (+07:00 -> 25 200 000). */
function zoneOffset(ms: number, tz: string): number {
  const p: Record<string, number> = {}
  for (const x of new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(ms)) {
    if (x.type !== 'literal') p[x.type] = Number(x.value)
  }
  return Date.UTC(p['year'] ?? 1970, (p['month'] ?? 1) - 1, p['day'] ?? 1, p['hour'] ?? 0, p['minute'] ?? 0, p['second'] ?? 0) - Math.floor(ms / 1000) * 1000
}

/** Local midnight (on the factory's clock) of the day an instant falls in. */
export function localMidnight(ms: number, tz: string): number {
  const wall = Date.parse(`${localDate(ms, tz)}T00:00:00Z`)
  return wall - zoneOffset(wall - zoneOffset(wall, tz), tz)
}

/** OEE colour class: 85 % world class, 60 % typical (KPI.md's indicative benchmarks). */
export const oeeClass = (v: number | null | undefined): string => (v == null ? '' : v >= 0.85 ? 'good' : v >= 0.6 ? 'fair' : 'poor')

/**
 * The count target so far: the planned production time elapsed (production segments of the
 * calendar, less the machine's planned stops: PBT + offline, since time without data is still
 * time the plan expected units in) over the ideal cycle time, whole units. Null without an ideal
 * cycle time.
 */
export function countTarget(seconds: Pick<SecondsFigures, 'plannedOperation' | 'plannedStop'>, idealCycleS: number | null | undefined): number | null {
  if (!idealCycleS || !(idealCycleS > 0)) return null
  return Math.floor(Math.max(0, seconds.plannedOperation - seconds.plannedStop) / idealCycleS)
}

/** What the bottleneck rule measured for one machine. */
export interface BottleneckInput {
  machine: string
  idealCycleS: number
  produced: number
  /** Seconds the machine was busy: PBT less idle (starved or blocked) time. */
  activeS: number
}

/**
 * The line's bottleneck in the period, by the active-period idea (Roser): the machine that limits
 * the flow is the one that is rarely starved or blocked, i.e. makes the fewest units per hour of
 * its own busy time (PBT − idle). Units per busy hour = produced / (PBT − idle) × 3600. Machines
 * without units or busy time give no evidence and are left out; when none gives any, the design
 * constraint is taken: the longest ideal cycle time. Ties go to the longer ideal cycle time, then
 * to the later machine in the flow (the caller passes them in flow order).
 */
export function bottleneck(machines: readonly BottleneckInput[]): { machine: string; by: 'rate' | 'design'; unitsPerHour: number | null } | null {
  const measured = machines.filter((m) => m.produced > 0 && m.activeS > 0)
  if (measured.length > 0) {
    let best: BottleneckInput | undefined
    let bestRate = Infinity
    for (const m of measured) {
      const rate = (m.produced / m.activeS) * 3600
      if (rate < bestRate - 1e-9 || (Math.abs(rate - bestRate) <= 1e-9 && best !== undefined && m.idealCycleS >= best.idealCycleS)) {
        best = m
        bestRate = rate
      }
    }
    return best ? { machine: best.machine, by: 'rate', unitsPerHour: bestRate } : null
  }
  let slow: BottleneckInput | undefined
  for (const m of machines) if (m.idealCycleS > 0 && (!slow || m.idealCycleS >= slow.idealCycleS)) slow = m
  return slow ? { machine: slow.machine, by: 'design', unitsPerHour: null } : null
}

/** Busy seconds of a machine's figures: PBT less idle time. */
export const activeSeconds = (f: { seconds: Pick<SecondsFigures, 'plannedBusy' | 'idle'> }): number => Math.max(0, f.seconds.plannedBusy - f.seconds.idle)


/** The TV's seconds per line: `?every=`, 5 to 3600; `fallback` when absent or not a number. */
export function rotationSeconds(params: URLSearchParams, fallback: number): number {
  const raw = params.get('every')
  const v = raw === null || raw.trim() === '' ? NaN : Number(raw)
  return Number.isFinite(v) && v > 0 ? Math.min(3600, Math.max(5, v)) : fallback
}
