/** Errors of the schema registry client. */

export type RegistryErrorCode =
  /** The registry options are wrong (URL, timeout): fix the configuration. */
  | 'SHOPFLOOR_REGISTRY_CONFIG'
  /** No answer: connection refused, DNS, timeout. Retry later. */
  | 'SHOPFLOOR_REGISTRY_UNREACHABLE'
  /** 401/403: credentials missing or wrong. */
  | 'SHOPFLOOR_REGISTRY_AUTH'
  /** 404: subject, version or schema id unknown to the registry. */
  | 'SHOPFLOOR_REGISTRY_NOT_FOUND'
  /** 409: the schema breaks the subject's compatibility level. */
  | 'SHOPFLOOR_REGISTRY_INCOMPATIBLE'
  /** 422: the registry rejects the schema or the request as invalid. */
  | 'SHOPFLOOR_REGISTRY_INVALID'
  /** Any other status, or a body that is not what the API documents. */
  | 'SHOPFLOOR_REGISTRY_HTTP'

export class RegistryError extends Error {
  readonly code: RegistryErrorCode
  /** Whether the same call may succeed later (registry restarting, network back). */
  readonly canRetry: boolean
  /** HTTP status, when the registry answered. */
  readonly status: number | undefined
  /** Confluent `error_code` from the answer's body (e.g. 40401 subject not found), when given. */
  readonly registryCode: number | undefined

  constructor(
    code: RegistryErrorCode,
    message: string,
    opts: { canRetry?: boolean; cause?: unknown; status?: number; registryCode?: number } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'RegistryError'
    this.code = code
    this.canRetry = opts.canRetry ?? false
    this.status = opts.status
    this.registryCode = opts.registryCode
  }
}
