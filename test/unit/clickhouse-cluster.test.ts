import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ALL_TABLES, VIEWS, clusterSchemaSql } from '../../stream/index.ts'
import { columnSql } from '../../stream/clickhouse/schema.ts'

const shipped = join(import.meta.dirname, '..', '..', 'deploy', 'clickhouse', 'cluster.sql')

describe('clickhouse cluster schema', () => {
  it('cluster schema shipped in deploy/clickhouse is the one the definitions generate', () => {
    expect(readFileSync(shipped, 'utf8'), 'run `node deploy/clickhouse/generate.ts` after changing stream/clickhouse/schema.ts').toBe(clusterSchemaSql())
  })

  it('cluster schema gives every table a replicated local table and a Distributed table, and every view reads a local table', () => {
    const sql = clusterSchemaSql({ database: 'db', cluster: 'c1' })
    for (const t of ALL_TABLES) {
      expect(sql).toMatch(new RegExp(`CREATE TABLE IF NOT EXISTS db\\.${t.name}_local ON CLUSTER 'c1' \\([\\s\\S]*?ENGINE = Replicated${t.engine}\\('/clickhouse/tables/\\{shard\\}/db/${t.name}_local', '\\{replica\\}'`))
      expect(sql).toContain(`ENGINE = Distributed('c1', db, ${t.name}_local, ${t.shardBy});`)
    }
    for (const v of VIEWS) expect(sql).toContain(`CREATE MATERIALIZED VIEW IF NOT EXISTS db.${v.name} ON CLUSTER 'c1' TO db.${v.to}_local AS`)
    // Inserts through a Distributed table leave factory and line out: its columns, DEFAULTs
    // included, are its local table's (CREATE ... AS; test/integration/clickhouse-schema.test.ts).
    for (const t of ALL_TABLES) {
      const local = new RegExp(`CREATE TABLE IF NOT EXISTS db\\.${t.name}_local ON CLUSTER 'c1' \\(\\n([\\s\\S]*?)\\n\\) ENGINE`).exec(sql)?.[1]
      expect(local, t.name).toBe(t.columns.map((c) => `  ${columnSql(c)}`).join(',\n'))
      expect(sql).toContain(`CREATE TABLE IF NOT EXISTS db.${t.name} ON CLUSTER 'c1' AS db.${t.name}_local\nENGINE = Distributed(`)
    }
    expect(sql).toContain(`factory LowCardinality(String) DEFAULT arrayStringConcat(arraySlice(splitByChar('/', machine), 1, 3), '/')`)
    expect(sql).not.toContain('non_replicated_deduplication_window')
    expect(sql).toContain('TTL toDateTime(ts) + INTERVAL 365 DAY')
  })
})
