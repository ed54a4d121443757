import type { MachineStateCode } from '../../stream/index.ts'

export interface StateEvent {
  /** Epoch ms when the state began. */
  readonly ts: number
  readonly state: MachineStateCode
  /** Tie-break for events with the same timestamp: the agent's sequence. */
  readonly seq: number
}

/** Milliseconds per bucket of the ISO 22400 time model within a window. */
export interface StateTime {
  readonly running: number
  /** DOWN time in stops shorter than the micro-stop threshold: a performance loss, inside APT. */
  readonly microStops: number
  /** DOWN time in stops at or above the threshold: the availability loss ADET. */
  readonly down: number
  readonly idle: number
  readonly setup: number
  readonly plannedStop: number
  /** OFFLINE, and time before the first known state: no data, neither running nor a loss. */
  readonly offline: number
  /** Number of DOWN stops at or above the threshold that began in the window. */
  readonly failures: number
}

/**
 * Splits [from, to) into state time. `events` must be sorted by (ts, seq) and may include the
 * last event before `from` (the state in force at `from`) and the first after `to` (so that a
 * stop crossing `to` is classed by its whole length). A stop is a micro-stop by its whole length
 * (consecutive DOWN events, e.g. a reason update, are one stop); a stop still open at `now` is
 * measured up to `now`.
 */
export function stateTime(events: readonly StateEvent[], from: number, to: number, microStopMs: number, now: number = Date.now()): StateTime {
  const end = Math.min(to, now)
  const t = { running: 0, microStops: 0, down: 0, idle: 0, setup: 0, plannedStop: 0, offline: 0, failures: 0 }
  if (end <= from) return t
  // Runs of one state: [start, stop) with consecutive same-state events merged.
  const runs: Array<{ state: MachineStateCode; start: number; stop: number }> = []
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as StateEvent
    const stop = i + 1 < events.length ? (events[i + 1] as StateEvent).ts : Math.max(now, e.ts)
    const last = runs.at(-1)
    if (last && last.state === e.state) last.stop = stop
    else runs.push({ state: e.state, start: e.ts, stop })
  }
  const firstKnown = runs[0]?.start ?? end
  if (firstKnown > from) t.offline += Math.min(firstKnown, end) - from
  for (const r of runs) {
    const ms = Math.min(r.stop, end) - Math.max(r.start, from)
    if (ms <= 0) continue
    switch (r.state) {
      case 'RUNNING':
        t.running += ms
        break
      case 'DOWN':
        if (r.stop - r.start < microStopMs) t.microStops += ms
        else {
          t.down += ms
          if (r.start >= from) t.failures++
        }
        break
      case 'IDLE':
        t.idle += ms
        break
      case 'SETUP':
        t.setup += ms
        break
      case 'PLANNED_STOP':
        t.plannedStop += ms
        break
      case 'OFFLINE':
        t.offline += ms
        break
    }
  }
  return t
}
