import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { encodeValue } from '../../connectors/modbus/encode.ts'
import { parseScanRange, parseScanUrl, registerDecodings, type ScannedItem } from '../../connectors/modbus/scan.ts'

const items = (start: number, words: readonly number[]): ScannedItem[] => words.map((value, i) => ({ address: start + i, value }))

describe('parseScanUrl', () => {
  it.each([
    ['modbus://10.0.4.21?unit=3', { transport: 'tcp', host: '10.0.4.21', port: 502, unitId: 3 }],
    ['modbus://plc-7.local:5020', { transport: 'tcp', host: 'plc-7.local', port: 5020, unitId: 1 }],
    ['modbus+tcp://[::1]:1502?unit=0', { transport: 'tcp', host: '::1', port: 1502, unitId: 0 }],
    ['modbus+rtu-over-tcp://10.0.4.90:4001?unit=12', { transport: 'rtu-over-tcp', host: '10.0.4.90', port: 4001, unitId: 12 }],
    ['modbus+rtu:///dev/ttyUSB0?unit=2', { transport: 'rtu', serialPort: '/dev/ttyUSB0', baudRate: 9600, parity: 'even', stopBits: 1, unitId: 2 }],
    [
      'modbus+rtu:///dev/serial/by-id/usb-FTDI-if00?unit=7&baud=19200&parity=none&stopbits=2',
      { transport: 'rtu', serialPort: '/dev/serial/by-id/usb-FTDI-if00', baudRate: 19200, parity: 'none', stopBits: 2, unitId: 7 },
    ],
  ])('parseScanUrl reads %s', (url, target) => {
    expect(parseScanUrl(url)).toStrictEqual(target)
  })

  it.each([
    ['10.0.4.21:502', /is not a URL/],
    ['http://10.0.4.21', /scheme "http" is not one of modbus, modbus\+tcp, modbus\+rtu, modbus\+rtu-over-tcp/],
    ['modbus://10.0.4.21?unit=300', /unit=300 in the URL must be a whole number 0\.\.255/],
    ['modbus+rtu:///dev/ttyUSB0?unit=0', /unit=0 in the URL must be a whole number 1\.\.247/],
    ['modbus://10.0.4.21?baud=9600', /URL parameter "baud" is not known for modbus \(allowed: unit\)/],
    ['modbus+rtu://dev/ttyUSB0?unit=1', /three slashes/],
    ['modbus+rtu:///dev/ttyUSB0?parity=mark', /parity=mark in the URL must be one of none, even, odd/],
  ])('parseScanUrl rejects %s', (url, message) => {
    expect(() => parseScanUrl(url)).toThrow(message)
  })
})

describe('parseScanRange', () => {
  it('parseScanRange reads ranges and single registers, 0- and 1-based', () => {
    expect(parseScanRange('holding', '0-99')).toStrictEqual({ table: 'holding', address: 0, count: 100 })
    expect(parseScanRange('coil', '17')).toStrictEqual({ table: 'coil', address: 17, count: 1 })
    expect(parseScanRange('input', '1-10', 1)).toStrictEqual({ table: 'input', address: 0, count: 10 })
  })

  it.each([
    ['holding', '99-0', 0, /--holding 99-0: the last register comes before the first/],
    ['coil', 'a-b', 0, /--coils a-b: give a register range as FIRST-LAST/],
    ['input', '0-10', 1, /--input 0-10: registers are 1\.\.65536 with --address-base 1/],
    ['holding', '65530-65536', 0, /registers are 0\.\.65535/],
  ] as const)('parseScanRange rejects %s %s', (table, text, base, message) => {
    expect(() => parseScanRange(table, text, base)).toThrow(message)
  })
})

describe('registerDecodings', () => {
  it('registerDecodings shows each register as integers and text, and each pair in every byte order', () => {
    // 123.456 as FLOAT32 word-swapped (CDAB), then "PM" and a lone register
    const words = [...encodeValue(123.456, 'FLOAT32', 'CDAB'), 0x504d]
    const [first, second, last] = registerDecodings(items(10, words))
    expect(first).toMatchObject({ address: 10, word: 0xe979, uint16: 59769, int16: -5767, ascii: '.y' })
    expect(first?.float32).toStrictEqual({ CDAB: 123.456 })
    // by hand from the bytes E9 79 42 F6: ABCD as they come, CDAB words swapped, BADC bytes swapped, DCBA both
    expect(first?.int32).toStrictEqual({ ABCD: 0xe97942f6 - 2 ** 32, CDAB: 0x42f6e979, BADC: 0x79e9f642, DCBA: 0xf64279e9 - 2 ** 32 })
    expect(second).toMatchObject({ address: 11, ascii: 'B.' })
    expect(last).toMatchObject({ address: 12, uint16: 0x504d, ascii: 'PM' })
    expect(last?.int32).toBeUndefined()
  })

  it('registerDecodings hides implausible floats and skips registers that could not be read', () => {
    const rows = registerDecodings([{ address: 0, value: 0 }, { address: 1, value: 1 }, { address: 2, value: undefined, status: 'exception 2: illegal data address' }, { address: 3, value: 0x7fc0 }])
    expect(rows.map((r) => r.address)).toStrictEqual([0, 1, 3])
    // 0x00000001 is 1.4e-45 in ABCD: a denormal no PLC measures
    expect(rows[0]?.float32?.ABCD).toBeUndefined()
    // register 1 has no readable successor: no 32-bit values
    expect(rows[1]?.int32).toBeUndefined()
  })
})

describe('shopfloor scan (arguments)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['edge/cli/shopfloor.ts', 'scan', ...args], { encoding: 'utf8', timeout: 20_000 })

  it.each([
    [['modbus://127.0.0.1:1?unit=1'], 'say what to read: --holding, --input, --coils or --discrete'],
    [['modbus://127.0.0.1:1', '--holding', '10-5'], '--holding 10-5: the last register comes before the first'],
    [['ftp://127.0.0.1', '--holding', '0-9'], 'scheme "ftp" is not one of'],
    [['modbus://127.0.0.1', '--holding', '0-9', '--address-base', '2'], '--address-base must be 0 or 1'],
    [[], 'give exactly one device URL'],
  ])('shopfloor scan %j exits 2 with the problem and the usage', (args, problem) => {
    const r = run(...args)
    expect(r.status).toBe(2)
    expect(r.stderr).toContain(`shopfloor scan: ${problem}`)
    expect(r.stderr).toContain('Usage: shopfloor scan URL')
  })
})
