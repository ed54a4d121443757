import { describe, expect, it } from 'vitest'
import { hoursOf, loadFactor, peakDemand } from '../../api/energy/demand.ts'
import { co2Kg, emissionFactorFor } from '../../api/energy/emission.ts'
import { powerFactor, sec, share } from '../../api/energy/ratios.ts'
import { addByState, addOeeTime, idleEnergy, noOeeTimeKwh, noStateKwh, type KwhByState } from '../../api/energy/states.ts'
import { loadEnergyReference } from '../../api/reference/energy.ts'
import { DEFAULT_SEED_DIR } from '../../api/reference/index.ts'

const Q = 900_000

describe('peakDemand and loadFactor', () => {
  it.each([
    // kWh per 15-min interval -> peak kW (kWh × 4) at the interval index
    [[5, 12.5, 12.5, 3], 50, 1],
    [[0.25], 1, 0],
    [[0, 0], null, null],
    [[], null, null],
    [[1, 2, 8, 2], 32, 2],
  ] as const)('peakDemand(%j) is %s kW at interval %s', (kwh, kw, index) => {
    const p = peakDemand(kwh.map((k, i) => ({ start: i * Q, kwh: k })))
    expect(p === null ? null : p.kw).toBe(kw)
    expect(p === null ? null : p.start / Q).toBe(index)
  })

  it.each([
    // kWh, peak kW, hours -> load factor
    [30, 50, 0.75, 0.8], // 30 / (50 × 0.75)
    [100, 10, 10, 1],
    [12, 48, 1, 0.25],
    [5, null, 1, null],
    [5, 0, 1, null],
    [5, 10, 0, null],
  ] as const)('loadFactor(%d kWh, %s kW, %d h) is %s', (kwh, peak, hours, want) => {
    const lf = loadFactor(kwh, peak, hours)
    if (want === null) expect(lf).toBeNull()
    else expect(lf).toBeCloseTo(want, 12)
  })

  it('hoursOf gives the hours of a window', () => {
    expect(hoursOf(0, 86_400_000)).toBe(24)
  })
})

describe('powerFactor, sec, share', () => {
  it.each([
    [30, 40, 0.6], // 30 / √(900 + 1600) = 30 / 50
    [40, 30, 0.8],
    [30, 0, 1],
    [30, null, null], // reactive energy not metered
    [0, 0, null],
  ] as const)('powerFactor(%d kWh, %s kvarh) is %s', (kwh, kvarh, want) => {
    expect(powerFactor(kwh, kvarh)).toBe(want)
  })

  it.each([
    [120, 400, 0.3],
    [120, 0, null],
  ] as const)('sec(%d kWh, %d units) is %s kWh per unit', (kwh, units, want) => {
    expect(sec(kwh, units)).toBe(want)
  })

  it('share is null for an empty whole', () => {
    expect(share(1, 4)).toBe(0.25)
    expect(share(0, 0)).toBeNull()
  })
})

describe('energy by state', () => {
  const acc = (init: Partial<KwhByState> = {}): KwhByState => ({ ...noStateKwh(), ...init })
  it.each([
    // kWh of the minute, ms per state, fallback -> kWh per state
    [6, { RUNNING: 40_000, IDLE: 20_000 }, 'OFFLINE', { RUNNING: 4, IDLE: 2 }],
    [3, { DOWN: 60_000 }, 'RUNNING', { DOWN: 3 }],
    [3, {}, 'IDLE', { IDLE: 3 }], // no state time in the minute: the state in force
    [1, { SETUP: 15_000, PLANNED_STOP: 15_000, OFFLINE: 30_000 }, 'RUNNING', { SETUP: 0.25, PLANNED_STOP: 0.25, OFFLINE: 0.5 }],
    [2, { RUNNING: 10_000 }, 'IDLE', { RUNNING: 2 }], // a minute only partly covered: shared by the time known
  ] as const)('addByState(%d kWh, %j, fallback %s) gives %j', (kwh, ms, fallback, want) => {
    const a = acc()
    addByState(a, kwh, ms, fallback)
    expect(a).toEqual(acc(want))
  })

  it('idleEnergy is the energy not used while RUNNING, with its share', () => {
    expect(idleEnergy(acc({ RUNNING: 6, IDLE: 1, DOWN: 2, SETUP: 1 }))).toEqual({ kwh: 4, share: 0.4 })
    expect(idleEnergy(acc())).toEqual({ kwh: 0, share: null })
  })

  const byState = acc({ RUNNING: 10, SETUP: 1, DOWN: 2, IDLE: 3, PLANNED_STOP: 4, OFFLINE: 5 })
  it.each([
    ['production', { apt: 10, aust: 1, adet: 2, adot: 3, pdt: 4, notPlanned: 0, offline: 5 }],
    ['break', { apt: 0, aust: 0, adet: 0, adot: 0, pdt: 20, notPlanned: 0, offline: 5 }],
    ['planned_downtime', { apt: 0, aust: 0, adet: 0, adot: 0, pdt: 20, notPlanned: 0, offline: 5 }],
    ['holiday', { apt: 0, aust: 0, adet: 0, adot: 0, pdt: 0, notPlanned: 20, offline: 5 }],
    ['no_shift', { apt: 0, aust: 0, adet: 0, adot: 0, pdt: 0, notPlanned: 20, offline: 5 }],
  ] as const)('addOeeTime puts energy of plan kind %s into %j', (kind, want) => {
    const a = noOeeTimeKwh()
    addOeeTime(a, kind, byState)
    expect(a).toEqual(want)
  })
})

describe('emission factor and CO2', () => {
  const { emissionFactors } = loadEnergyReference(DEFAULT_SEED_DIR)
  it.each([
    [2022, 2022, 0.6766, true],
    [2023, 2023, 0.6592, true],
    [2026, 2023, 0.6592, false], // latest official value, and says which year it is
    [2021, null, null, null], // before every factor: no CO2 rather than a guess
  ] as const)('emissionFactorFor(%d) uses the factor of %s (%s t/MWh, exact %s)', (year, used, factor, exact) => {
    const f = emissionFactorFor(emissionFactors, year)
    expect(f === undefined ? [null, null, null] : [f.factor.year, f.factor.tCo2PerMwh, f.exact]).toEqual([used, factor, exact])
  })

  it('co2Kg is MWh × t/MWh, in kg', () => {
    expect(co2Kg(1000, 0.6592)).toBeCloseTo(659.2, 9) // 1 MWh × 0.6592 t = 659.2 kg
    expect(co2Kg(250, 0.6766)).toBeCloseTo(169.15, 9)
  })
})
