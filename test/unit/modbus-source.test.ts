import { describe, expect, it } from 'vitest'
import { ModbusSource, type ModbusSourceOptions } from '../../connectors/modbus/source.ts'

describe('ModbusSource', () => {
  it('rejects invalid tags and options before opening a socket', () => {
    expect(() => new ModbusSource({ id: 'meters', host: '127.0.0.1', tags: [{ name: 'x', table: 'coil', address: 0, type: 'FLOAT32' }] })).toThrow(
      /modbus source "meters": invalid tags.*tags\[0\] \("x"\): type must be BOOL in the coil table/s,
    )
    expect(() => new ModbusSource({ id: 'meters', host: '127.0.0.1', unitId: 256, tags: [] })).toThrow(/unitId must be an integer 0\.\.255, got 256/)
  })

  // Options that do not fit their transport, each with the message that names the option.
  const invalid: readonly [string, Omit<ModbusSourceOptions, 'id' | 'tags'>, RegExp][] = [
    ['tcp without a host', {}, /host is required for transport tcp/],
    ['rtu without a serial port', { transport: 'rtu' }, /serialPort is required for transport rtu/],
    ['rtu with a host', { transport: 'rtu', serialPort: '/dev/ttyUSB0', host: '10.0.0.1' }, /host applies to transport tcp and rtu-over-tcp, not rtu/],
    ['tcp with a baud rate', { host: '10.0.0.1', baudRate: 9600 }, /baudRate applies to transport rtu \(a serial port\), not tcp/],
    ['rtu with unit 0 (broadcast)', { transport: 'rtu', serialPort: '/dev/ttyUSB0', unitId: 0 }, /unitId must be an integer 1\.\.247, got 0/],
    ['rtu with 7 data bits', { transport: 'rtu', serialPort: '/dev/ttyUSB0', dataBits: 7 as 8 }, /dataBits must be 8/],
    ['an unknown transport', { transport: 'ascii' as 'tcp', host: '10.0.0.1' }, /transport must be one of tcp, rtu, rtu-over-tcp, got "ascii"/],
    ['negative retries', { host: '10.0.0.1', retries: -1 }, /retries must be an integer 0\.\.10/],
  ]
  it.each(invalid)('rejects %s with SHOPFLOOR_MODBUS_CONFIG', (_name, opts, message) => {
    let caught: unknown
    try {
      new ModbusSource({ id: 'meters', tags: [], ...opts })
    } catch (err) {
      caught = err
    }
    expect(caught).toMatchObject({ code: 'SHOPFLOOR_MODBUS_CONFIG', canRetry: false })
    expect((caught as Error).message).toMatch(message)
  })

  it('plans its requests from the tags, one per tag when the device needs it', () => {
    const tags = [
      { name: 'a', table: 'holding', address: 0, type: 'UINT32' },
      { name: 'b', table: 'holding', address: 4, type: 'UINT32' },
    ] as const
    const src = new ModbusSource({ id: 'meters', host: '127.0.0.1', maxGap: 2, tags })
    expect(src.requests.map((r) => [r.table, r.address, r.count])).toStrictEqual([['holding', 0, 6]])
    const quirky = new ModbusSource({ id: 'meters', host: '127.0.0.1', maxGap: 2, oneRequestPerTag: true, tags })
    expect(quirky.requests.map((r) => [r.table, r.address, r.count])).toStrictEqual([['holding', 0, 2], ['holding', 4, 2]])
    expect(src.connected).toBe(false)
  })

  it('starts with zeroed stats as a plain object', () => {
    const src = new ModbusSource({ id: 'meters', transport: 'rtu', serialPort: '/dev/ttyUSB0', unitId: 3, tags: [] })
    expect(src.stats).toStrictEqual({
      connected: false,
      polls: 0,
      pollErrors: 0,
      requests: 0,
      retries: 0,
      timeouts: 0,
      exceptions: {},
      malformed: 0,
      reconnects: 0,
      lastPollDurationMs: undefined,
    })
  })
})
