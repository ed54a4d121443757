// Writes deploy/clickhouse/cluster.sql from the schema definitions (stream/clickhouse/schema.ts).
//   node deploy/clickhouse/generate.ts [--database shopfloor] [--cluster shopfloor] [--ttl-days 365] [--out FILE|-]
// Without options it rewrites the shipped cluster.sql (a unit test checks it is up to date).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { clusterSchemaSql } from '../../stream/index.ts'

const { values } = parseArgs({ options: { database: { type: 'string' }, cluster: { type: 'string' }, 'ttl-days': { type: 'string' }, out: { type: 'string' } } })
const sql = clusterSchemaSql({
  ...(values.database ? { database: values.database } : {}),
  ...(values.cluster ? { cluster: values.cluster } : {}),
  ...(values['ttl-days'] ? { tagSampleTtlDays: Number(values['ttl-days']) } : {}),
})
const out = values.out ?? join(import.meta.dirname, 'cluster.sql')
if (out === '-') process.stdout.write(sql)
else writeFileSync(out, sql)
