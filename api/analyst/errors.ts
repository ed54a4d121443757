export type DisclosureErrorCode =
  /** The disclosure configuration breaks its schema; the message names the key and what is allowed. */
  | 'SHOPFLOOR_ANALYST_CONFIG_INVALID'
  /** A contribution or the structure is malformed (unknown park, negative kWh, a month twice); nothing is published. */
  | 'SHOPFLOOR_ANALYST_INPUT_INVALID'
  /** The engine could not prove a sensitive cell protected; nothing is published (a bug: report it with the input). */
  | 'SHOPFLOOR_ANALYST_PROTECTION_FAILED'

/**
 * An error of the analysts' disclosure control. Nothing is published when one is thrown: a table
 * either passes every rule or does not leave the engine.
 */
export class DisclosureError extends Error {
  readonly code: DisclosureErrorCode
  readonly canRetry = false

  constructor(code: DisclosureErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DisclosureError'
    this.code = code
  }
}
