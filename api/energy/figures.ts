/**
 * The energy figures of one machine or scope over one span of time, from its sums: every ratio is
 * computed from summed kWh, units and hours, never averaged.
 */
import { MACHINE_STATES, type MachineStateCode } from '../../stream/index.ts'
import type { EmissionFactor, ReactiveRule } from '../reference/energy.ts'
import { addCost, emptyCost, type EnergyCost, type SlotClass } from './cost.ts'
import { DEMAND_INTERVAL_MS, hoursOf, loadFactor, type Peak } from './demand.ts'
import { co2Kg, emissionFactorFor } from './emission.ts'
import type { Enpi } from './enpi.ts'
import { powerFactor, sec } from './ratios.ts'
import { reactiveCharge, type ReactiveCharge } from './reactive.ts'
import { idleEnergy, type KwhByOeeTime } from './states.ts'

/** Flags on energy figures: something the numbers leave out or rest on. */
export type EnergyFlag =
  /** kWh on days without a time-of-use regime or tariff in force: left out of the cost. */
  | 'cost_incomplete'
  /** kWh in a year before every emission factor of the seed: left out of the CO2. */
  | 'co2_incomplete'
  /** A year without its own emission factor used the latest earlier year's (the year is in co2.byYear). */
  | 'emission_factor_of_earlier_year'
  /** Meter readings were impossible (negative, not finite, above maxKw) and are not summed. */
  | 'meter_readings_rejected'
  /** kWh was used and no reactive energy recorded: the power factor is unknown. */
  | 'reactive_not_metered'
  /** A tariff, time-of-use regime or emission factor used has a "check" note in its seed file. */
  | 'reference_unverified'

const STATE_KEYS: Record<MachineStateCode, 'running' | 'idle' | 'down' | 'setup' | 'plannedStop' | 'offline'> = {
  RUNNING: 'running',
  IDLE: 'idle',
  DOWN: 'down',
  SETUP: 'setup',
  PLANNED_STOP: 'plannedStop',
  OFFLINE: 'offline',
}

export interface EnergyFigures {
  kwh: number
  /** 0 where not metered. */
  kvarh: number
  powerFactor: number | null
  /** Highest mean power over a fixed 15-minute interval. */
  peakDemand: { kw: number; start: string; end: string } | null
  /** kWh / (peak kW × hours of the span). */
  loadFactor: number | null
  units: { produced: number; good: number; rejected: number }
  /** Specific energy consumption. */
  sec: { kwhPerGoodUnit: number | null; kwhPerUnit: number | null }
  /** kWh by machine state (a quarter hour's kWh shared by the state time in that quarter hour). */
  byState: Record<'running' | 'idle' | 'down' | 'setup' | 'plannedStop' | 'offline', number>
  /** kWh not used while RUNNING, and its share of all kWh. */
  idleEnergy: { kwh: number; share: number | null }
  /** kWh by ISO 22400 time element. */
  byOeeTime: KwhByOeeTime
  cost: EnergyCost
  /** What the power factor would cost under the reactive power rule (tariffs.yaml reactivePower). */
  reactiveCharge: ReactiveCharge
  /** SEC against the baseline period asked for (baselineFrom, baselineTo); null without one. */
  enpi: Enpi | null
  co2: {
    /** Scope 2, location based, kg; of the kWh that have a factor. */
    kg: number
    kgPerGoodUnit: number | null
    byYear: Array<{ year: number; factorYear: number | null; tCo2PerMwh: number | null; kwh: number; kg: number }>
    /** kWh without an emission factor (a year before every factor): not in `kg`. */
    uncoveredKwh: number
  }
  /** What the meter check did: intervals whose readings were checked one by one, and what it left out. */
  meter: { checkedIntervals: number; rejectedReadings: number; rejectedKwh: number }
  flags: EnergyFlag[]
}

/** What one machine or scope summed over one span. */
export interface FigureInput {
  readonly kwh: number
  readonly kvarh: number
  readonly produced: number
  readonly rejected: number
  readonly byState: Readonly<Record<MachineStateCode, number>>
  readonly byOeeTime: Readonly<KwhByOeeTime>
  /** kWh per time-of-use class index. */
  readonly byClass: ReadonlyMap<number, number>
  /** The peak demand interval, or null. */
  readonly peak: Peak | null
  readonly start: number
  readonly end: number
  readonly meter: { readonly checkedIntervals: number; readonly rejectedReadings: number; readonly rejectedKwh: number }
}

export interface FigureContext {
  readonly classes: readonly SlotClass[]
  readonly emissionFactors: readonly EmissionFactor[]
  readonly reactivePower: readonly ReactiveRule[]
  /** Local day number whose reactive power rule applies (the window's first day). */
  readonly reactiveDay: number
}

const iso = (ms: number): string => new Date(ms).toISOString()

/** The figures of one span (see {@link EnergyFigures}). */
export function energyFigures(x: FigureInput, ctx: FigureContext): EnergyFigures {
  const flags = new Set<EnergyFlag>()
  const cost = emptyCost()
  const years = new Map<number, number>()
  let unverified = false
  for (const [idx, kwh] of x.byClass) {
    const c = ctx.classes[idx] as SlotClass
    addCost(cost, c, kwh)
    years.set(c.year, (years.get(c.year) ?? 0) + kwh)
    if (kwh !== 0 && (c.tariff?.check !== undefined || c.regime?.check !== undefined)) unverified = true
  }
  if (cost.unpricedKwh > 0) flags.add('cost_incomplete')
  const byYear: EnergyFigures['co2']['byYear'] = []
  let kg = 0
  let uncoveredKwh = 0
  for (const [year, kwh] of [...years].sort((a, b) => a[0] - b[0])) {
    const f = emissionFactorFor(ctx.emissionFactors, year)
    if (!f) {
      uncoveredKwh += kwh
      byYear.push({ year, factorYear: null, tCo2PerMwh: null, kwh, kg: 0 })
      if (kwh > 0) flags.add('co2_incomplete')
      continue
    }
    const k = co2Kg(kwh, f.factor.tCo2PerMwh)
    kg += k
    byYear.push({ year, factorYear: f.factor.year, tCo2PerMwh: f.factor.tCo2PerMwh, kwh, kg: k })
    if (!f.exact && kwh > 0) flags.add('emission_factor_of_earlier_year')
    if (f.factor.check !== undefined && kwh > 0) unverified = true
  }
  const good = x.produced - x.rejected
  const kvarhMetered = x.kvarh !== 0
  if (!kvarhMetered && x.kwh > 0) flags.add('reactive_not_metered')
  if (x.meter.rejectedReadings > 0) flags.add('meter_readings_rejected')
  const pf = kvarhMetered ? powerFactor(x.kwh, x.kvarh) : null
  const reactive = reactiveCharge(ctx.reactivePower, ctx.reactiveDay, pf, cost.vnd)
  if (reactive.vnd !== null && ctx.reactivePower.find((r) => r.id === reactive.rule)?.check !== undefined) unverified = true
  if (unverified) flags.add('reference_unverified')
  const peakKw = x.peak ? x.peak.kw : null
  const byState = Object.fromEntries(MACHINE_STATES.map((s) => [STATE_KEYS[s], x.byState[s]])) as EnergyFigures['byState']
  return {
    kwh: x.kwh,
    kvarh: x.kvarh,
    powerFactor: pf,
    peakDemand: x.peak ? { kw: x.peak.kw, start: iso(x.peak.start), end: iso(x.peak.start + DEMAND_INTERVAL_MS) } : null,
    loadFactor: loadFactor(x.kwh, peakKw, hoursOf(x.start, x.end)),
    units: { produced: x.produced, good, rejected: x.rejected },
    sec: { kwhPerGoodUnit: sec(x.kwh, good), kwhPerUnit: sec(x.kwh, x.produced) },
    byState,
    idleEnergy: idleEnergy(x.byState),
    byOeeTime: { ...x.byOeeTime },
    cost,
    reactiveCharge: reactive,
    enpi: null,
    co2: { kg, kgPerGoodUnit: good > 0 ? kg / good : null, byYear, uncoveredKwh },
    meter: { checkedIntervals: x.meter.checkedIntervals, rejectedReadings: x.meter.rejectedReadings, rejectedKwh: x.meter.rejectedKwh },
    flags: [...flags],
  }
}
