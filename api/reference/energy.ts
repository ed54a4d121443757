/**
 * The energy seed files: EVN tariffs by voltage level (tariffs.yaml), time-of-use windows
 * (tou.yaml) and grid emission factors (emission-factors.yaml). Each is versioned by effective
 * date and names its source; values read only in secondary sources carry `check:` saying what to
 * verify. Read once at start-up and checked across entries, so that overlapping effective ranges,
 * a day the time-of-use windows leave uncovered or a tariff missing a voltage level stop the API
 * with the file, line and path.
 */
import { join } from 'node:path'
import Type, { type Static } from 'typebox'
import { dayNumber, minuteOfDay } from '../calendar/local-time.ts'
import { WEEKDAYS, type Weekday } from '../calendar/index.ts'
import { readSeedFile, type SeedFile } from './load.ts'

/** File names of the energy seed files in the seed directory. */
export const ENERGY_SEED_FILES = { tariffs: 'tariffs.yaml', tou: 'tou.yaml', emissionFactors: 'emission-factors.yaml' } as const

/** EVN's time-of-use periods: giờ cao điểm, giờ bình thường, giờ thấp điểm. */
export const TOU_PERIODS = ['peak', 'normal', 'offpeak'] as const
export type TouPeriod = (typeof TOU_PERIODS)[number]

/** Length of a time-of-use slot: windows start and end on quarter hours, cost is classified per slot. */
export const TOU_SLOT_MINUTES = 15
const SLOTS_PER_DAY = 1440 / TOU_SLOT_MINUTES

const LocalDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a date YYYY-MM-DD (the factory\'s local date), quoted' })
const QuarterTime = Type.String({
  pattern: '^(([01]\\d|2[0-3]):(00|15|30|45)|24:00)$',
  description: 'a time "HH:MM" on a quarter hour (:00, :15, :30, :45), or "24:00" for the end of the day',
})
const Source = Type.String({ minLength: 1, description: 'where the value comes from' })
/** What is still to be verified against the primary source; absent when the value was read there. */
const Check = Type.String({ minLength: 1, description: 'what remains to verify against the primary source' })
const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'letters, digits, ".", "_", "-"' })
const Price = Type.Number({ exclusiveMinimum: 0, description: 'VND per kWh' })

const TariffPricesSchema = Type.Object({ normal: Price, offpeak: Price, peak: Price }, { additionalProperties: false })

/** Fields of a dated, cited entry (a tariff, a reactive power rule). */
const DATED_ENTRY = {
  id: Id,
  name: Type.Optional(Type.String({ minLength: 1 })),
  /** First local day the entry applies. */
  effectiveFrom: LocalDate,
  /** First local day it no longer applies. Default: the next entry's effectiveFrom, or open. */
  effectiveTo: Type.Optional(LocalDate),
  source: Source,
  check: Type.Optional(Check),
}

export const TariffSchema = Type.Object(
  {
    ...DATED_ENTRY,
    currency: Type.Literal('VND'),
    /** Prices exclude VAT (EVN's decisions quote them so). */
    vat: Type.Literal('excluded'),
    /** Price per voltage level (the ids of `voltageLevels`) and time-of-use period. */
    prices: Type.Record(Type.String(), TariffPricesSchema),
  },
  { additionalProperties: false },
)

const CosPhi = Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'a power factor, 0 to 1' })
const Percent = Type.Number({ minimum: 0, maximum: 1000, description: 'a percentage' })

/** A rule for the purchase of reactive power: below minCosPhi the buyer pays k % of its active energy bill. */
export const ReactiveRuleSchema = Type.Object(
  {
    ...DATED_ENTRY,
    /** At or above this cos φ nothing is charged. */
    minCosPhi: CosPhi,
    /** Contracted maximum demand from which the rule applies, kW (for the record: the API cannot see contracts). */
    minContractKw: Type.Optional(Type.Number({ minimum: 0 })),
    /** k % by cos φ rounded to two decimals ("0.89": 1.12), every hundredth from below minCosPhi down to the lowest listed. */
    kPercent: Type.Record(Type.String({ pattern: '^0\\.\\d{2}$' }), Percent),
    /** k % below the lowest cos φ of the table. */
    belowTablePercent: Percent,
  },
  { additionalProperties: false },
)

export const TariffsFileSchema = Type.Object(
  {
    source: Type.Optional(Source),
    /** The supply voltage levels a factory may name (factories.yaml `voltageLevel`). */
    voltageLevels: Type.Array(Type.Object({ id: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }) }, { additionalProperties: false }), { minItems: 1 }),
    tariffs: Type.Array(TariffSchema, { minItems: 1 }),
    /** Reactive power charges (optional: without them no reactive charge is computed). */
    reactivePower: Type.Optional(Type.Array(ReactiveRuleSchema)),
  },
  { additionalProperties: false },
)

const TouWindowSchema = Type.Object(
  {
    days: Type.Array(Type.Enum([...WEEKDAYS]), { minItems: 1 }),
    period: Type.Enum([...TOU_PERIODS]),
    /** A window with end <= start crosses midnight: it covers start..24:00 and 00:00..end of the same listed days. */
    start: QuarterTime,
    end: QuarterTime,
  },
  { additionalProperties: false },
)

export const TouRegimeSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String({ minLength: 1 })),
    /** First local day the windows apply. Only the earliest regime may leave it out ("since before any data"). */
    effectiveFrom: Type.Optional(LocalDate),
    /** First local day they no longer apply. Default: the next regime's effectiveFrom, or open. */
    effectiveTo: Type.Optional(LocalDate),
    source: Source,
    check: Type.Optional(Check),
    /** Together the windows must cover every minute of every weekday exactly once. */
    windows: Type.Array(TouWindowSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

export const TouFileSchema = Type.Object(
  {
    source: Type.Optional(Source),
    regimes: Type.Array(TouRegimeSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

export const EmissionFactorSchema = Type.Object(
  {
    /** The grid year the factor describes; it applies to electricity used in that year and, until a later year is listed, after it. */
    year: Type.Integer({ minimum: 1990, maximum: 2200 }),
    /** Tonnes CO2 per MWh (= kg CO2 per kWh). */
    tCo2PerMwh: Type.Number({ exclusiveMinimum: 0, maximum: 5 }),
    source: Source,
    check: Type.Optional(Check),
  },
  { additionalProperties: false },
)

export const EmissionFactorsFileSchema = Type.Object(
  {
    source: Type.Optional(Source),
    /** Grid: the electricity system the factors describe (scope 2, location based). */
    grid: Type.String({ minLength: 1 }),
    factors: Type.Array(EmissionFactorSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

export type TariffSeed = Static<typeof TariffSchema>
export type TouRegimeSeed = Static<typeof TouRegimeSchema>
export type EmissionFactorSeed = Static<typeof EmissionFactorSchema>

/** Local day numbers (days since 1970-01-01) of an entry's effective range, [from, to); null = open. */
export interface Effective {
  readonly effectiveFrom: string | null
  readonly effectiveTo: string | null
  readonly fromDay: number | null
  readonly toDay: number | null
}

export interface Tariff extends Effective {
  readonly id: string
  readonly name: string | undefined
  readonly source: string
  readonly check: string | undefined
  readonly currency: 'VND'
  readonly prices: Readonly<Record<string, Readonly<Record<TouPeriod, number>>>>
}

export interface ReactiveRule extends Effective {
  readonly id: string
  readonly name: string | undefined
  readonly source: string
  readonly check: string | undefined
  readonly minCosPhi: number
  readonly minContractKw: number | undefined
  /** k % by cos φ in hundredths (89 -> 1.12). */
  readonly kPercent: ReadonlyMap<number, number>
  /** The lowest cos φ of the table, in hundredths. */
  readonly lowestHundredths: number
  readonly belowTablePercent: number
}

export interface TouRegime extends Effective {
  readonly id: string
  readonly name: string | undefined
  readonly source: string
  readonly check: string | undefined
  /** Period of each quarter-hour slot of each weekday (96 slots, slot 0 = 00:00-00:15 local). */
  readonly slots: Readonly<Record<Weekday, readonly TouPeriod[]>>
}

export interface EmissionFactor {
  readonly year: number
  readonly tCo2PerMwh: number
  readonly source: string
  readonly check: string | undefined
}

/** The energy reference data, validated, each list sorted by effective date. */
export interface EnergyReference {
  readonly voltageLevels: ReadonlyArray<{ readonly id: string; readonly name: string }>
  readonly tariffs: readonly Tariff[]
  /** Reactive power charge rules, by effective date; empty when the seed gives none. */
  readonly reactivePower: readonly ReactiveRule[]
  readonly tou: readonly TouRegime[]
  readonly grid: string
  readonly emissionFactors: readonly EmissionFactor[]
}

const hhmm = (slot: number): string => {
  const m = slot * TOU_SLOT_MINUTES
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}

/**
 * Resolves effective ranges of entries (already in file order) and rejects overlaps and dates
 * that do not exist. An entry without effectiveTo runs until the next entry's effectiveFrom.
 */
function effectiveRanges<T extends { effectiveFrom?: string | undefined; effectiveTo?: string | undefined }>(
  file: SeedFile<unknown>,
  key: string,
  entries: readonly T[],
  what: string,
): Array<Effective & { index: number }> {
  const parsed = entries.map((e, index) => {
    const date = (field: 'effectiveFrom' | 'effectiveTo'): number | null => {
      const v = e[field]
      if (v === undefined) return null
      const d = dayNumber(v)
      if (d === undefined) throw file.error([key, index, field], `"${v}" is not a date that exists`)
      return d
    }
    const fromDay = date('effectiveFrom')
    const toDay = date('effectiveTo')
    if (fromDay !== null && toDay !== null && toDay <= fromDay) {
      throw file.error([key, index, 'effectiveTo'], `"${e.effectiveTo}" must be after effectiveFrom "${e.effectiveFrom}" (effectiveTo is the first day the ${what} no longer applies)`)
    }
    return { index, fromDay, toDay, effectiveFrom: e.effectiveFrom ?? null, effectiveTo: e.effectiveTo ?? null }
  })
  const open = parsed.filter((p) => p.fromDay === null)
  if (open.length > 1) throw file.error([key, (open[1] as { index: number }).index, 'effectiveFrom'], `is required: only one ${what} (the earliest) may leave effectiveFrom out`)
  const sorted = [...parsed].sort((a, b) => (a.fromDay ?? -Infinity) - (b.fromDay ?? -Infinity))
  for (let i = 0; i < sorted.length; i++) {
    const cur = sorted[i] as (typeof sorted)[number]
    const next = sorted[i + 1]
    if (!next) continue
    const nextFrom = next.fromDay as number
    if (cur.toDay === null) {
      cur.toDay = nextFrom
      cur.effectiveTo = next.effectiveFrom
    }
    if (cur.fromDay === nextFrom) {
      throw file.error([key, next.index, 'effectiveFrom'], `"${next.effectiveFrom}" is also the effectiveFrom of ${key}[${cur.index}]: the effective ranges of two ${what}s overlap`)
    }
    if (cur.toDay > nextFrom) {
      throw file.error(
        [key, next.index, 'effectiveFrom'],
        `"${next.effectiveFrom}" falls inside the effective range of ${key}[${cur.index}] (${cur.effectiveFrom ?? 'open'} to ${cur.effectiveTo}): the effective ranges of two ${what}s overlap`,
      )
    }
  }
  return sorted
}

const effective = (e: Effective): Effective => ({ effectiveFrom: e.effectiveFrom, effectiveTo: e.effectiveTo, fromDay: e.fromDay, toDay: e.toDay })

/** The k table must list every hundredth of cos φ from just below minCosPhi down to its lowest entry, with k rising as cos φ falls. */
function checkReactive(file: SeedFile<Static<typeof TariffsFileSchema>>): ReactiveRule[] {
  const rules = file.value.reactivePower ?? []
  const ids = new Map<string, number>()
  const tables = rules.map((r, i) => {
    const first = ids.get(r.id)
    if (first !== undefined) throw file.error(['reactivePower', i, 'id'], `"${r.id}" is already used by entry [${first}]; rule ids must be unique`)
    ids.set(r.id, i)
    const table = new Map<number, number>()
    for (const [key, k] of Object.entries(r.kPercent)) {
      const h = Math.round(Number(key) * 100)
      if (h >= Math.round(r.minCosPhi * 100)) throw file.error(['reactivePower', i, 'kPercent', key], `is at or above minCosPhi ${r.minCosPhi}, where nothing is charged`)
      table.set(h, k)
    }
    const top = Math.round(r.minCosPhi * 100) - 1
    const lowest = Math.min(...table.keys())
    if (table.size === 0) throw file.error(['reactivePower', i, 'kPercent'], 'is empty: list k % for each cos φ below minCosPhi')
    let previous = 0
    for (let h = top; h >= lowest; h--) {
      const k = table.get(h)
      if (k === undefined) throw file.error(['reactivePower', i, 'kPercent'], `has no entry for cos φ ${(h / 100).toFixed(2)}: list every hundredth from ${(top / 100).toFixed(2)} down to ${(lowest / 100).toFixed(2)}`)
      if (k < previous) throw file.error(['reactivePower', i, 'kPercent', (h / 100).toFixed(2)], `${k} is below the k of a higher cos φ (${previous}): k must not fall as cos φ falls`)
      previous = k
    }
    if (r.belowTablePercent < previous) throw file.error(['reactivePower', i, 'belowTablePercent'], `${r.belowTablePercent} is below the k of the lowest cos φ of the table (${previous})`)
    return { table, lowest }
  })
  return effectiveRanges(file, 'reactivePower', rules, 'reactive power rule').map((e) => {
    const r = rules[e.index] as Static<typeof ReactiveRuleSchema>
    const t = tables[e.index] as { table: Map<number, number>; lowest: number }
    return {
      ...effective(e),
      id: r.id,
      name: r.name,
      source: r.source,
      check: r.check,
      minCosPhi: r.minCosPhi,
      minContractKw: r.minContractKw,
      kPercent: t.table,
      lowestHundredths: t.lowest,
      belowTablePercent: r.belowTablePercent,
    }
  })
}

function checkTariffs(file: SeedFile<Static<typeof TariffsFileSchema>>): Pick<EnergyReference, 'voltageLevels' | 'tariffs' | 'reactivePower'> {
  const { voltageLevels, tariffs } = file.value
  const levelIds = voltageLevels.map((l) => l.id)
  for (const [i, l] of voltageLevels.entries()) {
    const first = levelIds.indexOf(l.id)
    if (first !== i) throw file.error(['voltageLevels', i, 'id'], `"${l.id}" is already used by entry [${first}]; voltage level ids must be unique`)
  }
  const ids = new Map<string, number>()
  for (const [i, t] of tariffs.entries()) {
    const first = ids.get(t.id)
    if (first !== undefined) throw file.error(['tariffs', i, 'id'], `"${t.id}" is already used by entry [${first}]; tariff ids must be unique`)
    ids.set(t.id, i)
    for (const level of Object.keys(t.prices)) {
      if (!levelIds.includes(level)) throw file.error(['tariffs', i, 'prices', level], `is not a voltage level of this file (voltageLevels: ${levelIds.join(', ')})`)
    }
    for (const level of levelIds) {
      if (!(level in t.prices)) throw file.error(['tariffs', i, 'prices'], `has no prices for voltage level "${level}" (every tariff prices every level of voltageLevels)`)
    }
  }
  const ranges = effectiveRanges(file, 'tariffs', tariffs, 'tariff')
  return {
    reactivePower: checkReactive(file),
    voltageLevels,
    tariffs: ranges.map((r) => {
      const t = tariffs[r.index] as TariffSeed
      return { ...effective(r), id: t.id, name: t.name, source: t.source, check: t.check, currency: t.currency, prices: t.prices }
    }),
  }
}

function regimeSlots(file: SeedFile<unknown>, i: number, r: TouRegimeSeed): Record<Weekday, TouPeriod[]> {
  const days = Object.fromEntries(WEEKDAYS.map((d) => [d, new Array<TouPeriod | undefined>(SLOTS_PER_DAY).fill(undefined)])) as Record<Weekday, Array<TouPeriod | undefined>>
  const owner = Object.fromEntries(WEEKDAYS.map((d) => [d, new Array<number>(SLOTS_PER_DAY).fill(-1)])) as Record<Weekday, number[]>
  for (const [w, win] of r.windows.entries()) {
    const start = minuteOfDay(win.start) / TOU_SLOT_MINUTES
    const end = minuteOfDay(win.end) / TOU_SLOT_MINUTES
    if (start === SLOTS_PER_DAY) throw file.error(['regimes', i, 'windows', w, 'start'], 'must be before 24:00 (a window starts at 00:00 to 23:45)')
    if (start === end) throw file.error(['regimes', i, 'windows', w, 'end'], `equals start "${win.start}": a window must have a length (00:00 to 24:00 for a whole day)`)
    // end <= start: the window crosses midnight and covers both ends of the same day.
    const slots = end > start ? range(start, end) : [...range(start, SLOTS_PER_DAY), ...range(0, end)]
    const seenDays = new Set<Weekday>()
    for (const day of win.days) {
      if (seenDays.has(day)) throw file.error(['regimes', i, 'windows', w, 'days'], `lists "${day}" twice`)
      seenDays.add(day)
      for (const s of slots) {
        const other = (owner[day] as number[])[s] as number
        if (other !== -1) {
          throw file.error(['regimes', i, 'windows', w], `overlaps windows[${other}] on ${day} at ${hhmm(s)}: each minute of a day belongs to one window`)
        }
        ;(owner[day] as number[])[s] = w
        ;(days[day] as Array<TouPeriod | undefined>)[s] = win.period
      }
    }
  }
  for (const day of WEEKDAYS) {
    const slots = days[day] as Array<TouPeriod | undefined>
    const gap = slots.findIndex((p) => p === undefined)
    if (gap !== -1) {
      let end = gap
      while (end < SLOTS_PER_DAY && slots[end] === undefined) end++
      throw file.error(['regimes', i, 'windows'], `do not cover ${day} ${hhmm(gap)}-${hhmm(end)}: the windows must cover every minute of every weekday (add a "normal" window for the rest)`)
    }
  }
  return days as Record<Weekday, TouPeriod[]>
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k)
}

function checkTou(file: SeedFile<Static<typeof TouFileSchema>>): TouRegime[] {
  const { regimes } = file.value
  const ids = new Map<string, number>()
  const slots = regimes.map((r, i) => {
    const first = ids.get(r.id)
    if (first !== undefined) throw file.error(['regimes', i, 'id'], `"${r.id}" is already used by entry [${first}]; regime ids must be unique`)
    ids.set(r.id, i)
    return regimeSlots(file, i, r)
  })
  return effectiveRanges(file, 'regimes', regimes, 'time-of-use regime').map((e) => {
    const r = regimes[e.index] as TouRegimeSeed
    return { ...effective(e), id: r.id, name: r.name, source: r.source, check: r.check, slots: slots[e.index] as Record<Weekday, TouPeriod[]> }
  })
}

function checkEmissionFactors(file: SeedFile<Static<typeof EmissionFactorsFileSchema>>): EmissionFactor[] {
  const { factors } = file.value
  const years = new Map<number, number>()
  for (const [i, f] of factors.entries()) {
    const first = years.get(f.year)
    if (first !== undefined) throw file.error(['factors', i, 'year'], `${f.year} is already given by entry [${first}]: one factor per year (the effective ranges overlap)`)
    years.set(f.year, i)
  }
  return [...factors].sort((a, b) => a.year - b.year).map((f) => ({ year: f.year, tCo2PerMwh: f.tCo2PerMwh, source: f.source, check: f.check }))
}

/**
 * Reads and checks tariffs.yaml, tou.yaml and emission-factors.yaml in `dir`. Throws
 * {@link SeedError} (`SHOPFLOOR_SEED_INVALID`) naming the file, line and path of the first problem.
 */
export function loadEnergyReference(dir: string): EnergyReference {
  const tariffsFile = readSeedFile(join(dir, ENERGY_SEED_FILES.tariffs), TariffsFileSchema)
  const touFile = readSeedFile(join(dir, ENERGY_SEED_FILES.tou), TouFileSchema)
  const factorsFile = readSeedFile(join(dir, ENERGY_SEED_FILES.emissionFactors), EmissionFactorsFileSchema)
  return { ...checkTariffs(tariffsFile), tou: checkTou(touFile), grid: factorsFile.value.grid, emissionFactors: checkEmissionFactors(factorsFile) }
}

/** The voltage level ids a factory may name; for the cross-check of factories.yaml. */
export function voltageLevelIds(energy: EnergyReference): string[] {
  return energy.voltageLevels.map((l) => l.id)
}
