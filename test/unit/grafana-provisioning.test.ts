// deploy/grafana: every provisioning file parses, and every panel's SQL names only tables and
// columns of stream/clickhouse/schema.ts, so a schema change fails here rather than on a site.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ALL_TABLES } from '../../stream/index.ts'

const ROOT = join(import.meta.dirname, '../../deploy/grafana')
const DATASOURCE_UID = 'shopfloor-clickhouse'

// SQL words and unit names that are neither tables nor columns. Function names need no list: an
// identifier followed by "(" is a call.
const KEYWORDS = new Set(
  `select from where and or not as by group order asc desc limit inner left right full outer join on using
  interval second minute hour day week month year in is null case when then else end distinct final
  having with union all between like true false`.split(/\s+/),
)

interface PanelSql {
  dashboard: string
  panel: string
  sql: string
}

interface Panel {
  title?: string
  type?: string
  panels?: Panel[]
  datasource?: { type?: string; uid?: string }
  targets?: Array<{ rawSql?: string; datasource?: { uid?: string } }>
}

interface Dashboard {
  uid: string
  title: string
  panels: Panel[]
  templating?: { list: Array<{ name: string; query?: string; datasource?: { uid?: string } }> }
}

const dashboardFiles = readdirSync(join(ROOT, 'dashboards')).filter((f) => f.endsWith('.json'))
const dashboards = dashboardFiles.map((f) => ({ file: f, json: JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8')) as Dashboard }))

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])])
}

function queries(): PanelSql[] {
  const out: PanelSql[] = []
  for (const { file, json } of dashboards) {
    for (const p of allPanels(json.panels)) for (const t of p.targets ?? []) if (t.rawSql) out.push({ dashboard: file, panel: p.title ?? '?', sql: t.rawSql })
    for (const v of json.templating?.list ?? []) if (v.query) out.push({ dashboard: file, panel: `variable ${v.name}`, sql: v.query })
  }
  return out
}

const tables = new Map(ALL_TABLES.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]))

/** Problems of one query: unknown tables, unknown columns, aliases that hide a column, averages. */
function checkSql(sql: string): string[] {
  const problems: string[] = []
  const text = sql
    .replace(/'(?:[^'\\]|\\.)*'/g, "''") // literals (and the ${var} inside them)
    .replace(/\$__timeFilter\(([^)]*)\)/g, '$1 >= 0') // the plugin's macro: its argument is a column
  if (/\$/.test(text)) problems.push(`a macro or variable outside a string literal: ${text.match(/\$\S*/)?.[0]}`)
  if (/\bavg\s*\(/i.test(text)) problems.push('avg(): ratios come from summed seconds and units, never averaged')
  const tokens = [...text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?(\s*\()?/g)]
  const read = new Set<string>()
  const aliases = new Set<string>()
  for (let i = 0; i < tokens.length; i++) {
    const [, word = '', , call] = tokens[i] as RegExpExecArray
    const prev = (tokens[i - 1]?.[1] ?? '').toLowerCase()
    if (call || KEYWORDS.has(word.toLowerCase())) continue
    if (prev === 'from' || prev === 'join') {
      if (!tables.has(word)) problems.push(`table ${word} is not in stream/clickhouse/schema.ts`)
      else read.add(word)
    } else if (prev === 'as') aliases.add(word)
  }
  const columns = new Set([...read].flatMap((t) => [...(tables.get(t) ?? [])]))
  for (const m of text.matchAll(/\bAS\s+([A-Za-z_][A-Za-z0-9_]*)/gi)) {
    // The expression an alias names, back to the comma or SELECT before it: sum(x) AS x would make
    // x "known" whatever x is.
    const name = m[1] ?? ''
    let depth = 0
    let start = m.index
    for (; start > 0; start--) {
      const ch = text[start - 1]
      if (ch === ')') depth++
      else if (ch === '(') {
        if (depth === 0) break
        depth--
      } else if (ch === ',' && depth === 0) break
    }
    const expr = text.slice(start, m.index).replace(/^\s*select\b/i, '')
    if (/\b(from|join)\b/i.test(expr)) continue // a table alias
    if (new RegExp(`(^|[^.\\w])${name}\\b`).test(expr)) problems.push(`alias ${name} is defined from itself`)
  }
  for (const a of aliases) {
    // An alias that hides a column would keep a renamed column's references "valid".
    if (columns.has(a) && !new RegExp(`\\b\\w+\\.${a}\\s+AS\\s+${a}\\b`, 'i').test(text)) problems.push(`alias ${a} hides the column ${a}`)
  }
  for (let i = 0; i < tokens.length; i++) {
    const [, first = '', second, call] = tokens[i] as RegExpExecArray
    const prev = (tokens[i - 1]?.[1] ?? '').toLowerCase()
    if ((call && !KEYWORDS.has(first.toLowerCase())) || prev === 'from' || prev === 'join' || prev === 'as') continue
    if (second !== undefined) {
      // qualified: alias.column, always a table's column
      if (!columns.has(second)) problems.push(`column ${first}.${second} is in none of ${[...read].join(', ')}`)
      continue
    }
    if (KEYWORDS.has(first.toLowerCase()) || columns.has(first) || aliases.has(first)) continue
    problems.push(`column ${first} is in none of ${[...read].join(', ') || '(no table)'}`)
  }
  return problems
}

describe('grafana provisioning', () => {
  it('datasource file provisions the ClickHouse plugin with every connection value from the environment', () => {
    const doc = parse(readFileSync(join(ROOT, 'provisioning/datasources/clickhouse.yaml'), 'utf8')) as {
      apiVersion: number
      datasources: Array<{ uid: string; type: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }>
    }
    expect(doc.apiVersion).toBe(1)
    expect(doc.datasources).toHaveLength(1)
    const ds = doc.datasources[0]!
    expect(ds.type).toBe('grafana-clickhouse-datasource')
    expect(ds.uid).toBe(DATASOURCE_UID)
    for (const key of ['host', 'port', 'protocol', 'username', 'defaultDatabase']) expect(ds.jsonData[key], key).toMatch(/^\$\{SHOPFLOOR_GRAFANA_[A-Z_]+\}$/)
    expect(ds.secureJsonData['password']).toMatch(/^\$\{SHOPFLOOR_GRAFANA_[A-Z_]+\}$/)
  })

  it('dashboard provider file points Grafana at a directory of JSON files', () => {
    const doc = parse(readFileSync(join(ROOT, 'provisioning/dashboards/shopfloor.yaml'), 'utf8')) as { apiVersion: number; providers: Array<{ type: string; options: { path: string } }> }
    expect(doc.apiVersion).toBe(1)
    expect(doc.providers[0]?.type).toBe('file')
    expect(doc.providers[0]?.options.path).toMatch(/\$\{SHOPFLOOR_GRAFANA_DASHBOARDS\}/)
  })

  it('dashboards have unique uids and every panel queries the provisioned datasource', () => {
    expect(dashboards.length).toBeGreaterThanOrEqual(2)
    expect(new Set(dashboards.map((d) => d.json.uid)).size).toBe(dashboards.length)
    for (const { file, json } of dashboards) {
      const ids = allPanels(json.panels).map((p) => p.title)
      expect(new Set(ids).size, `${file}: panel titles`).toBe(ids.length)
      for (const p of allPanels(json.panels)) {
        if (p.type === 'row') continue
        expect(p.datasource?.uid, `${file} ${p.title}`).toBe(DATASOURCE_UID)
        expect(p.targets?.length, `${file} ${p.title}`).toBeGreaterThan(0)
        for (const t of p.targets ?? []) expect(t.rawSql, `${file} ${p.title}`).toBeTruthy()
      }
    }
  })

  it('every panel and variable query names only tables and columns of the schema', () => {
    const all = queries()
    expect(all.length).toBeGreaterThan(10)
    const problems = all.flatMap((q) => checkSql(q.sql).map((p) => `${q.dashboard} "${q.panel}": ${p}`))
    expect(problems).toEqual([])
  })

  it.each([
    ['a table the schema lacks', 'SELECT machine FROM machine_rollup_5m', /table machine_rollup_5m/],
    ['a column the schema lacks', 'SELECT sum(running_s) AS r FROM machine_rollup_1m', /column running_s/],
    ['a qualified column the schema lacks', 'SELECT r.lines FROM machine_rollup_1h AS r', /column r\.lines/],
    ['an alias hiding a renamed column', 'SELECT sum(kwh_used) AS kwh_used FROM machine_rollup_1h', /alias kwh_used is defined from itself/],
    ['an alias hiding a column', 'SELECT sum(kwh) AS kwh FROM machine_rollup_1h', /alias kwh hides/],
    ['an average of ratios', 'SELECT avg(running_ms) AS a FROM machine_rollup_1h', /avg\(\)/],
  ])('the check catches %s', (_name, sql, problem) => {
    expect(checkSql(sql).join('\n')).toMatch(problem)
  })

  it('the check passes a valid query with the time macro and a variable', () => {
    expect(checkSql("SELECT r.line AS line, sum(r.kwh) AS e FROM machine_rollup_1h AS r WHERE r.factory = '${factory}' AND $__timeFilter(r.bucket) GROUP BY r.line")).toEqual([])
  })
})
