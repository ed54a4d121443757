import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Type, { type Static } from 'typebox'
import { firstSchemaProblem, formatPath } from '../../connectors/index.ts'
import { ROLES, type Principal, type Role } from './access.ts'
import { ApiKeyError } from './errors.ts'

/**
 * API keys, stored hashed. A key reads `sfk_<id>_<secret>`: the 12-hex-digit id is public (it
 * finds the record in O(1) and appears in logs and `api-key list`), the 256-bit secret is shown
 * once at creation and kept only as an scrypt hash, compared in constant time.
 *
 * A secret of 256 random bits cannot be guessed, so the slow hash only matters if the keys file
 * leaks; each verified key is then remembered by its SHA-256 in memory so a request does not pay
 * scrypt's ~50 ms again. Revoking a key (from the CLI, in another process) takes effect within
 * {@link RELOAD_INTERVAL_MS}: the store re-reads its file when it changes.
 */

/** Default keys file, under the data directory. `SHOPFLOOR_API_KEYS` overrides it. */
export const DEFAULT_KEYS_FILE = join('data', 'api-keys.json')
/** How often at most the store checks its file for changes made by another process, ms. */
export const RELOAD_INTERVAL_MS = 1000

/** The keys file named by `SHOPFLOOR_API_KEYS`, else `<dataDir>/api-keys.json` (dataDir default `data`). */
export function keysFileFromEnv(dataDir?: string): string {
  return process.env['SHOPFLOOR_API_KEYS'] || (dataDir !== undefined ? join(dataDir, 'api-keys.json') : DEFAULT_KEYS_FILE)
}

const KEY_PATTERN = /^sfk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/
const FACTORY_PATH = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/
// scrypt cost: N=2^14, r=8 (16 MiB, ~50 ms), the parameters are stored with each hash so they can grow.
const SCRYPT = { N: 16_384, r: 8, p: 1, keylen: 32 } as const

const KeyRecordSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[0-9a-f]{12}$' }),
    name: Type.String({ minLength: 1 }),
    role: Type.Union([Type.Literal('admin'), Type.Literal('plant-engineer'), Type.Literal('analyst')]),
    factories: Type.Array(Type.String({ pattern: FACTORY_PATH.source })),
    created: Type.String(),
    revoked: Type.Optional(Type.String()),
    hash: Type.String({ pattern: '^scrypt:\\d+:\\d+:\\d+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$' }),
  },
  { additionalProperties: false },
)
const KeysFileSchema = Type.Object({ version: Type.Literal(1), keys: Type.Array(KeyRecordSchema) }, { additionalProperties: false })

type KeyRecord = Static<typeof KeyRecordSchema>

/** A key as `list` shows it: everything but the hash. */
export interface ApiKeyInfo {
  id: string
  name: string
  role: Role
  /** Factory paths of a plant engineer; empty for the other roles. */
  factories: readonly string[]
  /** ISO 8601 */
  created: string
  /** ISO 8601, when revoked */
  revoked?: string
}

export interface NewApiKey {
  /** Unique among the keys not revoked: `line-screen-3`, `erp-export`. */
  name: string
  role: Role
  /** Factory paths `region/park/factory`; required (at least one) for a plant engineer, none for the other roles. */
  factories?: readonly string[]
}

function scryptAsync(secret: string, salt: Buffer, n: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, keylen, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  )
}

async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scryptAsync(secret, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen)
  return `scrypt:${SCRYPT.N}:${SCRYPT.r}:${SCRYPT.p}:${salt.toString('base64url')}:${hash.toString('base64url')}`
}

async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [, n, r, p, salt, hash] = stored.split(':')
  const expected = Buffer.from(hash ?? '', 'base64url')
  const got = await scryptAsync(secret, Buffer.from(salt ?? '', 'base64url'), Number(n), Number(r), Number(p), expected.length)
  return got.length === expected.length && timingSafeEqual(got, expected)
}

const digest = (key: string): string => createHash('sha256').update(key).digest('hex')

function info(r: KeyRecord): ApiKeyInfo {
  return { id: r.id, name: r.name, role: r.role, factories: r.factories, created: r.created, ...(r.revoked ? { revoked: r.revoked } : {}) }
}

/** The store behind `buildApp({ keys })`: a keys file (mode 0600), or memory only (tests). */
export class ApiKeyStore {
  readonly file: string | undefined
  #records = new Map<string, KeyRecord>()
  /** SHA-256 of keys verified since the records were loaded -> key id. */
  #verified = new Map<string, string>()
  #stamp = ''
  #checked = 0

  private constructor(file: string | undefined) {
    this.file = file
  }

  /** A store kept in `file` (created with mode 0600 at the first `create`). Throws ApiKeyError on a bad file. */
  static open(file: string): ApiKeyStore {
    const store = new ApiKeyStore(file)
    store.#load()
    return store
  }

  /** A store in memory only, for tests and embedding. */
  static memory(): ApiKeyStore {
    return new ApiKeyStore(undefined)
  }

  /** Makes a key; the returned `key` is the only time the secret exists outside the caller's hands. */
  async create(spec: NewApiKey): Promise<{ key: string; info: ApiKeyInfo }> {
    this.#load()
    const factories = [...new Set(spec.factories ?? [])]
    if (!/^[\w.@:-]{1,64}$/.test(spec.name)) {
      throw new ApiKeyError('SHOPFLOOR_API_KEYS_INVALID', `key name ${JSON.stringify(spec.name)} must be 1-64 letters, digits or . _ - @ :`)
    }
    if (!ROLES.includes(spec.role)) throw new ApiKeyError('SHOPFLOOR_API_KEYS_INVALID', `role ${JSON.stringify(spec.role)} must be one of ${ROLES.join(', ')}`)
    if (spec.role === 'plant-engineer' && factories.length === 0) {
      throw new ApiKeyError('SHOPFLOOR_API_KEYS_INVALID', 'a plant-engineer key needs at least one factory path (region/park/factory, e.g. hcmc/vsip-1/saigon-pcb)')
    }
    if (spec.role !== 'plant-engineer' && factories.length > 0) {
      throw new ApiKeyError('SHOPFLOOR_API_KEYS_INVALID', `a ${spec.role} key takes no factories (only plant-engineer keys are scoped)`)
    }
    const bad = factories.find((f) => !FACTORY_PATH.test(f))
    if (bad !== undefined) throw new ApiKeyError('SHOPFLOOR_API_KEYS_INVALID', `factory ${JSON.stringify(bad)} must be a factory path region/park/factory in lower case, e.g. hcmc/vsip-1/saigon-pcb`)
    if ([...this.#records.values()].some((r) => r.name === spec.name && !r.revoked)) {
      throw new ApiKeyError('SHOPFLOOR_API_KEYS_INVALID', `a key named "${spec.name}" exists already: revoke it first or choose another name`)
    }
    let id: string
    do id = randomBytes(6).toString('hex')
    while (this.#records.has(id))
    const secret = randomBytes(32).toString('base64url')
    const record: KeyRecord = { id, name: spec.name, role: spec.role, factories, created: new Date().toISOString(), hash: await hashSecret(secret) }
    this.#records.set(id, record)
    this.#save()
    return { key: `sfk_${id}_${secret}`, info: info(record) }
  }

  /** Every key, revoked ones included, oldest first; never the hashes. */
  list(): ApiKeyInfo[] {
    this.#load()
    return [...this.#records.values()].map(info)
  }

  /** Revokes the key with this id or (unrevoked) name; the record stays, marked. Throws SHOPFLOOR_API_KEYS_UNKNOWN. */
  revoke(idOrName: string): ApiKeyInfo {
    this.#load()
    const r = this.#records.get(idOrName) ?? [...this.#records.values()].find((k) => k.name === idOrName && !k.revoked)
    if (!r) throw new ApiKeyError('SHOPFLOOR_API_KEYS_UNKNOWN', `no key with id or name "${idOrName}": shopfloor api-key list shows them`)
    if (!r.revoked) {
      r.revoked = new Date().toISOString()
      this.#forget(r.id)
      this.#save()
    }
    return info(r)
  }

  /** The key's public id, or undefined when `presented` is not shaped like a key. Cheap: no hashing. */
  static idOf(presented: string): string | undefined {
    return KEY_PATTERN.exec(presented)?.[1]
  }

  /** Whether a key with this id exists and is not revoked (cheap; no hashing). */
  isActive(id: string): boolean {
    this.#refresh()
    const r = this.#records.get(id)
    return r !== undefined && !r.revoked
  }

  /** The caller a key id stands for, or null when unknown or revoked (cheap; no hashing: for sessions opened with the key). */
  principalOf(id: string): Principal | null {
    this.#refresh()
    const r = this.#records.get(id)
    if (!r || r.revoked) return null
    return { keyId: r.id, name: r.name, role: r.role, factories: r.role === 'plant-engineer' ? r.factories : [] }
  }

  /** The caller behind a presented key, or null when it is malformed, unknown, revoked or wrong. */
  async authenticate(presented: string): Promise<Principal | null> {
    const m = KEY_PATTERN.exec(presented)
    if (!m) return null
    const [, id, secret] = m as unknown as [string, string, string]
    this.#refresh()
    const r = this.#records.get(id)
    if (!r || r.revoked) return null
    const d = digest(presented)
    if (this.#verified.get(d) !== id) {
      if (!(await verifySecret(secret, r.hash))) return null
      // The records may have been reloaded while scrypt ran: only remember a key still active.
      if (this.#records.get(id)?.hash !== r.hash || this.#records.get(id)?.revoked) return null
      this.#verified.set(d, id)
    }
    return { keyId: r.id, name: r.name, role: r.role, factories: r.role === 'plant-engineer' ? r.factories : [] }
  }

  #forget(id: string): void {
    for (const [d, k] of this.#verified) if (k === id) this.#verified.delete(d)
  }

  #refresh(): void {
    if (this.file === undefined) return
    const now = Date.now()
    if (now - this.#checked < RELOAD_INTERVAL_MS) return
    this.#checked = now
    this.#load()
  }

  #load(): void {
    const file = this.file
    if (file === undefined) return
    let stamp: string
    let mode: number
    try {
      const st = statSync(file)
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`
      mode = st.mode
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ApiKeyError('SHOPFLOOR_API_KEYS_FILE', `keys file ${file} cannot be read: ${(e as Error).message}`, { cause: e })
      stamp = 'absent'
      mode = 0
    }
    if (stamp === this.#stamp) return
    const records = new Map<string, KeyRecord>()
    if (stamp !== 'absent') {
      if (mode & 0o077) throw new ApiKeyError('SHOPFLOOR_API_KEYS_FILE', `keys file ${file} is readable by others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${file}`)
      let doc: unknown
      try {
        doc = JSON.parse(readFileSync(file, 'utf8'))
      } catch (e) {
        throw new ApiKeyError('SHOPFLOOR_API_KEYS_FILE', `keys file ${file} is not valid JSON (${(e as Error).message}): restore it from a backup or move it away and create new keys`, { cause: e })
      }
      const problem = firstSchemaProblem(KeysFileSchema, doc)
      if (problem) throw new ApiKeyError('SHOPFLOOR_API_KEYS_FILE', `keys file ${file}: ${formatPath(problem.path)} ${problem.problem}`)
      for (const r of (doc as Static<typeof KeysFileSchema>).keys) records.set(r.id, r)
    }
    this.#records = records
    this.#verified.clear()
    this.#stamp = stamp
  }

  #save(): void {
    const file = this.file
    if (file === undefined) return
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    const tmp = `${file}.${process.pid}.tmp`
    const doc: Static<typeof KeysFileSchema> = { version: 1, keys: [...this.#records.values()] }
    writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 })
    chmodSync(tmp, 0o600) // a leftover temp file keeps its old mode through writeFileSync
    renameSync(tmp, file)
    const st = statSync(file)
    this.#stamp = `${st.mtimeMs}:${st.size}:${st.ino}`
  }
}
