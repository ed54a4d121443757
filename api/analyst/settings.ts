/**
 * The disclosure control's configuration file, api/seed/disclosure.yaml: the engine's parameters
 * ({@link DisclosureConfigSchema}) and when a month is released. Read with the other seed files,
 * errors as `FILE:LINE: path problem` (SeedError, `SHOPFLOOR_SEED_INVALID`).
 */
import { join } from 'node:path'
import Type from 'typebox'
import { readSeedFile } from '../reference/load.ts'
import { DisclosureConfigSchema, resolveDisclosureConfig, type DisclosureConfig } from './config.ts'

/** File name of the disclosure configuration in the seed directory. */
export const DISCLOSURE_SEED_FILE = 'disclosure.yaml'

/** Default days between a month's end and its release. */
export const DEFAULT_RELEASE_DELAY_DAYS = 3

export const DisclosureFileSchema = Type.Object(
  {
    source: Type.Optional(Type.String({ minLength: 1, description: 'where the rules come from' })),
    ...DisclosureConfigSchema.properties,
    /** Default 3. */
    releaseDelayDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 90, description: 'days after a month ends before it is published' })),
  },
  { additionalProperties: false },
)

/** The analysts' publication settings: the engine's configuration and the release delay. */
export interface DisclosureSettings {
  readonly config: DisclosureConfig
  /** Days after a month ends (on the factories' clocks) before it is published. */
  readonly releaseDelayDays: number
}

/** Reads and checks `dir`/disclosure.yaml. Throws SeedError naming the file, line and key. */
export function loadDisclosureSettings(dir: string): DisclosureSettings {
  const file = readSeedFile(join(dir, DISCLOSURE_SEED_FILE), DisclosureFileSchema)
  const { source: _source, releaseDelayDays, ...engine } = file.value
  const seen = new Map<number, number>()
  for (const [i, r] of (engine.dominance ?? []).entries()) {
    const first = seen.get(r.n)
    if (first !== undefined) throw file.error(['dominance', i, 'n'], `repeats n = ${r.n} of entry [${first}]: give one k per n`)
    seen.set(r.n, i)
  }
  return { config: resolveDisclosureConfig(engine), releaseDelayDays: releaseDelayDays ?? DEFAULT_RELEASE_DELAY_DAYS }
}
