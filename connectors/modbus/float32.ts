/**
 * The shortest decimal that reads back as the same float32: 123.456 rather than
 * 123.45600128173828. Lossless (9 significant digits always round-trip a float32), and it is what
 * the PLC's own HMI shows, so dashboards and the PLC agree.
 *
 * A poller meets this once per FLOAT32 value, so it avoids number-to-string conversions: for
 * p significant digits it rounds |v| / 10^k to an integer d and takes d × 10^k (or d / 10^-k),
 * which IEEE arithmetic rounds correctly (d and 10^|k| are exact doubles while |k| <= 22), so
 * the candidate is the very double that parsing the decimal would give. More digits never
 * round-trip worse (a p-digit decimal is also a (p+1)-digit one), so a binary search over p finds
 * the fewest. Values outside 1e-14..1e23 take the slow path through toPrecision.
 */

/** 10^0 .. 10^22: every one an exact double. */
const pow10: readonly number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`))

function slow(v: number): number {
  for (let p = 1; p <= 9; p++) {
    const x = Number(v.toPrecision(p))
    if (Math.fround(x) === v) return x
  }
  return v
}

/** The p-significant-digit decimal nearest to `abs` (> 0, decimal exponent `e`), as a double. */
function candidate(abs: number, e: number, p: number): number {
  const k = e - p + 1
  // Halves round away from zero, as toPrecision does.
  if (k >= 0) {
    const scale = pow10[k] as number
    return Math.round(abs / scale) * scale
  }
  const scale = pow10[-k] as number
  // abs × 10^-k is inexact, but only its rounding to an integer matters, and a wrong one fails the check.
  return Math.round(abs * scale) / scale
}

const bits = new DataView(new ArrayBuffer(8))

/** 10^-14 .. 10^23 as the doubles nearest them, indexed by exponent + 14: thresholds, not factors. */
const thresholds: readonly number[] = Array.from({ length: 38 }, (_, i) => Number(`1e${i - 14}`))

/** ⌊log10(abs)⌋ when it lies in -14..22, from the binary exponent and one comparison; NaN otherwise. */
function decimalExponent(abs: number): number {
  bits.setFloat64(0, abs)
  const e2 = ((bits.getUint16(0) >>> 4) & 0x7ff) - 1023
  // e2 × log10(2) is ⌊log10(abs)⌋ or one less.
  const e = Math.floor(e2 * 0.3010299956639812)
  const next = thresholds[e + 15]
  if (next === undefined) return Number.NaN
  const exact = abs >= next ? e + 1 : e
  return exact >= -14 && exact <= 22 ? exact : Number.NaN
}

/** `v` must be a float32 value (the result of `Math.fround` or a Float32 read). */
export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v
  const abs = Math.abs(v)
  // Every p in 1..9 needs 10^|e - p + 1| to be exact: 1e-14 <= |v| < 1e23, where PLC values live.
  const e = decimalExponent(abs)
  if (!(e >= -14 && e <= 22)) return slow(v)
  // Binary search for the fewest digits that round-trip: more digits never round-trip worse.
  let lo = 1
  let hi = 9
  let best = Number.NaN
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    const x = candidate(abs, e, mid)
    if (Math.fround(x) === abs) {
      hi = mid
      best = x
    } else {
      lo = mid + 1
    }
  }
  if (Number.isNaN(best)) {
    best = candidate(abs, e, 9)
    if (Math.fround(best) !== abs) return slow(v)
  }
  return v < 0 ? -best : best
}
