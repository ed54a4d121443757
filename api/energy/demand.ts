/** Peak demand and load factor (ISO 50001 vocabulary, EVN's 15-minute demand interval). */

const HOUR_MS = 3_600_000

/** Demand interval, ms: 15 minutes. */
export const DEMAND_INTERVAL_MS = 15 * 60_000

/** Mean kW of a demand interval holding `kwh`: kWh × 4. */
export const intervalKw = (kwh: number): number => (kwh * HOUR_MS) / DEMAND_INTERVAL_MS

export interface Peak {
  /** Mean kW over the demand interval: its kWh × 4. */
  readonly kw: number
  /** Start of the interval, epoch ms. */
  readonly start: number
}

/**
 * The highest mean power over fixed 15-minute intervals: max of kWh × 4. An interval only partly
 * inside the window counts its kWh inside it, still over 15 minutes (a fixed clock interval, as a
 * demand meter has). Null when no interval used energy. Ties keep the earliest.
 */
export function peakDemand(intervals: ReadonlyArray<{ start: number; kwh: number }>): Peak | null {
  let best: Peak | null = null
  for (const i of intervals) {
    const kw = intervalKw(i.kwh)
    if (kw > 0 && (best === null || kw > best.kw || (kw === best.kw && i.start < best.start))) best = { kw, start: i.start }
  }
  return best
}

/** Load factor = kWh / (peak kW × hours): mean power over peak power. Null without a peak or a window. */
export function loadFactor(kwh: number, peakKw: number | null, hours: number): number | null {
  if (peakKw === null || !(peakKw > 0) || !(hours > 0)) return null
  return kwh / (peakKw * hours)
}

/** Hours of [start, end). */
export const hoursOf = (start: number, end: number): number => (end - start) / HOUR_MS
