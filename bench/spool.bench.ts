// Spool append-and-acknowledge throughput: bursts of encoded events appended (one write each),
// read back in batches and acknowledged (cursor written, drained segments deleted), as the agent
// and its forwarder use it. Baseline in the same run: fs.writeSync of the very same frame bytes,
// burst by burst, into one file (no framing, no read, no acknowledgement): the disk's ceiling.
//
//   node bench/spool.bench.ts
//   SPOOL_BENCH_EVENTS=2000000 SPOOL_BENCH_BURST=500 node bench/spool.bench.ts
//
// Target (issue 4): >= 100,000 events/s with the default durability (fsync every 1000 ms).
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Spool, type FsyncPolicy, type SpoolInput } from '../edge/spool/index.ts'
import { encodeFrames } from '../edge/spool/frame.ts'

const EVENTS = Number(process.env['SPOOL_BENCH_EVENTS'] ?? 600_000)
const BURST = Number(process.env['SPOOL_BENCH_BURST'] ?? 100)
const READ_BATCH = 5000
const MACHINES = 200
const TARGET_EPS = 100_000
const ROUNDS = 3

/** Bursts of events as the agent makes them: 100-200 byte values, keys over 200 machines, four topics. */
function bursts(): SpoolInput[][] {
  const topics = ['shopfloor.tag_sample', 'shopfloor.machine_state', 'shopfloor.production_count', 'shopfloor.energy_reading']
  const out: SpoolInput[][] = []
  for (let i = 0; i < EVENTS; i += BURST) {
    const b: SpoolInput[] = []
    for (let j = i; j < Math.min(EVENTS, i + BURST); j++) {
      const value = Buffer.alloc(100 + ((j * 37) % 101), j % 251)
      b.push({ topic: topics[j % 4] as string, key: `vn-hcm/vsip-1/f${j % 3}/smt/line-${j % 5}/m${j % MACHINES}`, value })
    }
    out.push(b)
  }
  return out
}

/** Appends every burst; reads and acknowledges a batch whenever one is due, and at the end. */
function spoolRun(dir: string, fsync: FsyncPolicy, data: SpoolInput[][]): { eps: number; fsyncs: number } {
  const s = new Spool(dir, { fsync })
  const started = performance.now()
  let acked = 0
  for (const b of data) {
    s.append(b)
    if (s.nextSeq - s.ackedSeq >= READ_BATCH) {
      const r = s.read(READ_BATCH)
      s.ack(r.next)
      acked += r.records.length
    }
  }
  for (let r = s.read(READ_BATCH); r.records.length > 0; r = s.read(READ_BATCH)) {
    s.ack(r.next)
    acked += r.records.length
  }
  const secs = (performance.now() - started) / 1000
  const { fsyncs, depth } = s.stats
  s.close()
  if (acked !== EVENTS || depth !== 0) throw new Error(`spool acknowledged ${acked} of ${EVENTS} (depth ${depth})`)
  return { eps: EVENTS / secs, fsyncs }
}

/** The same frame bytes, one writeSync per burst, nothing else. */
function rawRun(file: string, frames: Buffer[]): number {
  const fd = openSync(file, 'w')
  const started = performance.now()
  for (const f of frames) writeSync(fd, f)
  const secs = (performance.now() - started) / 1000
  closeSync(fd)
  return EVENTS / secs
}

function main(): number {
  const dir = mkdtempSync(join(tmpdir(), 'shopfloor-bench-spool-'))
  try {
    const data = bursts()
    const frames = data.map((b) => encodeFrames(b, Date.now(), 1 << 20))
    const bytes = frames.reduce((n, f) => n + f.length, 0)
    const runs: Record<string, number[]> = { raw: [], interval: [], never: [], always: [] }
    const fsyncs: Record<string, number> = {}
    // Alternate the measurements so that load from other processes falls on all alike.
    for (let round = 0; round < ROUNDS; round++) {
      runs['raw']?.push(rawRun(join(dir, `raw-${round}`), frames))
      rmSync(join(dir, `raw-${round}`))
      for (const policy of ['interval', 'never'] as const) {
        const r = spoolRun(join(dir, `${policy}-${round}`), policy, data)
        runs[policy]?.push(r.eps)
        fsyncs[policy] = r.fsyncs
        rmSync(join(dir, `${policy}-${round}`), { recursive: true })
      }
    }
    // fsync per burst is far slower: one round on a tenth of the events, for the record.
    const alwaysData = data.slice(0, Math.max(1, Math.floor(data.length / 10)))
    const alwaysEvents = alwaysData.reduce((n, b) => n + b.length, 0)
    {
      const s = new Spool(join(dir, 'always'), { fsync: 'always' })
      const started = performance.now()
      for (const b of alwaysData) {
        s.append(b)
        if (s.nextSeq - s.ackedSeq >= READ_BATCH) s.ack(s.read(READ_BATCH).next)
      }
      for (let r = s.read(READ_BATCH); r.records.length > 0; r = s.read(READ_BATCH)) s.ack(r.next)
      runs['always']?.push(alwaysEvents / ((performance.now() - started) / 1000))
      fsyncs['always'] = s.stats.fsyncs
      s.close()
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
    const f = (x: number): string => Math.round(x).toLocaleString('en-US')
    const raw = median(runs['raw'] ?? [])
    const ours = median(runs['interval'] ?? [])
    const ok = ours >= TARGET_EPS
    const row = (name: string, eps: number, target: string, verdict: string): string => `| ${name} | ${f(eps)} | ${(eps / raw).toFixed(2)} | ${target} | ${verdict} |`
    process.stdout.write(
      [
        `Spool append-and-acknowledge: ${f(EVENTS)} events (${(bytes / EVENTS).toFixed(0)} B framed on average) in bursts of ${BURST}, read and acknowledged in batches of ${READ_BATCH}; median of ${ROUNDS} rounds`,
        '',
        '| run | events/s | vs raw writeSync | target | result |',
        '|---|---:|---:|---:|---|',
        row('raw fs.writeSync of the same frames (baseline)', raw, '', ''),
        row(`spool, fsync interval 1000 ms (default; ${fsyncs['interval']} fsyncs)`, ours, `>= ${f(TARGET_EPS)}`, ok ? 'PASS' : 'MISS'),
        row(`spool, fsync never (${fsyncs['never']} fsyncs)`, median(runs['never'] ?? []), '', ''),
        row(`spool, fsync always: one per burst (${f(alwaysEvents)} events, 1 round, ${fsyncs['always']} fsyncs)`, median(runs['always'] ?? []), '', ''),
        '',
      ].join('\n'),
    )
    return ok ? 0 : 1
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

process.exit(main())
