/**
 * What the analysts see at a given time: the tables as released month by month. A month is
 * released `releaseDelayDays` after it ends on every factory's clock; a quarter or a year with its
 * last month. Each monthly release is solved with the cells of the earlier releases as `previous`,
 * so a later release never publishes a complement an earlier one chose, nor hides a cell it
 * showed: an analyst holding every release learns nothing the latest one does not allow. Cells
 * of a period still open (a quarter to date) are never released: they would be a different
 * quantity from the final cell under the same key.
 */
import { createHash } from 'node:crypto'
import { addMonths, monthStart } from './contributions.ts'
import type { DisclosureConfig } from './config.ts'
import { periodClosed, publishTables } from './publish.ts'
import { cellKey, type FactoryContribution, type PublicationStructure, type PublishedCell } from './types.ts'

const DAY_MS = 86_400_000

/**
 * The last month released at `now`: the latest month that ended at least `delayDays` ago on the
 * clocks of every zone in `timezones`.
 */
export function lastReleasedMonth(now: number, timezones: readonly string[], delayDays: number): string {
  const d = new Date(now)
  let month = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
  const released = (m: string): boolean => timezones.every((tz) => monthStart(tz, addMonths(m, 1)) + delayDays * DAY_MS <= now)
  while (!released(month)) month = addMonths(month, -1)
  return month
}

/**
 * The cells of one year as released by the end of `through` (a month of that year, or later: the
 * whole year): one release per month from January, each pinned by the ones before it.
 * `contributions` are the year's; months after `through` are ignored.
 */
export function releasedYear(
  structure: PublicationStructure,
  contributions: readonly FactoryContribution[],
  config: DisclosureConfig,
  year: number,
  through: string,
): PublishedCell[] {
  const last = through < `${year}-12` ? through : `${year}-12`
  const released = new Map<string, PublishedCell>()
  for (let m = `${year}-01`; m <= last; m = addMonths(m, 1)) {
    const upTo = contributions.filter((c) => c.month.startsWith(`${year}-`) && c.month <= m)
    if (upTo.length === 0) continue
    // Periods still open at m are withheld from this release: not shown, unknown to readers.
    const pub = publishTables({ structure, contributions: upTo }, config, { previous: [...released.values()], closedThrough: m })
    for (const c of pub.cells) released.set(cellKey(c), c)
  }
  // Cells of months without any contribution yet are empty in later releases only: keep the latest.
  return [...released.values()]
}

/** Remembers released years by their input, so that a page's requests solve each year once. */
export class ReleaseCache {
  readonly #max: number
  readonly #entries = new Map<string, PublishedCell[]>()

  /** `max`: years kept, least recently used dropped first. Default 16. */
  constructor(max = 16) {
    this.#max = max
  }

  /** {@link releasedYear}, from the cache when the structure, contributions, config and month are the same. */
  year(structure: PublicationStructure, contributions: readonly FactoryContribution[], config: DisclosureConfig, year: number, through: string): PublishedCell[] {
    const key = createHash('sha256').update(JSON.stringify([structure, contributions, config, year, through])).digest('hex')
    const hit = this.#entries.get(key)
    if (hit) {
      this.#entries.delete(key)
      this.#entries.set(key, hit)
      return hit
    }
    const cells = releasedYear(structure, contributions, config, year, through)
    this.#entries.set(key, cells)
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
    return cells
  }
}
