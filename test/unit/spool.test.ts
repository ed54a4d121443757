import { spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ioError } from '../../edge/spool/errors.ts'
import { Spool, type SpoolInput, type SpoolOptions, type SpoolRecord } from '../../edge/spool/index.ts'
import { writeCursor } from '../../edge/spool/cursor.ts'
import { FRAME_HEADER } from '../../edge/spool/frame.ts'
import { SEGMENT_HEADER, segmentName } from '../../edge/spool/segment-file.ts'
import { waitFor } from '../support/wait.ts'

let dir: string
const open: Spool[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-spool-'))
})
afterEach(() => {
  for (const s of open.splice(0)) s.close()
  rmSync(dir, { recursive: true, force: true })
})

function spool(opts: SpoolOptions = {}): Spool {
  const s = new Spool(dir, { fsync: 'never', ...opts })
  open.push(s)
  return s
}

function reopen(s: Spool, opts: SpoolOptions = {}): Spool {
  s.close()
  return spool(opts)
}

/** `n` records numbered from `from`: the value holds the number, keys cycle over 7 machines. */
function recs(from: number, n: number, extra: Partial<SpoolInput> = {}): SpoolInput[] {
  return Array.from({ length: n }, (_, i) => ({
    topic: 'shopfloor.machine_state',
    key: `vn/bd/p1/f1/smt/l1/m${(from + i) % 7}`,
    value: Buffer.from(String(from + i).padEnd(100, '.')),
    ...extra,
  }))
}

const num = (r: SpoolRecord): number => Number.parseInt(r.value.toString(), 10)

/** Reads everything there is, acknowledging as it goes when `ack`. */
function drain(s: Spool, ack = false, max = 1000): SpoolRecord[] {
  const out: SpoolRecord[] = []
  for (;;) {
    const b = s.read(max)
    out.push(...b.records)
    if (ack) s.ack(b.next)
    if (b.next >= s.nextSeq) return out
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)
const segFiles = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort()

describe('spool append, read and ack', () => {
  it('spool reads records back in append order with their topic, key, value and ts', () => {
    const s = spool()
    expect(s.append(recs(0, 3, { ts: 1000 }))).toBe(3)
    const b = s.read()
    expect(b.next).toBe(3)
    expect(b.records.map((r) => [r.seq, r.topic, r.key, num(r), r.ts])).toEqual([
      [0, 'shopfloor.machine_state', 'vn/bd/p1/f1/smt/l1/m0', 0, 1000],
      [1, 'shopfloor.machine_state', 'vn/bd/p1/f1/smt/l1/m1', 1, 1000],
      [2, 'shopfloor.machine_state', 'vn/bd/p1/f1/smt/l1/m2', 2, 1000],
    ])
    expect(s.read().records).toEqual([])
  })

  it('spool writes a burst with one write: its frames lie back to back in one segment', () => {
    const s = spool()
    s.append(recs(0, 50))
    const size = statSync(join(dir, segmentName(0))).size
    expect(size).toBe(SEGMENT_HEADER + 50 * (FRAME_HEADER + 'shopfloor.machine_state'.length + 'vn/bd/p1/f1/smt/l1/m0'.length + 100))
  })

  it('spool read respects maxRecords and maxBytes and continues where it stopped', () => {
    const s = spool()
    s.append(recs(0, 100))
    expect(s.read(30).records.map(num)).toEqual(range(0, 30))
    const frame = FRAME_HEADER + 23 + 21 + 100
    expect(s.read(1000, frame * 10 + 5).records.map(num)).toEqual(range(30, 40))
    // One record always comes, even when larger than maxBytes.
    expect(s.read(1000, 1).records.map(num)).toEqual([40])
    expect(drain(s).map(num)).toEqual(range(41, 100))
  })

  it('spool crosses segment files in order and deletes those fully acknowledged', () => {
    const s = spool({ segmentBytes: 4096, maxBytes: 1024 * 1024 })
    for (let i = 0; i < 40; i++) s.append(recs(i * 10, 10))
    expect(s.stats.segments).toBeGreaterThan(10)
    const got = drain(s, true, 17)
    expect(got.map(num)).toEqual(range(0, 400))
    expect(got.map((r) => r.seq)).toEqual(range(0, 400))
    expect(s.stats).toMatchObject({ depth: 0, appended: 400, acked: 400, segments: 1 })
    expect(segFiles()).toHaveLength(1)
  })

  it('spool replays after reopening exactly what was not acknowledged, in order', () => {
    let s = spool({ segmentBytes: 4096 })
    s.append(recs(0, 120))
    const first = s.read(45)
    s.ack(first.next)
    s.read(30) // read, never acknowledged: replayed
    s = reopen(s, { segmentBytes: 4096 })
    expect(s.ackedSeq).toBe(45)
    expect(s.stats.depth).toBe(75)
    s.append(recs(120, 5))
    expect(drain(s).map(num)).toEqual(range(45, 125))
  })

  it('spool ack of a position not yet read is refused with SHOPFLOOR_SPOOL_ACK; a lower one does nothing', () => {
    const s = spool()
    s.append(recs(0, 10))
    const b = s.read(5)
    expect(() => s.ack(6)).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_SPOOL_ACK' }))
    s.ack(b.next)
    s.ack(2)
    expect(s.ackedSeq).toBe(5)
    expect(s.stats.acked).toBe(5)
  })

  it('spool whenReadable resolves on the next append', async () => {
    const s = spool()
    let woke = false
    const p = s.whenReadable().then(() => (woke = true))
    await new Promise((r) => setTimeout(r, 10))
    expect(woke).toBe(false)
    s.append(recs(0, 1))
    await p
    expect(woke).toBe(true)
  })

  it('spool refuses a record over maxRecordBytes with SHOPFLOOR_SPOOL_RECORD_TOO_LARGE and writes none of the burst', () => {
    const s = spool({ maxRecordBytes: 200 })
    const burst = [...recs(0, 2), { topic: 't', key: 'k', value: Buffer.alloc(201) }]
    expect(() => s.append(burst)).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_SPOOL_RECORD_TOO_LARGE' }))
    expect(s.stats.depth).toBe(0)
    expect(s.nextSeq).toBe(0)
  })

  it('spool used after close throws SHOPFLOOR_SPOOL_CLOSED', () => {
    const s = spool()
    s.close()
    expect(() => s.append(recs(0, 1))).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_SPOOL_CLOSED' }))
  })

  it.each([
    ['always', (n: number) => n >= 3],
    ['never', (n: number) => n === 0],
  ] as const)('spool with fsync %s counts its fsyncs', (fsync, ok) => {
    const s = spool({ fsync })
    for (let i = 0; i < 3; i++) s.append(recs(i, 1))
    expect(ok(s.stats.fsyncs)).toBe(true)
  })

  it('spool with fsync interval syncs in the background', async () => {
    const s = spool({ fsync: 'interval', fsyncIntervalMs: 20 })
    s.append(recs(0, 5))
    await waitFor('a group fsync', () => s.stats.fsyncs > 0, 2000)
  })

  it('spool reports the age of the oldest unacknowledged record', () => {
    const s = spool()
    expect(s.stats.oldestUnsentAgeMs).toBeNull()
    s.append(recs(0, 2, { ts: Date.now() - 5000 }))
    s.append(recs(2, 2))
    expect(s.stats.oldestUnsentAgeMs).toBeGreaterThanOrEqual(5000)
    s.ack(s.read(2).next)
    expect(s.stats.oldestUnsentAgeMs).toBeLessThan(1000)
  })
})

describe('spool options', () => {
  it.each([
    [{ maxBytes: 1000 }, 'spool option maxBytes is 1000; it must be a whole number of at least 16384'],
    [{ maxAgeMs: 0 }, 'spool option maxAgeMs is 0; it must be a whole number of at least 1'],
    [{ segmentBytes: 1.5 }, 'spool option segmentBytes is 1.5; it must be a whole number of at least 4096'],
    [{ fsync: 'sometimes' }, 'spool option fsync is "sometimes"; it must be one of always, interval, never'],
    [{ overflow: 'drop-all' }, 'spool option overflow is "drop-all"; it must be one of drop-oldest, drop-newest'],
  ])('spool option %j is refused with SHOPFLOOR_SPOOL_OPTION', (opts, message) => {
    expect(() => new Spool(dir, opts as SpoolOptions)).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_SPOOL_OPTION', message }))
    // Refused before the lock is taken: the directory stays usable.
    spool()
  })
})

describe('spool torn tail', () => {
  const frame = FRAME_HEADER + 23 + 21 + 100
  it.each([
    ['inside the header of the last frame', 5],
    ['inside the value of the last frame', 60],
    ['one byte short of the last frame', frame - 1],
  ])('spool cut %s keeps every record before it', (_name, keep) => {
    let s = spool()
    s.append(recs(0, 10))
    s.close()
    const file = join(dir, segmentName(0))
    truncateSync(file, SEGMENT_HEADER + 9 * frame + keep)
    s = spool()
    expect(s.stats.dropped.torn).toBe(1)
    expect(s.stats.droppedBytes.torn).toBe(keep)
    expect(statSync(file).size).toBe(SEGMENT_HEADER + 9 * frame)
    s.append(recs(100, 2))
    expect(drain(s).map(num)).toEqual([...range(0, 9), 100, 101])
    s = reopen(s)
    expect(s.stats.dropped.torn).toBe(0)
    expect(drain(s).map(num)).toEqual([...range(0, 9), 100, 101])
  })

  it.each([
    ['zeros', Buffer.alloc(300)],
    ['random bytes', Buffer.from(Array.from({ length: 777 }, (_, i) => (i * 131 + 7) % 256))],
    ['a copy of a frame with one byte changed', null],
  ])('spool cuts off %s appended after the last frame', (_name, garbage) => {
    let s = spool()
    s.append(recs(0, 5))
    s.close()
    const file = join(dir, segmentName(0))
    const bytes = garbage ?? (() => {
      const f = readFileSync(file).subarray(SEGMENT_HEADER, SEGMENT_HEADER + frame)
      f[frame - 3] = (f[frame - 3] as number) ^ 0xff
      return f
    })()
    appendFileSync(file, bytes)
    s = spool()
    expect(s.stats.droppedBytes.torn).toBe(bytes.length)
    expect(drain(s).map(num)).toEqual(range(0, 5))
  })

  it('spool drops a last segment whose header never reached the disk and keeps the older ones', () => {
    let s = spool({ segmentBytes: 4096 })
    for (let i = 0; i < 6; i++) s.append(recs(i * 10, 10))
    const last = s.nextSeq
    s.close()
    writeFileSync(join(dir, segmentName(last)), Buffer.alloc(7))
    s = spool({ segmentBytes: 4096 })
    expect(s.stats.droppedBytes.torn).toBe(7)
    expect(drain(s).map(num)).toEqual(range(0, 60))
  })
})

describe('spool corrupt segment', () => {
  const frame = FRAME_HEADER + 23 + 21 + 100
  // 40 records (four bursts of 10) per segment.
  const SEG = SEGMENT_HEADER + 40 * frame
  function corruptFrame(file: string, index: number): void {
    const b = readFileSync(file)
    const at = SEGMENT_HEADER + index * frame + FRAME_HEADER + 50
    b[at] = (b[at] as number) ^ 0x5a
    writeFileSync(file, b)
  }

  it('spool skips from a damaged frame in an older segment to the next segment and counts what it lost', () => {
    let s = spool({ segmentBytes: SEG })
    for (let i = 0; i < 12; i++) s.append(recs(i * 10, 10))
    s.close()
    const files = segFiles()
    expect(files).toEqual([segmentName(0), segmentName(40), segmentName(80)])
    // Damage the 5th record of segment 1 (records 40..79).
    corruptFrame(join(dir, files[1] as string), 4)
    s = spool({ segmentBytes: SEG })
    const got = drain(s, true)
    expect(got.map(num)).toEqual([...range(0, 44), ...range(80, 120)])
    expect(s.stats.dropped.corrupt).toBe(36)
    expect(s.stats.droppedBytes.corrupt).toBe(36 * frame)
    expect(s.stats).toMatchObject({ depth: 0, acked: 84 })
    // Acknowledged past it: the damaged file is gone, and nothing is counted twice.
    expect(segFiles()).not.toContain(files[1])
    s = reopen(s, { segmentBytes: SEG })
    expect(s.stats.dropped.corrupt).toBe(0)
  })

  it('spool skips an older segment with a damaged header', () => {
    let s = spool({ segmentBytes: SEG })
    for (let i = 0; i < 12; i++) s.append(recs(i * 10, 10))
    s.close()
    const f = join(dir, segmentName(40))
    const b = readFileSync(f)
    b[2] = 0
    writeFileSync(f, b)
    s = spool({ segmentBytes: SEG })
    expect(s.stats.dropped.corrupt).toBe(40)
    expect(drain(s).map(num)).toEqual([...range(0, 40), ...range(80, 120)])
  })

  it('spool depth excludes records lost to damage found while reading', () => {
    let s = spool({ segmentBytes: SEG })
    for (let i = 0; i < 12; i++) s.append(recs(i * 10, 10))
    s.close()
    corruptFrame(join(dir, segmentName(0)), 10)
    s = spool({ segmentBytes: SEG })
    expect(s.stats.depth).toBe(120)
    expect(s.read(200).records.map(num)).toEqual([...range(0, 10), ...range(40, 120)])
    expect(s.stats.depth).toBe(90)
    expect(s.stats.dropped.corrupt).toBe(30)
  })
})

describe('spool bounds', () => {
  const frame = FRAME_HEADER + 23 + 21 + 100
  it('spool with drop-oldest stays under maxBytes, keeps the newest records in order and counts the dropped', () => {
    const s = spool({ maxBytes: 64 * 1024, overflow: 'drop-oldest' })
    for (let i = 0; i < 200; i++) {
      s.append(recs(i * 10, 10))
      expect(s.stats.bytes).toBeLessThanOrEqual(64 * 1024)
    }
    const st = s.stats
    expect(st.dropped.size).toBeGreaterThan(0)
    expect(st.droppedBytes.size).toBeGreaterThan(0)
    expect(st.dropped.size + st.depth).toBe(2000)
    const got = drain(s).map(num)
    expect(got).toEqual(range(2000 - got.length, 2000))
    expect(got.length).toBeGreaterThan((0.7 * 64 * 1024) / frame)
  })

  it('spool with drop-oldest drops what is in flight and carries on from the oldest kept', () => {
    const s = spool({ maxBytes: 64 * 1024 })
    s.append(recs(0, 100))
    const inFlight = s.read(50)
    for (let i = 1; i < 30; i++) s.append(recs(i * 100, 100))
    s.ack(inFlight.next) // behind the cursor already: no effect
    const got = drain(s).map(num)
    expect(got[0]).toBe(s.ackedSeq)
    expect(got).toEqual(range(got[0] as number, 3000))
  })

  it('spool with drop-newest refuses what does not fit and keeps the oldest records', () => {
    const s = spool({ maxBytes: 32 * 1024, overflow: 'drop-newest' })
    let taken = 0
    for (let i = 0; i < 40; i++) taken += s.append(recs(i * 10, 10))
    const st = s.stats
    expect(st.bytes).toBeLessThanOrEqual(32 * 1024)
    expect(taken).toBeLessThan(400)
    expect(st.dropped.size).toBe(400 - taken)
    expect(drain(s).map(num)).toEqual(range(0, taken))
    // Once acknowledged records make room, appends are taken again.
    s.ack(s.nextSeq)
    expect(s.append(recs(1000, 10))).toBe(10)
  })

  it('spool drops records older than maxAgeMs at the head and counts them as age', async () => {
    const s = spool({ maxAgeMs: 500 })
    s.append(recs(0, 30, { ts: Date.now() - 10_000 }))
    s.append(recs(30, 5))
    await waitFor('age drops', () => s.stats.dropped.age === 30, 2000)
    expect(drain(s).map(num)).toEqual(range(30, 35))
  })

  it('spool drops whole segments past maxAgeMs on opening', () => {
    let s = spool({ segmentBytes: 4096 })
    const old = Date.now() - 3_600_000
    for (let i = 0; i < 10; i++) s.append(recs(i * 10, 10, { ts: old }))
    s.append(recs(100, 3))
    s = reopen(s, { segmentBytes: 4096, maxAgeMs: 60_000 })
    expect(s.stats.dropped.age).toBe(100)
    expect(drain(s).map(num)).toEqual([100, 101, 102])
  })
})

describe('spool logs and errors', () => {
  function capture(): { logger: pino.Logger; msgs: string[] } {
    const msgs: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) msgs.push((JSON.parse(l) as { msg: string }).msg)
        cb()
      },
    })
    return { logger: pino({ level: 'info' }, sink), msgs }
  }

  it('spool logs reaching maxBytes once however many segments it drops, and once when back under it', () => {
    const { logger, msgs } = capture()
    const s = spool({ maxBytes: 64 * 1024, logger })
    for (let i = 0; i < 200; i++) s.append(recs(i * 10, 10))
    expect(s.stats.dropped.size).toBeGreaterThan(500)
    expect(msgs.filter((m) => m.startsWith('spool reached maxBytes'))).toEqual(['spool reached maxBytes: dropping the oldest unsent events'])
    drain(s, true)
    expect(msgs.filter((m) => m === 'spool back under maxBytes')).toHaveLength(1)
  })

  it('spool in a path that is a file fails with SHOPFLOOR_SPOOL_IO naming it', () => {
    const file = join(dir, 'not-a-dir')
    writeFileSync(file, 'x')
    expect(() => new Spool(join(file, 'spool'))).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_SPOOL_IO', message: expect.stringContaining(join(file, 'spool')) }))
  })

  it.each([
    ['ENOSPC', true, 'the disk is full; free space or lower the spool maxBytes'],
    ['EACCES', false, 'the agent user may not write there'],
    ['EROFS', false, 'the file system is read-only'],
    ['EIO', true, '(EIO)'],
  ])('spool I/O error %s says what to do and whether retrying helps', (errno, canRetry, text) => {
    const cause = Object.assign(new Error('x'), { code: errno })
    const e = ioError('appending to', '/var/lib/shopfloor/spool/0000000000000000.seg', cause)
    expect(e).toMatchObject({ code: 'SHOPFLOOR_SPOOL_IO', canRetry, cause })
    expect(e.message).toContain('appending to /var/lib/shopfloor/spool/0000000000000000.seg failed')
    expect(e.message).toContain(text)
  })
})

describe('spool cursor and lock', () => {
  it('spool with a damaged cursor file replays everything on disk', () => {
    let s = spool()
    s.append(recs(0, 10))
    s.ack(s.read(6).next)
    s.close()
    writeFileSync(join(dir, 'cursor'), 'acked 6 crc 00000000\n')
    s = spool()
    expect(s.ackedSeq).toBe(0)
    expect(drain(s).map(num)).toEqual(range(0, 10))
  })

  it('spool with a cursor past the data on disk continues from the cursor', () => {
    let s = spool()
    s.append(recs(0, 10))
    s.ack(s.read(10).next)
    s.close()
    expect(readFileSync(join(dir, 'cursor'), 'latin1')).toMatch(/^acked 10 crc [0-9a-f]{8}\n$/)
    // As after a power loss that kept the cursor past records 0..49 but lost records 10..49.
    writeCursor(dir, 50, false)
    s = spool()
    expect(s.nextSeq).toBe(50)
    expect(s.stats.depth).toBe(0)
    s.append(recs(50, 2))
    expect(drain(s).map((r) => r.seq)).toEqual([50, 51])
    s = reopen(s)
    expect(drain(s).map(num)).toEqual([50, 51])
  })

  it('spool lock refuses a second owner with SHOPFLOOR_SPOOL_LOCKED until the first closes', () => {
    const s = spool()
    expect(() => new Spool(dir)).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_SPOOL_LOCKED', message: expect.stringContaining(`process ${process.pid} (this one)`) }))
    s.close()
    spool()
  })

  it('spool lock held by another live process is refused', () => {
    writeFileSync(join(dir, 'lock'), `${process.ppid} -\n`)
    expect(() => new Spool(dir)).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_SPOOL_LOCKED', message: expect.stringContaining(`process ${process.ppid}`) }))
  })

  it.each([
    ['a dead process', () => `${deadPid()} -\n`],
    ['this PID in an earlier life (container restart)', () => `${process.pid} -\n`],
    ['a live PID that started at another time (recycled)', () => `${process.ppid} 1\n`],
    ['a torn lock file', () => ''],
  ])('spool lock left by %s is taken over', (_name, content) => {
    writeFileSync(join(dir, 'lock'), content())
    const s = spool()
    expect(readFileSync(join(dir, 'lock'), 'latin1')).toMatch(new RegExp(`^${process.pid} `))
    s.close()
    expect(existsSync(join(dir, 'lock'))).toBe(false)
  })
})

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(r.stdout.toString())
}
