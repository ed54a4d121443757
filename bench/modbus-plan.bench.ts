// Modbus read planning: requests per poll cycle from `planReads` against the theoretical minimum,
// for sample register maps of real device kinds and for random maps. The minimum is found here,
// independently of the planner, by exhaustive search: every admissible request (a range that
// starts at a tag's first register, ends at a tag's last, fits the device's maximum and reads no
// run of unused registers longer than maxGap) is a candidate, and the fewest candidates covering
// every tag are found by a memoised search that branches on the lowest uncovered tag. Baseline in
// the same run: one request per tag, what a naive poller (or the oneRequestPerTag quirk) costs.
//
//   node bench/modbus-plan.bench.ts
//
// Target (issue 3): requests per poll cycle equal to the minimum on every map.
import { planReads, tagSpan, type ModbusDataType, type ModbusTag, type PlanOptions, type RegisterTable } from '../connectors/modbus/index.ts'

interface SampleMap {
  readonly name: string
  readonly tags: readonly ModbusTag[]
  readonly opts: PlanOptions
}

let n = 0
const t = (table: RegisterTable, address: number, type: ModbusDataType, extra: Partial<ModbusTag> = {}): ModbusTag => ({ name: `t${n++}`, table, address, type, ...extra })

/** A three-phase energy meter's map (Schneider PM5000-like): FLOAT32 word-swapped, in blocks with holes between them. */
function meter(): ModbusTag[] {
  const tags: ModbusTag[] = []
  for (const a of [2999, 3001, 3003, 3009]) tags.push(t('holding', a, 'FLOAT32', { byteOrder: 'CDAB' })) // currents
  for (const a of [3019, 3021, 3023, 3027, 3029, 3031, 3035]) tags.push(t('holding', a, 'FLOAT32', { byteOrder: 'CDAB' })) // voltages
  for (const a of [3053, 3055, 3057, 3059, 3075, 3083]) tags.push(t('holding', a, 'FLOAT32', { byteOrder: 'CDAB' })) // powers
  for (const a of [3109, 3191, 3203]) tags.push(t('holding', a, 'FLOAT32', { byteOrder: 'CDAB' })) // frequency, PF, kWh
  return tags
}

/** A machine PLC: status bits in two words, counters, a recipe name, alarms as coils and inputs. */
function plc(): ModbusTag[] {
  return [
    ...Array.from({ length: 8 }, (_, b) => t('holding', 0, 'BOOL', { bit: b })),
    ...Array.from({ length: 4 }, (_, b) => t('holding', 1, 'BOOL', { bit: b * 4 })),
    t('holding', 2, 'UINT32'), t('holding', 4, 'UINT32'), t('holding', 6, 'INT16'),
    t('holding', 10, 'STRING', { length: 10 }), t('holding', 40, 'FLOAT64'),
    t('input', 0, 'INT16', { scale: 0.1 }), t('input', 1, 'INT16', { scale: 0.1 }), t('input', 200, 'UINT16'),
    ...Array.from({ length: 6 }, (_, i) => t('coil', i * 3, 'BOOL')),
    ...Array.from({ length: 5 }, (_, i) => t('discrete', 100 + i * 500, 'BOOL')),
  ]
}

/** Tags spread thinly: 4 registers used in every 10. */
function sparse(): ModbusTag[] {
  return Array.from({ length: 20 }, (_, i) => t('input', i * 10 + (i % 3), i % 2 === 0 ? 'UINT32' : 'FLOAT32'))
}

/** Overlapping tags: a word read whole and bit by bit, a 64-bit counter also read as its low 32 bits. */
function overlapping(): ModbusTag[] {
  return [
    t('holding', 100, 'UINT16'), t('holding', 100, 'BOOL', { bit: 0 }), t('holding', 100, 'BOOL', { bit: 9 }),
    t('holding', 101, 'UINT64'), t('holding', 103, 'UINT32', { byteOrder: 'ABCD' }), t('holding', 110, 'STRING', { length: 16 }),
    t('holding', 118, 'INT16'), t('holding', 126, 'FLOAT32'), t('holding', 128, 'UINT16'),
  ]
}

/** Deterministic PRNG (mulberry32), so every run plans the same random maps. */
function rng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

function randomMap(seed: number): SampleMap {
  const r = rng(seed)
  const types: readonly ModbusDataType[] = ['INT16', 'UINT32', 'FLOAT32', 'FLOAT64', 'BOOL', 'STRING']
  const tables: readonly RegisterTable[] = ['holding', 'holding', 'input', 'coil']
  const count = 4 + Math.floor(r() * 11)
  const spread = 20 + Math.floor(r() * 300)
  const tags: ModbusTag[] = []
  for (let i = 0; i < count; i++) {
    const table = tables[Math.floor(r() * tables.length)] as RegisterTable
    const type = table === 'coil' ? 'BOOL' : (types[Math.floor(r() * types.length)] as ModbusDataType)
    tags.push(t(table, Math.floor(r() * spread), type, type === 'STRING' ? { length: 1 + Math.floor(r() * 12) } : {}))
  }
  const opts: PlanOptions = { maxRegisters: [125, 64, 32, 16][Math.floor(r() * 4)] as number, maxBits: [2000, 16][Math.floor(r() * 2)] as number, maxGap: [0, 0, 2, 5, 20][Math.floor(r() * 5)] as number }
  return { name: `random #${seed}`, tags, opts }
}

/** The fewest admissible requests that cover every tag, by exhaustive search; independent of planReads. */
function minimumRequests(tags: readonly ModbusTag[], opts: PlanOptions): number {
  let total = 0
  for (const table of ['holding', 'input', 'coil', 'discrete'] as const) {
    const mine = tags.filter((x) => x.table === table)
    if (mine.length === 0) continue
    if (mine.length > 30) throw new Error(`${mine.length} tags in one table: too many for the exhaustive search`)
    const bitTable = table === 'coil' || table === 'discrete'
    const max = bitTable ? opts.maxBits ?? 2000 : opts.maxRegisters ?? 125
    const maxGap = opts.maxGap ?? 0
    const spans = mine.map((x) => ({ start: x.address, end: x.address + tagSpan(x) }))
    // Candidates: a tag's start to a tag's end; the request delivers the tags wholly inside.
    const candidates: number[] = []
    for (const a of new Set(spans.map((s) => s.start))) {
      for (const b of new Set(spans.map((s) => s.end))) {
        if (b <= a || b - a > max) continue
        let cover = 0
        const used = new Uint8Array(b - a)
        spans.forEach((s, i) => {
          if (s.start >= a && s.end <= b) {
            cover |= 1 << i
            used.fill(1, s.start - a, s.end - a)
          }
        })
        // The range must begin and end on registers its tags use, with no hole over maxGap.
        if (used[0] !== 1 || used[b - a - 1] !== 1) continue
        let hole = 0
        let ok = true
        for (const u of used) {
          hole = u === 1 ? 0 : hole + 1
          if (hole > maxGap) ok = false
        }
        if (ok) candidates.push(cover)
      }
    }
    const all = mine.length === 31 ? 0x7fffffff : (1 << mine.length) - 1
    const memo = new Map<number, number>()
    const search = (covered: number): number => {
      if (covered === all) return 0
      const known = memo.get(covered)
      if (known !== undefined) return known
      // Some request must deliver the lowest tag not yet delivered: try each.
      let lowest = 0
      while (covered & (1 << lowest)) lowest++
      let best = Infinity
      for (const c of candidates) if (c & (1 << lowest)) best = Math.min(best, 1 + search(covered | c))
      memo.set(covered, best)
      return best
    }
    total += search(0)
  }
  return total
}

function main(): number {
  const maps: SampleMap[] = [
    { name: 'energy meter, 20 FLOAT32, no gap read across', tags: meter(), opts: {} },
    { name: 'energy meter, gaps up to 10 read across', tags: meter(), opts: { maxGap: 10 } },
    { name: 'energy meter capped at 32 registers', tags: meter(), opts: { maxRegisters: 32, maxGap: 10 } },
    { name: 'machine PLC: bits, counters, text, alarms', tags: plc(), opts: { maxGap: 4 } },
    { name: 'machine PLC, 16 bits per request', tags: plc(), opts: { maxGap: 4, maxBits: 16 } },
    { name: 'sparse input registers, no gaps', tags: sparse(), opts: {} },
    { name: 'sparse input registers, gaps up to 6', tags: sparse(), opts: { maxGap: 6 } },
    { name: 'overlapping tags, capped at 16', tags: overlapping(), opts: { maxRegisters: 16, maxGap: 8 } },
  ]
  const random = Array.from({ length: 400 }, (_, i) => randomMap(i + 1))
  const rows: string[] = []
  let missed = 0
  const check = (m: SampleMap): { planned: number; minimum: number } => {
    const planned = planReads(m.tags, m.opts).length
    const minimum = minimumRequests(m.tags, m.opts)
    if (planned !== minimum) missed++
    return { planned, minimum }
  }
  const started = performance.now()
  for (const m of maps) {
    const { planned, minimum } = check(m)
    const opts = Object.entries(m.opts).map(([k, v]) => `${k} ${String(v)}`).join(', ') || 'defaults'
    rows.push(`| ${m.name} | ${opts} | ${m.tags.length} | ${planned} | ${minimum} | ${m.tags.length} | ${planned === minimum ? 'PASS' : 'MISS'} |`)
  }
  let randomEqual = 0
  let randomPlanned = 0
  let randomMinimum = 0
  for (const m of random) {
    const { planned, minimum } = check(m)
    randomPlanned += planned
    randomMinimum += minimum
    if (planned === minimum) randomEqual++
    else process.stderr.write(`MISS ${m.name}: planned ${planned}, minimum ${minimum}: ${JSON.stringify({ tags: m.tags, opts: m.opts })}\n`)
  }
  const randomTags = random.reduce((s, m) => s + m.tags.length, 0)
  rows.push(`| ${random.length} random maps (4..14 tags, 4 tables, random caps and gaps) | varied | ${randomTags} | ${randomPlanned} | ${randomMinimum} | ${randomTags} | ${randomEqual === random.length ? 'PASS' : `MISS (${random.length - randomEqual})`} |`)
  const secs = ((performance.now() - started) / 1000).toFixed(1)

  process.stdout.write(
    [
      'Modbus read planning: requests per poll cycle (target: equal to the minimum)',
      '',
      '| register map | options | tags | planReads | minimum (exhaustive) | one per tag (baseline) | result |',
      '|---|---|---:|---:|---:|---:|---|',
      ...rows,
      '',
      `(${maps.length + random.length} maps checked in ${secs} s)`,
      '',
    ].join('\n'),
  )
  return missed === 0 ? 0 : 1
}

process.exit(main())
