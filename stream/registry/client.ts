import { RegistryError } from './errors.ts'

/** Compatibility levels of the Confluent Schema Registry API. */
export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number]

/** Where the registry is and how to talk to it. */
export interface SchemaRegistryOptions {
  /**
   * Base URL of a Confluent-compatible Schema Registry REST API: `http://registry:8081` for
   * Confluent's, `http://host:8080/apis/ccompat/v7` for Apicurio Registry's compatibility API.
   * Credentials in the URL (`https://user:password@host`) are taken out and sent as basic auth.
   */
  url: string
  /** Basic-auth user. Default: the URL's user, else none. */
  username?: string
  /** Basic-auth password. Default: the URL's password, else none. */
  password?: string
  /** Time allowed for one HTTP request, in milliseconds. Default: 10 000. */
  timeoutMs?: number
}

/** `<topic>-value`: the subject of a topic's message values (Confluent's TopicNameStrategy). */
export function subjectFor(topic: string): string {
  return `${topic}-value`
}

/**
 * A registry client from `SCHEMA_REGISTRY_URL` (with `SCHEMA_REGISTRY_USERNAME` and
 * `SCHEMA_REGISTRY_PASSWORD` when the registry wants basic auth), or undefined when it is unset.
 */
export function schemaRegistryFromEnv(env: NodeJS.ProcessEnv = process.env): SchemaRegistryClient | undefined {
  const url = env['SCHEMA_REGISTRY_URL']?.trim()
  if (!url) return undefined
  const username = env['SCHEMA_REGISTRY_USERNAME']
  const password = env['SCHEMA_REGISTRY_PASSWORD']
  return new SchemaRegistryClient({ url, ...(username ? { username } : {}), ...(password ? { password } : {}) })
}

interface ErrorBody {
  error_code?: number
  message?: string
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

/**
 * A client of the Confluent Schema Registry REST API (Avro schemas): registers and looks up
 * schemas under subjects and fetches schemas by id. Ids are immutable in a registry, so every
 * answer is cached for the life of the client; concurrent calls for the same key share one request.
 */
export class SchemaRegistryClient {
  readonly #base: string
  readonly #auth: string | undefined
  readonly #timeoutMs: number
  /** `subject\nschema` -> id */
  readonly #ids = new Map<string, Promise<number>>()
  readonly #schemas = new Map<number, Promise<string>>()
  /** The registry's address without credentials, for messages and logs. */
  readonly describe: string

  constructor(opts: SchemaRegistryOptions) {
    let url: URL
    try {
      url = new URL(opts.url)
    } catch (cause) {
      throw new RegistryError('SHOPFLOOR_REGISTRY_CONFIG', `schema registry url "${opts.url}" is not a URL; expected e.g. http://registry:8081`, { cause })
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RegistryError('SHOPFLOOR_REGISTRY_CONFIG', `schema registry url must be http:// or https://, got ${url.protocol}//`)
    }
    const timeoutMs = opts.timeoutMs ?? 10_000
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new RegistryError('SHOPFLOOR_REGISTRY_CONFIG', `schema registry timeoutMs must be a positive integer (milliseconds), got ${String(opts.timeoutMs)}`)
    }
    const username = opts.username ?? decodeURIComponent(url.username)
    const password = opts.password ?? decodeURIComponent(url.password)
    url.username = ''
    url.password = ''
    this.#base = url.toString().replace(/\/+$/, '')
    this.#auth = username || password ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` : undefined
    this.#timeoutMs = timeoutMs
    this.describe = this.#base
  }

  /**
   * Registers `schema` (Avro schema JSON text) under `subject` and returns its id; a schema the
   * subject already has gets its existing id. The registry refuses (SHOPFLOOR_REGISTRY_INCOMPATIBLE)
   * a schema that breaks the subject's compatibility level.
   */
  register(subject: string, schema: string): Promise<number> {
    return this.#cachedId(subject, schema, async () => {
      const body = await this.#request<{ id?: unknown }>('POST', `/subjects/${enc(subject)}/versions`, { schema }, `registering a schema under ${subject}`)
      return schemaId(body.id, `the answer to registering under ${subject}`)
    })
  }

  /** The id of `schema` under `subject`, or undefined when the subject does not have it. */
  async lookup(subject: string, schema: string): Promise<number | undefined> {
    try {
      return await this.#cachedId(subject, schema, async () => {
        const body = await this.#request<{ id?: unknown }>('POST', `/subjects/${enc(subject)}`, { schema }, `looking up a schema under ${subject}`)
        return schemaId(body.id, `the answer to looking up under ${subject}`)
      })
    } catch (e) {
      if (e instanceof RegistryError && e.code === 'SHOPFLOOR_REGISTRY_NOT_FOUND') return undefined
      throw e
    }
  }

  /** The schema (JSON text) with this id. */
  schemaById(id: number): Promise<string> {
    let p = this.#schemas.get(id)
    if (!p) {
      p = this.#request<{ schema?: unknown; schemaType?: unknown }>('GET', `/schemas/ids/${id}`, undefined, `fetching schema id ${id}`).then((body) => {
        if (body.schemaType !== undefined && body.schemaType !== 'AVRO') {
          throw new RegistryError('SHOPFLOOR_REGISTRY_INVALID', `schema id ${id} at ${this.describe} is ${String(body.schemaType)}, not an Avro schema`)
        }
        if (typeof body.schema !== 'string') {
          throw new RegistryError('SHOPFLOOR_REGISTRY_HTTP', `schema id ${id} at ${this.describe}: the answer has no "schema" string`)
        }
        return body.schema
      })
      this.#schemas.set(id, p)
      p.catch(() => this.#schemas.delete(id))
    }
    return p
  }

  /** The subject's newest version: its id, version number and schema text. */
  async latest(subject: string): Promise<{ id: number; version: number; schema: string }> {
    const body = await this.#request<{ id?: unknown; version?: unknown; schema?: unknown }>(
      'GET',
      `/subjects/${enc(subject)}/versions/latest`,
      undefined,
      `reading the latest version of ${subject}`,
    )
    if (typeof body.version !== 'number' || typeof body.schema !== 'string') {
      throw new RegistryError('SHOPFLOOR_REGISTRY_HTTP', `the latest version of ${subject} at ${this.describe}: the answer lacks "version" or "schema"`)
    }
    return { id: schemaId(body.id, `the latest version of ${subject}`), version: body.version, schema: body.schema }
  }

  /** Whether `schema` could be registered under `subject`, by the subject's compatibility level. */
  async testCompatibility(subject: string, schema: string): Promise<boolean> {
    const body = await this.#request<{ is_compatible?: unknown }>(
      'POST',
      `/compatibility/subjects/${enc(subject)}/versions/latest`,
      { schema },
      `testing compatibility with ${subject}`,
    )
    if (typeof body.is_compatible !== 'boolean') {
      throw new RegistryError('SHOPFLOOR_REGISTRY_HTTP', `compatibility test against ${subject} at ${this.describe}: the answer has no "is_compatible"`)
    }
    return body.is_compatible
  }

  /** Sets the subject's compatibility level. */
  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    if (!(COMPATIBILITY_LEVELS as readonly string[]).includes(level)) {
      throw new RegistryError('SHOPFLOOR_REGISTRY_CONFIG', `compatibility level must be one of ${COMPATIBILITY_LEVELS.join(', ')}, got ${String(level)}`)
    }
    await this.#request('PUT', `/config/${enc(subject)}`, { compatibility: level }, `setting the compatibility of ${subject}`)
  }

  #cachedId(subject: string, schema: string, load: () => Promise<number>): Promise<number> {
    const key = `${subject}\n${schema}`
    let p = this.#ids.get(key)
    if (!p) {
      p = load()
      this.#ids.set(key, p)
      p.catch(() => this.#ids.delete(key))
    }
    return p
  }

  async #request<T>(method: string, path: string, body: unknown, doing: string): Promise<T> {
    const headers: Record<string, string> = { accept: `${CONTENT_TYPE}, application/json` }
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE
    if (this.#auth) headers['authorization'] = this.#auth
    let res: Response
    try {
      res = await fetch(this.#base + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
    } catch (cause) {
      const why = (cause as Error).name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : causeMessage(cause)
      throw new RegistryError('SHOPFLOOR_REGISTRY_UNREACHABLE', `${doing}: schema registry at ${this.describe} unreachable (${why}); check the URL and that the registry is up`, {
        canRetry: true,
        cause,
      })
    }
    const text = await res.text().catch(() => '')
    let json: unknown
    try {
      json = text === '' ? {} : JSON.parse(text)
    } catch {
      json = undefined
    }
    if (res.ok) {
      if (json === undefined || typeof json !== 'object' || json === null) {
        throw new RegistryError('SHOPFLOOR_REGISTRY_HTTP', `${doing}: ${this.describe} answered ${res.status} with a body that is not a JSON object: ${text.slice(0, 200)}`, {
          status: res.status,
        })
      }
      return json as T
    }
    const err = (typeof json === 'object' && json !== null ? json : {}) as ErrorBody
    const detail = err.message ?? text.slice(0, 200)
    const opts = { status: res.status, ...(typeof err.error_code === 'number' ? { registryCode: err.error_code } : {}) }
    const what = `${doing}: ${this.describe} answered ${res.status}${err.error_code ? ` (error ${err.error_code})` : ''}: ${detail}`
    switch (res.status) {
      case 401:
      case 403:
        throw new RegistryError('SHOPFLOOR_REGISTRY_AUTH', `${what}; check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD`, opts)
      case 404:
        throw new RegistryError('SHOPFLOOR_REGISTRY_NOT_FOUND', what, opts)
      case 409:
        throw new RegistryError('SHOPFLOOR_REGISTRY_INCOMPATIBLE', `${what}; the schema change breaks the subject's compatibility level (docs/events.md says which changes are allowed)`, opts)
      case 422:
        throw new RegistryError('SHOPFLOOR_REGISTRY_INVALID', what, opts)
      default:
        throw new RegistryError('SHOPFLOOR_REGISTRY_HTTP', what, { ...opts, canRetry: res.status >= 500 || res.status === 429 })
    }
  }
}

function enc(subject: string): string {
  return encodeURIComponent(subject)
}

function schemaId(id: unknown, where: string): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
    throw new RegistryError('SHOPFLOOR_REGISTRY_HTTP', `${where}: expected a schema id 0..2147483647, got ${JSON.stringify(id)}`)
  }
  return id
}

function causeMessage(cause: unknown): string {
  const e = cause as { message?: string; cause?: { code?: string; message?: string } }
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(cause)
}
