// Modbus polling throughput: decoded values per second from 50 simulated devices (Modbus TCP, one
// connection each, one request in flight per connection), through ModbusSource and, in the same
// run, through a plain socket client that sends the same two requests per device and decodes the
// same 101 values per cycle with Buffer reads: the raw-socket ceiling. A third column runs
// modbus-serial's client (the library the connector used to poll with) on the same requests.
//
// The simulator runs in a child process (this file, forked with --serve) on its own core, so its
// work is not counted against the client: "per core" divides the values by the CPU time of this
// process alone (process.cpuUsage, user + system). The simulator's own rate is reported from its
// side: requests it answered per second of its own CPU time.
//
//   node bench/modbus.bench.ts
//   MODBUS_BENCH_SECONDS=5 MODBUS_BENCH_DEVICES=50 node bench/modbus.bench.ts
//
// Targets (issue 3): ModbusSource >= 1/2 of the plain client's values/s, and >= 200,000 decoded
// values per second per core.
import { fork, type ChildProcess } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import ModbusSerial from 'modbus-serial'
import { ModbusSource, planReads, startModbusSimulator, type ModbusTag } from '../connectors/modbus/index.ts'

const DEVICES = Number(process.env['MODBUS_BENCH_DEVICES'] ?? 50)
const SECONDS = Number(process.env['MODBUS_BENCH_SECONDS'] ?? 3)
const ROUNDS = 3
const TARGET_RATIO = 0.5
const TARGET_PER_CORE = 200_000

/**
 * Each device's map, a meter with a status word: 40 FLOAT32 (word-swapped) at 0..79, 30 INT16
 * tenths at 80..109, 20 UINT32 at 110..149, 11 status bits in register 150. 101 values in 151
 * registers: two requests.
 */
function deviceTags(): ModbusTag[] {
  const tags: ModbusTag[] = []
  for (let i = 0; i < 40; i++) tags.push({ name: `f${i}`, table: 'holding', address: i * 2, type: 'FLOAT32', byteOrder: 'CDAB' })
  for (let i = 0; i < 30; i++) tags.push({ name: `t${i}`, table: 'holding', address: 80 + i, type: 'INT16', scale: 0.1 })
  for (let i = 0; i < 20; i++) tags.push({ name: `c${i}`, table: 'holding', address: 110 + i * 2, type: 'UINT32' })
  for (let b = 0; b < 11; b++) tags.push({ name: `s${b}`, table: 'holding', address: 150, type: 'BOOL', bit: b })
  return tags
}
const VALUES_PER_CYCLE = 101
/** The planner's two reads (0..123, 124..150: a UINT32 is never split), which the plain client sends too. */
const PLAN = planReads(deviceTags())
const REQUESTS: readonly (readonly [number, number])[] = PLAN.map((r) => [r.address, r.count])
/** Per read, what the plain client decodes: kind and byte offset in the response data (bit for BOOL). */
const DECODES = PLAN.map((r) => r.tags.map((t) => ({ kind: t.type, at: (t.address - r.address) * 2, bit: t.bit ?? 0 })))

// ---- the simulator process -------------------------------------------------------------------

async function serve(): Promise<void> {
  const ports: number[] = []
  const sims: Awaited<ReturnType<typeof startModbusSimulator>>[] = []
  for (let d = 0; d < DEVICES; d++) {
    const s = await startModbusSimulator({ units: { 1: { holding: 160 } } })
    // Values a meter might hold: 230 V-ish floats, temperatures, counters, a few bits set.
    for (const tag of deviceTags()) {
      const i = Number(tag.name.slice(1))
      const v = tag.type === 'FLOAT32' ? Math.fround(230 + i * 1.37 + d) : tag.type === 'INT16' ? 20 + i : tag.type === 'UINT32' ? 1_000_000 * d + i * 7919 : i % 3 === 0
      s.setTagValue(1, tag, v)
    }
    sims.push(s)
    ports.push(s.port)
  }
  let mark = { requests: 0, cpu: process.cpuUsage() }
  const total = (): number => sims.reduce((n, s) => n + s.stats.requests, 0)
  process.on('message', (m: string) => {
    if (m === 'mark') mark = { requests: total(), cpu: process.cpuUsage() }
    if (m === 'read') {
      const cpu = process.cpuUsage(mark.cpu)
      process.send?.({ requests: total() - mark.requests, cpuSeconds: (cpu.user + cpu.system) / 1e6 })
    }
    if (m === 'stop') process.exit(0)
  })
  process.send?.({ ports })
}

// ---- the three clients ------------------------------------------------------------------------

interface Measure {
  readonly values: number
  readonly wallSeconds: number
  readonly cpuSeconds: number
}

async function measure(run: (stop: { stopped: boolean }, count: (n: number) => void) => Promise<() => Promise<void>>): Promise<Measure> {
  let values = 0
  const stop = { stopped: false }
  const count = (n: number): void => {
    values += n
  }
  const finish = await run(stop, count)
  // Warm up for a second (JIT, connections), then measure.
  await new Promise((r) => setTimeout(r, 1000))
  values = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, SECONDS * 1000))
  const got = values
  const cpu = process.cpuUsage(cpu0)
  const wallSeconds = (performance.now() - t0) / 1000
  stop.stopped = true
  await finish()
  return { values: got, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
}

/** A plain socket per device: MBAP by hand, one request in flight, the same values decoded with Buffer reads. */
function plainClient(ports: readonly number[]) {
  return async (stop: { stopped: boolean }, count: (n: number) => void): Promise<() => Promise<void>> => {
    const sockets: Socket[] = await Promise.all(ports.map((port) => new Promise<Socket>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(s))
      s.setNoDelay(true)
    })))
    let sink = 0
    const swapped = Buffer.alloc(4)
    for (const socket of sockets) {
      let tx = 0
      let step = 0
      let pending: Buffer | undefined
      const send = (): void => {
        const [address, n] = REQUESTS[step] as readonly [number, number]
        const frame = Buffer.allocUnsafe(12)
        tx = (tx + 1) & 0xffff
        frame.writeUInt16BE(tx, 0)
        frame.writeUInt16BE(0, 2)
        frame.writeUInt16BE(6, 4)
        frame[6] = 1
        frame[7] = 3
        frame.writeUInt16BE(address, 8)
        frame.writeUInt16BE(n, 10)
        socket.write(frame)
      }
      socket.on('data', (chunk: Buffer) => {
        let buf = pending === undefined ? chunk : Buffer.concat([pending, chunk])
        pending = undefined
        while (buf.length >= 6 && buf.length >= 6 + buf.readUInt16BE(4)) {
          const end = 6 + buf.readUInt16BE(4)
          const data = 9
          const decodes = DECODES[step] ?? []
          for (const d of decodes) {
            const o = data + d.at
            switch (d.kind) {
              case 'FLOAT32':
                // word-swapped (CDAB): the low word first
                swapped[0] = buf[o + 2] as number
                swapped[1] = buf[o + 3] as number
                swapped[2] = buf[o] as number
                swapped[3] = buf[o + 1] as number
                sink += swapped.readFloatBE(0)
                break
              case 'INT16':
                sink += buf.readInt16BE(o) * 0.1
                break
              case 'UINT32':
                sink += buf.readUInt32BE(o)
                break
              default:
                sink += (buf.readUInt16BE(o) >> d.bit) & 1
            }
          }
          count(decodes.length)
          buf = buf.subarray(end)
          step = 1 - step
          if (!stop.stopped) send()
        }
        if (buf.length > 0) pending = buf
      })
      socket.on('error', () => {})
      send()
    }
    return async () => {
      if (Number.isNaN(sink)) throw new Error('decoded nothing')
      for (const s of sockets) s.destroy()
    }
  }
}

/** ModbusSource per device, polling back to back (a 1 ms interval it cannot keep). */
function sources(ports: readonly number[]) {
  return async (_stop: { stopped: boolean }, count: (n: number) => void): Promise<() => Promise<void>> => {
    const tags = deviceTags()
    const all = ports.map((port, i) => new ModbusSource({ id: `meter-${i}`, host: '127.0.0.1', port, pollIntervalMs: 0, tags }))
    for (const s of all) {
      if (s.requests.length !== REQUESTS.length) throw new Error(`planned ${s.requests.length} requests, expected ${REQUESTS.length}`)
      s.start((values) => count(values.size))
    }
    return async () => {
      await Promise.all(all.map((s) => s.stop()))
    }
  }
}

/** modbus-serial's client per device, the same two reads in turn; values counted, registers not decoded. */
function modbusSerial(ports: readonly number[]) {
  return async (stop: { stopped: boolean }, count: (n: number) => void): Promise<() => Promise<void>> => {
    const clients = await Promise.all(ports.map(async (port) => {
      const c = new ModbusSerial.default()
      await c.connectTCP('127.0.0.1', { port })
      c.setID(1)
      c.setTimeout(2000)
      return c
    }))
    const loops = clients.map(async (c) => {
      while (!stop.stopped) {
        for (const [i, [address, n]] of REQUESTS.entries()) {
          await c.readHoldingRegisters(address, n)
          count(DECODES[i]?.length ?? 0)
        }
      }
    })
    return async () => {
      await Promise.all(loops)
      await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.close(() => resolve()))))
    }
  }
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

async function main(): Promise<number> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ask = <T>(m: string): Promise<T> =>
    new Promise((resolve) => {
      child.once('message', (r) => resolve(r as T))
      child.send(m)
    })
  const { ports } = await new Promise<{ ports: number[] }>((resolve) => child.once('message', (m) => resolve(m as { ports: number[] })))
  try {
    const runs: Record<'plain' | 'source' | 'serial', Measure[]> = { plain: [], source: [], serial: [] }
    const simRates: number[] = []
    // Alternate, so load from other processes on this machine falls on all alike.
    for (let round = 0; round < ROUNDS; round++) {
      child.send('mark')
      runs.plain.push(await measure(plainClient(ports)))
      const sim = await ask<{ requests: number; cpuSeconds: number }>('read')
      simRates.push(sim.requests / sim.cpuSeconds)
      runs.source.push(await measure(sources(ports)))
      runs.serial.push(await measure(modbusSerial(ports)))
    }
    const rate = (m: Measure): number => m.values / m.wallSeconds
    const perCore = (m: Measure): number => m.values / m.cpuSeconds
    const plain = median(runs.plain.map(rate))
    const source = median(runs.source.map(rate))
    const serial = median(runs.serial.map(rate))
    const sourceCore = median(runs.source.map(perCore))
    const ratio = source / plain
    const okRatio = ratio >= TARGET_RATIO
    const okCore = sourceCore >= TARGET_PER_CORE
    process.stdout.write(
      [
        `Modbus polling: ${DEVICES} devices over Modbus TCP, ${VALUES_PER_CYCLE} values in ${REQUESTS.length} requests per device and cycle, ` +
          `median of ${ROUNDS} rounds of ${SECONDS} s; simulator in its own process`,
        '',
        '| client | values/s | CPU of this process | values per CPU second |',
        '|---|---:|---:|---:|',
        `| plain socket client (baseline) | ${fmt(plain)} | ${(median(runs.plain.map((m) => m.cpuSeconds / m.wallSeconds)) * 100).toFixed(0)} % | ${fmt(median(runs.plain.map(perCore)))} |`,
        `| **ModbusSource** | **${fmt(source)}** | ${(median(runs.source.map((m) => m.cpuSeconds / m.wallSeconds)) * 100).toFixed(0)} % | **${fmt(sourceCore)}** |`,
        `| modbus-serial client, values not decoded (for comparison) | ${fmt(serial)} | ${(median(runs.serial.map((m) => m.cpuSeconds / m.wallSeconds)) * 100).toFixed(0)} % | ${fmt(median(runs.serial.map(perCore)))} |`,
        '',
        '| target | measured | result |',
        '|---|---:|---|',
        `| ModbusSource / plain client >= ${TARGET_RATIO} | ${ratio.toFixed(2)} | ${okRatio ? 'PASS' : 'MISS'} |`,
        `| decoded values per second per core >= ${fmt(TARGET_PER_CORE)} | ${fmt(sourceCore)} | ${okCore ? 'PASS' : 'MISS'} |`,
        '',
        `Simulator: ${fmt(median(simRates))} requests per second of its own CPU time (answering the plain client; ${fmt(plain / (VALUES_PER_CYCLE / REQUESTS.length))} requests/s wall).`,
        '',
      ].join('\n'),
    )
    return okRatio && okCore ? 0 : 1
  } finally {
    child.send('stop')
  }
}

if (process.argv.includes('--serve')) await serve()
else process.exit(await main())
