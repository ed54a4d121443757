// Public surface of the reference data: seed files (regions, parks, sectors, factories,
// calendars, and the energy files: tariffs, time-of-use windows, emission factors) validated at
// start-up, and lookups on them.
import { loadDisclosureSettings, type DisclosureSettings } from '../analyst/settings.ts'
import { loadEnergyReference, voltageLevelIds, type EnergyReference } from './energy.ts'
import { loadPlantReference, seedDir, type PlantReference } from './registry.ts'

export { loadYamlFile, readSeedFile, parseSeedText, type SeedFile } from './load.ts'
export { SeedError } from './errors.ts'
export { REFERENCE_DEFAULTS } from './defaults.ts'
export { factoryOf, factoriesOf, calendarOf, sectorOf, parkOf, loadPlantReference, seedDir, DEFAULT_SEED_DIR, SEED_FILES, type Factory, type DefaultedField, type PlantReference } from './registry.ts'
export { FactorySchema, RegionsFileSchema, SectorsFileSchema, FactoriesFileSchema, CalendarsFileSchema, type Region, type Park, type Sector, type FactorySeed } from './schema.ts'
export { loadEnergyReference, voltageLevelIds, ENERGY_SEED_FILES, TOU_PERIODS, TOU_SLOT_MINUTES, type EnergyReference, type Tariff, type TouRegime, type TouPeriod, type EmissionFactor } from './energy.ts'

/** All reference data the API reads at start-up: the plant registry and the energy files. */
export interface Reference extends PlantReference {
  readonly energy: EnergyReference
  /** The analysts' disclosure control (disclosure.yaml). */
  readonly disclosure: DisclosureSettings
}

/**
 * Reads and checks every seed file in `dir` (default: `SHOPFLOOR_SEED_DIR`, else api/seed/):
 * regions, sectors, calendars, factories (whose voltage levels must be the tariff's), tariffs,
 * time-of-use windows, emission factors, and the analysts' disclosure control. Throws {@link SeedError} (`SHOPFLOOR_SEED_INVALID`)
 * naming the file, line and path of the first problem.
 */
export function loadReference(dir?: string, env: NodeJS.ProcessEnv = process.env): Reference {
  const base = seedDir(dir, env)
  const energy = loadEnergyReference(base)
  return { ...loadPlantReference(base, { env, voltageLevels: voltageLevelIds(energy) }), energy, disclosure: loadDisclosureSettings(base) }
}
