/** The API's error catalogue: every error response is `{ error: { code, message, param? } }`. */
export const API_ERRORS = {
  /** A query or path parameter is missing, unknown or malformed; `param` names it. */
  SHOPFLOOR_API_BAD_PARAM: 400,
  /** No API key, or one that is unknown, malformed or revoked. */
  SHOPFLOOR_API_UNAUTHORIZED: 401,
  /** The key's role may not use the route, or its factory scope lacks the factory asked for. */
  SHOPFLOOR_API_FORBIDDEN: 403,
  SHOPFLOOR_API_NOT_FOUND: 404,
  /** The response cannot be given in the format the Accept header asks for. */
  SHOPFLOOR_API_NOT_ACCEPTABLE: 406,
  /** Too many requests from this key (or, without a key, this address); Retry-After says when to try again. */
  SHOPFLOOR_API_RATE_LIMITED: 429,
  SHOPFLOOR_API_INTERNAL: 500,
  SHOPFLOOR_API_UNAVAILABLE: 503,
} as const

export type ApiErrorCode = keyof typeof API_ERRORS

export class ApiError extends Error {
  readonly code: ApiErrorCode
  readonly param: string | undefined
  readonly status: number
  /** Whether the same request may succeed later (rate limits, an unavailable store). */
  readonly canRetry: boolean

  constructor(code: ApiErrorCode, message: string, param?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ApiError'
    this.code = code
    this.param = param
    this.status = API_ERRORS[code]
    this.canRetry = this.status === 429 || this.status === 503
  }

  /** The response body: the one error shape of the API. */
  body(): { error: { code: ApiErrorCode; message: string; param?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.param ? { param: this.param } : {}) } }
  }
}

export const ErrorBody = {
  type: 'object',
  required: ['error'],
  description: 'Every error: a stable code (SHOPFLOOR_API_*), a message naming the parameter or value, and the parameter when one is to blame',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(API_ERRORS) },
        message: { type: 'string' },
        param: { type: 'string' },
      },
    },
  },
} as const
