// The ClickHouse schema on chDB: migrations (twice, concurrently), the migrated tables against
// their definitions, the tag-sample TTL, and idempotent ingest through the in-process handler,
// including a batch whose views were not written the first time.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ALL_TABLES,
  EventCodec,
  ROLLUPS,
  Ingest,
  MIGRATIONS,
  VIEWS,
  applyRetention,
  clusterSchemaSql,
  insertRows,
  migrate,
  openClickhouse,
  parseMachinePath,
  rowsByTable,
  type Clickhouse,
  type IncomingMessage,
  type Row,
  type ShopfloorEvent,
} from '../../stream/index.ts'
import { silentLogger } from '../../connectors/common/logger.ts'
import { MACHINES, expectExactly, expectRollupsMatchRaw, factoryEvents } from './ingest-fixture.ts'

let dir: string
let root: Clickhouse

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-clickhouse-schema-'))
  root = await openClickhouse({ path: join(dir, 'chdb'), database: 'schema_root' })
})
afterAll(async () => {
  await root?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function database(name: string, migrated = true): Promise<Clickhouse> {
  const ch = { ...root, database: name }
  await root.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${name}` })
  if (migrated) await migrate(ch)
  return ch
}

/** A database migrated only up to `version`, as a store released then would be. */
async function storeAtVersion(name: string, version: number): Promise<Clickhouse> {
  const ch = await database(name, false)
  await root.client.command({ query: `CREATE TABLE ${name}.schema_migrations (version UInt32, name String, applied DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree ORDER BY version` })
  for (const m of MIGRATIONS.filter((m) => m.version <= version)) {
    for (const st of m.statements) await root.client.command({ query: st.replaceAll('{db}', name) })
    await root.client.insert({ table: `${name}.schema_migrations`, values: [{ version: m.version, name: m.name, applied: Date.now() }], format: 'JSONEachRow' })
  }
  return ch
}

/** Runs the statements of one migration on a database (without recording it). */
async function applyVersion(db: string, version: number): Promise<void> {
  const m = MIGRATIONS.find((m) => m.version === version) as (typeof MIGRATIONS)[number]
  for (const st of m.statements) await root.client.command({ query: st.replaceAll('{db}', db) })
}

async function rows<T>(ch: Clickhouse, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}

/**
 * Every rollup's down_runs, summed over all its buckets, holds each closed DOWN run once: its whole
 * length as the key, that many ms plus one start (<< 40) (the buckets split a run, their sum must not).
 */
async function expectDownRunsMatchRaw(ch: Clickhouse): Promise<void> {
  const [raw] = await rows<{ m: unknown }>(
    ch,
    `SELECT sumMap([toUInt32(len)], [len + bitShiftLeft(toUInt64(1), 40)]) AS m FROM (
       SELECT toUInt64(toUnixTimestamp64Milli(ts) - toUnixTimestamp64Milli(ifNull(prev_since, assumeNotNull(prev_ts)))) AS len
       FROM ${ch.database}.machine_state FINAL WHERE prev_state = 'DOWN' AND state != 'DOWN' AND prev_ts IS NOT NULL)`,
  )
  expect((raw?.m as unknown[][])[0]?.length, 'closed DOWN runs in the events').toBeGreaterThan(0)
  for (const r of ROLLUPS) {
    const [got] = await rows<{ m: unknown }>(ch, `SELECT sumMap(down_runs) AS m FROM ${ch.database}.machine_rollup_${r.suffix}`)
    expect(got?.m, `machine_rollup_${r.suffix}.down_runs`).toEqual(raw?.m)
  }
}

const messages = (codec: EventCodec, events: readonly ShopfloorEvent[], from = 0): IncomingMessage[] =>
  events.map((e, i) => ({ topic: `shopfloor.${e.type}`, key: null, value: codec.encode(e), partition: 0, offset: String(from + i) }))

describe('clickhouse schema', () => {
  it('migrate applies every version once, also when run twice at the same time', async () => {
    const ch = await database('mig_twice', false)
    const [a, b] = await Promise.all([migrate(ch), migrate(ch)])
    expect([...(a ?? []), ...(b ?? [])].sort()).toEqual(expect.arrayContaining(MIGRATIONS.map((m) => m.version)))
    expect(await migrate(ch)).toEqual([])
    const recorded = await rows<{ version: number }>(ch, `SELECT version FROM mig_twice.schema_migrations FINAL ORDER BY version`)
    expect(recorded.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version))
  })

  it('migrate leaves every table with the columns, types, defaults and codecs of its definition', async () => {
    const ch = await database('mig_shape')
    for (const t of ALL_TABLES) {
      const cols = await rows<{ name: string; type: string; compression_codec: string; default_kind: string; default_expression: string }>(
        ch,
        `SELECT name, type, compression_codec, default_kind, default_expression FROM system.columns WHERE database = 'mig_shape' AND table = {t:String} ORDER BY position`,
        { t: t.name },
      )
      expect(cols.map((c) => c.name), t.name).toEqual(t.columns.map((c) => c.name))
      for (const [i, c] of t.columns.entries()) {
        const got = cols[i] as (typeof cols)[number]
        expect(got.type.replaceAll(' ', ''), `${t.name}.${c.name} type`).toBe(c.type.replaceAll(' ', ''))
        expect([got.default_kind, got.default_expression.replaceAll(' ', '')], `${t.name}.${c.name} default`).toEqual(c.default ? ['DEFAULT', c.default.replaceAll(' ', '')] : ['', ''])
        const codec = got.compression_codec.replace(/^CODEC\((.*)\)$/, '$1').replace(/\b(Delta|DoubleDelta|Gorilla)\(\d+\)/g, '$1').replace(/\bZSTD\b(?!\()/, 'ZSTD(1)')
        expect(codec.replaceAll(' ', ''), `${t.name}.${c.name} codec`).toBe((c.codec ?? '').replaceAll(' ', ''))
      }
      const [engine] = await rows<{ engine: string; sorting_key: string; partition_key: string }>(
        ch,
        `SELECT engine, sorting_key, partition_key FROM system.tables WHERE database = 'mig_shape' AND name = {t:String}`,
        { t: t.name },
      )
      expect(engine?.engine, t.name).toBe(t.engine)
      expect(`(${engine?.sorting_key})`.replace(/^\(\((.*)\)\)$/, '($1)'), t.name).toBe(t.orderBy.startsWith('(') ? t.orderBy : `(${t.orderBy})`)
    }
    const views = await rows<{ name: string }>(ch, `SELECT name FROM system.tables WHERE database = 'mig_shape' AND engine = 'MaterializedView'`)
    expect(views.map((v) => v.name).sort()).toEqual(VIEWS.map((v) => v.name).sort())
  })

  it('cluster schema runs on chDB once ON CLUSTER, replication and Distributed are taken out', async () => {
    // chDB has no Keeper and no cluster: what this checks is every other part of the generated
    // statements (columns, codecs, engines' arguments, keys, TTL, the views over the _local tables).
    // A Distributed table becomes a Merge table over its local table, created the same way
    // (CREATE ... AS): its columns, the DEFAULTs an insert through it fills, are the local table's.
    const sql = clusterSchemaSql({ database: 'cluster_check' })
      .split(/;\n/)
      .map((st) => st.replace(/^(--.*\n)+/g, '').trim())
      .filter(Boolean)
      .map((st) =>
        st
          .replace(/ ON CLUSTER '[^']+'/g, '')
          .replace(/ENGINE = Replicated(\w+)\('[^']*', '\{replica\}'(?:, )?/, 'ENGINE = $1(')
          .replace('replicated_deduplication_window', 'non_replicated_deduplication_window')
          .replace(/ENGINE = Distributed\('[^']+', (\w+), (\w+), .*\)$/, "ENGINE = Merge($1, '^$2$$')"),
      )
    for (const st of sql) {
      if (st.startsWith('INSERT INTO')) continue
      await root.client.command({ query: st })
    }
    const tables = await rows<{ name: string }>(root, `SELECT name FROM system.tables WHERE database = 'cluster_check' AND name LIKE '%_local'`)
    expect(tables.map((t) => t.name).sort()).toEqual([...ALL_TABLES.map((t) => `${t.name}_local`), 'schema_migrations_local'].sort())
    const columns = async (table: string): Promise<unknown[]> =>
      rows(root, `SELECT name, type, default_kind, default_expression FROM system.columns WHERE database = 'cluster_check' AND table = {t:String} ORDER BY position`, { t: table })
    for (const t of ALL_TABLES) expect(await columns(t.name), t.name).toEqual(await columns(`${t.name}_local`))
    expect(await columns('tag_sample')).toContainEqual({ name: 'line', type: 'LowCardinality(String)', default_kind: 'DEFAULT', default_expression: expect.stringContaining('splitByChar') })
  })

  it('applyRetention sets, changes and removes the raw tag sample TTL, and rejects a bad value', async () => {
    const ch = await database('ttl_test')
    const ttl = async (): Promise<string> =>
      (await rows<{ engine_full: string }>(ch, `SELECT engine_full FROM system.tables WHERE database = 'ttl_test' AND name = 'tag_sample'`))[0]?.engine_full ?? ''
    expect(await ttl()).toContain('TTL toDateTime(ts) + toIntervalDay(365)')
    await applyRetention(ch, { tagSampleTtlDays: 30 })
    expect(await ttl()).toContain('toIntervalDay(30)')
    await applyRetention(ch, { tagSampleTtlDays: 0 })
    expect(await ttl()).not.toContain('TTL')
    await expect(applyRetention(ch, { tagSampleTtlDays: -1 })).rejects.toMatchObject({ code: 'SHOPFLOOR_CLICKHOUSE_MIGRATION', message: expect.stringContaining('SHOPFLOOR_TAG_SAMPLE_TTL_DAYS') })
  })

  it('ingest leaves tables and rollups unchanged when any subset of events comes again', async () => {
    const ch = await database('replay_test')
    const codec = new EventCodec()
    const events = factoryEvents(3000, 5)
    const ingest = new Ingest({ clickhouse: ch, codec, logger: silentLogger })
    await ingest.handle(messages(codec, events.slice(0, 2000)))
    await ingest.handle(messages(codec, events.slice(1000)))
    // A worker with empty caches (as after a restart) gets a scattered subset once more.
    const fresh = new Ingest({ clickhouse: ch, codec, logger: silentLogger })
    await fresh.handle(messages(codec, events.filter((_, i) => i % 7 === 3)))
    expect(fresh.stats.rows).toBe(0)
    expect(ingest.stats.duplicates + fresh.stats.duplicates).toBe(1000 + events.filter((_, i) => i % 7 === 3).length)
    await expectExactly(ch, events)
    await expectRollupsMatchRaw(ch)
    await expectDownRunsMatchRaw(ch)
  })

  it('ingest replays a batch whose views were not written, and the rollups get it exactly once', async () => {
    const ch = await database('partial_test')
    const codec = new EventCodec()
    const events = factoryEvents(800, 9).filter((e) => e.type === 'production_count')
    const batch = messages(codec, events, 100)
    const bounds = { group: 'g', topic: 'shopfloor.production-count', partition: 0, firstOffset: '100', nextOffset: String(100 + batch.length) }
    // The first attempt stores the rows and the watermarks, but its rollup views write nothing (as
    // if the process died between): the watermarks alone would now skip the whole batch.
    const rollupViews = VIEWS.filter((v) => v.from === 'production_count' && v.to.startsWith('machine_rollup_'))
    for (const v of rollupViews) await ch.client.command({ query: `DETACH TABLE partial_test.${v.name}` })
    await new Ingest({ clickhouse: ch, codec, logger: silentLogger }).handle.storeBatch(batch, bounds)
    for (const v of rollupViews) await ch.client.command({ query: `ATTACH TABLE partial_test.${v.name}` })
    const [none] = await rows<{ p: string }>(ch, `SELECT sum(produced) AS p FROM partial_test.machine_rollup_1m`)
    expect(Number(none?.p)).toBe(0)
    // The partition's next owner finds the batch in the ledger and replays it exactly.
    const next = new Ingest({ clickhouse: ch, codec, logger: silentLogger })
    const pending = await next.handle.pendingBatch('g', bounds.topic, 0, '100')
    expect(pending).toEqual(bounds)
    await next.handle.storeBatch(batch, bounds)
    await next.handle.storeBatch(batch, bounds) // and once more, as after a failed commit
    expect(next.stats.replayed).toBe(1)
    await expectExactly(ch, events)
    await expectRollupsMatchRaw(ch)
    const [sum] = await rows<{ p: string }>(ch, `SELECT sum(produced) AS p FROM partial_test.machine_rollup_1h`)
    expect(Number(sum?.p)).toBe(events.reduce((a, e) => a + (e.type === 'production_count' ? e.event.produced : 0), 0))
  })

  // The 15-minute and hour rollups are fed from the minute rollup (views on a view's table): a
  // replay must reach a coarser rollup that missed the first attempt, through a minute rollup that
  // already has the block, and write nothing twice anywhere.
  it.each([
    ['the hour rollup missed it', ['machine_rollup_1m_to_1h']],
    ['both coarser rollups missed it', ['machine_rollup_1m_to_15m', 'machine_rollup_1m_to_1h']],
    ['the minute rollup missed the states and the energy', ['machine_state_to_rollup_1m', 'energy_reading_to_rollup_1m']],
  ])('ingest replays a batch where %s, and every rollup gets it exactly once', async (_, detached) => {
    const db = `cascade_${detached.length}_${detached[0]?.length}`
    const ch = await database(db)
    const codec = new EventCodec()
    const events = factoryEvents(1500, 17)
    const batch = messages(codec, events, 0)
    const bounds = { group: 'g', topic: 'shopfloor.mixed', partition: 0, firstOffset: '0', nextOffset: String(batch.length) }
    for (const v of detached) await ch.client.command({ query: `DETACH TABLE ${db}.${v}` })
    await new Ingest({ clickhouse: ch, codec, logger: silentLogger }).handle.storeBatch(batch, bounds)
    for (const v of detached) await ch.client.command({ query: `ATTACH TABLE ${db}.${v}` })
    await expect(expectRollupsMatchRaw(ch)).rejects.toThrow() // the views that were detached lack the batch
    const next = new Ingest({ clickhouse: ch, codec, logger: silentLogger })
    expect(await next.handle.pendingBatch('g', bounds.topic, 0, '0')).toEqual(bounds)
    await next.handle.storeBatch(batch, bounds)
    await next.handle.storeBatch(batch, bounds)
    await expectExactly(ch, events)
    await expectRollupsMatchRaw(ch)
    await expectDownRunsMatchRaw(ch)
  })

  it('migration 3 fills the 15-minute rollup from the minute rollup of a version-2 store, and the hour rollup keeps counting', async () => {
    const ch = await storeAtVersion('upgrade_test', 2)
    // Today's ingest writes prev_since; the version-2 ingest wrote the same rows without it.
    const v3 = MIGRATIONS.find((m) => m.version === 3) as (typeof MIGRATIONS)[number]
    for (const st of v3.statements.filter((st) => st.includes('ADD COLUMN'))) await root.client.command({ query: st.replaceAll('{db}', 'upgrade_test') })
    // Today's ingest leaves factory and line to the tables' defaults; the version-2 one sent them.
    await applyVersion('upgrade_test', 5)
    // Today's ingest reads each machine's last state from machine_state_last (the version-2 one
    // scanned machine_state): the table, empty and without its view, stands in for that scan.
    const lastTable = v3.statements.filter((st) => /^CREATE TABLE .*\.machine_state_last\b/.test(st))
    expect(lastTable).toHaveLength(1)
    for (const st of lastTable) await root.client.command({ query: st.replaceAll('{db}', 'upgrade_test') })
    const codec = new EventCodec()
    const events = factoryEvents(2000, 29)
    await new Ingest({ clickhouse: ch, codec, logger: silentLogger }).handle(messages(codec, events.slice(0, 1000)))
    expect(await migrate(ch)).toEqual([3, 4, 5, 6])
    await new Ingest({ clickhouse: ch, codec, logger: silentLogger }).handle(messages(codec, events.slice(1000), 1000))
    await expectExactly(ch, events)
    await expectRollupsMatchRaw(ch)
    // Run again (as after an interruption before version 3 was recorded): nothing is added twice.
    for (const st of v3.statements) await root.client.command({ query: st.replaceAll('{db}', 'upgrade_test') })
    await expectRollupsMatchRaw(ch)
    // Runs that ended before the upgrade are not in down_runs (documented): only those after it.
    const [after] = await rows<{ n: string }>(ch, `SELECT sum(arraySum(arrayMap(v -> bitShiftRight(v, 40), down_runs.2))) AS n FROM upgrade_test.machine_rollup_1h`)
    expect(Number(after?.n)).toBeGreaterThan(0)
  })

  it('migration 4 rebooks the energy of a version-3 store in the minute that ends at each reading, once', async () => {
    const ch = await storeAtVersion('upgrade_v4', 3)
    // The first energy reading after each minute edge moved onto the edge: version 3 booked it in
    // the minute it starts (and the quarter and hour at 11:00), version 4 in the minute before.
    const events = factoryEvents(2000, 31)
    let edge = 0
    const onEdges: number[] = []
    for (const e of events) {
      if (e.type !== 'energy_reading') continue
      const minute = Math.floor(e.event.source_ts / 60_000) * 60_000
      if (minute > edge) {
        edge = minute
        e.event.source_ts = minute
        onEdges.push(minute)
      }
    }
    expect(onEdges).toContain(Date.UTC(2026, 2, 2, 11, 0, 0))
    const codec = new EventCodec()
    await applyVersion('upgrade_v4', 5) // today's ingest leaves factory and line to the tables
    await new Ingest({ clickhouse: ch, codec, logger: silentLogger }).handle(messages(codec, events.slice(0, 1200)))
    const v4 = MIGRATIONS.find((m) => m.version === 4) as (typeof MIGRATIONS)[number]
    expect(await migrate(ch)).toEqual([4, 5, 6])
    await new Ingest({ clickhouse: ch, codec, logger: silentLogger }).handle(messages(codec, events.slice(1200), 1200))
    await expectExactly(ch, events)
    await expectRollupsMatchRaw(ch)
    // Run again (as after an interruption before version 4 was recorded): nothing is inserted.
    const count = async (): Promise<number> => Number((await rows<{ n: string }>(ch, `SELECT count() AS n FROM upgrade_v4.machine_rollup_1m`))[0]?.n)
    const before = await count()
    for (const st of v4.statements) await root.client.command({ query: st.replaceAll('{db}', 'upgrade_v4') })
    expect(await count()).toBe(before)
    await expectRollupsMatchRaw(ch)
  })
  it('migration 5 computes factory and line of a version-4 store from the machine path, rewrites no row, and runs twice safely', async () => {
    const db = 'upgrade_v5'
    const ch = await storeAtVersion(db, 4)
    const events = factoryEvents(1600, 37)
    // The version-4 ingest named factory and line in every insert: rows as it wrote them, and
    // one with values of its own, to show that stored values stay what they were.
    const withPath = (r: Row): Row => ({ ...r, ...(typeof r['machine'] === 'string' ? { factory: parseMachinePath(r['machine']).factory, line: parseMachinePath(r['machine']).line } : {}) })
    for (const [table, list] of rowsByTable(events.slice(0, 800))) await insertRows(ch, table, table === 'machines' ? list : list.map(withPath))
    const probe = (id: string): Row => ({ event_id: id, agent_id: 'probe', seq: 0, factory: `as-written-${id}`, line: `as-written-${id}/l`, machine: MACHINES[0] as string, ts: Date.UTC(2026, 2, 2, 10), received: Date.UTC(2026, 2, 2, 10), tag: 't', value_double: 1, value_string: null, quality: 'GOOD' })
    await insertRows(ch, 'tag_sample', [probe('p1')])
    const parts = async (): Promise<unknown[]> =>
      rows(ch, `SELECT table, name FROM system.parts WHERE database = '${db}' AND table IN ('machine_state', 'production_count', 'energy_reading', 'tag_sample') AND active ORDER BY table, name`)
    const mutations = async (): Promise<number> => Number((await rows<{ n: string }>(ch, `SELECT count() AS n FROM system.mutations WHERE database = '${db}'`))[0]?.n)
    const defaults = async (): Promise<unknown[]> =>
      rows(ch, `SELECT table, name, default_kind FROM system.columns WHERE database = '${db}' AND name IN ('factory', 'line') AND default_kind != '' ORDER BY table, name`)
    const stored = async (id: string): Promise<unknown> => (await rows(ch, `SELECT factory, line FROM ${db}.tag_sample WHERE event_id = {id:String}`, { id }))[0]
    expect(await defaults()).toEqual([])
    await applyRetention(ch) // as every start-up of version 4 did (a new TTL rewrites tag_sample's parts)
    const partsBefore = await parts()
    const mutationsBefore = await mutations()

    expect(await migrate(ch)).toEqual([5, 6])
    expect(await parts(), 'no part rewritten').toEqual(partsBefore)
    expect(await mutations()).toBe(mutationsBefore)
    expect(await defaults()).toEqual(
      ['energy_reading', 'machine_state', 'production_count', 'tag_sample'].flatMap((table) => ['factory', 'line'].map((name) => ({ table, name, default_kind: 'DEFAULT' }))),
    )
    expect(await stored('p1')).toEqual({ factory: 'as-written-p1', line: 'as-written-p1/l' })
    // An insert that still names the two columns (ingest before version 5, the KPI bench's generator) stores its values.
    await insertRows(ch, 'tag_sample', [probe('p2')])
    expect(await stored('p2')).toEqual({ factory: 'as-written-p2', line: 'as-written-p2/l' })
    await ch.client.command({ query: `DELETE FROM ${db}.tag_sample WHERE agent_id = 'probe'` })

    // Today's ingest leaves them out: the tables and their views get the machine path's.
    const codec = new EventCodec()
    const ingest = new Ingest({ clickhouse: ch, codec, logger: silentLogger })
    await ingest.handle(messages(codec, events.slice(800), 800))
    expect(ingest.stats.rows).toBeGreaterThan(700)
    await expectExactly(ch, events) // with expectPathColumns

    // Run again (as after an interruption before version 5 was recorded): nothing changes.
    const partsAfter = await parts()
    await applyVersion(db, 5)
    expect(await migrate(ch)).toEqual([])
    expect(await parts()).toEqual(partsAfter)
    expect(await defaults()).toHaveLength(8)
  })
  it('migration 6 gives the rollups\' float columns LZ4 without rewriting a part; old parts read the same and change on merge', async () => {
    const db = 'upgrade_v6'
    const ch = await storeAtVersion(db, 5)
    const events = factoryEvents(1600, 41)
    const codec = new EventCodec()
    await new Ingest({ clickhouse: ch, codec, logger: silentLogger }).handle(messages(codec, events.slice(0, 800)))
    const rollups = ['machine_rollup_1m', 'machine_rollup_15m', 'machine_rollup_30m', 'machine_rollup_1h']
    const codecs = async (): Promise<unknown[]> =>
      rows(ch, `SELECT DISTINCT compression_codec AS c FROM system.columns WHERE database = '${db}' AND table IN {rollups:Array(String)} AND type LIKE '%Float64%'`, { rollups })
    const parts = async (): Promise<unknown[]> => rows(ch, `SELECT table, name FROM system.parts WHERE database = '${db}' AND table IN {rollups:Array(String)} AND active ORDER BY table, name`, { rollups })
    const mutations = async (): Promise<number> => Number((await rows<{ n: string }>(ch, `SELECT count() AS n FROM system.mutations WHERE database = '${db}'`))[0]?.n)
    // What the queries read, summed over every rollup: must not move with the codec.
    const sums = async (): Promise<unknown[]> =>
      rows(ch, `SELECT r, e, q, k, i FROM (${rollups.map((t) => `SELECT '${t}' AS r, sum(kwh) AS e, sum(kvarh) AS q, max(kw_max) AS k, sum(ideal_produced_s) AS i FROM ${db}.${t}`).join(' UNION ALL ')}) ORDER BY r`)
    expect(await codecs()).toEqual([{ c: 'CODEC(Gorilla(8), ZSTD(1))' }])
    await applyRetention(ch) // as every start-up of version 5 did (a new TTL is a mutation of tag_sample)
    const partsBefore = await parts()
    const mutationsBefore = await mutations()
    const sumsBefore = await sums()

    expect(await migrate(ch)).toEqual([6])
    expect(await codecs()).toEqual([{ c: 'CODEC(LZ4)' }])
    expect(await parts(), 'no part rewritten').toEqual(partsBefore)
    expect(await mutations()).toBe(mutationsBefore)
    expect(await sums()).toEqual(sumsBefore)
    await expectRollupsMatchRaw(ch)

    // New rows go into LZ4 parts; a merge rewrites the old ones; the figures stay exact.
    await new Ingest({ clickhouse: ch, codec, logger: silentLogger }).handle(messages(codec, events.slice(800), 800))
    for (const t of rollups) await ch.client.command({ query: `OPTIMIZE TABLE ${db}.${t} FINAL` })
    await expectExactly(ch, events)
    await expectRollupsMatchRaw(ch)

    // Run again (as after an interruption before version 6 was recorded): nothing changes.
    const partsAfter = await parts()
    await applyVersion(db, 6)
    expect(await migrate(ch)).toEqual([])
    expect(await parts()).toEqual(partsAfter)
    expect(await codecs()).toEqual([{ c: 'CODEC(LZ4)' }])
  })
})
