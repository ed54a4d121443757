/**
 * Meter readings that cannot be summed. The edge agent already turns a falling kWh register into
 * no increment (a rollover adds the distance through the top; a reset or a replaced meter is
 * flagged and not summed, edge/model/machine-model.ts). What it cannot see is a register that
 * jumps up (a bad read, a new meter starting at a higher count) and readings from other
 * producers: so the API checks every delta again and leaves out the impossible ones.
 */

const HOUR_MS = 3_600_000

/** A reading's delta: kWh (and kvarh where metered) used since the meter's previous reading. */
export interface MeterDelta {
  readonly ts: number
  readonly kwh: number
  readonly kvarh: number | null
}

export type MeterProblem = 'not_finite' | 'negative' | 'implausible_power'

export interface RejectedDelta {
  readonly reading: MeterDelta
  readonly problem: MeterProblem
  /** Mean kW the delta implies over the time since the previous reading (implausible_power). */
  readonly impliedKw?: number
}

export interface MeterCheck {
  readonly kept: MeterDelta[]
  readonly rejected: RejectedDelta[]
}

/**
 * Splits deltas (sorted by time) into those that can be summed and those that cannot: not a
 * finite number, negative, or implying a mean power above `maxKw` over the time since the previous
 * reading (`previousTs`: the reading before the first, if known; a first reading with no known
 * predecessor is checked for sign only). A rejected reading still marks the time for the next one.
 */
export function checkMeterDeltas(deltas: readonly MeterDelta[], opts: { maxKw: number; previousTs?: number | undefined }): MeterCheck {
  const kept: MeterDelta[] = []
  const rejected: RejectedDelta[] = []
  let prev = opts.previousTs
  for (const d of deltas) {
    const since = prev === undefined ? undefined : d.ts - prev
    prev = d.ts
    if (!Number.isFinite(d.kwh) || (d.kvarh !== null && !Number.isFinite(d.kvarh))) {
      rejected.push({ reading: d, problem: 'not_finite' })
      continue
    }
    if (d.kwh < 0 || (d.kvarh !== null && d.kvarh < 0)) {
      rejected.push({ reading: d, problem: 'negative' })
      continue
    }
    if (since !== undefined && d.kwh > 0) {
      const impliedKw = since > 0 ? (d.kwh * HOUR_MS) / since : Infinity
      if (impliedKw > opts.maxKw) {
        rejected.push({ reading: d, problem: 'implausible_power', impliedKw })
        continue
      }
    }
    kept.push(d)
  }
  return { kept, rejected }
}
