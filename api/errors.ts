/** The API's error catalogue: every error response is `{ error: { code, message, param? } }`. */
export const API_ERRORS = {
  SHOPFLOOR_API_BAD_PARAM: 400,
  SHOPFLOOR_API_NOT_FOUND: 404,
  SHOPFLOOR_API_UNAVAILABLE: 503,
  SHOPFLOOR_API_INTERNAL: 500,
} as const

export type ApiErrorCode = keyof typeof API_ERRORS

export class ApiError extends Error {
  readonly code: ApiErrorCode
  readonly param: string | undefined
  readonly status: number

  constructor(code: ApiErrorCode, message: string, param?: string) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.param = param
    this.status = API_ERRORS[code]
  }
}

export const ErrorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, param: { type: 'string' } },
    },
  },
} as const
