/**
 * `shopfloor scan`'s engine: read a device's raw registers or bits and show what each could
 * mean, so plant IT can find a device's register map without its manual (or check the manual's
 * off-by-one and word order). The CLI parses arguments and prints; everything else is here.
 */
import { createChannel } from './channel.ts'
import { ModbusClient, newRequestCounters } from './client.ts'
import { decodeBytes } from './decode.ts'
import { modbusDefaults } from './defaults.ts'
import { ModbusError, exceptionStatus } from './errors.ts'
import { resolveTarget, type TargetOptions } from './source-target.ts'
import { byteOrders, isBitTable, serialParities, type ByteOrder, type RegisterTable, type SerialParity } from './types.ts'

/** A device to scan, from a `modbus://` URL. */
export interface ScanTarget extends TargetOptions {
  readonly unitId: number
}

const schemes: Readonly<Record<string, ScanTarget['transport']>> = {
  'modbus:': 'tcp',
  'modbus+tcp:': 'tcp',
  'modbus+rtu:': 'rtu',
  'modbus+rtu-over-tcp:': 'rtu-over-tcp',
}

function configError(message: string): ModbusError {
  return new ModbusError('SHOPFLOOR_MODBUS_CONFIG', message)
}

function integerParam(url: URL, name: string, min: number, max: number): number | undefined {
  const raw = url.searchParams.get(name)
  if (raw === null) return undefined
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < min || n > max) throw configError(`${name}=${raw} in the URL must be a whole number ${min}..${max}`)
  return n
}

/**
 * Parses `modbus://HOST[:PORT]?unit=N` (Modbus TCP), `modbus+rtu-over-tcp://HOST:PORT?unit=N`, or
 * `modbus+rtu:///dev/ttyUSB0?unit=N&baud=9600&parity=even&stopbits=1` (serial). Throws
 * `SHOPFLOOR_MODBUS_CONFIG` naming what is wrong.
 */
export function parseScanUrl(text: string): ScanTarget {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw configError(`"${text}" is not a URL; use modbus://HOST:PORT?unit=1, modbus+rtu:///dev/ttyUSB0?unit=1&baud=9600 or modbus+rtu-over-tcp://HOST:PORT?unit=1`)
  }
  const transport = schemes[url.protocol]
  if (transport === undefined) throw configError(`scheme "${url.protocol.slice(0, -1)}" is not one of ${Object.keys(schemes).map((s) => s.slice(0, -1)).join(', ')}`)
  const known = new Set(['unit', ...(transport === 'rtu' ? ['baud', 'parity', 'stopbits'] : [])])
  for (const key of url.searchParams.keys()) {
    if (!known.has(key)) throw configError(`URL parameter "${key}" is not known for ${url.protocol.slice(0, -1)} (allowed: ${[...known].join(', ')})`)
  }
  const unitId = integerParam(url, 'unit', transport === 'tcp' ? 0 : 1, transport === 'tcp' ? 255 : 247) ?? modbusDefaults.unitId
  if (transport === 'rtu') {
    const path = decodeURIComponent(url.pathname)
    if (url.host !== '' || path === '' || path === '/') throw configError(`give the serial device as the URL's path: modbus+rtu:///dev/ttyUSB0 (three slashes), got "${text}"`)
    const parity = url.searchParams.get('parity') ?? modbusDefaults.parity
    if (!serialParities.includes(parity as SerialParity)) throw configError(`parity=${parity} in the URL must be one of ${serialParities.join(', ')}`)
    const stopBits = integerParam(url, 'stopbits', 1, 2) ?? modbusDefaults.stopBits
    return {
      transport,
      serialPort: path,
      baudRate: integerParam(url, 'baud', 50, 4_000_000) ?? modbusDefaults.baudRate,
      parity: parity as SerialParity,
      stopBits: stopBits as 1 | 2,
      unitId,
    }
  }
  if (url.hostname === '') throw configError(`the URL needs a host: ${url.protocol}//HOST:PORT?unit=1`)
  if (url.pathname !== '' && url.pathname !== '/') throw configError(`a ${url.protocol.slice(0, -1)} URL has no path, got "${url.pathname}"`)
  return { transport, host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? modbusDefaults.port : Number(url.port), unitId }
}

/** Which registers or bits to read: from `address`, `count` of them. */
export interface ScanRange {
  readonly table: RegisterTable
  readonly address: number
  readonly count: number
}

/** Parses `0-99` or `7` into a range of `table`; `addressBase` 1 reads `1-10` as protocol 0..9. */
export function parseScanRange(table: RegisterTable, text: string, addressBase: 0 | 1 = 0): ScanRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim())
  const what = `--${table === 'coil' ? 'coils' : table} ${text}`
  if (m === null) throw configError(`${what}: give a register range as FIRST-LAST (0-99) or one register (7)`)
  const first = Number(m[1])
  const last = m[2] === undefined ? first : Number(m[2])
  if (last < first) throw configError(`${what}: the last register comes before the first`)
  if (first < addressBase || last > 65535 + addressBase) throw configError(`${what}: registers are ${addressBase}..${65535 + addressBase}${addressBase === 1 ? ' with --address-base 1' : ''}`)
  return { table, address: first - addressBase, count: last - first + 1 }
}

/** One register or bit as read: its value, or why it could not be read. */
export interface ScannedItem {
  readonly address: number
  /** The register (0..65535) or the bit (0, 1); undefined when the read failed. */
  readonly value: number | undefined
  /** `exception 2: illegal data address` when the device refused it. */
  readonly status?: string
}

export interface ScanOptions {
  /** ms per request. Default 2000. */
  readonly timeoutMs?: number
  /** Registers per request. Default 125. */
  readonly maxRegisters?: number
  /** Bits per request. Default 2000. */
  readonly maxBits?: number
  readonly retries?: number
}

/**
 * Reads the ranges from the device, in requests of at most `maxRegisters` (or `maxBits`). A
 * request refused with an exception is split in halves down to single registers, so a scan
 * across the end of a device's map still shows what exists. Connection problems throw a
 * `ModbusError` with what to check.
 */
export async function scanDevice(target: ScanTarget, ranges: readonly ScanRange[], opts: ScanOptions = {}): Promise<ScannedItem[][]> {
  const where = `scan of ${target.transport === 'rtu' ? target.serialPort ?? '' : `${target.host ?? ''}:${target.port ?? ''}`}`
  const channelTarget = resolveTarget(where, target)
  const abort = new AbortController()
  const channel = createChannel(channelTarget, 'scan', () => {})
  const timeoutMs = opts.timeoutMs ?? modbusDefaults.timeoutMs
  const client = new ModbusClient({
    device: { id: 'scan', endpoint: channel.endpoint, unitId: target.unitId },
    channel,
    timeoutMs,
    retries: opts.retries ?? 0,
    retryDelayMs: modbusDefaults.retryDelayMs,
    counters: newRequestCounters(),
    signal: abort.signal,
  })
  try {
    try {
      await channel.open(timeoutMs, abort.signal)
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause)
      const hint = channelTarget.transport === 'rtu' ? '' : '; check host and port, and that the device is on and reachable from here'
      throw new ModbusError('SHOPFLOOR_MODBUS_CONNECT', `cannot reach ${channel.endpoint}: ${reason}${hint}`, { canRetry: true, cause })
    }
    const results: ScannedItem[][] = []
    for (const range of ranges) {
      const max = isBitTable(range.table) ? opts.maxBits ?? modbusDefaults.maxBits : opts.maxRegisters ?? modbusDefaults.maxRegisters
      const items: ScannedItem[] = []
      for (let a = range.address; a < range.address + range.count; a += max) {
        await readSplitting(client, range.table, a, Math.min(max, range.address + range.count - a), items)
      }
      results.push(items)
    }
    return results
  } finally {
    abort.abort()
    await channel.release()
  }
}

async function readSplitting(client: ModbusClient, table: RegisterTable, address: number, count: number, out: ScannedItem[]): Promise<void> {
  try {
    const data = await client.read(table, address, count)
    for (let i = 0; i < count; i++) {
      out.push({ address: address + i, value: isBitTable(table) ? ((data[i >> 3] as number) >> (i & 7)) & 1 : data.readUInt16BE(i * 2) })
    }
  } catch (err) {
    if (!(err instanceof ModbusError) || err.code !== 'SHOPFLOOR_MODBUS_EXCEPTION') throw err
    if (count === 1) {
      out.push({ address, value: undefined, status: exceptionStatus(err.exceptionCode ?? 0) })
      return
    }
    const half = Math.ceil(count / 2)
    await readSplitting(client, table, address, half, out)
    await readSplitting(client, table, address + half, count - half, out)
  }
}

/** What one register and the pair starting at it could mean. */
export interface RegisterDecodings {
  readonly address: number
  readonly word: number
  readonly uint16: number
  readonly int16: number
  /** The two bytes as text, `.` for unprintable ones. */
  readonly ascii: string
  /** INT32 from this register and the next, by byte order; absent at the end of the range. */
  readonly int32?: Readonly<Record<ByteOrder, number>>
  /** FLOAT32 by byte order, only where finite and of a size a measurement has (1e-3..1e9 either sign). */
  readonly float32?: Readonly<Partial<Record<ByteOrder, number>>>
}

const printable = (b: number): string => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')

/** A float that a PLC plausibly holds: finite and of a size a measurement has. */
function plausibleFloat(v: number): boolean {
  const abs = Math.abs(v)
  return Number.isFinite(v) && abs >= 1e-3 && abs <= 1e9
}

/**
 * Every plausible decoding of each register read: INT16/UINT16, text, and INT32 and FLOAT32 in
 * each byte order from it and its successor. Registers that could not be read are skipped, and
 * so are 32-bit values that would need one.
 */
export function registerDecodings(items: readonly ScannedItem[]): RegisterDecodings[] {
  const out: RegisterDecodings[] = []
  const bytes = Buffer.alloc(4)
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as ScannedItem
    if (item.value === undefined) continue
    const w = item.value
    const next = items[i + 1]
    const row: { -readonly [K in keyof RegisterDecodings]: RegisterDecodings[K] } = {
      address: item.address,
      word: w,
      uint16: w,
      int16: (w << 16) >> 16,
      ascii: printable(w >> 8) + printable(w & 0xff),
    }
    if (next?.value !== undefined && next.address === item.address + 1) {
      bytes.writeUInt16BE(w, 0)
      bytes.writeUInt16BE(next.value, 2)
      const int32: Partial<Record<ByteOrder, number>> = {}
      const float32: Partial<Record<ByteOrder, number>> = {}
      for (const order of byteOrders) {
        int32[order] = decodeBytes(bytes, 0, { type: 'INT32', byteOrder: order }) as number
        const f = decodeBytes(bytes, 0, { type: 'FLOAT32', byteOrder: order }) as number
        if (plausibleFloat(f)) float32[order] = f
      }
      row.int32 = int32 as Record<ByteOrder, number>
      if (Object.keys(float32).length > 0) row.float32 = float32
    }
    out.push(row)
  }
  return out
}
