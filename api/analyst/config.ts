/**
 * Parameters of the disclosure control: the primary rules (minimum number of factories, the
 * (n, k) dominance rules), the protection a suppressed cell must keep, which magnitudes the rules
 * apply to, and which table shapes and periods are published. Defaults live in
 * {@link DISCLOSURE_DEFAULTS} and nowhere else.
 */
import Type, { type Static } from 'typebox'
import { firstSchemaProblem, formatPath } from '../../connectors/index.ts'
import { DisclosureError } from './errors.ts'
import { MAGNITUDES, PERIOD_KINDS, TABLE_SHAPES, type Magnitude, type PeriodKind, type TableShape } from './types.ts'

/** A dominance rule (n, k): a cell is sensitive when its n largest factories hold more than k % of a magnitude. */
export interface DominanceRule {
  readonly n: number
  readonly k: number
}

export interface DisclosureConfig {
  /** A cell with fewer reporting factories (or fewer factories with a non-zero magnitude) is suppressed. */
  readonly minFirms: number
  /** Dominance rules, each (n, k) in factories and percent. */
  readonly dominance: readonly DominanceRule[]
  /**
   * For a cell below `minFirms`: how far (as a fraction of its largest factory's value) an attacker's
   * interval for the cell must reach above and below its true value.
   */
  readonly minFirmsProtection: number
  /** The magnitudes the rules and the protection apply to. */
  readonly magnitudes: readonly Magnitude[]
  /** The published table shapes (each with its margins). */
  readonly tables: readonly TableShape[]
  /** The published periods. Months, quarters and the year are linked (quarter = Σ months) whichever are published. */
  readonly periods: readonly PeriodKind[]
}

export const DISCLOSURE_DEFAULTS: DisclosureConfig = {
  minFirms: 3,
  /** (1, 50) and (2, 67) as KPI.md fixes them. */
  dominance: [
    { n: 1, k: 50 },
    { n: 2, k: 67 },
  ],
  /** 1: the interval must reach from (value − largest) to (value + largest), i.e. the largest factory could hold nothing or twice its share. */
  minFirmsProtection: 1,
  /** Planned time, output (good units), energy: the magnitudes KPI.md names. */
  magnitudes: ['plannedBusyS', 'good', 'kwh'],
  tables: ['region-park', 'region-sector', 'park-sector'],
  periods: ['month', 'quarter', 'year'],
}

/** The configuration as an operator writes it (YAML or JSON); every key optional, unknown keys rejected. */
export const DisclosureConfigSchema = Type.Object(
  {
    /** Default 3. 1 switches the rule off. */
    minFirms: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /** Default [{n: 1, k: 50}, {n: 2, k: 67}]; [] switches dominance off. */
    dominance: Type.Optional(
      Type.Array(
        Type.Object(
          {
            n: Type.Integer({ minimum: 1, maximum: 100 }),
            k: Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'percent, above 0 and at most 100' }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    /** Default 1. */
    minFirmsProtection: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
    /** Default plannedBusyS, good, kwh. */
    magnitudes: Type.Optional(Type.Array(Type.Enum([...MAGNITUDES]), { minItems: 1, uniqueItems: true })),
    /** Default all three shapes. */
    tables: Type.Optional(Type.Array(Type.Enum([...TABLE_SHAPES]), { minItems: 1, uniqueItems: true })),
    /** Default month, quarter, year. */
    periods: Type.Optional(Type.Array(Type.Enum([...PERIOD_KINDS]), { minItems: 1, uniqueItems: true })),
  },
  { additionalProperties: false },
)

export type DisclosureConfigInput = Static<typeof DisclosureConfigSchema>

/**
 * Validates an operator's configuration and fills in the defaults. Throws
 * {@link DisclosureError} `SHOPFLOOR_ANALYST_CONFIG_INVALID` naming the key (`disclosure.dominance[1].k`).
 */
export function resolveDisclosureConfig(input: unknown = {}, where = 'disclosure'): DisclosureConfig {
  const problem = firstSchemaProblem(DisclosureConfigSchema, input)
  if (problem) {
    const path = formatPath([where, ...problem.path])
    throw new DisclosureError('SHOPFLOOR_ANALYST_CONFIG_INVALID', `${path} ${problem.problem}`)
  }
  const c = input as DisclosureConfigInput
  const dominance = c.dominance ?? DISCLOSURE_DEFAULTS.dominance
  const seen = new Set<number>()
  for (const [i, r] of dominance.entries()) {
    if (seen.has(r.n)) {
      throw new DisclosureError('SHOPFLOOR_ANALYST_CONFIG_INVALID', `${formatPath([where, 'dominance', i, 'n'])} repeats n = ${r.n}: give one k per n`)
    }
    seen.add(r.n)
  }
  return {
    minFirms: c.minFirms ?? DISCLOSURE_DEFAULTS.minFirms,
    dominance: dominance.map((r) => ({ n: r.n, k: r.k })),
    minFirmsProtection: c.minFirmsProtection ?? DISCLOSURE_DEFAULTS.minFirmsProtection,
    magnitudes: [...(c.magnitudes ?? DISCLOSURE_DEFAULTS.magnitudes)],
    tables: [...(c.tables ?? DISCLOSURE_DEFAULTS.tables)],
    periods: [...(c.periods ?? DISCLOSURE_DEFAULTS.periods)],
  }
}
