/** Energy ratios: power factor, specific energy consumption. */

/**
 * Power factor from active and reactive energy: kWh / √(kWh² + kvarh²). Null where reactive
 * energy is not metered (`kvarh` null) or nothing was used.
 */
export function powerFactor(kwh: number, kvarh: number | null): number | null {
  if (kvarh === null) return null
  const apparent = Math.hypot(kwh, kvarh)
  return apparent > 0 ? kwh / apparent : null
}

/** Specific energy consumption: kWh per unit; null when no unit was made. */
export function sec(kwh: number, units: number): number | null {
  return units > 0 ? kwh / units : null
}

/** `part / whole`, null when the whole is 0. */
export function share(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null
}
