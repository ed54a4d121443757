import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { StreamError } from '../errors.ts'

export type { ClickHouseClient }

/** Where ClickHouse is: a server over HTTP, or chDB embedded in this process. */
export interface ClickhouseOptions {
  /**
   * URL of a ClickHouse server (`http://user:password@host:8123`). When absent, chDB runs
   * embedded with its data in {@link ClickhouseOptions.path}. Default: `CLICKHOUSE_URL` from the environment.
   */
  url?: string
  /** chDB data directory, used only without a URL. Default: `./data/chdb`. */
  path?: string
  /** Database holding shopfloor's tables. Default: `CLICKHOUSE_DATABASE` or `shopfloor`. */
  database?: string
}

/** chDB's zero-copy insert: the body is handed to the engine as bytes and parsed by its multithreaded parser. */
export type RawInsert = (params: {
  table: string
  columns: readonly string[]
  format: 'JSONCompactEachRow'
  values: Buffer
  settings: Record<string, string | number>
}) => Promise<unknown>

export interface Clickhouse {
  readonly client: ClickHouseClient
  readonly database: string
  /**
   * Present on embedded chDB only: inserts without the client's string round trip (about a
   * quarter faster for ingest's batches, docs/benchmarks.md). Servers get `client.command`.
   */
  readonly rawInsert?: RawInsert
  /** `chdb:<path>` or the server URL without credentials, for logs. */
  readonly describe: string
  close(): Promise<void>
}

/**
 * Opens ClickHouse. The same SQL and the same @clickhouse/client calls serve both the server and
 * chDB, whose `chdb/connection` plugs into the client's connection hook.
 */
export async function openClickhouse(opts: ClickhouseOptions = {}): Promise<Clickhouse> {
  const url = opts.url ?? process.env['CLICKHOUSE_URL']
  const database = opts.database ?? process.env['CLICKHOUSE_DATABASE'] ?? 'shopfloor'
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new StreamError('SHOPFLOOR_CLICKHOUSE_CONNECT', `ClickHouse database name "${database}" must match [A-Za-z_][A-Za-z0-9_]*`)
  }
  let client: ClickHouseClient
  let describe: string
  let rawInsert: RawInsert | undefined
  if (url) {
    const u = new URL(url)
    describe = `${u.protocol}//${u.host}${u.pathname}`
    client = createClient({ url, clickhouse_settings: { date_time_input_format: 'best_effort' } })
  } else {
    const path = resolve(opts.path ?? 'data/chdb')
    mkdirSync(path, { recursive: true })
    let createChdbConnection: (o: { path: string }) => { chdb?: { rawInsert?: RawInsert } }
    try {
      ;({ createChdbConnection } = (await import('chdb/connection')) as { createChdbConnection: typeof createChdbConnection })
    } catch (cause) {
      throw new StreamError(
        'SHOPFLOOR_CHDB_MISSING',
        'embedded ClickHouse (the optional dependency chdb) is not installed: run `npm install chdb`, or set CLICKHOUSE_URL to a ClickHouse server',
        { cause },
      )
    }
    describe = `chdb:${path}`
    const connection = createChdbConnection({ path })
    rawInsert = connection.chdb?.rawInsert
    client = createClient({ connection } as Parameters<typeof createClient>[0])
  }
  try {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` })
  } catch (cause) {
    await client.close().catch(() => {})
    throw new StreamError('SHOPFLOOR_CLICKHOUSE_CONNECT', `cannot reach ClickHouse at ${describe}: ${(cause as Error).message}`, {
      canRetry: true,
      cause,
    })
  }
  return { client, database, describe, ...(rawInsert ? { rawInsert } : {}), close: () => client.close() }
}
