import type { MachineStateCode } from '../../stream/index.ts'

/** An event that opened a run of one state. */
export interface RunStart {
  readonly state: MachineStateCode
  readonly reason: string | null
  /** Epoch ms. */
  readonly ts: number
  /** The agent's sequence: orders events with the same timestamp. */
  readonly seq: number
}

/**
 * A run of one state: consecutive events of the same state (a reason update while DOWN) are one
 * run, with the reason of the event that opened it. It ends where the next run begins; `end`
 * null: still open, measured to now.
 */
export interface StateRun extends RunStart {
  readonly end: number | null
}

/** One interval of the state timeline, clipped to the window and to now. */
export interface TimelineInterval {
  readonly state: MachineStateCode
  /** The reason of the event that opened the run; `NO_DATA` for time before the machine's first state. */
  readonly reason: string | null
  /** Epoch ms, clipped to the window. */
  readonly start: number
  readonly end: number
  readonly seconds: number
  /** When the run really began (before the window's start for the first interval). */
  readonly since: number
  /** For DOWN: whether the whole stop is shorter than the micro-stop threshold; null for other states. */
  readonly microStop: boolean | null
  /** The run has not ended yet. */
  readonly open: boolean
}

/** Reason of the OFFLINE interval made for time before a machine's first known state. */
export const NO_DATA = 'NO_DATA'

/**
 * Intervals of `runs` (sorted, as the state-runs query gives them) inside [from, to) and before
 * `now`. With `leadingGap` (the first page), time in the window before the first run is an OFFLINE
 * interval with reason `NO_DATA`, as the time model counts it. A stop is a micro-stop by its whole
 * length, the part outside the window included (an open stop measured to now).
 */
export function timelineIntervals(runs: readonly StateRun[], from: number, to: number, opts: { microStopMs: number; now: number; leadingGap: boolean }): TimelineInterval[] {
  const until = Math.min(to, opts.now)
  const out: TimelineInterval[] = []
  const firstStart = runs[0]?.ts ?? Infinity
  if (opts.leadingGap && firstStart > from) {
    const end = Math.min(firstStart, until)
    if (end > from) out.push({ state: 'OFFLINE', reason: NO_DATA, start: from, end, seconds: (end - from) / 1000, since: from, microStop: null, open: false })
  }
  for (const r of runs) {
    const runEnd = r.end ?? Math.max(opts.now, r.ts)
    const start = Math.max(r.ts, from)
    const end = Math.min(runEnd, until)
    if (end <= start) continue
    out.push({
      state: r.state,
      reason: r.reason,
      start,
      end,
      seconds: (end - start) / 1000,
      since: r.ts,
      microStop: r.state === 'DOWN' ? runEnd - r.ts < opts.microStopMs : null,
      open: r.end === null,
    })
  }
  return out
}
