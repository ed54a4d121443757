/** Errors of the API key store and its CLI: a stable code, a message naming the value and what to do. */
export type ApiKeyErrorCode =
  /** The keys file cannot be read, is not valid, or is readable by others. */
  | 'SHOPFLOOR_API_KEYS_FILE'
  /** A key to create has a bad name, role or factory scope. */
  | 'SHOPFLOOR_API_KEYS_INVALID'
  /** No key with that id or name. */
  | 'SHOPFLOOR_API_KEYS_UNKNOWN'

export class ApiKeyError extends Error {
  readonly code: ApiKeyErrorCode
  readonly canRetry = false

  constructor(code: ApiKeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ApiKeyError'
    this.code = code
  }
}
