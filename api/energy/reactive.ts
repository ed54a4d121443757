/**
 * The charge for reactive power (EVN, Circular 15/2014/TT-BCT as tariffs.yaml `reactivePower`
 * gives it): a power factor below the rule's minCosPhi costs k % of the active energy bill, k
 * read from the rule's table by cos φ rounded to two decimals (below the table's lowest cos φ, its
 * belowTablePercent). Applied to a scope's own power factor over a window, it estimates what the
 * scope's reactive energy costs: EVN bills the factory's supply meter per meter-reading cycle.
 */
import { inForce } from './tou.ts'
import type { ReactiveRule } from '../reference/energy.ts'

export interface ReactiveCharge {
  /** The rule applied (tariffs.yaml reactivePower id); null when none is in force. */
  readonly rule: string | null
  /** cos φ rounded to two decimals, as the table is read; null where reactive energy is not metered. */
  readonly cosPhi: number | null
  /** k, % of the active energy cost; null when cos φ or the rule is unknown. */
  readonly kPercent: number | null
  /** Active energy cost × k %, VND excluding VAT; null when cos φ or the rule is unknown. */
  readonly vnd: number | null
}

/** cos φ in hundredths, rounded half up (a tiny epsilon so that 0.895 stored as 0.894999… rounds as written). */
const hundredthsOf = (cosPhi: number): number => Math.floor(cosPhi * 100 + 0.5 + 1e-9)

/** k % for a power factor under a rule, and cos φ as the table is read. */
export function reactiveKPercent(rule: ReactiveRule, cosPhi: number): { cosPhi: number; kPercent: number } {
  if (!(cosPhi >= 0 && cosPhi <= 1)) throw new RangeError(`reactiveKPercent: power factor must be 0 to 1, got ${cosPhi}`)
  const h = hundredthsOf(cosPhi)
  const rounded = h / 100
  if (rounded >= rule.minCosPhi) return { cosPhi: rounded, kPercent: 0 }
  if (h < rule.lowestHundredths) return { cosPhi: rounded, kPercent: rule.belowTablePercent }
  return { cosPhi: rounded, kPercent: rule.kPercent.get(h) as number }
}

/** The reactive charge of a power factor and an active energy cost, under the rule in force on `day` (local day number). */
export function reactiveCharge(rules: readonly ReactiveRule[], day: number, powerFactor: number | null, activeVnd: number): ReactiveCharge {
  const rule = inForce(rules, day)
  if (powerFactor === null) return { rule: rule?.id ?? null, cosPhi: null, kPercent: null, vnd: null }
  if (!rule) return { rule: null, cosPhi: hundredthsOf(powerFactor) / 100, kPercent: null, vnd: null }
  const { cosPhi, kPercent } = reactiveKPercent(rule, powerFactor)
  return { rule: rule.id, cosPhi, kPercent, vnd: (activeVnd * kPercent) / 100 }
}
