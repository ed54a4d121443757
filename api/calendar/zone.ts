/**
 * Wall-clock time in an IANA time zone, from Intl alone (no tz library): the UTC offset at an
 * instant, an instant's local date and time, and the instant of a local date and time. Nothing
 * here assumes a fixed offset, so DST zones work too (Vietnam has none, its neighbours' plants may).
 */

const MINUTE = 60_000
const HOUR = 60 * MINUTE
/** Offsets are looked up per UTC quarter hour: every tzdb transition since 1970 falls on one. */
const QUARTER = 15 * MINUTE
const CACHE_LIMIT = 200_000

interface Zone {
  readonly format: Intl.DateTimeFormat
  readonly offsets: Map<number, number>
}

const zones = new Map<string, Zone>()

function zone(tz: string): Zone {
  let z = zones.get(tz)
  if (!z) {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    })
    z = { format, offsets: new Map() }
    zones.set(tz, z)
  }
  return z
}

/** True when `tz` is an IANA time zone this runtime knows (`Asia/Ho_Chi_Minh`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return tz.length > 0
  } catch {
    return false
  }
}

/** The zone's offset from UTC at instant `ms`, in ms (+7 h = 25,200,000 for Asia/Ho_Chi_Minh). */
export function zoneOffset(tz: string, ms: number): number {
  const z = zone(tz)
  const q = Math.floor(ms / QUARTER)
  const hit = z.offsets.get(q)
  if (hit !== undefined) return hit
  const at = q * QUARTER
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0
  for (const p of z.format.formatToParts(at)) {
    if (p.type === 'year') y = Number(p.value)
    else if (p.type === 'month') mo = Number(p.value)
    else if (p.type === 'day') d = Number(p.value)
    else if (p.type === 'hour') h = Number(p.value)
    else if (p.type === 'minute') mi = Number(p.value)
    else if (p.type === 'second') s = Number(p.value)
  }
  const off = Date.UTC(y, mo - 1, d, h, mi, s) - at
  if (z.offsets.size >= CACHE_LIMIT) z.offsets.clear()
  z.offsets.set(q, off)
  return off
}

/** Local wall-clock time of an instant, as a number: ms since 1970-01-01T00:00 *local* (read it with getUTC*). */
export function toWall(tz: string, ms: number): number {
  return ms + zoneOffset(tz, ms)
}

/**
 * The instant at which the zone's clocks show `wall` (ms since 1970-01-01T00:00 local, e.g.
 * `Date.UTC(2026, 10, 21, 6, 0)` for 21 Nov 2026 06:00). A wall time that occurs twice (clocks
 * set back) is its first occurrence; one skipped by clocks set forward is read with the offset
 * before the jump, i.e. lands that much later (02:30 on a spring-forward night at 02:00 is 03:30).
 */
export function fromWall(tz: string, wall: number): number {
  const before = zoneOffset(tz, wall - 24 * HOUR)
  const after = zoneOffset(tz, wall + 24 * HOUR)
  if (before === after) return wall - before
  const tBefore = wall - before
  const tAfter = wall - after
  const okBefore = toWall(tz, tBefore) === wall
  const okAfter = toWall(tz, tAfter) === wall
  if (okBefore && okAfter) return Math.min(tBefore, tAfter)
  if (okAfter) return tAfter
  return tBefore
}

/** The local date `YYYY-MM-DD` of an instant. */
export function localDate(tz: string, ms: number): string {
  return new Date(toWall(tz, ms)).toISOString().slice(0, 10)
}
