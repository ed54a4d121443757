/** Query and response schemas of `GET /api/v1/energy` (TypeBox, JSON Schema): fastify validates and serializes with them. */
import Type from 'typebox'
import { FormatQuery } from '../http/index.ts'
import { BucketParam, Iso, NullableNumber, ScopeFields, ScopeParams } from '../schemas.ts'

export const ENERGY_FLAGS = [
  'cost_incomplete',
  'co2_incomplete',
  'emission_factor_of_earlier_year',
  'meter_readings_rejected',
  'reactive_not_metered',
  'reference_unverified',
] as const

export const EnergyQuerystring = Type.Object(
  {
    ...ScopeParams,
    from: Type.String({ description: 'Window start, ISO 8601 with a zone, on a whole minute (2026-11-21T06:00:00+07:00)' }),
    to: Type.String({ description: 'Window end (exclusive), ISO 8601 with a zone, on a whole minute; at most 366 days after from' }),
    ...BucketParam,
    baselineFrom: Type.Optional(
      Type.String({ description: 'EnPI baseline period start, ISO 8601 with a zone, on a whole minute; with baselineTo, each set of figures gets enpi: its SEC against the baseline period\'s' }),
    ),
    baselineTo: Type.Optional(Type.String({ description: 'EnPI baseline period end (exclusive), on a whole minute; at most 366 days after baselineFrom' })),
    maxKw: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, description: 'Highest plausible mean power of one machine, kW: a meter reading implying more is left out. Default 2000' }),
    ),
    ...FormatQuery,
  },
  { additionalProperties: false },
)

const PeriodCost = Type.Object({ kwh: Type.Number(), vnd: Type.Number({ description: 'VND excluding VAT' }) })

const EnergyFields = {
  kwh: Type.Number({ description: 'Active energy, kWh: the readings taken in (start, end], each the energy since the reading before' }),
  kvarh: Type.Number({ description: 'Reactive energy, kvarh; 0 where not metered' }),
  powerFactor: NullableNumber('kWh / √(kWh² + kvarh²); null where reactive energy is not metered'),
  peakDemand: Type.Union(
    [Type.Object({ kw: Type.Number({ description: 'Mean kW over the interval: its kWh × 4' }), start: Iso('Interval start'), end: Iso('Interval end') }), Type.Null()],
    { description: 'The highest 15-minute demand interval (fixed clock quarters); null when no energy was used' },
  ),
  loadFactor: NullableNumber('kWh / (peak kW × hours of the span)'),
  units: Type.Object(
    { produced: Type.Integer(), good: Type.Integer(), rejected: Type.Integer() },
    { description: "Units made; for a line, area or factory those of each line's end-of-line machine" },
  ),
  sec: Type.Object(
    { kwhPerGoodUnit: NullableNumber('Specific energy consumption, kWh per good unit'), kwhPerUnit: NullableNumber('kWh per unit produced') },
    { description: 'Specific energy consumption (ISO 50006)' },
  ),
  byState: Type.Object(
    { running: Type.Number(), idle: Type.Number(), down: Type.Number(), setup: Type.Number(), plannedStop: Type.Number(), offline: Type.Number() },
    { description: "kWh by machine state: each quarter hour's kWh shared by the time each state had in it (a minute's, where a slice edge cuts the quarter)" },
  ),
  idleEnergy: Type.Object({ kwh: Type.Number({ description: 'kWh not used while RUNNING' }), share: NullableNumber('Idle kWh / all kWh') }),
  byOeeTime: Type.Object(
    {
      apt: Type.Number({ description: 'RUNNING in production time' }),
      aust: Type.Number({ description: 'SETUP in production time' }),
      adet: Type.Number({ description: 'DOWN in production time (micro-stops included)' }),
      adot: Type.Number({ description: 'IDLE in production time' }),
      pdt: Type.Number({ description: 'PLANNED_STOP in production time, and any state in breaks and planned downtime' }),
      notPlanned: Type.Number({ description: 'Outside every shift and on holidays' }),
      offline: Type.Number({ description: 'While the machine state was unknown (OFFLINE)' }),
    },
    { description: 'kWh by ISO 22400 time element' },
  ),
  cost: Type.Object(
    {
      vnd: Type.Number({ description: 'Σ kWh × price of its voltage level and time-of-use period, VND excluding VAT; the priced kWh only' }),
      byPeriod: Type.Object({ peak: PeriodCost, normal: PeriodCost, offpeak: PeriodCost }),
      unpricedKwh: Type.Number({ description: 'kWh on days without a tariff or time-of-use regime in force: not in vnd (flag cost_incomplete)' }),
    },
    { description: 'Energy cost by EVN time-of-use period (classified per 15 minutes)' },
  ),
  reactiveCharge: Type.Object(
    {
      rule: Type.Union([Type.String(), Type.Null()], { description: 'The reactive power rule in force on the window\'s first day (tariffs.yaml reactivePower id); null when none' }),
      cosPhi: NullableNumber('The power factor rounded to two decimals, as the rule\'s table is read; null where reactive energy is not metered'),
      kPercent: NullableNumber('k, % of the active energy cost: 0 at or above the rule\'s minCosPhi (0.9)'),
      vnd: NullableNumber('cost.vnd × k %, VND excluding VAT; null when cos φ or the rule is unknown'),
    },
    { description: "Charge for reactive power (EVN, Circular 15/2014/TT-BCT) at the scope's own power factor over the span: an estimate, EVN bills the supply meter per reading cycle" },
  ),
  enpi: Type.Union(
    [
      Type.Object({
        baseline: Type.Object({
          from: Iso('Baseline start'),
          to: Iso('Baseline end'),
          kwh: Type.Number(),
          goodUnits: Type.Integer(),
          kwhPerGoodUnit: NullableNumber('Baseline SEC'),
        }),
        kwhPerGoodUnit: NullableNumber('SEC of the span'),
        change: NullableNumber('SEC / baseline SEC − 1: −0.1 is 10 % less energy per good unit'),
        expectedKwh: NullableNumber("Baseline SEC × the span's good units"),
        savingsKwh: NullableNumber('expectedKwh − kwh: saved against the baseline rate (negative: more used)'),
      }),
      Type.Null(),
    ],
    { description: "Energy performance indicator (ISO 50006): SEC against the baseline period's (the scope's; a machine's own in machines[]); null without baselineFrom/baselineTo" },
  ),
  co2: Type.Object(
    {
      kg: Type.Number({ description: 'Scope 2, location based: MWh × grid emission factor, kg CO2' }),
      kgPerGoodUnit: NullableNumber('kg CO2 per good unit'),
      byYear: Type.Array(
        Type.Object({
          year: Type.Integer({ description: 'Local year the energy was used in' }),
          factorYear: Type.Union([Type.Integer(), Type.Null()], { description: 'Year of the emission factor used (the latest official one up to that year); null when none' }),
          tCo2PerMwh: NullableNumber('The factor, t CO2 / MWh'),
          kwh: Type.Number(),
          kg: Type.Number(),
        }),
      ),
      uncoveredKwh: Type.Number({ description: 'kWh without an emission factor: not in kg (flag co2_incomplete)' }),
    },
  ),
  meter: Type.Object(
    {
      checkedIntervals: Type.Integer({ description: 'Intervals (a machine quarter hour, or a minute) whose rollup kWh was negative, not finite or above maxKw, so their readings were checked one by one' }),
      rejectedReadings: Type.Integer({ description: 'Meter readings left out: negative, not finite, or implying more than maxKw since the reading before' }),
      rejectedKwh: Type.Number({ description: 'Their kWh (not summed anywhere)' }),
    },
    { description: 'What the meter check left out' },
  ),
  flags: Type.Array(Type.Enum([...ENERGY_FLAGS]), { description: ENERGY_FLAGS.join(', ') }),
}

const Cited = { source: Type.String(), check: Type.Union([Type.String(), Type.Null()], { description: 'What remains to verify against the primary source; null when verified' }) }
const Effective = { effectiveFrom: Type.Union([Type.String(), Type.Null()]), effectiveTo: Type.Union([Type.String(), Type.Null()]) }

export const EnergyResponseSchema = Type.Object({
  scope: Type.Object({
    ...ScopeFields,
    voltageLevel: Type.String({ description: 'Supply voltage level of the tariff (factories.yaml)' }),
    voltageLevelDefaulted: Type.Boolean(),
    maxKw: Type.Number(),
    unitMachines: Type.Array(Type.String(), { description: "Machines whose units are the scope's (each line's end-of-line machine)" }),
  }),
  reference: Type.Object(
    {
      tariffs: Type.Array(Type.Object({ id: Type.String(), ...Effective, currency: Type.String(), vat: Type.Literal('excluded'), ...Cited })),
      tou: Type.Array(Type.Object({ id: Type.String(), ...Effective, ...Cited })),
      emissionFactors: Type.Array(Type.Object({ year: Type.Integer(), tCo2PerMwh: Type.Number(), ...Cited })),
      reactivePower: Type.Array(Type.Object({ id: Type.String(), ...Effective, minCosPhi: Type.Number(), ...Cited })),
      grid: Type.String(),
    },
    { description: 'The seed data the figures used (api/seed: tariffs.yaml with reactivePower, tou.yaml, emission-factors.yaml), with sources' },
  ),
  ...EnergyFields,
  buckets: Type.Array(Type.Object({ key: Type.String(), start: Iso('Bucket start'), end: Iso('Bucket end'), ...EnergyFields }), {
    description: 'The scope per bucket; empty when bucket is none',
  }),
  machines: Type.Array(Type.Object({ machine: Type.String(), name: Type.String(), line: Type.String(), ...EnergyFields }), { description: 'Each machine over the window' }),
})
