/**
 * The plant registry's reference data: regions and parks, sectors, factories, shift calendars,
 * read from the seed directory once at start-up and checked across files, so that a factory
 * naming a park, sector or calendar that does not exist stops the API with the file and line.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { calendarProblem, isTimeZone, type Calendar } from '../calendar/index.ts'
import { REFERENCE_DEFAULTS } from './defaults.ts'
import { readSeedFile, type SeedFile } from './load.ts'
import { CalendarsFileSchema, FactoriesFileSchema, RegionsFileSchema, SectorsFileSchema, type FactorySeed, type Park, type Region, type Sector } from './schema.ts'

/** The seed files shipped with shopfloor. */
export const DEFAULT_SEED_DIR = fileURLToPath(new URL('../seed/', import.meta.url))

/** File names in the seed directory. */
export const SEED_FILES = { regions: 'regions.yaml', sectors: 'sectors.yaml', factories: 'factories.yaml', calendars: 'calendars.yaml' } as const

/** The plant registry's reference data, validated. */
export interface PlantReference {
  /** Directory the files were read from. */
  readonly dir: string
  readonly regions: readonly Region[]
  readonly parks: readonly Park[]
  readonly sectors: readonly Sector[]
  readonly factories: readonly FactorySeed[]
  readonly calendars: readonly Calendar[]
}

/** Keys of a factory that came from {@link REFERENCE_DEFAULTS} rather than from factories.yaml. */
export type DefaultedField = 'timezone' | 'calendar' | 'voltageLevel'

/** A factory with every value resolved: its seed entry, or the defaults when the seed lacks it. */
export interface Factory {
  /** `region/park/factory`. */
  readonly path: string
  readonly region: string
  readonly park: string
  readonly id: string
  readonly name: string
  /** VSIC codes and the division (first two digits of the VSIC 2025 code); null when not in the seed. */
  readonly sector: { readonly vsic2025: string; readonly vsic2018: string; readonly division: string } | null
  readonly timezone: string
  readonly calendarId: string
  readonly calendar: Calendar
  readonly voltageLevel: string
  /** Micro-stop threshold in seconds when the factory sets one; otherwise the API's default applies. */
  readonly microStopS: number | undefined
  /** True when factories.yaml does not list the factory: every value is a default. */
  readonly defaulted: boolean
  /** Values taken from the defaults (all three when `defaulted`). */
  readonly defaultedFields: readonly DefaultedField[]
}

interface Index {
  readonly factories: ReadonlyMap<string, Factory>
  readonly calendars: ReadonlyMap<string, Calendar>
  readonly sectors: ReadonlyMap<string, Sector>
  readonly parks: ReadonlyMap<string, Park>
}

const indexes = new WeakMap<PlantReference, Index>()

function index(ref: PlantReference): Index {
  let ix = indexes.get(ref)
  if (!ix) {
    const calendars = new Map(ref.calendars.map((c) => [c.id, c]))
    ix = {
      calendars,
      sectors: new Map(ref.sectors.map((s) => [s.vsic2025, s])),
      parks: new Map(ref.parks.map((p) => [`${p.region}/${p.id}`, p])),
      factories: new Map(ref.factories.map((f) => [f.path, resolveFactory(f, calendars)])),
    }
    indexes.set(ref, ix)
  }
  return ix
}

function resolveFactory(f: FactorySeed, calendars: ReadonlyMap<string, Calendar>): Factory {
  const [region = '', park = '', id = ''] = f.path.split('/')
  const defaultedFields: DefaultedField[] = []
  if (f.timezone === undefined) defaultedFields.push('timezone')
  if (f.calendar === undefined) defaultedFields.push('calendar')
  if (f.voltageLevel === undefined) defaultedFields.push('voltageLevel')
  const calendarId = f.calendar ?? REFERENCE_DEFAULTS.calendar
  return {
    path: f.path,
    region,
    park,
    id,
    name: f.name,
    sector: { vsic2025: f.sector.vsic2025, vsic2018: f.sector.vsic2018, division: f.sector.vsic2025.slice(0, 2) },
    timezone: f.timezone ?? REFERENCE_DEFAULTS.timezone,
    calendarId,
    calendar: calendars.get(calendarId) as Calendar,
    voltageLevel: f.voltageLevel ?? REFERENCE_DEFAULTS.voltageLevel,
    microStopS: f.microStopS,
    defaulted: false,
    defaultedFields,
  }
}

/**
 * The factory of a path (`region/park/factory`, or a line or machine path: its first three
 * segments). A factory not in factories.yaml gets the defaults and `defaulted: true`.
 */
export function factoryOf(ref: PlantReference, path: string): Factory {
  const parts = path.split('/')
  if (parts.length < 3 || parts.slice(0, 3).some((p) => p === '')) throw new RangeError(`"${path}" is not a factory path: region/park/factory`)
  const factoryPath = parts.slice(0, 3).join('/')
  const ix = index(ref)
  const known = ix.factories.get(factoryPath)
  if (known) return known
  const [region = '', park = '', id = ''] = parts
  return {
    path: factoryPath,
    region,
    park,
    id,
    name: id,
    sector: null,
    timezone: REFERENCE_DEFAULTS.timezone,
    calendarId: REFERENCE_DEFAULTS.calendar,
    calendar: ix.calendars.get(REFERENCE_DEFAULTS.calendar) as Calendar,
    voltageLevel: REFERENCE_DEFAULTS.voltageLevel,
    microStopS: undefined,
    defaulted: true,
    defaultedFields: ['timezone', 'calendar', 'voltageLevel'],
  }
}

/** Every factory of factories.yaml, resolved, in file order. */
export function factoriesOf(ref: PlantReference): Factory[] {
  return [...index(ref).factories.values()]
}

/** A calendar by id. */
export function calendarOf(ref: PlantReference, id: string): Calendar | undefined {
  return index(ref).calendars.get(id)
}

/** A sector by its VSIC 2025 code. */
export function sectorOf(ref: PlantReference, vsic2025: string): Sector | undefined {
  return index(ref).sectors.get(vsic2025)
}

/** A park by region and park id. */
export function parkOf(ref: PlantReference, region: string, park: string): Park | undefined {
  return index(ref).parks.get(`${region}/${park}`)
}

function unique<T>(file: SeedFile<unknown>, items: readonly T[], key: (t: T) => string, at: (i: number) => Array<string | number>, what: string): void {
  const seen = new Map<string, number>()
  for (const [i, t] of items.entries()) {
    const k = key(t)
    const first = seen.get(k)
    if (first !== undefined) throw file.error(at(i), `"${k}" is already used by entry [${first}]; ${what} must be unique`)
    seen.set(k, i)
  }
}

const list = (xs: Iterable<string>, max = 12): string => {
  const all = [...xs]
  return all.length > max ? `${all.slice(0, max).join(', ')}, ... (${all.length} in all)` : all.join(', ')
}

/** The seed directory: `dir`, else `SHOPFLOOR_SEED_DIR`, else api/seed/. */
export function seedDir(dir?: string, env: NodeJS.ProcessEnv = process.env): string {
  return dir ?? (env[REFERENCE_DEFAULTS.seedDirEnv] || DEFAULT_SEED_DIR)
}

/**
 * Reads and checks the plant registry's seed files in `dir` (default: `SHOPFLOOR_SEED_DIR`,
 * else api/seed/). Throws {@link SeedError} naming the file, line and path of the first problem.
 * `voltageLevels`, when given, are the levels a factory may name (the tariff's).
 */
export function loadPlantReference(dir?: string, opts: { env?: NodeJS.ProcessEnv; voltageLevels?: readonly string[] } = {}): PlantReference {
  const base = seedDir(dir, opts.env)
  const regionsFile = readSeedFile(join(base, SEED_FILES.regions), RegionsFileSchema)
  const sectorsFile = readSeedFile(join(base, SEED_FILES.sectors), SectorsFileSchema)
  const calendarsFile = readSeedFile(join(base, SEED_FILES.calendars), CalendarsFileSchema)
  const factoriesFile = readSeedFile(join(base, SEED_FILES.factories), FactoriesFileSchema)
  const { regions, parks } = regionsFile.value
  const { sectors } = sectorsFile.value
  const { calendars } = calendarsFile.value
  const { factories } = factoriesFile.value

  unique(regionsFile, regions, (r) => r.id, (i) => ['regions', i, 'id'], 'region ids')
  unique(regionsFile, parks, (p) => `${p.region}/${p.id}`, (i) => ['parks', i, 'id'], 'park ids within a region')
  const regionIds = new Set(regions.map((r) => r.id))
  for (const [i, p] of parks.entries()) {
    if (!regionIds.has(p.region)) throw regionsFile.error(['parks', i, 'region'], `names no region of this file (regions: ${list(regionIds)}; got "${p.region}")`)
  }
  unique(sectorsFile, sectors, (s) => s.vsic2025, (i) => ['sectors', i, 'vsic2025'], 'VSIC 2025 codes')
  unique(calendarsFile, calendars, (c) => c.id, (i) => ['calendars', i, 'id'], 'calendar ids')
  for (const [i, c] of calendars.entries()) {
    const p = calendarProblem(c)
    if (p) throw calendarsFile.error(['calendars', i, ...p.path], p.problem)
  }
  const calendarIds = new Set(calendars.map((c) => c.id))
  if (!calendarIds.has(REFERENCE_DEFAULTS.calendar)) {
    throw calendarsFile.error(['calendars'], `must define "${REFERENCE_DEFAULTS.calendar}": the calendar of factories that factories.yaml does not list`)
  }

  unique(factoriesFile, factories, (f) => f.path, (i) => ['factories', i, 'path'], 'factory paths')
  const sectorByCode = new Map(sectors.map((s) => [s.vsic2025, s]))
  for (const [i, f] of factories.entries()) {
    const [region = '', park = ''] = f.path.split('/')
    if (!regionIds.has(region)) throw factoriesFile.error(['factories', i, 'path'], `names region "${region}", which ${SEED_FILES.regions} does not define (regions: ${list(regionIds)})`)
    if (!parks.some((p) => p.region === region && p.id === park)) {
      const inRegion = parks.filter((p) => p.region === region).map((p) => p.id)
      throw factoriesFile.error(['factories', i, 'path'], `names park "${park}", which ${SEED_FILES.regions} does not define in region "${region}" (parks: ${list(inRegion)})`)
    }
    const sector = sectorByCode.get(f.sector.vsic2025)
    if (!sector) throw factoriesFile.error(['factories', i, 'sector', 'vsic2025'], `"${f.sector.vsic2025}" is not in ${SEED_FILES.sectors} (codes: ${list(sectorByCode.keys(), 30)})`)
    if (!sector.vsic2018.includes(f.sector.vsic2018)) {
      throw factoriesFile.error(['factories', i, 'sector', 'vsic2018'], `"${f.sector.vsic2018}" is not a VSIC 2018 code of VSIC 2025 "${sector.vsic2025}" in ${SEED_FILES.sectors} (allowed: ${sector.vsic2018.join(', ')})`)
    }
    if (f.calendar !== undefined && !calendarIds.has(f.calendar)) {
      throw factoriesFile.error(['factories', i, 'calendar'], `"${f.calendar}" is not a calendar of ${SEED_FILES.calendars} (calendars: ${list(calendarIds)})`)
    }
    if (f.timezone !== undefined && !isTimeZone(f.timezone)) {
      throw factoriesFile.error(['factories', i, 'timezone'], `"${f.timezone}" is not an IANA time zone (e.g. ${REFERENCE_DEFAULTS.timezone})`)
    }
    if (opts.voltageLevels && f.voltageLevel !== undefined && !opts.voltageLevels.includes(f.voltageLevel)) {
      throw factoriesFile.error(['factories', i, 'voltageLevel'], `"${f.voltageLevel}" is not a voltage level of the tariff (allowed: ${opts.voltageLevels.join(', ')})`)
    }
  }
  return { dir: base, regions, parks, sectors, factories, calendars }
}
