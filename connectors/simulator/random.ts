/** Small deterministic PRNG and hash, so a scenario is the same for the same seed everywhere. */

/** FNV-1a over a string, 32-bit. */
export function hash32(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** mulberry32: a uniform float in [0, 1) per call. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A uniform float in [0, 1) determined by the inputs alone (no state). */
export function unit(...parts: Array<string | number>): number {
  return prng(hash32(parts.join('|')))()
}
