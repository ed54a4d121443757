import {
  ModbusError,
  parseScanRange,
  parseScanUrl,
  registerDecodings,
  scanDevice,
  type RegisterTable,
  type ScannedItem,
  type ByteOrder,
  type ScanRange,
} from '../../../connectors/index.ts'
import { EXIT, type Command } from '../run.ts'

const USAGE =
  'shopfloor scan URL [--holding 0-99] [--input 0-99] [--coils 0-99] [--discrete 0-99] [--address-base 0|1] [--max-registers 125] [--timeout 2000] [--json]\n' +
  '  URL: modbus://HOST[:PORT]?unit=1                                   Modbus TCP (port 502 by default)\n' +
  '       modbus+rtu:///dev/ttyUSB0?unit=1&baud=9600&parity=even&stopbits=1  RTU on a serial port\n' +
  '       modbus+rtu-over-tcp://HOST:PORT?unit=1                        RTU through a serial-to-Ethernet converter'

const tableOptions: ReadonlyArray<readonly [string, RegisterTable]> = [
  ['holding', 'holding'],
  ['input', 'input'],
  ['coils', 'coil'],
  ['discrete', 'discrete'],
]

const pad = (v: unknown, n: number): string => String(v).padStart(n)

/** The orders in the order they are met in the field: big-endian, word swap, byte swap, both. */
const byteOrders: readonly ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA']

function registerLines(items: readonly ScannedItem[], base: number): string[] {
  const lines = [
    `${pad('address', 7)} ${pad('hex', 6)} ${pad('uint16', 6)} ${pad('int16', 6)} ${'ascii'.padEnd(6)}|${byteOrders.map((o) => pad(`int32 ${o}`, 12)).join('')} |${byteOrders.map((o) => pad(`float32 ${o}`, 14)).join('')}`,
  ]
  const decoded = new Map(registerDecodings(items).map((d) => [d.address, d]))
  for (const item of items) {
    const d = decoded.get(item.address)
    if (d === undefined) {
      lines.push(`${pad(item.address + base, 7)} ${item.status ?? 'not read'}`)
      continue
    }
    const ints = byteOrders.map((o) => pad(d.int32?.[o] ?? '', 12)).join('')
    const floats = byteOrders.map((o) => pad(d.float32?.[o] ?? '', 14)).join('')
    lines.push(`${pad(d.address + base, 7)} ${pad(d.word.toString(16).toUpperCase().padStart(4, '0'), 6)} ${pad(d.uint16, 6)} ${pad(d.int16, 6)} ${`"${d.ascii}"`.padEnd(6)}|${ints} |${floats}`)
  }
  return lines
}

function bitLines(items: readonly ScannedItem[], base: number): string[] {
  const lines: string[] = []
  for (let i = 0; i < items.length; i += 16) {
    const row = items.slice(i, i + 16)
    const first = (row[0] as ScannedItem).address + base
    const last = (row.at(-1) as ScannedItem).address + base
    lines.push(`${pad(`${first}-${last}`, 11)}  ${row.map((b) => (b.value === undefined ? 'x' : String(b.value))).join(' ')}`)
    for (const b of row) if (b.status !== undefined) lines.push(`${pad(b.address + base, 11)}  ${b.status}`)
  }
  return lines
}

export const scan: Command = {
  summary:
    'Reads a Modbus device\'s registers (or coils and discrete inputs) and prints each raw register with its plausible decodings: ' +
    'UINT16, INT16, two characters of text, and INT32 and FLOAT32 from it and the next register in each byte order (ABCD, CDAB, BADC, DCBA; ' +
    'floats only where finite and of a measurement\'s size). Use it to find a device\'s register map or check a manual\'s off-by-one and word order: ' +
    'look for a value you know (a voltage near 230, a counter that moves). A refused read is split until each register that does not exist is shown as such.',
  usage: USAGE,
  options: {
    holding: { type: 'string' },
    input: { type: 'string' },
    coils: { type: 'string' },
    discrete: { type: 'string' },
    'address-base': { type: 'string' },
    'max-registers': { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }) {
    const usage = (problem: string): number => {
      process.stderr.write(`shopfloor scan: ${problem}\nUsage: ${USAGE}\n`)
      return EXIT.usage
    }
    const [url, ...extra] = positionals
    if (url === undefined || extra.length > 0) return usage('give exactly one device URL')
    const int = (name: string, def: number, min: number, max: number): number | undefined => {
      const text = values[name]
      if (text === undefined) return def
      const n = Number(text)
      return typeof text === 'string' && /^\d+$/.test(text) && n >= min && n <= max ? n : undefined
    }
    const base = int('address-base', 0, 0, 1)
    if (base === undefined) return usage(`--address-base must be 0 or 1 (got "${String(values['address-base'])}")`)
    const maxRegisters = int('max-registers', 125, 1, 125)
    if (maxRegisters === undefined) return usage(`--max-registers must be a whole number 1..125 (got "${String(values['max-registers'])}")`)
    const timeoutMs = int('timeout', 2000, 1, 600_000)
    if (timeoutMs === undefined) return usage(`--timeout must be a whole number of ms (got "${String(values['timeout'])}")`)

    let target
    const ranges: ScanRange[] = []
    try {
      target = parseScanUrl(url)
      for (const [option, table] of tableOptions) {
        const text = values[option]
        if (typeof text === 'string') ranges.push(parseScanRange(table, text, base as 0 | 1))
      }
    } catch (err) {
      if (err instanceof ModbusError) return usage(err.message)
      throw err
    }
    if (ranges.length === 0) return usage('say what to read: --holding, --input, --coils or --discrete with a range such as 0-99')

    const results = await scanDevice(target, ranges, { timeoutMs, maxRegisters })
    if (values['json'] === true) {
      const out = ranges.map((r, i) => {
        const items = results[i] ?? []
        return {
          table: r.table,
          items: items.map((it) => ({ ...it, address: it.address + base })),
          ...(r.table === 'holding' || r.table === 'input' ? { decodings: registerDecodings(items).map((d) => ({ ...d, address: d.address + base })) } : {}),
        }
      })
      process.stdout.write(JSON.stringify({ url, unitId: target.unitId, addressBase: base, ranges: out }, null, 2) + '\n')
      return EXIT.ok
    }
    const blocks = ranges.map((r, i) => {
      const items = results[i] ?? []
      const fc = { coil: 1, discrete: 2, holding: 3, input: 4 }[r.table]
      const title = `${url}  ${r.table} ${r.address + base}..${r.address + r.count - 1 + base} (FC ${fc}${base === 1 ? ', 1-based addresses' : ''})`
      return [title, '', ...(r.table === 'coil' || r.table === 'discrete' ? bitLines(items, base) : registerLines(items, base))].join('\n')
    })
    process.stdout.write(blocks.join('\n\n') + '\n')
    return EXIT.ok
  },
}
