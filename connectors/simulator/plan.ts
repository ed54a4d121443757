/**
 * The shift plan a simulated day follows, as plain data. It has the shape of the API's calendar
 * segments (`planSegments()` of api/calendar), so a test hands the very plan the API reads to
 * the simulator without the connectors knowing anything of the API.
 */

export type SimPlanKind = 'production' | 'break' | 'holiday' | 'planned_downtime'

export interface SimPlanSegment {
  /** Epoch ms. */
  readonly start: number
  /** Epoch ms, exclusive. */
  readonly end: number
  readonly kind: SimPlanKind
  /** The shift the segment belongs to; `date` is the production date of the shift's start. */
  readonly shift: { readonly name: string; readonly date: string } | null
}

/** A shift of the plan: its name, production date and [start, end) including its breaks. */
export interface SimShift {
  readonly name: string
  readonly date: string
  readonly start: number
  readonly end: number
}

/** Checks a plan: segments sorted, non-empty, not overlapping. Throws naming the first bad one. */
export function checkPlan(plan: readonly SimPlanSegment[]): void {
  if (plan.length === 0) throw new Error('simulated day: the plan has no segments')
  let prevEnd = -Infinity
  for (const [i, s] of plan.entries()) {
    if (!Number.isFinite(s.start) || !Number.isFinite(s.end) || !(s.end > s.start)) {
      throw new Error(`simulated day: plan[${i}] must have finite start < end, got [${s.start}, ${s.end})`)
    }
    if (s.start < prevEnd) throw new Error(`simulated day: plan[${i}] starts at ${new Date(s.start).toISOString()}, before plan[${i - 1}] ends`)
    prevEnd = s.end
  }
}

/** The shifts of a plan, in order: consecutive segments of one shift (name and date) joined. */
export function shiftsOf(plan: readonly SimPlanSegment[]): SimShift[] {
  const out: Array<{ name: string; date: string; start: number; end: number }> = []
  for (const s of plan) {
    if (!s.shift) continue
    const last = out.at(-1)
    if (last && last.name === s.shift.name && last.date === s.shift.date && last.end === s.start) last.end = s.end
    else out.push({ name: s.shift.name, date: s.shift.date, start: s.start, end: s.end })
  }
  return out
}

/** Production time of the plan inside [from, to), as sorted pieces. */
export function productionPieces(plan: readonly SimPlanSegment[], from: number, to: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = []
  for (const s of plan) {
    if (s.kind !== 'production') continue
    const start = Math.max(s.start, from)
    const end = Math.min(s.end, to)
    if (end <= start) continue
    const last = out.at(-1)
    if (last && last.end === start) last.end = end
    else out.push({ start, end })
  }
  return out
}
