/** Error codes of the energy KPIs. */
export type EnergyErrorCode =
  /** An energy interval crosses a 15-minute slot edge, so it could span two time-of-use periods: a bug in the caller. */
  | 'SHOPFLOOR_ENERGY_INTERVAL_STRADDLES'
  /** A factory names a voltage level that the tariff does not price. */
  | 'SHOPFLOOR_ENERGY_VOLTAGE_LEVEL'

/** An energy computation that cannot give a right number; the message names the value. */
export class EnergyError extends Error {
  readonly code: EnergyErrorCode
  readonly canRetry = false

  constructor(code: EnergyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'EnergyError'
    this.code = code
  }
}
