/**
 * The seed files of the plant registry, as JSON schemas (TypeBox). Unknown keys are rejected
 * everywhere; rules across files (a factory's park, sector and calendar exist) are in registry.ts.
 */
import Type, { type Static } from 'typebox'
import { CalendarSchema } from '../calendar/index.ts'

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'letters, digits, ".", "_", "-" (a machine path segment)' })
const Text = Type.String({ minLength: 1 })
/** Where a value comes from: the decision, the statistics office page, "check" where only secondary sources were read. */
const Source = Type.String({ minLength: 1, description: 'where the value comes from' })
const Vsic = Type.String({ pattern: '^[0-9]{2}([0-9]{1,3})?$', description: 'a VSIC code of 2 to 5 digits, quoted ("2610")' })

export const RegionSchema = Type.Object(
  {
    id: Id,
    name: Text,
    nameVi: Type.Optional(Text),
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
)

export const ParkSchema = Type.Object(
  {
    /** Unique within its region; the second segment of a machine path. */
    id: Id,
    region: Id,
    name: Text,
    nameVi: Type.Optional(Text),
    /** The province or city the park belonged to before the 2025 merger of provinces. */
    formerProvince: Type.Optional(Text),
    /** The district-level town or city it was in before 2025 (districts were abolished on 1 July 2025). */
    formerLocality: Type.Optional(Text),
    /** Planned area, hectares. */
    areaHa: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
)

export const RegionsFileSchema = Type.Object(
  {
    source: Type.Optional(Source),
    regions: Type.Array(RegionSchema, { minItems: 1 }),
    parks: Type.Array(ParkSchema),
  },
  { additionalProperties: false },
)

const OeeRange = Type.Object(
  {
    /** Fractions, 0.65 = 65 %. */
    low: Type.Number({ minimum: 0, maximum: 1 }),
    high: Type.Number({ minimum: 0, maximum: 1 }),
    source: Source,
  },
  { additionalProperties: false },
)

export const SectorSchema = Type.Object(
  {
    /** VSIC 2025 code (Decision 36/2025/QĐ-TTg): a division ("26") or a class ("2610"). */
    vsic2025: Vsic,
    /** The VSIC 2018 code(s) (Decision 27/2018/QĐ-TTg) that correspond to it. */
    vsic2018: Type.Array(Vsic, { minItems: 1 }),
    name: Text,
    nameVi: Type.Optional(Text),
    /** Indicative OEE range of the sector, for context only. */
    oeeTypical: Type.Optional(OeeRange),
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
)

export const SectorsFileSchema = Type.Object(
  {
    source: Type.Optional(Source),
    sectors: Type.Array(SectorSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

export const FactorySchema = Type.Object(
  {
    /** `region/park/factory`: the first three segments of its machines' paths. */
    path: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'region/park/factory, e.g. "hcmc/vsip-1/saigon-pcb"' }),
    name: Text,
    sector: Type.Object(
      {
        vsic2025: Vsic,
        vsic2018: Vsic,
      },
      { additionalProperties: false },
    ),
    /** IANA time zone. Default Asia/Ho_Chi_Minh. */
    timezone: Type.Optional(Text),
    /** Id of a calendar in calendars.yaml. Default default-24x7. */
    calendar: Type.Optional(Id),
    /** Supply voltage level, as the tariff names it. Default 22-110kV. */
    voltageLevel: Type.Optional(Text),
    /** DOWN stops shorter than this are micro-stops, seconds. Default: the API's (120 s). */
    microStopS: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
)

export const FactoriesFileSchema = Type.Object(
  {
    source: Type.Optional(Source),
    factories: Type.Array(FactorySchema),
  },
  { additionalProperties: false },
)

export const CalendarsFileSchema = Type.Object(
  {
    source: Type.Optional(Source),
    calendars: Type.Array(CalendarSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

export type Region = Static<typeof RegionSchema>
export type Park = Static<typeof ParkSchema>
export type Sector = Static<typeof SectorSchema>
export type FactorySeed = Static<typeof FactorySchema>
