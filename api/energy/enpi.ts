/**
 * Energy performance indicator against a baseline (ISO 50006): the EnPI is the specific energy
 * consumption, kWh per good unit. A baseline period of the same machine or line gives the
 * baseline SEC; the reporting period's change is its SEC against it, and the energy the
 * reporting period's output would have taken at the baseline SEC is the expected kWh: expected −
 * actual is the saving (negative: more energy than the baseline rate). No normalization for other
 * relevant variables (product mix, weather): output is the only one.
 */
import { sec } from './ratios.ts'

export interface EnpiBaseline {
  /** The baseline period, ISO 8601. */
  readonly from: string
  readonly to: string
  readonly kwh: number
  readonly goodUnits: number
  /** Baseline SEC; null without good units. */
  readonly kwhPerGoodUnit: number | null
}

export interface Enpi {
  readonly baseline: EnpiBaseline
  /** The reporting period's SEC, kWh per good unit. */
  readonly kwhPerGoodUnit: number | null
  /** Reporting SEC / baseline SEC − 1 (−0.1: 10 % less energy per good unit); null when either SEC is. */
  readonly change: number | null
  /** Baseline SEC × the reporting period's good units; null without a baseline SEC. */
  readonly expectedKwh: number | null
  /** expectedKwh − kWh: energy saved against the baseline rate (negative: more used). */
  readonly savingsKwh: number | null
}

/** The EnPI of a reporting period (its kWh and good units) against a baseline. */
export function enpiOf(baseline: EnpiBaseline, reporting: { readonly kwh: number; readonly goodUnits: number }): Enpi {
  const base = baseline.kwhPerGoodUnit
  const now = sec(reporting.kwh, reporting.goodUnits)
  const expectedKwh = base === null ? null : base * reporting.goodUnits
  return {
    baseline,
    kwhPerGoodUnit: now,
    change: base === null || now === null || base === 0 ? null : now / base - 1,
    expectedKwh,
    savingsKwh: expectedKwh === null ? null : expectedKwh - reporting.kwh,
  }
}

/** A baseline from the figures of a baseline period. */
export function enpiBaseline(from: string, to: string, figures: { readonly kwh: number; readonly units: { readonly good: number } }): EnpiBaseline {
  return { from, to, kwh: figures.kwh, goodUnits: figures.units.good, kwhPerGoodUnit: sec(figures.kwh, figures.units.good) }
}
