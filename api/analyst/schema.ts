/** Request and response schemas of the analysts' routes (TypeBox, served in the OpenAPI document). */
import Type from 'typebox'
import { PERIOD_KINDS, TABLE_SHAPES } from './types.ts'

const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'a calendar month YYYY-MM' })
const NullableNumber = (description: string) => Type.Union([Type.Number(), Type.Null()], { description })
const NullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description })

export const TablesQuery = Type.Object(
  {
    period: Type.Union(PERIOD_KINDS.map((p) => Type.Literal(p)), { description: 'month, quarter or year' }),
    shape: Type.Union(TABLE_SHAPES.map((s) => Type.Literal(s)), {
      description: 'region-park: each park and region (all sectors); region-sector: region × sector; park-sector: park × sector. Each with its margins',
    }),
    from: Type.Optional({ ...Month, description: 'First month (its quarter and year for those periods). Default: January of `to`\'s year' }),
    to: Type.Optional({ ...Month, description: 'Last month. Default: the last released month (releasedThrough)' }),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('parquet')], { description: 'Default json (or csv when the Accept header prefers text/csv)' })),
  },
  { additionalProperties: false },
)

const Values = Type.Object({
  plannedBusyS: Type.Number({ description: 'Σ planned busy time (PBT), seconds' }),
  actualProductionS: Type.Number({ description: 'Σ actual production time (APT), seconds' }),
  idealProducedS: Type.Number({ description: 'Σ units produced × ideal cycle time, seconds (production time)' }),
  idealGoodS: Type.Number({ description: 'Σ good units × ideal cycle time, seconds (production time)' }),
  produced: Type.Number({ description: 'Units produced in the period' }),
  good: Type.Number({ description: 'Good units in the period: the output' }),
  kwh: Type.Number(),
  co2Kg: Type.Number({ description: 'Scope 2, location based, kg' }),
  availability: NullableNumber('APT / PBT'),
  performance: NullableNumber('Σ ideal produced time / APT'),
  quality: NullableNumber('Σ ideal good time / Σ ideal produced time'),
  oee: NullableNumber('Σ ideal good time / PBT'),
  kwhPerGoodUnit: NullableNumber('Σ kWh / Σ good units'),
  co2KgPerGoodUnit: NullableNumber('Σ kg CO2 / Σ good units'),
  completeness: NullableNumber('Σ reported / Σ expected seconds of production time'),
})

export const CellSchema = Type.Object({
  period: Type.String({ description: '2026-01, 2026-Q1 or 2026' }),
  periodKind: Type.String(),
  region: NullableString('Region id; null: all regions'),
  park: NullableString('Park id; null: all parks'),
  sector: NullableString('VSIC 2025 division; null: all sectors'),
  sectorVsic2018: NullableString('The VSIC 2018 division it corresponds to'),
  factories: Type.Integer({ description: 'Reporting factories (shown for suppressed cells too)' }),
  suppressed: Type.Union([Type.Literal('primary'), Type.Literal('secondary'), Type.Null()], {
    description: 'primary: its own figures are sensitive; secondary: it would let a sensitive cell be recomputed; null: shown (or empty)',
  }),
  values: Type.Union([Values, Type.Null()], { description: 'null when suppressed or empty (no reporting factory)' }),
})

export const TablesResponse = Type.Object({
  period: Type.String(),
  shape: Type.String(),
  from: Type.String(),
  to: Type.String(),
  releasedThrough: Type.String({ description: 'The last month released: a month is published releaseDelayDays after it ends' }),
  cells: Type.Array(CellSchema),
})

const Named = { name: Type.String(), nameVi: NullableString('Vietnamese name') }

export const StructureResponse = Type.Object({
  regions: Type.Array(Type.Object({ id: Type.String(), ...Named, parks: Type.Array(Type.Object({ id: Type.String(), ...Named })) })),
  sectors: Type.Array(Type.Object({ vsic2025: Type.String({ description: 'VSIC 2025 division' }), vsic2018: Type.String({ description: 'VSIC 2018 division(s)' }), ...Named })),
  releasedThrough: Type.String(),
  disclosure: Type.Object({
    minFirms: Type.Integer(),
    dominance: Type.Array(Type.Object({ n: Type.Integer(), k: Type.Number() })),
    magnitudes: Type.Array(Type.String()),
    tables: Type.Array(Type.String()),
    periods: Type.Array(Type.String()),
    releaseDelayDays: Type.Integer(),
  }),
})
