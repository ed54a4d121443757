/** DOWN time of one reason in a window, milliseconds and stops, split by the micro-stop threshold. */
export interface ReasonTotals {
  failureMs: number
  /** Stops at or above the threshold that began in the window. */
  failures: number
  microStopMs: number
  /** Stops under the threshold that began in the window. */
  microStops: number
}

/** One row of the downtime ranking. */
export interface DowntimeReason {
  /** The reason of the stops' opening events; null when the PLC gave none. */
  readonly reason: string | null
  /** All DOWN time of the reason inside the window, seconds. */
  readonly seconds: number
  /** Stops that began in the window (failures + micro-stops). */
  readonly stops: number
  readonly failureSeconds: number
  readonly failures: number
  readonly microStopSeconds: number
  readonly microStops: number
  /** seconds / all DOWN seconds of the ranking. */
  readonly share: number
}

/**
 * The ranking: reasons by DOWN seconds, most first (then by stops, then by reason, nulls last),
 * each with its share of all DOWN time. Reasons with neither time nor stops are left out.
 */
export function rankDowntime(byReason: ReadonlyMap<string | null, ReasonTotals>): DowntimeReason[] {
  const rows = [...byReason]
    .map(([reason, t]) => ({ reason, ms: t.failureMs + t.microStopMs, t }))
    .filter((r) => r.ms > 0 || r.t.failures + r.t.microStops > 0)
  const total = rows.reduce((a, r) => a + r.ms, 0)
  rows.sort(
    (a, b) =>
      b.ms - a.ms ||
      b.t.failures + b.t.microStops - (a.t.failures + a.t.microStops) ||
      (a.reason === null ? 1 : b.reason === null ? -1 : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0),
  )
  return rows.map(({ reason, ms, t }) => ({
    reason,
    seconds: ms / 1000,
    stops: t.failures + t.microStops,
    failureSeconds: t.failureMs / 1000,
    failures: t.failures,
    microStopSeconds: t.microStopMs / 1000,
    microStops: t.microStops,
    share: total > 0 ? ms / total : 0,
  }))
}
