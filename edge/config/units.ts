/** Sizes and durations as plant IT writes them in the config file: `512MiB`, `7d`, or plain numbers. */

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3 }

function parse(value: number | string, units: Record<string, number>, bare: number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value)
  if (!m) return undefined
  const factor = m[2] === '' ? bare : units[m[2] as string]
  if (factor === undefined) return undefined
  const n = Math.round(Number(m[1]) * factor)
  return n > 0 && Number.isSafeInteger(n) ? n : undefined
}

/** Bytes from `1048576`, `"512MiB"`, `"2GB"`; undefined when it is not a positive size. */
export function parseSize(value: number | string): number | undefined {
  return parse(value, SIZE_UNITS, 1)
}

/** Milliseconds from `1500`, `"30s"`, `"7d"`; undefined when it is not a positive duration. */
export function parseDuration(value: number | string): number | undefined {
  return parse(value, DURATION_UNITS, Number.NaN)
}
