// Shared by the ingest integrity tests: a deterministic factory's events, publishing them, and
// the two checks every test ends with: the tables hold exactly the events produced, and the
// rollups equal a recomputation from the raw rows (done here in TypeScript, independently of the
// views' SQL).
import { Kafka } from 'kafkajs'
import { expect } from 'vitest'
import {
  EVENT_TYPES,
  EventCodec,
  KafkaPublisher,
  ROLLUPS,
  STATE_COLUMNS,
  eventKey,
  topicFor,
  type Clickhouse,
  type MachineStateCode,
  type ShopfloorEvent,
} from '../../stream/index.ts'
import { silentLogger } from '../../connectors/common/logger.ts'

export const MACHINES = ['vn/vsip/f1/smt/l1/printer', 'vn/vsip/f1/smt/l1/reflow', 'vn/vsip/f1/smt/l1/aoi', 'vn/vsip/f2/sew/l2/m1', 'vn/vsip/f2/sew/l2/m2', 'vn/vsip/f2/sew/l2/m3']
const STATES: MachineStateCode[] = ['RUNNING', 'RUNNING', 'RUNNING', 'IDLE', 'DOWN', 'SETUP', 'PLANNED_STOP', 'OFFLINE']

/** A small xorshift generator: the same seed, the same factory. */
function rng(seed: number): () => number {
  let x = seed || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

/**
 * `n` events of two agents (three machines each), in emission order, every 400 ms or so from
 * 10:58 UTC: they cross minute and hour boundaries. Sequences continue from `firstSeq`.
 */
export function factoryEvents(n: number, seed = 1, firstSeq = 0, startMs = Date.UTC(2026, 2, 2, 10, 58, 0)): ShopfloorEvent[] {
  const rand = rng(seed)
  const seqs = [firstSeq, firstSeq]
  const out: ShopfloorEvent[] = []
  let t = startMs
  for (let i = 0; i < n; i++) {
    t += 1 + Math.floor(rand() * 800)
    const mi = Math.floor(rand() * MACHINES.length)
    const machine = MACHINES[mi] as string
    const a = mi < 3 ? 0 : 1
    const agent_id = `gw-${a}`
    const seq = (seqs[a] as number) + 1
    seqs[a] = seq
    const h = { event_id: `${agent_id}:${seq}`, agent_id, seq, machine, source_ts: t, receive_ts: t + 3 }
    const kind = rand()
    if (i % 500 === 0) {
      out.push({ type: 'agent_heartbeat', event: { event_id: h.event_id, agent_id, seq, source_ts: t, version: '0.1.0', started_ts: startMs, machines: MACHINES.slice(a * 3, a * 3 + 3).map((m, p) => ({ machine: m, name: m.split('/').at(-1) as string, position: p, ideal_cycle_s: 2, line_ideal_cycle_s: 2.5, end_of_line: p === 2 })) } })
    } else if (kind < 0.15) {
      out.push({ type: 'machine_state', event: { ...h, state: STATES[Math.floor(rand() * STATES.length)] as MachineStateCode, reason: rand() < 0.3 ? 'jam' : null } })
    } else if (kind < 0.45) {
      out.push({ type: 'production_count', event: { ...h, produced: 1 + Math.floor(rand() * 3), rejected: rand() < 0.1 ? 1 : 0, ideal_cycle_s: 1.5 + mi / 10, product: rand() < 0.5 ? 'pcb-a' : null } })
    } else if (kind < 0.6) {
      out.push({ type: 'energy_reading', event: { ...h, kwh: Math.round(rand() * 1e6) / 1e7, kwh_total: 1000 + i / 100, kw: rand() < 0.9 ? Math.round(rand() * 5000) / 100 : null } })
    } else {
      out.push({ type: 'tag_sample', event: { ...h, tag: `zone${Math.floor(rand() * 3)}_temp_c`, value_double: 230 + Math.round(rand() * 1000) / 100, value_string: null, quality: 'GOOD' } })
    }
  }
  return out
}

export function topicsOf(prefix: string): string[] {
  return EVENT_TYPES.map((t) => topicFor(t, prefix))
}

export async function publish(brokers: string[], prefix: string, events: readonly ShopfloorEvent[], codec = new EventCodec()): Promise<void> {
  const publisher = new KafkaPublisher({ brokers, logger: silentLogger })
  try {
    for (let i = 0; i < events.length; i += 2000) {
      await publisher.send(events.slice(i, i + 2000).map((e) => ({ topic: topicFor(e.type, prefix), key: eventKey(e), value: codec.encode(e) })))
    }
  } finally {
    await publisher.close()
  }
}

/** Whether the group has committed every partition of the topics up to its end. */
export async function groupCaughtUp(brokers: string[], groupId: string, topics: readonly string[]): Promise<boolean> {
  const admin = new Kafka({ brokers, logLevel: 0 }).admin()
  await admin.connect()
  try {
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] })
    for (const t of committed) {
      const ends = await admin.fetchTopicOffsets(t.topic)
      for (const p of t.partitions) {
        const end = ends.find((e) => e.partition === p.partition)?.high ?? '0'
        if (end !== '0' && BigInt(p.offset === '-1' ? '0' : p.offset) < BigInt(end)) return false
      }
    }
    return true
  } finally {
    await admin.disconnect()
  }
}

async function rows<T>(ch: Clickhouse, query: string): Promise<T[]> {
  const rs = await ch.client.query({ query, format: 'JSONEachRow' })
  return rs.json<T>()
}

const TABLES = ['machine_state', 'production_count', 'energy_reading', 'tag_sample', 'agent_heartbeat'] as const

/** Every table holds each produced event once, physically (no FINAL), and nothing else. */
export async function expectExactly(ch: Clickhouse, events: readonly ShopfloorEvent[]): Promise<void> {
  for (const table of TABLES) {
    const want = events.filter((e) => e.type === table).map((e) => e.event.event_id).sort()
    const got = (await rows<{ event_id: string }>(ch, `SELECT event_id FROM ${ch.database}.${table}`)).map((r) => r.event_id).sort()
    expect(got.length, `${table}: rows stored vs events produced`).toBe(want.length)
    expect(got, `${table}: event ids`).toEqual(want)
  }
  await expectPathColumns(ch)
}

/** The prefix of a machine path the API computes (api/queries/energy.ts): factory 3 segments, line 5. */
const prefix = (path: string, segments: number): string => path.split('/').slice(0, segments).join('/')

/**
 * Every row's factory and line are its machine path's (the tables compute them since schema
 * version 5; ingest no longer sends them), in the event tables and what their views fed.
 */
export async function expectPathColumns(ch: Clickhouse): Promise<void> {
  const tables = ['machine_state', 'production_count', 'energy_reading', 'tag_sample', ...ROLLUPS.map((r) => `machine_rollup_${r.suffix}`)]
  for (const table of tables) {
    const got = await rows<{ machine: string; factory: string; line: string }>(ch, `SELECT DISTINCT machine, factory, line FROM ${ch.database}.${table}`)
    expect(got, `${table}: factory and line of each machine`).toEqual(got.map((r) => ({ machine: r.machine, factory: prefix(r.machine, 3), line: prefix(r.machine, 5) })))
  }
  const last = await rows<{ machine: string; factory: string }>(ch, `SELECT DISTINCT machine, factory FROM ${ch.database}.machine_state_last`)
  expect(last, 'machine_state_last: factory of each machine').toEqual(last.map((r) => ({ machine: r.machine, factory: prefix(r.machine, 3) })))
}

interface Cell {
  [k: string]: number | string | undefined
}

/** Rollups recomputed from the raw rows: state intervals split at bucket edges, counts and energy summed. */
async function recompute(ch: Clickhouse, bucketMs: number): Promise<Map<string, Cell>> {
  const out = new Map<string, Cell>()
  const cell = (machine: string, bucket: number): Cell => {
    const k = `${machine}|${bucket}`
    let c = out.get(k)
    if (!c) out.set(k, (c = {}))
    return c
  }
  const add = (c: Cell, k: string, v: number): void => {
    c[k] = ((c[k] as number | undefined) ?? 0) + v
  }
  const bucketOf = (t: number): number => Math.floor(t / bucketMs) * bucketMs
  const states = await rows<{ machine: string; t: string; seq: string; state: string }>(
    ch,
    `SELECT machine, toUnixTimestamp64Milli(ts) AS t, seq, state FROM ${ch.database}.machine_state FINAL ORDER BY machine, ts, seq`,
  )
  let prev: { machine: string; t: number; state: string } | undefined
  const lastInBucket = new Map<string, { t: number; state: string }>()
  for (const r of states) {
    const t = Number(r.t)
    const p = prev && prev.machine === r.machine ? prev : undefined
    if (p) {
      for (let b = bucketOf(p.t); b <= bucketOf(t); b += bucketMs) {
        const ms = Math.max(0, Math.min(t, b + bucketMs) - Math.max(p.t, b))
        add(cell(r.machine, b), STATE_COLUMNS[p.state as keyof typeof STATE_COLUMNS], ms)
        // Buckets the interval covers to their end are in the interval's state at their end.
        if (b + bucketMs <= t) lastInBucket.set(`${r.machine}|${b}`, { t: b + bucketMs - 1, state: p.state })
      }
    }
    const c = cell(r.machine, bucketOf(t))
    add(c, 'state_events', 1)
    if (r.state === 'DOWN' && p?.state !== 'DOWN') add(c, 'down_starts', 1)
    lastInBucket.set(`${r.machine}|${bucketOf(t)}`, { t, state: r.state })
    prev = { machine: r.machine, t, state: r.state }
  }
  for (const [k, v] of lastInBucket) (out.get(k) as Cell)['end_state'] = v.state
  for (const r of await rows<{ machine: string; t: string; produced: number; rejected: number; c: number }>(
    ch,
    `SELECT machine, toUnixTimestamp64Milli(ts) AS t, produced, rejected, ideal_cycle_s AS c FROM ${ch.database}.production_count FINAL`,
  )) {
    const c = cell(r.machine, bucketOf(Number(r.t)))
    add(c, 'produced', Number(r.produced))
    add(c, 'rejected', Number(r.rejected))
    add(c, 'ideal_produced_s', Number(r.produced) * r.c)
    add(c, 'ideal_rejected_s', Number(r.rejected) * r.c)
  }
  for (const r of await rows<{ machine: string; t: string; kwh: number; kvarh: number | null; kw: number | null }>(
    ch,
    `SELECT machine, toUnixTimestamp64Milli(ts) AS t, kwh, kvarh, kw FROM ${ch.database}.energy_reading FINAL`,
  )) {
    // A reading's energy is of the interval that ends at it (bucket of t - 1 ms); its kW is of its time.
    const c = cell(r.machine, bucketOf(Number(r.t) - 1))
    add(c, 'kwh', r.kwh)
    add(c, 'kvarh', r.kvarh ?? 0)
    const k = cell(r.machine, bucketOf(Number(r.t)))
    k['kw_max'] = Math.max((k['kw_max'] as number | undefined) ?? 0, r.kw ?? 0)
  }
  return out
}

const NUMERIC = [...Object.values(STATE_COLUMNS), 'state_events', 'down_starts', 'produced', 'rejected', 'ideal_produced_s', 'ideal_rejected_s', 'kwh', 'kvarh', 'kw_max']

/** Both rollups (per minute and per hour) equal a recomputation from the raw rows. */
export async function expectRollupsMatchRaw(ch: Clickhouse): Promise<void> {
  for (const r of ROLLUPS) {
    const want = await recompute(ch, r.bucketMs)
    const got = await rows<Record<string, string | number>>(
      ch,
      `SELECT machine, toUnixTimestamp(bucket) * 1000 AS b, ${NUMERIC.map((c) => (c === 'kw_max' ? `max(${c}) AS ${c}` : `sum(${c}) AS ${c}`)).join(', ')},
              argMaxMerge(end_state) AS end_state
       FROM ${ch.database}.machine_rollup_${r.suffix} GROUP BY machine, bucket`,
    )
    const seen = new Set<string>()
    let compared = 0
    for (const g of got) {
      const k = `${g['machine']}|${Number(g['b'])}`
      seen.add(k)
      const w = want.get(k) ?? {}
      for (const c of NUMERIC) {
        const a = Number(g[c])
        const e = (w[c] as number | undefined) ?? 0
        expect(Math.abs(a - e), `${r.suffix} ${k} ${c}: rollup ${a} vs raw ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)))
      }
      if (w['end_state'] !== undefined && g['end_state'] !== '') expect(g['end_state'], `${r.suffix} ${k} end_state`).toBe(w['end_state'])
      compared++
    }
    for (const [k, w] of want) {
      if (seen.has(k)) continue
      for (const c of NUMERIC) expect((w[c] as number | undefined) ?? 0, `${r.suffix} ${k} ${c} missing from the rollup`).toBe(0)
    }
    expect(compared).toBeGreaterThan(0)
  }
}
