/**
 * Turns successive readings of a PLC's cumulative counter into increments.
 *
 * A counter that goes down either wrapped (it was near its top and is now near zero) or was
 * reset (a PLC restart, an operator clearing it). A wrap adds the distance through the top; a
 * reset counts what was made since the reset. Neither ever yields a negative increment.
 */
export type CounterStep =
  | { readonly kind: 'increase'; readonly delta: number }
  | { readonly kind: 'rollover'; readonly delta: number }
  | { readonly kind: 'reset'; readonly delta: number }

/** Share of the range near the top (and bottom) that makes a decrease a wrap rather than a reset. */
const WRAP_ZONE = 0.1

export function counterStep(prev: number, cur: number, rollover: number): CounterStep {
  if (cur >= prev) return { kind: 'increase', delta: cur - prev }
  if (prev >= rollover * (1 - WRAP_ZONE) && cur < rollover * WRAP_ZONE) {
    return { kind: 'rollover', delta: rollover - prev + cur }
  }
  return { kind: 'reset', delta: cur }
}
