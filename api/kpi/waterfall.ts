import type { KpiTotals } from './totals.ts'

/**
 * The OEE loss waterfall in seconds (ISO 22400-2 time model, KPI.md). Read top to bottom, each
 * level is the one above minus the loss between them:
 *
 *     plannedBusy − setup − failure − idle          = actualProduction (APT)
 *     actualProduction − microStops − speed         = net (ideal time of the units produced)
 *     net − quality                                 = fullyProductive (ideal time of the good units)
 *
 * fullyProductive / plannedBusy is the OEE. `speed` is running time minus the ideal time of the
 * units produced: negative when the machine ran faster than its ideal cycle time (performance
 * above 100 %), reported as it is, never capped (flagged `speed_loss_negative`).
 */
export interface LossWaterfall {
  /** PBT: running + micro-stops + setup + failure + idle inside production time. */
  readonly plannedBusy: number
  /** AUST: SETUP time (changeovers). */
  readonly setup: number
  /** ADET: DOWN time in stops at or above the micro-stop threshold. */
  readonly failure: number
  /** ADOT: IDLE time (no material, no order). */
  readonly idle: number
  /** APT: running + micro-stops. */
  readonly actualProduction: number
  /** DOWN time in stops shorter than the threshold: a performance loss. */
  readonly microStops: number
  /** Running time − ideal time of the units produced; negative when faster than ideal. */
  readonly speed: number
  /** Net production time: ideal time of the units produced. */
  readonly net: number
  /** Ideal time of the rejected units. */
  readonly quality: number
  /** Ideal time of the good units: the OEE's numerator. */
  readonly fullyProductive: number
}

/** The waterfall of a sum of totals (ms of state time, seconds of ideal time). */
export function lossWaterfall(t: KpiTotals): LossWaterfall {
  const s = (ms: number): number => ms / 1000
  const running = s(t.running)
  const actualProduction = s(t.running + t.microStops)
  return {
    plannedBusy: s(t.running + t.microStops + t.setup + t.down + t.idle),
    setup: s(t.setup),
    failure: s(t.down),
    idle: s(t.idle),
    actualProduction,
    microStops: s(t.microStops),
    speed: running - t.idealProducedS,
    net: t.idealProducedS,
    quality: t.idealRejectedS,
    fullyProductive: t.idealProducedS - t.idealRejectedS,
  }
}
